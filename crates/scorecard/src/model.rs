//! The model artifact: everything needed to score, explain and audit a scorecard, as
//! versioned JSON that serialises byte-identically for the same fit.

use crate::ScorecardError;
use crate::binning::{FeatureBinning, FeatureData};
use crate::config::FitConfig;
use crate::metrics::Band;
use crate::scaling::{GradeScale, Scaling};
use crate::screening::ScreenRecord;
use crate::stepwise::StepRecord;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use xinrong_core::Grade;

/// Schema identifier written into and required from every model file.
pub const SCHEMA_VERSION: &str = "xinrong.scorecard/1";

/// English and Chinese display names of a feature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Label {
    /// English name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
    /// Chinese name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zh: Option<String>,
}

/// What the training (and test) data were, so a model can be traced to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// SHA-256 over the training columns' names and values and the target.
    pub train_sha256: String,
    /// Training rows.
    pub train_rows: u64,
    /// Training bads.
    pub train_bads: u64,
    /// Candidate feature columns.
    pub candidate_features: usize,
    /// SHA-256 of the test data, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_sha256: Option<String>,
    /// Test rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_rows: Option<u64>,
}

/// A characteristic of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFeature {
    /// Column name.
    pub name: String,
    /// Display names.
    #[serde(default)]
    pub label: Label,
    /// Regression coefficient on WOE.
    pub coefficient: f64,
    /// Its standard error.
    pub std_err: f64,
    /// Wald p-value.
    pub p_value: f64,
    /// Variance inflation factor among the model's features.
    pub vif: f64,
    /// Binning with WOE.
    pub binning: FeatureBinning,
    /// Points of each bin slot.
    pub points: Vec<f64>,
}

impl ModelFeature {
    /// Highest points this characteristic can give (reason codes measure losses from it).
    pub fn max_points(&self) -> f64 {
        self.points
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The nearest better bin for a value that fell in `slot`: the interval, group or special
    /// value whose points are the least above the slot's (the first of equals), with its
    /// points; `None` when no such bin gives more. Missing and unseen never count: having no
    /// data is not something to aim for.
    pub fn next_better(&self, slot: usize) -> Option<(&crate::binning::Bin, f64)> {
        let now = *self.points.get(slot)?;
        self.binning
            .bins
            .iter()
            .zip(&self.points)
            .filter(|(b, p)| {
                matches!(
                    b.kind,
                    crate::binning::BinKind::Regular | crate::binning::BinKind::Special
                ) && **p > now + 1e-9
            })
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map(|(b, p)| (b, *p))
    }

    /// The label in the requested language, falling back to the column name.
    pub fn display(&self, lang: Lang) -> &str {
        let l = match lang {
            Lang::En => self.label.en.as_deref(),
            Lang::Zh => self.label.zh.as_deref().or(self.label.en.as_deref()),
        };
        l.unwrap_or(&self.name)
    }
}

/// Language of labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Chinese.
    Zh,
}

/// Performance on one data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetMetrics {
    /// Rows.
    pub rows: u64,
    /// Bad rate.
    pub bad_rate: f64,
    /// ROC AUC.
    #[serde(with = "crate::nan_null")]
    pub auc: f64,
    /// 2·AUC − 1.
    #[serde(with = "crate::nan_null")]
    pub gini: f64,
    /// Kolmogorov–Smirnov statistic.
    #[serde(with = "crate::nan_null")]
    pub ks: f64,
    /// Score at which KS peaks.
    #[serde(with = "crate::nan_null")]
    pub ks_score: f64,
    /// Bad rate by score decile (cut at training deciles), riskiest first.
    pub deciles: Vec<Band>,
    /// Bad rate by grade, A first.
    pub grades: Vec<Band>,
    /// Hosmer–Lemeshow chi-square over the deciles (observed vs predicted PD).
    #[serde(with = "crate::nan_null")]
    pub hosmer_lemeshow: f64,
    /// Its p-value.
    #[serde(with = "crate::nan_null")]
    pub hosmer_lemeshow_p: f64,
    /// Goods and bads in 40 equal score intervals over the training range, lowest score
    /// first: enough to draw ROC and KS curves and the score distributions.
    #[serde(default)]
    pub histogram: Vec<crate::metrics::ScoreBin>,
}

/// Model performance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// On training data.
    pub train: SetMetrics,
    /// On test data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<SetMetrics>,
    /// Score PSI, train deciles vs test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_psi: Option<f64>,
    /// True when grade bad rates rise from A to F on training data.
    pub grades_monotone: bool,
}

/// A fitted scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// Program that wrote it.
    pub producer: String,
    /// Target column.
    pub target: String,
    /// Row identifier column, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_column: Option<String>,
    /// Data fingerprint.
    pub data: DataFingerprint,
    /// Effective configuration.
    pub config: FitConfig,
    /// Points scaling.
    pub scaling: Scaling,
    /// Regression intercept.
    pub intercept: f64,
    /// Points every row starts with (intercept's share of the score).
    pub base_points: f64,
    /// Characteristics in order of entry.
    pub features: Vec<ModelFeature>,
    /// Grade cut points.
    pub grades: GradeScale,
    /// Performance.
    pub metrics: Metrics,
    /// Why each candidate was kept or dropped.
    pub screening: Vec<ScreenRecord>,
    /// Stepwise log.
    pub selection: Vec<StepRecord>,
    /// Bins of every candidate that was binned (for reports and for re-editing).
    pub candidate_bins: Vec<FeatureBinning>,
    /// Things the fit did that a reviewer should know.
    pub notes: Vec<String>,
}

