//! Rescoring after an upload, on both stores: the upload's answer carries the enterprise's new
//! score and the one before; the new snapshot is what the next query scores; the change is in
//! the enterprise's history with the upload that caused it; the same bytes again rescore
//! nothing; and a recomputation that fails leaves the upload registered and the old snapshot
//! served. (`xinrong serve` recomputes with the indicator catalogue on DataFusion; the demo
//! test runs that end to end. Here a stand-in answers so each platform rule is checked alone.)

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use common::{Harness, Store};
use reqwest::StatusCode;
use serde_json::Value;
use xinrong_platform::{Recompute, RecomputeError, RecomputeFuture, RecomputeRequest, Recomputed};

/// Answers with a cash-flow indicator raised to 95 as of the latest snapshot's date, and
/// remembers what it was asked.
#[derive(Default)]
struct StandIn {
    fail: AtomicBool,
    asked: Mutex<Vec<Asked>>,
}

/// Enterprise, source, latest snapshot date and indicators of one request.
type Asked = (String, String, Option<NaiveDate>, Option<Vec<String>>);

impl Recompute for StandIn {
    fn recompute<'a>(&'a self, r: RecomputeRequest<'a>) -> RecomputeFuture<'a> {
        Box::pin(async move {
            self.asked.lock().unwrap().push((
                r.enterprise.to_string(),
                r.source.to_string(),
                r.not_before,
                r.indicators.clone(),
            ));
            assert!(r.store.ends_with("store"), "{}", r.store.display());
            if self.fail.load(Ordering::SeqCst) {
                return Err(RecomputeError("the store is unreadable".into()));
            }
            Ok(Recomputed {
                as_of: r.not_before.unwrap_or(r.today),
                values: BTreeMap::from([
                    ("cf_net_inflow_6m".to_string(), Some(95.0)),
                    ("ip_patents_granted".to_string(), Some(120.0)),
                ]),
            })
        })
    }
}

async fn upload(h: &Harness, uscc: &str, body: &str) -> (StatusCode, Value) {
    let r = h
        .client
        .post(format!("{}/v1/enterprises/{uscc}/data/bank_txn", h.base))
        .bearer_auth(&h.keys["operator"])
        .header("content-type", "text/csv")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    common::parse(r).await
}

fn rows(uscc: &str, tag: &str) -> String {
    format!(
        "uscc,txn_id,date,amount,direction,channel\n\
         {uscc},{tag}-1,2024-12-20,250000,in,transfer\n\
         {uscc},{tag}-2,2024-12-21,1000,out,online\n"
    )
}

