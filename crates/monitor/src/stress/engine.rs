//! The Monte Carlo: preparation of the loans under a scenario, the draws, and what is read off
//! the simulated losses.

use std::collections::{BTreeMap, HashMap};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Exp1, StandardNormal};
use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::normal::{FastCdf, cdf, inverse};
use super::portfolio::Portfolio;
use super::scenario::{Scenario, cholesky};

/// Width of a PD band, in units of Φ⁻¹(PD): narrow enough that thinning keeps most candidates.
const BAND: f64 = 0.5;
/// A band whose conditional-PD bound is at least this draws every loan directly instead of
/// skipping to candidates.
const DIRECT: f64 = 0.2;
/// Draws per parallel task (each task reports progress once).
const CHUNK: usize = 4096;
/// Quantiles listed in every result (those the draws can resolve).
const GRID: [f64; 8] = [0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999];

/// VaR and expected shortfall at one confidence level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelRisk {
    /// Confidence level.
    pub level: f64,
    /// Value at risk: the loss not exceeded with this probability (yuan).
    pub var: Decimal,
    /// Expected shortfall: the mean loss of the draws from the VaR's rank up (the worst
    /// `1 − level` of them), in yuan.
    pub es: Decimal,
    /// VaR as a share of the exposure.
    pub var_share: f64,
    /// Expected shortfall as a share of the exposure.
    pub es_share: f64,
    /// Draws at or beyond the VaR.
    pub tail_draws: u64,
}

/// A guarantor's compensation rate (compensations ÷ guaranteed amount) across the draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuarantorRisk {
    /// The guarantor.
    pub guarantor: String,
    /// Loans it guarantees.
    pub loans: u64,
    /// Amount it guarantees (yuan).
    pub guaranteed: Decimal,
    /// Its compensation-rate cap.
    pub cap: f64,
    /// Mean compensation rate.
    pub mean_rate: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Share of draws where the rate reaches the cap (automatic guarantees would stop).
    pub prob_at_cap: f64,
}

/// A loan that drives the tail: its share of the expected shortfall at the highest level
/// (loans certain to default, PD 1, are in every draw's loss and not listed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Driver {
    /// The loan.
    pub loan_id: String,
    /// Its borrower.
    pub enterprise: String,
    /// Industry.
    pub industry: String,
    /// Region.
    pub region: String,
    /// Exposure (yuan).
    pub exposure: Decimal,
    /// PD under the scenario.
    pub pd: f64,
    /// Loss if it defaults (yuan).
    pub loss_given_default: Decimal,
    /// Share of tail draws in which it defaults.
    pub tail_default_rate: f64,
    /// Its mean loss in the tail draws (yuan): its contribution to the expected shortfall.
    pub es_contribution: Decimal,
    /// That contribution as a share of the expected shortfall.
    pub es_share: f64,
}

/// What a stress test found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Draws.
    pub draws: u64,
    /// Loans.
    pub loans: u64,
    /// Total exposure (yuan).
    pub exposure: Decimal,
    /// Systematic factors simulated.
    pub factors: u64,
    /// PD bands sampled per draw.
    pub bands: u64,
    /// Expected loss in closed form under the scenario (yuan).
    pub el_analytic: Decimal,
    /// Mean simulated loss (yuan).
    pub el_simulated: Decimal,
    /// Standard error of the mean simulated loss (yuan).
    pub el_standard_error: Decimal,
    /// (simulated − analytic) ÷ analytic.
    pub el_gap: f64,
    /// Unexpected loss: the standard deviation of the loss (yuan).
    pub unexpected_loss: Decimal,
    /// VaR and ES by level.
    pub levels: Vec<LevelRisk>,
    /// Loss quantiles (level, yuan).
    pub quantiles: Vec<(f64, Decimal)>,
    /// Guarantors' compensation rates.
    pub guarantors: Vec<GuarantorRisk>,
    /// Loans that drive the tail, largest contribution first.
    pub drivers: Vec<Driver>,
}

#[derive(Clone, Copy)]
struct Band {
    group: u32,
    start: u32,
    end: u32,
    c_max: f64,
    a_min: f64,
    a_max: f64,
    inv_d_min: f64,
    inv_d_max: f64,
}

