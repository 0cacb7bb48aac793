//! The one error type of the platform; each variant maps to one HTTP status class.

use xinrong_ledger::LedgerError;
use xinrong_scorecard::ScorecardError;
use xinrong_sources::IngestError;

/// Why a platform operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// No key, a malformed key, or a key that does not verify.
    #[error("missing or invalid API key: send `Authorization: Bearer <key>`")]
    Unauthorized,
    /// The caller is known but may not do this; `code` is a stable machine-readable reason.
    #[error("{message}")]
    Forbidden {
        /// Stable reason: `role`, `no_consent`, `consent_revoked`, `consent_expired`, `wrong_purpose`.
        code: &'static str,
        /// What happened and what to do.
        message: String,
    },
    /// The record does not exist, or exists but belongs to someone else (never said which).
    #[error("{0} not found")]
    NotFound(String),
    /// A field of the request is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as named in the request.
        field: String,
        /// Why.
        message: String,
    },
    /// The request conflicts with the state (already exists, already revoked).
    #[error("{0}")]
    Conflict(String),
    /// The platform cannot answer yet (no champion model, no indicators).
    #[error("{0}")]
    Unavailable(String),
    /// The ledger failed its audit: nothing is written until the operator restores it.
    #[error("the ledger failed its integrity audit; writes are suspended ({0})")]
    LedgerDamaged(String),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrating the schema failed.
    #[error("schema migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The ledger failed.
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    /// A model could not be read or applied.
    #[error("model: {0}")]
    Model(#[from] ScorecardError),
    /// Uploaded data could not be ingested.
    #[error("ingest: {0}")]
    Ingest(#[from] IngestError),
    /// A file of the data directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl PlatformError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> PlatformError {
        PlatformError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A role that may not do something.
    pub fn role(message: impl Into<String>) -> PlatformError {
        PlatformError::Forbidden {
            code: "role",
            message: message.into(),
        }
    }
}
