//! Bin-level refinement of a scorecard's points.
//!
//! Logistic regression on WOE gives every bin of a characteristic the points `β·WOE`: the bins
//! keep the proportions of their univariate evidence even where, next to the other
//! characteristics, the data say otherwise. Refinement fits one log-odds contribution per bin
//! jointly (an additive model over the bins), with a Gaussian prior centred on `β·WOE` so that
//! small bins stay near their WOE-based value, and keeps the bad-rate shape the binning chose:
//! where a characteristic's contributions break its trend, the offending neighbours are tied
//! together and the model refitted, until every shape holds. The result is still a table of
//! points per bin: as transparent as before, and closer to the data.

use crate::binning::optimal::Shape;
use crate::binning::{Bin, BinKind};
use crate::design::IndicatorDesign;
use crate::logistic::{Penalty, fit_penalized, most_probable_precision};

/// One characteristic to refine.
pub(crate) struct RefineInput<'a> {
    /// Training slots.
    pub slots: &'a [u8],
    /// Bins with their WOE.
    pub bins: &'a [Bin],
    /// Coefficient from the WOE regression.
    pub beta: f64,
    /// Shape the contributions of the regular bins must keep.
    pub shape: Shape,
}

/// Refined log-odds contributions.
pub(crate) struct Refined {
    /// Per feature, per slot.
    pub contrib: Vec<Vec<f64>>,
    /// Intercept.
    pub intercept: f64,
    /// Neighbouring bins tied to keep shapes.
    pub ties: usize,
}

/// Per feature, groups of slots sharing a coefficient (regular bins first, in order), and the
/// number of regular groups: at first every populated bin is its own group.
type Groups = Vec<(Vec<Vec<usize>>, usize)>;

fn untied(features: &[RefineInput<'_>]) -> Groups {
    features
        .iter()
        .map(|f| {
            let regular: Vec<Vec<usize>> = (0..f.bins.len())
                .filter(|&s| f.bins[s].kind == BinKind::Regular && f.bins[s].counts.n() > 0)
                .map(|s| vec![s])
                .collect();
            let n_regular = regular.len();
            let mut all = regular;
            all.extend(
                (0..f.bins.len())
                    .filter(|&s| f.bins[s].kind != BinKind::Regular && f.bins[s].counts.n() > 0)
                    .map(|s| vec![s]),
            );
            (all, n_regular)
        })
        .collect()
}

/// The indicator design of `groups` and each coefficient's prior centre (the count-weighted
/// mean of `β·WOE` over the group; 0 for the intercept).
fn design_of<'a>(features: &[RefineInput<'a>], groups: &Groups) -> (IndicatorDesign<'a>, Vec<f64>) {
    let mut center = vec![0.0];
    let mut maps: Vec<(&[u8], Vec<u32>)> = Vec::with_capacity(features.len());
    for (f, (gs, _)) in features.iter().zip(groups) {
        let mut map = vec![0u32; f.bins.len()];
        for members in gs {
            let (mut w, mut c) = (0.0, 0.0);
            for &s in members {
                map[s] = center.len() as u32;
                let n = f.bins[s].counts.n() as f64;
                w += n;
                c += n * f.beta * f.bins[s].woe;
            }
            center.push(if w > 0.0 { c / w } else { 0.0 });
        }
        maps.push((f.slots, map));
    }
    let design = IndicatorDesign {
        features: maps,
        n_cols: center.len() - 1,
    };
    (design, center)
}

