//! Logistic regression on WOE columns: Newton/IRLS with step halving, or coordinate descent on
//! the penalised quadratic approximation (glmnet's scheme, needed for L1). Standard errors and
//! Wald tests come from the unpenalised information matrix at the solution.

use crate::config::Solver;
use crate::design::{ColumnDesign, Design, NewtonPass, WoeColumn};
use crate::linalg::{cholesky_solve, inverse_from_cholesky, robust_cholesky};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Solver settings.
#[derive(Debug, Clone, Copy)]
pub struct LrOptions {
    /// Algorithm.
    pub solver: Solver,
    /// L1 penalty `l1·Σ|βj|` on the negative log-likelihood.
    pub l1: f64,
    /// L2 penalty `½·l2·Σβj²` on the negative log-likelihood.
    pub l2: f64,
    /// Most outer iterations.
    pub max_iter: usize,
}

impl Default for LrOptions {
    fn default() -> Self {
        Self {
            solver: Solver::Irls,
            l1: 0.0,
            l2: 0.0,
            max_iter: 100,
        }
    }
}

/// A fitted logistic regression; index 0 is the intercept throughout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrFit {
    /// Coefficients.
    pub coef: Vec<f64>,
    /// Standard errors.
    pub std_err: Vec<f64>,
    /// Binomial deviance (−2 log-likelihood).
    pub deviance: f64,
    /// Outer iterations used.
    pub iterations: usize,
    /// False when the iteration limit was reached first (e.g. perfect separation).
    pub converged: bool,
    /// Inverse of the information matrix (row-major), for score tests of further columns.
    #[serde(skip)]
    pub covariance: Vec<f64>,
    /// Score vector `Xᵀ(y − μ)` at `coef` (zero at an exact unpenalised optimum).
    #[serde(skip)]
    pub gradient: Vec<f64>,
}

impl LrFit {
    /// Wald z statistics.
    pub fn z(&self) -> Vec<f64> {
        self.coef
            .iter()
            .zip(&self.std_err)
            .map(|(b, s)| if *s > 0.0 { b / s } else { 0.0 })
            .collect()
    }

    /// Two-sided Wald p-values.
    pub fn p_values(&self) -> Vec<f64> {
        let normal = Normal::standard();
        self.z()
            .iter()
            .map(|z| 2.0 * (1.0 - normal.cdf(z.abs())))
            .collect()
    }
}

/// A penalty on the non-intercept coefficients, on the negative log-likelihood scale:
/// `Σ l1·|βj| + ½·ridge·(βj − centerj)²`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Penalty {
    pub l1: f64,
    pub ridge: f64,
    /// Where the ridge pulls to (zero when empty).
    pub center: Vec<f64>,
}

impl Penalty {
    fn c(&self, j: usize) -> f64 {
        self.center.get(j).copied().unwrap_or(0.0)
    }

    /// On the deviance scale (2 × negative log-likelihood), to add to the deviance.
    fn value(&self, beta: &[f64]) -> f64 {
        (1..beta.len())
            .map(|j| {
                let d = beta[j] - self.c(j);
                2.0 * (self.l1 * beta[j].abs() + 0.5 * self.ridge * d * d)
            })
            .sum()
    }
}

