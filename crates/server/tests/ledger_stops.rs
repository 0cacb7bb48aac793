//! A ledger write that fails (here the process's file-size limit, the error a full disk gives)
//! stops the ledger's writer. The service then says so: `/ready` answers 503
//! `ledger_stopped`, the metric `xinrong_ledger_writer_ok` is 0 and every write answers 503 at
//! once, while reads still answer. A restart recovers the log, and every answered query keeps
//! a receipt of its own entry.
//!
//! On PostgreSQL only, in a test binary of its own: the limit applies to the whole process,
//! so on SQLite it would fail the database's own files first; PostgreSQL's live in its server.

mod common;
#[path = "../../ledger/tests/support/file_size.rs"]
mod file_size;

use common::{Harness, Store, code, in_days, load_facts, verifier};
use file_size::FileSizeLimit;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use xinrong_ledger::Receipt;

fn largest_file(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().metadata().unwrap().len())
        .max()
        .unwrap_or(0)
}

async fn metrics(h: &Harness) -> String {
    let (_, text) = h.call(Method::GET, "/metrics", None, None).await;
    text.as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_ledger_write_turns_ready_red_and_a_restart_recovers() {
    let Some(mut h) = Harness::start(Store::Postgres).await else {
        return;
    };
    load_facts(&h).await;
    let e0 = h.enterprises[0].clone();
    let (s, body) = h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let decision = |key: &str| {
        serde_json::json!({"enterprise": e0, "purpose": "pre_loan", "product": "credit_loan",
                           "amount": "500000", "request_key": key})
    };
    let (s, decided) = h.post("/v1/decisions", "bank", decision("before")).await;
    assert_eq!(s, StatusCode::OK, "{decided}");
    h.platform().append_admin_actions().await.unwrap();
    assert_eq!(
        h.call(Method::GET, "/ready", None, None).await.0,
        StatusCode::OK
    );
    assert!(metrics(&h).await.contains("xinrong_ledger_writer_ok 1"));

    let ledger_dir = h.dir.path().join("ledger");
    let limit = FileSizeLimit::set(largest_file(&ledger_dir) + 16 * 1024);
    let (mut answered, mut refused) = (Vec::new(), None);
    for _ in 0..500 {
        let (s, q) = h.score("bank", &e0, "pre_loan").await;
        match s {
            StatusCode::OK => answered.push(q),
            _ => {
                refused = Some((s, q));
                break;
            }
        }
    }
    let (s, body) = refused.expect("a score query fails once the ledger cannot grow");
    assert_eq!(
        (s, code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "ledger_stopped"),
        "{body}"
    );
    assert!(!answered.is_empty(), "some queries were answered first");
    // Said at once from now on, though files may grow again: only a restart recovers the log.
    drop(limit);
    let (s, body) = h.call(Method::GET, "/ready", None, None).await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "ledger_stopped"),
        "{body}"
    );
    assert!(
        !body.to_string().contains("ledger/"),
        "no file names to the prober: {body}"
    );
    assert!(metrics(&h).await.contains("xinrong_ledger_writer_ok 0"));
    let (s, body) = h.score("bank", &e0, "pre_loan").await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "ledger_stopped"),
        "{body}"
    );
    // A decision asked again with its request key is answered from the store; a new one is not.
    let (s, again) = h.post("/v1/decisions", "bank", decision("before")).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["decision"], decided["decision"]);
    let (s, body) = h.post("/v1/decisions", "bank", decision("after")).await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "ledger_stopped"),
        "{body}"
    );
    let first = answered[0]["query_id"].as_str().unwrap().to_string();
    let (s, body) = h.get(&format!("/v1/queries/{first}"), "bank").await;
    assert_eq!(s, StatusCode::OK, "reads still answer: {body}");

    h.restart().await;
    assert_eq!(
        h.call(Method::GET, "/ready", None, None).await.0,
        StatusCode::OK
    );
    let key = verifier(&h).await;
    for q in &answered {
        let id = q["query_id"].as_str().unwrap();
        let (s, body) = h.get(&format!("/v1/queries/{id}"), "bank").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let receipt: Receipt = serde_json::from_value(body["receipt"].clone()).unwrap();
        receipt.verify(&key).expect("the receipt verifies");
        assert!(receipt.entry.contains(id), "{}", receipt.entry);
    }
    // The refused query's record, if its commit won the race with the failed write, was moved
    // aside: the bank's list holds the answered queries only.
    let (s, list) = h.get("/v1/queries?limit=1000", "bank").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let listed: Vec<&Value> = list.as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), answered.len(), "{list}");
    let (s, body) = h.score("bank", &e0, "pre_loan").await;
    assert_eq!(s, StatusCode::OK, "writes answer again: {body}");
}
