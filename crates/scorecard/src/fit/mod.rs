//! The fitting pipeline: bin → screen → select → points → grade and measure.

mod choose;
mod measure;
mod points;
mod screen;

use crate::ScorecardError;
use crate::binning::{BinnedFeature, FeatureData, FeatureView, fit_feature};
use crate::config::FitConfig;
use crate::model::{DataFingerprint, Label, Metrics, SCHEMA_VERSION, Scorecard};
use crate::scaling::{GradeScale, Scaling};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Feature columns and a 0/1 target.
#[derive(Debug, Clone)]
pub struct Dataset<'a> {
    /// Candidate features.
    pub features: Vec<FeatureView<'a>>,
    /// 1 = bad, 0 = good.
    pub target: Vec<u8>,
}

/// Reports progress of long phases to whoever shows it.
pub trait Progress: Sync {
    /// A phase of `total` steps begins.
    fn phase(&self, _name: &str, _total: u64) {}
    /// `n` more steps are done.
    fn inc(&self, _n: u64) {}
}

/// A progress sink that shows nothing.
pub struct Silent;
impl Progress for Silent {}

/// What `fit` needs besides the configuration.
#[derive(Debug, Clone)]
pub struct FitInput<'a> {
    /// Training data.
    pub train: Dataset<'a>,
    /// Out-of-sample data for PSI and test metrics.
    pub test: Option<Dataset<'a>>,
    /// Target column name.
    pub target_name: String,
    /// Row identifier column name, recorded for scoring.
    pub id_column: Option<String>,
    /// Display names by feature.
    pub labels: BTreeMap<String, Label>,
}

/// Turns a numeric target column into 0/1, naming the first bad row.
pub fn target_from_numeric(name: &str, values: &[f64]) -> Result<Vec<u8>, ScorecardError> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| match v {
            0.0 => Ok(0),
            1.0 => Ok(1),
            v if v.is_nan() => Err(ScorecardError::TargetMissing {
                name: name.into(),
                row: i + 1,
            }),
            v => Err(ScorecardError::TargetValue {
                name: name.into(),
                row: i + 1,
                value: v.to_string(),
            }),
        })
        .collect()
}

/// Fits a scorecard: bin every candidate, screen (univariate, stability, redundancy),
/// select by stepwise regression, turn contributions into points, grade and measure. Each
/// stage is a module of its own; this function only passes their results along.
pub fn fit(
    input: &FitInput<'_>,
    config: &FitConfig,
    progress: &dyn Progress,
) -> Result<Scorecard, ScorecardError> {
    let (n, bads) = check(input, config)?;
    let train = &input.train;
    let y = &train.target;
    let mut notes = Vec::new();

    // 1. Binning, every candidate in parallel.
    let candidates: Vec<&FeatureView<'_>> = train
        .features
        .iter()
        .filter(|f| {
            !config
                .binning
                .features
                .get(f.name)
                .is_some_and(|s| s.exclude)
        })
        .collect();
    progress.phase("binning", candidates.len() as u64);
    let binned: Vec<Result<BinnedFeature, String>> = candidates
        .par_iter()
        .map(|v| {
            let r = fit_feature(v, y, &config.binning);
            progress.inc(1);
            r
        })
        .collect::<Result<_, _>>()?;

    // 2–4. Screens.
    let sc = &config.screening;
    let mut screening = screen::univariate(&candidates, &binned, sc, &mut notes);
    let test: Option<(&Dataset<'_>, HashMap<&str, FeatureData<'_>>)> = input
        .test
        .as_ref()
        .map(|t| (t, t.features.iter().map(|f| (f.name, f.data)).collect()));
    if let Some((t, by_name)) = &test {
        screening.stability(t, by_name, sc, progress)?;
    }
    screening.redundancy(sc, progress);
    if screening.passed.is_empty() {
        return Err(ScorecardError::NothingSelected(format!(
            "{} candidate(s), none passed",
            candidates.len()
        )));
    }

    // 5. Selection.
    let chosen = choose::choose(
        &screening.passed,
        y,
        &config.selection,
        &mut screening.records,
        &mut notes,
        progress,
    )?;
    let lr = &chosen.selection.fit;

    // 6. Points.
    let scaling = Scaling::new(&config.scaling);
    let (contrib, intercept) = points::contributions(
        &chosen.features,
        lr,
        y,
        &config.selection,
        &mut notes,
        progress,
    );
    let features = points::model_features(&chosen.features, lr, &contrib, &scaling, &input.labels);
    let base_points = crate::scaling::round2(scaling.offset - scaling.factor * intercept);
    let mut model = Scorecard {
        schema_version: SCHEMA_VERSION.into(),
        producer: format!("xinrong-scorecard {}", env!("CARGO_PKG_VERSION")),
        target: input.target_name.clone(),
        id_column: input.id_column.clone(),
        data: DataFingerprint {
            train_sha256: fingerprint(train),
            train_rows: n as u64,
            train_bads: bads as u64,
            candidate_features: train.features.len(),
            test_sha256: input.test.as_ref().map(fingerprint),
            test_rows: input.test.as_ref().map(|t| t.target.len() as u64),
        },
        config: config.clone(),
        scaling,
        intercept,
        base_points,
        features,
        grades: GradeScale {
            cuts: vec![0.0; 6],
            method: String::new(),
        },
        metrics: Metrics {
            train: measure::empty_metrics(),
            test: None,
            score_psi: None,
            grades_monotone: false,
        },
        screening: screening.records,
        selection: chosen.selection.log.clone(),
        candidate_bins: binned
            .iter()
            .filter_map(|b| b.as_ref().ok())
            .map(|b| b.binning.clone())
            .collect(),
        notes,
    };

    // 7. Grades and metrics.
    progress.phase("metrics", 1);
    measure::grade_and_measure(
        &mut model,
        &chosen.features,
        y,
        &config.grades,
        test.as_ref().map(|(t, by_name)| (*t, by_name)),
        screening.test_slots,
    )?;
    progress.inc(1);
    Ok(model)
}

