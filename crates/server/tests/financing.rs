//! Financing answers over HTTP on both stores: products matched, credit limits, need signals
//! and offers pushed, each consent-checked like a score query, logged with a receipt whose
//! entry binds the answer, recorded as a query of its kind and probed as an attacker would.

mod common;

use common::{Harness, Store, code, in_days, load_facts, verifier};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use xinrong_ledger::{Entry, Receipt, canonical_json};

async fn a_match(h: &Harness, who: &str, enterprise: &str, need: Value) -> (StatusCode, Value) {
    h.post(
        "/v1/matches",
        who,
        json!({"enterprise": enterprise, "purpose": "pre_loan", "need": need}),
    )
    .await
}

on_both_stores!(
    a_match_ranks_products_explains_them_and_is_logged,
    |h: Harness| async move {
        load_facts(&h).await;
        let e0 = h.enterprises[0].clone();
        let (s, _) = h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, answer) = a_match(
            &h,
            "bank",
            &e0,
            json!({"purpose": "order_fulfilment", "amount": "1500000"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{answer}");
        assert_eq!(answer["kind"], "match");
        let f = &answer["financing"];
        let pd = f["facts"]["numbers"]["pd"].as_f64().unwrap();
        assert_eq!(pd, answer["pd"].as_f64().unwrap(), "the PD is the score's");
        let offers = f["offers"].as_array().unwrap();
        assert_eq!(offers.len(), 8, "every product is tried");
        let status = |p: &str| {
            offers.iter().find(|o| o["product"] == p).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_string()
        };
        // Products for other purposes are out; a product for the purpose is decided by its rules.
        assert_eq!(status("equipment_leasing"), "not_for_purpose");
        assert_eq!(status("ip_pledge"), "not_for_purpose");
        let order = offers
            .iter()
            .find(|o| o["product"] == "order_financing")
            .unwrap();
        if pd <= 0.15 {
            assert_eq!(order["status"], "eligible", "{order}");
            assert_eq!(
                f["best"], "order_financing",
                "made for the purpose comes first"
            );
            let limit: f64 = order["limit"]["amount"].as_str().unwrap().parse().unwrap();
            let offered: f64 = order["amount"].as_str().unwrap().parse().unwrap();
            assert_eq!(
                offered,
                limit.min(1_500_000.0),
                "the need, within the limit"
            );
            // The price adds up from its components, each with its basis.
            let price = &order["price"];
            let parts: f64 = price["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["rate"].as_str().unwrap().parse::<f64>().unwrap())
                .sum();
            let rate: f64 = price["rate"].as_str().unwrap().parse().unwrap();
            if price["bounded_by"].is_null() {
                assert!((parts - rate).abs() < 1e-4, "{price}");
            }
            assert!(!order["limit"]["measures"].as_array().unwrap().is_empty());
        } else {
            assert_eq!(order["status"], "refused", "{order}");
            let refusal = &order["refusals"][0];
            assert!(
                refusal["would_change"][0]
                    .as_str()
                    .unwrap()
                    .starts_with("pd")
            );
        }
        // Eligible offers come first, and no offer carries the engine's trace unless asked.
        let ranks: Vec<bool> = offers.iter().map(|o| o["status"] == "eligible").collect();
        assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");
        assert!(offers.iter().all(|o| o.get("trace").is_none()));

        // The receipt's entry binds the answer as recorded.
        let receipt: Receipt = serde_json::from_value(answer["receipt"].clone()).unwrap();
        receipt
            .verify(&verifier(&h).await)
            .expect("receipt verifies");
        match Entry::parse(&receipt.entry).unwrap() {
            Entry::FinancingQuery {
                query_id,
                institution,
                answer: kind,
                catalogue_version,
                answer_hash,
                ..
            } => {
                assert_eq!(query_id, answer["query_id"].as_str().unwrap());
                assert_eq!(institution, h.ids["bank"]);
                assert_eq!(kind, "match");
                assert_eq!(catalogue_version, f["catalogue"].as_str().unwrap());
                let want = format!("sha256:{}", hex::encode(Sha256::digest(canonical_json(f))));
                assert_eq!(answer_hash, want, "the entry binds the answer");
            }
            other => panic!("logged {other:?}"),
        }
        // The record reads back the same; the enterprise sees who matched it.
        let id = answer["query_id"].as_str().unwrap();
        let (s, again) = h.get(&format!("/v1/queries/{id}"), "bank").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(again["financing"], answer["financing"]);
        let (s, body) = h.get(&format!("/v1/queries/{id}"), "bank2").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
        let (_, seen) = h.get("/v1/portrait/queries", "ent0").await;
        assert_eq!(seen[0]["kind"], "match");
        assert_eq!(seen[0]["query_id"], id);

        // With the trace asked for, every decided product carries it.
        let (s, traced) = h
            .post(
                "/v1/matches",
                "bank",
                json!({"enterprise": e0, "purpose": "pre_loan", "trace": true}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{traced}");
        let decided = traced["financing"]["offers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["status"] == "eligible" || o["status"] == "refused")
            .count();
        let with_trace = traced["financing"]["offers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o.get("trace").is_some())
            .count();
        assert!(decided > 0 && with_trace == decided, "{traced}");

        // The enterprise asks about itself without a consent; about another, it is refused.
        let (s, own) = a_match(&h, "ent0", &e0, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{own}");
        assert_eq!(own["consent_id"], "self");
        let (s, body) = a_match(&h, "ent1", &e0, json!({})).await;
        assert_eq!((s, code(&body)), (StatusCode::FORBIDDEN, "role"), "{body}");
    }
);

on_both_stores!(
    missing_data_cannot_decide_and_is_never_eligible,
    |h: Harness| async move {
        let e1 = h.enterprises[1].clone();
        h.grant("ent1", "bank", "pre_loan", &in_days(30)).await;
        let (s, answer) = a_match(&h, "bank", &e1, json!({"purpose": "working_capital"})).await;
        assert_eq!(s, StatusCode::OK, "{answer}");
        let f = &answer["financing"];
        assert!(
            f["best"].is_null(),
            "nothing is granted on missing data: {f}"
        );
        let credit = f["offers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["product"] == "credit_loan")
            .unwrap();
        assert_eq!(credit["status"], "cannot_decide", "{credit}");
        let missing: Vec<&str> = credit["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert!(missing.contains(&"tax_rating"), "{missing:?}");
        assert_eq!(credit["amount"], "0");
    }
);

on_both_stores!(
    limits_show_every_measure_and_price_component,
    |h: Harness| async move {
        load_facts(&h).await;
        let e0 = h.enterprises[0].clone();
        h.grant("ent0", "guarantor", "guarantee", &in_days(30))
            .await;
        let ask = |product: &str, amount: Value| json!({"enterprise": e0, "purpose": "guarantee", "product": product, "amount": amount});
        let (s, answer) = h
            .post(
                "/v1/limits",
                "guarantor",
                ask("guaranteed_loan", json!(null)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{answer}");
        assert_eq!(answer["kind"], "limit");
        let offer = &answer["financing"]["offer"];
        let limit = &offer["limit"];
        let measures = limit["measures"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"));
        let least = measures
            .iter()
            .map(|m| m["allows"].as_str().unwrap().parse::<f64>().unwrap())
            .fold(f64::INFINITY, f64::min);
        let amount: f64 = limit["amount"].as_str().unwrap().parse().unwrap();
        assert!(amount <= least + 1.0, "the least measure binds: {limit}");
        assert!(
            measures
                .iter()
                .all(|m| !m["basis"].as_str().unwrap().is_empty()),
            "each measure says what it rests on: {limit}"
        );
        assert!(!offer["price"]["components"].as_array().unwrap().is_empty());

        // An unknown product, a bad amount, a purpose without consent.
        let (s, body) = h
            .post("/v1/limits", "guarantor", ask("payday_loan", json!(null)))
            .await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("product")),
            "{body}"
        );
        let (s, body) = h
            .post("/v1/limits", "guarantor", ask("credit_loan", json!("-5")))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (s, body) = h
            .post(
                "/v1/limits",
                "guarantor",
                json!({"enterprise": e0, "purpose": "pre_loan", "product": "credit_loan"}),
            )
            .await;
        assert_eq!(
            (s, code(&body)),
            (StatusCode::FORBIDDEN, "wrong_purpose"),
            "{body}"
        );
    }
);

on_both_stores!(
    financing_requests_are_refused_as_an_attacker_would_probe_them,
    |h: Harness| async move {
        load_facts(&h).await;
        let e0 = h.enterprises[0].clone();
        h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        // No key, a bad key: 401.
        let body = json!({"enterprise": e0, "purpose": "pre_loan"});
        let (s, _) = h
            .call(
                reqwest::Method::POST,
                "/v1/matches",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = h.post("/v1/matches", "xr_nope.nope", body.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Wrong roles, another bank without consent.
        for who in ["regulator", "operator"] {
            let (s, b) = h.post("/v1/matches", who, body.clone()).await;
            assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "role"), "{who}: {b}");
        }
        let (s, b) = h.post("/v1/matches", "bank2", body.clone()).await;
        assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "no_consent"), "{b}");
        // Malformed and hostile bodies: the field is named, both stores answer alike.
        for (bad, field) in [
            (
                json!({"enterprise": e0, "purpose": "pre_loan", "need": {"purpose": "yacht"}}),
                "need.purpose",
            ),
            (
                json!({"enterprise": e0, "purpose": "pre_loan", "need": {"purpose": "rnd\u{0}"}}),
                "need.purpose",
            ),
            (
                json!({"enterprise": e0, "purpose": "pre_loan", "need": {"amount": "0"}}),
                "need.amount",
            ),
            (
                json!({"enterprise": e0, "purpose": "pre_loan", "need": {"amount": "1e12"}}),
                "need.amount",
            ),
        ] {
            let (s, b) = h.post("/v1/matches", "bank", bad.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
            assert_eq!(b["error"]["field"], field, "{b}");
        }
        for bad in [
            json!({"enterprise": e0, "purpose": "pre_loan", "need": {"amount": "lots"}}),
            json!({"enterprise": e0, "purpose": "pre_loan", "surprise": 1}),
            json!({"enterprise": "91350100M000100Y4X", "purpose": "pre_loan"}),
            json!({"enterprise": e0}),
        ] {
            let (s, b) = h.post("/v1/matches", "bank", bad.clone()).await;
            assert!(
                s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {s} {b}"
            );
            assert!(b["error"]["code"].is_string(), "{b}");
        }
        let huge = "x".repeat(2 * 1024 * 1024);
        let (s, _) = h
            .post(
                "/v1/matches",
                "bank",
                json!({"enterprise": e0, "purpose": huge}),
            )
            .await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);

        // Concurrent duplicates: each is its own answer, each recorded and logged once.
        let asks = (0..40).map(|_| a_match(&h, "bank", &e0, json!({"purpose": "working_capital"})));
        let answers = futures_util::future::join_all(asks).await;
        let mut leaves: Vec<u64> = answers
            .iter()
            .map(|(s, a)| {
                assert_eq!(*s, StatusCode::OK, "{a}");
                a["leaf_index"].as_u64().unwrap()
            })
            .collect();
        leaves.sort_unstable();
        leaves.dedup();
        assert_eq!(leaves.len(), 40);
        let best: Vec<&Value> = answers
            .iter()
            .map(|(_, a)| &a["financing"]["best"])
            .collect();
        assert!(
            best.windows(2).all(|w| w[0] == w[1]),
            "same facts, same answer"
        );
        let (_, list) = h.get("/v1/queries?limit=1000", "bank").await;
        assert_eq!(list.as_array().unwrap().len(), 40);
    }
);

on_both_stores!(
    signals_are_served_and_shortfalls_pushed_as_offers,
    |h: Harness| async move {
        load_facts(&h).await;
        let e0 = h.enterprises[0].clone();
        let file = h.dir.path().join("signals.csv");
        std::fs::write(
            &file,
            format!(
                "uscc,as_of,signal,kind,purpose,severity,amount,from,to,balance,buffer,projected_1,projected_2,projected_3,sources\n\
                 {e0},2025-01-31,shortfall,order_won,order_fulfilment,0.8000,1200000,2025-02,2025-04,300000,500000,-100000,200000,400000,bank_txn+orders\n\
                 {e1},2025-01-31,none,shortfall,working_capital,0.0000,0,,2025-04,900000,500000,800000,850000,900000,bank_txn\n\
                 {e1},2024-12-31,no_data,,,,,,,,,,,,\n\
                 {e1},2025-13-31,none,shortfall,working_capital,0,0,,2025-04,1,1,1,1,1,bank_txn\n",
                e1 = h.enterprises[1]
            ),
        )
        .unwrap();
        let read = xinrong_platform::signals::read_signals(&file).unwrap();
        assert_eq!((read.signals.len(), read.no_data), (2, 1));
        assert_eq!(read.rejected.len(), 1, "{:?}", read.rejected);
        assert!(
            read.rejected[0].contains("line 5, as_of"),
            "{:?}",
            read.rejected
        );
        xinrong_platform::signals::load(h.platform().pool(), &read.signals)
            .await
            .unwrap();

        // Served under consent, with its evidence.
        let path = format!("/v1/signals?enterprise={e0}&purpose=pre_loan");
        let (s, b) = h.get(&path, "bank").await;
        assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "no_consent"), "{b}");
        h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        h.grant("ent0", "guarantor", "guarantee", &in_days(30))
            .await;
        let (s, b) = h.get(&path, "bank").await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let signal = &b["financing"]["signals"][0];
        assert_eq!(signal["kind"], "order_won");
        assert_eq!(signal["amount"], "1200000");
        assert_eq!(signal["evidence"]["sources"], json!(["bank_txn", "orders"]));
        for bad in ["&months=0", "&months=99", "&extra=1"] {
            let (s, _) = h.get(&format!("{path}{bad}"), "bank").await;
            assert!(s.is_client_error(), "{bad}: {s}");
        }

        // The shortfall is pushed once to each institution holding a live consent.
        let made = h.platform().push_offers(100).await.unwrap();
        assert_eq!(made, 2, "the bank and the guarantor");
        assert_eq!(h.platform().push_offers(100).await.unwrap(), 0, "once only");
        for who in ["bank", "guarantor"] {
            let (_, list) = h.get("/v1/queries", who).await;
            let offer = list
                .as_array()
                .unwrap()
                .iter()
                .find(|q| q["kind"] == "offer")
                .unwrap_or_else(|| panic!("{who} has an offer: {list}"));
            assert_eq!(offer["enterprise"], e0);
            assert_eq!(offer["financing"]["need"]["purpose"], "order_fulfilment");
            assert_eq!(offer["financing"]["signal"]["as_of"], "2025-01-31");
        }
        let (_, list) = h.get("/v1/queries", "bank2").await;
        assert_eq!(list.as_array().unwrap().len(), 0, "no consent, no offer");
        let (_, seen) = h.get("/v1/portrait/queries", "ent0").await;
        assert_eq!(
            seen.as_array()
                .unwrap()
                .iter()
                .filter(|q| q["kind"] == "offer")
                .count(),
            2,
            "the enterprise sees each offer made about it"
        );
    }
);

on_both_stores!(
    answers_rest_on_the_latest_snapshot_and_champion_not_on_what_was_kept,
    |h: Harness| async move {
        // The scored and explained enterprise is kept between answers; a new snapshot or a new
        // champion must be answered from, at once.
        load_facts(&h).await;
        let e0 = h.enterprises[0].clone();
        let (s, _) = h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        assert_eq!(s, StatusCode::CREATED);
        let need = json!({"purpose": "working_capital"});
        let (s, first) = a_match(&h, "bank", &e0, need.clone()).await;
        assert_eq!(s, StatusCode::OK, "{first}");
        let (_, again) = a_match(&h, "bank", &e0, need.clone()).await;
        assert_eq!(again["pd"], first["pd"]);
        let mut values = std::collections::BTreeMap::new();
        values.insert("cf_net_inflow_6m".to_string(), Some(-500.0));
        values.insert("ord_largest_won_3m".to_string(), Some(7_000_000.0));
        values.insert("ip_patents_granted".to_string(), Some(120.0));
        h.platform()
            .snapshots()
            .load(&[xinrong_platform::Snapshot {
                enterprise: e0.parse().unwrap(),
                as_of: "2025-02-28".parse().unwrap(),
                values,
            }])
            .await
            .unwrap();
        let (s, later) = a_match(&h, "bank", &e0, need.clone()).await;
        assert_eq!(s, StatusCode::OK, "{later}");
        assert_ne!(later["pd"], first["pd"], "the new snapshot is scored");
        assert_eq!(
            later["financing"]["facts"]["numbers"]["order_value"].as_f64(),
            Some(7_000_000.0),
            "the new snapshot's facts"
        );
        let v2 = xinrong_platform::Version::parse("name", "v2").unwrap();
        h.platform()
            .registry()
            .publish(&common::model_json(), &v2, common::groups(), "test", true)
            .await
            .unwrap();
        let (s, newest) = a_match(&h, "bank", &e0, need).await;
        assert_eq!(s, StatusCode::OK, "{newest}");
        assert_eq!(newest["model_version"], "v2", "the new champion answers");
        assert_eq!(first["model_version"], "v1");
    }
);
