//! SIGKILL of `xinrong serve` under load loses no acknowledged score query, financing match,
//! credit decision, consent, alert acknowledgement or ledger entry: after each kill the server
//! restarts on the same data, and every query that was answered 200 before the kill is found
//! with a receipt that verifies.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::{Value, json};
use xinrong_ledger::{Receipt, VerifierKey};

mod common;
use common::{Served, free_address, ok};

/// The receipt in a read-back body verifies against the ledger's key and is the receipt of
/// the record's own entry: a record written beside an entry that was lost in the kill must not
/// survive to point at the entry that later took its index.
fn assert_own_receipt(body: &Value, key: &VerifierKey, id: &str) {
    let receipt: Receipt = serde_json::from_value(body["receipt"].clone()).unwrap();
    receipt.verify(key).unwrap();
    assert!(
        receipt.entry.contains(&format!("\"{id}\"")),
        "the receipt of {id} is another entry's: {}",
        receipt.entry
    );
}

/// The ledger's public key, as the server publishes it.
fn ledger_key(client: &Client, base: &str) -> VerifierKey {
    let head: Value = client
        .get(format!("{base}/v1/ledger/checkpoint"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    VerifierKey::decode(head["verifier_key"].as_str().unwrap()).unwrap()
}

/// Every acknowledged query is there, with a receipt that verifies against the ledger's key.
fn assert_all_found(client: &Client, base: &str, bank_key: &str, acked: &[String], when: &str) {
    let key = ledger_key(client, base);
    let mut missing = Vec::new();
    for id in acked {
        let r = client
            .get(format!("{base}/v1/queries/{id}"))
            .bearer_auth(bank_key)
            .send()
            .unwrap();
        if r.status() != 200 {
            missing.push(id.clone());
            continue;
        }
        let body: Value = r.json().unwrap();
        assert_own_receipt(&body, &key, id);
    }
    assert!(
        missing.is_empty(),
        "{when}: {} of {} acknowledged queries lost: {missing:?}",
        missing.len(),
        acked.len()
    );
}

/// Every acknowledged consent is among the enterprise's consents.
fn assert_consents_found(client: &Client, base: &str, ent_key: &str, acked: &[String], when: &str) {
    let consents: Value = client
        .get(format!("{base}/v1/consents"))
        .bearer_auth(ent_key)
        .send()
        .unwrap()
        .json()
        .unwrap();
    for id in acked {
        assert!(
            consents.as_array().unwrap().iter().any(|c| c["id"] == *id),
            "{when}: consent {id} lost"
        );
    }
}

/// A credit application for 300,000 yuan under `request_key`.
fn decision_body(uscc: &str, request_key: &str) -> Value {
    json!({"enterprise": uscc, "purpose": "pre_loan", "product": "credit_loan",
           "amount": "300000", "request_key": request_key})
}

/// Every acknowledged decision reads back, and its request key still answers it (never a
/// second decision).
fn assert_decisions_found(
    client: &Client,
    base: &str,
    bank_key: &str,
    uscc: &str,
    acked: &[(String, String)],
) {
    let key = ledger_key(client, base);
    for (k, (request_key, id)) in acked.iter().enumerate() {
        let r = client
            .get(format!("{base}/v1/decisions/{id}"))
            .bearer_auth(bank_key)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged decision {id} lost");
        assert_own_receipt(&r.json().unwrap(), &key, id);
        // A sample of retries: the same decision comes back.
        if k % 25 == 0 {
            let again: Value = client
                .post(format!("{base}/v1/decisions"))
                .bearer_auth(bank_key)
                .json(&decision_body(uscc, request_key))
                .send()
                .unwrap()
                .json()
                .unwrap();
            assert_eq!(again["decision"]["decision_id"].as_str(), Some(id.as_str()));
        }
    }
}

fn key_of(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("api key (shown once): "))
        .unwrap()
        .to_string()
}

fn id_of(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("institution "))
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string()
}

