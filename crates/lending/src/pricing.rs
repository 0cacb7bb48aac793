//! Risk-based prices. A loan's rate is its funding cost (the loan prime rate of its tenor),
//! plus its expected loss (PD × the lender's LGD, after any guarantee), plus the cost of the
//! capital it consumes (the Basel IRB capital requirement for corporate exposures with the SME
//! firm-size adjustment, CRE31, times the hurdle rate), plus operating cost; the spread is kept
//! between the product's floor and cap. Every number is a component with the inputs it came
//! from, so a price can be checked by hand. Rates are decimals rounded to a basis point.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::catalogue::{Collateral, Market, Product};

/// The Basel PD floor (0.05%).
pub const PD_FLOOR: f64 = 0.0005;

/// One part of a price.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Component {
    /// Code: `funding`, `expected_loss`, `capital`, `operating`, `fee`, `equity`.
    pub code: &'static str,
    /// Per year, share of the amount.
    pub rate: Decimal,
    /// How it was computed, with its inputs.
    pub basis: String,
}

/// A product's price for one enterprise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Price {
    /// Interest rate per year (or the return an equity investor expects).
    pub rate: Decimal,
    /// Fees per year, share of the amount.
    pub fee_rate: Decimal,
    /// Rate plus fees: what the financing costs the enterprise a year.
    pub all_in: Decimal,
    /// The spread over the LPR, after the product's floor and cap.
    pub spread: Decimal,
    /// `floor` or `cap` when the risk-based spread was held to one.
    pub bounded_by: Option<&'static str>,
    /// The parts, with their inputs.
    pub components: Vec<Component>,
}

/// A share as a decimal, rounded to 6 places.
fn dec(x: f64) -> Decimal {
    Decimal::from_f64(x).unwrap_or_default().round_dp(6)
}

fn pct(d: Decimal) -> String {
    format!("{:.2}%", d * Decimal::ONE_HUNDRED)
}

/// Capital requirement K per unit of exposure (Basel CRE31.5–31.8): corporate correlation with
/// the SME firm-size adjustment for sales `sales_eur_m` (clamped to 5–50; `None` = no
/// adjustment), maturity `m` years (clamped to 1–5).
pub fn irb_capital(pd: f64, lgd: f64, sales_eur_m: Option<f64>, m: f64) -> f64 {
    let pd = pd.clamp(PD_FLOOR, 0.9999);
    let w = (1.0 - (-50.0 * pd).exp()) / (1.0 - (-50.0f64).exp());
    let mut r = 0.12 * w + 0.24 * (1.0 - w);
    if let Some(s) = sales_eur_m {
        let s = s.clamp(5.0, 50.0);
        r -= 0.04 * (1.0 - (s - 5.0) / 45.0);
    }
    let b = (0.11852 - 0.05478 * pd.ln()).powi(2);
    let n = Normal::new(0.0, 1.0).expect("standard normal");
    let g = |p: f64| n.inverse_cdf(p);
    let conditional = n.cdf((g(pd) + r.sqrt() * g(0.999)) / (1.0 - r).sqrt());
    let m = m.clamp(1.0, 5.0);
    ((lgd * conditional - pd * lgd) * (1.0 + (m - 2.5) * b) / (1.0 - 1.5 * b)).max(0.0)
}

