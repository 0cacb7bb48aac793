//! [`Platform`]: the whole state behind the API, and every operation on it. Each operation
//! takes the caller and decides, here and nowhere else, whether that caller's kind may do it
//! and which records it may see; the HTTP layer only translates.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::AnyPool;
use xinrong_core::{Industry, Purpose, Uscc};
use xinrong_ledger::{Entry, Ledger, LedgerError, Receipt, SignedCheckpoint, VerifierKey};
use xinrong_sources::{Format, UnknownFields};

use crate::access::{Access, Institution, Kind, Principal, insert_enterprise};
use crate::assets::{Upload, UploadReport, upload};
use crate::consent::{Consent, Consents, enterprise_of};
use crate::db::connect;
use crate::error::PlatformError;
use crate::fields::{Id, Name, Version};
use crate::health::{LedgerHealth, LedgerState};
use crate::ids::{new_time_ordered_id, now_ms, rfc3339, today};
use crate::journal::{self, AdminAction, Unacknowledged};
use crate::queries::{QueryLog, QueryRecord, Scope};
use crate::registry::{FeatureGroups, ModelSummary, Registry};
use crate::scoring::{Explained, Reason, explain};
use crate::snapshots::Snapshots;

/// Queries listed in a portrait; older ones are paged through `GET /v1/portrait/queries`.
pub const PORTRAIT_QUERIES: i64 = 200;

/// Rescorings listed in a portrait.
pub const PORTRAIT_CHANGES: i64 = 50;

/// Projected shortfalls turned into offers per refresh, so that a large load is pushed over
/// several ticks without holding up the refresher.
pub const OFFERS_PER_TICK: i64 = 500;

/// Name given to a ledger the platform creates.
pub const LEDGER_NAME: &str = "xinrong.local/ledger";

/// How often a running platform looks for models and snapshots changed by another process,
/// and appends admin actions recorded by another process.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// How old a ledger entry must be before a missing record counts as "never answered": well
/// past the request timeout, so no request still in flight is misjudged.
pub const RECONCILE_AFTER: Duration = Duration::from_secs(120);

/// Everything the API serves.
pub struct Platform {
    pub(crate) pool: AnyPool,
    pub(crate) ledger: Arc<Ledger>,
    health: Arc<LedgerHealth>,
    access: Access,
    pub(crate) consents: Consents,
    pub(crate) registry: Registry,
    pub(crate) snapshots: Snapshots,
    pub(crate) queries: QueryLog,
    pub(crate) catalogue: xinrong_lending::Catalogue,
    /// The banks' decision flows.
    pub(crate) flows: Arc<crate::credit::Flows>,
    /// A bank's bookings and a loan's events, one at a time.
    pub(crate) named_locks: crate::stripes::Stripes,
    /// Guarantee agreements' positions and the guarantees' writer.
    pub(crate) guarantee_book: crate::positions::GuaranteeBook,
    pub(crate) data_dir: PathBuf,
    /// One upload at a time: an upload is CPU- and disk-bound, and two identical uploads
    /// must not both be registered.
    uploads: tokio::sync::Mutex<()>,
    /// Appending admin actions and reconciling, one at a time.
    journal: tokio::sync::Mutex<()>,
    /// Recomputes an enterprise's indicators after an upload, when the server supplies one.
    rescorer: std::sync::OnceLock<Arc<dyn crate::rescoring::Recompute>>,
    /// The market's aggregates, with what they were computed from.
    pub(crate) market: crate::market::Kept,
    /// Enterprises scored and explained, kept while their snapshot and the champion stay.
    pub(crate) grounds: crate::financing::KeptGrounds,
    /// Background tasks (the refresher, the audit), stopped by [`Platform::close`].
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
    /// Rescorings after uploads, newest first (the latest [`PORTRAIT_CHANGES`]): what the
    /// score was, what it became and which upload moved it.
    pub rescorings: Vec<crate::rescoring::ScoreChange>,
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
    /// The nearest better bin (its interval, group or value), if one gives more points.
    pub next_bin: Option<String>,
    /// Points gained by reaching that bin.
    pub next_bin_gain: Option<f64>,
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
    /// What was asked: `score`, `match`, `limit`, `signals`, or `offer` (pushed to it).
    pub kind: String,
    /// When.
    pub time: String,
    /// Ledger leaf, for a receipt.
    pub leaf_index: u64,
}

