//! Stages 2–4 of a fit: which binned candidates reach the regression. A candidate is refused
//! for missing values, a dominant value or too little information value (unless its bins are
//! significantly associated with the target), for instability between train and test, and for
//! redundancy with a stronger candidate (correlation, then VIF). Every refusal is recorded
//! with its reason.

use std::collections::HashMap;

use rayon::prelude::*;

use super::{Dataset, Progress};
use crate::ScorecardError;
use crate::binning::{BinnedFeature, FeatureData, FeatureView};
use crate::config::ScreeningConfig;
use crate::design::WoeColumn;
use crate::metrics::psi;
use crate::screening::{ScreenRecord, association_p_value, by_correlation, by_vif};

/// A binned feature still in the running, with its line of the screening log.
#[derive(Clone, Copy)]
pub(crate) struct Candidate<'a> {
    /// Its line in the screening log.
    pub record: usize,
    /// Its bins and slots on the training data.
    pub binned: &'a BinnedFeature,
}

impl<'a> Candidate<'a> {
    /// The feature's name.
    pub fn name(&self) -> &'a str {
        &self.binned.binning.feature
    }

    /// Its WOE-coded training column.
    pub fn column(&self) -> WoeColumn<'a> {
        WoeColumn {
            slots: &self.binned.slots,
            woe: &self.binned.woe,
        }
    }
}

/// The screening log and the candidates that pass each stage.
pub(crate) struct Screening<'a> {
    /// One line per candidate feature, in input order.
    pub records: Vec<ScreenRecord>,
    /// Candidates not (yet) refused.
    pub passed: Vec<Candidate<'a>>,
    /// Test-set slots computed for the stability check, by record.
    pub test_slots: HashMap<usize, Vec<u8>>,
}

/// Stage 2: univariate screens over every binned candidate.
pub(crate) fn univariate<'a>(
    candidates: &[&FeatureView<'_>],
    binned: &'a [Result<BinnedFeature, String>],
    sc: &ScreeningConfig,
    notes: &mut Vec<String>,
) -> Screening<'a> {
    let mut records: Vec<ScreenRecord> = Vec::new();
    let mut passed = Vec::new();
    for (v, b) in candidates.iter().zip(binned) {
        let record = records.len();
        match b {
            Err(why) => {
                notes.push(format!("'{}' dropped: {why}", v.name));
                records.push(ScreenRecord {
                    feature: v.name.into(),
                    iv: 0.0,
                    missing_rate: 0.0,
                    single_value_rate: 0.0,
                    psi: None,
                    kept: false,
                    reason: why.clone(),
                });
            }
            Ok(bf) => {
                let smoothed = bf.binning.bins.iter().filter(|b| b.smoothed).count();
                if smoothed > 0 {
                    notes.push(format!(
                        "'{}': {smoothed} bin(s) held one class only; their WOE was smoothed by half a row per class",
                        v.name
                    ));
                }
                let reason = refusal(v.name, bf, sc, notes);
                records.push(ScreenRecord {
                    feature: v.name.into(),
                    iv: bf.binning.iv,
                    missing_rate: bf.missing_rate,
                    single_value_rate: bf.single_value_rate,
                    psi: None,
                    kept: reason.is_none(),
                    reason: reason.unwrap_or_default(),
                });
                if records[record].kept {
                    passed.push(Candidate { record, binned: bf });
                }
            }
        }
    }
    Screening {
        records,
        passed,
        test_slots: HashMap::new(),
    }
}

/// Why a binned feature fails the univariate screens, if it does.
fn refusal(
    name: &str,
    bf: &BinnedFeature,
    sc: &ScreeningConfig,
    notes: &mut Vec<String>,
) -> Option<String> {
    if bf.missing_rate > sc.max_missing_rate {
        return Some(format!(
            "missing rate {:.3} above {}",
            bf.missing_rate, sc.max_missing_rate
        ));
    }
    if bf.single_value_rate > sc.max_single_value_rate {
        return Some(format!(
            "single-value rate {:.3} above {}",
            bf.single_value_rate, sc.max_single_value_rate
        ));
    }
    if bf.binning.iv < sc.min_iv {
        let p = association_p_value(&bf.binning.bins);
        if p < sc.iv_exempt_p {
            notes.push(format!(
                "'{name}': IV {:.4} below {} but its bins' association with the target is significant (p = {p:.1e}); passed to the regression",
                bf.binning.iv, sc.min_iv
            ));
            return None;
        }
        return Some(format!(
            "IV {:.4} below {} (association p = {p:.2e})",
            bf.binning.iv, sc.min_iv
        ));
    }
    None
}

impl<'a> Screening<'a> {
    /// Stage 3: stability of each remaining candidate's bins between train and test (PSI).
    pub(crate) fn stability(
        &mut self,
        test: &Dataset<'_>,
        by_name: &HashMap<&str, FeatureData<'_>>,
        sc: &ScreeningConfig,
        progress: &dyn Progress,
    ) -> Result<(), ScorecardError> {
        progress.phase("test stability", self.passed.len() as u64);
        let encoded: Vec<(Candidate<'a>, Vec<u8>)> = self
            .passed
            .par_iter()
            .map(|c| {
                let enc = c.binned.binning.encoder(&by_name[c.name()])?;
                progress.inc(1);
                Ok((*c, enc.slots(test.target.len())))
            })
            .collect::<Result<_, ScorecardError>>()?;
        for (c, slots) in encoded {
            let k = c.binned.binning.n_slots();
            let train_counts: Vec<u64> =
                c.binned.binning.bins.iter().map(|b| b.counts.n()).collect();
            let mut test_counts = vec![0u64; k];
            slots.iter().for_each(|&s| test_counts[s as usize] += 1);
            let p = psi(&train_counts, &test_counts);
            let record = &mut self.records[c.record];
            record.psi = Some(p);
            if p > sc.max_psi {
                record.kept = false;
                record.reason = format!("PSI {p:.3} between train and test above {}", sc.max_psi);
            }
            self.test_slots.insert(c.record, slots);
        }
        let records = &self.records;
        self.passed.retain(|c| records[c.record].kept);
        Ok(())
    }

    /// Stage 4: redundancy among the survivors, by correlation and then by VIF; the stronger
    /// (higher-IV) of a correlated pair stays.
    pub(crate) fn redundancy(&mut self, sc: &ScreeningConfig, progress: &dyn Progress) {
        let cols: Vec<WoeColumn<'_>> = self.passed.iter().map(Candidate::column).collect();
        let names: Vec<String> = self.passed.iter().map(|c| c.name().to_string()).collect();
        let ivs: Vec<f64> = self.passed.iter().map(|c| c.binned.binning.iv).collect();
        progress.phase("correlation and VIF", 1);
        let all: Vec<usize> = (0..self.passed.len()).collect();
        let (kept, dropped_corr) = by_correlation(&cols, &names, &ivs, &all, sc);
        let (kept, dropped_vif) = by_vif(&cols, &kept, sc);
        for (i, why) in dropped_corr.into_iter().chain(dropped_vif) {
            let record = &mut self.records[self.passed[i].record];
            record.kept = false;
            record.reason = why;
        }
        self.passed = kept.into_iter().map(|i| self.passed[i]).collect();
        progress.inc(1);
    }
}
