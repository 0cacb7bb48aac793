//! Good/bad counts: the sufficient statistics every binning decision is made from.
//!
//! Binning consumes nothing but per-pre-bin counts, so the counting can run anywhere (here,
//! or later as `GROUP BY` queries on an engine) and the merging logic stays the same.

use serde::{Deserialize, Serialize};
use std::ops::{Add, AddAssign};

/// Goods and bads in a bin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Rows with target 0.
    pub good: u64,
    /// Rows with target 1.
    pub bad: u64,
}

impl Counts {
    /// Counts of one row.
    pub fn of(bad: bool) -> Self {
        if bad {
            Counts { good: 0, bad: 1 }
        } else {
            Counts { good: 1, bad: 0 }
        }
    }

    /// Rows in the bin.
    pub fn n(&self) -> u64 {
        self.good + self.bad
    }

    /// Share of bads; 0 for an empty bin.
    pub fn bad_rate(&self) -> f64 {
        if self.n() == 0 {
            0.0
        } else {
            self.bad as f64 / self.n() as f64
        }
    }

    /// True when the bin has rows but only one class: its WOE needs smoothing.
    pub fn is_pure(&self) -> bool {
        self.n() > 0 && (self.good == 0 || self.bad == 0)
    }
}

impl Add for Counts {
    type Output = Counts;
    fn add(self, o: Counts) -> Counts {
        Counts {
            good: self.good + o.good,
            bad: self.bad + o.bad,
        }
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.good += o.good;
        self.bad += o.bad;
    }
}

impl std::iter::Sum for Counts {
    fn sum<I: Iterator<Item = Counts>>(iter: I) -> Counts {
        iter.fold(Counts::default(), |a, b| a + b)
    }
}

/// Pearson chi-square of the 2×2 table formed by two bins (rows) and the two classes.
pub fn chi_square(a: Counts, b: Counts) -> f64 {
    let n = (a.n() + b.n()) as f64;
    if n == 0.0 {
        return 0.0;
    }
    let class_bad = (a.bad + b.bad) as f64;
    let class_good = (a.good + b.good) as f64;
    let mut chi = 0.0;
    for r in [a, b] {
        let rn = r.n() as f64;
        for (obs, tot) in [(r.bad as f64, class_bad), (r.good as f64, class_good)] {
            let e = rn * tot / n;
            if e > 0.0 {
                chi += (obs - e) * (obs - e) / e;
            }
        }
    }
    chi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_square_by_hand() {
        // Table [[10, 20], [30, 40]] (bad, good): n = 100, bad total 40, good total 60.
        // Expected: row1 (30): 12, 18; row2 (70): 28, 42.
        // chi = 4/12 + 4/18 + 4/28 + 4/42 = 0.79365...
        let a = Counts { bad: 10, good: 20 };
        let b = Counts { bad: 30, good: 40 };
        let want = 4.0 / 12.0 + 4.0 / 18.0 + 4.0 / 28.0 + 4.0 / 42.0;
        assert!((chi_square(a, b) - want).abs() < 1e-12);
        assert_eq!(chi_square(a, a), 0.0);
        assert_eq!(chi_square(Counts::default(), Counts::default()), 0.0);
    }
}
