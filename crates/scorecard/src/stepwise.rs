//! Bidirectional stepwise selection by BIC (or AIC).
//!
//! Forward steps rank every eligible feature by its Rao score statistic against the current
//! model (one data pass for all candidates, the statistic approximating the deviance drop the
//! feature would bring) and fit the best; it enters when the criterion improves and its
//! coefficient has the expected positive sign (WOE is log bad-odds, so a negative coefficient
//! contradicts the binning and is rejected). Backward steps then remove wrong-signed features
//! and features whose Wald statistic no longer pays for their parameter.

use crate::config::{Criterion, SelectionConfig, SelectionMethod};
use crate::design::{cross_pass, linear_predictor, sigmoid, WoeColumn};
use crate::logistic::{fit, LrFit, LrOptions};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// The feature entered the model.
    Added,
    /// The feature left the model.
    Removed,
    /// The feature was considered and refused for good.
    Rejected,
}

/// One line of the selection log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step number, from 1.
    pub step: usize,
    /// What happened.
    pub action: StepAction,
    /// The feature.
    pub feature: String,
    /// Criterion (BIC/AIC) of the model after the step.
    pub criterion: f64,
    /// Why.
    pub reason: String,
}

/// Outcome of selection.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Indices into the candidate list, in order of entry.
    pub selected: Vec<usize>,
    /// Fit of the final model (coefficients in the order of `selected`).
    pub fit: LrFit,
    /// What happened, step by step.
    pub log: Vec<StepRecord>,
}

/// Runs selection over `cands` (named by `names`), calling `tick` after each step.
pub fn select(
    cands: &[WoeColumn<'_>],
    names: &[String],
    y: &[u8],
    config: &SelectionConfig,
    tick: &(dyn Fn(usize) + Sync),
) -> Selection {
    let options = LrOptions { solver: config.solver, l1: config.l1, l2: config.l2, ..Default::default() };
    let n = y.len() as f64;
    let penalty = match config.criterion {
        Criterion::Bic => n.ln(),
        Criterion::Aic => 2.0,
    };
    let crit = |f: &LrFit| f.deviance + penalty * f.coef.len() as f64;
    let cols_of = |sel: &[usize]| sel.iter().map(|&i| cands[i]).collect::<Vec<_>>();
    let mut log = Vec::new();
    let mut step = 0;

    if config.method == SelectionMethod::All {
        let mut selected: Vec<usize> = (0..cands.len()).collect();
        let mut current = fit(&cols_of(&selected), y, &options, None);
        remove_wrong_signs(&mut selected, &mut current, cands, names, y, &options, &crit, &mut log, &mut step);
        while selected.len() > config.max_features {
            let z = current.z();
            let (k, _) = (0..selected.len()).map(|k| (k, z[k + 1].abs())).min_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0, 0.0));
            let gone = selected.remove(k);
            current = fit(&cols_of(&selected), y, &options, None);
            step += 1;
            log.push(record(step, StepAction::Removed, &names[gone], crit(&current), "over max_features: weakest Wald z"));
        }
        return Selection { selected, fit: current, log };
    }

    let mut selected: Vec<usize> = Vec::new();
    let mut rejected: HashSet<usize> = HashSet::new();
    let mut visited: HashSet<Vec<usize>> = HashSet::new();
    let mut current = fit(&[], y, &options, None);
    loop {
        if selected.len() >= config.max_features {
            break;
        }
        let eligible: Vec<usize> = (0..cands.len()).filter(|i| !selected.contains(i) && !rejected.contains(i)).collect();
        if eligible.is_empty() {
            break;
        }
        let stats = score_statistics(&cols_of(&selected), &cols_of(&eligible), y, &current);
        let mut order: Vec<usize> = (0..eligible.len()).collect();
        order.sort_by(|&a, &b| stats[b].total_cmp(&stats[a]).then(a.cmp(&b)));
        let mut entered = false;
        for &k in &order {
            if stats[k] < penalty {
                break;
            }
            let c = eligible[k];
            let mut trial = selected.clone();
            trial.push(c);
            let mut start = current.coef.clone();
            start.push(0.0);
            let f = fit(&cols_of(&trial), y, &options, Some(&start));
            step += 1;
            if f.coef[trial.len()] <= 0.0 {
                rejected.insert(c);
                log.push(record(step, StepAction::Rejected, &names[c], crit(&current), "coefficient has the wrong sign"));
                continue;
            }
            if crit(&f) >= crit(&current) {
                break;
            }
            let mut key = trial.clone();
            key.sort_unstable();
            if !visited.insert(key) {
                break;
            }
            log.push(record(
                step,
                StepAction::Added,
                &names[c],
                crit(&f),
                &format!("score statistic {:.1}, deviance {:.1} -> {:.1}", stats[k], current.deviance, f.deviance),
            ));
            selected = trial;
            current = f;
            entered = true;
            break;
        }
        tick(selected.len());
        if !entered {
            break;
        }
        remove_wrong_signs(&mut selected, &mut current, cands, names, y, &options, &crit, &mut log, &mut step);
        // Backward: drop the weakest feature while its Wald chi-square is below the penalty.
        loop {
            let z = current.z();
            let Some((k, z2)) =
                (0..selected.len()).map(|k| (k, z[k + 1] * z[k + 1])).min_by(|a, b| a.1.total_cmp(&b.1))
            else {
                break;
            };
            if z2 >= penalty || selected.len() <= 1 {
                break;
            }
            let gone = selected.remove(k);
            let mut start = current.coef.clone();
            start.remove(k + 1);
            current = fit(&cols_of(&selected), y, &options, Some(&start));
            step += 1;
            log.push(record(
                step,
                StepAction::Removed,
                &names[gone],
                crit(&current),
                &format!("Wald chi-square {z2:.2} below the criterion's penalty {penalty:.2}"),
            ));
        }
    }
    Selection { selected, fit: current, log }
}

