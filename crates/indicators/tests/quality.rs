//! Quality assessment finds the faults the generator injected, and issues move only along
//! open → notified → fixed/accepted.

use chrono::NaiveDate;
use xinrong_indicators::{IssueStatus, assess, raise_issues, transition};
use xinrong_sources::{Desensitiser, GenConfig, SOURCES, generate, ingest};

fn assess_portfolio(faults: bool) -> Vec<xinrong_indicators::SourceQuality> {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    generate(
        &GenConfig {
            enterprises: 400,
            months: 12,
            seed: 3,
            start,
            faults,
        },
        &raw,
        |_| {},
    )
    .unwrap();
    let store = dir.path().join("store");
    for s in SOURCES {
        ingest(
            s,
            &raw.join(format!("{}.csv", s.name)),
            &store,
            &Desensitiser::new(b"k"),
        )
        .unwrap();
    }
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(assess(&store))
        .unwrap()
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
    assert!(consistency > 0.0 && consistency <= 1.0);

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
