//! What can go wrong computing indicators.

/// An indicator run that could not complete.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    /// The catalogue itself is inconsistent.
    #[error("catalogue: {0}")]
    Catalogue(String),
    /// A user's SQL indicator was refused.
    #[error("{file}: {reason}")]
    UserSql {
        /// The SQL file.
        file: String,
        /// Why it was refused.
        reason: String,
    },
    /// The store has no data to compute from.
    #[error("{0}")]
    Store(String),
    /// DataFusion failed to plan or run a query.
    #[error("{context}: {source}")]
    Engine {
        /// Which query.
        context: String,
        /// The engine's error.
        source: datafusion::error::DataFusionError,
    },
}
