//! The crate's error type: each variant says which feature, row or setting is at fault.

/// Why a fit or a scoring run could not proceed.
#[derive(Debug, thiserror::Error)]
pub enum ScorecardError {
    /// A configuration value is out of range or contradictory.
    #[error("configuration: {0}")]
    Config(String),
    /// The target column has a value other than 0 or 1.
    #[error(
        "target '{name}': data row {row} holds {value}; the target must be 0 (good) or 1 (bad)"
    )]
    TargetValue {
        /// Target column.
        name: String,
        /// 1-based data row.
        row: usize,
        /// The value found.
        value: String,
    },
    /// The target is missing in a row.
    #[error("target '{name}': data row {row} is empty; every row needs 0 (good) or 1 (bad)")]
    TargetMissing {
        /// Target column.
        name: String,
        /// 1-based data row.
        row: usize,
    },
    /// Only goods or only bads.
    #[error(
        "target '{name}': all {rows} rows are {class}; a scorecard needs both goods (0) and bads (1)"
    )]
    OneClass {
        /// Target column.
        name: String,
        /// Rows.
        rows: usize,
        /// "good" or "bad".
        class: &'static str,
    },
    /// The target column is text.
    #[error("target '{0}' holds text; it must hold 0 (good) and 1 (bad)")]
    TargetNotNumeric(String),
    /// A feature is numeric in the model but text in the data.
    #[error("feature '{feature}' is numeric in the model but holds text in this data")]
    KindMismatch {
        /// Feature name.
        feature: String,
    },
    /// Columns the model needs are absent.
    #[error("the data lacks {} feature(s) the model needs: {}", .features.len(), .features.join(", "))]
    MissingFeatures {
        /// Every absent feature.
        features: Vec<String>,
    },
    /// Screening left nothing to regress on.
    #[error("no feature survived screening ({0}); see the screening log, or relax [screening]")]
    NothingSelected(String),
    /// A model file of another schema.
    #[error("model schema '{found}' is not supported by this build (it reads '{expected}')")]
    Schema {
        /// Schema in the file.
        found: String,
        /// Schema this build reads.
        expected: &'static str,
    },
    /// A model file that does not parse.
    #[error("model file is not a valid scorecard: {0}")]
    Corrupt(String),
}
