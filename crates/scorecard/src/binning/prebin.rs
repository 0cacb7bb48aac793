//! Quantile pre-binning of numeric values into candidate cut points.

/// Above this many values the cut points are read off a deterministic sample; counting
/// afterwards is always over every row, so only the candidate cut positions are approximate.
pub(crate) const SAMPLE_SIZE: usize = 50_000;

/// Sorted sample of the values (all of them when there are few enough).
pub(crate) fn sorted_sample(values: impl Iterator<Item = f64>, n: usize) -> Vec<f64> {
    let mut s: Vec<f64> = if n <= SAMPLE_SIZE {
        values.collect()
    } else {
        // Every value has the same chance; the stream of picks is fixed so fits repeat exactly.
        let all: Vec<f64> = values.collect();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..SAMPLE_SIZE)
            .map(|_| {
                state = splitmix(state);
                all[(state % all.len() as u64) as usize]
            })
            .collect()
    };
    s.sort_unstable_by(f64::total_cmp);
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

#[cfg(test)]
mod tests {
    use super::*;

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
