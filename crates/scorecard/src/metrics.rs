//! Discrimination, stability and calibration measures.
//!
//! Every function takes a risk value per row (higher = riskier, e.g. PD or minus the score)
//! and the 0/1 target.

use serde::{Deserialize, Serialize};

/// Area under the ROC curve, exact: the probability that a random bad is riskier than a random
/// good, ties counting one half (the Mann–Whitney statistic with mid-ranks).
pub fn auc(risk: &[f64], y: &[u8]) -> f64 {
    let order = sorted_order(risk);
    let (mut rank_sum_bad, mut n_bad) = (0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && risk[order[j + 1]] == risk[order[i]] {
            j += 1;
        }
        let mid_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if y[k] == 1 {
                rank_sum_bad += mid_rank;
                n_bad += 1.0;
            }
        }
        i = j + 1;
    }
    let n_good = order.len() as f64 - n_bad;
    if n_bad == 0.0 || n_good == 0.0 {
        return f64::NAN;
    }
    (rank_sum_bad - n_bad * (n_bad + 1.0) / 2.0) / (n_bad * n_good)
}

fn sorted_order(risk: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..risk.len()).collect();
    order.sort_unstable_by(|&a, &b| risk[a].total_cmp(&risk[b]).then(a.cmp(&b)));
    order
}

/// Kolmogorov–Smirnov statistic: the largest gap between the cumulative shares of bads and of
/// goods, taken over thresholds between distinct risk values; and the risk value at which it
/// peaks (rows at or above it are the riskier side).
pub fn ks(risk: &[f64], y: &[u8]) -> (f64, f64) {
    let order = sorted_order(risk);
    let n_bad = y.iter().filter(|&&v| v == 1).count() as f64;
    let n_good = y.len() as f64 - n_bad;
    if n_bad == 0.0 || n_good == 0.0 {
        return (f64::NAN, f64::NAN);
    }
    // Walk from the riskiest down.
    let (mut cb, mut cg) = (0.0, 0.0);
    let (mut best, mut at) = (0.0, f64::NAN);
    let mut i = order.len();
    while i > 0 {
        let v = risk[order[i - 1]];
        while i > 0 && risk[order[i - 1]] == v {
            if y[order[i - 1]] == 1 {
                cb += 1.0;
            } else {
                cg += 1.0;
            }
            i -= 1;
        }
        let gap = (cb / n_bad - cg / n_good).abs();
        if gap > best {
            best = gap;
            at = v;
        }
    }
    (best, at)
}

/// Population stability index between an expected and an actual distribution over the same
/// bins, from counts. Empty shares are floored at 0.0001 so that the index stays finite.
pub fn psi(expected: &[u64], actual: &[u64]) -> f64 {
    let te: u64 = expected.iter().sum();
    let ta: u64 = actual.iter().sum();
    if te == 0 || ta == 0 {
        return 0.0;
    }
    expected
        .iter()
        .zip(actual)
        .map(|(&e, &a)| {
            let pe = (e as f64 / te as f64).max(1e-4);
            let pa = (a as f64 / ta as f64).max(1e-4);
            (pa - pe) * (pa / pe).ln()
        })
        .sum()
}

/// One row of a banded table (deciles, grades, calibration groups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Band name.
    pub label: String,
    /// Lowest score in the band.
    #[serde(with = "crate::nan_null")]
    pub min_score: f64,
    /// Highest score in the band.
    #[serde(with = "crate::nan_null")]
    pub max_score: f64,
    /// Rows.
    pub count: u64,
    /// Bads.
    pub bads: u64,
    /// Observed bad rate.
    pub bad_rate: f64,
    /// Mean predicted PD.
    pub mean_pd: f64,
}

/// Bands of rows: `band_of(i)` gives row i's band among `labels`.
pub fn bands(
    labels: &[String],
    band_of: impl Fn(usize) -> usize,
    score: &[f64],
    pd: &[f64],
    y: &[u8],
) -> Vec<Band> {
    let mut out: Vec<Band> = labels
        .iter()
        .map(|l| Band {
            label: l.clone(),
            min_score: f64::INFINITY,
            max_score: f64::NEG_INFINITY,
            count: 0,
            bads: 0,
            bad_rate: 0.0,
            mean_pd: 0.0,
        })
        .collect();
    for i in 0..y.len() {
        let b = &mut out[band_of(i)];
        b.count += 1;
        b.bads += u64::from(y[i]);
        b.mean_pd += pd[i];
        b.min_score = b.min_score.min(score[i]);
        b.max_score = b.max_score.max(score[i]);
    }
    for b in &mut out {
        if b.count > 0 {
            b.bad_rate = b.bads as f64 / b.count as f64;
            b.mean_pd /= b.count as f64;
        } else {
            b.min_score = f64::NAN;
            b.max_score = f64::NAN;
        }
    }
    out
}

/// Goods and bads with scores in `[lo, hi)` (the last interval includes its top).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreBin {
    /// Lower score edge.
    pub lo: f64,
    /// Upper score edge.
    pub hi: f64,
    /// Goods.
    pub goods: u64,
    /// Bads.
    pub bads: u64,
}

