//! Quality assessment finds the faults the generator injected, and issues move only along
//! open → notified → fixed/accepted.

use chrono::NaiveDate;
use xinrong_indicators::{
    InvoiceVatCheck, IssueStatus, assess, invoice_vat_checks, raise_issues, transition,
};
use xinrong_sources::{Desensitiser, GenConfig, SOURCES, generate, ingest};

fn assess_portfolio(faults: bool) -> Vec<xinrong_indicators::SourceQuality> {
    let dir = tempfile::tempdir().unwrap();
    let store = portfolio(dir.path(), faults, 3);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(assess(&store))
        .unwrap()
}

/// A generated, ingested portfolio; the store.
fn portfolio(dir: &std::path::Path, faults: bool, seed: u64) -> std::path::PathBuf {
    let raw = dir.join("raw");
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    generate(
        &GenConfig {
            enterprises: 400,
            months: 12,
            seed,
            start,
            faults,
        },
        &raw,
        |_| {},
    )
    .unwrap();
    let store = dir.join("store");
    for s in SOURCES {
        ingest(
            s,
            &raw.join(format!("{}.csv", s.name)),
            &store,
            &Desensitiser::new(b"k"),
        )
        .unwrap();
    }
    store
}

/// The invoice-VAT check flags the returns the generator broke (recall) and almost nothing
/// on clean data (no false alarms), on a seed the generator's tuning never used.
#[test]
fn invoice_vat_consistency_finds_injected_faults_and_leaves_clean_months_alone() {
    let run = |store: &std::path::Path| {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(invoice_vat_checks(store))
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let clean = run(&portfolio(&dir.path().join("clean"), false, 11));
    assert!(clean.len() > 3000, "{} firm-months checked", clean.len());
    let alarms = clean.iter().filter(|c| !c.consistent).count() as f64 / clean.len() as f64;
    assert!(
        alarms < 0.01,
        "{:.2}% of clean firm-months flagged",
        100.0 * alarms
    );

    let faulty_dir = dir.path().join("faulty");
    let checks = run(&portfolio(&faulty_dir, true, 11));
    let injected: std::collections::HashSet<(String, String)> =
        csv::Reader::from_path(faulty_dir.join("raw/faults.csv"))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .filter(|r| &r[0] == "tax" && r[3].starts_with("vat_sales"))
            .map(|r| (r[1].to_string(), r[2].to_string()))
            .collect();
    let key = |c: &InvoiceVatCheck| (c.uscc.clone(), c.month.format("%Y-%m").to_string());
    let checked: Vec<&InvoiceVatCheck> = checks
        .iter()
        .filter(|c| injected.contains(&key(c)))
        .collect();
    assert!(
        checked.len() >= 20,
        "{} injected faults were checkable",
        checked.len()
    );
    let found = checked.iter().filter(|c| !c.consistent).count();
    assert!(
        found as f64 >= 0.95 * checked.len() as f64,
        "recall {found}/{}",
        checked.len()
    );
    let false_alarms = checks
        .iter()
        .filter(|c| !c.consistent && !injected.contains(&key(c)))
        .count() as f64
        / checks.len() as f64;
    assert!(
        false_alarms < 0.01,
        "{:.2}% false alarms",
        100.0 * false_alarms
    );
}

#[test]
fn injected_faults_lower_the_right_dimensions() {
    let faulty = assess_portfolio(true);
    let clean = assess_portfolio(false);
    let get = |a: &[xinrong_indicators::SourceQuality], s: &str| {
        a.iter().find(|q| q.source == s).unwrap().clone()
    };
    assert!(
        get(&faulty, "registry").validity < 1.0,
        "bad industry codes must lower validity"
    );
    assert_eq!(get(&clean, "registry").validity, 1.0);
    assert!(
        get(&faulty, "bank_txn").uniqueness < 1.0,
        "duplicated rows must lower uniqueness"
    );
    assert_eq!(get(&clean, "bank_txn").uniqueness, 1.0);
    assert!(get(&faulty, "telemetry").validity < get(&clean, "telemetry").validity);
    assert!(
        get(&faulty, "tax").timeliness < 1.0,
        "late filings lower timeliness"
    );
    for q in &faulty {
        assert!((0.0..=100.0).contains(&q.score), "{q:?}");
        assert!(q.completeness > 0.5, "{q:?}");
    }
    let consistency = get(&clean, "invoice").consistency;
    assert!(
        consistency > 0.99,
        "clean invoices and returns agree: {consistency}"
    );
    assert!(get(&faulty, "tax").consistency < consistency);

    let mut issues = Vec::new();
    let opened = raise_issues(&mut issues, &faulty, "t0");
    assert!(opened.len() >= 2);
    assert!(
        issues
            .iter()
            .any(|i| i.source == "bank_txn" && i.check == "uniqueness")
    );
    // Raising again does not duplicate live issues.
    assert!(raise_issues(&mut issues, &faulty, "t1").is_empty());
    let issue = &mut issues[0];
    assert!(
        transition(issue, IssueStatus::Accepted, "", "t2").is_err(),
        "accepting needs a reason"
    );
    transition(issue, IssueStatus::Notified, "emailed the provider", "t2").unwrap();
    assert!(transition(issue, IssueStatus::Open, "", "t3").is_err());
    transition(issue, IssueStatus::Fixed, "resent", "t3").unwrap();
    assert!(
        transition(issue, IssueStatus::Notified, "", "t4").is_err(),
        "closed issues stay closed"
    );
    assert_eq!(issue.history.len(), 3);
}
