//! Stage 7 of a fit: scores on the training data set the grade cuts (unless configured), then
//! every measure of the model on train and test: AUC, Gini, KS, deciles, grade bands,
//! Hosmer–Lemeshow, score histograms and the score PSI between the two.

use std::collections::HashMap;

use xinrong_core::Grade;

use super::Dataset;
use super::screen::Candidate;
use crate::ScorecardError;
use crate::binning::FeatureData;
use crate::config::GradeConfig;
use crate::metrics::{auc, bands, deciles, histogram, hosmer_lemeshow, ks, psi, quantile_cuts};
use crate::model::{Scorecard, SetMetrics};
use crate::scaling::{GradeScale, default_grades, monotone_bad_rates};

/// Metrics of no data, until the model is measured.
pub(crate) fn empty_metrics() -> SetMetrics {
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

/// Sets the model's grades and measures it on the training and (when given) test data.
/// `test_slots` holds the test encodings the stability check already made, by record.
pub(crate) fn grade_and_measure(
    model: &mut Scorecard,
    chosen: &[Candidate<'_>],
    y: &[u8],
    grades: &GradeConfig,
    test: Option<(&Dataset<'_>, &HashMap<&str, FeatureData<'_>>)>,
    mut test_slots: HashMap<usize, Vec<u8>>,
) -> Result<(), ScorecardError> {
    let n = y.len();
    let train_slots: Vec<Vec<u8>> = chosen.iter().map(|c| c.binned.slots.clone()).collect();
    let train_scores = model.score_slots(&train_slots, n, 0);
    let (scale, monotone) = if grades.cuts.is_empty() {
        default_grades(&train_scores.score, y)
    } else {
        let s = GradeScale {
            cuts: grades.cuts.clone(),
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
        model,
        &train_scores.score,
        &train_scores.score,
        &train_scores.pd,
        y,
    );
    if let Some((t, by_name)) = test {
        let slots: Vec<Vec<u8>> = chosen
            .iter()
            .map(|c| match test_slots.remove(&c.record) {
                Some(s) => Ok(s),
                None => Ok(c
                    .binned
                    .binning
                    .encoder(&by_name[c.name()])?
                    .slots(t.target.len())),
            })
            .collect::<Result<_, ScorecardError>>()?;
        let ts = model.score_slots(&slots, t.target.len(), 0);
        model.metrics.test = Some(set_metrics(
            model,
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
    Ok(())
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
