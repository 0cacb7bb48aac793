//! The console in a real browser (Debian's headless Chromium through chromedriver): each role
//! signs in, visits every page of its navigation, in Chinese and in English, at 1280 px and at
//! phone width; no page logs a console error, each passes axe-core's accessibility rules, and a
//! screenshot of each is written under `target/console-screenshots/` for a reviewer. Also: a
//! revocation made in the console is seen by the API at once, a form stripped of its CSRF token
//! is refused, and a bank cannot open another bank's query.
//!
//! Needs `chromium`, `chromedriver` and axe-core (`.ci/run` installs them and sets
//! `XINRONG_REQUIRE_BROWSER=1`); without them the test says it skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Harness, Store, in_days};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// axe-core's script, installed by `.ci/run` (npm) under `target/axe-core`.
fn axe_script() -> Option<String> {
    let path = std::env::var("XINRONG_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join("target/axe-core/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(path).ok()
}

/// Whether the browser test can run; panics when CI requires it and something is missing.
fn browser_available() -> Option<String> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    let axe = axe_script();
    let required = std::env::var("XINRONG_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    if missing.is_empty() && axe.is_some() {
        return axe;
    }
    let what = format!(
        "missing: {missing:?}{}",
        if axe.is_none() {
            " and axe-core (target/axe-core)"
        } else {
            ""
        }
    );
    if required {
        panic!("XINRONG_REQUIRE_BROWSER=1 but the browser test cannot run: {what}");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED the console browser test: {what}"
    );
    None
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "chromedriver did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, url }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The browser's console messages since the last call (chromedriver's log endpoint).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,1600",
                     format!("--user-data-dir={}", profile.display())],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Console errors logged since the last call (messages at SEVERE level).
