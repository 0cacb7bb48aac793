//! Binning: from raw feature values to a handful of bins, each with its counts, WOE and IV.
//!
//! Numeric features are pre-binned at quantiles, then merged into final bins by the default
//! method, optimal binning ([`optimal`]: the partition of pre-bins with the most information
//! value under the shape, bin-count and bin-size limits, found exactly by dynamic
//! programming), or by ChiMerge ([`merge`], `method = "chimerge"`, also the fallback when no
//! partition meets the limits); missing values and declared special values get bins of their
//! own. Categorical features are ordered by bad rate after pooling rare categories, then
//! merged the same way. Every decision is made from good/bad counts alone.

mod categorical;
pub(crate) mod merge;
mod numeric;
pub(crate) mod optimal;
pub(crate) mod prebin;

use crate::ScorecardError;
use crate::config::{BinningConfig, Trend};
use crate::counts::Counts;
use crate::woe::woe_iv;
use serde::{Deserialize, Serialize};

/// A feature's raw values, borrowed from whatever table holds them.
#[derive(Debug, Clone, Copy)]
pub enum FeatureData<'a> {
    /// Numbers, `NaN` = missing.
    Numeric(&'a [f64]),
    /// Codes into `levels`, [`xinrong_core::MISSING_CODE`] = missing.
    Categorical {
        /// One code per row.
        codes: &'a [u32],
        /// Level names.
        levels: &'a [String],
    },
}

impl FeatureData<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            FeatureData::Numeric(v) => v.len(),
            FeatureData::Categorical { codes, .. } => codes.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A named feature column.
#[derive(Debug, Clone, Copy)]
pub struct FeatureView<'a> {
    /// Column name.
    pub name: &'a str,
    /// Values.
    pub data: FeatureData<'a>,
}

/// How values map to bins; this is what a hand-edited bins file fixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BinRule {
    /// Bins `(-inf, c0), [c0, c1), ..., [ck, +inf)`, then one bin per special value, then the
    /// missing bin.
    Numeric {
        /// Ascending cut points.
        cuts: Vec<f64>,
        /// Values binned on their own.
        special_values: Vec<f64>,
    },
    /// One bin per group, then the missing bin, then the unseen bin (categories not in any
    /// group: at scoring time these take the WOE of the group that pooled the rare categories,
    /// or a neutral WOE of 0 when no group did).
    Categorical {
        /// Category groups.
        groups: Vec<Vec<String>>,
    },
}

/// What a bin stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinKind {
    /// An interval or a group of categories.
    Regular,
    /// One special value.
    Special,
    /// Missing values.
    Missing,
    /// Categories not seen in training.
    Unseen,
}

/// One bin with its training statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Readable description, e.g. `[1.5, 3)` or `A11, A12`.
    pub label: String,
    /// What the bin stands for.
    pub kind: BinKind,
    /// Training goods and bads.
    pub counts: Counts,
    /// Weight of evidence used for scoring.
    pub woe: f64,
    /// Contribution to the feature's IV.
    pub iv: f64,
    /// True when the WOE was smoothed because the bin held one class only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub smoothed: bool,
}

/// A fitted binning of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureBinning {
    /// Feature name.
    pub feature: String,
    /// Value-to-bin rule.
    pub rule: BinRule,
    /// Bins in slot order (see [`BinRule`]).
    pub bins: Vec<Bin>,
    /// Information value of the feature.
    pub iv: f64,
    /// Shape of the bad rates over numeric bins, when one was imposed or found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
    /// True when the bins came from a hand-edited file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hand_set: bool,
}

/// Result of binning a feature on training data.
#[derive(Debug, Clone)]
pub struct BinnedFeature {
    /// The binning.
    pub binning: FeatureBinning,
    /// The training rows' bin slots.
    pub slots: Vec<u8>,
    /// WOE of each slot (as in `binning.bins`), contiguous for the regression.
    pub woe: Vec<f64>,
    /// Share of missing values.
    pub missing_rate: f64,
    /// Share of the most frequent value (estimated from a sample for large numeric columns).
    pub single_value_rate: f64,
}

/// Fits the binning of one feature; `Ok(None)` when the feature carries no information at all
/// (all missing or constant), with the reason.
pub fn fit_feature(
    view: &FeatureView<'_>,
    target: &[u8],
    config: &BinningConfig,
) -> Result<Result<BinnedFeature, String>, ScorecardError> {
    let spec = config.features.get(view.name).cloned().unwrap_or_default();
    match view.data {
        FeatureData::Numeric(values) if !spec.categorical => {
            Ok(numeric::fit(view.name, values, target, config, &spec))
        }
        FeatureData::Numeric(values) => {
            let (codes, levels) = numeric_as_levels(values);
            Ok(categorical::fit(
                view.name, &codes, &levels, target, config, &spec,
            ))
        }
        FeatureData::Categorical { codes, levels } => {
            if spec.cuts.is_some() {
                return Err(ScorecardError::Config(format!(
                    "binning.features.{}.cuts is set but the column holds text; use groups",
                    view.name
                )));
            }
            Ok(categorical::fit(
                view.name, codes, levels, target, config, &spec,
            ))
        }
    }
}

/// Numbers of a numeric column declared categorical, as text levels.
pub(crate) fn numeric_as_levels(values: &[f64]) -> (Vec<u32>, Vec<String>) {
    let mut levels: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let codes = values
        .iter()
        .map(|v| {
            if v.is_nan() {
                return xinrong_core::MISSING_CODE;
            }
            let key = v.to_string();
            *index.entry(key.clone()).or_insert_with(|| {
                levels.push(key);
                levels.len() as u32 - 1
            })
        })
        .collect();
    (codes, levels)
}