fn set_up(dir: &Path) -> (String, String, String, String) {
    let d = dir.display().to_string();
    let p = |n: &str| dir.join(n).display().to_string();
    ok(&[
        "synth",
        "--rows",
        "3000",
        "--cols",
        "3",
        "--seed",
        "1",
        "--out",
        &p("t.csv"),
    ]);
    ok(&[
        "fit",
        "-q",
        "--train",
        &p("t.csv"),
        "--test",
        &p("t.csv"),
        "--target",
        "bad",
        "--out",
        &p("m.json"),
    ]);
    ok(&[
        "model",
        "--data-dir",
        &d,
        "publish",
        &p("m.json"),
        "--name",
        "m1",
    ]);
    let uscc = "91350100M000100Y43";
    std::fs::write(
        dir.join("ind.csv"),
        format!("uscc,x00,x01,x02\n{uscc},0.5,-1.0,2.0\n"),
    )
    .unwrap();
    ok(&[
        "admin",
        "--data-dir",
        &d,
        "load-indicators",
        &p("ind.csv"),
        "--as-of",
        "2025-06-30",
    ]);
    let bank = ok(&[
        "admin",
        "--data-dir",
        &d,
        "add-institution",
        "--name",
        "Bank",
        "--kind",
        "bank",
    ]);
    let ent = ok(&[
        "admin",
        "--data-dir",
        &d,
        "add-institution",
        "--name",
        "Ent",
        "--kind",
        "enterprise",
        "--uscc",
        uscc,
    ]);
    (id_of(&bank), key_of(&bank), key_of(&ent), uscc.to_string())
}

