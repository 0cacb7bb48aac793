//! Early warnings over HTTP on both stores: alerts routed when loaded to each institution with
//! a live post-loan consent, as episodes (one open alert per institution, enterprise and
//! signal, also under concurrent loads), acknowledged and resolved by each monitoring bank for
//! itself with every change in the ledger; and the callers and bodies that are refused.

mod common;

use chrono::NaiveDate;
use common::{Harness, Store, code, in_days};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xinrong_platform::alerts::{RaisedAlert, load};

fn raised(h: &Harness, ent: usize, signal: &str, level: &str, date: &str) -> RaisedAlert {
    RaisedAlert {
        date: date.parse::<NaiveDate>().unwrap(),
        uscc: h.enterprises[ent].parse().unwrap(),
        signal: signal.into(),
        level: level.into(),
        rule: format!("{signal}_{level}"),
        description: "a test rule".into(),
        evidence: "pd_rank=0.98".into(),
        action_en: "Review the file".into(),
        action_zh: "复核档案".into(),
        rules: "0123abcd".into(),
    }
}

async fn alerts(h: &Harness, who: &str, query: &str) -> Vec<Value> {
    let (s, v) = h.get(&format!("/v1/alerts{query}"), who).await;
    assert_eq!(s, StatusCode::OK, "{who} {query}: {v}");
    v["alerts"].as_array().unwrap().clone()
}

