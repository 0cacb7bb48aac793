//! Pre-binning of numeric values into candidate cut points: at quantiles, or where a
//! classification tree would split (CART, Gini impurity, as optbinning does).

/// Above this many values the cut points are read off a deterministic sample; counting
/// afterwards is always over every row, so only the candidate cut positions are approximate.
pub(crate) const SAMPLE_SIZE: usize = 50_000;

/// Sorted sample of `(value, target)` pairs (all of them when there are few enough).
pub(crate) fn sorted_sample(values: impl Iterator<Item = (f64, u8)>, n: usize) -> Vec<(f64, u8)> {
    let mut s: Vec<(f64, u8)> = if n <= SAMPLE_SIZE {
        values.collect()
    } else {
        // Every value has the same chance; the stream of picks is fixed so fits repeat exactly.
        let all: Vec<(f64, u8)> = values.collect();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..SAMPLE_SIZE)
            .map(|_| {
                state = splitmix(state);
                all[(state % all.len() as u64) as usize]
            })
            .collect()
    };
    s.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    s
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut x = z;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Cut points splitting `sorted` into at most `max_prebins` bins of roughly equal count. With
/// fewer distinct values than that, every distinct value gets its own bin. Each cut lies
/// strictly above the value below it and at or below the value it starts, and is the shortest
/// decimal that does so, so labels read well.
pub(crate) fn quantile_cuts(sorted: &[f64], max_prebins: usize) -> Vec<f64> {
    let n = sorted.len();
    if n == 0 {
        return Vec::new();
    }
    let mut distinct: Vec<f64> = Vec::new();
    for &v in sorted {
        if distinct.last() != Some(&v) {
            distinct.push(v);
            if distinct.len() > max_prebins {
                break;
            }
        }
    }
    let mut cuts: Vec<f64> = Vec::new();
    let mut push = |lo: f64, hi: f64| {
        let c = nice_between(lo, hi);
        if cuts.last().is_none_or(|&l| c > l) {
            cuts.push(c);
        }
    };
    if distinct.len() <= max_prebins {
        for w in distinct.windows(2) {
            push(w[0], w[1]);
        }
        return cuts;
    }
    for k in 1..max_prebins {
        let v = sorted[k * n / max_prebins];
        let p = sorted.partition_point(|&x| x < v);
        if p > 0 {
            push(sorted[p - 1], v);
        }
    }
    cuts
}

/// The number with the fewest significant digits in `(lo, hi]`, nearest the midpoint.
pub(crate) fn nice_between(lo: f64, hi: f64) -> f64 {
    let mid = lo + (hi - lo) / 2.0;
    for digits in 1..=17 {
        let c = round_sig(mid, digits);
        if c > lo && c <= hi {
            return c;
        }
    }
    if mid > lo { mid } else { hi }
}

fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let mag = x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits - 1 - mag);
    if !scale.is_finite() || scale == 0.0 {
        return x;
    }
    let r = (x * scale).round() / scale;
    // Dividing can land one ulp off the decimal; parsing the printed value snaps it back.
    format!("{r:.*e}", (digits - 1).max(0) as usize)
        .parse()
        .unwrap_or(r)
}

