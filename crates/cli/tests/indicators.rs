//! `xinrong indicators` on a generated portfolio's store.

mod common;

use common::ok;

/// Indicators as of a date after the data ends: every window is empty, so every value is
/// missing, and the command succeeds (it once panicked on the empty result).
#[test]
fn indicators_after_the_data_ends_are_missing_values_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let raw = d.path().join("raw").display().to_string();
    let data = d.path().join("data").display().to_string();
    ok(&[
        "gen",
        "--enterprises",
        "20",
        "--months",
        "6",
        "--seed",
        "3",
        "--out",
        &raw,
    ]);
    ok(&["ingest", "--data-dir", &data, "--all", &raw]);
    let out = d.path().join("late.csv").display().to_string();
    ok(&[
        "indicators",
        "--data-dir",
        &data,
        "--as-of",
        "2031-12-31",
        "--out",
        &out,
    ]);
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty());
    let flow = headers
        .iter()
        .position(|h| h.starts_with("cf_"))
        .expect("a cash-flow indicator");
    assert!(
        rows.iter().all(|r| r[flow].is_empty()),
        "windows after the data are missing: {:?}",
        rows[0]
    );
}