on_both_stores!(
    alerts_are_episodes_routed_under_post_loan_consent_and_acted_on,
    |h: Harness| async move {
        let pool = h.platform().pool().clone();
        // Routing happens at load: the bank monitors ent0 (post-loan); a pre-loan consent
        // routes nothing; ent1 is monitored by nobody (its alert is kept for the regulator).
        h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        h.grant("ent0", "bank2", "pre_loan", &in_days(30)).await;
        let (s, _) = h.grant("ent0", "bank", "post_loan", &in_days(30)).await;
        assert_eq!(s, StatusCode::CREATED);
        let batch = vec![
            raised(&h, 0, "model_score", "red", "2025-01-31"),
            raised(&h, 0, "overdue_elsewhere", "blue", "2025-01-31"),
            raised(&h, 1, "model_score", "yellow", "2025-01-31"),
        ];
        let done = load(&pool, &batch, "cli:ops").await.unwrap();
        assert_eq!((done.opened, done.updated), (3, 0));
        let seen = alerts(&h, "bank", "").await;
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(
            seen.iter()
                .all(|a| a["enterprise"] == h.enterprises[0].as_str()
                    && a["institution"] == h.ids["bank"].as_str())
        );
        assert!(alerts(&h, "bank2", "").await.is_empty());
        assert_eq!(alerts(&h, "regulator", "").await.len(), 3);
        // Paged: one at a time, in the list's order; an offset out of range is refused.
        let all = alerts(&h, "regulator", "").await;
        assert_eq!(all.len(), 3);
        for (i, alert) in all.iter().enumerate() {
            let one = alerts(&h, "regulator", &format!("?limit=1&offset={i}")).await;
            assert_eq!(one, vec![alert.clone()], "page {i}");
        }
        assert!(alerts(&h, "regulator", "?offset=3").await.is_empty());
        for bad in ["-1", "10001"] {
            let (s, v) = h
                .get(&format!("/v1/alerts?offset={bad}"), "regulator")
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
        }
        // The overview's counts by level agree with the list, in each caller's scope; an
        // enterprise gets none.
        for who in ["bank", "bank2", "regulator", "ent0"] {
            let by = h
                .platform()
                .access()
                .authenticate(&h.keys[who])
                .await
                .unwrap();
            let Ok(counts) = h.platform().open_alert_counts(&by).await else {
                assert_eq!(who, "ent0");
                continue;
            };
            let listed = alerts(&h, who, "?status=open").await;
            for level in ["red", "yellow", "blue"] {
                let n = listed.iter().filter(|a| a["level"] == level).count() as u64;
                assert_eq!(counts.get(level).copied().unwrap_or(0), n, "{who} {level}");
            }
        }
        let (s, v) = h.get("/v1/alerts", "ent0").await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::FORBIDDEN, "role"),
            "no tipping-off: {v}"
        );
        assert_eq!(alerts(&h, "bank", "?level=red").await.len(), 1);
        let other = format!("?enterprise={}", h.enterprises[1]);
        assert!(
            alerts(&h, "bank", &other).await.is_empty(),
            "not its enterprise"
        );
        let (s, _) = h.call(reqwest::Method::GET, "/v1/alerts", None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        // A second bank starts monitoring: the next load routes to both, each its own alert.
        h.grant("ent0", "bank2", "post_loan", &in_days(30)).await;
        // The signal fires again next month: the same alert, its level and month updated; an
        // older row changes nothing.
        let again = vec![raised(&h, 0, "model_score", "yellow", "2025-02-28")];
        let done = load(&pool, &again, "cli:ops").await.unwrap();
        assert_eq!(
            (done.updated, done.opened),
            (1, 1),
            "the bank's updated, bank2's opened"
        );
        assert_eq!(alerts(&h, "bank2", "").await.len(), 1);
        let stale = vec![raised(&h, 0, "model_score", "red", "2024-12-31")];
        assert_eq!(load(&pool, &stale, "cli:ops").await.unwrap().unchanged, 2);
        let model: Vec<Value> = alerts(&h, "bank", "")
            .await
            .into_iter()
            .filter(|a| a["signal"] == "model_score")
            .collect();
        assert_eq!(model.len(), 1);
        assert_eq!(
            (
                model[0]["level"].as_str(),
                model[0]["opened"].as_str(),
                model[0]["last_seen"].as_str()
            ),
            (Some("yellow"), Some("2025-01-31"), Some("2025-02-28"))
        );
        let id = model[0]["alert_id"].as_str().unwrap().to_string();

        // Concurrent loads of one new signal open one alert.
        let fresh = vec![raised(&h, 1, "tax_arrears", "blue", "2025-02-28")];
        let runs =
            futures_util::future::join_all((0..4).map(|_| load(&pool, &fresh, "cli:ops"))).await;
        let opened: u64 = runs.into_iter().map(|r| r.unwrap().opened).sum();
        assert_eq!(opened, 1);
        assert_eq!(
            alerts(&h, "regulator", &other)
                .await
                .iter()
                .filter(|a| a["signal"] == "tax_arrears")
                .count(),
            1
        );

        // Acting: only the bank it is routed to; bank2 (monitoring the same firm) cannot touch
        // it and others are refused by role.
        let ack = format!("/v1/alerts/{id}/acknowledge");
        let resolve = format!("/v1/alerts/{id}/resolve");
        let (s, v) = h.post(&ack, "bank2", json!({})).await;
        assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"), "{v}");
        for who in ["ent0", "regulator", "operator"] {
            let (s, v) = h.post(&ack, who, json!({})).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
        }
        let (s, v) = h
            .post(&ack, "bank", json!({"note": "calling the CFO"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "acknowledged");
        let (s, v) = h.post(&ack, "bank", json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let (s, v) = h.post(&resolve, "bank", json!({})).await;
        assert_eq!(
            (s, v["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("note")),
            "{v}"
        );
        let (s, v) = h.post(&resolve, "bank", json!({"note": "a\u{0}b"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "NUL: {v}");
        let (s, v) = h
            .post(&resolve, "bank", json!({"note": "x".repeat(2001)}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "too long: {v}");
        let (s, v) = h
            .post(
                &resolve,
                "bank",
                json!({"note": "restructured; collateral added", "x": 1}),
            )
            .await;
        assert!(s.is_client_error(), "unknown field: {v}");
        let (s, v) = h
            .post(
                &resolve,
                "bank",
                json!({"note": "restructured; collateral added"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["status"].as_str(), v["updated_by"].as_str()),
            (Some("resolved"), Some(h.ids["bank"].as_str()))
        );
        let (s, _) = h.post(&resolve, "bank", json!({"note": "again"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(alerts(&h, "bank", "?status=resolved").await.len(), 1);
        let theirs = alerts(&h, "bank2", "").await;
        assert_eq!(
            (theirs[0]["status"].as_str(), theirs[0]["note"].as_str()),
            (Some("open"), Some("")),
            "bank2's alert is its own, without the bank's note"
        );
        // Resolved is final: loading the same months again opens nothing for the bank (bank2's
        // open alert has seen them); the signal firing in a later month opens a new alert.
        let done = load(&pool, &again, "cli:ops").await.unwrap();
        assert_eq!((done.opened, done.unchanged), (0, 2));
        let later = vec![raised(&h, 0, "model_score", "red", "2025-03-31")];
        let done = load(&pool, &later, "cli:ops").await.unwrap();
        assert_eq!((done.opened, done.updated), (1, 1));

        // Every change is a ledger entry.
        h.platform().append_admin_actions().await.unwrap();
        let (_, actions) = h.get("/v1/admin/actions?limit=100", "regulator").await;
        let alert_actions = actions
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == "alert")
            .count();
        // 3 raised; 1 updated + 1 raised (bank2); 1 concurrent raise; acknowledged, resolved;
        // 1 raised (bank) + 1 updated (bank2).
        assert_eq!(alert_actions, 10, "{actions}");

        // Bodies that are not objects, two callers at once, a path that is not UTF-8.
        let id2 = alerts(&h, "bank2", "").await[0]["alert_id"]
            .as_str()
            .unwrap()
            .to_string();
        let ack2 = format!("/v1/alerts/{id2}/acknowledge");
        let (s, v) = h.post(&ack2, "bank2", json!(["a note"])).await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "an array is not the object: {v}"
        );
        let r = h
            .client
            .post(format!("{}{ack2}", h.base))
            .header("Authorization", format!("Bearer {}", h.keys["guarantor"]))
            .header("Authorization", format!("Bearer {}", h.keys["bank2"]))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "two Authorization headers"
        );
        let (s, v) = h
            .post("/v1/alerts/%FF%FE/acknowledge", "bank2", json!({}))
            .await;
        assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"), "{v}");
        // A note of several lines is fine; once the consent is revoked the alert is gone.
        let (s, v) = h
            .post(&ack2, "bank2", json!({"note": "called\nthe CFO"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let consent = h
            .get("/v1/consents", "ent0")
            .await
            .1
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["institution"] == h.ids["bank2"].as_str() && c["purpose"] == "post_loan")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, v) = h
            .post(&format!("/v1/consents/{consent}/revoke"), "ent0", json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(alerts(&h, "bank2", "").await.is_empty());
        let (s, _) = h
            .post(
                &format!("/v1/alerts/{id2}/resolve"),
                "bank2",
                json!({"note": "done"}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Bad queries and ids.
        for q in [
            "?status=closed",
            "?level=purple",
            "?limit=0",
            "?enterprise=nope",
        ] {
            let (s, v) = h.get(&format!("/v1/alerts{q}"), "regulator").await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {v}");
        }
        let (s, _) = h.get("/v1/alerts?colour=red", "regulator").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = h
            .post("/v1/alerts/al_zz/acknowledge", "bank", json!({}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

on_both_stores!(
    a_batch_naming_an_unregistered_enterprise_or_a_bad_level_loads_nothing,
    |h: Harness| async move {
        let pool = h.platform().pool().clone();
        let mut stranger = raised(&h, 0, "model_score", "red", "2025-01-31");
        stranger.uscc = common::fix_check("91110000MA0000000").parse().unwrap();
        let batch = vec![raised(&h, 0, "lawsuit", "blue", "2025-01-31"), stranger];
        let e = load(&pool, &batch, "cli:ops").await.unwrap_err();
        assert!(e.to_string().contains("not registered"), "{e}");
        let mut purple = raised(&h, 0, "model_score", "purple", "2025-01-31");
        assert!(load(&pool, &[purple.clone()], "cli:ops").await.is_err());
        purple.level = "red".into();
        purple.evidence = "x\u{0}y".into();
        assert!(load(&pool, &[purple], "cli:ops").await.is_err());
        assert!(alerts(&h, "regulator", "").await.is_empty());
    }
);