/// Cut points where a best-first classification tree over the sorted `(value, target)` pairs
/// splits (Gini impurity), with at most `max_prebins` leaves of at least `min_leaf` pairs each.
/// With no more distinct values than `max_prebins`, every distinct value gets its own bin.
pub(crate) fn cart_cuts(sorted: &[(f64, u8)], max_prebins: usize, min_leaf: usize) -> Vec<f64> {
    let mut values: Vec<f64> = Vec::new();
    let mut prefix: Vec<(u64, u64)> = vec![(0, 0)];
    for &(v, y) in sorted {
        if values.last() != Some(&v) {
            values.push(v);
            prefix.push(*prefix.last().unwrap_or(&(0, 0)));
        }
        let last = prefix.len() - 1;
        if y == 1 {
            prefix[last].1 += 1;
        } else {
            prefix[last].0 += 1;
        }
    }
    if values.len() <= max_prebins {
        let plain: Vec<f64> = sorted.iter().map(|p| p.0).collect();
        return quantile_cuts(&plain, max_prebins);
    }
    // `n × Gini` of distinct-value range [a, b): 2·goods·bads / n.
    let impurity = |a: usize, b: usize| {
        let (g, d) = (prefix[b].0 - prefix[a].0, prefix[b].1 - prefix[a].1);
        let n = (g + d) as f64;
        if n == 0.0 {
            0.0
        } else {
            2.0 * g as f64 * d as f64 / n
        }
    };
    let size =
        |a: usize, b: usize| (prefix[b].0 + prefix[b].1 - prefix[a].0 - prefix[a].1) as usize;
    let best_split = |a: usize, b: usize| -> Option<(f64, usize)> {
        let whole = impurity(a, b);
        (a + 1..b)
            .filter(|&s| size(a, s) >= min_leaf && size(s, b) >= min_leaf)
            .map(|s| (whole - impurity(a, s) - impurity(s, b), s))
            .filter(|x| x.0 > 1e-9)
            .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)))
    };
    // Leaves as (first distinct value, one past the last, best split as (gain, position)).
    type Leaf = (usize, usize, Option<(f64, usize)>);
    let mut leaves: Vec<Leaf> = vec![(0, values.len(), best_split(0, values.len()))];
    while leaves.len() < max_prebins {
        let Some((k, _)) = leaves
            .iter()
            .enumerate()
            .filter_map(|(k, l)| l.2.map(|g| (k, g.0)))
            .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))
        else {
            break;
        };
        let (a, b, split) = leaves.remove(k);
        let s = split.map_or(a, |x| x.1);
        leaves.push((a, s, best_split(a, s)));
        leaves.push((s, b, best_split(s, b)));
    }
    let mut starts: Vec<usize> = leaves.iter().map(|l| l.0).filter(|&a| a > 0).collect();
    starts.sort_unstable();
    starts
        .iter()
        .map(|&s| nice_between(values[s - 1], values[s]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_splits_where_the_target_changes() {
        // Bad rate jumps at 30 and again at 70; a tree finds both, quantiles would not.
        let pairs: Vec<(f64, u8)> = (0..1000)
            .map(|i| {
                let v = (i % 100) as f64;
                (
                    v,
                    u8::from(if v < 30.0 {
                        i % 10 == 0
                    } else if v < 70.0 {
                        i % 3 == 0
                    } else {
                        i % 3 != 0
                    }),
                )
            })
            .collect();
        let mut sorted = pairs.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let cuts = cart_cuts(&sorted, 3, 50);
        assert_eq!(cuts, vec![30.0, 70.0]);
    }

    #[test]
    fn distinct_values_each_get_a_bin() {
        let s = [1.0, 1.0, 2.0, 3.0, 3.0, 3.0];
        // Integers get integer cuts: [-inf, 2), [2, 3), [3, +inf).
        assert_eq!(quantile_cuts(&s, 10), vec![2.0, 3.0]);
    }

    #[test]
    fn quantiles_split_evenly_and_cuts_are_short() {
        let s: Vec<f64> = (0..1000).map(|i| i as f64 / 7.0).collect();
        let cuts = quantile_cuts(&s, 4);
        assert_eq!(cuts.len(), 3);
        for c in &cuts {
            let below = s.iter().filter(|&&v| v < *c).count();
            assert!(
                (below as i64 - 250).abs() <= 1
                    || (below as i64 - 500).abs() <= 1
                    || (below as i64 - 750).abs() <= 1
            );
            assert!(format!("{c}").len() <= 6, "{c}");
        }
        assert_eq!(nice_between(1.0, 2.0), 2.0);
        assert_eq!(nice_between(0.12, 0.13), 0.13);
        assert_eq!(nice_between(10.0, 10.5), 10.3);
    }
}
