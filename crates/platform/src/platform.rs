//! [`Platform`]: the whole state behind the API, and the operations that cross its parts
//! (a score query checks consent, scores, logs and records).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::AnyPool;
use xinrong_core::{Purpose, Uscc};
use xinrong_ledger::{Entry, Ledger, Receipt};

use crate::access::{Access, Institution, Kind, insert_enterprise};
use crate::assets::{UploadReport, upload};
use crate::consent::{Consent, Consents, enterprise_of};
use crate::db::connect;
use crate::error::PlatformError;
use crate::ids::{new_time_ordered_id, now_ms, rfc3339, today};
use crate::queries::{QueryLog, QueryRecord, Scope};
use crate::registry::Registry;
use crate::scoring::{Explained, Reason, explain, parse_uscc};
use crate::snapshots::Snapshots;

/// Queries listed in a portrait; older ones are paged through `GET /v1/portrait/queries`.
pub const PORTRAIT_QUERIES: i64 = 200;

/// Name given to a ledger the platform creates.
pub const LEDGER_NAME: &str = "xinrong.local/ledger";

/// How often a running platform looks for models and snapshots changed by another process.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// Everything the API serves.
pub struct Platform {
    /// The database.
    pub pool: AnyPool,
    /// The tamper-evident log of registrations, consents, queries and models.
    pub ledger: Arc<Ledger>,
    /// Institutions and keys.
    pub access: Access,
    /// Consents.
    pub consents: Consents,
    /// Published models.
    pub registry: Registry,
    /// Indicator snapshots.
    pub snapshots: Snapshots,
    /// Score query records.
    pub queries: QueryLog,
    data_dir: PathBuf,
    /// Background tasks (the refresher), stopped by [`Platform::close`].
    tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// An enterprise's view of itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Portrait {
    /// The enterprise.
    pub enterprise: String,
    /// Its registered name.
    pub name: String,
    /// Its current score, if a model and indicators exist.
    pub current: Option<Explained>,
    /// Score by snapshot date, oldest first (current champion model).
    pub history: Vec<HistoryPoint>,
    /// What would raise the score most: the reasons, with points to gain.
    pub improvements: Vec<Improvement>,
    /// Who queried it, newest first (the latest [`PORTRAIT_QUERIES`]; page through the rest
    /// with `GET /v1/portrait/queries`).
    pub queries: Vec<QuerySeen>,
    /// Consents that allow queries today.
    pub live_consents: Vec<Consent>,
}

/// The score at one snapshot date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryPoint {
    /// Snapshot date.
    pub as_of: String,
    /// Score.
    pub score: f64,
    /// Grade.
    pub grade: String,
    /// PD.
    pub pd: f64,
}

/// One way to improve.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Improvement {
    /// The characteristic.
    #[serde(flatten)]
    pub reason: Reason,
    /// Points gained by reaching its best bin.
    pub points_to_gain: f64,
}

/// A query as the enterprise sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuerySeen {
    /// Query id.
    pub query_id: String,
    /// Institution id.
    pub institution: String,
    /// Institution name.
    pub institution_name: String,
    /// Purpose.
    pub purpose: String,
    /// When.
    pub time: String,
    /// Ledger leaf, for a receipt.
    pub leaf_index: u64,
}