async fn console_errors(c: &Client) -> Vec<String> {
    let log = c.issue_cmd(BrowserLog).await.expect("browser log");
    log.as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE")
                .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// axe-core's violations on the current page (WCAG 2.1 A and AA rules).
async fn accessibility_violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.expect("axe-core loads");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ' nodes, e.g. ' + v.nodes[0].html.slice(0, 120) + ')')))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    result
        .as_array()
        .map(|v| {
            v.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn shots_dir() -> PathBuf {
    let dir = workspace().join("target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn sign_in(c: &Client, base: &str, key: &str) {
    c.goto(&format!("{base}/console/sign-in")).await.unwrap();
    c.find(Locator::Css("#key"))
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
    click(c, "main button[type=submit]").await;
    // Signed in once the browser has left the sign-in page (with the session cookie).
    wait_for_path(c, "a signed-in page", |p| !p.ends_with("/sign-in")).await;
}

/// Visits a page: checks its heading, console, accessibility and width, and screenshots it.
async fn visit(c: &Client, base: &str, path: &str, shot: &str, axe: &str) -> String {
    c.goto(&format!("{base}{path}")).await.unwrap();
    check_page(c, shot, axe).await
}

/// Checks the page the browser shows: its heading, console, accessibility and width; writes
/// its screenshot; returns its HTML.
async fn check_page(c: &Client, shot: &str, axe: &str) -> String {
    let html = c.source().await.unwrap();
    let url = c.current_url().await.unwrap();
    assert!(
        !url.path().ends_with("/sign-in"),
        "{shot}: sent back to sign-in from {url}"
    );
    check_accessible(c, shot, axe, None).await;
    html
}

/// Checks any page the browser shows, the sign-in and error pages included: a heading, no
/// console error (but the error page's own status, which the browser logs), no accessibility
/// violation, no sideways scrolling; writes its screenshot.
async fn check_accessible(c: &Client, shot: &str, axe: &str, status: Option<u16>) {
    let h1 = c.find(Locator::Css("main h1")).await.expect("a heading");
    assert!(
        !h1.text().await.unwrap().trim().is_empty(),
        "{shot}: empty heading"
    );
    let own = status.map(|s| format!("status of {s}"));
    let errors: Vec<String> = console_errors(c)
        .await
        .into_iter()
        .filter(|e| own.as_ref().is_none_or(|o| !e.contains(o.as_str())))
        .collect();
    assert!(errors.is_empty(), "{shot}: console errors {errors:?}");
    let violations = accessibility_violations(c, axe).await;
    assert!(
        violations.is_empty(),
        "{shot}: accessibility {violations:#?}"
    );
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_f64().unwrap_or(0.0) <= 1.0,
        "{shot}: the page is wider than the window by {overflow}px"
    );
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots_dir().join(format!("{shot}.png")), png).unwrap();
}

/// Clicks the first element `css` selects.
async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Waits (ten seconds at most) until the browser's path satisfies `ok`.
async fn wait_for_path(c: &Client, what: &str, ok: impl Fn(&str) -> bool) {
    for _ in 0..200 {
        if ok(c.current_url().await.unwrap().path()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never reached {what}");
}

/// The page's heading once it satisfies `ready` (the page a click leads to may take a moment to
/// replace the one clicked on); panics after ten seconds.
async fn heading_when(c: &Client, ready: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..200 {
        if let Ok(h1) = c.find(Locator::Css("main h1")).await
            && let Ok(text) = h1.text().await
        {
            if ready(&text) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the heading never became what was expected; last: {last}");
}

/// The ids of the fixture's score query, credit decision, guaranteed loan and upload with a
/// quarantined row.
struct Fixture {
    query: String,
    decision: String,
    loan: String,
    upload: String,
}

/// Consents, a score query, an approved credit decision guaranteed under a guarantee agreement
/// and booked as a disbursed loan, an early warning, and an upload with a quarantined row.
async fn set_up(h: &Harness) -> Fixture {
    // Facts loaded, ent0's pre-loan consent to the bank, and a flow that approves.
    let ent0 = common::lenient_bank(h).await;
    h.grant("ent0", "guarantor", "guarantee", &in_days(60))
        .await;
    h.grant("ent1", "bank", "post_loan", &in_days(60)).await;
    let (_, answer) = h.score("bank", &h.enterprises[0], "pre_loan").await;
    // An early warning routed to the bank (ent1 is under its post-loan consent).
    let alert = xinrong_platform::alerts::RaisedAlert {
        date: "2025-01-31".parse().unwrap(),
        uscc: h.enterprises[1].parse().unwrap(),
        signal: "model_score".into(),
        level: "red".into(),
        rule: "model_red".into(),
        description: "PD in the top 3% of the portfolio".into(),
        evidence: "pd_rank=0.98".into(),
        action_en: "Review the file".into(),
        action_zh: "复核档案".into(),
        rules: "0123abcd".into(),
    };
    xinrong_platform::alerts::load(h.platform().pool(), &[alert], "test")
        .await
        .unwrap();
    let agreement = common::sign(h, common::terms(&h.ids["bank"], 5e7)).await;
    let (decision, amount) = common::approved(h, &ent0, "browser-1", "300000").await;
    let (s, g) = h
        .post(
            "/v1/guarantees",
            "bank",
            json!({"agreement_id": agreement, "decision_id": decision, "request_key": "browser-g"}),
        )
        .await;
    assert_eq!(g["record"]["result"], "issued", "{s} {g}");
    let signed = chrono::Utc::now().date_naive() - chrono::Days::new(40);
    let (s, l) = h
        .post(
            "/v1/loans",
            "bank",
            json!({"decision_id": decision, "repayment": "equal_instalment",
                   "guarantee_id": g["record"]["guarantee_id"], "contract_date": signed.to_string()}),
        )
        .await;
    assert!(s.is_success(), "{l}");
    let loan = l["record"]["loan_id"].as_str().unwrap().to_string();
    let (s, d) = h
        .post(
            &format!("/v1/loans/{loan}/events"),
            "bank",
            json!({"kind": "disbursed", "amount": format!("{amount}"), "date": signed.to_string()}),
        )
        .await;
    assert!(s.is_success(), "{d}");
    Fixture {
        query: answer["query_id"].as_str().unwrap().to_string(),
        decision,
        loan,
        upload: common::upload_with_a_bad_row(h).await,
    }
}

/// What must be on a page (its `data-test` hooks), beyond a heading: the content that shows
/// the page did its work.
fn content_of(who: &str, path: &str) -> Vec<&'static str> {
    match (who, path) {
        ("bank" | "guarantor", "/console/") => {
            let mut hooks = vec!["book-charts"];
            if who == "guarantor" {
                hooks.push("agreement");
            }
            hooks
        }
        ("regulator" | "operator", "/console/data") => {
            vec!["sources", "quality-issues", "ingest-history", "ingested"]
        }
        (_, p) if p.starts_with("/console/loans/") => vec!["outstanding"],
        (_, p) if p.starts_with("/console/decisions/") => vec!["outcome"],
        ("bank", p) if p.starts_with("/console/queries/") => vec!["consent-live"],
        (_, "/console/me") => vec!["next-bin"],
        ("regulator" | "operator", "/console/ledger") => vec!["ledger-size", "checkpoints"],
        _ => vec![],
    }
}

/// The console pages the signed-in role's navigation links to.
async fn nav_pages(c: &Client) -> Vec<String> {
    let links = c
        .execute(
            "return [...document.querySelectorAll('nav a[href^=\"/console/\"]')].map(a => a.getAttribute('href'));",
            vec![],
        )
        .await
        .unwrap();
    links
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .filter(|l| !l.starts_with("/console/lang/"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_signs_in_and_every_page_renders_in_a_real_browser() {
    let Some(axe) = browser_available() else {
        return;
    };
    let Some(h) = Harness::start(Store::Sqlite).await else {
        return;
    };
    let fixture = set_up(&h).await;
    let (query_id, decision_id) = (&fixture.query, &fixture.decision);
    let quarantine = format!("/console/data/{}", fixture.upload);
    let loan = format!("/console/loans/{}", fixture.loan);
    let decision = format!("/console/decisions/{decision_id}");
    let driver = Driver::start();
    let profiles = tempfile::TempDir::new().unwrap();
    let strings = |paths: &[&str]| paths.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    let mut bank_pages = strings(&[
        "/console/",
        "/console/queries",
        "/console/alerts",
        "/console/ledger",
    ]);
    bank_pages.push(format!("/console/queries/{query_id}"));
    bank_pages.push("/console/decisions".into());
    bank_pages.push(format!("/console/decisions/{decision_id}"));
    bank_pages.push("/console/flows".into());
    bank_pages.push("/console/loans".into());
    bank_pages.push(loan.clone());
    bank_pages.push("/console/guarantees".into());
    bank_pages.push(format!("/console/search?q={}", &h.enterprises[0][..8]));
    bank_pages.push(format!(
        "/console/enterprises/{}?purpose=pre_loan",
        h.enterprises[0]
    ));
    let pages: Vec<(&str, Vec<String>)> = vec![
        (
            "ent0",
            strings(&["/console/me", "/console/me/queries", "/console/me/consents"]),
        ),
        ("bank", bank_pages),
        (
            "guarantor",
            strings(&[
                "/console/",
                "/console/queries",
                "/console/guarantees",
                "/console/loans",
                &loan,
                &format!(
                    "/console/enterprises/{}?purpose=guarantee",
                    h.enterprises[0]
                ),
            ]),
        ),
        (
            "regulator",
            strings(&[
                "/console/",
                "/console/market",
                "/console/queries",
                "/console/models",
                "/console/ledger",
                "/console/data",
                &quarantine,
                &decision,
                &loan,
                "/console/ledger/entries/1",
            ]),
        ),
        (
            "operator",
            strings(&[
                "/console/",
                "/console/market",
                "/console/models",
                "/console/ledger",
                "/console/data",
                &quarantine,
                "/console/ledger/entries/0",
            ]),
        ),
    ];
    for (n, (who, paths)) in pages.iter().enumerate() {
        for lang in ["zh", "en"] {
            let c = browser(&driver, &profiles.path().join(format!("{who}-{lang}"))).await;
            c.goto(&format!(
                "{}/console/lang/{lang}?next=/console/sign-in",
                h.base
            ))
            .await
            .unwrap();
            if n == 0 {
                check_accessible(&c, &format!("0-sign-in-{lang}"), &axe, None).await;
            }
            sign_in(&c, &h.base, &h.keys[who]).await;
            // Every page the role's navigation offers is visited, besides the detail pages.
            let mut paths = paths.clone();
            for link in nav_pages(&c).await {
                if !paths.contains(&link) {
                    paths.push(link);
                }
            }
            for (i, path) in paths.iter().enumerate() {
                let html = visit(&c, &h.base, path, &format!("{n}-{who}-{i}-{lang}"), &axe).await;
                let expected = if lang == "zh" {
                    "lang=\"zh-CN\""
                } else {
                    "lang=\"en\""
                };
                assert!(html.contains(expected), "{who} {path} in {lang}");
                for hook in content_of(who, path) {
                    assert!(
                        html.contains(&format!("data-test=\"{hook}\"")),
                        "{who} {path} in {lang}: no {hook}"
                    );
                }
            }
            // The first page again at phone width.
            c.set_window_size(390, 844).await.unwrap();
            visit(
                &c,
                &h.base,
                &paths[0],
                &format!("{n}-{who}-phone-{lang}"),
                &axe,
            )
            .await;
            c.close().await.unwrap();
        }
    }

    // The bank asks for financing matches from the enterprise's page (a form).
    let c = browser(&driver, &profiles.path().join("bank-matches")).await;
    c.goto(&format!("{}/console/lang/zh?next=/console/sign-in", h.base))
        .await
        .unwrap();
    sign_in(&c, &h.base, &h.keys["bank"]).await;
    c.goto(&format!(
        "{}/console/enterprises/{}?purpose=pre_loan",
        h.base, h.enterprises[0]
    ))
    .await
    .unwrap();
    // Opening the page queries nothing; its button does, and leads to the query's page.
    click(&c, "form[data-test=query-form] button").await;
    wait_for_path(&c, "the query's page", |p| {
        p.starts_with("/console/queries/")
    })
    .await;
    check_page(&c, "1-bank-queried-zh", &axe).await;
    click(&c, "form[action$='/matches'] button").await;
    heading_when(&c, |t| t.starts_with("融资产品匹配")).await;
    let html = check_page(&c, "1-bank-matches-zh", &axe).await;
    assert!(
        html.contains("融资担保") || html.contains("pill"),
        "offers listed"
    );
    c.close().await.unwrap();

    // Another bank cannot open the bank's query, nor an enterprise another enterprise's page:
    // not found, on an error page that passes the same checks.
    for (who, path) in [
        ("bank2", format!("/console/queries/{query_id}")),
        (
            "ent0",
            format!("/console/enterprises/{}?purpose=pre_loan", h.enterprises[1]),
        ),
    ] {
        let c = browser(&driver, &profiles.path().join(format!("{who}-404"))).await;
        sign_in(&c, &h.base, &h.keys[who]).await;
        c.goto(&format!("{}{path}", h.base)).await.unwrap();
        heading_when(&c, |t| t.starts_with("404")).await;
        check_accessible(&c, &format!("4-{who}-404"), &axe, Some(404)).await;
        c.close().await.unwrap();
    }

    // The enterprise revokes the bank's consent in the console; the API refuses the bank at once.
    let (status, _) = h.score("bank", &h.enterprises[0], "pre_loan").await;
    assert_eq!(status, 200);
    let c = browser(&driver, &profiles.path().join("ent0-revoke")).await;
    c.goto(&format!("{}/console/lang/en?next=/console/sign-in", h.base))
        .await
        .unwrap();
    sign_in(&c, &h.base, &h.keys["ent0"]).await;
    c.goto(&format!("{}/console/me/consents", h.base))
        .await
        .unwrap();
    // A form stripped of its CSRF token is refused, and nothing is revoked.
    c.execute(
        "document.querySelectorAll('input[name=csrf]').forEach(e => e.remove());",
        vec![],
    )
    .await
    .unwrap();
    click(&c, "button.danger").await;
    heading_when(&c, |t| t.starts_with("403")).await;
    check_accessible(&c, "5-ent0-403-en", &axe, Some(403)).await;
    let (status, _) = h.score("bank", &h.enterprises[0], "pre_loan").await;
    assert_eq!(status, 200, "nothing revoked without the token");
    c.goto(&format!("{}/console/me/consents", h.base))
        .await
        .unwrap();
    let revoke = c.find(Locator::Css("tr:has(button.danger)")).await.unwrap();
    let consent = revoke.attr("data-consent").await.unwrap().unwrap();
    let (_, consents) = h.get("/v1/consents", "ent0").await;
    let purpose = consents
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == consent.as_str())
        .map(|c| c["purpose"].clone())
        .unwrap();
    revoke
        .find(Locator::Css("button.danger"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The page comes back with the consent shown revoked (no revoke button left on its row).
    let button = format!("tr[data-consent=\"{consent}\"] button.danger");
    let mut gone = false;
    for _ in 0..200 {
        let url = c.current_url().await.unwrap();
        if url.path().ends_with("/console/me/consents")
            && c.find_all(Locator::Css(&button)).await.unwrap().is_empty()
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the consents page never showed {consent} revoked");
    let errors = console_errors(&c).await;
    assert!(
        errors.is_empty() || errors.iter().all(|e| e.contains("403")),
        "{errors:?}"
    );
    let holder = if purpose == "pre_loan" {
        "bank"
    } else {
        "guarantor"
    };
    let (status, body) = h
        .score(holder, &h.enterprises[0], purpose.as_str().unwrap())
        .await;
    assert_eq!(
        status, 403,
        "revoked in the console, refused by the API at once: {body}"
    );
    c.close().await.unwrap();
    let shots = std::fs::read_dir(shots_dir()).unwrap().count();
    assert!(shots >= 30, "{shots} screenshots");
}
