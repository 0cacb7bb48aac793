//! Is the model still looking at the population it was built on, and does it still rank?
//!
//! - Score stability (PSI) over the development sample's score deciles, and per-characteristic
//!   stability (CSI) over each feature's bins, both with a chi-square test per bin and overall.
//! - Discrimination (AUC, KS) of a month's scores once its outcomes are known, against the
//!   development figures.
//!
//! Thresholds are configurable ([`Thresholds`]; the usual 0.1 and 0.25 by default). A bin the
//! development sample expects fewer than five rows in makes its chi-square test not meaningful
//! (Cochran's rule): the answer says so instead of printing a number.

use std::collections::HashMap;

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};
use xinrong_scorecard::{FeatureData, Scorecard};

/// When a shift is worth a look and when it is an alert.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// PSI/CSI from which to watch.
    pub watch: f64,
    /// PSI/CSI from which to act.
    pub act: f64,
    /// Significance level of the chi-square tests.
    pub alpha: f64,
    /// Fewest expected rows in a bin for its test to mean something.
    pub min_expected: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            watch: 0.1,
            act: 0.25,
            alpha: 0.01,
            min_expected: 5.0,
        }
    }
}

/// One bin's shift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinShift {
    /// The bin.
    pub label: String,
    /// Share in the development sample.
    pub expected: f64,
    /// Share now.
    pub actual: f64,
    /// Rows now.
    pub rows: u64,
    /// The bin's term of the index.
    pub contribution: f64,
    /// p-value of the bin's share against the expected (chi-square, 1 degree of freedom);
    /// `None` when the test is not meaningful.
    pub p_value: Option<f64>,
}

/// The stability of one distribution: the score's (PSI) or a characteristic's (CSI).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stability {
    /// `score` or the feature's name.
    pub name: String,
    /// Rows now.
    pub rows: u64,
    /// The index (PSI or CSI).
    pub index: f64,
    /// `stable`, `watch` or `act`.
    pub status: &'static str,
    /// Overall chi-square goodness of fit.
    pub chi2: Option<f64>,
    /// Its p-value.
    pub p_value: Option<f64>,
    /// Why the tests are not meaningful, if they are not.
    pub not_meaningful: Option<String>,
    /// Bin by bin.
    pub bins: Vec<BinShift>,
}

/// Shares of zero are floored here so that the index stays finite (the bin still shows 0).
const FLOOR: f64 = 1e-4;

/// Stability of `actual` counts against `expected` shares, bin by bin.
pub fn stability(
    name: &str,
    labels: &[String],
    expected: &[f64],
    actual: &[u64],
    t: &Thresholds,
) -> Stability {
    let n: u64 = actual.iter().sum();
    let total_e: f64 = expected.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let mut index = 0.0;
    let mut chi2 = 0.0;
    let mut bins = Vec::with_capacity(expected.len());
    let mut too_few = Vec::new();
    let mut used = 0usize;
    for (k, (&e, &a)) in expected.iter().zip(actual).enumerate() {
        let e = e / total_e;
        let share = if n > 0 { a as f64 / n as f64 } else { 0.0 };
        let (pe, pa) = (e.max(FLOOR), share.max(FLOOR));
        let contribution = (pa - pe) * (pa / pe).ln();
        index += contribution;
        let expected_rows = e * n as f64;
        let label = labels.get(k).cloned().unwrap_or_else(|| format!("{k}"));
        // A bin empty in both samples (a missing-value bin of a feature never missing) says
        // nothing and takes no part in the tests.
        let empty = e == 0.0 && a == 0;
        if !empty {
            used += 1;
        }
        let p_value = if empty {
            None
        } else if expected_rows >= t.min_expected && (n as f64 - expected_rows) >= t.min_expected {
            let other = n as f64 - expected_rows;
            let x = (a as f64 - expected_rows).powi(2) / expected_rows
                + ((n - a) as f64 - other).powi(2) / other;
            Some(1.0 - ChiSquared::new(1.0).map_or(0.0, |c| c.cdf(x)))
        } else {
            too_few.push(label.clone());
            None
        };
        if expected_rows > 0.0 {
            chi2 += (a as f64 - expected_rows).powi(2) / expected_rows;
        }
        bins.push(BinShift {
            label,
            expected: e,
            actual: share,
            rows: a,
            contribution,
            p_value,
        });
    }
    let dof = (used as f64 - 1.0).max(1.0);
    let not_meaningful = if n == 0 {
        Some("no rows".to_string())
    } else if !too_few.is_empty() {
        Some(format!(
            "bins {} expect fewer than {} rows (of {n}): the chi-square tests are not meaningful",
            too_few.join(", "),
            t.min_expected
        ))
    } else {
        None
    };
    let (chi2, p_value) = if not_meaningful.is_none() {
        (
            Some(chi2),
            Some(1.0 - ChiSquared::new(dof).map_or(0.0, |c| c.cdf(chi2))),
        )
    } else {
        (None, None)
    };
    let status = if index >= t.act {
        "act"
    } else if index >= t.watch {
        "watch"
    } else {
        "stable"
    };
    Stability {
        name: name.to_string(),
        rows: n,
        index,
        status,
        chi2,
        p_value,
        not_meaningful,
        bins,
    }
}

