//! The fitting pipeline: bin → screen → select → scale → grade → measure.

use crate::ScorecardError;
use crate::binning::optimal::Shape;
use crate::binning::{BinRule, BinnedFeature, FeatureData, FeatureView, fit_feature};
use crate::config::FitConfig;
use crate::crossfit::{self, CrossFitted};
use crate::design::WoeColumn;
use crate::metrics::{auc, bands, deciles, histogram, hosmer_lemeshow, ks, psi, quantile_cuts};
use crate::model::{
    DataFingerprint, Label, Metrics, ModelFeature, SCHEMA_VERSION, Scorecard, SetMetrics,
};
use crate::refine::{RefineInput, prior_sd_by_evidence, refine};
use crate::scaling::{GradeScale, Scaling, default_grades, monotone_bad_rates};
use crate::screening::{ScreenRecord, association_p_value, by_correlation, by_vif, vif};
use crate::stepwise::select;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use xinrong_core::Grade;

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

/// Fits a scorecard.
pub fn fit(
    input: &FitInput<'_>,
    config: &FitConfig,
    progress: &dyn Progress,
) -> Result<Scorecard, ScorecardError> {
    config.validate().map_err(ScorecardError::Config)?;
    let train = &input.train;
    let y = &train.target;
    let n = y.len();
    let bads = y.iter().filter(|&&t| t == 1).count();
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

    // 2. Univariate screens.
    let sc = &config.screening;
    let mut records: Vec<ScreenRecord> = Vec::new();
    let mut ok: Vec<(usize, &BinnedFeature)> = Vec::new();
    for (v, b) in candidates.iter().zip(&binned) {
        let rec_idx = records.len();
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
                let reason = if bf.missing_rate > sc.max_missing_rate {
                    Some(format!(
                        "missing rate {:.3} above {}",
                        bf.missing_rate, sc.max_missing_rate
                    ))
                } else if bf.single_value_rate > sc.max_single_value_rate {
                    Some(format!(
                        "single-value rate {:.3} above {}",
                        bf.single_value_rate, sc.max_single_value_rate
                    ))
                } else if bf.binning.iv < sc.min_iv {
                    let p = association_p_value(&bf.binning.bins);
                    if p < sc.iv_exempt_p {
                        notes.push(format!(
                            "'{}': IV {:.4} below {} but its bins' association with the target is significant (p = {p:.1e}); passed to the regression",
                            v.name, bf.binning.iv, sc.min_iv
                        ));
                        None
                    } else {
                        Some(format!(
                            "IV {:.4} below {} (association p = {p:.2e})",
                            bf.binning.iv, sc.min_iv
                        ))
                    }
                } else {
                    None
                };
                records.push(ScreenRecord {
                    feature: v.name.into(),
                    iv: bf.binning.iv,
                    missing_rate: bf.missing_rate,
                    single_value_rate: bf.single_value_rate,
                    psi: None,
                    kept: reason.is_none(),
                    reason: reason.unwrap_or_default(),
                });
                if records[rec_idx].kept {
                    ok.push((rec_idx, bf));
                }
            }
        }
    }

    // 3. Stability against the test set, on the features still in.
    let test_data: Option<(&Dataset<'_>, HashMap<&str, FeatureData<'_>>)> = input
        .test
        .as_ref()
        .map(|t| (t, t.features.iter().map(|f| (f.name, f.data)).collect()));
    let mut test_slots: HashMap<usize, Vec<u8>> = HashMap::new();
    if let Some((t, by_name)) = &test_data {
        progress.phase("test stability", ok.len() as u64);
        let encoded: Vec<(usize, Vec<u8>)> = ok
            .par_iter()
            .map(|(ri, bf)| {
                let enc = bf.binning.encoder(&by_name[bf.binning.feature.as_str()])?;
                progress.inc(1);
                Ok((*ri, enc.slots(t.target.len())))
            })
            .collect::<Result<_, ScorecardError>>()?;
        for (ri, slots) in encoded {
            let bf = ok
                .iter()
                .find(|(r, _)| *r == ri)
                .map(|(_, b)| *b)
                .expect("encoded from ok");
            let k = bf.binning.n_slots();
            let train_counts: Vec<u64> = bf.binning.bins.iter().map(|b| b.counts.n()).collect();
            let mut test_counts = vec![0u64; k];
            slots.iter().for_each(|&s| test_counts[s as usize] += 1);
            let p = psi(&train_counts, &test_counts);
            records[ri].psi = Some(p);
            if p > sc.max_psi {
                records[ri].kept = false;
                records[ri].reason =
                    format!("PSI {p:.3} between train and test above {}", sc.max_psi);
            }
            test_slots.insert(ri, slots);
        }
        ok.retain(|(ri, _)| records[*ri].kept);
    }

    // 4. Correlation and VIF among the survivors.
    let cols: Vec<WoeColumn<'_>> = ok.iter().map(|(_, bf)| woe_column(bf)).collect();
    let names: Vec<String> = ok
        .iter()
        .map(|(ri, _)| records[*ri].feature.clone())
        .collect();
    let ivs: Vec<f64> = ok.iter().map(|(_, bf)| bf.binning.iv).collect();
    progress.phase("correlation and VIF", 1);
    let all: Vec<usize> = (0..ok.len()).collect();
    let (kept, dropped_corr) = by_correlation(&cols, &names, &ivs, &all, sc);
    let (kept, dropped_vif) = by_vif(&cols, &kept, sc);
    for (i, why) in dropped_corr.into_iter().chain(dropped_vif) {
        let ri = ok[i].0;
        records[ri].kept = false;
        records[ri].reason = why;
    }
    progress.inc(1);
    if kept.is_empty() {
        let n_cand = candidates.len();
        return Err(ScorecardError::NothingSelected(format!(
            "{n_cand} candidate(s), none passed"
        )));
    }

    // 5. Selection, on cross-fitted WOE where bads are scarce for the candidates.
    let cross = crossfit::applies(&config.selection, bads, kept.len());
    let crossed: Vec<Option<CrossFitted>> = if cross {
        let chosen: Vec<&BinnedFeature> = kept.iter().map(|&i| ok[i].1).collect();
        crossfit::cross_fit_all(&chosen, y)
    } else {
        kept.iter().map(|_| None).collect()
    };
    if cross {
        let fallback = crossed.iter().filter(|x| x.is_none()).count();
        notes.push(format!(
            "selection and coefficients used {}-fold cross-fitted WOE ({bads} bads for {} candidates){}",
            crossfit::FOLDS,
            kept.len(),
            if fallback > 0 {
                format!("; {fallback} feature(s) with too many bins kept in-sample WOE")
            } else {
                String::new()
            }
        ));
    }
    let in_sample: Vec<WoeColumn<'_>> = kept.iter().map(|&i| cols[i]).collect();
    let sel_cols: Vec<WoeColumn<'_>> = in_sample
        .iter()
        .zip(&crossed)
        .map(|(c, x)| match x {
            Some(x) => WoeColumn {
                slots: &x.slots,
                woe: &x.woe,
            },
            None => *c,
        })
        .collect();
    let sel_names: Vec<String> = kept.iter().map(|&i| names[i].clone()).collect();
    progress.phase(
        "stepwise regression",
        config.selection.max_features.min(kept.len()) as u64,
    );
    let last = std::sync::atomic::AtomicU64::new(0);
    let tick = |k: usize| {
        let prev = last.swap(k as u64, std::sync::atomic::Ordering::Relaxed);
        if k as u64 > prev {
            progress.inc(k as u64 - prev);
        }
    };
    let selection = select(&sel_cols, &sel_names, y, &config.selection, &tick);
    if selection.selected.is_empty() {
        return Err(ScorecardError::NothingSelected(
            "no feature improved the criterion".into(),
        ));
    }
    if config.selection.l2.is_none() {
        notes.push(format!(
            "regression: L2 penalty {:.2} chosen by marginal likelihood",
            selection.l2
        ));
    }
    for r in &mut records {
        if r.kept
            && !selection
                .selected
                .iter()
                .any(|&s| sel_names[s] == r.feature)
        {
            r.reason = "screened in; not chosen by stepwise selection".into();
        } else if r.kept {
            r.reason = "in the model".into();
        }
    }
    if !selection.fit.converged {
        notes.push(
            "the regression reached its iteration limit before converging (quasi-separation?)"
                .into(),
        );
    }

    // 6. Points.
    let scaling = Scaling::new(&config.scaling);
    let lr = &selection.fit;
    let final_cols: Vec<WoeColumn<'_>> = selection.selected.iter().map(|&s| in_sample[s]).collect();
    let vifs = vif(&final_cols);
    let p_values = lr.p_values();
    let chosen: Vec<&(usize, &BinnedFeature)> =
        selection.selected.iter().map(|&s| &ok[kept[s]]).collect();
    let (contrib, intercept) = if config.selection.refine_points {
        let inputs: Vec<RefineInput<'_>> = chosen
            .iter()
            .enumerate()
            .map(|(j, (_, bf))| RefineInput {
                slots: &bf.slots,
                bins: &bf.binning.bins,
                beta: lr.coef[j + 1],
                shape: Shape::of(
                    bf.binning.trend,
                    bf.binning.hand_set,
                    matches!(bf.binning.rule, BinRule::Categorical { .. }),
                ),
            })
            .collect();
        progress.phase("refining points", 1);
        let sd = match config.selection.refine_prior_sd {
            Some(sd) => sd,
            None => {
                let sd = prior_sd_by_evidence(&inputs, y, lr.coef[0]);
                notes.push(format!(
                    "point refinement: prior sd {sd:.3} chosen by marginal likelihood"
                ));
                sd
            }
        };
        let r = refine(&inputs, y, lr.coef[0], sd);
        if r.ties > 0 {
            notes.push(format!(
                "point refinement tied {} pair(s) of neighbouring bins to keep their shapes",
                r.ties
            ));
        }
        (r.contrib, r.intercept)
    } else {
        let c = chosen
            .iter()
            .enumerate()
            .map(|(j, (_, bf))| {
                bf.binning
                    .bins
                    .iter()
                    .map(|b| lr.coef[j + 1] * b.woe)
                    .collect()
            })
            .collect();
        (c, lr.coef[0])
    };
    let features: Vec<ModelFeature> = chosen
        .iter()
        .enumerate()
        .map(|(j, (_, bf))| {
            let name = bf.binning.feature.clone();
            ModelFeature {
                label: input.labels.get(&name).cloned().unwrap_or_default(),
                name,
                coefficient: lr.coef[j + 1],
                std_err: lr.std_err[j + 1],
                p_value: p_values[j + 1],
                vif: vifs[j],
                points: contrib[j].iter().map(|c| scaling.points(*c)).collect(),
                binning: bf.binning.clone(),
            }
        })
        .collect();
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
            train: empty_metrics(),
            test: None,
            score_psi: None,
            grades_monotone: false,
        },
        screening: records,
        selection: selection.log.clone(),
        candidate_bins: binned
            .iter()
            .filter_map(|b| b.as_ref().ok())
            .map(|b| b.binning.clone())
            .collect(),
        notes,
    };

    // 7. Scores, grades, metrics.
    progress.phase("metrics", 1);
    let train_slots: Vec<Vec<u8>> = chosen.iter().map(|(_, bf)| bf.slots.clone()).collect();
    let train_scores = model.score_slots(&train_slots, n, 0);
    let (scale, monotone) = if config.grades.cuts.is_empty() {
        default_grades(&train_scores.score, y)
    } else {
        let s = GradeScale {
            cuts: config.grades.cuts.clone(),
            method: "configured".into(),
        };
        let m = monotone_bad_rates(&s, &train_scores.score, y);
        (s, m)
    };
    if !monotone {
        model.notes.push(
            "grade bad rates do not rise monotonically from A to F on the training data".into(),
        );
    }
    model.grades = scale;
    model.metrics.grades_monotone = monotone;
    let train_scores = model.score_slots(&train_slots, n, 0);
    model.metrics.train = set_metrics(
        &model,
        &train_scores.score,
        &train_scores.score,
        &train_scores.pd,
        y,
    );
    if let Some((t, by_name)) = &test_data {
        let slots: Vec<Vec<u8>> = chosen
            .iter()
            .map(|(ri, bf)| match test_slots.remove(ri) {
                Some(s) => Ok(s),
                None => Ok(bf
                    .binning
                    .encoder(&by_name[bf.binning.feature.as_str()])?
                    .slots(t.target.len())),
            })
            .collect::<Result<_, ScorecardError>>()?;
        let ts = model.score_slots(&slots, t.target.len(), 0);
        model.metrics.test = Some(set_metrics(
            &model,
            &train_scores.score,
            &ts.score,
            &ts.pd,
            &t.target,
        ));
        let cuts = quantile_cuts(
            &train_scores.score,
            &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        );
        let count = |s: &[f64]| {
            let mut c = vec![0u64; 10];
            s.iter()
                .for_each(|v| c[cuts.partition_point(|&x| x <= *v)] += 1);
            c
        };
        model.metrics.score_psi = Some(psi(&count(&train_scores.score), &count(&ts.score)));
    }
    progress.inc(1);
    Ok(model)
}