on_both_stores!(
    an_upload_rescores_its_enterprise_at_once_and_keeps_the_change,
    |h: Harness| async move {
        let stand_in = Arc::new(StandIn::default());
        h.platform().set_rescorer(stand_in.clone());
        let uscc = h.enterprises[0].clone();
        let (s, before) = h.get("/v1/portrait", "ent0").await;
        assert_eq!(s, StatusCode::OK, "{before}");
        let old_score = before["current"]["score"].as_f64().unwrap();
        assert_eq!(before["rescorings"], serde_json::json!([]));

        let (s, b) = upload(&h, &uscc, &rows(&uscc, "t")).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let report = &b["report"];
        assert_eq!(report["accepted"], 2, "{b}");
        let rescored = &report["rescored"];
        assert_eq!(rescored["as_of"], "2024-12-31", "{b}");
        assert_eq!(rescored["indicators"], 2);
        assert_eq!(rescored["model_version"], "v1");
        assert_eq!(rescored["previous"]["score"].as_f64().unwrap(), old_score);
        let new_score = rescored["current"]["score"].as_f64().unwrap();
        // In the fixture's model a higher value of this indicator is riskier.
        assert!(
            new_score < old_score,
            "the new value scores lower: {old_score} -> {new_score}"
        );
        assert!(rescored["millis"].as_f64().unwrap() >= 0.0);
        // Asked for the enterprise, the source, the latest date and the snapshot's indicators.
        let asked = stand_in.asked.lock().unwrap().clone();
        assert_eq!(
            asked,
            [(
                uscc.clone(),
                "bank_txn".to_string(),
                Some("2024-12-31".parse().unwrap()),
                Some(vec![
                    "cf_net_inflow_6m".to_string(),
                    "ip_patents_granted".to_string()
                ])
            )]
        );

        // The next portrait scores the new snapshot and lists the change with its upload.
        let (_, after) = h.get("/v1/portrait", "ent0").await;
        assert_eq!(after["current"]["score"].as_f64().unwrap(), new_score);
        let change = &after["rescorings"][0];
        assert_eq!(change["cause"], report["asset_id"]);
        assert_eq!(change["current"], rescored["current"]);
        assert_eq!(change["previous"], rescored["previous"]);
        assert_eq!(after["rescorings"].as_array().unwrap().len(), 1);

        // The same bytes again: the first registration, nothing rescored.
        let (s, again) = upload(&h, &uscc, &rows(&uscc, "t")).await;
        assert_eq!(s, StatusCode::OK, "{again}");
        assert!(again["report"].get("rescored").is_none(), "{again}");
        assert_eq!(stand_in.asked.lock().unwrap().len(), 1);

        // A recomputation that fails: the upload stands, the reason is said without details,
        // and the snapshot served is unchanged.
        stand_in.fail.store(true, Ordering::SeqCst);
        let (s, failed) = upload(&h, &uscc, &rows(&uscc, "u")).await;
        assert_eq!(s, StatusCode::CREATED, "{failed}");
        assert_eq!(failed["report"]["accepted"], 2);
        let said = failed["report"]["rescore_error"].as_str().unwrap();
        assert!(said.contains("next batch load"), "{said}");
        assert!(
            !said.contains("unreadable"),
            "internal details stay in the log"
        );
        let (_, last) = h.get("/v1/portrait", "ent0").await;
        assert_eq!(last["current"]["score"].as_f64().unwrap(), new_score);
        assert_eq!(last["rescorings"].as_array().unwrap().len(), 1);

        // The same upload sent again once recomputing works: its rescoring was never stored,
        // so it is rescored now (a client retrying after a crash gets its new score); a third
        // time, nothing more.
        stand_in.fail.store(false, Ordering::SeqCst);
        let (s, retried) = upload(&h, &uscc, &rows(&uscc, "u")).await;
        assert_eq!(s, StatusCode::OK, "{retried}");
        assert_eq!(retried["report"]["asset_id"], failed["report"]["asset_id"]);
        assert!(
            retried["report"]["rescored"]["current"]["score"].is_number(),
            "{retried}"
        );
        let (_, third) = upload(&h, &uscc, &rows(&uscc, "u")).await;
        assert!(third["report"].get("rescored").is_none(), "{third}");
        let (_, last) = h.get("/v1/portrait", "ent0").await;
        assert_eq!(last["rescorings"].as_array().unwrap().len(), 2);
        assert_eq!(last["rescorings"][0]["cause"], failed["report"]["asset_id"]);

        // A bank's score query sees the rescored snapshot as well.
        h.grant("ent0", "bank", "pre_loan", &common::in_days(30))
            .await;
        let (s, q) = h.score("bank", &uscc, "pre_loan").await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert_eq!(q["score"].as_f64().unwrap(), new_score, "{q}");
    }
);

on_both_stores!(
    rows_rejected_whole_rescore_nothing,
    |h: Harness| async move {
        let stand_in = Arc::new(StandIn::default());
        h.platform().set_rescorer(stand_in.clone());
        let uscc = h.enterprises[0].clone();
        let other = h.enterprises[1].clone();
        // Every row is about another enterprise: quarantined, so nothing changed to rescore.
        let (s, b) = upload(&h, &uscc, &rows(&other, "x")).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["report"]["accepted"], 0, "{b}");
        assert!(b["report"].get("rescored").is_none(), "{b}");
        assert!(stand_in.asked.lock().unwrap().is_empty());
    }
);