/// The enterprise gives the bank a post-loan consent and the operator loads 1,500 alerts about
/// it (one per signal), routed to the bank.
fn load_alerts(client: &Client, base: &str, bank_id: &str, ent_key: &str, data: &str, uscc: &str) {
    let date = (chrono::Utc::now().date_naive() + chrono::Days::new(300)).to_string();
    let r = client
        .post(format!("{base}/v1/consents"))
        .bearer_auth(ent_key)
        .json(&json!({"institution": bank_id, "purpose": "post_loan", "expires": date}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let mut csv = String::from(
        "date,uscc,signal,level,rule,description,evidence,action_en,action_zh,opened,rules\n",
    );
    for k in 0..1500 {
        csv.push_str(&format!(
            "2025-06-30,{uscc},s{k:04},yellow,r{k},a rule,pd_rank=0.9,Review,复核,2025-06-30,abc\n"
        ));
    }
    let file = Path::new(data).join("alerts.csv");
    std::fs::write(&file, csv).unwrap();
    let printed = ok(&[
        "admin",
        "--data-dir",
        data,
        "load-alerts",
        file.to_str().unwrap(),
    ]);
    assert!(printed.contains("1500 opened"), "{printed}");
}

/// Every acknowledged alert is still acknowledged after the restart.
fn assert_alerts_acknowledged(client: &Client, base: &str, bank_key: &str, acked: &[String]) {
    let listed: Value = client
        .get(format!("{base}/v1/alerts?status=acknowledged&limit=500"))
        .bearer_auth(bank_key)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let ids: std::collections::HashSet<&str> = listed["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alert_id"].as_str().unwrap())
        .collect();
    let lost: Vec<&String> = acked.iter().filter(|a| !ids.contains(a.as_str())).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged alerts lost: {lost:?}",
        lost.len(),
        acked.len()
    );
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_record() {
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().display().to_string();
    let (bank_id, bank_key, ent_key, uscc) = set_up(dir.path());
    let client = Client::new();
    let mut acked_queries: Vec<String> = Vec::new();
    let mut acked_consents: Vec<String> = Vec::new();
    let mut acked_decisions: Vec<(String, String)> = Vec::new();
    let mut acked_alerts: Vec<String> = Vec::new();
    for round in 0..3 {
        let server = Served::start(&data, &free_address());
        let base = server.base.clone();
        // Everything acknowledged before the last kill must still be there.
        assert_all_found(
            &client,
            &base,
            &bank_key,
            &acked_queries,
            &format!("round {round}"),
        );
        assert_consents_found(
            &client,
            &base,
            &ent_key,
            &acked_consents,
            &format!("round {round}"),
        );
        assert_decisions_found(&client, &base, &bank_key, &uscc, &acked_decisions);
        assert_alerts_acknowledged(&client, &base, &bank_key, &acked_alerts);
        if round == 0 {
            load_alerts(&client, &base, &bank_id, &ent_key, &data, &uscc);
        }
        let date = (chrono::Utc::now().date_naive() + chrono::Days::new(300)).to_string();
        let r = client
            .post(format!("{base}/v1/consents"))
            .bearer_auth(&ent_key)
            .json(&json!({"institution": bank_id, "purpose": "pre_loan", "expires": date}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: Value = r.json().unwrap();
        acked_consents.push(body["consent"]["id"].as_str().unwrap().to_string());
        // Load from five threads, two asking for scores, two for financing matches and one
        // for credit decisions (each with a new request key); kill while they run.
        let acked = Arc::new(Mutex::new(Vec::new()));
        let decided = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let decider = {
            let (decided, stop, base, key, uscc) = (
                Arc::clone(&decided),
                Arc::clone(&stop),
                base.clone(),
                bank_key.clone(),
                uscc.clone(),
            );
            std::thread::spawn(move || {
                let client = Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let request_key = format!("r{round}-{n}");
                    let Ok(r) = client
                        .post(format!("{base}/v1/decisions"))
                        .bearer_auth(&key)
                        .json(&decision_body(&uscc, &request_key))
                        .send()
                    else {
                        break;
                    };
                    if r.status() != 200 {
                        break;
                    }
                    let Ok(body) = r.json::<Value>() else { break };
                    let id = body["decision"]["decision_id"]
                        .as_str()
                        .unwrap()
                        .to_string();
                    decided.lock().unwrap().push((request_key, id));
                }
            })
        };
        // A sixth thread acknowledges the bank's open alerts one by one.
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let acknowledger = {
            let (acknowledged, stop, base, key) = (
                Arc::clone(&acknowledged),
                Arc::clone(&stop),
                base.clone(),
                bank_key.clone(),
            );
            std::thread::spawn(move || {
                let client = Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                let Ok(r) = client
                    .get(format!("{base}/v1/alerts?status=open&limit=500"))
                    .bearer_auth(&key)
                    .send()
                else {
                    return;
                };
                let Ok(open) = r.json::<Value>() else { return };
                // At most 150 a round, so that every acknowledged one fits one listed page.
                for a in open["alerts"].as_array().into_iter().flatten().take(150) {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let id = a["alert_id"].as_str().unwrap().to_string();
                    let Ok(r) = client
                        .post(format!("{base}/v1/alerts/{id}/acknowledge"))
                        .bearer_auth(&key)
                        .json(&json!({"note": "seen"}))
                        .send()
                    else {
                        break;
                    };
                    if r.status() != 200 {
                        eprintln!(
                            "acknowledge: {} {}",
                            r.status(),
                            r.text().unwrap_or_default()
                        );
                        break;
                    }
                    acknowledged.lock().unwrap().push(id);
                }
            })
        };
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                let path = if worker % 2 == 0 { "scores" } else { "matches" };
                let (acked, stop, base, key, uscc) = (
                    Arc::clone(&acked),
                    Arc::clone(&stop),
                    base.clone(),
                    bank_key.clone(),
                    uscc.clone(),
                );
                std::thread::spawn(move || {
                    let client = Client::builder()
                        .timeout(Duration::from_secs(5))
                        .build()
                        .unwrap();
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(r) = client
                            .post(format!("{base}/v1/{path}"))
                            .bearer_auth(&key)
                            .json(&json!({"enterprise": uscc, "purpose": "pre_loan"}))
                            .send()
                        else {
                            break;
                        };
                        if r.status() != 200 {
                            break;
                        }
                        let Ok(body) = r.json::<Value>() else { break };
                        acked
                            .lock()
                            .unwrap()
                            .push(body["query_id"].as_str().unwrap().to_string());
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(700 + 300 * round));
        server.kill(); // SIGKILL
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }
        decider.join().unwrap();
        acknowledger.join().unwrap();
        acked_decisions.extend(decided.lock().unwrap().drain(..));
        acked_alerts.extend(acknowledged.lock().unwrap().drain(..));
        let got = acked.lock().unwrap().clone();
        assert!(
            got.len() > 10,
            "round {round}: only {} queries answered before the kill",
            got.len()
        );
        acked_queries.extend(got);
    }
    // Final check after the last kill, plus a full audit of the ledger.
    let server = Served::start(&data, &free_address());
    assert_all_found(
        &client,
        &server.base,
        &bank_key,
        &acked_queries,
        "after the last kill",
    );
    let listed: Value = client
        .get(format!("{}/v1/queries?limit=1000", server.base))
        .bearer_auth(&bank_key)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(listed.as_array().unwrap().len() >= acked_queries.len().min(1000));
    assert_decisions_found(&client, &server.base, &bank_key, &uscc, &acked_decisions);
    assert!(
        !acked_decisions.is_empty(),
        "decisions were answered before the kills"
    );
    assert_alerts_acknowledged(&client, &server.base, &bank_key, &acked_alerts);
    assert!(
        !acked_alerts.is_empty(),
        "alerts were acknowledged before the kills"
    );
    eprintln!(
        "{} acknowledged queries and {} consents across 3 kills: all found",
        acked_queries.len(),
        acked_consents.len()
    );
    server.kill();
    let audit = ok(&["ledger", "--data-dir", &data, "audit"]);
    assert!(audit.contains("OK"), "{audit}");
}
