//! The model registry: published scorecards by version, one of them the champion that
//! scoring uses unless a version is named. Publishing is logged in the ledger. Models are
//! kept in memory and reloaded when another process publishes (see [`Registry::refresh`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::AnyPool;
use xinrong_ledger::{Entry, Ledger, Receipt};
use xinrong_scorecard::Scorecard;

use crate::error::PlatformError;
use crate::fields::Version;
use crate::ids::{now_ms, rfc3339};
use crate::journal::{Action, enqueue};

/// Where a model feature belongs: one of the ten dimensions and one of the three views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureGroups {
    /// Dimension code (`growth`, `cash_flow`, …); `other` when unknown.
    pub dimension: String,
    /// View code (`financial_health`, …); `other` when unknown.
    pub view: String,
}

/// A published model.
#[derive(Debug)]
pub struct Published {
    /// Version name.
    pub version: String,
    /// SHA-256 of the artifact's bytes.
    pub sha256: String,
    /// The scorecard.
    pub model: Scorecard,
    /// Groups of each feature.
    pub groups: BTreeMap<String, FeatureGroups>,
    /// Who published it.
    pub publisher: String,
    /// When (RFC 3339).
    pub published: String,
    /// Ledger leaf of the publication.
    pub leaf: u64,
}

/// A model as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelSummary {
    /// Version name.
    pub version: String,
    /// SHA-256 of the artifact.
    pub sha256: String,
    /// Whether scoring uses it by default.
    pub champion: bool,
    /// Characteristics.
    pub features: usize,
    /// Test AUC recorded in the artifact, else train AUC.
    pub auc: f64,
    /// When it was published.
    pub published: String,
    /// Who published it.
    pub publisher: String,
}

#[derive(Default)]
struct State {
    models: HashMap<String, Arc<Published>>,
    champion: Option<String>,
    generation: i64,
}

/// Published models.
pub struct Registry {
    pool: AnyPool,
    ledger: Arc<Ledger>,
    state: RwLock<State>,
    /// One publication at a time, so two publications of one version cannot both be logged.
    publishing: tokio::sync::Mutex<()>,
}

type ModelRow = (String, String, String, String, String, i64, i64, i64);

impl Registry {
    /// Loads every published model.
    pub async fn load(pool: AnyPool, ledger: Arc<Ledger>) -> Result<Registry, PlatformError> {
        let registry = Registry {
            pool,
            ledger,
            state: RwLock::new(State {
                generation: -1,
                ..State::default()
            }),
            publishing: tokio::sync::Mutex::new(()),
        };
        registry.refresh().await?;
        Ok(registry)
    }