/// A page of a newest-first list: at most `limit` records older than `before`.
#[derive(Debug, Clone)]
pub struct Page {
    /// Most records, 1–1000.
    pub limit: i64,
    /// Only records older than this one (the last of the previous page).
    pub before: Option<Id>,
}

impl Page {
    /// A checked page: `limit` defaults to 100 and must be 1–1000; `before` must be an id.
    pub fn new(limit: Option<i64>, before: Option<&str>) -> Result<Page, PlatformError> {
        let limit = limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(PlatformError::invalid("limit", "must be 1–1000"));
        }
        Ok(Page {
            limit,
            before: before.map(|b| Id::parse("before", b)).transpose()?,
        })
    }
}

impl Platform {
    /// Opens the data directory and database (creating and migrating them as needed), and
    /// starts the query writer, the refresher and the ledger audit on the current Tokio
    /// runtime.
    pub async fn open(data_dir: &Path, db_url: &str) -> Result<Arc<Platform>, PlatformError> {
        std::fs::create_dir_all(data_dir).map_err(|e| PlatformError::Io {
            path: data_dir.display().to_string(),
            source: e,
        })?;
        let pool = connect(db_url).await?;
        let ledger = Arc::new(crate::journal::open_ledger(&pool, &data_dir.join("ledger")).await?);
        // This process holds the ledger, so it alone owns the data directory: upload spool
        // files left by a crash are of uploads that were never answered.
        crate::assets::clear_spool(data_dir);
        let platform = Arc::new(Platform {
            health: Arc::new(LedgerHealth::default()),
            access: Access::new(pool.clone()),
            consents: Consents::load(pool.clone(), Arc::clone(&ledger)).await?,
            registry: Registry::load(pool.clone(), Arc::clone(&ledger)).await?,
            snapshots: Snapshots::open(pool.clone()).await?,
            catalogue: crate::financing::catalogue(data_dir)?,
            flows: Arc::new(crate::credit::Flows::load(&pool).await?),
            named_locks: Default::default(),
            guarantee_book: crate::positions::GuaranteeBook::load(&pool).await?,
            queries: QueryLog::start(pool.clone()),
            pool,
            ledger,
            data_dir: data_dir.to_path_buf(),
            uploads: tokio::sync::Mutex::new(()),
            journal: tokio::sync::Mutex::new(()),
            rescorer: std::sync::OnceLock::new(),
            market: Default::default(),
            grounds: Default::default(),
            tasks: std::sync::Mutex::new(Vec::new()),
        });
        let audit = LedgerHealth::audit_in_background(
            Arc::clone(&platform.health),
            platform.data_dir.join("ledger"),
            platform.ledger.verifier().clone(),
        );
        let refresh = tokio::spawn(refresher(Arc::downgrade(&platform), platform.ledger.size()));
        platform
            .tasks
            .lock()
            .expect("task list")
            .extend([audit, refresh]);
        Ok(platform)
    }

    /// Rescores an enterprise after each upload with `recompute` (once; later calls are
    /// ignored). Without it, uploaded rows reach scores at the next batch load.
    pub fn set_rescorer(&self, recompute: Arc<dyn crate::rescoring::Recompute>) {
        let _ = self.rescorer.set(recompute);
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

    /// The database.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Institutions and keys, for operator tooling (`xinrong admin`, test fixtures).
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The model registry, for operator tooling.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Indicator snapshots, for operator tooling.
    pub fn snapshots(&self) -> &Snapshots {
        &self.snapshots
    }

    /// Whether the ledger passed its audit; writes are refused once it failed.
    pub fn ledger_state(&self) -> LedgerState {
        self.health.state()
    }

    /// Why the ledger's writer stopped, if it has: after a failed write (a full disk, an I/O
    /// error) it takes no entry until a restart recovers the log.
    pub fn ledger_stopped(&self) -> Option<String> {
        self.ledger.stopped().map(str::to_string)
    }

    /// Whether writes are taken: the ledger has not failed its audit and its writer runs.
    pub fn writable(&self) -> Result<(), PlatformError> {
        if let LedgerState::Damaged(reason) = self.health.state() {
            return Err(PlatformError::LedgerDamaged(reason));
        }
        match self.ledger.stopped() {
            Some(reason) => Err(LedgerError::WriterStopped(reason.to_string()).into()),
            None => Ok(()),
        }
    }

    /// The caller of a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, PlatformError> {
        self.access.authenticate(token).await
    }