fn woe_column<'a>(bf: &'a BinnedFeature) -> WoeColumn<'a> {
    WoeColumn {
        slots: &bf.slots,
        woe: &bf.woe,
    }
}

fn empty_metrics() -> SetMetrics {
    SetMetrics {
        rows: 0,
        bad_rate: 0.0,
        auc: f64::NAN,
        gini: f64::NAN,
        ks: f64::NAN,
        ks_score: f64::NAN,
        deciles: Vec::new(),
        grades: Vec::new(),
        hosmer_lemeshow: f64::NAN,
        hosmer_lemeshow_p: f64::NAN,
        histogram: Vec::new(),
    }
}

fn set_metrics(
    model: &Scorecard,
    reference: &[f64],
    score: &[f64],
    pd: &[f64],
    y: &[u8],
) -> SetMetrics {
    let risk: Vec<f64> = score.iter().map(|s| -s).collect();
    let a = auc(&risk, y);
    let (k, at) = ks(&risk, y);
    let dec = deciles(reference, score, pd, y);
    let (hl, hl_p) = hosmer_lemeshow(&dec);
    let labels: Vec<String> = Grade::ALL.iter().map(|g| g.to_string()).collect();
    let grades = bands(
        &labels,
        |i| model.grades.grade(score[i]).rank(),
        score,
        pd,
        y,
    );
    let bads = y.iter().filter(|&&t| t == 1).count();
    SetMetrics {
        rows: y.len() as u64,
        bad_rate: bads as f64 / y.len().max(1) as f64,
        auc: a,
        gini: 2.0 * a - 1.0,
        ks: k,
        ks_score: -at,
        deciles: dec,
        grades,
        hosmer_lemeshow: hl,
        hosmer_lemeshow_p: hl_p,
        histogram: histogram(reference, score, y, 40),
    }
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