/// Refuses what no fit can use, before any work: a bad configuration, a target of one class,
/// too many hand-set bins, a test set without the training features. The rows and bads.
fn check(input: &FitInput<'_>, config: &FitConfig) -> Result<(usize, usize), ScorecardError> {
    config.validate().map_err(ScorecardError::Config)?;
    let train = &input.train;
    let n = train.target.len();
    let bads = train.target.iter().filter(|&&t| t == 1).count();
    if bads == 0 || bads == n {
        let class = if bads == 0 { "good" } else { "bad" };
        return Err(ScorecardError::OneClass {
            name: input.target_name.clone(),
            rows: n,
            class,
        });
    }
    for (name, spec) in &config.binning.features {
        let slots = spec.cuts.as_ref().map_or(0, |c| c.len() + 1)
            + spec.groups.as_ref().map_or(0, |g| g.len());
        if slots > 250 {
            return Err(ScorecardError::Config(format!(
                "binning.features.{name}: at most 250 bins"
            )));
        }
    }
    if let Some(test) = &input.test {
        let have: std::collections::HashSet<&str> = test.features.iter().map(|f| f.name).collect();
        let missing: Vec<String> = train
            .features
            .iter()
            .filter(|f| !have.contains(f.name))
            .map(|f| f.name.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(ScorecardError::MissingFeatures { features: missing });
        }
    }
    Ok((n, bads))
}

/// SHA-256 over every column's name, kind and values, and the target; columns are hashed in
/// parallel and their digests combined in column order.
pub fn fingerprint(data: &Dataset<'_>) -> String {
    let digests: Vec<Vec<u8>> = data
        .features
        .par_iter()
        .map(|f| {
            let mut h = Sha256::new();
            h.update(f.name.as_bytes());
            h.update([0u8]);
            match f.data {
                FeatureData::Numeric(v) => {
                    h.update(b"n");
                    for chunk in v.chunks(8192) {
                        let bytes: Vec<u8> = chunk.iter().flat_map(|x| x.to_le_bytes()).collect();
                        h.update(&bytes);
                    }
                }
                FeatureData::Categorical { codes, levels } => {
                    h.update(b"c");
                    for l in levels {
                        h.update(l.as_bytes());
                        h.update([0u8]);
                    }
                    for chunk in codes.chunks(8192) {
                        let bytes: Vec<u8> = chunk.iter().flat_map(|x| x.to_le_bytes()).collect();
                        h.update(&bytes);
                    }
                }
            }
            h.finalize().to_vec()
        })
        .collect();
    let mut h = Sha256::new();
    for d in digests {
        h.update(d);
    }
    h.update(&data.target);
    hex::encode(h.finalize())
}
