//! Categorical features: rare categories pooled, categories ordered by bad rate, then merged
//! like numeric pre-bins (optimal binning by default, ChiMerge when asked or as the fallback).

use super::merge::{Block, MergeLimits, chimerge};
use super::{BinKind, BinRule, BinnedFeature, FeatureBinning, make_bins, totals};
use crate::config::{BinningConfig, FeatureBinSpec};
use crate::counts::Counts;

/// More distinct categories than this, and more than half the rows distinct, looks like an
/// identifier rather than a characteristic.
const MAX_LEVELS: usize = 1000;

pub(super) fn fit(
    name: &str,
    codes: &[u32],
    levels: &[String],
    target: &[u8],
    config: &BinningConfig,
    spec: &FeatureBinSpec,
) -> Result<BinnedFeature, String> {
    let n = codes.len();
    let mut level_counts = vec![Counts::default(); levels.len()];
    let mut missing = Counts::default();
    for (&c, &t) in codes.iter().zip(target) {
        if c == xinrong_core::MISSING_CODE {
            missing += Counts::of(t == 1);
        } else {
            level_counts[c as usize] += Counts::of(t == 1);
        }
    }
    let present: Vec<usize> = (0..levels.len())
        .filter(|&l| level_counts[l].n() > 0)
        .collect();
    if present.is_empty() {
        return Err("all values missing".into());
    }
    if present.len() == 1 && missing.n() == 0 {
        return Err("constant: a single value in every row".into());
    }
    if present.len() > MAX_LEVELS && present.len() * 2 > n {
        return Err(format!(
            "{} distinct text values: looks like an identifier, not a characteristic",
            present.len()
        ));
    }
    let total = totals(target);
    let single_value_rate = present
        .iter()
        .map(|&l| level_counts[l].n())
        .max()
        .unwrap_or(0) as f64
        / n as f64;

    let (groups, rare_group) = match &spec.groups {
        Some(g) => (g.clone(), None),
        None => merge_levels(&present, levels, &level_counts, n, config),
    };
    let mut slot_of_level = vec![(groups.len() + 1) as u8; levels.len()];
    let index: std::collections::HashMap<&str, usize> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    for (g, members) in groups.iter().enumerate() {
        for m in members {
            if let Some(&l) = index.get(m.as_str()) {
                slot_of_level[l] = g as u8;
            }
        }
    }
    let mut group_counts = vec![Counts::default(); groups.len() + 2];
    let slots: Vec<u8> = codes
        .iter()
        .zip(target)
        .map(|(&c, &t)| {
            let s = if c == xinrong_core::MISSING_CODE {
                groups.len() as u8
            } else {
                slot_of_level[c as usize]
            };
            group_counts[s as usize] += Counts::of(t == 1);
            s
        })
        .collect();
    let mut slot_spec: Vec<(String, BinKind, Counts)> = groups
        .iter()
        .enumerate()
        .map(|(g, m)| (group_label(m), BinKind::Regular, group_counts[g]))
        .collect();
    slot_spec.push((
        "missing".into(),
        BinKind::Missing,
        group_counts[groups.len()],
    ));
    slot_spec.push((
        "unseen".into(),
        BinKind::Unseen,
        group_counts[groups.len() + 1],
    ));
    let (mut bins, iv) = make_bins(slot_spec, total);
    // Categories never seen in training score like the pooled rare ones, the closest evidence.
    let unseen = bins.len() - 1;
    if let Some(r) = rare_group.filter(|_| bins[unseen].counts.n() == 0) {
        bins[unseen].woe = bins[r].woe;
        bins[unseen].label = format!("unseen (as {})", bins[r].label);
    }
    let mut out = BinnedFeature {
        binning: FeatureBinning {
            feature: name.to_string(),
            rule: BinRule::Categorical { groups },
            bins,
            iv,
            trend: None,
            hand_set: spec.groups.is_some(),
        },
        woe: Vec::new(),
        slots,
        missing_rate: missing.n() as f64 / n as f64,
        single_value_rate,
    };
    out.woe = out.binning.bins.iter().map(|b| b.woe).collect();
    Ok(out)
}

/// Groups of levels after pooling rare ones and merging over bad-rate order; also the group
/// that holds the rare pool.
fn merge_levels(
    present: &[usize],
    levels: &[String],
    counts: &[Counts],
    n: usize,
    config: &BinningConfig,
) -> (Vec<Vec<String>>, Option<usize>) {
    let rare_floor = (config.rare_category_share * n as f64).ceil() as u64;
    let (rare, common): (Vec<usize>, Vec<usize>) =
        present.iter().partition(|&&l| counts[l].n() < rare_floor);
    // Items: each common level alone, and the rare ones together.
    let mut items: Vec<(Vec<usize>, Counts)> =
        common.iter().map(|&l| (vec![l], counts[l])).collect();
    if !rare.is_empty() {
        items.push((rare.clone(), rare.iter().map(|&l| counts[l]).sum()));
    }
    items.sort_by(|a, b| {
        let (ra, rb) = (
            a.1.bad as u128 * b.1.n() as u128,
            b.1.bad as u128 * a.1.n() as u128,
        );
        ra.cmp(&rb)
            .then_with(|| levels[a.0[0]].cmp(&levels[b.0[0]]))
    });
    let blocks: Vec<Block> = items
        .iter()
        .enumerate()
        .map(|(i, it)| Block {
            start: i,
            end: i + 1,
            counts: it.1,
        })
        .collect();
    let limits = MergeLimits::new(config, n);
    // Items are in bad-rate order, so any merge of neighbours keeps the rates ascending.
    let total: Counts = items.iter().map(|it| it.1).sum();
    let merged = match config.method {
        crate::config::BinningMethod::Optimal => {
            super::optimal::optimal(&blocks, super::optimal::Shape::Ascending, limits, total)
        }
        crate::config::BinningMethod::Chimerge => None,
    }
    .unwrap_or_else(|| chimerge(blocks, limits));
    let mut rare_group = None;
    let groups = merged
        .iter()
        .enumerate()
        .map(|(g, b)| {
            let mut names: Vec<String> = Vec::new();
            for item in &items[b.start..b.end] {
                if !rare.is_empty() && item.0 == rare {
                    rare_group = Some(g);
                }
                names.extend(item.0.iter().map(|&l| levels[l].clone()));
            }
            names.sort();
            names
        })
        .collect();
    (groups, rare_group)
}

fn group_label(members: &[String]) -> String {
    const SHOWN: usize = 6;
    if members.len() <= SHOWN {
        members.join(", ")
    } else {
        format!(
            "{}, … ({} categories)",
            members[..SHOWN].join(", "),
            members.len()
        )
    }
}