/// The portfolio under a scenario, laid out for the draws.
struct Prepared {
    /// Φ⁻¹(PD) by position (loans sorted by group and PD).
    c: Vec<f64>,
    /// √ρ.
    a: Vec<f64>,
    /// 1 / √(1 − ρ).
    inv_d: Vec<f64>,
    /// Loss on default (fen).
    loss: Vec<i64>,
    /// Compensation on default (fen) and the guarantor's index.
    comp: Vec<(i64, u32)>,
    /// Position → index in the portfolio.
    order: Vec<usize>,
    /// PD after the scenario, by position.
    pd: Vec<f64>,
    /// Loans that default in every draw (PD 1): total loss and compensations.
    certain_loss: i64,
    certain_comp: Vec<i64>,
    bands: Vec<Band>,
    /// Each group's factor loadings (normalised to unit variance) and mean.
    groups: Vec<(Vec<(usize, f64)>, f64)>,
    factors: usize,
    /// Cholesky factor of the factors' correlations, when any are correlated.
    chol: Option<Vec<Vec<f64>>>,
    means: Vec<f64>,
    guarantors: Vec<String>,
    guarantor_index: HashMap<String, usize>,
}

fn fen(d: Decimal) -> i64 {
    (d * Decimal::ONE_HUNDRED)
        .round()
        .to_i64()
        .unwrap_or(i64::MAX)
}