    /// The dimension and view of every feature some published model gives them: what a new
    /// model published without its own groups takes for the features it shares.
    pub fn known_groups(&self) -> BTreeMap<String, FeatureGroups> {
        let state = self.state.read().expect("registry");
        let mut out = BTreeMap::new();
        // Oldest first, so the newest model's grouping of a feature wins.
        let mut models: Vec<&Arc<Published>> = state.models.values().collect();
        models.sort_by(|a, b| {
            a.published
                .cmp(&b.published)
                .then(a.version.cmp(&b.version))
        });
        for m in models {
            out.extend(m.groups.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        out
    }

    /// Reloads the models if another process changed them since the last look.
    pub async fn refresh(&self) -> Result<(), PlatformError> {
        let generation = generation(&self.pool, "models").await?;
        if generation == self.state.read().expect("registry").generation {
            return Ok(());
        }
        let rows: Vec<ModelRow> = sqlx::query_as(
            "SELECT version, sha256, artifact, groups, publisher, published_ms, leaf, champion FROM models",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut state = State {
            generation,
            ..State::default()
        };
        for (version, sha256, artifact, groups, publisher, published_ms, leaf, champion) in rows {
            let model = Scorecard::from_json(&artifact)?;
            let groups = serde_json::from_str(&groups).map_err(|e| {
                PlatformError::Conflict(format!("model {version}: stored feature groups: {e}"))
            })?;
            if champion != 0 {
                state.champion = Some(version.clone());
            }
            state.models.insert(
                version.clone(),
                Arc::new(Published {
                    version,
                    sha256,
                    model,
                    groups,
                    publisher,
                    published: rfc3339(published_ms),
                    leaf: leaf as u64,
                }),
            );
        }
        *self.state.write().expect("registry") = state;
        Ok(())
    }

    /// Publishes a model artifact as `version`, `by` whom; the first model, or one published
    /// with `champion`, becomes the champion (a change logged like [`Registry::set_champion`]'s).
    /// Features `groups` does not place go to `other`.
    pub async fn publish(
        &self,
        artifact: &str,
        version: &Version,
        mut groups: BTreeMap<String, FeatureGroups>,
        by: &str,
        champion: bool,
    ) -> Result<(ModelSummary, Receipt), PlatformError> {
        let version = version.as_str();
        // Refuse a corrupt or foreign artifact before anything is logged.
        let card = Scorecard::from_json(artifact)?;
        for f in &card.features {
            groups
                .entry(f.name.clone())
                .or_insert_with(|| FeatureGroups {
                    dimension: "other".into(),
                    view: "other".into(),
                });
        }
        groups.retain(|name, _| card.features.iter().any(|f| &f.name == name));
        let _one_at_a_time = self.publishing.lock().await;
        self.refresh().await?;
        let (exists, previous) = {
            let state = self.state.read().expect("registry");
            (state.models.contains_key(version), state.champion.clone())
        };
        if exists {
            return Err(PlatformError::Conflict(format!(
                "model version {version} is already published; versions are immutable"
            )));
        }
        let sha256 = hex::encode(Sha256::digest(artifact.as_bytes()));
        let published_ms = now_ms();
        let entry = Entry::ModelPublished {
            model_version: version.to_string(),
            model_hash: format!("sha256:{sha256}"),
            publisher: by.to_string(),
            time: rfc3339(published_ms),
        };
        let receipt = self.ledger.submit(entry.to_canonical())?.receipt().await?;
        let becomes_champion = champion || previous.is_none();
        let mut tx = self.pool.begin().await?;
        if becomes_champion {
            sqlx::query("UPDATE models SET champion = 0")
                .execute(&mut *tx)
                .await?;
            enqueue(&mut tx, &champion_changed(version, previous, by)).await?;
        }
        sqlx::query(
            "INSERT INTO models (version, sha256, artifact, groups, publisher, published_ms, leaf, champion) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(version)
        .bind(&sha256)
        .bind(artifact)
        .bind(serde_json::to_string(&groups).expect("groups serialise"))
        .bind(by)
        .bind(published_ms)
        .bind(receipt.leaf_index as i64)
        .bind(i64::from(becomes_champion))
        .execute(&mut *tx)
        .await?;
        bump(&mut tx, "models").await?;
        tx.commit().await?;
        self.refresh().await?;
        let summary = self
            .list()
            .into_iter()
            .find(|m| m.version == version)
            .expect("just published");
        Ok((summary, receipt))
    }

    /// Makes a published version the champion, `by` whom; the change is logged in the ledger
    /// through the outbox ([`crate::journal`]). Naming the champion again changes nothing.
    pub async fn set_champion(&self, version: &str, by: &str) -> Result<(), PlatformError> {
        let _one_at_a_time = self.publishing.lock().await;
        self.refresh().await?;
        let previous = self.state.read().expect("registry").champion.clone();
        if previous.as_deref() == Some(version) {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE models SET champion = 1 WHERE version = $1")
            .bind(version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(PlatformError::NotFound(format!(
                "model version {}",
                crate::fields::shown(version)
            )));
        }
        sqlx::query("UPDATE models SET champion = 0 WHERE version <> $1")
            .bind(version)
            .execute(&mut *tx)
            .await?;
        enqueue(&mut tx, &champion_changed(version, previous, by)).await?;
        bump(&mut tx, "models").await?;
        tx.commit().await?;
        self.refresh().await
    }

    /// The named version, or the champion.
    pub fn get(&self, version: Option<&str>) -> Result<Arc<Published>, PlatformError> {
        let state = self.state.read().expect("registry");
        let name = match version {
            Some(v) => v,
            None => state.champion.as_deref().ok_or_else(|| {
                PlatformError::Unavailable(
                    "no model is published yet: run `xinrong model publish MODEL.json`".into(),
                )
            })?,
        };
        state
            .models
            .get(name)
            .cloned()
            .ok_or_else(|| PlatformError::NotFound(format!("model version {name}")))
    }

    /// Every published model, newest first.
    pub fn list(&self) -> Vec<ModelSummary> {
        let state = self.state.read().expect("registry");
        let mut out: Vec<ModelSummary> = state
            .models
            .values()
            .map(|p| ModelSummary {
                version: p.version.clone(),
                sha256: p.sha256.clone(),
                champion: state.champion.as_deref() == Some(p.version.as_str()),
                features: p.model.features.len(),
                auc: p
                    .model
                    .metrics
                    .test
                    .as_ref()
                    .unwrap_or(&p.model.metrics.train)
                    .auc,
                published: p.published.clone(),
                publisher: p.publisher.clone(),
            })
            .collect();
        out.sort_by(|a, b| {
            b.published
                .cmp(&a.published)
                .then(b.version.cmp(&a.version))
        });
        out
    }
}

fn champion_changed(version: &str, previous: Option<String>, by: &str) -> Action {
    let (action_id, time) = Action::stamp();
    Action {
        kind: "champion_changed",
        by: by.to_string(),
        entry: Entry::ChampionChanged {
            action_id: action_id.clone(),
            model_version: version.to_string(),
            previous,
            by: by.to_string(),
            time,
        },
        action_id,
    }
}

/// The change counter `name`.
pub(crate) async fn generation(pool: &AnyPool, name: &str) -> Result<i64, PlatformError> {
    let (n,): (i64,) = sqlx::query_as("SELECT n FROM generations WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await?;
    Ok(n)
}

/// Bumps the change counter `name` inside a transaction.
pub(crate) async fn bump(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    name: &str,
) -> Result<(), PlatformError> {
    sqlx::query("UPDATE generations SET n = n + 1 WHERE name = $1")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
