//! Rescoring after an upload: the enterprise's indicators are recomputed from the governed
//! store with the new rows, stored as its latest snapshot and scored by the champion, so the
//! next score query, portrait or decision sees the new data at once instead of at the next
//! batch load. Each rescoring leaves a row in the score history saying what the score was,
//! what it became and which upload caused it.
//!
//! The platform does not carry the query engine: whoever serves it (`xinrong serve`) supplies
//! a [`Recompute`] that runs the indicator catalogue for one enterprise.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Instant;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::AnyPool;
use xinrong_core::Uscc;

use crate::error::PlatformError;
use crate::ids::{new_time_ordered_id, now_ms};
use crate::registry::Published;
use crate::scoring::explain;
use crate::snapshots::{Snapshot, Snapshots};

/// What the platform asks of a [`Recompute`].
#[derive(Debug, Clone)]
pub struct RecomputeRequest<'a> {
    /// The governed store (`<data-dir>/store`).
    pub store: &'a Path,
    /// The enterprise whose data changed.
    pub enterprise: &'a Uscc,
    /// The source that received rows.
    pub source: &'a str,
    /// The date of the enterprise's latest snapshot: the new one is never older.
    pub not_before: Option<NaiveDate>,
    /// Today: the new snapshot is never dated in the future.
    pub today: NaiveDate,
    /// The indicators to compute (those of the latest snapshot), or `None` for the whole
    /// catalogue.
    pub indicators: Option<Vec<String>>,
}

/// One enterprise's indicators as of a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Recomputed {
    /// The date the values describe.
    pub as_of: NaiveDate,
    /// Values by indicator; `None` = missing.
    pub values: BTreeMap<String, Option<f64>>,
}

/// Why indicators could not be recomputed (said in the operator's log; the upload itself
/// stands, and the next batch load recomputes them).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RecomputeError(pub String);

/// The future a [`Recompute`] returns.
pub type RecomputeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Recomputed, RecomputeError>> + Send + 'a>>;

/// Recomputes one enterprise's indicators from the store.
pub trait Recompute: Send + Sync {
    /// The enterprise's indicators after new rows of `request.source` landed.
    fn recompute<'a>(&'a self, request: RecomputeRequest<'a>) -> RecomputeFuture<'a>;
}

/// A score at one point: what it was before a rescoring.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScorePoint {
    /// Snapshot date scored.
    pub as_of: String,
    /// Score.
    pub score: f64,
    /// Grade.
    pub grade: String,
    /// PD.
    pub pd: f64,
}

/// What rescoring after an upload did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rescored {
    /// Date of the new indicator snapshot.
    pub as_of: String,
    /// Indicators recomputed.
    pub indicators: usize,
    /// The champion's answer on the new snapshot (`null` when no model is published).
    pub current: Option<ScorePoint>,
    /// The champion's answer on the snapshot before the upload, if there was one.
    pub previous: Option<ScorePoint>,
    /// Model version that scored both.
    pub model_version: Option<String>,
    /// Milliseconds from the end of the ingest to the new score stored.
    pub millis: f64,
}

/// One rescoring in an enterprise's score history.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreChange {
    /// When it was rescored (RFC 3339).
    pub at: String,
    /// What caused it: the data asset uploaded.
    pub cause: String,
    /// Model version.
    pub model_version: String,
    /// The new score.
    pub current: ScorePoint,
    /// The score before, if the enterprise had one.
    pub previous: Option<ScorePoint>,
}

fn point(model: &Published, snapshot: &Snapshot) -> Result<ScorePoint, PlatformError> {
    let e = explain(model, snapshot)?;
    Ok(ScorePoint {
        as_of: e.snapshot_as_of,
        score: e.score,
        grade: e.grade.to_string(),
        pd: e.pd,
    })
}

