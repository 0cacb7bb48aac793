//! The regression's design matrix, never materialised whole: each feature is a column of bin
//! slots (one byte a row) and a small WOE table, and every pass rebuilds dense row blocks of a
//! few thousand rows on the fly and feeds them to a matrix-multiply kernel. Memory stays at one
//! byte per cell; passes run on all cores; partial sums are combined in a fixed order so a fit
//! is bit-for-bit repeatable.

use crate::linalg::add_at_b;
use rayon::prelude::*;

/// A regression column: bin slots and the WOE value of each slot.
#[derive(Debug, Clone, Copy)]
pub struct WoeColumn<'a> {
    /// Slot of each row.
    pub slots: &'a [u8],
    /// WOE of each slot.
    pub woe: &'a [f64],
}

/// Rows per block.
const CHUNK: usize = 4096;

fn n_rows(cols: &[WoeColumn<'_>], fallback: usize) -> usize {
    cols.first().map_or(fallback, |c| c.slots.len())
}

/// Writes rows `[start, end)` as a row-major block `[1, x_1, …, x_p]` (with `intercept`).
fn fill_block(cols: &[WoeColumn<'_>], start: usize, end: usize, intercept: bool, out: &mut Vec<f64>) {
    let width = cols.len() + usize::from(intercept);
    out.clear();
    out.resize((end - start) * width, 1.0);
    let off = usize::from(intercept);
    for (j, c) in cols.iter().enumerate() {
        for (r, &s) in c.slots[start..end].iter().enumerate() {
            out[r * width + off + j] = c.woe[s as usize];
        }
    }
}

/// Linear predictor `β0 + Σ βj xj` of every row.
pub(crate) fn linear_predictor(cols: &[WoeColumn<'_>], beta: &[f64], n: usize) -> Vec<f64> {
    let n = n_rows(cols, n);
    let mut eta = vec![beta[0]; n];
    eta.par_chunks_mut(CHUNK).enumerate().for_each(|(k, block)| {
        let start = k * CHUNK;
        for (j, c) in cols.iter().enumerate() {
            // Per-slot contribution table: one multiply per slot, not per row.
            let contrib: Vec<f64> = c.woe.iter().map(|w| w * beta[j + 1]).collect();
            let len = block.len();
            for (e, &s) in block.iter_mut().zip(&c.slots[start..start + len]) {
                *e += contrib[s as usize];
            }
        }
    });
    eta
}

/// `ln(1 + e^x)` without overflow.
#[inline]
pub(crate) fn softplus(x: f64) -> f64 {
    if x > 0.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }
}

/// Logistic function.
#[inline]
pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// What one Newton pass over the data yields at a given β.
#[derive(Debug, Clone)]
pub(crate) struct NewtonPass {
    /// Binomial deviance.
    pub deviance: f64,
    /// `Xᵀ W X`, row-major, intercept first.
    pub info: Vec<f64>,
    /// `Xᵀ (y − μ)`.
    pub grad: Vec<f64>,
}

/// Deviance, information matrix and score vector at `beta`.
pub(crate) fn newton_pass(cols: &[WoeColumn<'_>], y: &[u8], beta: &[f64]) -> NewtonPass {
    let n = y.len();
    let p = cols.len() + 1;
    let n_chunks = n.div_ceil(CHUNK);
    let partials: Vec<NewtonPass> = (0..n_chunks)
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(block, weighted): &mut (Vec<f64>, Vec<f64>), k| {
                let (start, end) = (k * CHUNK, ((k + 1) * CHUNK).min(n));
                fill_block(cols, start, end, true, block);
                weighted.clear();
                weighted.extend_from_slice(block);
                let mut part = NewtonPass { deviance: 0.0, info: vec![0.0; p * p], grad: vec![0.0; p] };
                for r in 0..end - start {
                    let row = &block[r * p..(r + 1) * p];
                    let eta: f64 = row.iter().zip(beta).map(|(x, b)| x * b).sum();
                    let mu = sigmoid(eta);
                    let yi = f64::from(y[start + r]);
                    part.deviance += 2.0 * if yi > 0.5 { softplus(-eta) } else { softplus(eta) };
                    let w = mu * (1.0 - mu);
                    let resid = yi - mu;
                    for (g, x) in part.grad.iter_mut().zip(row) {
                        *g += x * resid;
                    }
                    for x in &mut weighted[r * p..(r + 1) * p] {
                        *x *= w;
                    }
                }
                add_at_b(weighted, block, end - start, p, p, &mut part.info);
                part
            },
        )
        .collect();
    let mut total = NewtonPass { deviance: 0.0, info: vec![0.0; p * p], grad: vec![0.0; p] };
    for part in partials {
        total.deviance += part.deviance;
        total.info.iter_mut().zip(&part.info).for_each(|(a, b)| *a += b);
        total.grad.iter_mut().zip(&part.grad).for_each(|(a, b)| *a += b);
    }
    total
}

/// For score tests of candidate columns against a fitted model with fitted probabilities `mu`:
/// `Cᵀ W M` (candidates × model columns incl. intercept), `diag(Cᵀ W C)` and `Cᵀ (y − μ)`.
pub(crate) struct CrossPass {
    pub cross: Vec<f64>,
    pub diag: Vec<f64>,
    pub score: Vec<f64>,
}

pub(crate) fn cross_pass(model: &[WoeColumn<'_>], cands: &[WoeColumn<'_>], y: &[u8], mu: &[f64]) -> CrossPass {
    let n = y.len();
    let (p, m) = (model.len() + 1, cands.len());
    let n_chunks = n.div_ceil(CHUNK);
    let partials: Vec<CrossPass> = (0..n_chunks)
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(mb, cb): &mut (Vec<f64>, Vec<f64>), k| {
                let (start, end) = (k * CHUNK, ((k + 1) * CHUNK).min(n));
                fill_block(model, start, end, true, mb);
                fill_block(cands, start, end, false, cb);
                let mut part = CrossPass { cross: vec![0.0; m * p], diag: vec![0.0; m], score: vec![0.0; m] };
                for r in 0..end - start {
                    let mu_i = mu[start + r];
                    let w = mu_i * (1.0 - mu_i);
                    let resid = f64::from(y[start + r]) - mu_i;
                    let row = &mut cb[r * m..(r + 1) * m];
                    for j in 0..m {
                        part.score[j] += row[j] * resid;
                        part.diag[j] += row[j] * row[j] * w;
                    }
                    for x in &mut mb[r * p..(r + 1) * p] {
                        *x *= w;
                    }
                }
                add_at_b(cb, mb, end - start, m, p, &mut part.cross);
                part
            },
        )
        .collect();
    let mut total = CrossPass { cross: vec![0.0; m * p], diag: vec![0.0; m], score: vec![0.0; m] };
    for part in partials {
        total.cross.iter_mut().zip(&part.cross).for_each(|(a, b)| *a += b);
        total.diag.iter_mut().zip(&part.diag).for_each(|(a, b)| *a += b);
        total.score.iter_mut().zip(&part.score).for_each(|(a, b)| *a += b);
    }
    total
}

/// Pearson correlation matrix (row-major m × m) of the columns' values.
pub(crate) fn correlation(cols: &[WoeColumn<'_>]) -> Vec<f64> {
    let m = cols.len();
    let n = n_rows(cols, 0);
    if m == 0 || n == 0 {
        return Vec::new();
    }
    let n_chunks = n.div_ceil(CHUNK);
    let partials: Vec<(Vec<f64>, Vec<f64>)> = (0..n_chunks)
        .into_par_iter()
        .map_init(Vec::new, |block: &mut Vec<f64>, k| {
            let (start, end) = (k * CHUNK, ((k + 1) * CHUNK).min(n));
            fill_block(cols, start, end, false, block);
            let mut gram = vec![0.0; m * m];
            add_at_b(block, block, end - start, m, m, &mut gram);
            let mut sums = vec![0.0; m];
            for row in block.chunks_exact(m) {
                sums.iter_mut().zip(row).for_each(|(s, x)| *s += x);
            }
            (gram, sums)
        })
        .collect();
    let mut gram = vec![0.0; m * m];
    let mut sums = vec![0.0; m];
    for (g, s) in partials {
        gram.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
        sums.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
    }
    let nf = n as f64;
    let cov = |i: usize, j: usize| gram[i * m + j] / nf - sums[i] / nf * sums[j] / nf;
    let mut corr = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            let d = (cov(i, i) * cov(j, j)).sqrt();
            corr[i * m + j] = if i == j { 1.0 } else if d > 0.0 { (cov(i, j) / d).clamp(-1.0, 1.0) } else { 0.0 };
        }
    }
    corr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_match_direct_sums() {
        let s1: Vec<u8> = (0..10_000).map(|i| (i % 3) as u8).collect();
        let s2: Vec<u8> = (0..10_000).map(|i| ((i / 7) % 2) as u8).collect();
        let w1 = [0.5, -0.2, 1.0];
        let w2 = [-0.3, 0.4];
        let y: Vec<u8> = (0..10_000).map(|i| u8::from(i % 5 == 0)).collect();
        let cols = [WoeColumn { slots: &s1, woe: &w1 }, WoeColumn { slots: &s2, woe: &w2 }];
        let beta = [0.1, 0.7, -0.4];
        let pass = newton_pass(&cols, &y, &beta);
        let eta = linear_predictor(&cols, &beta, y.len());
        let (mut dev, mut g1, mut i12) = (0.0, 0.0, 0.0);
        for i in 0..y.len() {
            let x1 = w1[s1[i] as usize];
            let x2 = w2[s2[i] as usize];
            let e = 0.1 + 0.7 * x1 - 0.4 * x2;
            assert!((eta[i] - e).abs() < 1e-12);
            let mu = 1.0 / (1.0 + (-e).exp());
            let yi = y[i] as f64;
            dev -= 2.0 * (yi * mu.ln() + (1.0 - yi) * (1.0 - mu).ln());
            g1 += x1 * (yi - mu);
            i12 += x1 * x2 * mu * (1.0 - mu);
        }
        assert!((pass.deviance - dev).abs() < 1e-6 * dev);
        assert!((pass.grad[1] - g1).abs() < 1e-8);
        assert!((pass.info[5] - i12).abs() < 1e-8);
        let corr = correlation(&cols);
        assert_eq!(corr[0], 1.0);
        assert!((corr[1] - corr[2]).abs() < 1e-15 && corr[1].abs() < 0.05);
    }
}
