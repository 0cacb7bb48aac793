//! The web console over HTTP, on both stores: sign-in exchanges a key for a session cookie,
//! pages answer only to a live session, every form needs the session's CSRF token, each role
//! sees only what the API would show it, and what the console changes the API sees at once.

mod common;

use common::{Harness, Store, in_days};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode, redirect::Policy};
use serde_json::Value;

/// A browser-like client that does not follow redirects (the tests look at them).
fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Signs in with `who`'s key; the session cookie (`name=value`).
async fn sign_in(h: &Harness, who: &str) -> String {
    let r = client()
        .post(format!("{}/console/sign-in", h.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("key={}", urlencode(&h.keys[who])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{who} signs in");
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: not Secure");
    set.split(';').next().unwrap().to_string()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn get(h: &Harness, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = client()
        .get(format!("{}{path}", h.base))
        .header(COOKIE, cookie)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    answer(r).await
}

async fn post(h: &Harness, cookie: &str, path: &str, form: &str) -> (StatusCode, String) {
    let r = client()
        .post(format!("{}{path}", h.base))
        .header(COOKIE, cookie)
        .header("accept-language", "en")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap();
    answer(r).await
}

/// The CSRF token of a page's forms.
/// A console answer: its status, and where it redirects or else its page.
async fn answer(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let location = r
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_string());
    let body = r.text().await.unwrap();
    (status, location.unwrap_or(body))
}

fn csrf_of(page: &str) -> String {
    let at = page
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("a form with a CSRF token in {page}"))
        + 19;
    page[at..at + 64].to_string()
}

on_both_stores!(sign_in_sessions_and_roles, |h: Harness| async move {
    // Without a session every page goes to the sign-in page; a wrong key is refused there.
    let (status, to) = get(&h, "", "/console/me").await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/console/sign-in?expired=1")
    );
    let r = client()
        .post(format!("{}/console/sign-in", h.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("key=xr_nope.nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(SET_COOKIE).is_none());
    // Behind a proxy that ends TLS, the session cookie is sent over HTTPS only.
    let r = client()
        .post(format!("{}/console/sign-in", h.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-proto", "https")
        .body(format!("key={}", urlencode(&h.keys["bank"])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly"),
        "{set}"
    );
    let (status, page) = get(&h, "session=forged; xr_session=0000", "/console/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");

    // A sign-in posted from another site is refused (login CSRF), whatever the key.
    for (header, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = client()
            .post(format!("{}/console/sign-in", h.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header(header, value)
            .body(format!("key={}", urlencode(&h.keys["bank"])))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{header}");
        assert!(r.headers().get(SET_COOKIE).is_none());
    }
    // The language switch returns only to a console page.
    for next in [
        "//evil.example",
        "/console/../v1/queries",
        "/console/%2e%2e/x",
        "https://x",
    ] {
        let (status, to) = get(
            &h,
            "",
            &format!("/console/lang/en?next={}", urlencode(next)),
        )
        .await;
        assert_eq!(
            (status, to.as_str()),
            (StatusCode::SEE_OTHER, "/console/"),
            "{next}"
        );
    }

    // The enterprise sees its own portrait, in the language it chose.
    let ent = sign_in(&h, "ent0").await;
    let (status, page) = get(&h, &ent, "/console/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&h.enterprises[0]) && page.contains("Ten dimensions"),
        "{page}"
    );
    let (_, zh) = get(&h, &format!("{ent}; xr_lang=zh"), "/console/me").await;
    assert!(zh.contains("十维评价"));
    assert!(
        zh.contains("2024年12月31日") && page.contains("31 Dec 2024"),
        "dates as each language writes them"
    );
    assert!(zh.contains("<svg"), "charts inline");
    // Pages of other roles are not there for it.
    let (status, _) = get(
        &h,
        &ent,
        &format!("/console/enterprises/{}", h.enterprises[1]),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&h, &ent, "/console/queries").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Opening an enterprise's page queries nothing; its button does. Without consent the
    // query is refused; with it, it is made, logged and receipted, and shown at its own page.
    let bank = sign_in(&h, "bank").await;
    let path = format!("/console/enterprises/{}?purpose=pre_loan", h.enterprises[0]);
    let (status, page) = get(&h, &bank, &path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, before) = h.get("/v1/queries", "bank").await;
    assert_eq!(
        before.as_array().unwrap().len(),
        0,
        "a page view is not a query"
    );
    let ask = format!("/console/enterprises/{}/query", h.enterprises[0]);
    let token = csrf_of(&page);
    let (status, page) = post(&h, &bank, &ask, &format!("csrf={token}&purpose=pre_loan")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    let (status, _) = post(&h, &bank, &ask, "purpose=pre_loan").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no token");
    h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
    let (status, to) = post(&h, &bank, &ask, &format!("csrf={token}&purpose=pre_loan")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (_, listed) = h.get("/v1/queries", "bank").await;
    let query_id = listed[0]["query_id"].as_str().unwrap().to_string();
    assert_eq!(to, format!("/console/queries/{query_id}"));
    let (status, page) = get(&h, &bank, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&query_id) && page.contains("data-test=\"score\""),
        "{page}"
    );
    assert!(
        page.contains("Ten dimensions") && page.contains("class=\"chart radar\""),
        "the sub-scores the record leaves out are restored from the model and snapshot: {page}"
    );
    // Another bank cannot open it: not found, exactly as in the API.
    let bank2 = sign_in(&h, "bank2").await;
    let (status, _) = get(&h, &bank2, &format!("/console/queries/{query_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The enterprise sees who queried it.
    let (_, page) = get(&h, &ent, "/console/me/queries").await;
    assert!(page.contains("Bank A 甲银行"), "{page}");

    // Every console answer, a malformed path included, carries the security headers.
    let r = client()
        .get(format!("{}/console/ledger/entries/abc", h.base))
        .header(COOKIE, &bank)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert!(r.headers().contains_key("content-security-policy"));
    assert_eq!(r.headers()["cache-control"], "no-store");

    // The regulator and the operator have their pages.
    for who in ["regulator", "operator"] {
        let c = sign_in(&h, who).await;
        for path in ["/console/", "/console/models", "/console/ledger"] {
            let (status, page) = get(&h, &c, path).await;
            assert_eq!(status, StatusCode::OK, "{who} {path}: {page}");
        }
        // The ledger's recent signed checkpoints; what was ingested and how good it is (a
        // quality issue as `xinrong quality` keeps it, in the page's words).
        let store = h.dir.path().join("store");
        std::fs::create_dir_all(&store).unwrap();
        std::fs::write(
            store.join("quality_issues.json"),
            r#"[{"id": 7, "source": "tax", "provider": "tax_bureau", "check": "timeliness",
                "value": 0.62, "status": "notified", "history": ["2026-12-01 notified: asked"]}]"#,
        )
        .unwrap();
        let (_, page) = get(&h, &c, "/console/ledger").await;
        assert!(page.contains("Signed checkpoints issued"), "{page}");
        let (status, page) = get(&h, &c, "/console/data").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for part in [
            "Sources and their freshness",
            "Quality issues",
            "Ingest history",
            "Timeliness",
            "Provider told",
            "62.00%",
        ] {
            assert!(page.contains(part), "{who} data: no {part}");
        }
        // Each published model's report, a document of its own that may style itself inline
        // but run nothing.
        let (_, page) = get(&h, &c, "/console/models").await;
        let report = page
            .split("href=\"")
            .filter_map(|p| p.split('"').next())
            .find(|href| href.ends_with("/report"))
            .unwrap_or_else(|| panic!("no report link: {page}"))
            .to_string();
        let r = client()
            .get(format!("{}{report}", h.base))
            .header(COOKIE, c.as_str())
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let policy = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            policy.contains("style-src 'unsafe-inline'") && !policy.contains("script-src"),
            "{policy}"
        );
        let body = r.text().await.unwrap();
        assert!(
            body.contains("Scorecard report") && body.contains("<svg"),
            "{body}"
        );
        let (status, _) = get(&h, &bank, &report).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a bank reads no model report"
        );
        let (status, _) = get(&h, &c, "/console/models/no-such-model/report").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The market: both fixture enterprises are registered in Fujian (35), none is named.
        let (status, page) = get(&h, &c, "/console/market").await;
        assert_eq!(status, StatusCode::OK, "{who} market: {page}");
        assert!(
            page.contains("Fujian") && page.contains(">35</code>"),
            "{page}"
        );
        assert!(
            !page.contains(&h.enterprises[0]),
            "no enterprise is named: {page}"
        );
    }
    // A bank has no market page: the same refusal as the API's.
    let (status, _) = get(&h, &bank, "/console/market").await;
    assert!(
        status.is_client_error(),
        "a bank reads no market aggregates: {status}"
    );

    // Sign-out ends the session: the same cookie no longer opens a page.
    let (_, page) = get(&h, &bank, "/console/").await;
    let (status, to) = post(
        &h,
        &bank,
        "/console/sign-out",
        &format!("csrf={}", csrf_of(&page)),
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/console/sign-in")
    );
    let (status, _) = get(&h, &bank, "/console/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A revoked key ends its sessions at once.
    let (status, _) = get(&h, &bank2, "/console/").await;
    assert_eq!(status, StatusCode::OK);
    h.revoke("bank2", "test").await;
    let (status, _) = get(&h, &bank2, "/console/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
});

on_both_stores!(forms_need_the_session_token, |h: Harness| async move {
    let ent = sign_in(&h, "ent0").await;
    let (_, granted) = h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
    let consent = granted["consent"]["id"].as_str().unwrap().to_string();
    let revoke = format!("/console/me/consents/{consent}/revoke");
    // Without the token, or with another session's, nothing happens.
    let other = sign_in(&h, "ent0").await;
    let (_, other_page) = get(&h, &other, "/console/me/consents").await;
    for form in [
        String::new(),
        "csrf=".into(),
        format!("csrf={}", csrf_of(&other_page)),
    ] {
        let (status, page) = post(&h, &ent, &revoke, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{form}: {page}");
    }
    let (status, answer) = h.score("bank", &h.enterprises[0], "pre_loan").await;
    assert_eq!(status, StatusCode::OK, "the consent is still live");
    let bank = sign_in(&h, "bank").await;
    let query_page = format!("/console/queries/{}", answer["query_id"].as_str().unwrap());
    let (_, page) = get(&h, &bank, &query_page).await;
    assert!(page.contains("data-test=\"consent-live\""), "{page}");
    // With it, the revocation is seen by the API at once.
    let (_, page) = get(&h, &ent, "/console/me/consents").await;
    assert!(page.contains(&consent));
    let token = csrf_of(&page);
    let (status, to) = post(&h, &ent, &revoke, &format!("csrf={token}")).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/console/me/consents")
    );
    let (status, body) = h.score("bank", &h.enterprises[0], "pre_loan").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // The query stays on record; its page says the consent behind it no longer holds.
    let (status, page) = get(&h, &bank, &query_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-test=\"consent-ended\""), "{page}");
    // Twice at once: one revocation, the other refused; nothing is revoked twice.
    let (_, g) = h.grant("ent0", "bank", "in_loan", &in_days(30)).await;
    let id = g["consent"]["id"].as_str().unwrap().to_string();
    let path = format!("/console/me/consents/{id}/revoke");
    let form = format!("csrf={token}");
    let (a, b) = tokio::join!(post(&h, &ent, &path, &form), post(&h, &ent, &path, &form));
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort();
    assert_eq!(statuses[0], 303, "{a:?} {b:?}");
    assert!(statuses[1] == 409 || statuses[1] == 303, "{a:?} {b:?}");
    let (_, consents) = h.get("/v1/consents", "ent0").await;
    let revoked: Vec<&Value> = consents
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id.as_str())
        .collect();
    assert_eq!(revoked.len(), 1);
    assert!(revoked[0]["revoked"].is_string());
    // A grant with a bad field says which, and grants nothing.
    let (status, page) = post(
        &h,
        &ent,
        "/console/me/consents",
        &format!("csrf={token}&institution=nobody&purpose=pre_loan&expires=2020-13-01"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("expires") || page.contains("institution"),
        "{page}"
    );
    // Oversized and malformed bodies are refused without effect.
    let big = format!("csrf={token}&receipt={}", "a".repeat(3 << 20));
    let (status, _) = post(&h, &ent, "/console/ledger", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = post(&h, &ent, "/console/ledger", "%%%").await;
    assert!(status.is_client_error());
});

on_both_stores!(
    receipts_check_in_the_ledger_explorer,
    |h: Harness| async move {
        h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        let (_, answer) = h.score("bank", &h.enterprises[0], "pre_loan").await;
        let receipt = answer["receipt"].to_string();
        let regulator = sign_in(&h, "regulator").await;
        let (_, page) = get(&h, &regulator, "/console/ledger").await;
        let token = csrf_of(&page);
        let (status, page) = post(
            &h,
            &regulator,
            "/console/ledger",
            &format!("csrf={token}&receipt={}", urlencode(&receipt)),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("data-test=\"receipt-ok\""), "{page}");
        // A receipt whose entry was altered by one character does not verify.
        let mut bad: Value = answer["receipt"].clone();
        let entry = bad["entry"]
            .as_str()
            .unwrap()
            .replacen("pre_loan", "pre_lean", 1);
        bad["entry"] = Value::String(entry);
        let (_, page) = post(
            &h,
            &regulator,
            "/console/ledger",
            &format!("csrf={token}&receipt={}", urlencode(&bad.to_string())),
        )
        .await;
        assert!(page.contains("data-test=\"receipt-bad\""), "{page}");
    }
);

on_both_stores!(
    the_portfolio_counts_what_the_consents_let_the_bank_see,
    |h: Harness| async move {
        let p = h.platform();
        let bank = p.authenticate(&h.keys["bank"]).await.unwrap();
        let empty = p.portfolio(&bank).await.unwrap();
        assert_eq!((empty.enterprises, empty.scored), (0, 0));
        h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        h.grant("ent0", "bank", "in_loan", &in_days(30)).await;
        h.grant("ent1", "bank", "post_loan", &in_days(30)).await;
        assert_eq!(p.warm_portfolio_scores().await.unwrap(), 2);
        let folio = p.portfolio(&bank).await.unwrap();
        assert_eq!(
            (folio.enterprises, folio.scored),
            (2, 2),
            "ent0 counted once"
        );
        // The grades and PDs are the score queries' own.
        let (_, a) = h.score("bank", &h.enterprises[0], "pre_loan").await;
        let (_, b) = h.score("bank", &h.enterprises[1], "post_loan").await;
        for answer in [&a, &b] {
            let grade = answer["grade"].as_str().unwrap();
            let n = folio
                .by_grade
                .iter()
                .find(|g| g.grade == grade)
                .unwrap()
                .count;
            let expected = [&a, &b].iter().filter(|x| x["grade"] == grade).count();
            assert_eq!(n, expected, "{grade}");
        }
        // Only the enterprise under post-loan monitoring is named; the other is only counted.
        assert_eq!(folio.riskiest.len(), 1, "{:?}", folio.riskiest);
        let named = &folio.riskiest[0];
        assert_eq!(named.enterprise, h.enterprises[1]);
        assert!((named.pd - b["pd"].as_f64().unwrap()).abs() < 1e-12);
        let mean = (a["pd"].as_f64().unwrap() + b["pd"].as_f64().unwrap()) / 2.0;
        assert!((folio.mean_pd.unwrap() - mean).abs() < 1e-12);
        // A newer snapshot is in the portfolio at once.
        let newer = xinrong_platform::Snapshot {
            enterprise: h.enterprises[1].parse().unwrap(),
            as_of: "2025-06-30".parse().unwrap(),
            values: std::collections::BTreeMap::from([
                ("cf_net_inflow_6m".to_string(), Some(99.0)),
                ("ip_patents_granted".to_string(), None),
            ]),
        };
        p.snapshots().load(&[newer]).await.unwrap();
        let after = p.portfolio(&bank).await.unwrap();
        let (_, c) = h.score("bank", &h.enterprises[1], "post_loan").await;
        let held = after
            .riskiest
            .iter()
            .find(|r| r.enterprise == h.enterprises[1])
            .unwrap();
        assert_eq!(held.as_of, "2025-06-30");
        assert!((held.pd - c["pd"].as_f64().unwrap()).abs() < 1e-12);
        // Another bank holds nothing; an enterprise has no portfolio.
        let bank2 = p.authenticate(&h.keys["bank2"]).await.unwrap();
        assert_eq!(p.portfolio(&bank2).await.unwrap().enterprises, 0);
        let ent = p.authenticate(&h.keys["ent0"]).await.unwrap();
        assert!(p.portfolio(&ent).await.is_err());
        // The overview shows it.
        let cookie = sign_in(&h, "bank").await;
        let (_, page) = get(&h, &cookie, "/console/").await;
        assert!(page.contains("data-test=\"portfolio\""), "{page}");
    }
);

on_both_stores!(
    search_finds_by_code_or_name_and_says_which_consents_are_held,
    |h: Harness| async move {
        let p = h.platform();
        let operator = p.authenticate(&h.keys["operator"]).await.unwrap();
        let name = xinrong_platform::Name::parse("name", "深圳某某科技有限公司 100%_tech").unwrap();
        let third = common::fix_check("91440300MA5FXT0K2");
        p.register_enterprise(&operator, &third.parse().unwrap(), &name, None)
            .await
            .unwrap();
        h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        let bank = sign_in(&h, "bank").await;
        let (status, page) = get(&h, &bank, "/console/search?q=%E7%A7%91%E6%8A%80").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&third) && page.contains("深圳某某科技"),
            "{page}"
        );
        // Wildcards are literal: "%" matches only a name that has one.
        let (_, page) = get(&h, &bank, "/console/search?q=0%25_").await;
        assert!(page.contains(&third), "{page}");
        let (_, page) = get(&h, &bank, "/console/search?q=%25%25").await;
        assert!(!page.contains(&h.enterprises[0]), "{page}");
        // By code prefix, with the consents the bank holds.
        let bank_inst = p.authenticate(&h.keys["bank"]).await.unwrap();
        let found = p
            .find_enterprises(&bank_inst, &h.enterprises[0][..10])
            .await
            .unwrap();
        let hit = found.iter().find(|f| f.uscc == h.enterprises[0]).unwrap();
        assert_eq!(hit.consents, ["pre_loan"]);
        let other = found.iter().find(|f| f.uscc == h.enterprises[1]);
        assert!(other.is_none_or(|o| o.consents.is_empty()));
        // A NUL byte is refused the same way on both stores; an enterprise may not search.
        let (status, _) = get(&h, &bank, "/console/search?q=ab%00cd").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let ent = sign_in(&h, "ent0").await;
        let (status, _) = get(&h, &ent, "/console/search?q=tech").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // The bank's enterprise page shows the history and the data received; the operator's
        // data page lists every upload.
        let (_, page) = get(&h, &bank, "/console/search?q=tech").await;
        let token = csrf_of(&page);
        let ask = format!("/console/enterprises/{}/query", h.enterprises[0]);
        let (status, to) = post(&h, &bank, &ask, &format!("csrf={token}&purpose=pre_loan")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
        let (status, page) = get(&h, &bank, &to).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Score history") && page.contains("<polyline"),
            "{page}"
        );
        let op = sign_in(&h, "operator").await;
        let (status, _) = get(&h, &op, "/console/data").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = get(&h, &bank, "/console/data").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // An upload with a bad row: the data page links its quarantine, which shows the row's
        // line, field, value and reason.
        let asset = common::upload_with_a_bad_row(&h).await;
        let (_, page) = get(&h, &op, "/console/data").await;
        assert!(page.contains(&format!("/console/data/{asset}")), "{page}");
        let (status, page) = get(&h, &op, &format!("/console/data/{asset}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains("91350100M000100Y44") && page.contains("<code>uscc</code>"),
            "{page}"
        );
        let (status, _) = get(&h, &bank, &format!("/console/data/{asset}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = get(&h, &op, "/console/data/da_none").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

on_both_stores!(
    financing_matches_from_the_enterprise_page,
    |h: Harness| async move {
        common::load_facts(&h).await;
        h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        let bank = sign_in(&h, "bank").await;
        let e0 = &h.enterprises[0];
        let (status, page) = get(
            &h,
            &bank,
            &format!("/console/enterprises/{e0}?purpose=pre_loan"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let token = csrf_of(&page);
        let path = format!("/console/enterprises/{e0}/matches");
        let (status, page) = post(
            &h,
            &bank,
            &path,
            &format!("csrf={token}&purpose=pre_loan&need=working_capital&amount="),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains("Eligible") || page.contains("Refused"),
            "{page}"
        );
        // The match is a query on the record, like the API's.
        let (_, listed) = h.get("/v1/queries", "bank").await;
        assert_eq!(listed[0]["kind"], "match", "{listed}");
        // Without the token, with a bad amount, or without consent: refused, nothing logged.
        let (status, _) = post(&h, &bank, &path, "purpose=pre_loan").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, page) = post(
            &h,
            &bank,
            &path,
            &format!("csrf={token}&purpose=pre_loan&amount=-5"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        let (status, _) = post(&h, &bank, &path, &format!("csrf={token}&purpose=in_loan")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, after) = h.get("/v1/queries", "bank").await;
        assert_eq!(
            after.as_array().unwrap().len(),
            listed.as_array().unwrap().len()
        );
    }
);

on_both_stores!(
    decisions_are_listed_for_their_bank_and_the_regulator_only,
    |h: Harness| async move {
        common::load_facts(&h).await;
        h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        let application = serde_json::json!({
            "enterprise": h.enterprises[0], "purpose": "pre_loan", "product": "guaranteed_loan",
            "amount": "300000", "request_key": "console-1"});
        let (s, answer) = h.post("/v1/decisions", "bank", application).await;
        assert_eq!(s, StatusCode::OK, "{answer}");
        let id = answer["decision"]["decision_id"]
            .as_str()
            .unwrap()
            .to_string();
        let outcome = answer["decision"]["outcome"].as_str().unwrap().to_string();
        let bank = sign_in(&h, "bank").await;
        let (status, page) = get(&h, &bank, "/console/decisions").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&id), "{page}");
        let (status, page) = get(&h, &bank, &format!("/console/decisions/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        let shown = match outcome.as_str() {
            "approve" => "Approve",
            "refer" => "Refer",
            _ => "Decline",
        };
        assert!(
            page.contains(&format!("data-test=\"outcome\">{shown}<")),
            "{page}"
        );
        let (status, _) = get(&h, &bank, "/console/flows").await;
        assert_eq!(status, StatusCode::OK);
        // Another bank: not in its list, and not found; the regulator sees it; a guarantor
        // has no decisions.
        let bank2 = sign_in(&h, "bank2").await;
        let (_, page) = get(&h, &bank2, "/console/decisions").await;
        assert!(!page.contains(&id));
        let (status, _) = get(&h, &bank2, &format!("/console/decisions/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let regulator = sign_in(&h, "regulator").await;
        let (_, page) = get(&h, &regulator, "/console/decisions").await;
        assert!(page.contains(&id));
        let guarantor = sign_in(&h, "guarantor").await;
        let (status, _) = get(&h, &guarantor, "/console/decisions").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A malformed page cursor is a 422, not an error page of the server's.
        let (status, _) = get(&h, &bank, "/console/decisions?before=%00").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

on_both_stores!(
    the_portrait_says_what_the_next_better_bin_would_add,
    |h: Harness| async move {
        let (status, portrait) = h.get("/v1/portrait", "ent0").await;
        assert_eq!(status, StatusCode::OK, "{portrait}");
        let improvements = portrait["improvements"].as_array().unwrap();
        assert!(!improvements.is_empty(), "{portrait}");
        let mut with_next = 0;
        for i in improvements {
            let best = i["points_to_gain"].as_f64().unwrap();
            if let Some(next) = i["next_bin_gain"].as_f64() {
                with_next += 1;
                assert!(next > 0.0 && next <= best + 1e-9, "{i}");
                assert!(i["next_bin"].is_string(), "{i}");
            }
        }
        assert!(with_next > 0, "{portrait}");
        let ent = sign_in(&h, "ent0").await;
        let (_, page) = get(&h, &ent, "/console/me").await;
        assert!(page.contains("data-test=\"next-bin\"><code>"), "{page}");
    }
);

on_both_stores!(
    the_regulator_browses_ledger_entries_with_receipts,
    |h: Harness| async move {
        h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
        let (_, answer) = h.score("bank", &h.enterprises[0], "pre_loan").await;
        let leaf = answer["receipt"]["leaf_index"].as_u64().unwrap();
        let regulator = sign_in(&h, "regulator").await;
        let (status, page) = get(&h, &regulator, "/console/ledger").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!("/console/ledger/entries/{leaf}\"")),
            "{page}"
        );
        // The entry's page holds its text and a receipt that verifies.
        let mut entry = (StatusCode::SERVICE_UNAVAILABLE, String::new());
        for _ in 0..50 {
            entry = get(&h, &regulator, &format!("/console/ledger/entries/{leaf}")).await;
            if entry.0 == StatusCode::OK {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(entry.0, StatusCode::OK, "{}", entry.1);
        assert!(entry.1.contains("score_query"), "{}", entry.1);
        // Others verify receipts but do not browse entries; an index past the end is 404.
        let bank = sign_in(&h, "bank").await;
        let (_, page) = get(&h, &bank, "/console/ledger").await;
        assert!(!page.contains("/console/ledger/entries/"));
        let (status, _) = get(&h, &bank, &format!("/console/ledger/entries/{leaf}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = get(&h, &regulator, "/console/ledger/entries/99999999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = get(&h, &regulator, "/console/ledger/entries/-1").await;
        assert!(status.is_client_error());
    }
);

on_both_stores!(
    alerts_are_acknowledged_and_resolved_from_the_console,
    |h: Harness| async move {
        use xinrong_platform::alerts::{RaisedAlert, load};
        h.grant("ent0", "bank", "post_loan", &in_days(30)).await;
        let alert = RaisedAlert {
            date: "2025-01-31".parse().unwrap(),
            uscc: h.enterprises[0].parse().unwrap(),
            signal: "model_score".into(),
            level: "red".into(),
            rule: "model_red".into(),
            description: "a test rule".into(),
            evidence: "pd_rank=0.98".into(),
            action_en: "Review the file".into(),
            action_zh: "复核档案".into(),
            rules: "0123abcd".into(),
        };
        load(h.platform().pool(), &[alert], "test").await.unwrap();
        let bank = sign_in(&h, "bank").await;
        let (_, page) = get(&h, &bank, "/console/alerts").await;
        assert!(page.contains("data-test=\"alert-act\""), "{page}");
        let (_, listed) = h.get("/v1/alerts", "bank").await;
        let id = listed["alerts"][0]["alert_id"]
            .as_str()
            .unwrap()
            .to_string();
        let token = csrf_of(&page);
        let path = format!("/console/alerts/{id}");
        // Without the token, or with an act that does not exist: nothing changes.
        let (status, _) = post(&h, &bank, &path, "act=resolve&note=x").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = post(&h, &bank, &path, &format!("csrf={token}&act=delete&note=x")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // Another bank cannot act on it.
        let bank2 = sign_in(&h, "bank2").await;
        let (_, other) = get(&h, &bank2, "/console/alerts").await;
        let (status, _) = post(
            &h,
            &bank2,
            &path,
            &format!("csrf={}&act=resolve&note=x", csrf_of(&other)),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, open) = h.get("/v1/alerts?status=open", "bank").await;
        assert_eq!(open["alerts"].as_array().unwrap().len(), 1);
        // Acknowledged, then resolved with a note: the API sees each at once.
        let (status, to) = post(
            &h,
            &bank,
            &path,
            &format!("csrf={token}&act=acknowledge&note=calling+the+firm"),
        )
        .await;
        assert_eq!(
            (status, to.as_str()),
            (StatusCode::SEE_OTHER, "/console/alerts?status=acknowledged")
        );
        let (_, acked) = h.get("/v1/alerts?status=acknowledged", "bank").await;
        assert_eq!(acked["alerts"][0]["alert_id"], id.as_str());
        let (status, _) = post(
            &h,
            &bank,
            &path,
            &format!("csrf={token}&act=resolve&note=overdue+repaid"),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, done) = h.get("/v1/alerts?status=resolved", "bank").await;
        assert_eq!(done["alerts"][0]["note"], "overdue repaid", "{done}");
    }
);

on_both_stores!(
    the_loan_book_lists_a_banks_loans_and_no_one_elses,
    |h: Harness| async move {
        let e0 = common::lenient_bank(&h).await;
        let (decision, _) = common::approved(&h, &e0, "book-1", "300000").await;
        let (s, l) = h
            .post(
                "/v1/loans",
                "bank",
                serde_json::json!({"decision_id": decision, "repayment": "equal_instalment"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{l}");
        let loan = l["record"]["loan_id"].as_str().unwrap().to_string();
        let bank = sign_in(&h, "bank").await;
        let (status, page) = get(&h, &bank, "/console/loans").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&loan) && page.contains("Contracted"),
            "{page}"
        );
        let (status, page) = get(&h, &bank, &format!("/console/loans/{loan}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains("data-test=\"outstanding\"") && page.contains("Applied"),
            "{page}"
        );
        // Another bank: not listed, not found; the regulator sees it; an enterprise has none.
        let bank2 = sign_in(&h, "bank2").await;
        let (_, page) = get(&h, &bank2, "/console/loans").await;
        assert!(!page.contains(&loan));
        let (status, _) = get(&h, &bank2, &format!("/console/loans/{loan}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let regulator = sign_in(&h, "regulator").await;
        let (_, page) = get(&h, &regulator, "/console/loans").await;
        assert!(page.contains(&loan));
        let ent = sign_in(&h, "ent0").await;
        let (status, _) = get(&h, &ent, "/console/loans").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
);

/// Posts the model publishing form (multipart) with `cookie`; the status and the redirect's
/// target or the page.
async fn publish(
    h: &Harness,
    cookie: &str,
    csrf: &str,
    name: &str,
    artifact: &str,
) -> (StatusCode, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .text("name", name.to_string())
        .text("champion", "1")
        .part(
            "artifact",
            reqwest::multipart::Part::bytes(artifact.as_bytes().to_vec()).file_name("model.json"),
        );
    let r = client()
        .post(format!("{}/console/models", h.base))
        .header(COOKIE, cookie)
        .header("accept-language", "en")
        .multipart(form)
        .send()
        .await
        .unwrap();
    answer(r).await
}

on_both_stores!(
    the_operator_publishes_a_model_from_the_console,
    |h: Harness| async move {
        let op = sign_in(&h, "operator").await;
        let (_, page) = get(&h, &op, "/console/models").await;
        assert!(page.contains("data-test=\"publish\""), "{page}");
        let csrf = csrf_of(&page);
        let model = common::model_json();
        let (status, to) = publish(&h, &op, &csrf, "v2-console", &model).await;
        assert_eq!(
            (status, to.as_str()),
            (StatusCode::SEE_OTHER, "/console/models")
        );
        let (_, page) = get(&h, &op, "/console/models").await;
        assert!(
            page.contains("<code>v2-console</code></a></td><td>★"),
            "{page}"
        );
        // Logged in the ledger, and its characteristics keep the groups v1 gave them.
        let registry = h.platform().registry();
        let v1 = registry.get(Some("v1")).unwrap();
        let v2 = registry.get(None).unwrap();
        assert_eq!(v2.version, "v2-console");
        assert_eq!(v2.groups, v1.groups);
        assert!(v2.leaf > v1.leaf);
        // The same version again, a file that is not a model, a bad name: said on the page,
        // with nothing published.
        let (status, page) = publish(&h, &op, &csrf, "v2-console", &model).await;
        assert_eq!(status, StatusCode::CONFLICT, "{page}");
        let (status, page) = publish(&h, &op, &csrf, "v3", "{\"not\": \"a model\"}").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(
            page.contains("role=\"alert\"") && page.contains("value=\"v3\""),
            "{page}"
        );
        let (status, _) = publish(&h, &op, &csrf, "bad name!", &model).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(h.platform().registry().list().len(), 2);
        // Without the session's CSRF token, or by a bank: refused.
        let (status, _) = publish(&h, &op, &"0".repeat(64), "v4", &model).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let bank = sign_in(&h, "bank").await;
        let (_, page) = get(&h, &bank, "/console/models").await;
        assert!(
            !page.contains("data-test=\"publish\""),
            "only the operator sees the form"
        );
        let (status, _) = publish(&h, &bank, &csrf_of(&page), "v4", &model).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(h.platform().registry().list().len(), 2);
    }
);

on_both_stores!(alerts_are_paged_in_the_console, |h: Harness| async move {
    use xinrong_platform::alerts::{RaisedAlert, load};
    h.grant("ent0", "bank", "post_loan", &in_days(30)).await;
    let batch: Vec<RaisedAlert> = (0..105)
        .map(|i| RaisedAlert {
            date: "2025-01-31".parse().unwrap(),
            uscc: h.enterprises[0].parse().unwrap(),
            signal: format!("signal_{i:03}"),
            level: "yellow".into(),
            rule: "test".into(),
            description: "a test rule".into(),
            evidence: format!("n={i}"),
            action_en: "Review the file".into(),
            action_zh: "复核档案".into(),
            rules: "0123abcd".into(),
        })
        .collect();
    load(h.platform().pool(), &batch, "test").await.unwrap();
    let bank = sign_in(&h, "bank").await;
    let rows = |page: &str| page.matches("data-test=\"alert-act\"").count();
    let (_, first) = get(&h, &bank, "/console/alerts").await;
    assert_eq!(rows(&first), 100);
    assert!(first.contains("page=1\""), "a link to the older page");
    let (_, second) = get(&h, &bank, "/console/alerts?status=open&level=&page=1").await;
    assert_eq!(rows(&second), 5);
    assert!(second.contains("page=0\"") && !second.contains("page=2\""));
    // Together the two pages hold every alert once.
    let evidence = |page: &str| -> Vec<String> {
        page.split("<small>n=")
            .skip(1)
            .map(|s| s.split('<').next().unwrap().to_string())
            .collect()
    };
    let mut seen = evidence(&first);
    seen.extend(evidence(&second));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 105);
    // The overview counts all of them, not a page.
    let (_, home) = get(&h, &bank, "/console/").await;
    assert!(home.contains(">105<"), "{home}");
});