impl Platform {
    /// Opens the data directory and database (creating and migrating them as needed), and
    /// starts the query writer and the refresher on the current Tokio runtime.
    pub async fn open(data_dir: &Path, db_url: &str) -> Result<Arc<Platform>, PlatformError> {
        std::fs::create_dir_all(data_dir).map_err(|e| PlatformError::Io {
            path: data_dir.display().to_string(),
            source: e,
        })?;
        let pool = connect(db_url).await?;
        let dir = data_dir.join("ledger");
        let (ledger, _) =
            tokio::task::spawn_blocking(move || Ledger::open_or_create(&dir, LEDGER_NAME))
                .await
                .map_err(|e| PlatformError::Unavailable(format!("opening the ledger: {e}")))??;
        let ledger = Arc::new(ledger);
        let platform = Arc::new(Platform {
            access: Access::new(pool.clone()),
            consents: Consents::load(pool.clone(), Arc::clone(&ledger)).await?,
            registry: Registry::load(pool.clone(), Arc::clone(&ledger)).await?,
            snapshots: Snapshots::open(pool.clone()).await?,
            queries: QueryLog::start(pool.clone()),
            pool,
            ledger,
            data_dir: data_dir.to_path_buf(),
            tasks: std::sync::Mutex::new(Vec::new()),
        });
        let weak = Arc::downgrade(&platform);
        let refresh = tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH_EVERY);
            loop {
                tick.tick().await;
                let Some(p) = weak.upgrade() else { break };
                if let Err(e) = p.registry.refresh().await {
                    tracing::warn!(error = %e, "model refresh failed");
                }
                if let Err(e) = p.snapshots.refresh().await {
                    tracing::warn!(error = %e, "snapshot refresh failed");
                }
            }
        });
        platform.tasks.lock().expect("task list").push(refresh);
        Ok(platform)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), PlatformError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Stops the background tasks (so that dropping the platform releases the ledger at
    /// once) and closes the pool once every query record handed to the writer is committed.
    pub async fn close(&self) {
        let tasks: Vec<_> = self.tasks.lock().expect("task list").drain(..).collect();
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
        self.pool.close().await;
    }

    /// A bank or guarantor asks for an enterprise's score.
    pub async fn score(
        &self,
        by: &Institution,
        enterprise: &str,
        purpose: Purpose,
        model_version: Option<&str>,
    ) -> Result<(QueryRecord, Receipt), PlatformError> {
        if !by.kind.may_query_scores() {
            return Err(PlatformError::role(format!(
                "a {} may not query scores; banks and guarantors may",
                by.kind.as_str()
            )));
        }
        let enterprise = parse_uscc("enterprise", enterprise)?;
        let consent_id = self.consents.check(&enterprise, &by.id, purpose)?;
        let model = self.registry.get(model_version)?;
        let snapshot = self.snapshots.latest(&enterprise).await?.ok_or_else(|| {
            PlatformError::Unavailable(format!(
                "no indicators are loaded for enterprise {enterprise} yet"
            ))
        })?;
        let result = explain(&model, &snapshot)?;
        let query_id = new_time_ordered_id("q");
        let created_ms = now_ms();
        let time = rfc3339(created_ms);
        let entry = Entry::ScoreQuery {
            query_id: query_id.clone(),
            institution: by.id.clone(),
            enterprise: enterprise.clone(),
            purpose: purpose.as_str().to_string(),
            model_version: model.version.clone(),
            score: result.score,
            grade: result.grade.to_string(),
            inputs_hash: result.inputs_hash.clone(),
            time: time.clone(),
        };
        let receipt = self.ledger.submit(entry.to_canonical())?.receipt().await?;
        let record = QueryRecord {
            query_id,
            institution: by.id.clone(),
            enterprise: enterprise.to_string(),
            purpose: purpose.as_str().to_string(),
            consent_id,
            time,
            leaf_index: receipt.leaf_index,
            result,
        };
        self.queries.record(&record, created_ms).await?;
        Ok((record, receipt))
    }

    /// The operator registers an enterprise.
    pub async fn register_enterprise(
        &self,
        by: &Institution,
        uscc: &str,
        name: &str,
    ) -> Result<Uscc, PlatformError> {
        if by.kind != Kind::Operator {
            return Err(PlatformError::role(
                "only the operator registers enterprises",
            ));
        }
        let uscc = parse_uscc("uscc", uscc)?;
        if name.trim().is_empty() || name.chars().count() > 200 {
            return Err(PlatformError::invalid("name", "must be 1–200 characters"));
        }
        if !insert_enterprise(&self.pool, &uscc, name, &by.id).await? {
            return Err(PlatformError::Conflict(format!(
                "enterprise {uscc} is already registered"
            )));
        }
        Ok(uscc)
    }

    /// The registered name of an enterprise.
    pub async fn enterprise_name(&self, uscc: &Uscc) -> Result<String, PlatformError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT name FROM enterprises WHERE uscc = $1")
            .bind(uscc.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.0)
            .ok_or_else(|| PlatformError::NotFound(format!("enterprise {uscc}")))
    }

    /// The operator uploads source data for a registered enterprise.
    pub async fn upload(
        &self,
        by: &Institution,
        uscc: &str,
        source: &str,
        body: Vec<u8>,
        jsonl: bool,
    ) -> Result<(UploadReport, Receipt), PlatformError> {
        if by.kind != Kind::Operator {
            return Err(PlatformError::role("only the operator uploads source data"));
        }
        let uscc = parse_uscc("uscc", uscc)?;
        self.enterprise_name(&uscc).await?;
        upload(
            &self.pool,
            &self.ledger,
            &self.data_dir,
            &by.id,
            &uscc,
            source,
            body,
            jsonl,
        )
        .await
    }

    /// An enterprise's own portrait.
    pub async fn portrait(&self, by: &Institution) -> Result<Portrait, PlatformError> {
        let uscc = enterprise_of(by)?.clone();
        let name = self.enterprise_name(&uscc).await?;
        let model = self.registry.get(None).ok();
        let mut history = Vec::new();
        let mut current = None;
        if let Some(model) = &model {
            for snap in self.snapshots.history(&uscc).await? {
                let e = explain(model, &snap)?;
                history.push(HistoryPoint {
                    as_of: e.snapshot_as_of.clone(),
                    score: e.score,
                    grade: e.grade.to_string(),
                    pd: e.pd,
                });
                current = Some(e);
            }
        }
        let improvements = current
            .as_ref()
            .map(|c| {
                c.reasons
                    .iter()
                    .map(|r| Improvement {
                        points_to_gain: ((r.max_points - r.points) * 100.0).round() / 100.0,
                        reason: r.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let queries = self.queries_about_me(by, None, PORTRAIT_QUERIES).await?;
        let today = today();
        Ok(Portrait {
            enterprise: uscc.to_string(),
            name,
            current,
            history,
            improvements,
            queries,
            live_consents: self
                .consents
                .of_enterprise(&uscc)
                .into_iter()
                .filter(|c| c.is_live(today))
                .collect(),
        })
    }

    /// The queries made about the calling enterprise, newest first, with who made them.
    pub async fn queries_about_me(
        &self,
        by: &Institution,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<QuerySeen>, PlatformError> {
        let uscc = enterprise_of(by)?;
        let page = self
            .queries
            .list(Scope::Enterprise(uscc.as_str()), before, limit)
            .await?;
        // Names of the institutions on this page only, each looked up once.
        let mut names: HashMap<String, String> = HashMap::new();
        for q in &page {
            if !names.contains_key(&q.institution) {
                let name = self.access.institution(&q.institution).await?.name;
                names.insert(q.institution.clone(), name);
            }
        }
        Ok(page
            .into_iter()
            .map(|q| QuerySeen {
                institution_name: names.get(&q.institution).cloned().unwrap_or_default(),
                query_id: q.query_id,
                institution: q.institution,
                purpose: q.purpose,
                time: q.time,
                leaf_index: q.leaf_index,
            })
            .collect())
    }
}
