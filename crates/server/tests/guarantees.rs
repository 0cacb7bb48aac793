//! Batch guarantees (见贷即保) and the loan book over HTTP on both stores: an agreement signed
//! by a guarantor, approved decisions guaranteed at once with a certificate and a receipt, never
//! past the capacity under concurrent calls, refused with every failed criterion; loans booked
//! from decisions, their events checked against the state, compensation moving the agreement's
//! rate; and the callers who may not.

mod common;

use chrono::{Days, Utc};
use common::{Harness, Store, approved, code, lenient_bank, sign, terms, verifier};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xinrong_ledger::{Entry, Receipt};

on_both_stores!(
    an_approved_loan_inside_the_agreement_is_guaranteed_at_once_and_never_past_capacity,
    |h: Harness| async move {
        let e0 = lenient_bank(&h).await;
        let (first, amount) = approved(&h, &e0, "app-0", "300000").await;
        // Room for two loans of this amount, not three.
        let agreement = sign(&h, terms(&h.ids["bank"], amount * 2.5)).await;
        let ask = |decision: &str, key: &str| json!({"agreement_id": agreement, "decision_id": decision, "request_key": key});
        let (s, g) = h.post("/v1/guarantees", "bank", ask(&first, "g-0")).await;
        assert_eq!(s, StatusCode::OK, "{g}");
        let r = &g["record"];
        assert_eq!(r["result"], "issued", "{r}");
        assert_eq!(r["certificate"]["covered"], "0.8");
        let receipt: Receipt = serde_json::from_value(g["receipt"].clone()).unwrap();
        receipt
            .verify(&verifier(&h).await)
            .expect("receipt verifies");
        assert!(matches!(
            Entry::parse(&receipt.entry).unwrap(),
            Entry::GuaranteeDecision { ref decision, .. } if decision == "issued"
        ));
        // A retry gets the same answer; another key for a decision already guaranteed is refused.
        let (s, body) = h
            .post("/v1/guarantees", "bank", ask(&first, "g-other"))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        let (_, again) = h.post("/v1/guarantees", "bank", ask(&first, "g-0")).await;
        assert_eq!(again["record"], g["record"]);
        // Five more approved loans asked for at once: exactly one more fits.
        let mut decisions = Vec::new();
        for k in 1..=5 {
            decisions.push(approved(&h, &e0, &format!("app-{k}"), "300000").await.0);
        }
        let calls = decisions
            .iter()
            .enumerate()
            .map(|(k, d)| h.post("/v1/guarantees", "bank", ask(d, &format!("g-{}", k + 1))));
        let results: Vec<String> = futures_util::future::join_all(calls)
            .await
            .into_iter()
            .map(|(s, g)| {
                assert_eq!(s, StatusCode::OK, "{g}");
                g["record"]["result"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            results.iter().filter(|r| *r == "issued").count(),
            1,
            "{results:?}"
        );
        assert_eq!(
            results.iter().filter(|r| *r == "capacity").count(),
            4,
            "{results:?}"
        );
        let (_, list) = h.get("/v1/agreements", "guarantor").await;
        let a = &list[0];
        let outstanding: f64 = a["outstanding"].as_str().unwrap().parse().unwrap();
        assert!((outstanding - 2.0 * amount).abs() < 0.01, "{a}");
        assert_eq!(a["certificates"], 2);
        // Concurrent duplicates of one request key get one answer, stored once.
        let (late, _) = approved(&h, &e0, "app-late", "300000").await;
        let dups = (0..6).map(|_| h.post("/v1/guarantees", "bank", ask(&late, "g-dup")));
        let answers: Vec<Value> = futures_util::future::join_all(dups)
            .await
            .into_iter()
            .map(|(s, g)| {
                assert_eq!(s, StatusCode::OK, "{g}");
                g["record"].clone()
            })
            .collect();
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
        assert_eq!(answers[0]["result"], "capacity");
        // The bank sees its agreement, the regulator every one, an enterprise none.
        assert_eq!(
            h.get("/v1/agreements", "bank")
                .await
                .1
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(h.get("/v1/agreements", "bank2").await.1, json!([]));
        assert_eq!(
            h.get("/v1/agreements", "regulator")
                .await
                .1
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            h.get("/v1/agreements", "ent0").await.0,
            StatusCode::FORBIDDEN
        );
    }
);

on_both_stores!(
    a_loan_outside_the_criteria_gets_every_failed_criterion_and_others_may_not_ask,
    |h: Harness| async move {
        let e0 = lenient_bank(&h).await;
        let (decision, _) = approved(&h, &e0, "app-x", "200000").await;
        let mut strict = terms(&h.ids["bank"], 1e8);
        strict["criteria"]["industries"] = json!(["C39"]);
        strict["criteria"]["max_pd"] = json!(0.000001);
        let agreement = sign(&h, strict).await;
        let ask = json!({"agreement_id": agreement, "decision_id": decision, "request_key": "k"});
        let (s, g) = h.post("/v1/guarantees", "bank", ask.clone()).await;
        assert_eq!(s, StatusCode::OK, "{g}");
        assert_eq!(g["record"]["result"], "criteria");
        let failed: Vec<&str> = g["record"]["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["criterion"].as_str().unwrap())
            .collect();
        assert_eq!(failed, ["pd", "industry"], "{g}");
        assert!(g["record"]["failed"][1]["reason_zh"].as_str().is_some());
        // Another bank cannot use the agreement; a guarantor or enterprise cannot ask.
        let mut other = ask.clone();
        other["request_key"] = json!("k2");
        assert_eq!(
            h.post("/v1/guarantees", "bank2", other.clone()).await.0,
            StatusCode::NOT_FOUND
        );
        for who in ["guarantor", "ent0", "regulator"] {
            let (s, body) = h.post("/v1/guarantees", who, other.clone()).await;
            assert_eq!((s, code(&body)), (StatusCode::FORBIDDEN, "role"), "{who}");
        }
        // Terms that cannot work, or a signer that is not a guarantor.
        let mut bad = terms(&h.ids["bank"], 1e6);
        bad["shares"]["government"] = json!("0.3");
        let (s, body) = h
            .post("/v1/agreements", "guarantor", json!({"terms": bad}))
            .await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("terms")),
            "{body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("shares add up to 1.1"),
            "{body}"
        );
        let not_a_bank = terms(&h.ids["guarantor"], 1e6);
        let (s, body) = h
            .post("/v1/agreements", "guarantor", json!({"terms": not_a_bank}))
            .await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("terms.bank")),
            "{body}"
        );
        let (s, _) = h
            .post(
                "/v1/agreements",
                "bank",
                json!({"terms": terms(&h.ids["bank"], 1e6)}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        for field in ["agreement_id", "decision_id", "request_key"] {
            let mut bad = ask.clone();
            bad[field] = json!("x\u{0}y");
            let (s, body) = h.post("/v1/guarantees", "bank", bad).await;
            assert_eq!(
                (s, body["error"]["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{body}"
            );
        }
    }
);

on_both_stores!(
    a_guaranteed_loan_lives_as_events_and_its_compensation_moves_the_rate,
    |h: Harness| async move {
        let e0 = lenient_bank(&h).await;
        let (decision, amount) = approved(&h, &e0, "app-l", "300000").await;
        let agreement = sign(&h, terms(&h.ids["bank"], 1e8)).await;
        let (_, g) = h
            .post(
                "/v1/guarantees",
                "bank",
                json!({"agreement_id": agreement, "decision_id": decision, "request_key": "g"}),
            )
            .await;
        let guarantee = g["record"]["guarantee_id"].as_str().unwrap().to_string();
        // The guarantee is listed for its guarantor, its bank and the regulator, with the
        // ledger entry of its answer; not for another bank; an enterprise may not list.
        for who in ["guarantor", "bank", "regulator"] {
            let (s, list) = h.get("/v1/guarantees", who).await;
            assert_eq!(s, StatusCode::OK, "{who}: {list}");
            let rows = list.as_array().unwrap();
            assert_eq!(rows.len(), 1, "{who}: {list}");
            assert_eq!(rows[0]["guarantee_id"], guarantee.as_str());
            assert_eq!(rows[0]["result"], "issued");
            assert_eq!(rows[0]["decision_id"], decision.as_str());
            assert_eq!(
                rows[0]["leaf_index"], g["receipt"]["leaf_index"],
                "{list} {g}"
            );
        }
        assert_eq!(h.get("/v1/guarantees", "bank2").await.1, json!([]));
        let (s, body) = h.get("/v1/guarantees", "ent0").await;
        assert_eq!((s, code(&body)), (StatusCode::FORBIDDEN, "role"), "{body}");
        let (s, _) = h.get("/v1/guarantees?limit=0", "guarantor").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _) = h.get("/v1/guarantees?before=x%00y", "guarantor").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let older = format!("/v1/guarantees?before={guarantee}");
        assert_eq!(h.get(&older, "guarantor").await.1, json!([]));
        // A loan brought onto the book 200 days ago, never repaid.
        let signed = Utc::now().date_naive() - Days::new(200);
        let (s, l) = h
            .post(
                "/v1/loans",
                "bank",
                json!({"decision_id": decision, "repayment": "equal_instalment", "guarantee_id": guarantee,
                       "contract_date": signed.to_string()}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{l}");
        assert_eq!(l["record"]["state"], "contracted");
        let loan = l["record"]["loan_id"].as_str().unwrap().to_string();
        let events = format!("/v1/loans/{loan}/events");
        // Booked once per decision.
        let (s, _) = h
            .post(
                "/v1/loans",
                "bank",
                json!({"decision_id": decision, "repayment": "interest_only"}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        // An event that does not fit the state is refused with the state.
        let (s, body) = h
            .post(
                &events,
                "bank",
                json!({"kind": "repaid", "amount": "100", "date": signed.to_string()}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("contracted"),
            "{body}"
        );
        let (s, d) = h
            .post(&events, "bank", json!({"kind": "disbursed", "amount": format!("{amount}"), "date": signed.to_string()}))
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let view = &d["record"];
        assert!(view["days_past_due"].as_u64().unwrap() > 90, "{view}");
        assert_eq!(view["category"], "substandard");
        assert_eq!(view["category_zh"], "次级");
        // The guarantor cannot compensate before the bank declares default; the bank cannot compensate.
        let (s, body) = h
            .post(&events, "bank", json!({"kind": "compensated"}))
            .await;
        assert_eq!((s, code(&body)), (StatusCode::FORBIDDEN, "role"), "{body}");
        let (s, body) = h
            .post(&events, "guarantor", json!({"kind": "compensated"}))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        let (s, _) = h
            .post(
                &events,
                "bank",
                json!({"kind": "defaulted", "reason": "170 days past due"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, c) = h
            .post(&events, "guarantor", json!({"kind": "compensated"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        assert_eq!(c["record"]["state"], "compensated");
        let paid: f64 = c["record"]["compensated"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let exposure: f64 = view["exposure"].as_str().unwrap().parse().unwrap();
        assert!(
            (paid - 0.8 * exposure).abs() < 1.0,
            "80% of the exposure: {paid} vs {exposure}"
        );
        let (_, list) = h.get("/v1/agreements", "guarantor").await;
        let rate: f64 = list[0]["compensation_rate"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let guaranteed: f64 = list[0]["guaranteed"].as_str().unwrap().parse().unwrap();
        assert!((rate - paid / guaranteed).abs() < 1e-5, "{}", list[0]);
        assert_eq!(
            list[0]["level"], "stopped",
            "one default on one loan is far past a 5% cap"
        );
        // The loan reads the same for its bank, its guarantor and the regulator; nobody else.
        let path = format!("/v1/loans/{loan}");
        let (s, back) = h.get(&path, "bank").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(back["events"].as_array().unwrap().len(), 6);
        assert_eq!(h.get(&path, "guarantor").await.0, StatusCode::OK);
        assert_eq!(h.get(&path, "regulator").await.0, StatusCode::OK);
        assert_eq!(h.get(&path, "bank2").await.0, StatusCode::NOT_FOUND);
        assert_eq!(h.get(&path, "ent0").await.0, StatusCode::FORBIDDEN);
        // The regulator's aggregates count the loan as compensated and the guarantee issued;
        // the bank sees its own.
        let (s, sum) = h.get("/v1/credit/summary", "regulator").await;
        assert_eq!(s, StatusCode::OK, "{sum}");
        assert_eq!(sum["loans"][0]["state"], "compensated", "{sum}");
        assert!(
            sum["guarantees"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["result"] == "issued")
        );
        // The book's trend: nothing before the loan, then its principal, non-performing
        // from the month-ends it was more than 90 days past due.
        let yuan = |v: &Value| v.as_str().unwrap().parse::<f64>().unwrap();
        let trend = sum["trend"].as_array().unwrap();
        assert_eq!(trend.len(), 12, "{sum}");
        for p in trend {
            let end: chrono::NaiveDate = p["month_end"].as_str().unwrap().parse().unwrap();
            if end < signed {
                assert_eq!(
                    (p["loans"].as_u64(), yuan(&p["outstanding"])),
                    (Some(0), 0.0),
                    "{p}"
                );
            } else if end < signed + Days::new(90) {
                assert!((yuan(&p["outstanding"]) - amount).abs() < 1.0, "{p}");
                assert_eq!(yuan(&p["non_performing"]), 0.0, "{p}");
            }
        }
        let last = trend.last().unwrap();
        assert_eq!(last["loans"], 1);
        assert!(
            (yuan(&last["non_performing"]) - amount).abs() < 1.0,
            "{last}"
        );
        // Its exposure sits under its borrower's grade today.
        let graded: Vec<&Value> = sum["exposure_by_grade"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["loans"] != 0)
            .collect();
        assert_eq!(graded.len(), 1, "{sum}");
        assert_ne!(graded[0]["grade"], "unscored", "{sum}");
        assert!(
            (yuan(&graded[0]["outstanding"]) - amount).abs() < 1.0,
            "{sum}"
        );
        let empty = h.get("/v1/credit/summary", "bank2").await.1;
        assert_eq!(empty["loans"], json!([]));
        assert!(
            empty["trend"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["loans"] == 0)
        );
        // The guarantor sees the loan under its agreement and its guarantee, not the bank's
        // decisions; an enterprise reads no aggregates.
        let (s, theirs) = h.get("/v1/credit/summary", "guarantor").await;
        assert_eq!(s, StatusCode::OK, "{theirs}");
        assert_eq!(theirs["loans"], sum["loans"], "{theirs}");
        assert_eq!(theirs["decisions"], json!([]), "{theirs}");
        assert!(!theirs["guarantees"].as_array().unwrap().is_empty());
        assert_eq!(
            h.get("/v1/credit/summary", "ent0").await.0,
            StatusCode::FORBIDDEN
        );
        // Events after a restart still fit: the loan is rebuilt from its events.
        let mut h = h;
        h.restart().await;
        let (s, r) = h
            .post(
                &events,
                "bank",
                json!({"kind": "recovered", "amount": "1000"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let (s, body) = h.post(&events, "bank", json!({"kind": "teleported"})).await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
        );
        let tomorrow = (Utc::now().date_naive() + Days::new(1)).to_string();
        let (s, _) = h
            .post(
                &events,
                "bank",
                json!({"kind": "recovered", "amount": "1", "date": tomorrow}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

on_both_stores!(
    many_parallel_calls_never_pass_the_capacity_and_the_stored_position_adds_up,
    |h: Harness| async move {
        let e0 = lenient_bank(&h).await;
        let mut decisions = Vec::new();
        let mut amount = 0.0;
        for k in 0..40 {
            let (d, a) = approved(&h, &e0, &format!("par-{k}"), "100000").await;
            decisions.push(d);
            amount = a;
        }
        // Room for 12 of the 40, and a second agreement of the same bank beside it.
        let agreement = sign(&h, terms(&h.ids["bank"], amount * 12.5)).await;
        let other = sign(&h, terms(&h.ids["bank"], amount * 100.0)).await;
        let ask = |a: &str, d: &str, key: String| json!({"agreement_id": a, "decision_id": d, "request_key": key});
        // Each decision asked for twice at once under two keys, once under each agreement:
        // 80 calls in flight.
        let calls = decisions.iter().enumerate().flat_map(|(k, d)| {
            [
                h.post(
                    "/v1/guarantees",
                    "bank",
                    ask(&agreement, d, format!("a-{k}")),
                ),
                h.post("/v1/guarantees", "bank", ask(&other, d, format!("b-{k}"))),
            ]
        });
        let answers = futures_util::future::join_all(calls).await;
        let mut issued_here = 0;
        let mut issued = std::collections::HashMap::new();
        for (s, g) in &answers {
            match *s {
                StatusCode::OK => {
                    let r = &g["record"];
                    if r["result"] == "issued" {
                        let d = r["decision_id"].as_str().unwrap().to_string();
                        assert!(
                            issued.insert(d, r.clone()).is_none(),
                            "guaranteed twice: {r}"
                        );
                        if r["agreement_id"] == agreement.as_str() {
                            issued_here += 1;
                        }
                    } else {
                        assert_eq!(r["result"], "capacity", "{r}");
                    }
                }
                // The other agreement's call came second for this decision.
                StatusCode::CONFLICT => assert!(
                    g["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("already guaranteed"),
                    "{g}"
                ),
                s => panic!("{s}: {g}"),
            }
        }
        assert_eq!(issued.len(), 40, "every decision guaranteed once");
        assert!(issued_here <= 12, "{issued_here} issued past the capacity");
        // The positions, read from the store after a restart, are the sums of the records.
        let mut h = h;
        h.restart().await;
        let (_, list) = h.get("/v1/agreements", "guarantor").await;
        for a in list.as_array().unwrap() {
            let id = a["agreement_id"].as_str().unwrap();
            let mine: Vec<&Value> = issued
                .values()
                .filter(|r| r["agreement_id"] == id)
                .collect();
            let sum: f64 = mine
                .iter()
                .map(|r| r["amount"].as_str().unwrap().parse::<f64>().unwrap())
                .sum();
            assert_eq!(a["certificates"], mine.len(), "{a}");
            let outstanding: f64 = a["outstanding"].as_str().unwrap().parse().unwrap();
            assert!((outstanding - sum).abs() < 0.01, "{a} against {sum}");
        }
        // After the restart a retried key answers its first guarantee; a new key for a
        // guaranteed decision is refused.
        let (d, r) = issued.iter().next().unwrap();
        let key = r["request_key"].as_str().unwrap().to_string();
        let a = r["agreement_id"].as_str().unwrap();
        let (s, again) = h.post("/v1/guarantees", "bank", ask(a, d, key)).await;
        assert_eq!(s, StatusCode::OK, "{again}");
        assert_eq!(&again["record"], r);
        let (s, _) = h
            .post("/v1/guarantees", "bank", ask(a, d, "fresh".into()))
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
    }
);
