//! Credit limits. A limit is the least of what each measure allows, and every measure says
//! what it is and what it was computed from:
//! - the product's range;
//! - debt service (流水覆盖): the firm's bank inflows over the last year, loan proceeds
//!   excluded, must cover its yearly debt service (this loan's interest and principal plus its
//!   existing loans') twice over: the 流水贷 practice of monthly inflows at least twice the
//!   monthly instalment. Inflows, not the net change of the balance: a firm that needs money
//!   is one whose balance is falling, and the loan is there to bridge that;
//! - leverage: total debt at most half a year's sales;
//! - sales: the loan at most a quarter of a year's sales (the usual cap of 普惠 lending);
//! - tax: at most ten times the tax paid in a year (税易贷 practice);
//! - collateral: the value pledged times the product's advance rate.
//!
//! Amounts are decimal yuan, rounded down to 10,000.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::Serialize;

use crate::catalogue::{Collateral, Product};
use crate::facts::Facts;

/// Cover of yearly debt service by yearly bank inflows a lender requires.
pub const DSCR: f64 = 2.0;
/// Most total debt, in years of sales.
pub const LEVERAGE: f64 = 0.5;
/// Most of one loan, in years of sales.
pub const SALES_SHARE: f64 = 0.25;
/// Most of one loan, in years of tax paid.
pub const TAX_MULTIPLE: f64 = 10.0;
/// Years an existing loan takes to repay, for its yearly debt service.
pub const EXISTING_TERM_YEARS: f64 = 3.0;

/// One measure of a limit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measure {
    /// Code: `product_max`, `debt_service`, `leverage`, `sales`, `tax`, `collateral`.
    pub code: &'static str,
    /// What it allows (yuan).
    pub allows: Decimal,
    /// How, with its inputs.
    pub basis: String,
}

/// A limit and what set it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Limit {
    /// The limit (yuan, rounded down to 10,000; 0 when nothing can be lent).
    pub amount: Decimal,
    /// The measure that bound it.
    pub binding: &'static str,
    /// Every measure applied.
    pub measures: Vec<Measure>,
    /// Facts a measure needed but the data did not give (that measure is left out; when none
    /// of the turnover measures is left, nothing is lent).
    pub missing: Vec<&'static str>,
}

fn yuan(x: f64) -> Decimal {
    Decimal::from_f64(x.max(0.0))
        .unwrap_or_default()
        .round_dp(0)
}

fn round_down(d: Decimal) -> Decimal {
    let step = Decimal::from(10_000);
    (d / step).floor() * step
}

fn money(d: Decimal) -> String {
    format!("¥{}", d.round_dp(0))
}

