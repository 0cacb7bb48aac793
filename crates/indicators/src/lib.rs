//! Indicators: SQL definitions over the governed store of enterprise data, run by Apache
//! DataFusion, so that the same plans scale from one machine to a cluster.
//!
//! This crate owns the DataFusion dependency; nothing in the modelling library needs it.
#![deny(missing_docs)]

/// The query engine, re-exported so that callers (and tests) use the same version.
pub use datafusion;