/// The price of `product` for an enterprise of 12-month PD `pd` and annual sales `sales_12m`
/// (yuan).
pub fn price(product: &Product, market: &Market, pd: f64, sales_12m: Option<f64>) -> Price {
    let fee_rate = product.fee_rate;
    if let (Collateral::Equity, Some(coe)) = (product.collateral, product.cost_of_equity) {
        return Price {
            rate: coe,
            fee_rate,
            all_in: coe + fee_rate,
            spread: Decimal::ZERO,
            bounded_by: None,
            components: vec![Component {
                code: "equity",
                rate: coe,
                basis: format!("return a venture investor expects, {}", pct(coe)),
            }],
        };
    }
    let pd_used = pd.max(PD_FLOOR);
    let (lpr, tenor) = if product.term_months <= 60 {
        (market.lpr_1y, "1-year")
    } else {
        (market.lpr_5y, "5-year")
    };
    let lgd = product.lgd.to_f64().unwrap_or(0.45);
    let covered = product
        .guarantee_share
        .and_then(|s| s.to_f64())
        .unwrap_or(0.0);
    let lgd_kept = lgd * (1.0 - covered);
    let sales_eur_m = sales_12m
        .filter(|s| *s > 0.0)
        .map(|s| s / market.eur_cny.to_f64().unwrap_or(7.8) / 1e6);
    let years = f64::from(product.term_months) / 12.0;
    let k = irb_capital(pd_used, lgd_kept, sales_eur_m, years);
    let el = dec(pd_used * lgd_kept);
    let capital = dec(k) * market.hurdle_rate;
    let raw = el + capital + market.operating_cost;
    let (spread, bounded_by) = if raw < product.spread_floor {
        (product.spread_floor, Some("floor"))
    } else if raw > product.spread_cap {
        (product.spread_cap, Some("cap"))
    } else {
        (raw, None)
    };
    let rate = (lpr + spread).round_dp(4);
    let guarantee = if covered > 0.0 {
        format!(
            ", {:.0}% of a loss borne by the guarantor or fund",
            covered * 100.0
        )
    } else {
        String::new()
    };
    Price {
        rate,
        fee_rate,
        all_in: rate + fee_rate,
        spread: spread.round_dp(4),
        bounded_by,
        components: vec![
            Component {
                code: "funding",
                rate: lpr,
                basis: format!(
                    "{tenor} loan prime rate for a {}-month term",
                    product.term_months
                ),
            },
            Component {
                code: "expected_loss",
                rate: el,
                basis: format!(
                    "PD {:.2}% × LGD {:.0}%{guarantee}",
                    pd_used * 100.0,
                    lgd_kept * 100.0
                ),
            },
            Component {
                code: "capital",
                rate: capital,
                basis: format!(
                    "Basel IRB capital {:.2}% of the amount (SME size {}) × hurdle {}",
                    k * 100.0,
                    sales_eur_m.map_or("not applied".to_string(), |s| format!("€{s:.1}m")),
                    pct(market.hurdle_rate)
                ),
            },
            Component {
                code: "operating",
                rate: market.operating_cost,
                basis: "operating cost".into(),
            },
            Component {
                code: "fee",
                rate: fee_rate,
                basis: "fees charged by the product (guarantee, appraisal, lease)".into(),
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capital_matches_the_basel_formula_at_known_points() {
        // A large corporate (no size adjustment), PD 1%, LGD 45%, M 2.5: K ≈ 7.4%
        // (the BCBS IRB illustrative risk weight of about 92% ÷ 12.5).
        let k = irb_capital(0.01, 0.45, None, 2.5);
        assert!((k - 0.0738).abs() < 0.001, "{k}");
        // The SME adjustment lowers capital; the PD floor applies.
        assert!(irb_capital(0.01, 0.45, Some(5.0), 2.5) < k);
        assert_eq!(
            irb_capital(0.0, 0.45, None, 1.0),
            irb_capital(PD_FLOOR, 0.45, None, 1.0)
        );
    }

    #[test]
    fn prices_rise_with_risk_and_fall_with_guarantees() {
        let c = crate::Catalogue::builtin();
        let credit = &c.product("credit_loan").unwrap().0;
        let guaranteed = &c.product("guaranteed_loan").unwrap().0;
        let low = price(credit, &c.market, 0.005, Some(20e6));
        let high = price(credit, &c.market, 0.02, Some(20e6));
        assert!(low.rate < high.rate, "{low:?} {high:?}");
        assert_eq!(low.components[0].rate, c.market.lpr_1y);
        let with = price(guaranteed, &c.market, 0.02, Some(20e6));
        assert!(with.rate < high.rate, "a guarantee lowers the bank's rate");
        assert_eq!(with.all_in, with.rate + Decimal::new(1, 2));
        assert_eq!(high.rate.scale(), 4);
    }
}