/// The score's stability against the development deciles stored in the model.
pub fn score_stability(model: &Scorecard, scores: &[f64], t: &Thresholds) -> Stability {
    let deciles = &model.metrics.train.deciles;
    let labels: Vec<String> = deciles.iter().map(|b| b.label.clone()).collect();
    let expected: Vec<f64> = deciles.iter().map(|b| b.count as f64).collect();
    // Decile edges: each band's lowest score; a score belongs to the last band whose lowest
    // it reaches (below the first band's lowest: the first band).
    let mut edges: Vec<(f64, usize)> = deciles
        .iter()
        .enumerate()
        .map(|(i, b)| (b.min_score, i))
        .collect();
    edges.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut actual = vec![0u64; deciles.len()];
    for &s in scores.iter().filter(|s| s.is_finite()) {
        let k = edges.partition_point(|(lo, _)| *lo <= s);
        let band = edges[k.saturating_sub(1).min(edges.len().saturating_sub(1))].1;
        actual[band] += 1;
    }
    stability("score", &labels, &expected, &actual, t)
}

/// Each model characteristic's stability against its development bins; `columns` holds the
/// month's `rows` values by feature name (a feature absent from it is left out).
pub fn characteristic_stability(
    model: &Scorecard,
    columns: &HashMap<&str, FeatureData<'_>>,
    rows: usize,
    t: &Thresholds,
) -> Vec<Stability> {
    model
        .features
        .iter()
        .filter_map(|f| {
            let data = columns.get(f.name.as_str())?;
            let encoder = f.binning.encoder(data).ok()?;
            let mut actual = vec![0u64; f.binning.bins.len()];
            for slot in encoder.slots(rows) {
                if let Some(c) = actual.get_mut(slot as usize) {
                    *c += 1;
                }
            }
            let labels: Vec<String> = f.binning.bins.iter().map(|b| b.label.clone()).collect();
            let expected: Vec<f64> = f.binning.bins.iter().map(|b| b.counts.n() as f64).collect();
            Some(stability(&f.name, &labels, &expected, &actual, t))
        })
        .collect()
}

/// Discrimination now against development.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discrimination {
    /// Rows with a known outcome.
    pub rows: u64,
    /// Bads among them.
    pub bads: u64,
    /// AUC now; `None` when one class is absent.
    pub auc: Option<f64>,
    /// KS now.
    pub ks: Option<f64>,
    /// AUC on the development sample.
    pub dev_auc: f64,
    /// KS on the development sample.
    pub dev_ks: f64,
    /// `dev_auc − auc`.
    pub auc_drop: Option<f64>,
}

/// AUC and KS of `scores` (higher = safer) against `bad` outcomes, beside the model's own.
pub fn discrimination(model: &Scorecard, scores: &[f64], bad: &[u8]) -> Discrimination {
    let risk: Vec<f64> = scores.iter().map(|s| -s).collect();
    let bads = bad.iter().filter(|&&b| b == 1).count() as u64;
    let both = bads > 0 && (bads as usize) < bad.len();
    let auc = both.then(|| xinrong_scorecard::metrics::auc(&risk, bad));
    let ks = both.then(|| xinrong_scorecard::metrics::ks(&risk, bad).0);
    let dev = &model.metrics.train;
    Discrimination {
        rows: bad.len() as u64,
        bads,
        auc,
        ks,
        dev_auc: dev.auc,
        dev_ks: dev.ks,
        auc_drop: auc.map(|a| dev.auc - a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("b{i}")).collect()
    }

    #[test]
    fn an_unchanged_population_is_stable_and_a_shifted_one_is_not() {
        let t = Thresholds::default();
        let same = stability("x", &labels(4), &[0.25; 4], &[250, 250, 250, 250], &t);
        assert!(same.index.abs() < 1e-12);
        assert_eq!(same.status, "stable");
        assert!(same.p_value.unwrap() > 0.99);
        let shifted = stability("x", &labels(4), &[0.25; 4], &[100, 150, 300, 450], &t);
        // PSI by hand: Σ (a − e) ln(a / e).
        let by_hand: f64 = [0.1, 0.15, 0.3, 0.45]
            .iter()
            .map(|a: &f64| (a - 0.25) * (a / 0.25).ln())
            .sum();
        assert!((shifted.index - by_hand).abs() < 1e-12);
        assert_eq!(shifted.status, "act");
        assert!(shifted.p_value.unwrap() < 1e-6);
        assert!(shifted.bins[0].p_value.unwrap() < 1e-6);
    }

    #[test]
    fn too_few_rows_in_a_bin_is_said_not_computed() {
        let t = Thresholds::default();
        let s = stability("x", &labels(3), &[0.49, 0.49, 0.02], &[40, 40, 2], &t);
        assert!(s.p_value.is_none() && s.chi2.is_none());
        assert!(s.not_meaningful.as_deref().unwrap().contains("b2"), "{s:?}");
        assert!(s.bins[0].p_value.is_some() && s.bins[2].p_value.is_none());
        // A bin empty in both samples is left out of the tests.
        let s = stability("x", &labels(3), &[0.5, 0.5, 0.0], &[40, 40, 0], &t);
        assert!(s.not_meaningful.is_none() && s.p_value.is_some(), "{s:?}");
        assert!(s.bins[2].p_value.is_none());
        let empty = stability("x", &labels(2), &[0.5, 0.5], &[0, 0], &t);
        assert_eq!(empty.not_meaningful.as_deref(), Some("no rows"));
    }
}
