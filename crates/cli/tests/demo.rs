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
    server.kill();
}