fn yuan(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

fn yuan_f(fen: f64) -> Decimal {
    Decimal::from_f64_retain(fen.round())
        .map_or(Decimal::ZERO, |d| d / Decimal::ONE_HUNDRED)
        .round_dp(2)
}

fn prefix(code: &str, n: usize) -> &str {
    code.char_indices().nth(n).map_or(code, |(i, _)| &code[..i])
}

fn prepare(p: &Portfolio, s: &Scenario) -> Prepared {
    let m = &s.model;
    // Factors: macro first, then every industry and region the portfolio or scenario names.
    let mut names: Vec<String> = vec!["macro".into()];
    let mut index: BTreeMap<String, usize> = BTreeMap::from([("macro".into(), 0)]);
    let mut factor = |name: String, names: &mut Vec<String>| -> usize {
        *index.entry(name.clone()).or_insert_with(|| {
            names.push(name);
            names.len() - 1
        })
    };
    let loan_factors: Vec<(usize, usize)> = p
        .loans
        .iter()
        .map(|l| {
            let ind = format!("industry:{}", prefix(&l.industry, m.industry_prefix));
            let reg = format!("region:{}", prefix(&l.region, m.region_prefix));
            (factor(ind, &mut names), factor(reg, &mut names))
        })
        .collect();
    if let Some(c) = &m.correlation {
        for f in &c.factors {
            factor(f.clone(), &mut names);
        }
    }
    for f in s.shocks.factor_shift.keys() {
        factor(f.clone(), &mut names);
    }
    let k = names.len();
    let pos = |n: &str| names.iter().position(|x| x == n);
    let mut sigma = vec![vec![0.0; k]; k];
    for (i, row) in sigma.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    let chol = m.correlation.as_ref().map(|c| {
        for (i, fi) in c.factors.iter().enumerate() {
            for (j, fj) in c.factors.iter().enumerate() {
                if let (Some(a), Some(b)) = (pos(fi), pos(fj)) {
                    sigma[a][b] = c.matrix[i][j];
                }
            }
        }
        cholesky(&sigma).expect("checked when the scenario was parsed")
    });
    let mut means = vec![0.0; k];
    means[0] = s.shocks.macro_shift;
    for (f, v) in &s.shocks.factor_shift {
        if let Some(i) = pos(f) {
            means[i] += v;
        }
    }

    // Groups: loans with the same loadings.
    let mut group_of: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    let mut groups = Vec::new();
    let mut loan_group = Vec::with_capacity(p.loans.len());
    let sigma = &sigma;
    for &(ind, reg) in &loan_factors {
        let key = (
            if m.industry_weight > 0.0 { ind } else { 0 },
            if m.region_weight > 0.0 { reg } else { 0 },
        );
        let g = *group_of.entry(key).or_insert_with(|| {
            let mut w: Vec<(usize, f64)> = [
                (0, m.macro_weight),
                (ind, m.industry_weight),
                (reg, m.region_weight),
            ]
            .into_iter()
            .filter(|(_, w)| *w > 0.0)
            .map(|(f, w)| (f, w.sqrt()))
            .collect();
            let var: f64 = w
                .iter()
                .flat_map(|&(i, wi)| w.iter().map(move |&(j, wj)| wi * wj * sigma[i][j]))
                .sum();
            let norm = var.sqrt().max(1e-12);
            for t in &mut w {
                t.1 /= norm;
            }
            let mean = w.iter().map(|&(f, wf)| wf * means[f]).sum();
            groups.push((w, mean));
            (groups.len() - 1) as u32
        });
        loan_group.push(g);
    }

    // Loans under the scenario.
    let mut guarantors: Vec<String> = p
        .loans
        .iter()
        .filter_map(|l| l.guarantor.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    guarantors.shrink_to_fit();
    let guarantor_index: HashMap<String, usize> = guarantors
        .iter()
        .enumerate()
        .map(|(i, g)| (g.clone(), i))
        .collect();
    let g_index = |g: &Option<String>| {
        g.as_ref()
            .and_then(|g| guarantor_index.get(g))
            .map_or(u32::MAX, |i| *i as u32)
    };
    let haircut = Decimal::from_f64_retain(s.shocks.collateral_haircut).unwrap_or_default();
    let mut rows: Vec<(u32, f64, usize)> = Vec::new();
    let mut certain_loss = 0;
    let mut certain_comp = vec![0i64; guarantors.len()];
    let mut prepared_loss = vec![0i64; p.loans.len()];
    let mut prepared_comp = vec![(0i64, u32::MAX); p.loans.len()];
    let mut stressed = vec![0.0; p.loans.len()];
    for (i, l) in p.loans.iter().enumerate() {
        let pd = (l.pd * s.multiplier(&l.industry)).min(1.0);
        stressed[i] = pd;
        let covered = l.collateral * (Decimal::ONE - haircut);
        let unsecured = (l.exposure - covered).max(Decimal::ZERO);
        let lgd = (l.lgd + s.shocks.lgd_add).min(1.0);
        let lgd = Decimal::from_f64_retain(lgd).unwrap_or(Decimal::ONE);
        prepared_loss[i] = fen(unsecured * lgd);
        let gi = g_index(&l.guarantor);
        prepared_comp[i] = (fen(l.exposure * l.guaranteed_share), gi);
        if pd >= 1.0 {
            certain_loss += prepared_loss[i];
            if gi != u32::MAX {
                certain_comp[gi as usize] += prepared_comp[i].0;
            }
        } else if pd > 0.0 {
            rows.push((loan_group[i], inverse(pd), i));
        }
    }
    rows.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));

    let mut prep = Prepared {
        c: Vec::with_capacity(rows.len()),
        a: Vec::with_capacity(rows.len()),
        inv_d: Vec::with_capacity(rows.len()),
        loss: Vec::with_capacity(rows.len()),
        comp: Vec::with_capacity(rows.len()),
        order: Vec::with_capacity(rows.len()),
        pd: Vec::with_capacity(rows.len()),
        certain_loss,
        certain_comp,
        bands: Vec::new(),
        groups,
        factors: k,
        chol,
        means,
        guarantors,
        guarantor_index,
    };
    for &(g, c, i) in &rows {
        let rho = m.rho.at(stressed[i]);
        let pos = prep.c.len() as u32;
        let a = rho.sqrt();
        let inv_d = 1.0 / (1.0 - rho).sqrt();
        match prep.bands.last_mut() {
            Some(b) if b.group == g && c - prep.c[b.start as usize] <= BAND => {
                b.end = pos + 1;
                b.c_max = c;
                b.a_min = b.a_min.min(a);
                b.a_max = b.a_max.max(a);
                b.inv_d_min = b.inv_d_min.min(inv_d);
                b.inv_d_max = b.inv_d_max.max(inv_d);
            }
            _ => prep.bands.push(Band {
                group: g,
                start: pos,
                end: pos + 1,
                c_max: c,
                a_min: a,
                a_max: a,
                inv_d_min: inv_d,
                inv_d_max: inv_d,
            }),
        }
        prep.c.push(c);
        prep.a.push(a);
        prep.inv_d.push(inv_d);
        prep.loss.push(prepared_loss[i]);
        prep.comp.push(prepared_comp[i]);
        prep.order.push(i);
        prep.pd.push(stressed[i]);
    }
    prep
}

