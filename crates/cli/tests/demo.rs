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