/// The limit of `product` for an enterprise (0, bound by `missing`, when none of the facts a
/// lender sizes a loan by is in the data), at annual rate `rate` (for debt service).
pub fn limit(product: &Product, facts: &Facts, rate: Decimal) -> Limit {
    let mut measures = vec![Measure {
        code: "product_max",
        allows: product.amount_max,
        basis: format!(
            "the product lends {} to {}",
            money(product.amount_min),
            money(product.amount_max)
        ),
    }];
    let mut missing = Vec::new();
    let sales = facts.number("sales_12m");
    let debt = facts.number("debt").unwrap_or(0.0);
    let r = rate.to_f64().unwrap_or(0.05);
    let years = f64::from(product.term_months) / 12.0;
    // Yearly service of one yuan lent: interest, plus principal spread over the term (a
    // loan of a year or less repays it all within the year).
    let service_per_yuan = r + 1.0 / years.max(1.0);
    if product.collateral != Collateral::Equity {
        match facts.number("inflows_12m") {
            Some(cash) => {
                let existing = debt * (r + 1.0 / EXISTING_TERM_YEARS);
                let room = (cash.max(0.0) / DSCR - existing).max(0.0);
                measures.push(Measure {
                    code: "debt_service",
                    allows: yuan(room / service_per_yuan),
                    basis: format!(
                        "bank inflows (no loan proceeds) {} / {DSCR} cover − existing debt service {} = {} a year; ÷ {:.4} a year per yuan lent",
                        money(yuan(cash)),
                        money(yuan(existing)),
                        money(yuan(room)),
                        service_per_yuan
                    ),
                });
            }
            None => missing.push("inflows_12m"),
        }
        match sales {
            Some(s) => {
                measures.push(Measure {
                    code: "leverage",
                    allows: yuan(LEVERAGE * s - debt),
                    basis: format!(
                        "{LEVERAGE} × sales {} − debt {}",
                        money(yuan(s)),
                        money(yuan(debt))
                    ),
                });
                measures.push(Measure {
                    code: "sales",
                    allows: yuan(SALES_SHARE * s),
                    basis: format!("{SALES_SHARE} × sales {}", money(yuan(s))),
                });
            }
            None => missing.push("sales_12m"),
        }
        match facts.number("tax_paid_12m") {
            Some(tax) if tax > 0.0 => measures.push(Measure {
                code: "tax",
                allows: yuan(TAX_MULTIPLE * tax),
                basis: format!("{TAX_MULTIPLE} × tax paid {}", money(yuan(tax))),
            }),
            Some(_) => {}
            None => missing.push("tax_paid_12m"),
        }
    }
    let advance = product.advance_rate.unwrap_or(Decimal::ONE);
    let pledged = match product.collateral {
        Collateral::Receivables => facts.number("order_value").map(|v| (v, "the order won")),
        Collateral::Equipment => facts
            .number("equipment_value")
            .map(|v| (v, "the equipment ordered")),
        Collateral::Patents => facts.number("ip_granted").map(|n| {
            let each = product.ip_value.and_then(|v| v.to_f64()).unwrap_or(0.0);
            (n * each, "the granted IP at its appraised value")
        }),
        Collateral::Carbon => facts.number("carbon_allowance_t").map(|t| {
            let price = product.carbon_price.and_then(|v| v.to_f64()).unwrap_or(0.0);
            (t * price, "the allowances at their price")
        }),
        _ => None,
    };
    if let Some((value, what)) = pledged {
        measures.push(Measure {
            code: "collateral",
            allows: yuan(value) * advance,
            basis: format!("{} × {} of {what}", pct(advance), money(yuan(value))),
        });
    }
    let (binding, least) = measures
        .iter()
        .map(|m| (m.code, m.allows))
        .min_by(|a, b| a.1.cmp(&b.1))
        .expect("the product's range is always a measure");
    // A lender sizes a loan by what the data give of the firm's turnover (bank inflows, sales,
    // tax) and lends nothing when none is known; one source missing only leaves its measure out.
    let sized = measures
        .iter()
        .any(|m| matches!(m.code, "debt_service" | "sales" | "tax"));
    if product.collateral != Collateral::Equity && !sized {
        return Limit {
            amount: Decimal::ZERO,
            binding: "missing",
            measures,
            missing,
        };
    }
    let amount = round_down(least.max(Decimal::ZERO));
    Limit {
        amount: if amount < product.amount_min {
            Decimal::ZERO
        } else {
            amount
        },
        binding,
        measures,
        missing,
    }
}

fn pct(d: Decimal) -> String {
    format!("{}%", (d * Decimal::ONE_HUNDRED).round_dp(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.set("sales_12m", 12_000_000.0)
            .set("inflows_12m", 3_000_000.0)
            .set("debt", 1_000_000.0)
            .set("tax_paid_12m", 300_000.0);
        f
    }

    #[test]
    fn the_least_measure_binds_and_each_says_why() {
        let c = crate::Catalogue::builtin();
        let credit = &c.product("credit_loan").unwrap().0;
        let l = limit(credit, &facts(), Decimal::new(5, 2));
        // Debt service: (3m / 2 − 1m × (0.05 + 1/3)) = 1,116,667 a year ÷ 1.05 = 1,063,492.
        let ds = l
            .measures
            .iter()
            .find(|m| m.code == "debt_service")
            .unwrap();
        assert_eq!(ds.allows, Decimal::from(1_063_492));
        assert_eq!(l.binding, "debt_service");
        assert_eq!(l.amount, Decimal::from(1_060_000));
        assert!(l.missing.is_empty());
        // Collateral binds an order financing of a small order.
        let mut f = facts();
        f.set("order_value", 500_000.0);
        let order = &c.product("order_financing").unwrap().0;
        let l = limit(order, &f, Decimal::new(45, 3));
        assert_eq!(
            (l.binding, l.amount),
            ("collateral", Decimal::from(350_000))
        );
        // One turnover measure missing leaves it out (the others size the loan) and names it;
        // with none of inflows, sales and tax nothing is lent.
        let mut f = facts();
        f.numbers.remove("sales_12m");
        let l = limit(credit, &f, Decimal::new(5, 2));
        assert_eq!(l.missing, ["sales_12m"]);
        assert_eq!(
            (l.binding, l.amount),
            ("debt_service", Decimal::from(1_060_000))
        );
        let l = limit(credit, &Facts::default(), Decimal::new(5, 2));
        assert_eq!(l.missing, ["inflows_12m", "sales_12m", "tax_paid_12m"]);
        assert_eq!((l.binding, l.amount), ("missing", Decimal::ZERO));
    }
}