/// Fits `y ~ cols`, starting from `start` (intercept first) when given.
pub fn fit(cols: &[WoeColumn<'_>], y: &[u8], options: &LrOptions, start: Option<&[f64]>) -> LrFit {
    let penalty = Penalty {
        l1: options.l1,
        ridge: options.l2,
        center: Vec::new(),
    };
    let use_cd = options.solver == Solver::CoordinateDescent || options.l1 > 0.0;
    let design = ColumnDesign {
        cols: cols.to_vec(),
    };
    fit_penalized(&design, y, &penalty, use_cd, options.max_iter, start)
}

/// Fits with an explicit penalty; `use_cd` selects coordinate descent for the inner problem.
pub(crate) fn fit_penalized<D: Design + ?Sized>(
    cols: &D,
    y: &[u8],
    pen: &Penalty,
    use_cd: bool,
    max_iter: usize,
    start: Option<&[f64]>,
) -> LrFit {
    let p = cols.n_coef();
    let n = y.len() as f64;
    let mut beta = match start {
        Some(s) if s.len() == p => s.to_vec(),
        _ => {
            let bad = y.iter().filter(|&&v| v == 1).count() as f64;
            let rate = (bad / n).clamp(1e-9, 1.0 - 1e-9);
            let mut b = vec![0.0; p];
            b[0] = (rate / (1.0 - rate)).ln();
            b
        }
    };
    let mut pass = cols.pass(y, &beta);
    let mut objective = pass.deviance + pen.value(&beta);
    let mut converged = false;
    let mut iterations = 0;
    while iterations < max_iter {
        iterations += 1;
        let target = if use_cd {
            cd_step(&pass, &beta, pen)
        } else {
            newton_step(&pass, &beta, pen)
        };
        let delta: Vec<f64> = target.iter().zip(&beta).map(|(t, b)| t - b).collect();
        // Newton decrement: the objective cannot fall by more than about this; stop when it is
        // negligible instead of paying for one more pass to confirm it.
        let decrement: f64 = delta
            .iter()
            .zip(&pass.grad)
            .map(|(d, g)| d * g)
            .sum::<f64>()
            .abs();
        if decrement < 1e-9 * objective.abs().max(1.0) {
            converged = true;
            break;
        }
        // Step halving keeps every accepted step a descent step.
        let mut step = 1.0;
        let (next, next_pass, next_obj) = loop {
            let cand: Vec<f64> = beta.iter().zip(&delta).map(|(b, d)| b + step * d).collect();
            let cp = cols.pass(y, &cand);
            let obj = cp.deviance + pen.value(&cand);
            if obj <= objective + 1e-12 * objective.abs().max(1.0) || step < 1e-6 {
                break (cand, cp, obj);
            }
            step *= 0.5;
        };
        let change = delta.iter().map(|d| (d * step).abs()).fold(0.0, f64::max);
        let gain = objective - next_obj;
        beta = next;
        pass = next_pass;
        objective = next_obj;
        if change < 1e-8 || gain.abs() < 1e-10 * objective.abs().max(1.0) {
            converged = true;
            break;
        }
    }
    summarise(beta, pass, iterations, converged)
}

fn summarise(coef: Vec<f64>, pass: NewtonPass, iterations: usize, converged: bool) -> LrFit {
    let p = coef.len();
    let l = robust_cholesky(&pass.info, p);
    let inv = inverse_from_cholesky(&l, p);
    let std_err = (0..p).map(|i| inv[i * p + i].max(0.0).sqrt()).collect();
    LrFit {
        coef,
        std_err,
        deviance: pass.deviance,
        iterations,
        converged,
        covariance: inv,
        gradient: pass.grad,
    }
}

/// The model at `coef` as it stands, from one pass (no iteration).
pub(crate) fn evaluate(cols: &[WoeColumn<'_>], y: &[u8], coef: Vec<f64>) -> LrFit {
    let pass = ColumnDesign {
        cols: cols.to_vec(),
    }
    .pass(y, &coef);
    summarise(coef, pass, 0, false)
}

/// Newton target `β + (I + r P)⁻¹ (g − r P (β − c))`, intercept unpenalised (L1 ignored).
fn newton_step(pass: &NewtonPass, beta: &[f64], pen: &Penalty) -> Vec<f64> {
    let p = beta.len();
    let mut h = pass.info.clone();
    let mut g = pass.grad.clone();
    for j in 1..p {
        h[j * p + j] += pen.ridge;
        g[j] -= pen.ridge * (beta[j] - pen.c(j));
    }
    let l = robust_cholesky(&h, p);
    let d = cholesky_solve(&l, p, &g);
    beta.iter().zip(d).map(|(b, d)| b + d).collect()
}

/// Coordinate descent on the quadratic approximation `½ βᵀ H β − bᵀ β + l1|β| + ½r(β − c)²`
/// with `b = H β₀ + g`, to convergence.
fn cd_step(pass: &NewtonPass, beta0: &[f64], pen: &Penalty) -> Vec<f64> {
    let p = beta0.len();
    let h = &pass.info;
    let b: Vec<f64> = (0..p)
        .map(|i| (0..p).map(|k| h[i * p + k] * beta0[k]).sum::<f64>() + pass.grad[i])
        .collect();
    let mut beta = beta0.to_vec();
    for _ in 0..1000 {
        let mut max_change: f64 = 0.0;
        for j in 0..p {
            let hjj = h[j * p + j];
            if hjj <= 0.0 {
                continue;
            }
            let partial: f64 = b[j]
                - (0..p)
                    .filter(|&k| k != j)
                    .map(|k| h[j * p + k] * beta[k])
                    .sum::<f64>();
            let new = if j == 0 {
                partial / hjj
            } else {
                soft_threshold(partial + pen.ridge * pen.c(j), pen.l1) / (hjj + pen.ridge)
            };
            max_change = max_change.max((new - beta[j]).abs());
            beta[j] = new;
        }
        if max_change < 1e-10 {
            break;
        }
    }
    beta
}

fn soft_threshold(x: f64, t: f64) -> f64 {
    if x > t {
        x - t
    } else if x < -t {
        x + t
    } else {
        0.0
    }
}

/// The prior precision, of `grid`, under which the data are most probable (empirical Bayes).
///
/// The coefficients after the intercept have the prior `N(c, 1/λ)`; `pass` holds the score `g`
/// and information `H` of the log-likelihood at a point `β₀`, and `offset` is `β₀ − c` (the
/// intercept's entry unused). On the quadratic expansion at `β₀`, with `b = g − λ·offset`, the
/// Laplace approximation of the log marginal likelihood is
/// `½ bᵀ(H + λP)⁻¹b − (λ/2)|offset|² + (m/2) ln λ − ½ ln det(H + λP)` plus a constant, `P`
/// leaving the intercept unpenalised and `m` the number of penalised coefficients: one data
/// pass serves every candidate.
pub(crate) fn most_probable_precision(
    pass: &NewtonPass,
    offset: &[f64],
    grid: &[f64],
) -> Option<f64> {
    let p = offset.len();
    let norm: f64 = offset[1..].iter().map(|o| o * o).sum();
    let evidence = |lambda: f64| {
        let mut h = pass.info.clone();
        let mut b = pass.grad.clone();
        for j in 1..p {
            h[j * p + j] += lambda;
            b[j] -= lambda * offset[j];
        }
        let l = robust_cholesky(&h, p);
        let d = cholesky_solve(&l, p, &b);
        let quad: f64 = d.iter().zip(&b).map(|(x, y)| x * y).sum();
        let logdet: f64 = (0..p).map(|i| 2.0 * l[i * p + i].max(1e-300).ln()).sum();
        0.5 * quad - 0.5 * lambda * norm + 0.5 * (p - 1) as f64 * lambda.ln() - 0.5 * logdet
    };
    grid.iter()
        .map(|&l| (l, evidence(l)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(l, _)| l)
}

/// The ridge penalty for the model `cols` fitted at `at`, by [`most_probable_precision`] with
/// the prior `β ~ N(0, 1/λ)` over a log grid from 0.1 to 1000.
pub(crate) fn ridge_by_evidence(cols: &[WoeColumn<'_>], y: &[u8], at: &[f64]) -> f64 {
    let pass = ColumnDesign {
        cols: cols.to_vec(),
    }
    .pass(y, at);
    let grid: Vec<f64> = (0..=40)
        .map(|i| 0.1 * 10_000f64.powf(i as f64 / 40.0))
        .collect();
    most_probable_precision(&pass, at, &grid).unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Data where the maximum-likelihood fit is known in closed form: one binary feature with
    /// WOE values 0 and 1 gives a saturated model, so the intercept is the log-odds of group 0
    /// and the slope the log-odds ratio.
    #[test]
    fn saturated_two_group_fit() {
        // Group 0: 30 bad / 70 good; group 1: 60 bad / 40 good.
        let mut slots = Vec::new();
        let mut y = Vec::new();
        for (g, bad, good) in [(0u8, 30, 70), (1u8, 60, 40)] {
            slots.extend(std::iter::repeat_n(g, bad + good));
            y.extend(std::iter::repeat_n(1u8, bad));
            y.extend(std::iter::repeat_n(0u8, good));
        }
        let woe = [0.0, 1.0];
        let cols = [WoeColumn {
            slots: &slots,
            woe: &woe,
        }];
        for solver in [Solver::Irls, Solver::CoordinateDescent] {
            let f = fit(
                &cols,
                &y,
                &LrOptions {
                    solver,
                    ..Default::default()
                },
                None,
            );
            assert!(f.converged);
            let b0 = (30.0f64 / 70.0).ln();
            let b1 = (60.0f64 / 40.0).ln() - b0;
            assert!((f.coef[0] - b0).abs() < 1e-7, "{solver:?} {:?}", f.coef);
            assert!((f.coef[1] - b1).abs() < 1e-7);
            // SE of a log-odds ratio: sqrt(1/30 + 1/70 + 1/60 + 1/40).
            let se = (1.0 / 30.0 + 1.0 / 70.0 + 1.0 / 60.0 + 1.0 / 40.0f64).sqrt();
            assert!((f.std_err[1] - se).abs() < 1e-6);
            assert!(f.p_values()[1] < 1e-4);
        }
    }

    #[test]
    fn penalties_shrink() {
        let slots: Vec<u8> = (0..2000).map(|i| (i % 2) as u8).collect();
        let y: Vec<u8> = (0..2000)
            .map(|i| u8::from(i % 2 == 1 && i % 3 == 0 || i % 7 == 0))
            .collect();
        let woe = [-0.5, 0.5];
        let cols = [WoeColumn {
            slots: &slots,
            woe: &woe,
        }];
        let free = fit(&cols, &y, &LrOptions::default(), None);
        let ridge = fit(
            &cols,
            &y,
            &LrOptions {
                l2: 100.0,
                ..Default::default()
            },
            None,
        );
        let lasso = fit(
            &cols,
            &y,
            &LrOptions {
                l1: 20_000.0,
                ..Default::default()
            },
            None,
        );
        assert!(ridge.coef[1].abs() < free.coef[1].abs());
        assert_eq!(lasso.coef[1], 0.0);
    }
}
