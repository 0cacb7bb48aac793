//! Vasicek's closed forms for a homogeneous portfolio (n loans, one PD, one ρ), against which
//! the simulation is checked.
//!
//! - [`large_portfolio_quantile`]: the limit as n grows (Vasicek 2002; the Basel IRB formula):
//!   the q-quantile of the defaulted share is `Φ((Φ⁻¹(PD) + √ρ·Φ⁻¹(q)) / √(1−ρ))`.
//! - [`defaults_cdf`] and [`defaults_quantile`]: the exact law of the number of defaults among
//!   n loans (Vasicek 1987): `P(K ≤ k) = ∫ Binomial(k; n, p(y)) φ(y) dy` with
//!   `p(y) = Φ((Φ⁻¹(PD) − √ρ·y) / √(1−ρ))`, integrated numerically. A portfolio of ten thousand
//!   loans is not the limit: its quantile sits above the large-portfolio one by the
//!   idiosyncratic noise the limit averages away.

use statrs::distribution::{Binomial, DiscreteCDF};

use super::normal::{cdf, inverse};

/// The q-quantile of the defaulted share of an infinitely granular portfolio.
pub fn large_portfolio_quantile(pd: f64, rho: f64, q: f64) -> f64 {
    cdf((inverse(pd) + rho.sqrt() * inverse(q)) / (1.0 - rho).sqrt())
}

/// `P(K ≤ k)` for the defaults `K` among `n` loans.
pub fn defaults_cdf(n: u64, pd: f64, rho: f64, k: u64) -> f64 {
    // Midpoint rule on [−9, 9]: the integrand is smooth and the normal weight negligible
    // beyond.
    const STEPS: usize = 6000;
    let (lo, hi) = (-9.0, 9.0);
    let h = (hi - lo) / STEPS as f64;
    let c = inverse(pd);
    let (a, d) = (rho.sqrt(), (1.0 - rho).sqrt());
    let mut total = 0.0;
    for i in 0..STEPS {
        let y = lo + (i as f64 + 0.5) * h;
        let p = cdf((c - a * y) / d).clamp(0.0, 1.0);
        let weight = (-0.5 * y * y).exp() / (2.0 * std::f64::consts::PI).sqrt() * h;
        let b = Binomial::new(p, n).map_or(1.0, |b| b.cdf(k));
        total += weight * b;
    }
    total.min(1.0)
}

/// The smallest `k` with `P(K ≤ k) ≥ q`.
pub fn defaults_quantile(n: u64, pd: f64, rho: f64, q: f64) -> u64 {
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if defaults_cdf(n, pd, rho, mid) >= q {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_large_portfolio_quantile_is_basels() {
        // Basel's conditional PD at 99.9% for PD 1%, ρ 0.12 (Python's statistics.NormalDist
        // gives 0.0903258).
        let v = large_portfolio_quantile(0.01, 0.12, 0.999);
        assert!((v - 0.0903258).abs() < 1e-6, "{v}");
    }

    #[test]
    fn the_finite_law_approaches_the_limit() {
        let q = 0.99;
        let limit = large_portfolio_quantile(0.02, 0.15, q);
        let n = 1_000_000;
        let k = defaults_quantile(n, 0.02, 0.15, q) as f64 / n as f64;
        assert!((k - limit).abs() / limit < 0.01, "{k} vs {limit}");
        // Without correlation the count is binomial.
        let c = defaults_cdf(1000, 0.02, 0.0, 20);
        let exact = Binomial::new(0.02, 1000).unwrap().cdf(20);
        assert!((c - exact).abs() < 1e-9, "{c} vs {exact}");
    }
}
