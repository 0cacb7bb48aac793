//! The regression's design matrix, never materialised whole: each feature is a column of bin
//! slots (one byte a row) and a small WOE table, and every pass rebuilds dense row blocks of a
//! few thousand rows on the fly and feeds them to a matrix-multiply kernel. Memory stays at one
//! byte per cell; passes run on all cores; partial sums are combined in a fixed order so a fit
//! is bit-for-bit repeatable.

use crate::linalg::{add_at_b, add_ct_c};
use rayon::prelude::*;

/// A regression column: bin slots and the WOE value of each slot.
#[derive(Debug, Clone, Copy)]
pub struct WoeColumn<'a> {
    /// Slot of each row.
    pub slots: &'a [u8],
    /// WOE of each slot.
    pub woe: &'a [f64],
}

/// Adds `part` element-wise into `total` (partial sums are combined in a fixed order, so
/// results repeat bit for bit).
fn add_into(total: &mut [f64], part: &[f64]) {
    total.iter_mut().zip(part).for_each(|(a, b)| *a += b);
}

/// Rows per block.
const CHUNK: usize = 1024;

fn n_rows(cols: &[WoeColumn<'_>], fallback: usize) -> usize {
    cols.first().map_or(fallback, |c| c.slots.len())
}

/// Writes rows `[start, end)` as a row-major block `[1, x_1, …, x_p]` (with `intercept`).
fn fill_block(
    cols: &[WoeColumn<'_>],
    start: usize,
    end: usize,
    intercept: bool,
    out: &mut Vec<f64>,
) {
    let width = cols.len() + usize::from(intercept);
    out.clear();
    out.resize((end - start) * width, 1.0);
    let off = usize::from(intercept);
    for (r, row) in out.chunks_exact_mut(width).enumerate() {
        for (x, c) in row[off..].iter_mut().zip(cols) {
            *x = c.woe[c.slots[start + r] as usize];
        }
    }
}

/// Linear predictor `β0 + Σ βj xj` of every row.
pub(crate) fn linear_predictor(cols: &[WoeColumn<'_>], beta: &[f64], n: usize) -> Vec<f64> {
    let n = n_rows(cols, n);
    let mut eta = vec![beta[0]; n];
    eta.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(k, block)| {
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
#[cfg(test)]
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// Accumulates the binomial deviance `2 Σ softplus(tᵢ)` with one logarithm per 512 rows:
/// `softplus(t) = max(t, 0) + ln(1 + e^−|t|)`, and a product of 512 factors in `[1, 2]` cannot
/// overflow, so the logarithms of a block are summed as the logarithm of its product.
pub(crate) struct Deviance {
    linear: f64,
    logs: f64,
    product: f64,
    pending: u32,
}

impl Deviance {
    pub(crate) fn new() -> Self {
        Deviance {
            linear: 0.0,
            logs: 0.0,
            product: 1.0,
            pending: 0,
        }
    }

    /// Adds a row with linear predictor `eta`; returns its fitted probability.
    #[inline]
    pub(crate) fn add(&mut self, eta: f64, bad: bool) -> f64 {
        let e = (-eta.abs()).exp();
        let mu = if eta >= 0.0 {
            1.0 / (1.0 + e)
        } else {
            e / (1.0 + e)
        };
        // −ln μ = softplus(−η) for a bad, −ln(1−μ) = softplus(η) for a good.
        let t = if bad { -eta } else { eta };
        self.linear += t.max(0.0);
        self.product *= 1.0 + e;
        self.pending += 1;
        if self.pending == 512 {
            self.flush();
        }
        mu
    }

    fn flush(&mut self) {
        self.logs += self.product.ln();
        self.product = 1.0;
        self.pending = 0;
    }

    /// The deviance of the rows added.
    pub(crate) fn total(mut self) -> f64 {
        self.flush();
        2.0 * (self.linear + self.logs)
    }
}

/// Logistic function.
#[inline]
pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// What one Newton pass over the data yields at a given β.
#[derive(Debug, Clone)]
pub struct NewtonPass {
    /// Binomial deviance.
    pub deviance: f64,
    /// `Xᵀ W X`, row-major, intercept first.
    pub info: Vec<f64>,
    /// `Xᵀ (y − μ)`.
    pub grad: Vec<f64>,
}

/// Deviance, information matrix and score vector at `beta`.
pub fn newton_pass(cols: &[WoeColumn<'_>], y: &[u8], beta: &[f64]) -> NewtonPass {
    ColumnDesign {
        cols: cols.to_vec(),
    }
    .pass(y, beta)
}

/// Anything a Newton pass can run over: WOE columns, or bin indicators.
pub trait Design: Sync {
    /// Coefficients including the intercept.
    fn n_coef(&self) -> usize;
    /// Deviance, information and score at `beta`.
    fn pass(&self, y: &[u8], beta: &[f64]) -> NewtonPass;
}

/// The columns of a model, read as bin slots (one byte a cell) through their small WOE
/// tables: a pass moves a byte per cell from memory instead of eight. Each row block is turned
/// into a column-major block of `√w·x`, and the information matrix is formed as `SᵀS` with the
/// matrix-multiply kernel.
pub struct ColumnDesign<'a> {
    /// The model's columns (intercept implied).
    pub cols: Vec<WoeColumn<'a>>,
}

impl WoeColumn<'_> {
    /// The column's value in every row.
    pub fn values(&self) -> Vec<f64> {
        self.slots.iter().map(|&s| self.woe[s as usize]).collect()
    }
}

impl Design for ColumnDesign<'_> {
    fn n_coef(&self) -> usize {
        self.cols.len() + 1
    }

    fn pass(&self, y: &[u8], beta: &[f64]) -> NewtonPass {
        let n = y.len();
        let p = self.cols.len() + 1;
        let contrib: Vec<Vec<f64>> = self
            .cols
            .iter()
            .zip(&beta[1..])
            .map(|(c, b)| c.woe.iter().map(|w| w * b).collect())
            .collect();
        let partials: Vec<NewtonPass> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new(), Vec::new()),
                |(eta, resid, scaled): &mut (Vec<f64>, Vec<f64>, Vec<f64>), k| {
                    let (start, end) = (k * CHUNK, ((k + 1) * CHUNK).min(n));
                    let rows = end - start;
                    eta.clear();
                    eta.resize(rows, beta[0]);
                    for (c, t) in self.cols.iter().zip(&contrib) {
                        for (e, &s) in eta.iter_mut().zip(&c.slots[start..end]) {
                            *e += t[s as usize];
                        }
                    }
                    // `scaled` is column-major: column j holds √w·x_j for the block's rows.
                    let mut dev = Deviance::new();
                    resid.clear();
                    scaled.clear();
                    scaled.resize(rows * p, 0.0);
                    for r in 0..rows {
                        let bad = y[start + r] == 1;
                        let mu = dev.add(eta[r], bad);
                        resid.push(f64::from(u8::from(bad)) - mu);
                        scaled[r] = (mu * (1.0 - mu)).sqrt();
                    }
                    let mut part = NewtonPass {
                        deviance: dev.total(),
                        info: vec![0.0; p * p],
                        grad: vec![0.0; p],
                    };
                    part.grad[0] = resid.iter().sum();
                    let (root_w, rest) = scaled.split_at_mut(rows);
                    for (j, (c, out)) in self
                        .cols
                        .iter()
                        .zip(rest.chunks_exact_mut(rows))
                        .enumerate()
                    {
                        let mut g = 0.0;
                        for (((o, &s), rw), re) in out
                            .iter_mut()
                            .zip(&c.slots[start..end])
                            .zip(root_w.iter())
                            .zip(resid.iter())
                        {
                            let x = c.woe[s as usize];
                            *o = rw * x;
                            g += x * re;
                        }
                        part.grad[j + 1] = g;
                    }
                    add_ct_c(scaled, rows, p, &mut part.info);
                    part
                },
            )
            .collect();
        sum_passes(partials, p)
    }
}

fn sum_passes(partials: Vec<NewtonPass>, p: usize) -> NewtonPass {
    let mut total = NewtonPass {
        deviance: 0.0,
        info: vec![0.0; p * p],
        grad: vec![0.0; p],
    };
    for part in partials {
        total.deviance += part.deviance;
        add_into(&mut total.info, &part.info);
        add_into(&mut total.grad, &part.grad);
    }
    total
}

/// One indicator column per group of bins: each feature maps each of its slots to a column
/// (1-based; 0 = no column). A row touches one column per feature, so a pass costs
/// `rows × features²` rather than `rows × columns²`.
pub(crate) struct IndicatorDesign<'a> {
    /// Per feature: slots of every row, and the column of each slot.
    pub features: Vec<(&'a [u8], Vec<u32>)>,
    /// Columns excluding the intercept.
    pub n_cols: usize,
}

impl Design for IndicatorDesign<'_> {
    fn n_coef(&self) -> usize {
        self.n_cols + 1
    }

    fn pass(&self, y: &[u8], beta: &[f64]) -> NewtonPass {
        const ROWS: usize = 16_384;
        let n = y.len();
        let p = self.n_cols + 1;
        let partials: Vec<NewtonPass> = (0..n.div_ceil(ROWS))
            .into_par_iter()
            .map(|k| {
                let (start, end) = (k * ROWS, ((k + 1) * ROWS).min(n));
                let mut part = NewtonPass {
                    deviance: 0.0,
                    info: vec![0.0; p * p],
                    grad: vec![0.0; p],
                };
                let mut cols: Vec<usize> = Vec::with_capacity(self.features.len() + 1);
                let mut dev = Deviance::new();
                for i in start..end {
                    cols.clear();
                    cols.push(0);
                    for (slots, map) in &self.features {
                        let c = map[slots[i] as usize];
                        if c != 0 {
                            cols.push(c as usize);
                        }
                    }
                    let eta: f64 = cols.iter().map(|&c| beta[c]).sum();
                    let mu = dev.add(eta, y[i] == 1);
                    let yi = f64::from(y[i]);
                    let (w, r) = (mu * (1.0 - mu), yi - mu);
                    for (a, &ca) in cols.iter().enumerate() {
                        part.grad[ca] += r;
                        for &cb in &cols[a..] {
                            part.info[ca.min(cb) * p + ca.max(cb)] += w;
                        }
                    }
                }
                part.deviance = dev.total();
                part
            })
            .collect();
        let mut total = sum_passes(partials, p);
        for a in 0..p {
            for b in 0..a {
                total.info[a * p + b] = total.info[b * p + a];
            }
        }
        total
    }
}

