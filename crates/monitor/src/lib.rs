//! Watching a portfolio after the money is lent.
//!
//! - [`stress`]: the portfolio's loss distribution by Monte Carlo under a one-factor (Vasicek)
//!   or multi-factor Gaussian copula with macro, industry and region factors; scenarios are
//!   shocks (PD multipliers, factor shifts, collateral haircuts). EL, unexpected loss, VaR and
//!   expected shortfall, each guarantor's compensation rate against its cap, and the loans that
//!   drive the tail. A fixed seed reproduces a run exactly, whatever the number of threads.
//! - [`drift`]: population stability (PSI), per-characteristic stability (CSI) with a
//!   chi-square test per bin, and discrimination drift (AUC, KS) once outcomes arrive.
//! - [`book`]: vintage curves, roll rates between delinquency buckets and five-category
//!   migration from a loan book's month-end positions.
//! - [`warnings`]: early-warning episodes judged against the true default dates: lead time,
//!   recall at a horizon, precision by level, against an oracle at the same alert volume.
//!
//! No HTTP, no SQL: the CLI and the platform feed it rows and show what it finds.
#![deny(missing_docs)]

pub mod book;
pub mod drift;
pub mod stress;
pub mod warnings;