/// Recomputes, stores and scores one enterprise after an upload (`cause` = its asset id).
pub(crate) async fn rescore(
    recompute: &dyn Recompute,
    snapshots: &Snapshots,
    champion: Option<&Published>,
    store: &Path,
    enterprise: &Uscc,
    source: &str,
    cause: &str,
) -> Result<Rescored, PlatformError> {
    let started = Instant::now();
    let before = snapshots.latest(enterprise).await?;
    let request = RecomputeRequest {
        store,
        enterprise,
        source,
        not_before: before.as_ref().map(|s| s.as_of),
        today: crate::ids::today(),
        indicators: before.as_ref().map(|s| s.values.keys().cloned().collect()),
    };
    let fresh = recompute
        .recompute(request)
        .await
        .map_err(|e| PlatformError::Unavailable(format!("recomputing indicators: {e}")))?;
    let snapshot = Snapshot {
        enterprise: enterprise.clone(),
        as_of: fresh.as_of,
        values: fresh.values,
    };
    let current = champion.map(|m| point(m, &snapshot)).transpose()?;
    let previous = match (champion, &before) {
        (Some(m), Some(b)) => Some(point(m, b)?),
        _ => None,
    };
    let change = match (champion, &current) {
        (Some(m), Some(c)) => Some(ScoreChange {
            at: crate::ids::rfc3339(now_ms()),
            cause: cause.to_string(),
            model_version: m.version.clone(),
            current: c.clone(),
            previous: previous.clone(),
        }),
        _ => None,
    };
    snapshots
        .store_one(snapshot.clone(), change.as_ref())
        .await?;
    Ok(Rescored {
        as_of: snapshot.as_of.to_string(),
        indicators: snapshot.values.len(),
        current,
        previous,
        model_version: champion.map(|m| m.version.clone()),
        millis: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// Whether the rescoring an upload caused is stored. Without a champion no history row is
/// written, so an upload retried then is recomputed again: the same rows give the same snapshot.
pub(crate) async fn recorded(
    pool: &AnyPool,
    enterprise: &Uscc,
    cause: &str,
) -> Result<bool, PlatformError> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT id FROM score_history WHERE uscc = $1 AND cause = $2 LIMIT 1")
            .bind(enterprise.as_str())
            .bind(cause)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// Writes a rescoring's history row inside the snapshot's transaction.
pub(crate) async fn record_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    enterprise: &Uscc,
    change: &ScoreChange,
) -> Result<(), PlatformError> {
    let previous = change.previous.as_ref();
    sqlx::query(
        "INSERT INTO score_history (id, uscc, at, cause, model_version, as_of, score, grade, pd, \
         previous_as_of, previous_score, previous_grade, previous_pd, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(new_time_ordered_id("h"))
    .bind(enterprise.as_str())
    .bind(&change.at)
    .bind(&change.cause)
    .bind(&change.model_version)
    .bind(&change.current.as_of)
    .bind(change.current.score)
    .bind(&change.current.grade)
    .bind(change.current.pd)
    .bind(previous.map(|p| p.as_of.clone()))
    .bind(previous.map(|p| p.score))
    .bind(previous.map(|p| p.grade.clone()))
    .bind(previous.map(|p| p.pd))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

type ChangeRow = (
    String,
    String,
    String,
    String,
    f64,
    String,
    f64,
    Option<String>,
    Option<f64>,
    Option<String>,
    Option<f64>,
);

/// The enterprise's latest rescorings, newest first.
pub(crate) async fn changes(
    pool: &AnyPool,
    enterprise: &Uscc,
    limit: i64,
) -> Result<Vec<ScoreChange>, PlatformError> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT at, cause, model_version, as_of, score, grade, pd, previous_as_of, \
         previous_score, previous_grade, previous_pd FROM score_history WHERE uscc = $1 \
         ORDER BY created_ms DESC, id DESC LIMIT $2",
    )
    .bind(enterprise.as_str())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                at,
                cause,
                model_version,
                as_of,
                score,
                grade,
                pd,
                p_as_of,
                p_score,
                p_grade,
                p_pd,
            )| {
                ScoreChange {
                    at,
                    cause,
                    model_version,
                    current: ScorePoint {
                        as_of,
                        score,
                        grade,
                        pd,
                    },
                    previous: match (p_as_of, p_score, p_grade, p_pd) {
                        (Some(as_of), Some(score), Some(grade), Some(pd)) => Some(ScorePoint {
                            as_of,
                            score,
                            grade,
                            pd,
                        }),
                        _ => None,
                    },
                }
            },
        )
        .collect())
}