    /// The ledger's latest signed checkpoint and its public key: public, since anyone may
    /// verify a receipt.
    pub fn ledger_head(&self) -> Option<(SignedCheckpoint, VerifierKey)> {
        Some((self.ledger.checkpoint()?, self.ledger.verifier().clone()))
    }

    /// A bank or guarantor asks for an enterprise's score.
    pub async fn score(
        &self,
        by: &Institution,
        enterprise: &Uscc,
        purpose: Purpose,
        model_version: Option<&Version>,
    ) -> Result<(QueryRecord, Receipt), PlatformError> {
        if !by.kind.may_query_scores() {
            return Err(PlatformError::role(format!(
                "a {} may not query scores; banks and guarantors may",
                by.kind.as_str()
            )));
        }
        self.writable()?;
        let consent_id = self.consents.check(enterprise, &by.id, purpose)?;
        let model = self.registry.get(model_version.map(Version::as_str))?;
        let snapshot = self.snapshots.latest(enterprise).await?.ok_or_else(|| {
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
        let pending = self.ledger.submit(entry.to_canonical())?;
        let record = QueryRecord {
            query_id,
            institution: by.id.clone(),
            enterprise: enterprise.to_string(),
            purpose: purpose.as_str().to_string(),
            consent_id,
            time,
            leaf_index: pending.index(),
            kind: "score".into(),
            result,
            financing: None,
        };
        let receipt = self.queries.record(&record, created_ms, pending).await?;
        Ok((record, receipt))
    }

    /// A query record with a fresh receipt: the caller's own, or any for a regulator. Another
    /// institution's query is "not found", exactly like an absent one.
    pub async fn query(
        &self,
        by: &Institution,
        id: &Id,
    ) -> Result<(QueryRecord, Receipt), PlatformError> {
        let scope = match by.kind {
            Kind::Regulator => None,
            k if k.may_query_scores() => Some(by.id.as_str()),
            _ => {
                return Err(PlatformError::role(
                    "only banks, guarantors and regulators read query records; an enterprise sees its queries in /v1/portrait/queries",
                ));
            }
        };
        let query = self.queries.get(id.as_str(), scope).await?;
        let receipt = crate::journal::receipt_beside(&self.ledger, query.leaf_index).await?;
        Ok((query, receipt))
    }

    /// The caller's own queries (a regulator sees everyone's), newest first.
    pub async fn queries(
        &self,
        by: &Institution,
        page: &Page,
    ) -> Result<Vec<QueryRecord>, PlatformError> {
        let scope = match by.kind {
            Kind::Regulator => Scope::All,
            k if k.may_query_scores() => Scope::Institution(by.id.as_str()),
            _ => {
                return Err(PlatformError::role(
                    "only banks, guarantors and regulators list queries; an enterprise sees its queries in /v1/portrait/queries",
                ));
            }
        };
        self.queries
            .list(
                scope,
                page.before.as_ref().map(Id::as_str),
                page.limit,
                self.ledger.durable_size(),
            )
            .await
    }

    /// The operator registers an enterprise, with its industry class when its business
    /// registration gives one (market aggregates are cut by it).
    pub async fn register_enterprise(
        &self,
        by: &Institution,
        uscc: &Uscc,
        name: &Name,
        industry: Option<&Industry>,
    ) -> Result<(), PlatformError> {
        only_the_operator_registers(by)?;
        if !insert_enterprise(&self.pool, uscc, name.as_str(), industry, &by.id).await? {
            return Err(PlatformError::Conflict(format!(
                "enterprise {uscc} is already registered"
            )));
        }
        Ok(())
    }

    /// The operator registers a business registry's enterprises at once (all or none); those
    /// already registered are left as they are. How many were new.
    pub async fn register_enterprises(
        &self,
        by: &Institution,
        registry: &[Registration],
    ) -> Result<usize, PlatformError> {
        only_the_operator_registers(by)?;
        let mut tx = self.pool.begin().await?;
        let mut new = 0;
        for r in registry {
            let industry = r.industry.as_ref();
            new += usize::from(
                insert_enterprise(&mut *tx, &r.uscc, r.name.as_str(), industry, &by.id).await?,
            );
        }
        tx.commit().await?;
        Ok(new)
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

    /// The operator uploads source data for a registered enterprise. The flag says whether it
    /// was new: the same bytes for the same enterprise and source are recognised and answered
    /// with the asset registered the first time, not registered again.
    pub async fn upload(
        &self,
        by: &Institution,
        enterprise: &Uscc,
        source: &str,
        body: Vec<u8>,
        format: Format,
        unknown: UnknownFields,
    ) -> Result<(UploadReport, Receipt, bool), PlatformError> {
        if by.kind != Kind::Operator {
            return Err(PlatformError::role("only the operator uploads source data"));
        }
        self.writable()?;
        self.enterprise_name(enterprise).await?;
        let _one_at_a_time = self.uploads.lock().await;
        let (mut report, receipt, new) = upload(
            &self.pool,
            &self.ledger,
            &self.data_dir,
            Upload {
                uploader: &by.id,
                enterprise,
                source,
                body,
                format,
                unknown,
            },
        )
        .await?;
        // A retried upload whose rescoring never got stored (the server was stopped between
        // the registration and the new snapshot) is rescored now, so a client that retries
        // until it gets an answer also gets the new score.
        if report.accepted > 0
            && (new
                || !crate::rescoring::recorded(&self.pool, enterprise, &report.asset_id).await?)
        {
            self.rescore_after(&mut report, enterprise).await;
        }
        Ok((report, receipt, new))
    }

    /// Rescores the enterprise an upload was for. The upload is registered whatever happens
    /// here: a failure is said in the report and the log, and the next batch load catches up.
    async fn rescore_after(&self, report: &mut UploadReport, enterprise: &Uscc) {
        let Some(recompute) = self.rescorer.get() else {
            return;
        };
        let champion = self.registry.get(None).ok();
        match crate::rescoring::rescore(
            recompute.as_ref(),
            &self.snapshots,
            champion.as_deref(),
            &self.data_dir.join("store"),
            enterprise,
            &report.source,
            &report.asset_id,
        )
        .await
        {
            Ok(rescored) => report.rescored = Some(rescored),
            Err(e) => {
                tracing::error!(error = %e, asset = %report.asset_id, "rescoring after an upload failed");
                report.rescore_error = Some(
                    "the indicators could not be recomputed now; the next batch load will".into(),
                );
            }
        }
    }

    /// An enterprise grants a bank or guarantor access for a purpose until a date.
    pub async fn grant_consent(
        &self,
        by: &Institution,
        institution: &Id,
        purpose: Purpose,
        expires: NaiveDate,
    ) -> Result<(Consent, Receipt), PlatformError> {
        // The role is checked before the institution is looked up, so a caller that may not
        // grant learns nothing about which institutions exist.
        enterprise_of(by)?;
        self.writable()?;
        let to = self.access.institution(institution.as_str()).await?;
        self.consents.grant(by, &to, purpose, expires).await
    }

    /// An enterprise revokes one of its consents.
    pub async fn revoke_consent(
        &self,
        by: &Institution,
        id: &Id,
    ) -> Result<(Consent, Receipt), PlatformError> {
        enterprise_of(by)?;
        self.writable()?;
        self.consents.revoke(by, id.as_str()).await
    }

    /// The consents an enterprise gave, or a bank or guarantor holds.
    pub fn consents(&self, by: &Institution) -> Result<Vec<Consent>, PlatformError> {
        match (&by.kind, &by.uscc) {
            (Kind::Enterprise, Some(u)) => Ok(self.consents.of_enterprise(u)),
            (k, _) if k.may_query_scores() => Ok(self.consents.of_institution(&by.id)),
            _ => Err(PlatformError::role(
                "only enterprises, banks and guarantors have consents",
            )),
        }
    }

    /// Published models, newest first: any caller with a key may see them.
    pub fn models(&self, _by: &Institution) -> Vec<ModelSummary> {
        self.registry.list()
    }

    /// A published model in full (its bins, metrics and report data), for regulators and the
    /// operator, who answer for the models in use; others see the registry's summaries only.
    pub fn published_model(
        &self,
        by: &Institution,
        version: &str,
    ) -> Result<Arc<crate::registry::Published>, PlatformError> {
        if !matches!(by.kind, Kind::Regulator | Kind::Operator) {
            return Err(PlatformError::role(
                "only regulators and the operator read a model in full",
            ));
        }
        self.registry.get(Some(version))
    }

    /// The operator publishes a model artifact.
    pub async fn publish_model(
        &self,
        by: &Institution,
        version: &Version,
        artifact: &str,
        groups: std::collections::BTreeMap<String, FeatureGroups>,
        champion: bool,
    ) -> Result<(ModelSummary, Receipt), PlatformError> {
        if by.kind != Kind::Operator {
            return Err(PlatformError::role("only the operator publishes models"));
        }
        self.writable()?;
        let published = self
            .registry
            .publish(artifact, version, groups, &by.id, champion)
            .await?;
        self.append_admin_actions().await?;
        Ok(published)
    }

    /// Registers a data file covering many enterprises (a provider's delivery) in the ledger
    /// by its content hash: operator tooling (the demo registers its generated sources).
    pub async fn register_dataset(
        &self,
        dataset: &str,
        file: &Path,
        schema: &str,
        provider: &str,
    ) -> Result<Receipt, PlatformError> {
        self.writable()?;
        let suite = self.ledger.config().suite;
        let path = file.to_path_buf();
        let (content_hash, bytes) =
            tokio::task::spawn_blocking(move || xinrong_ledger::file_content_hash(&path, suite))
                .await
                .map_err(|e| PlatformError::Unavailable(format!("hashing: {e}")))??;
        let entry = Entry::DatasetRegistered {
            dataset: dataset.to_string(),
            content_hash,
            bytes,
            schema: schema.to_string(),
            provider: provider.to_string(),
            time: rfc3339(now_ms()),
        };
        Ok(self.ledger.submit(entry.to_canonical())?.receipt().await?)
    }

    /// Entries in the ledger.
    pub fn ledger_size(&self) -> u64 {
        self.ledger.size()
    }

    /// Appends admin actions waiting in the outbox (recorded by this process or by `xinrong
    /// admin` beside it) to the ledger.
    pub async fn append_admin_actions(&self) -> Result<Vec<(String, Receipt)>, PlatformError> {
        self.writable()?;
        let _one_at_a_time = self.journal.lock().await;
        journal::drain(&self.pool, &self.ledger).await
    }

    /// Reconciles ledger entries older than `upto` with the records (see [`crate::journal`]).
    pub async fn reconcile(&self, upto: u64) -> Result<Vec<Unacknowledged>, PlatformError> {
        self.writable()?;
        let _one_at_a_time = self.journal.lock().await;
        journal::reconcile(&self.pool, &self.ledger, upto).await
    }

    /// Admin actions, newest first: the operator's and the regulator's view.
    pub async fn admin_actions(
        &self,
        by: &Institution,
        limit: i64,
    ) -> Result<Vec<AdminAction>, PlatformError> {
        oversight(by)?;
        journal::actions(&self.pool, limit).await
    }

    /// Ledger entries whose request was never answered: the operator's and the regulator's
    /// view.
    pub async fn unacknowledged(
        &self,
        by: &Institution,
    ) -> Result<Vec<Unacknowledged>, PlatformError> {
        oversight(by)?;
        journal::unacknowledged(&self.pool).await
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
        let improvements = match (&model, &current, self.snapshots.latest(&uscc).await?) {
            (Some(model), Some(c), Some(snapshot)) => improvements(model, c, &snapshot)?,
            _ => Vec::new(),
        };
        let first_page = Page {
            limit: PORTRAIT_QUERIES,
            before: None,
        };
        let queries = self.queries_about_me(by, &first_page).await?;
        let today = today();
        Ok(Portrait {
            enterprise: uscc.to_string(),
            name,
            current,
            history,
            rescorings: crate::rescoring::changes(&self.pool, &uscc, PORTRAIT_CHANGES).await?,
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
        page: &Page,
    ) -> Result<Vec<QuerySeen>, PlatformError> {
        let uscc = enterprise_of(by)?;
        let records = self
            .queries
            .list(
                Scope::Enterprise(uscc.as_str()),
                page.before.as_ref().map(Id::as_str),
                page.limit,
                self.ledger.durable_size(),
            )
            .await?;
        // Names of the institutions on this page only, each looked up once.
        let mut names: HashMap<String, String> = HashMap::new();
        for q in &records {
            if !names.contains_key(&q.institution) {
                let name = self.access.institution(&q.institution).await?.name;
                names.insert(q.institution.clone(), name);
            }
        }
        Ok(records
            .into_iter()
            .map(|q| QuerySeen {
                institution_name: names.get(&q.institution).cloned().unwrap_or_default(),
                query_id: q.query_id,
                institution: q.institution,
                purpose: q.purpose,
                kind: q.kind,
                time: q.time,
                leaf_index: q.leaf_index,
            })
            .collect())
    }
}

/// The operator and the regulator oversee the platform's own records.
fn oversight(by: &Institution) -> Result<(), PlatformError> {
    match by.kind {
        Kind::Operator | Kind::Regulator => Ok(()),
        _ => Err(PlatformError::role(
            "only the operator and regulators read the platform's own records",
        )),
    }
}

/// The refresher: picks up models, snapshots and admin actions from other processes, and
/// reconciles the ledger with the records (everything present at start at once, later entries
/// once they are [`RECONCILE_AFTER`] old).
async fn refresher(platform: std::sync::Weak<Platform>, size_at_start: u64) {
    let mut tick = tokio::time::interval(REFRESH_EVERY);
    let mut sizes: VecDeque<(Instant, u64)> = VecDeque::new();
    let mut reconcile_upto = size_at_start;
    loop {
        tick.tick().await;
        let Some(p) = platform.upgrade() else { break };
        if let Err(e) = p.registry.refresh().await {
            tracing::warn!(error = %e, "model refresh failed");
        }
        if let Err(e) = p.snapshots.refresh().await {
            tracing::warn!(error = %e, "snapshot refresh failed");
        }
        if !matches!(p.health.state(), LedgerState::Damaged(_)) {
            if let Err(e) = p.append_admin_actions().await {
                tracing::warn!(error = %e, "appending admin actions to the ledger failed");
            }
            match p.push_offers(OFFERS_PER_TICK).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(offers = n, "offers pushed for projected shortfalls"),
                Err(e) => tracing::warn!(error = %e, "pushing offers failed"),
            }
            let now = Instant::now();
            sizes.push_back((now, p.ledger.size()));
            while let Some(&(at, size)) = sizes.front() {
                if now.duration_since(at) < RECONCILE_AFTER {
                    break;
                }
                reconcile_upto = reconcile_upto.max(size);
                sizes.pop_front();
            }
            if let Err(e) = p.reconcile(reconcile_upto).await {
                tracing::warn!(error = %e, "reconciling the ledger with the records failed");
            }
        }
    }
}

/// What would raise the score most: each reason with the points its best bin would add and
/// the nearest better bin with what it would add.
fn improvements(
    model: &crate::registry::Published,
    current: &Explained,
    snapshot: &crate::snapshots::Snapshot,
) -> Result<Vec<Improvement>, PlatformError> {
    let card = &model.model;
    let value = |name: &str| snapshot.values.get(name).copied().flatten();
    let row = card.score_one(value, |name| snapshot.values.contains_key(name), 0)?;
    Ok(current
        .reasons
        .iter()
        .map(|r| {
            let next = card
                .features
                .iter()
                .position(|f| f.name == r.feature)
                .and_then(|j| {
                    let slot = row.points.iter().find(|p| p.feature == j)?.slot;
                    card.features[j].next_better(usize::from(slot))
                });
            Improvement {
                points_to_gain: xinrong_core::round2(r.max_points - r.points),
                next_bin: next.map(|(bin, _)| bin.label.clone()),
                next_bin_gain: next.map(|(_, p)| xinrong_core::round2(p - r.points)),
                reason: r.clone(),
            }
        })
        .collect())
}

/// One enterprise of a business registry, as the operator registers it.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Its code.
    pub uscc: Uscc,
    /// Its registered name.
    pub name: Name,
    /// Its industry class, when the registry gives one.
    pub industry: Option<Industry>,
}

fn only_the_operator_registers(by: &Institution) -> Result<(), PlatformError> {
    if by.kind == Kind::Operator {
        Ok(())
    } else {
        Err(PlatformError::role(
            "only the operator registers enterprises",
        ))
    }
}