/// Chooses the prior's standard deviation by empirical Bayes: the value, on a log grid from
/// 0.005 to 2, that maximises the marginal likelihood of the data under the bin model.
///
/// The marginal likelihood is [`most_probable_precision`]'s, expanded at `β·WOE` (the prior's
/// centre) with one pass over the data for all candidates. Large samples that contradict
/// `β·WOE` earn a wide prior; small ones, or bins that agree with
/// their WOE, a narrow one (points stay close to `β·WOE`). Shape ties are left out of the
/// choice and applied by [`refine`] afterwards.
pub(crate) fn prior_sd_by_evidence(features: &[RefineInput<'_>], y: &[u8], intercept: f64) -> f64 {
    use crate::design::Design;
    let (design, mut at) = design_of(features, &untied(features));
    at[0] = intercept;
    let pass = design.pass(y, &at);
    // Expanded at the prior's centre: the offset is zero.
    let grid: Vec<f64> = (0..=32)
        .map(|i| 0.005 * 400f64.powf(i as f64 / 32.0))
        .map(|sd| 1.0 / (sd * sd))
        .collect();
    most_probable_precision(&pass, &vec![0.0; at.len()], &grid).map_or(0.15, |l| 1.0 / l.sqrt())
}

/// Fits per-bin contributions with prior standard deviation `sd` around `β·WOE`.
pub(crate) fn refine(features: &[RefineInput<'_>], y: &[u8], intercept: f64, sd: f64) -> Refined {
    let mut groups = untied(features);
    let mut ties = 0;
    let mut start: Option<Vec<f64>> = None;
    loop {
        let (design, center) = design_of(features, &groups);
        let init = start
            .take()
            .filter(|s: &Vec<f64>| s.len() == center.len())
            .unwrap_or_else(|| {
                let mut s = center.clone();
                s[0] = intercept;
                s
            });
        let pen = Penalty {
            l1: 0.0,
            ridge: 1.0 / (sd * sd),
            center: center.clone(),
        };
        let fit = fit_penalized(&design, y, &pen, false, 100, Some(&init));

        // Tie the worst-violating neighbours of each feature whose shape is broken; the next
        // fit starts from this one, a tied pair at its count-weighted mean.
        let mut changed = false;
        let mut k = 1;
        let mut next_start = vec![fit.coef[0]];
        for (j, (gs, n_regular)) in groups.iter_mut().enumerate() {
            let mut coef: Vec<f64> = fit.coef[k..k + gs.len()].to_vec();
            k += gs.len();
            if let Some(i) = worst_violation(&coef[..*n_regular], features[j].shape) {
                let rows = |g: &[usize]| {
                    g.iter()
                        .map(|&s| features[j].bins[s].counts.n() as f64)
                        .sum::<f64>()
                };
                let (nl, nr) = (rows(&gs[i]), rows(&gs[i + 1]));
                coef[i] = (nl * coef[i] + nr * coef[i + 1]) / (nl + nr).max(1.0);
                coef.remove(i + 1);
                let right = gs.remove(i + 1);
                gs[i].extend(right);
                *n_regular -= 1;
                ties += 1;
                changed = true;
            }
            next_start.extend(coef);
        }
        if !changed {
            let mut contrib = Vec::with_capacity(features.len());
            let mut k = 1;
            for (j, (gs, _)) in groups.iter().enumerate() {
                let f = &features[j];
                let mut c: Vec<f64> = f.bins.iter().map(|b| f.beta * b.woe).collect();
                for members in gs {
                    for &s in members {
                        c[s] = fit.coef[k];
                    }
                    k += 1;
                }
                // The unseen-category slot, when it borrowed the pooled rare group's WOE, follows
                // that group's refined value.
                for u in (0..f.bins.len())
                    .filter(|&u| f.bins[u].kind == BinKind::Unseen && f.bins[u].counts.n() == 0)
                {
                    if let Some(src) = (0..f.bins.len()).find(|&r| {
                        f.bins[r].kind == BinKind::Regular
                            && f.bins[r].counts.n() > 0
                            && f.bins[r].woe == f.bins[u].woe
                    }) {
                        c[u] = c[src];
                    }
                }
                contrib.push(c);
            }
            return Refined {
                contrib,
                intercept: fit.coef[0],
                ties,
            };
        }
        start = Some(next_start);
    }
}

/// Index `i` of the neighbour pair `(i, i+1)` that breaks `shape` the most, if any.
fn worst_violation(c: &[f64], shape: Shape) -> Option<usize> {
    if c.len() < 2 {
        return None;
    }
    let turn = match shape {
        Shape::Peak => c
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|x| x.0),
        Shape::Valley => c
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map(|x| x.0),
        _ => None,
    };
    let wants_up = |i: usize| -> Option<bool> {
        match shape {
            Shape::Ascending => Some(true),
            Shape::Descending => Some(false),
            Shape::Peak => Some(i < turn.unwrap_or(0)),
            Shape::Valley => Some(i >= turn.unwrap_or(0)),
            Shape::Free => None,
        }
    };
    (0..c.len() - 1)
        .filter_map(|i| {
            let up = wants_up(i)?;
            let gap = if up { c[i] - c[i + 1] } else { c[i + 1] - c[i] };
            (gap > 1e-12).then_some((i, gap))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|x| x.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counts::Counts;
    use crate::woe::woe_iv;

    /// One feature of four bins with true bad rates 5%, 10%, 20%, 40%, dealt without
    /// randomness; its bins carry the data's own WOE, or `woe` when given.
    fn one_feature(rows: usize, woe: Option<[f64; 4]>) -> (Vec<u8>, Vec<u8>, Vec<Bin>) {
        let rates = [0.05, 0.10, 0.20, 0.40];
        let mut slots = Vec::with_capacity(rows);
        let mut y = Vec::with_capacity(rows);
        let mut acc = [0.0f64; 4];
        for i in 0..rows {
            let s = i % 4;
            acc[s] += rates[s];
            let bad = acc[s] >= 1.0;
            if bad {
                acc[s] -= 1.0;
            }
            slots.push(s as u8);
            y.push(u8::from(bad));
        }
        let mut counts = [Counts::default(); 4];
        for (s, t) in slots.iter().zip(&y) {
            counts[*s as usize] += Counts::of(*t == 1);
        }
        let total = counts.iter().fold(Counts::default(), |a, &c| a + c);
        let bins = (0..4)
            .map(|s| {
                let (w, iv) = woe_iv(counts[s], total);
                Bin {
                    label: format!("bin {s}"),
                    kind: BinKind::Regular,
                    counts: counts[s],
                    woe: woe.map_or(w, |v| v[s]),
                    iv,
                    smoothed: false,
                }
            })
            .collect();
        (slots, y, bins)
    }

    /// The prior sd chosen for `one_feature(rows, woe)` at β = 1.
    fn chosen_sd(rows: usize, woe: Option<[f64; 4]>) -> f64 {
        let (slots, y, bins) = one_feature(rows, woe);
        let bads = y.iter().filter(|&&t| t == 1).count() as f64;
        let input = [RefineInput {
            slots: &slots,
            bins: &bins,
            beta: 1.0,
            shape: Shape::Ascending,
        }];
        prior_sd_by_evidence(&input, &y, (bads / (y.len() as f64 - bads)).ln())
    }

    #[test]
    fn evidence_keeps_agreeing_bins_at_woe_and_frees_contradicted_ones() {
        // The bins' WOE is the data's own: nothing to refine, the narrowest prior wins.
        let sd = chosen_sd(4000, None);
        assert!(sd < 0.01, "agreeing bins got sd {sd}");
        // β·WOE flattens the two riskiest bins together; 40,000 rows say otherwise.
        let sd = chosen_sd(40_000, Some([-1.0, -0.4, 0.7, 0.7]));
        assert!(sd > 0.2, "contradicted bins got sd {sd}");
    }

    #[test]
    fn violations() {
        assert_eq!(
            worst_violation(&[0.1, 0.3, 0.2, 0.5], Shape::Ascending),
            Some(1)
        );
        assert_eq!(worst_violation(&[0.1, 0.3, 0.4], Shape::Ascending), None);
        assert_eq!(
            worst_violation(&[0.1, 0.3, 0.4], Shape::Descending),
            Some(0)
        );
        assert_eq!(worst_violation(&[0.1, 0.5, 0.2, 0.3], Shape::Peak), Some(2));
        assert_eq!(worst_violation(&[0.1, 0.5, 0.2, 0.3], Shape::Free), None);
    }
}
