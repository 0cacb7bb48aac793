//! The standard normal distribution, exactly for set-up and by table inside the sampler.
//!
//! A draw evaluates Φ once per band and once per candidate default; a linearly interpolated
//! table (step 1/512 on [−10, 10]) answers in a few nanoseconds with a relative error below
//! 2·10⁻⁵ down to Φ = 10⁻⁹, far inside the Monte Carlo error of any run.

use std::sync::OnceLock;

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::erf::erfc;

/// Φ(x), exact to double precision.
pub fn cdf(x: f64) -> f64 {
    if x == f64::INFINITY {
        return 1.0;
    }
    if x == f64::NEG_INFINITY {
        return 0.0;
    }
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p): `−∞` at 0 and `+∞` at 1.
pub fn inverse(p: f64) -> f64 {
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        Normal::standard().inverse_cdf(p)
    }
}

const LOW: f64 = -10.0;
const HIGH: f64 = 10.0;
const STEPS_PER_UNIT: f64 = 512.0;

fn table() -> &'static [f64] {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let n = ((HIGH - LOW) * STEPS_PER_UNIT) as usize + 2;
        (0..n)
            .map(|i| cdf(LOW + i as f64 / STEPS_PER_UNIT))
            .collect()
    })
}

/// Φ by table: what the sampler uses.
#[derive(Clone, Copy)]
pub struct FastCdf {
    table: &'static [f64],
}

impl Default for FastCdf {
    fn default() -> Self {
        FastCdf { table: table() }
    }
}

impl FastCdf {
    /// Φ(x), interpolated.
    #[inline]
    pub fn at(&self, x: f64) -> f64 {
        if x.is_nan() {
            return 0.0;
        }
        if x <= LOW {
            return 0.0;
        }
        if x >= HIGH {
            return 1.0;
        }
        let pos = (x - LOW) * STEPS_PER_UNIT;
        let i = pos as usize;
        let frac = pos - i as f64;
        let a = self.table[i];
        a + (self.table[i + 1] - a) * frac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_agrees_with_the_exact_cdf() {
        let fast = FastCdf::default();
        let mut x = -6.0;
        while x < 6.0 {
            let exact = cdf(x);
            let rel = (fast.at(x) - exact).abs() / exact;
            assert!(rel < 2e-5, "x = {x}: {} vs {exact}", fast.at(x));
            x += 0.0137;
        }
        assert_eq!(fast.at(-11.0), 0.0);
        assert_eq!(fast.at(11.0), 1.0);
        assert_eq!(fast.at(f64::NEG_INFINITY), 0.0);
        assert_eq!(fast.at(f64::INFINITY), 1.0);
    }

    #[test]
    fn inverse_inverts() {
        for p in [1e-6, 0.01, 0.3, 0.5, 0.97] {
            assert!((cdf(inverse(p)) - p).abs() < 1e-12 * p.max(1e-3) * 1e3);
        }
        assert_eq!(inverse(0.0), f64::NEG_INFINITY);
        assert_eq!(inverse(1.0), f64::INFINITY);
    }
}
