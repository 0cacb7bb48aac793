//! Indicators: a catalogue of SQL definitions over the governed store of enterprise data
//! (cash flow, trade, tax, operations, loans, lawsuits, technology and IP), run by Apache
//! DataFusion as of a date, so that the same plans scale from one machine to a cluster.
//!
//! This crate owns the DataFusion dependency; the modelling library never sees it.
#![deny(missing_docs)]

mod catalogue;
mod enterprise;
mod error;
mod prepared;
mod quality;
mod runner;
mod series;

pub use catalogue::{Catalogue, DIMENSIONS, Direction, Indicator, Inner, Query, VIEWS};
pub use enterprise::{EnterpriseData, StoreReader};
pub use error::IndicatorError;
pub use prepared::PreparedCatalogue;
pub use quality::{
    INVOICE_VAT_TOLERANCE, InvoiceVatCheck, IssueStatus, QualityIssue, SourceQuality, THRESHOLDS,
    WEIGHTS, assess, invoice_vat_checks, raise_issues, transition,
};
pub use runner::{IndicatorTable, compute, session};
pub use series::{FirmSeries, MonthlySeries, monthly_series};

/// The query engine, re-exported so that callers (and tests) use the same version.
pub use datafusion;
