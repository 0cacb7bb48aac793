//! Portable forms of a fitted scorecard, so that batch scoring never needs this program.
//!
//! [`sql`] writes one `SELECT` that computes every characteristic's points, the score, the PD
//! and the grade from the raw columns of a table, with exactly the engine's bins, special and
//! missing values, rounding and grade cuts.
//!
//! [`pmml`] writes PMML 4.4 with a `Scorecard` element (partial scores, baseline scores and
//! reason codes), so any PMML evaluator scores exactly as the engine does.
//!
//! [`report`] writes a self-contained HTML report with inline SVG charts.
//!
//! [`monitoring_report`] writes the monthly monitoring report of a model in use (stability,
//! discrimination, vintages, roll rates, migration), in the same form.
//!
//! [`xlsx`] writes a workbook (scorecard, bins, metrics) for a credit committee.
//!
//! This crate only writes text (and workbook bytes) from a model; it reads no files and talks to no database.
#![deny(missing_docs)]

mod markup;
mod monitoring;
mod pmml;
mod report;
mod sql;
mod xlsx;

pub use monitoring::{Monitoring, monitoring_report};
pub use pmml::pmml;
pub use report::report;
pub use sql::{Dialect, sql};
pub use xlsx::{XlsxExportError, xlsx};