/// Counts of goods and bads in `n` equal-width score intervals spanning `reference`'s range;
/// scores outside it fall in the end intervals.
pub fn histogram(reference: &[f64], score: &[f64], y: &[u8], n: usize) -> Vec<ScoreBin> {
    let lo = reference.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = reference.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() || n == 0 {
        return Vec::new();
    }
    let width = ((hi - lo) / n as f64).max(1e-9);
    let mut bins: Vec<ScoreBin> = (0..n)
        .map(|k| ScoreBin {
            lo: lo + width * k as f64,
            hi: lo + width * (k + 1) as f64,
            goods: 0,
            bads: 0,
        })
        .collect();
    for (s, t) in score.iter().zip(y) {
        let k = (((s - lo) / width).floor().max(0.0) as usize).min(n - 1);
        if *t == 1 {
            bins[k].bads += 1;
        } else {
            bins[k].goods += 1;
        }
    }
    bins
}

/// Score cut points at the given quantiles of `score` (ascending).
pub fn quantile_cuts(score: &[f64], quantiles: &[f64]) -> Vec<f64> {
    let mut s = score.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    quantiles
        .iter()
        .map(|q| s[((q * s.len() as f64) as usize).min(s.len().saturating_sub(1))])
        .collect()
}

/// Ten bands by score, riskiest (lowest score) first; cut at the deciles of `reference`
/// so train and test tables line up.
pub fn deciles(reference: &[f64], score: &[f64], pd: &[f64], y: &[u8]) -> Vec<Band> {
    let cuts = quantile_cuts(reference, &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    let labels: Vec<String> = (1..=10).map(|d| format!("D{d}")).collect();
    bands(
        &labels,
        |i| cuts.partition_point(|&c| c <= score[i]),
        score,
        pd,
        y,
    )
}

/// Hosmer–Lemeshow chi-square over the given bands, and its p-value with (bands − 2) degrees
/// of freedom.
pub fn hosmer_lemeshow(bands: &[Band]) -> (f64, f64) {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let used: Vec<&Band> = bands.iter().filter(|b| b.count > 0).collect();
    let chi: f64 = used
        .iter()
        .map(|b| {
            let n = b.count as f64;
            let e = n * b.mean_pd;
            let v = e * (1.0 - b.mean_pd);
            if v > 0.0 {
                (b.bads as f64 - e).powi(2) / v
            } else {
                0.0
            }
        })
        .sum();
    let df = used.len().saturating_sub(2).max(1) as f64;
    let p = ChiSquared::new(df)
        .map(|d| 1.0 - d.cdf(chi))
        .unwrap_or(f64::NAN);
    (chi, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_auc(risk: &[f64], y: &[u8]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..y.len() {
            for j in 0..y.len() {
                if y[i] == 1 && y[j] == 0 {
                    den += 1.0;
                    num += if risk[i] > risk[j] {
                        1.0
                    } else if risk[i] == risk[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        num / den
    }

    #[test]
    fn auc_with_ties_matches_brute_force() {
        let risk = [0.1, 0.4, 0.4, 0.35, 0.8, 0.8, 0.8, 0.2, 0.4, 0.1];
        let y = [0, 1, 0, 1, 1, 0, 1, 0, 0, 1];
        assert!((auc(&risk, &y) - brute_auc(&risk, &y)).abs() < 1e-12);
        assert_eq!(auc(&[1.0, 2.0], &[0, 1]), 1.0);
        assert!(auc(&[1.0, 2.0], &[1, 1]).is_nan());
    }

    #[test]
    fn ks_by_hand() {
        // Bads at risk 0.9, 0.8; goods at 0.7, 0.2, 0.1: perfect split, KS 1 at 0.8.
        let (k, at) = ks(&[0.9, 0.8, 0.7, 0.2, 0.1], &[1, 1, 0, 0, 0]);
        assert_eq!((k, at), (1.0, 0.8));
        // One bad among goods: after the top row (bad) gap = 1 - 0 = 1... here bad in middle:
        let (k, _) = ks(&[0.9, 0.5, 0.1], &[0, 1, 0]);
        assert!((k - 0.5).abs() < 1e-12);
    }

    #[test]
    fn histogram_counts_every_row() {
        let reference = [500.0, 600.0];
        let h = histogram(
            &reference,
            &[490.0, 500.0, 549.0, 551.0, 600.0, 700.0],
            &[1, 0, 1, 0, 0, 1],
            2,
        );
        assert_eq!((h[0].goods, h[0].bads, h[1].goods, h[1].bads), (1, 2, 2, 1));
        assert_eq!((h[0].lo, h[1].hi), (500.0, 600.0));
    }

    #[test]
    fn psi_by_hand() {
        let e = [50, 50];
        let a = [25, 75];
        let want = (0.25 - 0.5) * (0.25f64 / 0.5).ln() + (0.75 - 0.5) * (0.75f64 / 0.5).ln();
        assert!((psi(&e, &a) - want).abs() < 1e-12);
        assert_eq!(psi(&e, &e), 0.0);
    }

    use proptest::prelude::*;
    proptest! {
        #[test]
        fn auc_equals_brute_force(pairs in proptest::collection::vec((0u8..6, any::<bool>()), 2..60)) {
            let risk: Vec<f64> = pairs.iter().map(|p| p.0 as f64).collect();
            let y: Vec<u8> = pairs.iter().map(|p| u8::from(p.1)).collect();
            let a = auc(&risk, &y);
            let b = brute_auc(&risk, &y);
            prop_assert!((a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-12);
        }
    }
}