/// Per-task buffers, so a draw allocates nothing.
struct Scratch {
    z: Vec<f64>,
    f: Vec<f64>,
    y: Vec<f64>,
    comp: Vec<i64>,
}

impl Prepared {
    fn scratch(&self) -> Scratch {
        Scratch {
            z: vec![0.0; self.factors],
            f: vec![0.0; self.factors],
            y: vec![0.0; self.groups.len()],
            comp: vec![0; self.guarantors.len()],
        }
    }

    /// One draw: the portfolio loss (fen), compensations in `s.comp`, and every defaulted
    /// position passed to `on_default`.
    fn draw(
        &self,
        rng: &mut ChaCha8Rng,
        phi: FastCdf,
        s: &mut Scratch,
        mut on_default: impl FnMut(usize),
    ) -> i64 {
        for z in &mut s.z {
            *z = rng.sample(StandardNormal);
        }
        match &self.chol {
            Some(l) => {
                for (i, row) in l.iter().enumerate() {
                    s.f[i] =
                        self.means[i] + row[..=i].iter().zip(&s.z).map(|(a, b)| a * b).sum::<f64>();
                }
            }
            None => {
                for i in 0..self.factors {
                    s.f[i] = self.means[i] + s.z[i];
                }
            }
        }
        for (g, (w, _)) in self.groups.iter().enumerate() {
            s.y[g] = w.iter().map(|&(f, wf)| wf * s.f[f]).sum();
        }
        s.comp.copy_from_slice(&self.certain_comp);
        let mut loss = self.certain_loss;
        for b in &self.bands {
            let y = s.y[b.group as usize];
            // The band's highest conditional PD bounds each of its loans'.
            let num = b.c_max + (-b.a_min * y).max(-b.a_max * y);
            let bound = phi.at(if num >= 0.0 {
                num * b.inv_d_max
            } else {
                num * b.inv_d_min
            });
            // ln(1 − bound), accurate for the tiniest bounds (where 1 − bound rounds to 1 and
            // a plain ln would make every loan a candidate).
            let log_miss = (-bound).ln_1p();
            if bound <= 0.0 || log_miss == 0.0 {
                continue;
            }
            let mut j = b.start as usize;
            let end = b.end as usize;
            if bound >= DIRECT {
                // Most loans are candidates anyway: a Bernoulli draw per loan costs less than
                // skipping (no logarithm, one uniform).
                for j in j..end {
                    let p = phi.at((self.c[j] - self.a[j] * y) * self.inv_d[j]);
                    if rng.random::<f64>() < p {
                        loss += self.defaulted(j, &mut s.comp);
                        on_default(j);
                    }
                }
                continue;
            }
            loop {
                if bound < 1.0 {
                    // −ln U is Exp(1): the ziggurat draws it without a logarithm.
                    let e: f64 = rng.sample(Exp1);
                    let skip = (e / -log_miss).floor();
                    if skip >= (end - j) as f64 {
                        break;
                    }
                    j += skip as usize;
                }
                if j >= end {
                    break;
                }
                let p = phi.at((self.c[j] - self.a[j] * y) * self.inv_d[j]);
                if rng.random::<f64>() * bound < p {
                    loss += self.defaulted(j, &mut s.comp);
                    on_default(j);
                }
                j += 1;
            }
        }
        loss
    }

    /// Books the default of position `j`: its guarantor's compensation, and its loss returned.
    #[inline]
    fn defaulted(&self, j: usize, comp: &mut [i64]) -> i64 {
        let (c, g) = self.comp[j];
        if g != u32::MAX {
            comp[g as usize] += c;
        }
        self.loss[j]
    }

