//! Defects found by probing the service as an attacker and as a careless user would, each
//! pinned by a test on both stores: NUL characters, cross-enterprise uploads, raw uploads left
//! on disk, unbounded metrics, leaked paths, the parser's own error answers, rate limits,
//! admin actions in the ledger, reconciliation after a crash, a tampered ledger, TLS.

mod common;

use std::time::Duration;

use common::{Harness, Store, in_days};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use xinrong_ledger::{Entry, Ledger, Receipt};
use xinrong_server::Limits;

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

fn field(v: &Value) -> Option<&str> {
    v["error"]["field"].as_str()
}

/// A request written by hand on a fresh connection; the status line and body of the answer.
async fn raw(h: &Harness, request: &[u8]) -> (u16, String) {
    let addr = h.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|b| b.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

async fn upload(
    h: &Harness,
    uscc: &str,
    source: &str,
    body: String,
    query: &str,
) -> (StatusCode, Value) {
    let r = h
        .client
        .post(format!(
            "{}/v1/enterprises/{uscc}/data/{source}{query}",
            h.base
        ))
        .bearer_auth(&h.keys["operator"])
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    common::parse(r).await
}

on_both_stores!(
    nul_characters_are_the_same_4xx_naming_the_field_on_both_stores,
    |h: Harness| async move {
        let uscc = common::fix_check("91350100M00077701");
        let (s, b) = h
            .post(
                "/v1/enterprises",
                "operator",
                json!({"uscc": uscc, "name": "Robert\u{0000} NUL"}),
            )
            .await;
        assert_eq!(
            (s, code(&b), field(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("name")),
            "{b}"
        );
        assert!(
            !b.to_string().contains("\\u0000 NUL"),
            "the NUL is not echoed: {b}"
        );
        // In a path, a query id with a NUL is simply not found.
        let (s, b) = h.get("/v1/queries/q_abc%00def", "bank").await;
        assert_eq!((s, field(&b)), (StatusCode::NOT_FOUND, Some("id")), "{b}");
        let (s, b) = h
            .post("/v1/consents/c_abc%00def/revoke", "ent0", json!({}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
        // Cursors.
        for (path, who) in [("/v1/queries", "bank"), ("/v1/portrait/queries", "ent0")] {
            let (s, b) = h.get(&format!("{path}?before=q_0123%00"), who).await;
            assert_eq!(
                (s, field(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("before")),
                "{path}: {b}"
            );
        }
        // Consent's institution, and any other string of any body.
        let (s, b) = h
            .post(
                "/v1/consents",
                "ent0",
                json!({"institution": "bank_0\u{0000}1", "purpose": "pre_loan", "expires": in_days(3)}),
            )
            .await;
        assert_eq!(
            (s, field(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("institution")),
            "{b}"
        );
        let (s, b) = h
            .post("/v1/scores", "bank", json!({"enterprise": h.enterprises[0], "purpose": "pre_loan", "model_version": "v\u{0000}"}))
            .await;
        assert_eq!(
            (s, field(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("model_version")),
            "{b}"
        );
        // And the service is unharmed.
        assert_eq!(h.get("/v1/me", "bank").await.0, StatusCode::OK);
    }
);

on_both_stores!(
    an_upload_for_one_enterprise_never_stores_anothers_rows_and_reports_unknown_fields,
    |h: Harness| async move {
        let (a, b) = (&h.enterprises[0], &h.enterprises[1]);
        let header =
            "uscc,period,tax_type,declared,paid,arrears,sales,credit_rating,filed_date,note";
        let body = format!(
            "{header}\n{a},2026-01,vat,100,100,0,,A,2026-02-10,\n{b},2026-01,vat,100,100,0,,A,2026-02-10,ok\n"
        );
        let (s, r) = upload(&h, a, "tax", body, "").await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let report = &r["report"];
        assert_eq!(
            (
                report["accepted"].as_u64(),
                report["other_enterprise"].as_u64()
            ),
            (Some(1), Some(1)),
            "{r}"
        );
        assert_eq!(report["unknown_fields"], json!(["note"]));
        let q = std::fs::read_to_string(
            h.dir
                .path()
                .join(report["quarantine_file"].as_str().unwrap()),
        )
        .unwrap();
        assert!(
            q.contains(&format!(
                "row is for enterprise {b}; this upload is for {a}"
            )),
            "{q}"
        );
        // The registration names only A, and only A's row is in the store.
        let receipt: Receipt = serde_json::from_value(r["receipt"].clone()).unwrap();
        match Entry::parse(&receipt.entry).unwrap() {
            Entry::DataAssetRegistered { enterprise, .. } => assert_eq!(enterprise.as_str(), a),
            other => panic!("{other:?}"),
        }
        // Quarantining unknown fields on request.
        let strict = format!("{header}\n{a},2026-02,vat,100,100,0,,A,2026-03-10,late\n");
        let (s, r) = upload(&h, a, "tax", strict, "?unknown_fields=quarantine").await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(
            (
                r["report"]["accepted"].as_u64(),
                r["report"]["quarantined"].as_u64()
            ),
            (Some(0), Some(1))
        );
        let (s, r) = upload(&h, a, "tax", "x".into(), "?unknown_fields=maybe").await;
        assert_eq!(
            (s, field(&r)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_fields")),
            "{r}"
        );
    }
);

on_both_stores!(
    raw_uploads_never_stay_on_disk_and_identical_ones_are_recognised,
    |h: Harness| async move {
        let a = &h.enterprises[0];
        let spool = h.dir.path().join("uploads");
        let files = || std::fs::read_dir(&spool).map(|d| d.count()).unwrap_or(0);
        let body = format!("uscc,month,headcount\n{a},2026-01,12\n{a},2026-02,13\n");
        let (s, first) = upload(&h, a, "social_insurance", body.clone(), "").await;
        assert_eq!(s, StatusCode::CREATED, "{first}");
        assert_eq!(files(), 0, "the raw upload is deleted after ingest");
        let size = h.platform().ledger_size();
        let (s, again) = upload(&h, a, "social_insurance", body.clone(), "").await;
        assert_eq!(s, StatusCode::OK, "{again}");
        assert_eq!(again["report"]["asset_id"], first["report"]["asset_id"]);
        assert_eq!(again["report"]["already_ingested"], true);
        assert_eq!(again["report"]["accepted"], 2, "the first upload's counts");
        assert_eq!(h.platform().ledger_size(), size, "not registered again");
        assert_eq!(
            again["receipt"]["leaf_index"],
            first["receipt"]["leaf_index"]
        );
        // A failed upload leaves nothing either, and its error names the upload, not a path.
        let (s, r) = upload(&h, a, "loan", "uscc,month\n1,2\n".into(), "").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        let message = r["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("upload d_") && message.contains("loan_id"),
            "{message}"
        );
        let dir = h.dir.path().display().to_string();
        assert!(
            !message.contains(&dir) && !message.contains("/uploads/"),
            "{message}"
        );
        assert_eq!(files(), 0);
        // Concurrent identical uploads register once.
        let body = format!("uscc,month,headcount\n{a},2026-03,14\n");
        let answers = futures_join(&h, a, body).await;
        let ids: std::collections::HashSet<String> = answers
            .iter()
            .map(|(_, v)| v["report"]["asset_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), 1, "{answers:?}");
        assert_eq!(
            answers
                .iter()
                .filter(|(s, _)| *s == StatusCode::CREATED)
                .count(),
            1
        );
    }
);

on_both_stores!(
    a_store_that_cannot_take_an_upload_is_the_servers_fault_and_shows_no_path,
    |h: Harness| async move {
        let a = &h.enterprises[0];
        // The store's catalogue cannot be opened: a directory stands where its file goes.
        let catalogue = h.dir.path().join("store").join("catalog.db");
        let _ = std::fs::remove_file(&catalogue);
        std::fs::create_dir_all(&catalogue).unwrap();
        let body = format!("uscc,month,headcount\n{a},2026-05,12\n");
        let (s, r) = upload(&h, a, "social_insurance", body, "").await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{r}");
        let message = r["error"]["message"].as_str().unwrap();
        let dir = h.dir.path().display().to_string();
        assert!(
            !message.contains(&dir) && !message.contains("catalog.db"),
            "{message}"
        );
    }
);

async fn futures_join(h: &Harness, a: &str, body: String) -> Vec<(StatusCode, Value)> {
    futures_util::future::join_all(
        (0..4).map(|_| upload(h, a, "social_insurance", body.clone(), "")),
    )
    .await
}

on_both_stores!(
    metrics_stay_bounded_and_every_error_is_json,
    |h: Harness| async move {
        let metrics = || async {
            h.call(Method::GET, "/metrics", None, None)
                .await
                .1
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        for i in 0..200 {
            let method = Method::from_bytes(format!("M{i:06}XYZ").as_bytes()).unwrap();
            let (s, b) = h.call(method, "/health", None, None).await;
            assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
            assert_eq!(code(&b), "method_not_allowed");
            let (s, _) = h
                .call(Method::GET, &format!("/nothing/{i}"), None, None)
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND);
        }
        let text = metrics().await;
        assert!(!text.contains("M000001XYZ") && !text.contains("/nothing/1"));
        assert!(text.contains(r#"method="other""#) && text.contains(r#"route="unmatched""#));
        // The HTTP parser's own answers are JSON too.
        let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000));
        let (s, body) = raw(&h, long.as_bytes()).await;
        assert_eq!(s, 414, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(code(&v), "uri_too_long");
        let (s, body) = raw(&h, b"NOT HTTP AT ALL\r\n\r\n").await;
        assert_eq!(s, 400);
        assert!(serde_json::from_str::<Value>(&body).is_ok(), "{body}");
        // A 413 says so.
        let big =
            json!({"enterprise": "x".repeat(xinrong_server::JSON_LIMIT), "purpose": "pre_loan"});
        let (s, b) = h.post("/v1/scores", "bank", big).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            "{b}"
        );
        // The bearer scheme is case-insensitive.
        let key = h.keys["bank"].clone();
        let r = h
            .client
            .get(format!("{}/v1/me", h.base))
            .header("authorization", format!("bearer {key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        // A bad model name is reported as the field it is.
        let (s, b) = h
            .post(
                "/v1/models",
                "operator",
                json!({"name": "v 1", "artifact": {}}),
            )
            .await;
        assert_eq!(
            (s, field(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            "{b}"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after() {
    let mut limits = Limits::off();
    limits.set("GET /v1/me=1/3").unwrap();
    limits.set("auth_failures=1/4").unwrap();
    let h = Harness::start_with(Store::Sqlite, limits).await.unwrap();
    for _ in 0..3 {
        assert_eq!(h.get("/v1/me", "bank").await.0, StatusCode::OK);
    }
    let r = h
        .client
        .get(format!("{}/v1/me", h.base))
        .bearer_auth(&h.keys["bank"])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let (_, b) = common::parse(r).await;
    assert_eq!(code(&b), "rate_limited");
    // Another institution has its own budget; other routes are not limited here.
    assert_eq!(h.get("/v1/me", "guarantor").await.0, StatusCode::OK);
    assert_eq!(h.get("/v1/queries", "bank").await.0, StatusCode::OK);
    // Four wrong keys from this address, then even a right key is refused for a while.
    for _ in 0..4 {
        assert_eq!(
            h.get("/v1/queries", "xr_k_0000000000000000.nope").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (s, b) = h.get("/v1/queries", "xr_k_0000000000000000.nope").await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNAUTHORIZED, "unauthorized"),
        "the fifth failure is counted"
    );
    let (s, b) = h.get("/v1/queries", "guarantor").await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "{b}"
    );
}

on_both_stores!(
    admin_actions_are_ledger_entries_with_who_did_them,
    |h: Harness| async move {
        h.platform().append_admin_actions().await.unwrap();
        let (s, actions) = h.get("/v1/admin/actions?limit=100", "regulator").await;
        assert_eq!(s, StatusCode::OK, "{actions}");
        let actions = actions.as_array().unwrap();
        let count = |kind: &str| actions.iter().filter(|a| a["kind"] == kind).count();
        // The fixture: seven institutions with a key each, and the first model as champion.
        assert_eq!(
            (
                count("institution_added"),
                count("key_issued"),
                count("champion_changed")
            ),
            (7, 7, 1)
        );
        assert!(
            actions
                .iter()
                .all(|a| a["by"] == "test" && a["leaf"].is_u64())
        );
        let key_id = h.revoke("bank2", "cli:alice").await;
        h.platform().append_admin_actions().await.unwrap();
        let (_, actions) = h.get("/v1/admin/actions?limit=1", "operator").await;
        let newest = &actions[0];
        assert_eq!(
            (newest["kind"].as_str(), newest["by"].as_str()),
            (Some("key_revoked"), Some("cli:alice"))
        );
        // The entry is in the ledger with the same facts.
        let leaf = newest["leaf"].as_u64().unwrap();
        let dir = h.dir.path().join("ledger");
        let entry = xinrong_ledger::Reader::open(&dir)
            .unwrap()
            .entry(leaf)
            .unwrap();
        match Entry::parse(&entry).unwrap() {
            Entry::KeyRevoked { key_id: k, by, .. } => {
                assert_eq!((k.as_str(), by.as_str()), (key_id.as_str(), "cli:alice"))
            }
            other => panic!("{other:?}"),
        }
        // Banks, guarantors and enterprises do not read the platform's own records.
        for who in ["bank", "guarantor", "ent0"] {
            assert_eq!(
                h.get("/v1/admin/actions", who).await.0,
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                h.get("/v1/ledger/unacknowledged", who).await.0,
                StatusCode::FORBIDDEN
            );
        }
    }
);

on_both_stores!(
    entries_logged_without_a_record_are_noted_as_unacknowledged_at_start,
    |mut h: Harness| async move {
        h.shutdown().await;
        // As if the process died between the ledger append and the record's commit.
        let dir = h.dir.path().join("ledger");
        let orphan = Entry::ScoreQuery {
            query_id: "q_0000000000000000000000000001".into(),
            institution: h.ids["bank"].clone(),
            enterprise: h.enterprises[0].parse().unwrap(),
            purpose: "pre_loan".into(),
            model_version: "v1".into(),
            score: 600.0,
            grade: "B".into(),
            inputs_hash: "sha256:00".into(),
            time: Entry::now(),
        };
        let at = dir.clone();
        let leaf = tokio::task::spawn_blocking(move || {
            let ledger = Ledger::open(&at).unwrap();
            ledger.append(orphan.to_canonical()).unwrap().leaf_index
        })
        .await
        .unwrap();
        h.restart().await;
        let mut found = Value::Null;
        for _ in 0..50 {
            let (_, list) = h.get("/v1/ledger/unacknowledged", "regulator").await;
            if list.as_array().is_some_and(|l| !l.is_empty()) {
                found = list;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(found[0]["leaf"].as_u64(), Some(leaf), "{found}");
        assert_eq!(found[0]["kind"], "score_query");
        assert_eq!(found[0]["ref_id"], "q_0000000000000000000000000001");
        let note_leaf = found[0]["note_leaf"].as_u64().unwrap();
        let note = xinrong_ledger::Reader::open(&dir)
            .unwrap()
            .entry(note_leaf)
            .unwrap();
        match Entry::parse(&note).unwrap() {
            Entry::EntriesUnacknowledged { leaves, .. } => assert_eq!(leaves, [leaf]),
            other => panic!("{other:?}"),
        }
        // Answered queries are not listed.
        h.grant("ent0", "bank", "pre_loan", &in_days(3)).await;
        assert_eq!(
            h.score("bank", &h.enterprises[0], "pre_loan").await.0,
            StatusCode::OK
        );
        h.restart().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (_, list) = h.get("/v1/ledger/unacknowledged", "regulator").await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    }
);

on_both_stores!(
    a_ledger_tampered_in_the_middle_is_caught_and_writes_stop,
    |mut h: Harness| async move {
        h.grant("ent0", "bank", "pre_loan", &in_days(3)).await;
        for _ in 0..3 {
            assert_eq!(
                h.score("bank", &h.enterprises[0], "pre_loan").await.0,
                StatusCode::OK
            );
        }
        h.shutdown().await;
        // Edit a byte inside an early entry: recovery (which looks at the tail) does not see it.
        let path = h.dir.path().join("ledger/entries.log");
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(6).position(|w| w == b"\"kind\"").unwrap() + 2;
        bytes[at] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
        h.restart().await;
        let mut ready = StatusCode::OK;
        for _ in 0..100 {
            ready = h.call(Method::GET, "/ready", None, None).await.0;
            if ready == StatusCode::SERVICE_UNAVAILABLE {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);
        let (s, b) = h.score("bank", &h.enterprises[0], "pre_loan").await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::SERVICE_UNAVAILABLE, "ledger_damaged"),
            "{b}"
        );
        let metrics = h.call(Method::GET, "/metrics", None, None).await.1;
        assert!(
            metrics
                .as_str()
                .unwrap()
                .contains("xinrong_ledger_audit_ok 0")
        );
        // Reads still work: the records are the database's.
        assert_eq!(h.get("/v1/queries", "bank").await.0, StatusCode::OK);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_https_with_the_given_certificate() {
    use rustls::pki_types::ServerName;
    use std::sync::Arc;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let acceptor = xinrong_server::tls_acceptor(&cert_path, &key_path).unwrap();
    let data = tempfile::tempdir().unwrap();
    let platform = xinrong_platform::Platform::open(
        data.path(),
        &xinrong_platform::db::default_url(data.path()),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(xinrong_server::serve(
        Arc::clone(&platform),
        listener,
        xinrong_server::ServeOptions {
            limits: Limits::default(),
            tls: Some(acceptor),
        },
        async move {
            let _ = stopped.await;
        },
    ));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 200") && text.contains("\"ok\""),
        "{text}"
    );
    // Plain HTTP to a TLS port gets no answer it could mistake for one.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut buf)).await;
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
    // A key file that is not a key is refused by name.
    let Err(err) = xinrong_server::tls_acceptor(&cert_path, &cert_path) else {
        panic!("a certificate is not a key");
    };
    let err = err.to_string();
    assert!(err.contains("cert.pem"), "{err}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    platform.close().await;
}
