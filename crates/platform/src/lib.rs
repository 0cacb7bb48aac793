//! The platform's state and rules: institutions and their API keys, consents, the model
//! registry, indicator snapshots, score queries with ledger receipts, enterprise portraits
//! and data uploads, stored in SQLite (the default, one file) or PostgreSQL (by URL) through
//! one set of portable SQL statements.
//!
//! This crate knows nothing of HTTP (that is `xinrong-server`) or of how models are fitted or
//! indicators computed (`xinrong-scorecard`, `xinrong-indicators`): it stores their outputs
//! and applies them.
//!
//! Durability: an answer is given only after its ledger entry is durable and its record is
//! committed; a crash in between leaves a logged entry without a record, never the reverse.
#![deny(missing_docs)]

pub mod access;
pub mod alerts;
mod assets;
pub mod consent;
pub mod credit;
pub mod db;
pub mod decision_log;
pub mod directory;
mod error;
pub mod fields;
pub mod financing;
mod group_commit;
pub mod guarantee_book;
pub mod guarantees;
mod health;
mod ids;
pub mod ingest_view;
pub mod journal;
pub mod ledger_view;
pub mod loan_book;
pub mod loans;
pub mod market;
mod platform;
pub mod portfolio;
mod positions;
pub mod queries;
pub mod registry;
mod request_keys;
pub mod rescoring;
pub mod scoring;
pub mod signals;
pub mod snapshots;
mod stripes;

pub use access::{Access, Institution, IssuedKey, Kind, Principal};
pub use assets::UploadReport;
pub use consent::Consent;
pub use credit::{DecisionRequest, FlowVersionView};
pub use error::PlatformError;
pub use fields::{Id, Name, Version};
pub use financing::Need;
pub use guarantees::AgreementTerms;
pub use health::LedgerState;
pub use ids::today;
pub use journal::{AdminAction, Unacknowledged};
pub use loans::{Booking, EventRequest};
pub use platform::{
    HistoryPoint, Improvement, LEDGER_NAME, PORTRAIT_CHANGES, Page, Platform, Portrait, QuerySeen,
    Registration,
};
pub use queries::{Answer, QueryRecord};
pub use registry::{FeatureGroups, ModelSummary};
pub use rescoring::{
    Recompute, RecomputeError, RecomputeFuture, RecomputeRequest, Recomputed, Rescored, ScoreChange,
};
pub use scoring::{Explained, GroupScore, Reason};
pub use signals::StoredSignal;
pub use snapshots::Snapshot;
/// The pool type of the platform's database.
pub use sqlx::AnyPool;
