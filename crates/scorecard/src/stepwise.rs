//! Bidirectional stepwise selection by an information criterion: AIC by default (chosen by
//! five-fold comparison), BIC when asked (`selection.criterion = "bic"`).
//!
//! Forward steps rank every eligible feature by its Rao score statistic against the current
//! model (one data pass for all candidates, the statistic approximating the deviance drop the
//! feature would bring) and fit the best; it enters when the criterion improves and its
//! coefficient has the expected positive sign (WOE is log bad-odds, so a negative coefficient
//! contradicts the binning and is rejected). Backward steps then remove wrong-signed features
//! and features whose Wald statistic no longer pays for their parameter.

use crate::config::{Criterion, SelectionConfig, SelectionMethod};
use crate::design::{WoeColumn, cross_pass, linear_predictor, sigmoid};
use crate::logistic::{LrFit, LrOptions, evaluate, fit as fit_lr, ridge_by_evidence};
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
    /// Criterion (AIC or BIC, as configured) of the model after the step.
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
    /// L2 penalty of that fit: the configured one, or the one chosen by marginal likelihood.
    pub l2: f64,
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
    let options = LrOptions {
        solver: config.solver,
        l1: config.l1,
        l2: config.working_l2(),
        ..Default::default()
    };
    // Trial models take one safeguarded Newton step from a warm start: each later step refits
    // every coefficient again, and the final model is fitted to convergence below.
    let quick = LrOptions {
        max_iter: 1,
        ..options
    };
    let n = y.len() as f64;
    let penalty = match config.criterion {
        Criterion::Bic => n.ln(),
        Criterion::Aic => 2.0,
    };
    let crit = |f: &LrFit| f.deviance + penalty * f.coef.len() as f64;
    let cols_of = |sel: &[usize]| sel.iter().map(|&i| cands[i]).collect::<Vec<_>>();
    let fit =
        |sel: &[usize], o: &LrOptions, start: Option<&[f64]>| fit_lr(&cols_of(sel), y, o, start);
    let mut log = Vec::new();
    let mut step = 0;

    if config.method == SelectionMethod::All {
        let mut selected: Vec<usize> = (0..cands.len()).collect();
        let mut current = fit(&selected, &options, None);
        remove_wrong_signs(
            &mut selected,
            &mut current,
            names,
            &|sel| fit(sel, &options, None),
            &crit,
            &mut log,
            &mut step,
        );
        while selected.len() > config.max_features {
            let z = current.z();
            let (k, _) = (0..selected.len())
                .map(|k| (k, z[k + 1].abs()))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, 0.0));
            let gone = selected.remove(k);
            current = fit(&selected, &options, None);
            step += 1;
            log.push(record(
                step,
                StepAction::Removed,
                &names[gone],
                crit(&current),
                "over max_features: weakest Wald z",
            ));
        }
        let (fit, l2) = with_chosen_ridge(current, &cols_of(&selected), y, config, &options);
        return Selection {
            selected,
            fit,
            l2,
            log,
        };
    }

    let mut selected: Vec<usize> = Vec::new();
    let mut rejected: HashSet<usize> = HashSet::new();
    let mut visited: HashSet<Vec<usize>> = HashSet::new();
    let mut current = fit(&[], &options, None);
    loop {
        if selected.len() >= config.max_features {
            break;
        }
        let eligible: Vec<usize> = (0..cands.len())
            .filter(|i| !selected.contains(i) && !rejected.contains(i))
            .collect();
        if eligible.is_empty() {
            break;
        }
        let scores = score_statistics(&cols_of(&selected), &cols_of(&eligible), y, &current);
        let (stats, signed) = (&scores.stat, &scores.score);
        let mut order: Vec<usize> = (0..eligible.len()).collect();
        order.sort_by(|&a, &b| stats[b].total_cmp(&stats[a]).then(a.cmp(&b)));
        let mut entered = false;
        for &k in &order {
            if stats[k] < penalty {
                break;
            }
            let c = eligible[k];
            if signed[k] < 0.0 {
                // The score's sign is the sign the coefficient would enter with.
                step += 1;
                rejected.insert(c);
                log.push(record(
                    step,
                    StepAction::Rejected,
                    &names[c],
                    crit(&current),
                    "conditional effect has the wrong sign",
                ));
                continue;
            }
            let mut trial = selected.clone();
            trial.push(c);
            // One Newton step on the enlarged model, checked by one pass; a full fit only when
            // that step did not improve the fit.
            let mut f = evaluate(&cols_of(&trial), y, scores.newton_step(k, &current));
            if f.deviance.partial_cmp(&current.deviance) != Some(std::cmp::Ordering::Less) {
                let mut start = current.coef.clone();
                start.push(0.0);
                f = fit(&trial, &options, Some(&start));
            }
            step += 1;
            if f.coef[trial.len()] <= 0.0 {
                rejected.insert(c);
                log.push(record(
                    step,
                    StepAction::Rejected,
                    &names[c],
                    crit(&current),
                    "coefficient has the wrong sign",
                ));
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
                &format!(
                    "score statistic {:.1}, deviance {:.1} -> {:.1}",
                    stats[k], current.deviance, f.deviance
                ),
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
        remove_wrong_signs(
            &mut selected,
            &mut current,
            names,
            &|sel| fit(sel, &options, None),
            &crit,
            &mut log,
            &mut step,
        );
        // Backward: drop the weakest feature while its Wald chi-square is below the penalty.
        loop {
            let z = current.z();
            let Some((k, z2)) = (0..selected.len())
                .map(|k| (k, z[k + 1] * z[k + 1]))
                .min_by(|a, b| a.1.total_cmp(&b.1))
            else {
                break;
            };
            if z2 >= penalty || selected.len() <= 1 {
                break;
            }
            let gone = selected.remove(k);
            let mut start = current.coef.clone();
            start.remove(k + 1);
            current = fit(&selected, &quick, Some(&start));
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
    let start = current.coef.clone();
    let converged = fit(&selected, &options, Some(&start));
    let (fit, l2) = with_chosen_ridge(converged, &cols_of(&selected), y, config, &options);
    Selection {
        selected,
        fit,
        l2,
        log,
    }
}

/// The final model with its L2 penalty: as fitted when the configuration sets `l2`; otherwise
/// refitted with the penalty the data make most probable ([`ridge_by_evidence`], expanded at
/// the fit with the working penalty).
fn with_chosen_ridge(
    fitted: LrFit,
    cols: &[WoeColumn<'_>],
    y: &[u8],
    config: &SelectionConfig,
    options: &LrOptions,
) -> (LrFit, f64) {
    if config.l2.is_some() || cols.is_empty() {
        return (fitted, options.l2);
    }
    let l2 = ridge_by_evidence(cols, y, &fitted.coef);
    let options = LrOptions { l2, ..*options };
    (fit_lr(cols, y, &options, Some(&fitted.coef)), l2)
}

fn record(
    step: usize,
    action: StepAction,
    feature: &str,
    criterion: f64,
    reason: &str,
) -> StepRecord {
    StepRecord {
        step,
        action,
        feature: feature.to_string(),
        criterion,
        reason: reason.to_string(),
    }
}

/// Removes features with non-positive coefficients, most negative z first, refitting each time.
fn remove_wrong_signs(
    selected: &mut Vec<usize>,
    current: &mut LrFit,
    names: &[String],
    refit: &dyn Fn(&[usize]) -> LrFit,
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
        *current = refit(selected);
        *step += 1;
        log.push(record(
            *step,
            StepAction::Removed,
            &names[gone],
            crit(current),
            "coefficient turned to the wrong sign",
        ));
    }
}

/// Score tests of every candidate against the current model.
struct ScoreTests {
    /// Rao statistic (approximate deviance drop).
    stat: Vec<f64>,
    /// Score `Σ x (y − μ)` net of what the current columns would still absorb: its sign is the
    /// sign the coefficient would enter with.
    score: Vec<f64>,
    /// Its variance given the model.
    var: Vec<f64>,
    /// `Cᵀ W M` rows, one per candidate.
    cross: Vec<f64>,
    /// Model columns including the intercept.
    p: usize,
}

impl ScoreTests {
    /// The Newton step from the current coefficients for the model enlarged by candidate `k`,
    /// by block elimination with the current inverse information `A⁻¹`:
    /// `γ = (u − bᵀA⁻¹g)/s`, `Δ = A⁻¹(g − bγ)`, where `b` is the candidate's cross-information,
    /// `g` the current score vector and `s` the candidate's conditional variance.
    fn newton_step(&self, k: usize, current: &LrFit) -> Vec<f64> {
        let p = self.p;
        let gamma = if self.var[k] > 0.0 {
            self.score[k] / self.var[k]
        } else {
            0.0
        };
        let b = &self.cross[k * p..(k + 1) * p];
        let cov = &current.covariance;
        let rhs: Vec<f64> = (0..p)
            .map(|a| current.gradient.get(a).copied().unwrap_or(0.0) - b[a] * gamma)
            .collect();
        let mut next: Vec<f64> = (0..p)
            .map(|a| current.coef[a] + (0..p).map(|c| cov[a * p + c] * rhs[c]).sum::<f64>())
            .collect();
        next.push(gamma);
        next
    }
}

/// Rao score tests of each candidate against the fitted model (allowing for the current
/// coefficients not being exactly at their optimum).
fn score_statistics(
    model: &[WoeColumn<'_>],
    cands: &[WoeColumn<'_>],
    y: &[u8],
    current: &LrFit,
) -> ScoreTests {
    let eta = linear_predictor(model, &current.coef, y.len());
    let mu: Vec<f64> = eta.iter().map(|&e| sigmoid(e)).collect();
    let cp = cross_pass(model, cands, y, &mu);
    let p = model.len() + 1;
    let cov = &current.covariance;
    // A⁻¹g: how the current columns would move on their own.
    let drift: Vec<f64> = (0..p)
        .map(|a| {
            (0..p)
                .map(|c| cov[a * p + c] * current.gradient.get(c).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let mut var = Vec::with_capacity(cands.len());
    let mut score = Vec::with_capacity(cands.len());
    for j in 0..cands.len() {
        let b = &cp.cross[j * p..(j + 1) * p];
        let mut quad = 0.0;
        for a in 0..p {
            for c in 0..p {
                quad += b[a] * cov[a * p + c] * b[c];
            }
        }
        let v = cp.diag[j] - quad;
        var.push(if v > 1e-12 * cp.diag[j].max(1e-300) {
            v
        } else {
            0.0
        });
        score.push(cp.score[j] - b.iter().zip(&drift).map(|(x, d)| x * d).sum::<f64>());
    }
    let stat = var
        .iter()
        .zip(&score)
        .map(|(v, u)| if *v > 0.0 { u * u / v } else { 0.0 })
        .collect();
    ScoreTests {
        stat,
        score,
        var,
        cross: cp.cross,
        p,
    }
}
