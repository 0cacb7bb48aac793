//! README's first command, `xinrong demo`, sets the platform up from nothing, and the `curl`
//! calls it prints work exactly as pasted against the server it starts.

use std::process::Command;

mod common;
use common::{Served, free_address, ok};

/// The shell commands of the printed block that follows `# {title}`.
fn call_after(printed: &str, title: &str) -> String {
    let start = printed
        .find(title)
        .unwrap_or_else(|| panic!("no '{title}' in\n{printed}"));
    let mut lines = printed[start..].lines().skip(1);
    let mut cmd = String::new();
    for line in lines.by_ref() {
        cmd.push_str(line);
        cmd.push('\n');
        if !line.ends_with('\\') {
            break;
        }
    }
    cmd
}

fn sh(cmd: &str) -> String {
    let out = Command::new("bash").arg("-c").arg(cmd).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn demo_sets_up_and_its_printed_calls_work() {
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().join("demo").display().to_string();
    let listen = free_address();
    let printed = ok(&[
        "demo",
        "--enterprises",
        "300",
        "--months",
        "24",
        "--no-serve",
        "--data-dir",
        &data,
        "--listen",
        &listen,
    ]);
    // A second run reuses the set-up and prints the same working calls.
    let again = ok(&[
        "demo",
        "--no-serve",
        "--data-dir",
        &data,
        "--listen",
        &listen,
    ]);
    assert!(
        printed.ends_with(&again),
        "the second run prints the same calls:\n{again}"
    );

    // Monitoring on the demo's portfolio: the model's stability on its test date and early
    // warnings over the last quarter, judged against the generator's truth.
    let report = dir.path().join("monitoring.html").display().to_string();
    let printed_report = ok(&[
        "monitor",
        "report",
        "--model",
        &format!("{data}/model.json"),
        "--indicators",
        &format!("{data}/indicators-test.parquet"),
        "--out",
        &report,
    ]);
    assert!(printed_report.contains("score PSI"), "{printed_report}");
    assert!(
        printed_report.contains("AUC"),
        "the test date has outcomes: {printed_report}"
    );
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(
        page.contains("特征稳定性") && page.contains("<svg"),
        "a Chinese report with charts"
    );
    // The demo ran the early warnings over its last quarter, judged against the truth.
    let warnings = format!("{data}/warnings");
    assert!(std::path::Path::new(&format!("{warnings}/evaluation.json")).exists());
    let levels = std::fs::read_to_string(format!("{warnings}/levels.csv")).unwrap();
    for month in ["2024-10-31", "2024-11-30", "2024-12-31"] {
        let rows = levels.lines().filter(|l| l.starts_with(month)).count();
        assert!(rows > 250, "{month}: {rows} firms");
    }
    assert!(
        levels.lines().skip(1).all(|l| l.starts_with("2024-1")),
        "only the period's month ends"
    );
    let alerts = std::fs::read_to_string(format!("{warnings}/alerts.csv")).unwrap();
    assert!(
        alerts.lines().any(|l| l.contains(",model_score,red,")),
        "{}",
        &alerts[..alerts.len().min(500)]
    );

    let server = Served::start(&data, &listen);
    let check = |title: &str, expect: &str| {
        let out = sh(&call_after(&printed, title));
        assert!(
            out.contains(expect),
            "{title}: expected {expect:?} in {out}"
        );
    };
    check("A bank asks for a score", "\"grade\"");
    check("The same bank for a purpose", "wrong_purpose");
    check("The guarantor, under the guarantee consent", "\"receipt\"");
    check("The enterprise sees its portrait", "\"history\"");
    check(
        "the same request key again gets the same decision",
        "\"digest\"",
    );
    check("The regulator's view of credit activity", "\"decisions\"");
    // New data is scored at once: the upload's answer carries the rescoring, and the
    // enterprise's portrait lists it with the upload that caused it.
    let uploaded: serde_json::Value =
        serde_json::from_str(&sh(&call_after(&printed, "court enforcement against"))).unwrap();
    let report = &uploaded["report"];
    assert_eq!(report["accepted"], 1, "{uploaded}");
    let rescored = &report["rescored"];
    assert_eq!(rescored["as_of"], "2024-12-31", "{uploaded}");
    assert!(rescored["current"]["score"].is_number(), "{uploaded}");
    assert!(rescored["previous"]["score"].is_number(), "{uploaded}");
    assert!(rescored["indicators"].as_u64().unwrap() > 100, "{uploaded}");
    let portrait: serde_json::Value = serde_json::from_str(&sh(&call_after(
        &printed,
        "The enterprise sees its portrait",
    )))
    .unwrap();
    let change = &portrait["rescorings"][0];
    assert_eq!(change["cause"], report["asset_id"], "{portrait}");
    assert_eq!(change["current"], rescored["current"], "{portrait}");
    assert_eq!(
        portrait["current"]["score"], rescored["current"]["score"],
        "the portrait scores the new snapshot"
    );
    check("The third enterprise grants", "\"consent\"");
    check("Early warnings the bank receives", "\"alert_id\"");
    // The console's address and a key for each role are printed; the bank's signs in.
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{data}/demo.json")).unwrap())
            .unwrap();
    let bank_key = state["bank_key"].as_str().unwrap();
    assert!(printed.contains(&format!("http://{listen}/console/")));
    assert!(printed.contains(&format!("bank 银行:             {bank_key}")));
    let signed = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("http://{listen}/console/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("key={bank_key}"))
        .send()
        .unwrap();
    assert_eq!(signed.status(), 303);
    assert!(signed.headers().contains_key("set-cookie"));
    server.kill();
    uploads_survive_sigkill(&data);
    guarantees_survive_sigkill(&data);
}

/// An upload answered by the server: its enterprise and data asset.
type Answered = (String, String);

/// kill -9 in the middle of a burst of uploads (three enterprises at once): after the restart
/// every upload answered before the kill has its rescoring stored, each enterprise is served
/// the snapshot of its last rescoring, the ledger audits clean, and an upload the kill cut off,
/// sent again, is answered and rescored.
fn uploads_survive_sigkill(data: &str) {
    use reqwest::blocking::Client;
    use serde_json::Value;
    use std::sync::{Arc, Mutex};
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{data}/demo.json")).unwrap())
            .unwrap();
    let operator = state["operator_key"].as_str().unwrap().to_string();
    let date = state["latest_snapshot"].as_str().unwrap().to_string();
    let firms: Vec<(String, String)> = state["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap().to_string();
            (field("uscc"), field("key"))
        })
        .collect();
    let server = Served::start(data, &free_address());
    let answered: Arc<Mutex<Vec<Answered>>> = Arc::default();
    let cut_off: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let uploaders: Vec<_> = firms
        .iter()
        .enumerate()
        .map(|(i, (uscc, _))| {
            let (answered, cut_off) = (Arc::clone(&answered), Arc::clone(&cut_off));
            let (base, key, uscc, date) = (
                server.base.clone(),
                operator.clone(),
                uscc.clone(),
                date.clone(),
            );
            std::thread::spawn(move || {
                let client = Client::builder()
                    .timeout(std::time::Duration::from_secs(60))
                    .build()
                    .unwrap();
                for n in 0.. {
                    let rows: String = (0..3)
                        .map(|k| {
                            format!(
                                "{uscc},kill-{i}-{n}-{k},{date},{},{},transfer\n",
                                10_000 * (n + k + 1),
                                if k % 2 == 0 { "in" } else { "out" }
                            )
                        })
                        .collect();
                    let body = format!("uscc,txn_id,date,amount,direction,channel\n{rows}");
                    let sent = client
                        .post(format!("{base}/v1/enterprises/{uscc}/data/bank_txn"))
                        .bearer_auth(&key)
                        .header("Content-Type", "text/csv")
                        .body(body.clone())
                        .send()
                        .and_then(|r| r.error_for_status())
                        .and_then(|r| r.json::<Value>());
                    let Ok(answer) = sent else {
                        cut_off.lock().unwrap().push((uscc, body));
                        return;
                    };
                    let report = &answer["report"];
                    assert_eq!(report["accepted"], 3, "{answer}");
                    assert!(
                        report["rescored"]["current"]["score"].is_number(),
                        "{answer}"
                    );
                    let asset = report["asset_id"].as_str().unwrap().to_string();
                    answered.lock().unwrap().push((uscc.clone(), asset));
                }
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    while answered.lock().unwrap().len() < 9 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    server.kill();
    for uploader in uploaders {
        uploader.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= 9,
        "only {} uploads answered",
        answered.len()
    );
    eprintln!(
        "kill -9 after {} uploads answered, {} cut off",
        answered.len(),
        cut_off.lock().unwrap().len()
    );

    let server = Served::start(data, &free_address());
    let client = Client::new();
    let post = |uscc: &str, body: &str| -> Value {
        let r = client
            .post(format!(
                "{}/v1/enterprises/{uscc}/data/bank_txn",
                server.base
            ))
            .bearer_auth(&operator)
            .header("Content-Type", "text/csv")
            .body(body.to_string())
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().unwrap());
        r.json().unwrap()
    };
    // Uploads cut off by the kill, sent again: each answered once, with its rows.
    let mut resent: Vec<Answered> = Vec::new();
    for (uscc, body) in cut_off.lock().unwrap().iter() {
        let answer = post(uscc, body);
        assert_eq!(answer["report"]["accepted"], 3, "{answer}");
        let asset = answer["report"]["asset_id"].as_str().unwrap().to_string();
        let again = post(uscc, body);
        assert_eq!(
            again["report"]["asset_id"],
            asset.as_str(),
            "registered once"
        );
        resent.push((uscc.clone(), asset));
    }
    for (uscc, key) in &firms {
        let portrait: Value = client
            .get(format!("{}/v1/portrait", server.base))
            .bearer_auth(key)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let changes = portrait["rescorings"].as_array().unwrap();
        let causes: Vec<&str> = changes.iter().filter_map(|c| c["cause"].as_str()).collect();
        for (_, asset) in answered.iter().chain(&resent).filter(|(u, _)| u == uscc) {
            assert!(
                causes.contains(&asset.as_str()),
                "{uscc}: the rescoring of {asset} is lost after kill -9: {causes:?}"
            );
        }
        assert_eq!(
            portrait["current"]["score"], changes[0]["current"]["score"],
            "{uscc} is served the snapshot of its last rescoring"
        );
    }
    drop(server);
    ok(&["ledger", "--data-dir", data, "audit"]);
}

/// A JSON call that must answer 2xx.
fn call(
    client: &reqwest::blocking::Client,
    method: reqwest::Method,
    url: &str,
    key: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    let mut request = client.request(method, url).bearer_auth(key);
    if !body.is_null() {
        request = request.json(body);
    }
    let r = request.send().unwrap();
    let status = r.status();
    let text = r.text().unwrap();
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

/// A call of a burst: its label, path and body.
type Call = (String, String, serde_json::Value);

/// Sends `calls` from four threads until the server is killed after `kill_after` answers;
/// returns the answers by label and the labels of the calls cut off.
fn burst_then_kill(
    data: &str,
    key: &str,
    calls: Vec<Call>,
    kill_after: usize,
) -> (Vec<(String, serde_json::Value)>, Vec<String>) {
    use std::sync::{Arc, Mutex};
    let server = Served::start(data, &free_address());
    let queue = Arc::new(Mutex::new(calls));
    let answered: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
    let cut_off: Arc<Mutex<Vec<String>>> = Arc::default();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (queue, answered, cut_off) = (
                Arc::clone(&queue),
                Arc::clone(&answered),
                Arc::clone(&cut_off),
            );
            let (base, key) = (server.base.clone(), key.to_string());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(std::time::Duration::from_secs(30))
                    .build()
                    .unwrap();
                loop {
                    let Some((label, path, body)) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let sent = client
                        .post(format!("{base}{path}"))
                        .bearer_auth(&key)
                        .json(&body)
                        .send()
                        .and_then(|r| r.error_for_status())
                        .and_then(|r| r.json::<serde_json::Value>());
                    match sent {
                        Ok(answer) => answered.lock().unwrap().push((label, answer)),
                        Err(_) => {
                            cut_off.lock().unwrap().push(label);
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while answered.lock().unwrap().len() < kill_after && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    server.kill();
    for t in threads {
        t.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= kill_after,
        "only {} answered",
        answered.len()
    );
    let cut_off = cut_off.lock().unwrap().clone();
    eprintln!(
        "kill -9 after {} answered, {} cut off",
        answered.len(),
        cut_off.len()
    );
    (answered, cut_off)
}

fn decimal(v: &serde_json::Value) -> rust_decimal::Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal string: {v}"))
        .parse()
        .unwrap()
}

/// kill -9 in the middle of a burst of automatic guarantees, then of repayments of guaranteed
/// loans: after each restart every guarantee and repayment answered before the kill is there
/// (a guarantee's request key answers the same guarantee), a call the kill cut off, sent
/// again, is answered once, and the agreement's stored position equals what its stored
/// guarantees and loans add up to: no more issued than the capacity, nothing counted twice.
fn guarantees_survive_sigkill(data: &str) {
    use reqwest::Method;
    use rust_decimal::Decimal;
    use serde_json::{Value, json};
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{data}/demo.json")).unwrap())
            .unwrap();
    let field = |k: &str| state[k].as_str().unwrap().to_string();
    let (bank, bank_key, guarantor_key) =
        (field("bank"), field("bank_key"), field("guarantor_key"));
    let uscc = state["enterprises"][0]["uscc"]
        .as_str()
        .unwrap()
        .to_string();
    let checker = ok(&["admin", "--data-dir", data, "issue-key", &bank]);
    let checker = checker
        .lines()
        .find_map(|l| l.strip_prefix("api key (shown once): "))
        .unwrap()
        .to_string();
    // The bank puts live a flow that approves what the product's limit allows.
    let mut flow: Value = serde_json::from_str(xinrong_credit::flow::BUILTIN_FLOW).unwrap();
    let table = &mut flow["nodes"][1]["content"];
    let mut row = table["rules"][0].clone();
    for (k, v) in row.clone().as_object().unwrap() {
        if k.starts_with("in_") && !v.as_str().unwrap().is_empty() {
            row[k] = json!("");
        }
    }
    row["in_score"] = json!("< -1000000");
    table["rules"] = json!([row]);
    let server = Served::start(data, &free_address());
    let client = reqwest::blocking::Client::new();
    let at = |path: &str| format!("{}{path}", server.base);
    let v = call(
        &client,
        Method::POST,
        &at("/v1/flows"),
        &bank_key,
        &json!({"rules": flow}),
    );
    let version = v["version"]["version"].as_u64().unwrap();
    for step in ["approve", "promote"] {
        call(
            &client,
            Method::POST,
            &at(&format!("/v1/flows/{version}/{step}")),
            &checker,
            &json!({}),
        );
    }
    let decisions: Vec<(String, Decimal)> = (0..80)
        .map(|k| {
            let d = call(
                &client,
                Method::POST,
                &at("/v1/decisions"),
                &bank_key,
                &json!({"enterprise": uscc, "purpose": "pre_loan", "product": "guaranteed_loan",
                        "amount": "100000", "request_key": format!("kill-guarantee-{k}")}),
            );
            assert_eq!(d["decision"]["outcome"], "approve", "{d}");
            (
                d["decision"]["decision_id"].as_str().unwrap().to_string(),
                decimal(&d["decision"]["amount"]),
            )
        })
        .collect();
    let amount = decisions[0].1;
    assert!(decisions.iter().all(|d| d.1 == amount));
    // Room for 50 of the 80.
    let capacity = amount * Decimal::from(50);
    let terms = json!({"bank": bank, "fee_rate": "0.005", "capacity": capacity.to_string(),
        "per_firm_cap": capacity.to_string(), "warning_rate": "0.04", "cap_rate": "0.05",
        "compensate_after_days": 90, "criteria": {"products": ["guaranteed_loan"]},
        "shares": {"bank": "0.2", "guarantor": "0.4", "reguarantor": "0.2", "government": "0.2"}});
    let a = call(
        &client,
        Method::POST,
        &at("/v1/agreements"),
        &guarantor_key,
        &json!({"terms": terms}),
    );
    let agreement = a["record"]["agreement_id"].as_str().unwrap().to_string();
    drop(server);

    let ask = |decision: &str, key: &str| json!({"agreement_id": agreement, "decision_id": decision, "request_key": key});
    let calls: Vec<Call> = decisions
        .iter()
        .enumerate()
        .map(|(k, (d, _))| {
            let key = format!("g-{k}");
            (key.clone(), "/v1/guarantees".to_string(), ask(d, &key))
        })
        .collect();
    let (answered, cut_off) = burst_then_kill(data, &bank_key, calls, 20);

    let server = Served::start(data, &free_address());
    let at = |path: &str| format!("{}{path}", server.base);
    // Every key answered again: the same guarantee for those answered before the kill, and
    // an answer (stored once) for those cut off.
    let mut issued: Vec<(String, Value)> = Vec::new();
    for (k, (d, _)) in decisions.iter().enumerate() {
        let key = format!("g-{k}");
        let again = call(
            &client,
            Method::POST,
            &at("/v1/guarantees"),
            &bank_key,
            &ask(d, &key),
        );
        let twice = call(
            &client,
            Method::POST,
            &at("/v1/guarantees"),
            &bank_key,
            &ask(d, &key),
        );
        assert_eq!(again["record"], twice["record"], "{key} answered once");
        if let Some((_, before)) = answered.iter().find(|(k, _)| *k == key) {
            assert_eq!(
                before["record"], again["record"],
                "{key}: the guarantee answered before the kill is lost or changed"
            );
        }
        if again["record"]["result"] == "issued" {
            issued.push((d.clone(), again["record"].clone()));
        }
    }
    eprintln!("{} cut off, answered again", cut_off.len());
    assert_eq!(issued.len(), 50, "exactly the capacity is issued");
    let position = |base: &str| -> Value {
        let url = format!("{base}/v1/agreements");
        let list = call(&client, Method::GET, &url, &guarantor_key, &json!(null));
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["agreement_id"] == agreement.as_str())
            .unwrap()
            .clone()
    };
    let p = position(&server.base);
    assert_eq!(p["certificates"], 50, "{p}");
    assert_eq!(decimal(&p["outstanding"]), capacity, "{p}");
    assert_eq!(decimal(&p["guaranteed"]), capacity, "{p}");

    // Ten guaranteed loans booked 40 days ago and disbursed, then repaid in a burst.
    let signed = (chrono::Utc::now().date_naive() - chrono::Days::new(40)).to_string();
    let loans: Vec<String> = issued[..10]
        .iter()
        .map(|(d, g)| {
            let l = call(
                &client,
                Method::POST,
                &at("/v1/loans"),
                &bank_key,
                &json!({"decision_id": d, "repayment": "equal_instalment",
                        "guarantee_id": g["guarantee_id"], "contract_date": signed}),
            );
            let loan = l["record"]["loan_id"].as_str().unwrap().to_string();
            call(
                &client,
                Method::POST,
                &at(&format!("/v1/loans/{loan}/events")),
                &bank_key,
                &json!({"kind": "disbursed", "amount": amount.to_string(), "date": signed}),
            );
            loan
        })
        .collect();
    drop(server);
    // Twenty repayments of 2,000 yuan a loan, from four threads.
    let calls: Vec<Call> = (0..200)
        .map(|k| {
            let loan = &loans[k % loans.len()];
            let path = format!("/v1/loans/{loan}/events");
            (
                loan.clone(),
                path,
                json!({"kind": "repaid", "amount": "2000"}),
            )
        })
        .collect();
    let (answered_repayments, _) = burst_then_kill(data, &bank_key, calls, 30);
    let server = Served::start(data, &free_address());
    let at = |path: &str| format!("{}{path}", server.base);
    let mut repaid_principal = Decimal::ZERO;
    for loan in &loans {
        let view = call(
            &client,
            Method::GET,
            &at(&format!("/v1/loans/{loan}")),
            &bank_key,
            &json!(null),
        );
        let repaid = view["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "repaid")
            .count();
        let acked = answered_repayments
            .iter()
            .filter(|(l, _)| l == loan)
            .count();
        assert!(
            repaid >= acked,
            "{loan}: {acked} repayments answered, {repaid} stored"
        );
        repaid_principal += decimal(&view["disbursed"]) - decimal(&view["outstanding"]);
    }
    assert!(repaid_principal > Decimal::ZERO);
    let p = position(&server.base);
    assert_eq!(decimal(&p["repaid"]), repaid_principal, "{p}");
    assert_eq!(
        decimal(&p["outstanding"]),
        capacity - repaid_principal,
        "the position released exactly the principal repaid: {p}"
    );
    drop(server);
    ok(&["ledger", "--data-dir", data, "audit"]);
}
