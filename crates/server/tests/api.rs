//! The platform API end to end over HTTP, on SQLite and on PostgreSQL: the same tests on both
//! stores (PostgreSQL via `XINRONG_TEST_PG_URL`).

mod common;

use common::{Harness, Store, in_days};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xinrong_ledger::{Entry, Receipt, VerifierKey};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

/// Asks `who` for `enterprise`'s score and asserts a 403 refusal with code `want`; the body.
async fn refused(h: &Harness, who: &str, enterprise: &str, purpose: &str, want: &str) -> Value {
    let (s, body) = h.score(who, enterprise, purpose).await;
    assert_eq!((s, code(&body)), (StatusCode::FORBIDDEN, want), "{body}");
    body
}

async fn verifier(h: &Harness) -> VerifierKey {
    let (s, head) = h
        .call(Method::GET, "/v1/ledger/checkpoint", None, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{head}");
    VerifierKey::decode(head["verifier_key"].as_str().unwrap()).unwrap()
}

on_both_stores!(
    score_query_under_consent_is_answered_logged_and_visible,
    |h: Harness| async move {
        let e0 = h.enterprises[0].clone();
        let (s, consent) = h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        assert_eq!(s, StatusCode::CREATED, "{consent}");
        let (s, answer) = h.score("bank", &e0, "pre_loan").await;
        assert_eq!(s, StatusCode::OK, "{answer}");
        // Score, PD, grade, reasons, ten-dimension and three-view sub-scores, snapshot date.
        let score = answer["score"].as_f64().unwrap();
        assert!(answer["pd"].as_f64().unwrap() > 0.0 && answer["pd"].as_f64().unwrap() < 1.0);
        assert!(
            ["A", "B", "C1", "C2", "C3", "D", "F"].contains(&answer["grade"].as_str().unwrap())
        );
        assert_eq!(answer["model_version"], "v1");
        assert_eq!(
            answer["snapshot_as_of"], "2024-12-31",
            "the latest snapshot is scored"
        );
        let covered = |key: &str| -> Vec<String> {
            answer[key]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["features"].as_u64().unwrap() > 0)
                .map(|d| d["code"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            answer["dimensions"].as_array().unwrap().len(),
            10,
            "all ten dimensions are reported"
        );
        assert_eq!(
            answer["views"].as_array().unwrap().len(),
            3,
            "and all three views"
        );
        assert_eq!(covered("dimensions"), ["cash_flow", "ip"]);
        assert_eq!(
            covered("views"),
            ["financial_health", "development_potential"]
        );
        assert!(
            answer["dimensions"][0]["level"].is_null(),
            "growth has no characteristic: no level"
        );
        let parts: f64 = answer["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["points"].as_f64().unwrap())
            .sum();
        let model = xinrong_scorecard::Scorecard::from_json(&common::model_json()).unwrap();
        assert!(
            (score - model.base_points - parts).abs() < 0.02,
            "dimension points add up to the score"
        );
        assert_eq!(answer["consent_id"], consent["consent"]["id"]);

        // The receipt proves the query entry with nothing but the ledger's public key.
        let receipt: Receipt = serde_json::from_value(answer["receipt"].clone()).unwrap();
        receipt
            .verify(&verifier(&h).await)
            .expect("receipt verifies");
        match Entry::parse(&receipt.entry).unwrap() {
            Entry::ScoreQuery {
                query_id,
                institution,
                enterprise,
                score: logged,
                ..
            } => {
                assert_eq!(query_id, answer["query_id"].as_str().unwrap());
                assert_eq!(institution, h.ids["bank"]);
                assert_eq!(enterprise.as_str(), e0);
                assert_eq!(logged, score);
            }
            other => panic!("logged {other:?}"),
        }

        // The bank sees its query; another bank and the guarantor get "not found"; a regulator sees all.
        let id = answer["query_id"].as_str().unwrap();
        let (s, own) = h.get(&format!("/v1/queries/{id}"), "bank").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(own["score"], answer["score"]);
        let r2: Receipt = serde_json::from_value(own["receipt"].clone()).unwrap();
        assert_eq!(r2.leaf_index, receipt.leaf_index);
        for other in ["bank2", "guarantor"] {
            let (s, body) = h.get(&format!("/v1/queries/{id}"), other).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{other}: {body}");
            let (s, body) = h.get("/v1/queries/q_doesnotexist", other).await;
            assert_eq!(
                s,
                StatusCode::NOT_FOUND,
                "absent and foreign look the same: {body}"
            );
            let (_, list) = h.get("/v1/queries", other).await;
            assert_eq!(
                list.as_array().unwrap().len(),
                0,
                "{other} sees no one else's queries"
            );
        }
        let (s, all) = h.get("/v1/queries", "regulator").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(all.as_array().unwrap().len(), 1);
        let (_, list) = h.get("/v1/queries", "bank").await;
        assert_eq!(list[0]["query_id"], id);

        // The enterprise sees who asked, when and why; its portrait has history and dimensions.
        let (s, portrait) = h.get("/v1/portrait", "ent0").await;
        assert_eq!(s, StatusCode::OK, "{portrait}");
        assert_eq!(portrait["queries"][0]["query_id"], id);
        assert_eq!(portrait["queries"][0]["institution_name"], "Bank A 甲银行");
        assert_eq!(portrait["queries"][0]["purpose"], "pre_loan");
        assert_eq!(portrait["history"].as_array().unwrap().len(), 2);
        assert_eq!(portrait["current"]["score"], answer["score"]);
        assert_eq!(portrait["live_consents"].as_array().unwrap().len(), 1);
        // The other enterprise's portrait shows none of it.
        let (_, other) = h.get("/v1/portrait", "ent1").await;
        assert_eq!(other["queries"].as_array().unwrap().len(), 0);

        // A named model version, and an unknown one.
        let (s, named) = h
            .post(
                "/v1/scores",
                "bank",
                json!({"enterprise": e0, "purpose": "pre_loan", "model_version": "v1"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{named}");
        assert_eq!(
            named["score"], answer["score"],
            "same inputs, same model: same score"
        );
        let (s, body) = h
            .post(
                "/v1/scores",
                "bank",
                json!({"enterprise": e0, "purpose": "pre_loan", "model_version": "v9"}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    }
);

on_both_stores!(
    consent_is_required_live_and_for_the_purpose,
    |mut h: Harness| async move {
        let e0 = h.enterprises[0].clone();
        let unregistered = h.enterprises[2].clone();
        // None given; an unregistered enterprise gets the very same answer.
        refused(&h, "bank", &e0, "pre_loan", "no_consent").await;
        refused(&h, "bank", &unregistered, "pre_loan", "no_consent").await;
        // Given for another purpose.
        h.grant("ent0", "bank", "in_loan", &in_days(10)).await;
        let body = refused(&h, "bank", &e0, "pre_loan", "wrong_purpose").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("in_loan")
        );
        // Given to another bank only.
        refused(&h, "bank2", &e0, "in_loan", "no_consent").await;
        // Granted, used, revoked (logged), refused.
        let (_, granted) = h.grant("ent0", "bank", "pre_loan", &in_days(10)).await;
        let id = granted["consent"]["id"].as_str().unwrap().to_string();
        assert_eq!(h.score("bank", &e0, "pre_loan").await.0, StatusCode::OK);
        // Only the enterprise that gave it may revoke it; to anyone else it does not exist.
        let (s, _) = h
            .post(&format!("/v1/consents/{id}/revoke"), "ent1", json!({}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, revoked) = h
            .post(&format!("/v1/consents/{id}/revoke"), "ent0", json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{revoked}");
        let receipt: Receipt = serde_json::from_value(revoked["receipt"].clone()).unwrap();
        receipt.verify(&verifier(&h).await).unwrap();
        assert!(matches!(
            Entry::parse(&receipt.entry).unwrap(),
            Entry::ConsentRevoked { .. }
        ));
        let (s, body) = h
            .post(&format!("/v1/consents/{id}/revoke"), "ent0", json!({}))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        refused(&h, "bank", &e0, "pre_loan", "consent_revoked").await;

        // Expiry: a consent whose last day has passed (written as if granted long ago).
        let (_, g) = h.grant("ent1", "guarantor", "guarantee", &in_days(1)).await;
        let gid = g["consent"]["id"].as_str().unwrap().to_string();
        h.shutdown().await;
        {
            let pool = xinrong_platform::db::connect(&h.db_url).await.unwrap();
            let yesterday = in_days(-1);
            // The test's own fixture write; the value is a date this test made.
            sqlx_update_expiry(&pool, &gid, &yesterday).await;
            pool.close().await;
        }
        h.restart().await;
        refused(
            &h,
            "guarantor",
            &h.enterprises[1],
            "guarantee",
            "consent_expired",
        )
        .await;
        // Consents survived the restart: the revoked one is still revoked, the in-loan one live.
        refused(&h, "bank", &e0, "pre_loan", "consent_revoked").await;
        assert_eq!(h.score("bank", &e0, "in_loan").await.0, StatusCode::OK);
        // Bad grants.
        let (s, body) = h.grant("ent0", "bank", "pre_loan", &in_days(-3)).await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("expires")),
            "{body}"
        );
        let (s, body) = h.grant("ent0", "bank", "marketing", &in_days(3)).await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("purpose")),
            "{body}"
        );
        let (s, body) = h.grant("ent0", "regulator", "pre_loan", &in_days(3)).await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("institution")),
            "{body}"
        );
        let (s, body) = h
            .post(
                "/v1/consents",
                "bank",
                json!({"institution": h.ids["bank"], "purpose": "pre_loan", "expires": in_days(3)}),
            )
            .await;
        assert_eq!(
            (s, code(&body)),
            (StatusCode::FORBIDDEN, "role"),
            "a bank cannot consent for an enterprise: {body}"
        );
        h.shutdown().await;
    }
);

async fn sqlx_update_expiry(pool: &xinrong_platform::AnyPool, id: &str, date: &str) {
    sqlx::query("UPDATE consents SET expires = $1 WHERE id = $2")
        .bind(date)
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
}

on_both_stores!(keys_and_roles_are_enforced, |h: Harness| async move {
    let e0 = h.enterprises[0].clone();
    h.grant("ent0", "bank", "pre_loan", &in_days(5)).await;
    let body = json!({"enterprise": e0, "purpose": "pre_loan"});
    let (s, b) = h
        .call(Method::POST, "/v1/scores", None, Some(body.clone()))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    for wrong in [
        "nonsense",
        "xr_k_0000000000000000.00",
        &format!("{}x", h.keys["bank"]),
    ] {
        let (s, b) = h
            .call(Method::POST, "/v1/scores", Some(wrong), Some(body.clone()))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{wrong}: {b}");
    }
    // Roles: enterprises, operators and regulators do not query scores; banks have no portrait.
    for who in ["ent0", "operator", "regulator"] {
        let (s, b) = h.post("/v1/scores", who, body.clone()).await;
        assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "role"), "{who}: {b}");
    }
    let (s, b) = h.get("/v1/portrait", "bank").await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "role"), "{b}");
    let (s, b) = h
        .post("/v1/enterprises", "bank", json!({"uscc": e0, "name": "x"}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "role"), "{b}");
    // A revoked key stops working at once.
    assert_eq!(h.score("bank", &e0, "pre_loan").await.0, StatusCode::OK);
    h.revoke("bank", "test").await;
    assert_eq!(
        h.score("bank", &e0, "pre_loan").await.0,
        StatusCode::UNAUTHORIZED
    );
    // Public endpoints.
    for path in [
        "/health",
        "/ready",
        "/openapi.json",
        "/v1/ledger/checkpoint",
    ] {
        assert_eq!(
            h.call(Method::GET, path, None, None).await.0,
            StatusCode::OK,
            "{path}"
        );
    }
});

