//! Cross-fitted WOE for feature selection.
//!
//! A feature's WOE values are estimated from the same rows the regression is then fitted on.
//! Each row's own label is part of its bin's WOE, so even a feature with no relation to the
//! target gets an in-sample coefficient near one, a deviance drop of about one parameter per
//! bin, and easily enters a stepwise model: with few bads and hundreds of candidates, the model
//! fills up with such features and predicts worse out of sample than its best two alone.
//!
//! Cross-fitting removes the leak (as target encoders in machine learning do): rows are dealt
//! into `K` folds, and a row's WOE is computed from the counts of its bin in the other folds.
//! A feature whose bins carry real information keeps its predictive power; one whose bins
//! only fit noise gets WOE values unrelated to the held-out labels, a small or wrong-signed
//! coefficient, and no longer pays for its parameter. The bins themselves, and the WOE the
//! scorecard's points are made of, still come from all the training rows.

use crate::binning::BinnedFeature;
use crate::config::{CrossFit, SelectionConfig};
use crate::counts::Counts;
use crate::woe::woe_iv;
use rayon::prelude::*;

/// Number of folds (as scikit-learn's target encoder).
pub(crate) const FOLDS: usize = 5;

/// A feature's rows re-coded to `fold · slots + slot`, with the held-out WOE of each code.
pub(crate) struct CrossFitted {
    /// Code of each row.
    pub slots: Vec<u8>,
    /// WOE of each code, computed without the code's fold.
    pub woe: Vec<f64>,
}

/// Whether a fit with `bads` bads and `candidates` candidates reaching the regression
/// cross-fits under `config`.
pub(crate) fn applies(config: &SelectionConfig, bads: usize, candidates: usize) -> bool {
    match config.cross_fit {
        CrossFit::Always => true,
        CrossFit::Never => false,
        CrossFit::Auto => (bads as f64) < config.events_per_candidate * candidates as f64,
    }
}

/// Cross-fitted WOE of each feature, on one set of folds.
pub(crate) fn cross_fit_all(features: &[&BinnedFeature], y: &[u8]) -> Vec<Option<CrossFitted>> {
    let folds = folds(y);
    features
        .par_iter()
        .map(|bf| cross_fit(&bf.slots, bf.binning.n_slots(), y, &folds))
        .collect()
}

/// Deals rows into folds, stratified by class: the i-th bad goes to fold `i mod K`, and so does
/// the i-th good, so each fold holds a fifth of each class whatever the row order.
pub(crate) fn folds(y: &[u8]) -> Vec<u8> {
    let mut seen = [0usize; 2];
    y.iter()
        .map(|&t| {
            let c = &mut seen[usize::from(t == 1)];
            let f = (*c % FOLDS) as u8;
            *c += 1;
            f
        })
        .collect()
}

/// Cross-fitted WOE of a feature whose rows fall in `slots` (of `k`); `None` when the codes
/// would not fit in a byte (more than 51 slots), in which case the caller keeps the in-sample
/// WOE.
pub(crate) fn cross_fit(slots: &[u8], k: usize, y: &[u8], folds: &[u8]) -> Option<CrossFitted> {
    if k * FOLDS > 256 {
        return None;
    }
    let mut by_fold = vec![Counts::default(); k * FOLDS];
    let mut fold_total = [Counts::default(); FOLDS];
    let codes: Vec<u8> = slots
        .iter()
        .zip(y)
        .zip(folds)
        .map(|((&s, &t), &f)| {
            let c = Counts::of(t == 1);
            by_fold[f as usize * k + s as usize] += c;
            fold_total[f as usize] += c;
            (f as usize * k + s as usize) as u8
        })
        .collect();
    let mut in_slot = vec![Counts::default(); k];
    for (i, c) in by_fold.iter().enumerate() {
        in_slot[i % k] += *c;
    }
    let total = fold_total.iter().fold(Counts::default(), |a, &c| a + c);
    let woe = (0..k * FOLDS)
        .map(|code| {
            let (f, s) = (code / k, code % k);
            let rest = minus(in_slot[s], by_fold[code]);
            woe_iv(rest, minus(total, fold_total[f])).0
        })
        .collect();
    Some(CrossFitted { slots: codes, woe })
}

fn minus(a: Counts, b: Counts) -> Counts {
    Counts {
        good: a.good - b.good,
        bad: a.bad - b.bad,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified() {
        let y: Vec<u8> = (0..103).map(|i| u8::from(i % 4 == 0)).collect();
        let f = folds(&y);
        for fold in 0..FOLDS as u8 {
            let bads = (0..y.len()).filter(|&i| f[i] == fold && y[i] == 1).count();
            let goods = (0..y.len()).filter(|&i| f[i] == fold && y[i] == 0).count();
            assert!((5..=6).contains(&bads), "fold {fold}: {bads} bads");
            assert!((15..=16).contains(&goods), "fold {fold}: {goods} goods");
        }
    }

    #[test]
    fn a_rows_woe_ignores_its_own_fold() {
        // Two slots; 10 rows each of bad and good per slot and fold pattern below.
        let mut slots = Vec::new();
        let mut y = Vec::new();
        for i in 0..200u32 {
            slots.push((i % 2) as u8);
            y.push(u8::from(i % 7 == 0 || (i % 2 == 1 && i % 5 == 0)));
        }
        let f = folds(&y);
        let x = cross_fit(&slots, 2, &y, &f).unwrap();
        for i in 0..y.len() {
            let (fold, slot) = (f[i], slots[i]);
            assert_eq!(x.slots[i] as usize, fold as usize * 2 + slot as usize);
            let mut bin = Counts::default();
            let mut total = Counts::default();
            for j in (0..y.len()).filter(|&j| f[j] != fold) {
                total += Counts::of(y[j] == 1);
                if slots[j] == slot {
                    bin += Counts::of(y[j] == 1);
                }
            }
            let want = woe_iv(bin, total).0;
            assert!((x.woe[x.slots[i] as usize] - want).abs() < 1e-12, "row {i}");
        }
        // Too many slots for a byte: the caller keeps in-sample WOE.
        assert!(cross_fit(&slots, 60, &y, &f).is_none());
    }
}