fn record(step: usize, action: StepAction, feature: &str, criterion: f64, reason: &str) -> StepRecord {
    StepRecord { step, action, feature: feature.to_string(), criterion, reason: reason.to_string() }
}

/// Removes features with non-positive coefficients, most negative z first, refitting each time.
#[allow(clippy::too_many_arguments)]
fn remove_wrong_signs(
    selected: &mut Vec<usize>,
    current: &mut LrFit,
    cands: &[WoeColumn<'_>],
    names: &[String],
    y: &[u8],
    options: &LrOptions,
    crit: &dyn Fn(&LrFit) -> f64,
    log: &mut Vec<StepRecord>,
    step: &mut usize,
) {
    loop {
        let z = current.z();
        let worst = (0..selected.len())
            .filter(|&k| current.coef[k + 1] <= 0.0)
            .min_by(|&a, &b| z[a + 1].total_cmp(&z[b + 1]));
        let Some(k) = worst else { break };
        let gone = selected.remove(k);
        let cols: Vec<WoeColumn<'_>> = selected.iter().map(|&i| cands[i]).collect();
        *current = fit(&cols, y, options, None);
        *step += 1;
        log.push(record(*step, StepAction::Removed, &names[gone], crit(current), "coefficient turned to the wrong sign"));
    }
}

/// Rao score statistic of each candidate against the fitted model.
fn score_statistics(model: &[WoeColumn<'_>], cands: &[WoeColumn<'_>], y: &[u8], current: &LrFit) -> Vec<f64> {
    let eta = linear_predictor(model, &current.coef, y.len());
    let mu: Vec<f64> = eta.iter().map(|&e| sigmoid(e)).collect();
    let cp = cross_pass(model, cands, y, &mu);
    let p = model.len() + 1;
    let cov = &current.covariance;
    (0..cands.len())
        .map(|j| {
            let c = &cp.cross[j * p..(j + 1) * p];
            let mut quad = 0.0;
            for a in 0..p {
                for b in 0..p {
                    quad += c[a] * cov[a * p + b] * c[b];
                }
            }
            let v = cp.diag[j] - quad;
            if v > 1e-12 * cp.diag[j].max(1e-300) { cp.score[j] * cp.score[j] / v } else { 0.0 }
        })
        .collect()
}