/// For score tests of candidate columns against a fitted model with fitted probabilities `mu`:
/// `Cᵀ W M` (candidates × model columns incl. intercept), `diag(Cᵀ W C)` and `Cᵀ (y − μ)`.
pub(crate) struct CrossPass {
    pub cross: Vec<f64>,
    pub diag: Vec<f64>,
    pub score: Vec<f64>,
}

pub(crate) fn cross_pass(
    model: &[WoeColumn<'_>],
    cands: &[WoeColumn<'_>],
    y: &[u8],
    mu: &[f64],
) -> CrossPass {
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
                let mut part = CrossPass {
                    cross: vec![0.0; m * p],
                    diag: vec![0.0; m],
                    score: vec![0.0; m],
                };
                for r in 0..end - start {
                    let mu_i = mu[start + r];
                    let w = mu_i * (1.0 - mu_i);
                    let resid = f64::from(y[start + r]) - mu_i;
                    let row = &cb[r * m..(r + 1) * m];
                    for ((s, d), x) in part.score.iter_mut().zip(part.diag.iter_mut()).zip(row) {
                        *s += x * resid;
                        *d += x * x * w;
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
    let mut total = CrossPass {
        cross: vec![0.0; m * p],
        diag: vec![0.0; m],
        score: vec![0.0; m],
    };
    for part in partials {
        add_into(&mut total.cross, &part.cross);
        add_into(&mut total.diag, &part.diag);
        add_into(&mut total.score, &part.score);
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
        add_into(&mut gram, &g);
        add_into(&mut sums, &s);
    }
    let nf = n as f64;
    let cov = |i: usize, j: usize| gram[i * m + j] / nf - sums[i] / nf * sums[j] / nf;
    let mut corr = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            let d = (cov(i, i) * cov(j, j)).sqrt();
            corr[i * m + j] = if i == j {
                1.0
            } else if d > 0.0 {
                (cov(i, j) / d).clamp(-1.0, 1.0)
            } else {
                0.0
            };
        }
    }
    corr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deviance_terms_match_the_definition() {
        let etas: Vec<f64> = (0..5000)
            .map(|i| (i as f64 - 2500.0) * 0.037)
            .chain([-800.0, 800.0])
            .collect();
        let mut dev = Deviance::new();
        let mut want = 0.0;
        for (i, &eta) in etas.iter().enumerate() {
            let bad = i % 3 == 0;
            let mu = dev.add(eta, bad);
            assert!((mu - sigmoid(eta)).abs() < 1e-15);
            want += 2.0 * if bad { softplus(-eta) } else { softplus(eta) };
        }
        assert!((dev.total() - want).abs() < 1e-9 * want);
    }

    #[test]
    fn passes_match_direct_sums() {
        let s1: Vec<u8> = (0..10_000).map(|i| (i % 3) as u8).collect();
        let s2: Vec<u8> = (0..10_000).map(|i| ((i / 7) % 2) as u8).collect();
        let w1 = [0.5, -0.2, 1.0];
        let w2 = [-0.3, 0.4];
        let y: Vec<u8> = (0..10_000).map(|i| u8::from(i % 5 == 0)).collect();
        let cols = [
            WoeColumn {
                slots: &s1,
                woe: &w1,
            },
            WoeColumn {
                slots: &s2,
                woe: &w2,
            },
        ];
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
