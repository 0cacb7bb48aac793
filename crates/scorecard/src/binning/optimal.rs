//! IV-optimal binning by dynamic programming.
//!
//! Among all ways to merge consecutive pre-bins into at most `max_bins` bins, each holding at
//! least the minimum count and both classes, whose bad rates follow the required shape, pick
//! the one with the highest information value. IV adds up over bins, so the best partition
//! ending with a given last bin extends the best partitions ending just before it: the search
//! is exact, `O(max_bins · k³)` for `k` pre-bins (a few thousand steps for the usual 20), and
//! needs no solver. This is the problem optbinning hands to a MIP solver.

use super::merge::{Block, MergeLimits};
use crate::config::Trend;
use crate::counts::Counts;
use crate::woe::woe_iv;

/// Shape of bad rates over the bins (and of a characteristic's points).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Ascending,
    Descending,
    Peak,
    Valley,
    Free,
}

impl Shape {
    /// The shape a fitted binning's points must keep: hand-set bins are free; categorical
    /// groups are ordered by bad rate when fitted, so ascending.
    pub(crate) fn of(trend: Option<Trend>, hand_set: bool, categorical: bool) -> Shape {
        match (hand_set, categorical, trend) {
            (true, _, _) => Shape::Free,
            (false, true, _) => Shape::Ascending,
            (false, false, Some(t)) => Shape::from_trend(t),
            (false, false, None) => Shape::Free,
        }
    }

    /// The constraint a trend asks for (`auto` and `none`: free).
    pub(crate) fn from_trend(t: Trend) -> Shape {
        match t {
            Trend::Ascending => Shape::Ascending,
            Trend::Descending => Shape::Descending,
            Trend::Peak => Shape::Peak,
            Trend::Valley => Shape::Valley,
            Trend::None | Trend::Auto => Shape::Free,
        }
    }
}

/// `a`'s bad rate is at most `b`'s (exact, no division).
fn rate_le(a: Counts, b: Counts) -> bool {
    a.bad as u128 * b.n() as u128 <= b.bad as u128 * a.n() as u128
}

/// Phase after appending a bin with counts `next` to one with counts `prev` in phase `phase`
/// (0 = before the turn, 1 = after it), or `None` when the shape forbids it.
fn step(shape: Shape, phase: usize, prev: Counts, next: Counts) -> Option<usize> {
    let up = rate_le(prev, next);
    let down = rate_le(next, prev);
    match (shape, phase) {
        (Shape::Free, _) => Some(0),
        (Shape::Ascending, _) => up.then_some(0),
        (Shape::Descending, _) => down.then_some(0),
        (Shape::Peak, 0) => Some(if up { 0 } else { 1 }),
        (Shape::Valley, 0) => Some(if down { 0 } else { 1 }),
        (Shape::Peak, _) => down.then_some(1),
        (Shape::Valley, _) => up.then_some(1),
    }
}

