//! Credit decisions and decision flows over HTTP on both stores: decisions logged with their
//! digest, idempotent by request key (also under concurrent duplicates), consent- and
//! role-checked, another bank's decision not found; flow versions that need a second key,
//! go live as champion or challenger, and replay over recorded decisions; and the inputs an
//! attacker or a careless client would send.

mod common;

use common::{
    Harness, Store, approved, code, in_days, lenient_bank, load_facts, sign, terms, verifier,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xinrong_credit::flow::BUILTIN_FLOW;
use xinrong_ledger::{Entry, Ledger, Receipt};

fn application(enterprise: &str, key: &str) -> Value {
    json!({
        "enterprise": enterprise,
        "purpose": "pre_loan",
        "product": "credit_loan",
        "amount": "500000",
        "request_key": key,
    })
}

async fn ready(h: &Harness) -> String {
    load_facts(h).await;
    let e0 = h.enterprises[0].clone();
    let (s, body) = h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    e0
}

/// A second key of the bank: another officer (the checker).
async fn second_key(h: &Harness) -> String {
    h.platform()
        .access()
        .issue_key(&h.ids["bank"], "test")
        .await
        .unwrap()
        .token
}

on_both_stores!(
    a_decision_is_logged_with_its_digest_and_given_once_per_request_key,
    |h: Harness| async move {
        let e0 = ready(&h).await;
        let (s, answer) = h
            .post("/v1/decisions", "bank", application(&e0, "app-1"))
            .await;
        assert_eq!(s, StatusCode::OK, "{answer}");
        let d = &answer["decision"];
        assert!(["approve", "refer", "decline"].contains(&d["outcome"].as_str().unwrap()));
        assert_eq!(
            d["flow_version"], 0,
            "the built-in policy until the bank puts a flow live"
        );
        let pd = d["application"]["pd"].as_f64().unwrap();
        assert!(
            pd > 0.0 && pd < 1.0,
            "the model's PD is in the application: {d}"
        );
        assert!(d.get("trace").is_none(), "no trace unless asked");
        let amount: f64 = d["amount"].as_str().unwrap().parse().unwrap();
        if d["outcome"] == "approve" {
            let limit: f64 = d["application"]["limit"].as_str().unwrap().parse().unwrap();
            assert_eq!(amount, limit.min(500_000.0), "held to the limit");
        } else {
            assert_eq!(amount, 0.0);
            assert!(
                !d["findings"].as_array().unwrap().is_empty()
                    || !d["missing"].as_array().unwrap().is_empty()
            );
        }
        let receipt: Receipt = serde_json::from_value(answer["receipt"].clone()).unwrap();
        receipt
            .verify(&verifier(&h).await)
            .expect("receipt verifies");
        match Entry::parse(&receipt.entry).unwrap() {
            Entry::CreditDecision {
                decision_id,
                institution,
                digest,
                outcome,
                flow_version,
                ..
            } => {
                assert_eq!(decision_id, d["decision_id"].as_str().unwrap());
                assert_eq!(institution, h.ids["bank"]);
                assert_eq!(digest, d["digest"].as_str().unwrap());
                assert_eq!(outcome, d["outcome"].as_str().unwrap());
                assert_eq!(flow_version, 0);
            }
            other => panic!("logged {other:?}"),
        }
        // A retry gets the same decision; so do concurrent duplicates of a new key.
        let (s, again) = h
            .post("/v1/decisions", "bank", application(&e0, "app-1"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(again["decision"], answer["decision"]);
        let burst = (0..8).map(|_| h.post("/v1/decisions", "bank", application(&e0, "app-2")));
        let ids: Vec<Value> = futures_util::future::join_all(burst)
            .await
            .into_iter()
            .map(|(s, a)| {
                assert_eq!(s, StatusCode::OK, "{a}");
                a["decision"]["decision_id"].clone()
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
        assert_ne!(ids[0], d["decision_id"]);
        // With the trace when asked.
        let mut traced = application(&e0, "app-3");
        traced["trace"] = json!(true);
        let (_, t) = h.post("/v1/decisions", "bank", traced).await;
        assert!(t["decision"]["trace"].is_object(), "{t}");
        // Read back: the bank's own and the regulator's; nobody else's.
        let id = d["decision_id"].as_str().unwrap();
        let path = format!("/v1/decisions/{id}");
        let (s, back) = h.get(&path, "bank").await;
        assert_eq!((s, &back["decision"]), (StatusCode::OK, d));
        assert_eq!(h.get(&path, "regulator").await.0, StatusCode::OK);
        let (s, body) = h.get(&path, "bank2").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "another bank's: {body}");
        for other in ["guarantor", "ent0"] {
            let (s, body) = h.get(&path, other).await;
            assert_eq!(
                (s, code(&body)),
                (StatusCode::FORBIDDEN, "role"),
                "{other}: {body}"
            );
        }
        assert_eq!(
            h.get("/v1/decisions/d_%00abc", "bank").await.0,
            StatusCode::NOT_FOUND
        );
    }
);

on_both_stores!(
    decisions_are_refused_to_the_wrong_caller_and_to_malformed_applications,
    |h: Harness| async move {
        let e0 = ready(&h).await;
        let (s, body) = h
            .post("/v1/decisions", "bank2", application(&e0, "k"))
            .await;
        assert_eq!(
            (s, code(&body)),
            (StatusCode::FORBIDDEN, "no_consent"),
            "{body}"
        );
        for who in ["guarantor", "ent0", "regulator", "operator"] {
            let (s, body) = h.post("/v1/decisions", who, application(&e0, "k")).await;
            assert_eq!(
                (s, code(&body)),
                (StatusCode::FORBIDDEN, "role"),
                "{who}: {body}"
            );
        }
        let (s, _) = h
            .post("/v1/decisions", "no-key", application(&e0, "k"))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let bad = |field: &str, value: Value| {
            let mut a = application(&e0, "k-bad");
            a[field] = value;
            a
        };
        for (field, value) in [
            ("amount", json!("-5")),
            ("amount", json!("2000000000")),
            ("product", json!("magic_loan")),
            ("request_key", json!("a\u{0}b")),
            ("request_key", json!("")),
            ("request_key", json!("x".repeat(200))),
            ("term_months", json!(0)),
        ] {
            let (s, body) = h
                .post("/v1/decisions", "bank", bad(field, value.clone()))
                .await;
            assert_eq!(
                s,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}={value}: {body}"
            );
            assert_eq!(body["error"]["field"], field, "{body}");
        }
        let (s, _) = h
            .post("/v1/decisions", "bank", bad("surprise", json!(1)))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are refused");
        let (s, _) = h
            .post(
                "/v1/decisions",
                "bank",
                bad("enterprise", json!("91350100M000100Y4X")),
            )
            .await;
        assert!(s.is_client_error());
    }
);

fn strict_flow() -> Value {
    let text = BUILTIN_FLOW.replace("< 520", "< 1000");
    assert_ne!(text, BUILTIN_FLOW);
    serde_json::from_str(&text).unwrap()
}

on_both_stores!(
    a_flow_version_needs_a_second_key_then_decides_and_replays,
    |h: Harness| async move {
        let e0 = ready(&h).await;
        let checker = second_key(&h).await;
        // Decisions under the built-in policy, to replay later.
        for k in 0..3 {
            let (s, body) = h
                .post(
                    "/v1/decisions",
                    "bank",
                    application(&e0, &format!("before-{k}")),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{body}");
        }
        let (s, v) = h
            .post("/v1/flows", "bank", json!({"rules": strict_flow()}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (
                v["version"]["version"].as_u64(),
                v["version"]["status"].as_str()
            ),
            (Some(1), Some("draft"))
        );
        let receipt: Receipt = serde_json::from_value(v["receipt"].clone()).unwrap();
        assert!(matches!(
            Entry::parse(&receipt.entry).unwrap(),
            Entry::FlowVersion { version: 1, .. }
        ));
        // Not live yet, and its maker cannot approve it.
        let (s, body) = h.post("/v1/flows/1/promote", "bank", json!({})).await;
        assert_eq!(
            (s, code(&body)),
            (StatusCode::CONFLICT, "conflict"),
            "{body}"
        );
        let (s, body) = h.post("/v1/flows/1/approve", "bank", json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("cannot also approve"),
            "{body}"
        );
        // Another bank cannot see or approve it.
        assert_eq!(
            h.post("/v1/flows/1/approve", "bank2", json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(h.get("/v1/flows", "bank2").await.1, json!([]));
        // Replay the draft before it goes live: every approval it would lose, nothing written.
        let (s, diff) = h.post("/v1/flows/1/replay", "bank", json!({})).await;
        assert_eq!(s, StatusCode::OK, "{diff}");
        assert_eq!(diff["decisions"], 3);
        assert_eq!(diff["total"]["gained"]["count"], 0);
        let (s, v) = h.post("/v1/flows/1/approve", &checker, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["version"]["status"], "approved");
        let (s, v) = h.post("/v1/flows/1/promote", &checker, json!({})).await;
        assert_eq!(
            (s, v["version"]["status"].as_str()),
            (StatusCode::OK, Some("champion")),
            "{v}"
        );
        let (s, d) = h
            .post("/v1/decisions", "bank", application(&e0, "after-1"))
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["decision"]["flow_version"], 1);
        assert_eq!(d["decision"]["outcome"], "decline");
        assert!(
            d["decision"]["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "score_cutoff")
        );
        // A challenger takes its share; shares outside 1–50 are refused.
        let (_, v2) = h
            .post(
                "/v1/flows",
                &checker,
                json!({"rules": serde_json::from_str::<Value>(BUILTIN_FLOW).unwrap()}),
            )
            .await;
        assert_eq!(v2["version"]["version"], 2, "{v2}");
        assert_eq!(
            h.post("/v1/flows/2/approve", "bank", json!({})).await.0,
            StatusCode::OK
        );
        let (s, body) = h
            .post("/v1/flows/2/promote", "bank", json!({"share": 80}))
            .await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("share")),
            "{body}"
        );
        let (s, v) = h
            .post("/v1/flows/2/promote", "bank", json!({"share": 30}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (
                v["version"]["status"].as_str(),
                v["version"]["share"].as_u64()
            ),
            (Some("challenger"), Some(30))
        );
        let (_, list) = h.get("/v1/flows", "bank").await;
        let status: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["status"].as_str().unwrap())
            .collect();
        assert_eq!(status, ["champion", "challenger"]);
        // Versions are kept across a restart, and still decide.
        let mut h = h;
        h.restart().await;
        let (_, list) = h.get("/v1/flows", "bank").await;
        assert_eq!(list.as_array().unwrap().len(), 2);
        let (s, d) = h
            .post("/v1/decisions", "bank", application(&e0, "after-restart"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!([1, 2].contains(&d["decision"]["flow_version"].as_u64().unwrap()));
    }
);

on_both_stores!(
    flows_that_could_decide_wrongly_or_callers_that_may_not_are_refused,
    |h: Harness| async move {
        let unknown = BUILTIN_FLOW.replace("\"field\": \"score\"", "\"field\": \"credit_score\"");
        let (s, body) = h
            .post(
                "/v1/flows",
                "bank",
                json!({"rules": serde_json::from_str::<Value>(&unknown).unwrap()}),
            )
            .await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("rules")),
            "{body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("credit_score"),
            "{body}"
        );
        let (s, _) = h
            .post("/v1/flows", "bank", json!({"rules": {"nodes": []}}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _) = h
            .post("/v1/flows", "bank", json!({"rules": "not a graph"}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        for who in ["guarantor", "ent0", "regulator"] {
            assert_eq!(
                h.post("/v1/flows", who, json!({"rules": strict_flow()}))
                    .await
                    .0,
                StatusCode::FORBIDDEN,
                "{who}"
            );
            assert_eq!(
                h.get("/v1/flows", who).await.0,
                StatusCode::FORBIDDEN,
                "{who}"
            );
        }
        for path in [
            "/v1/flows/0/approve",
            "/v1/flows/x/approve",
            "/v1/flows/99999999999/promote",
        ] {
            let (s, body) = h.post(path, "bank", json!({})).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        }
        assert_eq!(
            h.post("/v1/flows/7/approve", "bank", json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        let (s, _) = h
            .post(
                "/v1/flows/1/replay",
                "bank",
                json!({"from": "2026-02-01", "to": "2026-01-01"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

/// Copies the stored row `id` of `table` (`id_column` its key, `leaf_column` its ledger leaf)
/// `n` times, with ids `{id}f{i}` (still hex) and leaves `from + i`: records a crash left committed
/// beside ledger entries that never became durable.
async fn copy_past_the_ledger(
    h: &Harness,
    (table, id_column, leaf_column): (&str, &str, &str),
    id: &str,
    from: u64,
    n: u64,
) {
    let pool = xinrong_platform::db::connect(&h.db_url).await.unwrap();
    let columns: Vec<String> = match sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(format!(
        "SELECT name FROM pragma_table_info('{table}')"
    )))
    .fetch_all(&pool)
    .await
    {
        Ok(rows) => rows.into_iter().map(|r| r.0).collect(),
        Err(_) => sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(format!(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_name = '{table}' AND table_schema = current_schema()"
        )))
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect(),
    };
    let select: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            c if c == id_column => format!("{c} || 'f' || i"),
            c if c == leaf_column => format!("{from} + i"),
            "request_key" => "request_key || '-lost-' || i".to_string(),
            c => c.to_string(),
        })
        .collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         INSERT INTO {table} ({columns}) SELECT {select} FROM {table}, n WHERE {id_column} = '{id}'",
        last = n - 1,
        columns = columns.join(", "),
        select = select.join(", "),
    )))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

/// The bank's score query and credit decision (request key `key`) on the first enterprise,
/// answered: the enterprise, the query's id and the decision's.
async fn a_query_and_a_decision(h: &Harness, key: &str) -> (String, String, String) {
    let e0 = ready(h).await;
    let (s, q) = h.score("bank", &e0, "pre_loan").await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let (s, d) = h.post("/v1/decisions", "bank", application(&e0, key)).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let query = q["query_id"].as_str().unwrap().to_string();
    let decision = d["decision"]["decision_id"].as_str().unwrap().to_string();
    (e0, query, decision)
}

const QUERIES: (&str, &str, &str) = ("score_queries", "id", "leaf");
const DECISIONS: (&str, &str, &str) = ("credit_decisions", "decision_id", "leaf_index");

on_both_stores!(
    records_whose_entry_was_not_durable_are_moved_aside_on_open,
    |h: Harness| async move {
        // Records are committed while their ledger entry is made durable. A crash between the
        // two leaves a record whose entry is lost and whose index the next entry takes: such
        // records are moved aside when the ledger is opened, before anything is appended.
        let (e0, query, decision) = a_query_and_a_decision(&h, "kept").await;
        let mut h = h;
        // The fixture's admin actions are appended now, not by the restarted server's first
        // tick, which would race the decision below for the lost index.
        h.platform().append_admin_actions().await.unwrap();
        h.shutdown().await;
        let size = Ledger::open(h.dir.path().join("ledger")).unwrap().size();
        copy_past_the_ledger(&h, QUERIES, &query, size, 1).await;
        copy_past_the_ledger(&h, DECISIONS, &decision, size + 1, 1).await;
        h.restart().await;
        for path in [
            format!("/v1/queries/{query}f0"),
            format!("/v1/decisions/{decision}f0"),
        ] {
            assert_eq!(
                h.get(&path, "bank").await.0,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        // Moved aside with what they held, not deleted.
        let moved: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT kind, record_id, leaf FROM unlogged_records ORDER BY leaf")
                .fetch_all(h.platform().pool())
                .await
                .unwrap();
        assert_eq!(
            moved,
            [
                ("score_query".to_string(), format!("{query}f0"), size as i64),
                (
                    "credit_decision".to_string(),
                    format!("{decision}f0"),
                    size as i64 + 1
                ),
            ]
        );
        // The lost decision's request key was never answered: it decides anew.
        let (s, again) = h
            .post("/v1/decisions", "bank", application(&e0, "kept-lost-0"))
            .await;
        assert_eq!(s, StatusCode::OK, "{again}");
        let receipt: Receipt = serde_json::from_value(again["receipt"].clone()).unwrap();
        assert_eq!(
            receipt.leaf_index, size,
            "the new entry takes the lost index"
        );
        // What was answered before stays, each with its own entry's receipt.
        for (path, id) in [
            (format!("/v1/queries/{query}"), &query),
            (format!("/v1/decisions/{decision}"), &decision),
        ] {
            let (s, body) = h.get(&path, "bank").await;
            assert_eq!(s, StatusCode::OK, "{body}");
            let receipt: Receipt = serde_json::from_value(body["receipt"].clone()).unwrap();
            assert!(receipt.entry.contains(id.as_str()), "{}", receipt.entry);
        }

        // More records past the ledger than it can have had in flight: this database is not
        // this ledger's. Nothing is dropped and the platform does not open.
        h.shutdown().await;
        let size = Ledger::open(h.dir.path().join("ledger")).unwrap().size();
        copy_past_the_ledger(&h, QUERIES, &query, size, xinrong_ledger::MAX_IN_FLIGHT + 1).await;
        let refused = xinrong_platform::Platform::open(h.dir.path(), &h.db_url)
            .await
            .err()
            .expect("a foreign ledger is refused");
        assert!(
            refused.to_string().contains("is this the ledger"),
            "{refused}"
        );
        let pool = xinrong_platform::db::connect(&h.db_url).await.unwrap();
        let (kept,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM score_queries WHERE leaf >= $1")
            .bind(size as i64)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(kept as u64, xinrong_ledger::MAX_IN_FLIGHT + 1);
        pool.close().await;
    }
);

on_both_stores!(
    a_guarantee_whose_entry_was_lost_is_moved_aside_and_its_room_given_back,
    |h: Harness| async move {
        // A guarantee is stored, with its agreement's position, while its entry is made
        // durable. A crash between the two leaves a record, and a position, that count a
        // guarantee nobody was told of: the next open moves it aside and gives its room back.
        let e0 = lenient_bank(&h).await;
        let (kept, amount) = approved(&h, &e0, "app-kept", "300000").await;
        let (lost, _) = approved(&h, &e0, "app-lost", "300000").await;
        let agreement = sign(&h, terms(&h.ids["bank"], amount * 10.0)).await;
        let ask = |decision: &str, key: &str| json!({"agreement_id": agreement, "decision_id": decision, "request_key": key});
        let position = |list: Value| {
            let a = &list[0];
            [&a["guaranteed"], &a["outstanding"], &a["certificates"]].map(Value::clone)
        };
        let (s, g) = h.post("/v1/guarantees", "bank", ask(&kept, "g-kept")).await;
        assert_eq!(s, StatusCode::OK, "{g}");
        let before = position(h.get("/v1/agreements", "guarantor").await.1);
        let (s, g) = h.post("/v1/guarantees", "bank", ask(&lost, "g-lost")).await;
        assert_eq!(
            (s, &g["record"]["result"]),
            (StatusCode::OK, &json!("issued"))
        );
        let lost_id = g["record"]["guarantee_id"].as_str().unwrap().to_string();
        let number = g["record"]["certificate"]["id"].clone();
        assert_ne!(
            position(h.get("/v1/agreements", "guarantor").await.1),
            before
        );
        let mut h = h;
        h.platform().append_admin_actions().await.unwrap();
        h.shutdown().await;
        // The crash: the second guarantee's entry never became durable.
        let size = Ledger::open(h.dir.path().join("ledger")).unwrap().size();
        let pool = xinrong_platform::db::connect(&h.db_url).await.unwrap();
        sqlx::query("UPDATE guarantees SET leaf_index = $1 WHERE guarantee_id = $2")
            .bind(size as i64)
            .bind(&lost_id)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        h.restart().await;
        assert_eq!(
            position(h.get("/v1/agreements", "guarantor").await.1),
            before,
            "the position no longer counts the lost guarantee"
        );
        let moved: Vec<(String, String)> =
            sqlx::query_as("SELECT kind, record_id FROM unlogged_records")
                .fetch_all(h.platform().pool())
                .await
                .unwrap();
        assert_eq!(moved, [("guarantee".to_string(), lost_id.clone())]);
        // Never answered: its request key guarantees anew, under the number it would have had,
        // with a receipt for its own entry.
        let (s, again) = h.post("/v1/guarantees", "bank", ask(&lost, "g-lost")).await;
        assert_eq!(s, StatusCode::OK, "{again}");
        let record = &again["record"];
        assert_eq!(record["result"], "issued", "{record}");
        assert_ne!(record["guarantee_id"], json!(lost_id));
        assert_eq!(record["certificate"]["id"], number);
        let receipt: Receipt = serde_json::from_value(again["receipt"].clone()).unwrap();
        receipt
            .verify(&verifier(&h).await)
            .expect("receipt verifies");
        assert!(
            receipt
                .entry
                .contains(record["guarantee_id"].as_str().unwrap()),
            "{}",
            receipt.entry
        );
        // The kept guarantee's retry answers what it answered.
        let (s, kept_again) = h.post("/v1/guarantees", "bank", ask(&kept, "g-kept")).await;
        assert_eq!(s, StatusCode::OK, "{kept_again}");
        assert_eq!(kept_again["record"]["result"], "issued");
    }
);

on_both_stores!(
    lists_show_a_record_once_its_entry_is_durable,
    |h: Harness| async move {
        // A query or decision is stored while its entry is made durable; until it is, the
        // record may yet be lost (and moved aside), so lists leave it out.
        let (_, query, decision) = a_query_and_a_decision(&h, "listed").await;
        // Copies whose entries are far past the log's durable end.
        copy_past_the_ledger(&h, QUERIES, &query, 1_000_000, 2).await;
        copy_past_the_ledger(&h, DECISIONS, &decision, 1_000_000, 2).await;
        let (s, list) = h.get("/v1/queries", "bank").await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let listed: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["query_id"].as_str().unwrap())
            .collect();
        assert_eq!(listed, [query.as_str()]);
        let bank = h
            .platform()
            .access()
            .institution(&h.ids["bank"])
            .await
            .unwrap();
        let page = xinrong_platform::Page::new(None, None).unwrap();
        let decisions = h.platform().decisions(&bank, &page).await.unwrap();
        let listed: Vec<&str> = decisions.iter().map(|d| d.decision_id.as_str()).collect();
        assert_eq!(listed, [decision.as_str()]);
    }
);
