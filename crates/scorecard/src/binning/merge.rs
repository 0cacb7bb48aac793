//! ChiMerge, the alternative to optimal binning (`method = "chimerge"`, and the fallback
//! when no partition meets the limits): pool-adjacent-violators for the shape constraint, then
//! merges of the least different neighbours under significance, bin-count and bin-size
//! limits.

use super::optimal::Shape;
use crate::config::Trend;
use crate::counts::{Counts, chi_square};

/// A run of consecutive pre-bins merged into one bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    /// First pre-bin.
    pub start: usize,
    /// One past the last pre-bin.
    pub end: usize,
    /// Counts of the run.
    pub counts: Counts,
}

/// Limits ChiMerge works to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MergeLimits {
    /// Most bins.
    pub max_bins: usize,
    /// Fewest rows in a bin.
    pub min_count: u64,
    /// Chi-square below which two neighbours are merged.
    pub chi_threshold: f64,
}

impl MergeLimits {
    /// Limits for a feature of `n` rows.
    pub(crate) fn new(config: &crate::config::BinningConfig, n: usize) -> Self {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        let chi_threshold = match config.significance {
            Some(a) => ChiSquared::new(1.0)
                .map(|d| d.inverse_cdf(1.0 - a))
                .unwrap_or(3.841),
            None => 0.0,
        };
        MergeLimits {
            max_bins: config.max_bins,
            min_count: (config.min_bin_share * n as f64).ceil() as u64,
            chi_threshold,
        }
    }
}

pub(crate) fn blocks_of(prebins: &[Counts]) -> Vec<Block> {
    prebins
        .iter()
        .enumerate()
        .filter(|(_, c)| c.n() > 0)
        .map(|(i, &counts)| Block {
            start: i,
            end: i + 1,
            counts,
        })
        .collect()
}

fn join(a: Block, b: Block) -> Block {
    Block {
        start: a.start,
        end: b.end,
        counts: a.counts + b.counts,
    }
}

/// Pool adjacent violators: the coarsest merge of neighbours after which bad rates are
/// non-decreasing (`ascending`) or non-increasing; equal neighbours are pooled too.
pub(crate) fn pav(blocks: &[Block], ascending: bool) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    for &b in blocks {
        out.push(b);
        while out.len() >= 2 {
            let (l, r) = (out[out.len() - 2], out[out.len() - 1]);
            // Compare bad rates without division: l.bad/l.n vs r.bad/r.n.
            let lhs = l.counts.bad as u128 * r.counts.n() as u128;
            let rhs = r.counts.bad as u128 * l.counts.n() as u128;
            let violates = if ascending { lhs >= rhs } else { lhs <= rhs };
            if !violates {
                break;
            }
            out.pop();
            out.pop();
            out.push(join(l, r));
        }
    }
    out
}

/// ChiMerge: first bins below the size floor are merged into their closest neighbour, then
/// bins holding one class only, then the least different neighbours while there are too many
/// bins or their difference is not significant. Merging neighbours never breaks a monotone,
/// peak or valley shape, so this runs after [`pav`]. The chi-square of each neighbour pair is
/// kept and only the two pairs touching a merge are recomputed.
pub(crate) fn chimerge(mut blocks: Vec<Block>, limits: MergeLimits) -> Vec<Block> {
    // chi[i] compares blocks i and i+1.
    let mut chi: Vec<f64> = blocks
        .windows(2)
        .map(|w| chi_square(w[0].counts, w[1].counts))
        .collect();
    let merge = |blocks: &mut Vec<Block>, chi: &mut Vec<f64>, i: usize| {
        blocks[i] = join(blocks[i], blocks[i + 1]);
        blocks.remove(i + 1);
        chi.remove(i);
        if i > 0 {
            chi[i - 1] = chi_square(blocks[i - 1].counts, blocks[i].counts);
        }
        if i < chi.len() {
            chi[i] = chi_square(blocks[i].counts, blocks[i + 1].counts);
        }
    };
    // Pair to merge for block i: with the neighbour it differs from least.
    let closest = |chi: &[f64], i: usize| -> usize {
        match (i.checked_sub(1).map(|l| chi[l]), chi.get(i).copied()) {
            (Some(l), Some(r)) if l <= r => i - 1,
            (Some(_), None) => i - 1,
            _ => i,
        }
    };
    while blocks.len() > 1 {
        let smallest = (0..blocks.len())
            .min_by_key(|&i| (blocks[i].counts.n(), i))
            .unwrap_or(0);
        if blocks[smallest].counts.n() < limits.min_count {
            let i = closest(&chi, smallest);
            merge(&mut blocks, &mut chi, i);
            continue;
        }
        if let Some(pure) = blocks.iter().position(|b| b.counts.is_pure()) {
            let i = closest(&chi, pure);
            merge(&mut blocks, &mut chi, i);
            continue;
        }
        let (i, least) = chi
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f64::INFINITY));
        if blocks.len() > limits.max_bins || least < limits.chi_threshold {
            merge(&mut blocks, &mut chi, i);
            continue;
        }
        break;
    }
    blocks
}