/// Scores of a batch of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Total points.
    pub score: Vec<f64>,
    /// Probability of bad implied by the score.
    pub pd: Vec<f64>,
    /// Grade.
    pub grade: Vec<Grade>,
    /// Reason codes: `top_n` feature indices per row (`u16::MAX` = none), worst first.
    pub reasons: Vec<u16>,
    /// Reasons per row.
    pub top_n: usize,
}

impl Scorecard {
    /// Parses a model file, refusing other schema versions with a clear message.
    pub fn from_json(text: &str) -> Result<Self, ScorecardError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ScorecardError::Corrupt(e.to_string()))?;
        let found = value
            .get("schema_version")
            .and_then(|v| v.as_str())
            .unwrap_or("(none)");
        if found != SCHEMA_VERSION {
            return Err(ScorecardError::Schema {
                found: found.to_string(),
                expected: SCHEMA_VERSION,
            });
        }
        let model: Scorecard =
            serde_json::from_value(value).map_err(|e| ScorecardError::Corrupt(e.to_string()))?;
        model.check()?;
        Ok(model)
    }

    /// Pretty JSON; the same model always gives the same bytes.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scorecard always serialises") + "\n"
    }

    fn check(&self) -> Result<(), ScorecardError> {
        for f in &self.features {
            if f.points.len() != f.binning.bins.len() || f.points.iter().any(|p| !p.is_finite()) {
                return Err(ScorecardError::Corrupt(format!(
                    "feature '{}' has points that do not match its bins",
                    f.name
                )));
            }
        }
        if self.grades.cuts.len() != 6 {
            return Err(ScorecardError::Corrupt(
                "grade scale needs six cut points".into(),
            ));
        }
        Ok(())
    }

    /// Names of the model's features.
    pub fn feature_names(&self) -> Vec<&str> {
        self.features.iter().map(|f| f.name.as_str()).collect()
    }

    /// Slots of every row for every feature; `data` must hold each model feature (all absent
    /// ones are listed in one error).
    pub fn encode(
        &self,
        data: &HashMap<&str, FeatureData<'_>>,
        n: usize,
    ) -> Result<Vec<Vec<u8>>, ScorecardError> {
        let missing: Vec<String> = self
            .features
            .iter()
            .filter(|f| !data.contains_key(f.name.as_str()))
            .map(|f| f.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(ScorecardError::MissingFeatures { features: missing });
        }
        self.features
            .par_iter()
            .map(|f| Ok(f.binning.encoder(&data[f.name.as_str()])?.slots(n)))
            .collect()
    }

    /// Scores rows from their slots.
    pub fn score_slots(&self, slots: &[Vec<u8>], n: usize, top_n: usize) -> Scores {
        const CHUNK: usize = 8192;
        let mut score = vec![self.base_points; n];
        score
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(k, block)| {
                let (start, len) = (k * CHUNK, block.len());
                for (f, s) in self.features.iter().zip(slots) {
                    for (acc, &slot) in block.iter_mut().zip(&s[start..start + len]) {
                        *acc += f.points[slot as usize];
                    }
                }
                for acc in block.iter_mut() {
                    *acc = crate::scaling::round2(*acc);
                }
            });
        let pd: Vec<f64> = score.par_iter().map(|&s| self.scaling.pd(s)).collect();
        let grade: Vec<Grade> = score.par_iter().map(|&s| self.grades.grade(s)).collect();
        let maxes: Vec<f64> = self.features.iter().map(|f| f.max_points()).collect();
        let mut reasons = vec![u16::MAX; n * top_n];
        if top_n > 0 {
            reasons
                .par_chunks_mut(top_n * CHUNK)
                .enumerate()
                .for_each(|(k, block)| {
                    let start = k * CHUNK;
                    let mut losses: Vec<(f64, u16)> = Vec::with_capacity(self.features.len());
                    for (r, out) in block.chunks_mut(top_n).enumerate() {
                        losses.clear();
                        for (j, f) in self.features.iter().enumerate() {
                            let lost = maxes[j] - f.points[slots[j][start + r] as usize];
                            if lost > 0.0 {
                                losses.push((lost, j as u16));
                            }
                        }
                        losses.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                        for (o, l) in out.iter_mut().zip(&losses) {
                            *o = l.1;
                        }
                    }
                });
        }
        Scores {
            score,
            pd,
            grade,
            reasons,
            top_n,
        }
    }

    /// Encodes and scores in one call.
    pub fn score(
        &self,
        data: &HashMap<&str, FeatureData<'_>>,
        n: usize,
        top_n: usize,
    ) -> Result<Scores, ScorecardError> {
        let slots = self.encode(data, n)?;
        Ok(self.score_slots(&slots, n, top_n))
    }
}