/// Builds bins with statistics from slot counts.
pub(crate) fn make_bins(slots: Vec<(String, BinKind, Counts)>, total: Counts) -> (Vec<Bin>, f64) {
    let bins: Vec<Bin> = slots
        .into_iter()
        .map(|(label, kind, counts)| {
            let (woe, iv) = woe_iv(counts, total);
            Bin {
                label,
                kind,
                counts,
                woe,
                iv,
                smoothed: counts.is_pure(),
            }
        })
        .collect();
    let iv = bins.iter().map(|b| b.iv).sum();
    (bins, iv)
}

/// Interval label for bin `i` of `cuts`.
pub(crate) fn interval_label(cuts: &[f64], i: usize) -> String {
    let lo = if i == 0 {
        "-inf".to_string()
    } else {
        fmt_num(cuts[i - 1])
    };
    let hi = if i == cuts.len() {
        "+inf".to_string()
    } else {
        fmt_num(cuts[i])
    };
    format!("[{lo}, {hi})")
}

/// Shortest text that reads back as the same number.
pub fn fmt_num(v: f64) -> String {
    format!("{v}")
}

/// Total goods and bads of a target vector.
pub(crate) fn totals(target: &[u8]) -> Counts {
    let bad = target.iter().filter(|&&t| t == 1).count() as u64;
    Counts {
        bad,
        good: target.len() as u64 - bad,
    }
}

/// Maps values of new data to the slots of a fitted binning.
pub struct Encoder<'a> {
    inner: EncoderKind<'a>,
}

enum EncoderKind<'a> {
    Numeric {
        values: &'a [f64],
        cuts: &'a [f64],
        specials: &'a [f64],
    },
    Categorical {
        codes: &'a [u32],
        map: Vec<u8>,
        missing: u8,
    },
    Precomputed(Vec<u8>),
}

impl Encoder<'_> {
    /// Slot of row `i`.
    #[inline]
    pub fn slot(&self, i: usize) -> u8 {
        match &self.inner {
            EncoderKind::Numeric {
                values,
                cuts,
                specials,
            } => numeric_slot(values[i], cuts, specials),
            EncoderKind::Categorical {
                codes,
                map,
                missing,
            } => {
                let c = codes[i];
                if c == xinrong_core::MISSING_CODE {
                    *missing
                } else {
                    map[c as usize]
                }
            }
            EncoderKind::Precomputed(s) => s[i],
        }
    }

    /// Slots of every row.
    pub fn slots(&self, n: usize) -> Vec<u8> {
        match &self.inner {
            EncoderKind::Precomputed(s) => s.clone(),
            _ => (0..n).map(|i| self.slot(i)).collect(),
        }
    }
}

/// Slot of a numeric value: missing last, specials after the intervals.
#[inline]
pub(crate) fn numeric_slot(x: f64, cuts: &[f64], specials: &[f64]) -> u8 {
    if x.is_nan() {
        return (cuts.len() + 1 + specials.len()) as u8;
    }
    if let Some(k) = specials.iter().position(|&s| s == x) {
        return (cuts.len() + 1 + k) as u8;
    }
    cuts.partition_point(|&c| c <= x) as u8
}

impl FeatureBinning {
    /// Number of slots.
    pub fn n_slots(&self) -> usize {
        self.bins.len()
    }

    /// An encoder for `data`. A categorical feature whose values all read as numbers in this
    /// file is matched by the numbers' text; a numeric feature given text is an error.
    pub fn encoder<'a>(&'a self, data: &FeatureData<'a>) -> Result<Encoder<'a>, ScorecardError> {
        let inner = match (&self.rule, data) {
            (
                BinRule::Numeric {
                    cuts,
                    special_values,
                },
                FeatureData::Numeric(values),
            ) => EncoderKind::Numeric {
                values,
                cuts,
                specials: special_values,
            },
            (BinRule::Categorical { groups }, FeatureData::Categorical { codes, levels }) => {
                EncoderKind::Categorical {
                    codes,
                    map: level_map(groups, levels),
                    missing: groups.len() as u8,
                }
            }
            (BinRule::Categorical { groups }, FeatureData::Numeric(values)) => {
                let (codes, levels) = numeric_as_levels(values);
                let map = level_map(groups, &levels);
                let missing = groups.len() as u8;
                EncoderKind::Precomputed(
                    codes
                        .iter()
                        .map(|&c| {
                            if c == xinrong_core::MISSING_CODE {
                                missing
                            } else {
                                map[c as usize]
                            }
                        })
                        .collect(),
                )
            }
            (BinRule::Numeric { .. }, FeatureData::Categorical { .. }) => {
                return Err(ScorecardError::KindMismatch {
                    feature: self.feature.clone(),
                });
            }
        };
        Ok(Encoder { inner })
    }
}

/// Slot of each level: its group, or the unseen slot.
fn level_map(groups: &[Vec<String>], levels: &[String]) -> Vec<u8> {
    let lookup: std::collections::HashMap<&str, u8> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, members)| members.iter().map(move |m| (m.as_str(), g as u8)))
        .collect();
    let unseen = (groups.len() + 1) as u8;
    levels
        .iter()
        .map(|l| lookup.get(l.as_str()).copied().unwrap_or(unseen))
        .collect()
}