    /// Expected loss in closed form: each loan's loss times its PD under the factors' means.
    fn analytic_el(&self) -> f64 {
        let mut el = self.certain_loss as f64;
        for b in &self.bands {
            let m = self.groups[b.group as usize].1;
            for j in b.start as usize..b.end as usize {
                el += self.loss[j] as f64 * cdf(self.c[j] - self.a[j] * m);
            }
        }
        el
    }
}

fn draw_rng(base: &ChaCha8Rng, draw: u64) -> ChaCha8Rng {
    let mut r = base.clone();
    r.set_stream(draw);
    r.set_word_pos(0);
    r
}

fn quantile_index(n: usize, q: f64) -> usize {
    (((q * n as f64).ceil() as usize).max(1) - 1).min(n - 1)
}

/// Most per-draw figures a run keeps in memory (draws × (1 + guarantors); 8 bytes each).
pub const MAX_CELLS: u64 = 300_000_000;

/// A run that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum StressError {
    /// The draws and guarantors would need more memory than a run may take.
    #[error(
        "{draws} draws × {guarantors} guarantors keep {cells} figures in memory, more than {MAX_CELLS}: use fewer draws or fewer guarantors"
    )]
    TooLarge {
        /// Draws asked for.
        draws: u64,
        /// Guarantors of the portfolio.
        guarantors: u64,
        /// Figures that would be kept.
        cells: u64,
    },
}

