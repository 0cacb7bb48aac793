//! Financing for technology SMEs: the product catalogue (data, with eligibility rules as GoRules
//! JDM tables), credit limits from cash flow, sales, tax, debt and collateral, risk-based prices
//! (funding + expected loss + Basel IRB capital + operating cost), and matching an enterprise
//! with the products it qualifies for, each answer with the rules passed and failed, what would
//! change them, and every number's inputs. Money is `rust_decimal`, never `f64`.
//!
//! ```
//! use xinrong_lending::{Catalogue, Facts, Request, match_products};
//! let catalogue = Catalogue::builtin();
//! let mut facts = Facts::default();
//! facts.set("pd", 0.01).set("sales_12m", 8e6).set("inflows_12m", 9e6).set("debt", 0.0)
//!     .set("tax_paid_12m", 2e5).set("overdue_days", 0.0);
//! facts.tax_rating = Some("B".into());
//! let answer = match_products(&catalogue, &facts, &Request {
//!     purpose: Some("working_capital".into()),
//!     amount: None,
//!     trace: false,
//! });
//! assert_eq!(answer.best().unwrap().product, "credit_loan");
//! ```
//!
//! No HTTP, no SQL: the platform stores and serves what this crate computes.
#![deny(missing_docs)]

mod catalogue;
mod facts;
mod limit;
mod matching;
mod pricing;

pub use catalogue::{Catalogue, CatalogueError, Collateral, Market, Product};
pub use facts::{Absent, FACTS, FROM_INDICATORS, FactFields, Facts, PURPOSES};
pub use limit::{DSCR, LEVERAGE, Limit, Measure, SALES_SHARE, TAX_MULTIPLE, limit};
pub use matching::{Match, Offer, Refusal, Request, Status, match_product, match_products};
pub use pricing::{Component, PD_FLOOR, Price, irb_capital, price};