/// The IV-optimal merge of `blocks` under `shape`, or `None` when no partition meets the
/// limits (then the caller falls back to ChiMerge).
pub(crate) fn optimal(
    blocks: &[Block],
    shape: Shape,
    limits: MergeLimits,
    total: Counts,
) -> Option<Vec<Block>> {
    let k = blocks.len();
    if k <= 1 {
        return Some(blocks.to_vec());
    }
    let mut prefix = vec![Counts::default(); k + 1];
    for (i, b) in blocks.iter().enumerate() {
        prefix[i + 1] = prefix[i] + b.counts;
    }
    let seg = |i: usize, j: usize| Counts {
        good: prefix[j].good - prefix[i].good,
        bad: prefix[j].bad - prefix[i].bad,
    };
    let valid = |i: usize, j: usize| {
        let c = seg(i, j);
        c.n() >= limits.min_count && !c.is_pure()
    };
    let bins = limits.max_bins.max(1);
    // best[b][j][i][phase]: highest IV of b bins covering pre-bins 0..j, the last one i..j.
    let idx = |b: usize, j: usize, i: usize, q: usize| ((b * (k + 1) + j) * (k + 1) + i) * 2 + q;
    let size = (bins + 1) * (k + 1) * (k + 1) * 2;
    let mut best = vec![f64::NEG_INFINITY; size];
    let mut back: Vec<(u32, u8)> = vec![(u32::MAX, 0); size];
    let iv = |i: usize, j: usize| woe_iv(seg(i, j), total).1;
    for j in 1..=k {
        if valid(0, j) {
            best[idx(1, j, 0, 0)] = iv(0, j);
        }
    }
    for b in 2..=bins {
        for j in 2..=k {
            for i in 1..j {
                if !valid(i, j) {
                    continue;
                }
                let cur = seg(i, j);
                let gain = iv(i, j);
                for h in 0..i {
                    for p in 0..2 {
                        let prev = best[idx(b - 1, i, h, p)];
                        if prev == f64::NEG_INFINITY {
                            continue;
                        }
                        let Some(q) = step(shape, p, seg(h, i), cur) else {
                            continue;
                        };
                        let v = prev + gain;
                        let slot = idx(b, j, i, q);
                        if v > best[slot] {
                            best[slot] = v;
                            back[slot] = (h as u32, p as u8);
                        }
                    }
                }
            }
        }
    }
    // Highest IV over bin counts; fewer bins win ties.
    let mut winner: Option<(f64, usize, usize, usize)> = None;
    for b in 1..=bins {
        for i in 0..k {
            for q in 0..2 {
                let v = best[idx(b, k, i, q)];
                if v > f64::NEG_INFINITY && winner.is_none_or(|w| v > w.0 + 1e-12) {
                    winner = Some((v, b, i, q));
                }
            }
        }
    }
    let (_, mut b, mut i, mut q) = winner?;
    let mut cuts = vec![k];
    let mut j = k;
    while b > 1 {
        let (h, p) = back[idx(b, j, i, q)];
        cuts.push(i);
        j = i;
        i = h as usize;
        q = p as usize;
        b -= 1;
    }
    cuts.push(0);
    cuts.reverse();
    Some(
        cuts.windows(2)
            .map(|w| Block {
                start: blocks[w[0]].start,
                end: blocks[w[1] - 1].end,
                counts: seg(w[0], w[1]),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binning::merge::blocks_of;

    fn c(bad: u64, good: u64) -> Counts {
        Counts { bad, good }
    }

    /// Every partition into contiguous groups, by brute force.
    fn partitions(k: usize) -> Vec<Vec<usize>> {
        (0..1u32 << (k - 1))
            .map(|mask| {
                let mut cuts = vec![0];
                cuts.extend((1..k).filter(|i| mask >> (i - 1) & 1 == 1));
                cuts.push(k);
                cuts
            })
            .collect()
    }

    #[test]
    fn matches_brute_force() {
        let pre = [
            c(5, 95),
            c(9, 91),
            c(7, 93),
            c(20, 80),
            c(15, 85),
            c(40, 60),
            c(30, 70),
            c(0, 50),
        ];
        let blocks = blocks_of(&pre);
        let total: Counts = pre.iter().copied().sum();
        let limits = MergeLimits {
            max_bins: 4,
            min_count: 100,
            chi_threshold: 0.0,
        };
        for shape in [
            Shape::Ascending,
            Shape::Descending,
            Shape::Peak,
            Shape::Valley,
            Shape::Free,
        ] {
            let got = optimal(&blocks, shape, limits, total);
            let mut want: Option<f64> = None;
            for cuts in partitions(pre.len()) {
                let segs: Vec<Counts> = cuts
                    .windows(2)
                    .map(|w| pre[w[0]..w[1]].iter().copied().sum())
                    .collect();
                if segs.len() > 4 || segs.iter().any(|s| s.n() < 100 || s.is_pure()) {
                    continue;
                }
                let ok = (0..segs.len()).any(|t| {
                    // Shape check by definition: some turn index splits rising and falling runs.
                    let rates: Vec<f64> = segs.iter().map(|s| s.bad_rate()).collect();
                    let asc = |r: &[f64]| r.windows(2).all(|w| w[0] <= w[1]);
                    let desc = |r: &[f64]| r.windows(2).all(|w| w[0] >= w[1]);
                    match shape {
                        Shape::Ascending => asc(&rates),
                        Shape::Descending => desc(&rates),
                        Shape::Peak => asc(&rates[..=t]) && desc(&rates[t..]),
                        Shape::Valley => desc(&rates[..=t]) && asc(&rates[t..]),
                        Shape::Free => true,
                    }
                });
                if ok {
                    let v: f64 = segs.iter().map(|s| woe_iv(*s, total).1).sum();
                    want = Some(want.map_or(v, |w: f64| w.max(v)));
                }
            }
            let got_iv = got
                .as_ref()
                .map(|g| g.iter().map(|b| woe_iv(b.counts, total).1).sum::<f64>());
            match (got_iv, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-12, "{shape:?}: {g} vs {w}"),
                (None, None) => {}
                other => panic!("{shape:?}: {other:?}"),
            }
            if let Some(g) = got {
                assert!(
                    g.len() <= 4 && g.iter().all(|b| b.counts.n() >= 100 && !b.counts.is_pure())
                );
                assert_eq!(g.first().unwrap().start, 0);
                assert_eq!(g.last().unwrap().end, pre.len());
            }
        }
    }
}
