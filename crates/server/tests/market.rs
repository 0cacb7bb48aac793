//! The market in aggregate over HTTP on both stores: enterprises registered with their industry,
//! counted by grade, province and industry section for regulators and the operator only, and
//! the probes an attacker would try.

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::{Harness, Store, code};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xinrong_platform::Snapshot;

/// The segment of `cut` with `code`.
fn segment<'a>(market: &'a Value, cut: &str, code: &str) -> &'a Value {
    market[cut]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == code)
        .unwrap_or_else(|| panic!("no {cut} segment {code:?} in {market}"))
}

on_both_stores!(
    the_market_is_counted_by_grade_province_and_industry,
    |h: Harness| async move {
        // The third fixture enterprise (Guangdong, 44) is registered with its industry; its
        // snapshot lacks a characteristic the champion needs, so it is counted, not scored.
        let third = h.enterprises[2].clone();
        // Read before each change: the aggregates are kept between reads, and each change
        // must show at the next.
        let (_, market) = h.get("/v1/market", "regulator").await;
        assert_eq!(market["enterprises"], 2, "{market}");
        h.platform()
            .snapshots()
            .load(&[Snapshot {
                enterprise: third.parse().unwrap(),
                as_of: "2024-12-31".parse::<NaiveDate>().unwrap(),
                values: BTreeMap::from([("cf_net_inflow_6m".to_string(), Some(25.0))]),
            }])
            .await
            .unwrap();
        let (_, market) = h.get("/v1/market", "regulator").await;
        assert_eq!(market["enterprises"], 3, "{market}");
        assert_eq!(segment(&market, "by_industry", "")["enterprises"], 3);
        let (status, body) = h
            .post(
                "/v1/enterprises",
                "operator",
                json!({"uscc": third, "name": "深圳芯片制造有限公司", "industry": "C3973"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["industry"], "C3973");

        let (status, market) = h.get("/v1/market", "regulator").await;
        assert_eq!(status, StatusCode::OK, "{market}");
        assert_eq!(market["enterprises"], 3, "{market}");
        assert_eq!(market["scored"], 2, "{market}");
        let graded: u64 = market["by_grade"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["count"].as_u64().unwrap())
            .sum();
        assert_eq!(graded, 2);
        let fujian = segment(&market, "by_region", "35");
        assert_eq!(
            (fujian["enterprises"].as_u64(), fujian["zh"].as_str()),
            (Some(2), Some("福建省"))
        );
        let guangdong = segment(&market, "by_region", "44");
        assert_eq!(guangdong["en"], "Guangdong");
        assert_eq!(guangdong["enterprises"], 1);
        assert_eq!(guangdong["scored"], 0);
        assert!(guangdong["mean_pd"].is_null() && guangdong["weak_share"].is_null());
        let manufacturing = segment(&market, "by_industry", "C");
        assert_eq!(
            (
                manufacturing["enterprises"].as_u64(),
                manufacturing["en"].as_str()
            ),
            (Some(1), Some("Manufacturing"))
        );
        let unknown = segment(&market, "by_industry", "");
        assert_eq!(unknown["enterprises"], 2, "signed up without an industry");
        // The whole market's mean PD is the segments' means weighted by their sizes.
        let weighted: f64 = market["by_region"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["mean_pd"].as_f64().unwrap_or(0.0) * s["scored"].as_f64().unwrap())
            .sum::<f64>()
            / 2.0;
        assert!(
            (weighted - market["mean_pd"].as_f64().unwrap()).abs() < 1e-12,
            "{market}"
        );
        // Counts and means only: no enterprise is named.
        assert!(!market.to_string().contains(&third), "{market}");

        // The operator reads it too; nobody else does.
        let (status, _) = h.get("/v1/market", "operator").await;
        assert_eq!(status, StatusCode::OK);
        for who in ["bank", "guarantor", "ent0"] {
            let (status, body) = h.get("/v1/market", who).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
            assert_eq!(code(&body), "role", "{body}");
        }
        let (status, _) = h.call(Method::GET, "/v1/market", None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
);

on_both_stores!(
    a_bad_industry_is_refused_with_its_field_and_registers_nothing,
    |h: Harness| async move {
        let third = h.enterprises[2].clone();
        for (industry, expected, why) in [
            (json!("Z12"), StatusCode::UNPROCESSABLE_ENTITY, "GB/T 4754"),
            (
                json!("C39730"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "GB/T 4754",
            ),
            (json!("C\u{0}1"), StatusCode::UNPROCESSABLE_ENTITY, "NUL"),
            (json!(3973), StatusCode::BAD_REQUEST, "expected a string"),
        ] {
            let (status, body) = h
                .post(
                    "/v1/enterprises",
                    "operator",
                    json!({"uscc": third, "name": "某公司", "industry": industry}),
                )
                .await;
            assert_eq!(status, expected, "{industry}: {body}");
            assert_eq!(body["error"]["field"], "industry", "{body}");
            assert!(body.to_string().contains(why), "{industry}: {body}");
        }
        // Nothing was registered: the same code with a good industry is new.
        let (status, body) = h
            .post(
                "/v1/enterprises",
                "operator",
                json!({"uscc": third, "name": "某公司", "industry": "M7320"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // A bank may not register enterprises, with or without an industry.
        let (status, _) = h
            .post(
                "/v1/enterprises",
                "bank",
                json!({"uscc": h.enterprises[0], "name": "某公司", "industry": "M7320"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
);