/// Runs a stress test. `progress` is told how many draws each finished task made.
pub fn run(
    p: &Portfolio,
    s: &Scenario,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<StressResult, StressError> {
    let prep = prepare(p, s);
    let n = s.draws as usize;
    let g = prep.guarantors.len();
    let cells = s.draws.saturating_mul(1 + g as u64);
    if cells > MAX_CELLS {
        return Err(StressError::TooLarge {
            draws: s.draws,
            guarantors: g as u64,
            cells,
        });
    }
    let base = ChaCha8Rng::seed_from_u64(s.seed);
    let phi = FastCdf::default();
    let mut losses = vec![0i64; n];
    let mut comps = vec![0i64; n * g.max(1)];
    losses
        .par_chunks_mut(CHUNK)
        .zip(comps.par_chunks_mut(CHUNK * g.max(1)))
        .enumerate()
        .for_each(|(chunk, (ls, cs))| {
            let mut scratch = prep.scratch();
            for (i, l) in ls.iter_mut().enumerate() {
                let draw = (chunk * CHUNK + i) as u64;
                let mut rng = draw_rng(&base, draw);
                *l = prep.draw(&mut rng, phi, &mut scratch, |_| {});
                if g > 0 {
                    cs[i * g..(i + 1) * g].copy_from_slice(&scratch.comp);
                }
            }
            progress(ls.len() as u64);
        });

    let exposure: Decimal = p.loans.iter().map(|l| l.exposure).sum();
    let exposure_fen = fen(exposure).max(1) as f64;
    let total: i128 = losses.iter().map(|&l| l as i128).sum();
    let mean = total as f64 / n as f64;
    let var = losses
        .iter()
        .map(|&l| (l as f64 - mean).powi(2))
        .sum::<f64>()
        / (n.max(2) - 1) as f64;
    let sd = var.sqrt();
    let el_analytic = prep.analytic_el();
    let mut sorted = losses.clone();
    sorted.par_sort_unstable();

    let levels: Vec<LevelRisk> = s
        .levels
        .iter()
        .map(|&q| {
            let i = quantile_index(n, q);
            let tail = &sorted[i..];
            let es = tail.iter().map(|&l| l as f64).sum::<f64>() / tail.len() as f64;
            LevelRisk {
                level: q,
                var: yuan(sorted[i]),
                es: yuan_f(es),
                var_share: sorted[i] as f64 / exposure_fen,
                es_share: es / exposure_fen,
                tail_draws: tail.len() as u64,
            }
        })
        .collect();
    let quantiles = GRID
        .iter()
        .filter(|&&q| (1.0 - q) * n as f64 >= 1.0)
        .map(|&q| (q, yuan(sorted[quantile_index(n, q)])))
        .collect();

    // Each guarantor's loans and guaranteed amount, in one pass over the loans.
    let mut held: Vec<(u64, Decimal)> = vec![(0, Decimal::ZERO); g];
    for l in &p.loans {
        if let Some(k) = l
            .guarantor
            .as_ref()
            .and_then(|x| prep.guarantor_index.get(x))
        {
            held[*k].0 += 1;
            held[*k].1 += l.exposure * l.guaranteed_share;
        }
    }
    let guarantors = (0..g)
        .map(|gi| {
            let name = &prep.guarantors[gi];
            let (loans, guaranteed) = (held[gi].0, held[gi].1.round_dp(2));
            let base = fen(guaranteed).max(1) as f64;
            let mut rates: Vec<f64> = (0..n).map(|d| comps[d * g + gi] as f64 / base).collect();
            rates.par_sort_unstable_by(f64::total_cmp);
            let cap = s.caps.of(name);
            let at_cap = rates.len() - rates.partition_point(|&r| r < cap);
            GuarantorRisk {
                guarantor: name.clone(),
                loans,
                guaranteed,
                cap,
                mean_rate: rates.iter().sum::<f64>() / n as f64,
                p50: rates[quantile_index(n, 0.5)],
                p95: rates[quantile_index(n, 0.95)],
                p99: rates[quantile_index(n, 0.99)],
                p999: rates[quantile_index(n, 0.999)],
                prob_at_cap: at_cap as f64 / n as f64,
            }
        })
        .collect();

    let drivers = tail_drivers(p, s, &prep, &losses, &base);

    Ok(StressResult {
        scenario: s.name.clone(),
        seed: s.seed,
        draws: s.draws,
        loans: p.loans.len() as u64,
        exposure,
        factors: prep.factors as u64,
        bands: prep.bands.len() as u64,
        el_analytic: yuan_f(el_analytic),
        el_simulated: yuan_f(mean),
        el_standard_error: yuan_f(sd / (n as f64).sqrt()),
        el_gap: if el_analytic > 0.0 {
            (mean - el_analytic) / el_analytic
        } else {
            0.0
        },
        unexpected_loss: yuan_f(sd),
        levels,
        quantiles,
        guarantors,
        drivers,
    })
}

/// The loans with the largest mean loss in the tail of the highest level: the same draws its
/// expected shortfall averages (the worst by rank, ties broken by draw index), found by
/// running those draws again (each draw has its own random stream).
fn tail_drivers(
    p: &Portfolio,
    s: &Scenario,
    prep: &Prepared,
    losses: &[i64],
    base: &ChaCha8Rng,
) -> Vec<Driver> {
    let n = losses.len();
    let top = s.levels.iter().copied().fold(0.0, f64::max);
    let mut order: Vec<u64> = (0..n as u64).collect();
    order.par_sort_unstable_by_key(|&d| (losses[d as usize], d));
    let tail: Vec<u64> = order[quantile_index(n, top)..].to_vec();
    let phi = FastCdf::default();
    let counts = tail
        .par_chunks(256)
        .map(|draws| {
            let mut scratch = prep.scratch();
            let mut counts = vec![0u32; prep.c.len()];
            for &d in draws {
                let mut rng = draw_rng(base, d);
                prep.draw(&mut rng, phi, &mut scratch, |j| counts[j] += 1);
            }
            counts
        })
        .reduce(
            || vec![0u32; prep.c.len()],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let n_tail = tail.len().max(1) as f64;
    let es = tail.iter().map(|&d| losses[d as usize] as f64).sum::<f64>() / n_tail;
    let mut ranked: Vec<(f64, usize)> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(j, &c)| (c as f64 * prep.loss[j] as f64 / n_tail, j))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked
        .into_iter()
        .take(s.tail_drivers)
        .map(|(contribution, j)| {
            let l = &p.loans[prep.order[j]];
            Driver {
                loan_id: l.loan_id.clone(),
                enterprise: l.enterprise.clone(),
                industry: l.industry.clone(),
                region: l.region.clone(),
                exposure: l.exposure,
                pd: prep.pd[j],
                loss_given_default: yuan(prep.loss[j]),
                tail_default_rate: counts[j] as f64 / n_tail,
                es_contribution: yuan_f(contribution),
                es_share: if es > 0.0 { contribution / es } else { 0.0 },
            }
        })
        .collect()
}