/// Information value of a partition, with the class totals of the whole feature.
pub(crate) fn iv_of(blocks: &[Block], total: Counts) -> f64 {
    blocks
        .iter()
        .map(|b| crate::woe::woe_iv(b.counts, total).1)
        .sum()
}

/// The best partition under `trend`, and the shape it took (for `Auto`, the one chosen).
/// `optimal` selects the IV-optimal search ([`super::optimal`]); otherwise, and wherever no
/// partition meets the limits, pool-adjacent-violators and ChiMerge decide.
pub(crate) fn fit_shape(
    prebins: &[Counts],
    trend: Trend,
    limits: MergeLimits,
    total: Counts,
    shape_gain: f64,
    optimal: bool,
) -> (Vec<Block>, Trend) {
    let blocks = blocks_of(prebins);
    let chi_monotone = |asc: bool| chimerge(pav(&blocks, asc), limits);
    let chi_unimodal = |peak: bool| {
        (1..blocks.len())
            .map(|t| {
                let mut left = pav(&blocks[..t], peak);
                left.extend(pav(&blocks[t..], !peak));
                chimerge(left, limits)
            })
            .max_by(|a, b| iv_of(a, total).total_cmp(&iv_of(b, total)))
            .unwrap_or_else(|| chi_monotone(peak))
    };
    let solve = |t: Trend| -> Vec<Block> {
        let shape = Shape::from_trend(t);
        let found = if optimal {
            super::optimal::optimal(&blocks, shape, limits, total)
        } else {
            None
        };
        found.unwrap_or_else(|| match t {
            Trend::Ascending => chi_monotone(true),
            Trend::Descending => chi_monotone(false),
            Trend::Peak => chi_unimodal(true),
            Trend::Valley => chi_unimodal(false),
            Trend::None | Trend::Auto => chimerge(blocks.clone(), limits),
        })
    };
    match trend {
        Trend::Auto => {
            let asc = solve(Trend::Ascending);
            let desc = solve(Trend::Descending);
            let (best, best_trend) = if iv_of(&asc, total) >= iv_of(&desc, total) {
                (asc, Trend::Ascending)
            } else {
                (desc, Trend::Descending)
            };
            let base_iv = iv_of(&best, total);
            let mut choice = (best, best_trend);
            for t in [Trend::Peak, Trend::Valley] {
                let cand = solve(t);
                let iv = iv_of(&cand, total);
                if iv > base_iv * shape_gain && iv > iv_of(&choice.0, total) + 1e-12 {
                    choice = (cand, t);
                }
            }
            choice
        }
        t => (solve(t), t),
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn c(bad: u64, good: u64) -> Counts {
        Counts { bad, good }
    }

    fn rates(b: &[Block]) -> Vec<f64> {
        b.iter().map(|x| x.counts.bad_rate()).collect()
    }

    #[test]
    fn pav_pools_violators() {
        let pre = [c(1, 9), c(3, 7), c(2, 8), c(5, 5)];
        let out = pav(&blocks_of(&pre), true);
        assert_eq!(rates(&out), vec![0.1, 0.25, 0.5]);
        assert_eq!((out[1].start, out[1].end), (1, 3));
        let out = pav(&blocks_of(&pre), false);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn chimerge_by_hand() {
        // Neighbour chi-squares: (1,2) identical rates -> 0; (2,3) large; so with threshold
        // 3.84 the first two merge and the third stays apart.
        let pre = [c(10, 90), c(10, 90), c(50, 50)];
        let limits = MergeLimits {
            max_bins: 10,
            min_count: 0,
            chi_threshold: 3.841,
        };
        let out = chimerge(blocks_of(&pre), limits);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].counts, c(20, 180));
        // A bin cap of one forces a single bin.
        let out = chimerge(
            blocks_of(&pre),
            MergeLimits {
                max_bins: 1,
                ..limits
            },
        );
        assert_eq!(out.len(), 1);
        // A pure bin is merged into its closest neighbour.
        let out = chimerge(
            blocks_of(&[c(0, 50), c(10, 40), c(40, 10)]),
            MergeLimits {
                chi_threshold: 0.0,
                ..limits
            },
        );
        assert!(out.iter().all(|b| !b.counts.is_pure()));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn auto_picks_valley_only_when_much_better() {
        let total = |p: &[Counts]| p.iter().copied().sum::<Counts>();
        let valley = [c(40, 60), c(20, 80), c(5, 95), c(20, 80), c(40, 60)];
        let limits = MergeLimits {
            max_bins: 10,
            min_count: 0,
            chi_threshold: 0.0,
        };
        let (b, t) = fit_shape(&valley, Trend::Auto, limits, total(&valley), 1.15, false);
        assert_eq!(t, Trend::Valley);
        assert_eq!(b.len(), 5);
        let mono = [c(5, 95), c(10, 90), c(20, 80), c(40, 60)];
        let (b, t) = fit_shape(&mono, Trend::Auto, limits, total(&mono), 1.15, false);
        assert_eq!((t, b.len()), (Trend::Ascending, 4));
    }
}
