//! Numeric features: quantile pre-bins, shape constraint, ChiMerge; specials and missing apart.

use super::merge::{MergeLimits, fit_shape};
use super::prebin::{cart_cuts, quantile_cuts, sorted_sample};
use super::{
    BinKind, BinRule, BinnedFeature, FeatureBinning, interval_label, make_bins, numeric_slot,
    totals,
};
use crate::config::{BinningConfig, FeatureBinSpec, Prebinning};
use crate::counts::Counts;

pub(super) fn fit(
    name: &str,
    values: &[f64],
    target: &[u8],
    config: &BinningConfig,
    spec: &FeatureBinSpec,
) -> Result<BinnedFeature, String> {
    let n = values.len();
    let specials: Vec<f64> = spec
        .special_values
        .clone()
        .unwrap_or_else(|| config.special_values.clone());
    let is_regular = |x: &f64| !x.is_nan() && !specials.contains(x);
    let n_regular = values.iter().filter(|x| is_regular(x)).count();
    let n_missing = values.iter().filter(|x| x.is_nan()).count();
    if n_missing == n {
        return Err("all values missing".into());
    }
    let sample = sorted_sample(
        values
            .iter()
            .copied()
            .zip(target.iter().copied())
            .filter(|(x, _)| is_regular(x)),
        n_regular,
    );
    let max_run = longest_run(&sample);
    let hand_cuts = spec.cuts.clone();
    let prebin_cuts = match &hand_cuts {
        Some(c) => c.clone(),
        None => match config.prebinning {
            Prebinning::Cart => cart_cuts(
                &sample,
                config.max_prebins,
                ((config.min_bin_share * sample.len() as f64).ceil() as usize).max(1),
            ),
            Prebinning::Quantile => {
                let plain: Vec<f64> = sample.iter().map(|p| p.0).collect();
                quantile_cuts(&plain, config.max_prebins)
            }
        },
    };

    // One pass: pre-bin slot of every row and the counts per slot.
    let n_pre = prebin_cuts.len() + 1;
    let mut pre_counts = vec![Counts::default(); n_pre + specials.len() + 1];
    let pre_slots: Vec<u8> = values
        .iter()
        .zip(target)
        .map(|(&x, &t)| {
            let s = numeric_slot(x, &prebin_cuts, &specials);
            pre_counts[s as usize] += Counts::of(t == 1);
            s
        })
        .collect();
    let total = totals(target);
    let distinct_regular = sample
        .first()
        .zip(sample.last())
        .is_some_and(|(a, b)| a.0 != b.0);
    if !distinct_regular && specials.is_empty() && n_missing == 0 {
        return Err("constant: a single value in every row".into());
    }

    let (cuts, trend, remap) = if hand_cuts.is_some() {
        (
            prebin_cuts.clone(),
            None,
            (0..n_pre as u8).collect::<Vec<u8>>(),
        )
    } else {
        let trend = spec.trend.unwrap_or(config.trend);
        let limits = MergeLimits::new(config, n);
        let (blocks, chosen) = fit_shape(
            &pre_counts[..n_pre],
            trend,
            limits,
            total,
            config.shape_gain,
            config.method == crate::config::BinningMethod::Optimal,
        );
        let cuts: Vec<f64> = blocks
            .iter()
            .skip(1)
            .map(|b| prebin_cuts[b.start - 1])
            .collect();
        // Pre-bin k goes to the last block starting at or before k.
        let remap: Vec<u8> = (0..n_pre)
            .map(|k| blocks.iter().rposition(|b| b.start <= k).unwrap_or(0) as u8)
            .collect();
        (cuts, Some(chosen), remap)
    };
    let n_bins = cuts.len() + 1;
    let mut slots_counts = vec![Counts::default(); n_bins];
    for (k, c) in pre_counts[..n_pre].iter().enumerate() {
        slots_counts[remap[k] as usize] += *c;
    }
    let mut slot_spec: Vec<(String, BinKind, Counts)> = (0..n_bins)
        .map(|i| (interval_label(&cuts, i), BinKind::Regular, slots_counts[i]))
        .collect();
    for (k, s) in specials.iter().enumerate() {
        slot_spec.push((
            format!("special {}", super::fmt_num(*s)),
            BinKind::Special,
            pre_counts[n_pre + k],
        ));
    }
    slot_spec.push((
        "missing".into(),
        BinKind::Missing,
        pre_counts[n_pre + specials.len()],
    ));
    let (bins, iv) = make_bins(slot_spec, total);

    let remap_slot = |s: u8| -> u8 {
        let s = s as usize;
        if s < n_pre {
            remap[s]
        } else {
            (s - n_pre + n_bins) as u8
        }
    };
    let slots: Vec<u8> = pre_slots.into_iter().map(remap_slot).collect();
    let special_max = pre_counts[n_pre..n_pre + specials.len()]
        .iter()
        .map(|c| c.n())
        .max()
        .unwrap_or(0);
    let regular_mode = if sample.is_empty() {
        0.0
    } else {
        max_run as f64 / sample.len() as f64 * n_regular as f64
    };
    let mut out = BinnedFeature {
        binning: FeatureBinning {
            feature: name.to_string(),
            rule: BinRule::Numeric {
                cuts,
                special_values: specials,
            },
            bins,
            iv,
            trend,
            hand_set: hand_cuts.is_some(),
        },
        woe: Vec::new(),
        slots,
        missing_rate: n_missing as f64 / n as f64,
        single_value_rate: regular_mode.max(special_max as f64) / n as f64,
    };
    out.woe = out.binning.bins.iter().map(|b| b.woe).collect();
    Ok(out)
}

fn longest_run(sorted: &[(f64, u8)]) -> usize {
    let mut best = 0;
    let mut run = 0;
    for (i, v) in sorted.iter().enumerate() {
        run = if i > 0 && sorted[i - 1].0 == v.0 {
            run + 1
        } else {
            1
        };
        best = best.max(run);
    }
    best
}
