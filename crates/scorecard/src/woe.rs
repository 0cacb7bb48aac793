//! Weight of evidence and information value.
//!
//! Convention: `WOE = ln(share of bads in the bin / share of goods in the bin)`, so a positive
//! WOE marks a riskier than average bin and logistic coefficients on WOE are positive. A bin
//! holding one class only gets half a row added to each class (it would otherwise have an
//! infinite WOE); such bins are flagged as smoothed.

use crate::counts::Counts;

/// WOE and IV contribution of a bin given the class totals; an empty bin is neutral (0, 0).
pub fn woe_iv(bin: Counts, total: Counts) -> (f64, f64) {
    if bin.n() == 0 || total.bad == 0 || total.good == 0 {
        return (0.0, 0.0);
    }
    let (b, g) = if bin.is_pure() {
        (bin.bad as f64 + 0.5, bin.good as f64 + 0.5)
    } else {
        (bin.bad as f64, bin.good as f64)
    };
    let pb = b / total.bad as f64;
    let pg = g / total.good as f64;
    let woe = (pb / pg).ln();
    (woe, (pb - pg) * woe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn woe_iv_by_hand() {
        let total = Counts {
            bad: 100,
            good: 900,
        };
        // Bin with 30 bads, 120 goods: shares 0.3 and 0.13333.
        let (w, iv) = woe_iv(Counts { bad: 30, good: 120 }, total);
        assert!((w - (0.3f64 / (120.0 / 900.0)).ln()).abs() < 1e-12);
        assert!((w - 0.810_930_216).abs() < 1e-8);
        assert!((iv - (0.3 - 120.0 / 900.0) * w).abs() < 1e-12);
        // Pure bin: smoothed, finite.
        let (w, _) = woe_iv(Counts { bad: 0, good: 50 }, total);
        assert!((w - ((0.5f64 / 100.0) / (50.5 / 900.0)).ln()).abs() < 1e-12);
        assert_eq!(woe_iv(Counts::default(), total), (0.0, 0.0));
    }
}