on_both_stores!(bad_requests_name_the_field, |h: Harness| async move {
    let e0 = h.enterprises[0].clone();
    h.grant("ent0", "bank", "pre_loan", &in_days(5)).await;
    let cases = [
        (
            json!({"enterprise": "91350100M000100Y44", "purpose": "pre_loan"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "enterprise",
        ),
        (
            json!({"enterprise": "123", "purpose": "pre_loan"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "enterprise",
        ),
        (
            json!({"enterprise": e0, "purpose": "fun"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "purpose",
        ),
        (
            json!({"enterprise": e0, "purpose": "pre_loan", "extra": 1}),
            StatusCode::BAD_REQUEST,
            "extra",
        ),
        (
            json!({"purpose": "pre_loan"}),
            StatusCode::BAD_REQUEST,
            "enterprise",
        ),
        (
            json!({"enterprise": 5, "purpose": "pre_loan"}),
            StatusCode::BAD_REQUEST,
            "enterprise",
        ),
    ];
    for (body, status, field) in cases {
        let (s, b) = h.post("/v1/scores", "bank", body.clone()).await;
        assert_eq!(s, status, "{body}: {b}");
        assert_eq!(b["error"]["field"].as_str(), Some(field), "{body}: {b}");
        assert!(
            b["error"]["message"].as_str().unwrap().contains(field),
            "{b}"
        );
    }
    // Not JSON at all, or no content type.
    let r = h
        .client
        .post(format!("{}/v1/scores", h.base))
        .bearer_auth(&h.keys["bank"])
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (s, b) = common::parse(r).await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "bad_json"), "{b}");
    let r = h
        .client
        .post(format!("{}/v1/scores", h.base))
        .bearer_auth(&h.keys["bank"])
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Oversized.
    let big = json!({"enterprise": "x".repeat(xinrong_server_limit() + 10), "purpose": "pre_loan"});
    let (s, _) = h.post("/v1/scores", "bank", big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    // Unknown routes and the query-list limit.
    assert_eq!(h.get("/v2/nothing", "bank").await.0, StatusCode::NOT_FOUND);
    let (s, b) = h.get("/v1/queries?limit=0", "bank").await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
});

fn xinrong_server_limit() -> usize {
    xinrong_server::JSON_LIMIT
}

on_both_stores!(
    injection_and_path_strings_are_stored_verbatim_and_harm_nothing,
    |h: Harness| async move {
        let nasty = [
            "Robert'); DROP TABLE enterprises;--",
            "../../etc/passwd",
            "x' OR '1'='1",
            "名称\"; DELETE FROM consents; --",
            "%00\\0$1$2",
        ];
        let base = "9135010012345678";
        for (i, name) in nasty.iter().enumerate() {
            let uscc = common::fix_check(&format!("{base}{i}"));
            let (s, b) = h
                .post(
                    "/v1/enterprises",
                    "operator",
                    json!({"uscc": uscc, "name": name}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            assert_eq!(b["name"], *name);
            let inst = h
                .platform()
                .access()
                .add_institution(
                    name,
                    xinrong_platform::Kind::Enterprise,
                    Some(uscc.parse().unwrap()),
                    "test",
                )
                .await
                .unwrap();
            let key = h
                .platform()
                .access()
                .issue_key(&inst.id, "test")
                .await
                .unwrap();
            let (s, me) = h.call(Method::GET, "/v1/me", Some(&key.token), None).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(me["name"], *name, "stored and returned verbatim");
            let (s, p) = h
                .call(Method::GET, "/v1/portrait", Some(&key.token), None)
                .await;
            assert_eq!(s, StatusCode::OK, "{p}");
            assert_eq!(p["name"], *name);
            // As an id in a path it is simply not found; as an id in a field it is not an id.
            let (s, _) = h
                .get(&format!("/v1/queries/{}", urlencode(name)), "bank")
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND);
            let (s, b) = h
                .post(
                    "/v1/consents",
                    &key.token,
                    json!({"institution": name, "purpose": "pre_loan", "expires": in_days(3)}),
                )
                .await;
            assert_eq!(
                (s, b["error"]["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("institution")),
                "{b}"
            );
        }
        let (s, b) = h
            .post(
                "/v1/enterprises",
                "operator",
                json!({"uscc": common::fix_check(&format!("{base}0")), "name": "again"}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        // Everything still works: tables intact, consents and queries flow.
        h.grant("ent0", "bank", "pre_loan", &in_days(5)).await;
        assert_eq!(
            h.score("bank", &h.enterprises[0], "pre_loan").await.0,
            StatusCode::OK
        );
        assert_eq!(
            h.platform().access().institutions().await.unwrap().len(),
            7 + nasty.len()
        );
    }
);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

on_both_stores!(
    uploads_are_validated_quarantined_and_registered,
    |h: Harness| async move {
        // A real registry file from the generator, for its first enterprise, plus one bad row.
        let raw = tempfile::TempDir::new().unwrap();
        let cfg = xinrong_sources::GenConfig {
            enterprises: 3,
            months: 3,
            seed: 3,
            start: "2024-01-01".parse().unwrap(),
            faults: false,
        };
        xinrong_sources::generate(&cfg, raw.path(), |_| {}).unwrap();
        let text = std::fs::read_to_string(raw.path().join("registry.csv")).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let first = lines.next().unwrap();
        let uscc = first.split(',').next().unwrap().to_string();
        let (s, b) = h
            .post(
                "/v1/enterprises",
                "operator",
                json!({"uscc": uscc, "name": "Uploaded Co."}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let bad = first.replacen(&uscc, "91350100M000100Y44", 1);
        let body = format!("{header}\n{first}\n{bad}\n");
        let r = h
            .client
            .post(format!("{}/v1/enterprises/{uscc}/data/registry", h.base))
            .bearer_auth(&h.keys["operator"])
            .header("content-type", "text/csv")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (s, b) = common::parse(r).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["report"]["rows"], 2);
        assert_eq!(b["report"]["accepted"], 1);
        assert_eq!(
            b["report"]["quarantined"], 1,
            "the bad USCC row is quarantined, not dropped"
        );
        let q = h
            .dir
            .path()
            .join(b["report"]["quarantine_file"].as_str().unwrap());
        let quarantine = std::fs::read_to_string(&q).unwrap();
        assert!(quarantine.contains("uscc"), "{quarantine}");
        // The operator reads the quarantined row back, with its line, field and reason; a
        // bank may not, and another id is not found.
        let asset = b["report"]["asset_id"].as_str().unwrap();
        let p = h.platform();
        let operator = p.authenticate(&h.keys["operator"]).await.unwrap();
        let back = p.quarantine(&operator, asset).await.unwrap();
        assert_eq!((back.asset.quarantined, back.rows.len()), (1, 1));
        assert_eq!(
            (back.rows[0].line, back.rows[0].field.as_str()),
            (3, "uscc")
        );
        assert!(
            back.rows[0].value.contains("91350100M000100Y44"),
            "{:?}",
            back.rows[0]
        );
        assert!(!back.rows[0].reason.is_empty() && !back.truncated);
        let bank = p.authenticate(&h.keys["bank"]).await.unwrap();
        assert!(matches!(
            p.quarantine(&bank, asset).await,
            Err(xinrong_platform::PlatformError::Forbidden { code: "role", .. })
        ));
        assert!(matches!(
            p.quarantine(&operator, "da_nothing").await,
            Err(xinrong_platform::PlatformError::NotFound(_))
        ));
        let receipt: Receipt = serde_json::from_value(b["receipt"].clone()).unwrap();
        receipt.verify(&verifier(&h).await).unwrap();
        match Entry::parse(&receipt.entry).unwrap() {
            Entry::DataAssetRegistered {
                enterprise,
                schema,
                bytes,
                ..
            } => {
                assert_eq!(enterprise.as_str(), uscc);
                assert_eq!(schema, "registry");
                assert_eq!(bytes as usize, body.len());
            }
            other => panic!("{other:?}"),
        }
        // Unknown source, unregistered enterprise, wrong role.
        let post = |path: String, who: &'static str| {
            h.client
                .post(format!("{}{path}", h.base))
                .bearer_auth(&h.keys[who])
                .body(body.clone())
                .send()
        };
        let (s, b) = common::parse(
            post(format!("/v1/enterprises/{uscc}/data/weather"), "operator")
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("source")),
            "{b}"
        );
        let (s, _) = common::parse(
            post(
                format!("/v1/enterprises/{}/data/registry", h.enterprises[2]),
                "operator",
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = common::parse(
            post(format!("/v1/enterprises/{uscc}/data/registry"), "bank")
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);

on_both_stores!(
    operations_endpoints_describe_and_measure_the_service,
    |h: Harness| async move {
        let (s, doc) = h.call(Method::GET, "/openapi.json", None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/v1/scores",
            "/v1/consents",
            "/v1/consents/{id}/revoke",
            "/v1/portrait",
            "/v1/queries/{id}",
            "/health",
            "/metrics",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} documented");
        }
        assert!(doc["components"]["schemas"].get("ScoreRequest").is_some());
        // Every status the score route can send is documented, errors with their body schema.
        let responses = &doc["paths"]["/v1/scores"]["post"]["responses"];
        for status in [
            "200", "400", "401", "403", "408", "413", "415", "422", "503",
        ] {
            assert!(
                responses.get(status).is_some(),
                "/v1/scores documents {status}"
            );
        }
        assert!(
            responses["401"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .unwrap()
                .ends_with("ErrorBody")
        );
        h.score("bank", &h.enterprises[0], "pre_loan").await;
        let r = h
            .client
            .get(format!("{}/metrics", h.base))
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(
            text.contains(
                r#"xinrong_http_requests_total{method="POST",route="/v1/scores",status="403"}"#
            ),
            "{text}"
        );
        assert!(
            text.contains("xinrong_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(
            !text.contains(&h.enterprises[0]),
            "no identifiers in metrics"
        );
        let (s, models) = h.get("/v1/models", "bank").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(models[0]["version"], "v1");
        assert_eq!(models[0]["champion"], true);

        // Publishing through the API while serving: operator only, versions immutable, artifact checked.
        let artifact: Value = serde_json::from_str(&common::model_json()).unwrap();
        let body = json!({"name": "v2", "artifact": artifact, "champion": true});
        let (s, b) = h.post("/v1/models", "bank", body.clone()).await;
        assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "role"));
        let (s, b) = h.post("/v1/models", "operator", body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let receipt: Receipt = serde_json::from_value(b["receipt"].clone()).unwrap();
        assert!(matches!(
            Entry::parse(&receipt.entry).unwrap(),
            Entry::ModelPublished { .. }
        ));
        let (s, _) = h.post("/v1/models", "operator", body).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, b) = h
            .post(
                "/v1/models",
                "operator",
                json!({"name": "v3", "artifact": {"schema_version": "xinrong.scorecard/9"}}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("artifact")),
            "{b}"
        );
        let (_, models) = h.get("/v1/models", "bank").await;
        let champion: Vec<&str> = models
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["champion"] == true)
            .map(|m| m["version"].as_str().unwrap())
            .collect();
        assert_eq!(champion, ["v2"]);
        h.grant("ent0", "bank", "pre_loan", &in_days(3)).await;
        let (_, answer) = h.score("bank", &h.enterprises[0], "pre_loan").await;
        assert_eq!(
            answer["model_version"], "v2",
            "scoring uses the new champion"
        );
        // Its groups were not given: its characteristics count under `other`.
        assert_eq!(answer["dimensions"][10]["code"], "other");
        assert_eq!(answer["dimensions"][10]["features"], 2);
    }
);
