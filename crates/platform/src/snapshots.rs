//! Indicator snapshots: each enterprise's indicator values as of a date, computed by
//! `xinrong indicators` and loaded here, so that an online query scores from stored values in
//! microseconds instead of recomputing indicators from raw data.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use sqlx::AnyPool;
use xinrong_core::Uscc;

use crate::error::PlatformError;
use crate::registry::{bump, generation};

/// The indicator values of one enterprise as of one date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// The enterprise.
    pub enterprise: Uscc,
    /// The date the values describe (data after it was not used).
    pub as_of: NaiveDate,
    /// Values by indicator; `None` = missing.
    pub values: BTreeMap<String, Option<f64>>,
}

impl Snapshot {
    /// SHA-256 over the named values in a fixed text form, to bind a score to its inputs.
    pub fn hash_of<'a>(&self, names: impl Iterator<Item = &'a str>) -> String {
        let mut h = Sha256::new();
        h.update(self.enterprise.as_str());
        h.update(self.as_of.to_string());
        for name in names {
            h.update([0]);
            h.update(name);
            match self.values.get(name).copied().flatten() {
                Some(v) => h.update(v.to_bits().to_be_bytes()),
                None => h.update(b"null"),
            }
        }
        format!("sha256:{}", hex::encode(h.finalize()))
    }
}

struct Cache {
    latest: HashMap<Uscc, Option<Arc<Snapshot>>>,
    generation: i64,
    /// The champion's answer on each enterprise's latest snapshot (or none: no snapshot), for
    /// portfolio views; kept compact, so a whole portfolio's can be held.
    scores: HashMap<Uscc, Option<Scored>>,
    /// The model version `scores` were computed with.
    scored_with: String,
    /// Snapshots stored one at a time by this process (a fill that raced one is not kept).
    stored: u64,
}

/// A model's answer on an enterprise's latest snapshot, without the explanation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// Date of the snapshot.
    pub as_of: chrono::NaiveDate,
    /// Score points.
    pub score: f64,
    /// Probability of default.
    pub pd: f64,
    /// Grade.
    pub grade: xinrong_core::Grade,
}

/// Enterprises per statement when reading latest snapshots in bulk.
const SCORE_CHUNK: usize = 500;

/// Stored snapshots, with the latest of each enterprise cached.
pub struct Snapshots {
    pool: AnyPool,
    cache: RwLock<Cache>,
}

/// Rows per insert statement when loading.
const LOAD_CHUNK: usize = 200;

impl Snapshots {
    /// Snapshots in `pool`.
    pub async fn open(pool: AnyPool) -> Result<Snapshots, PlatformError> {
        let generation = generation(&pool, "snapshots").await?;
        Ok(Snapshots {
            pool,
            cache: RwLock::new(Cache {
                latest: HashMap::new(),
                generation,
                scores: HashMap::new(),
                scored_with: String::new(),
                stored: 0,
            }),
        })
    }

    /// Forgets cached snapshots if another process loaded new ones.
    pub async fn refresh(&self) -> Result<(), PlatformError> {
        let generation = generation(&self.pool, "snapshots").await?;
        let mut cache = self.cache.write().expect("snapshot cache");
        if cache.generation != generation {
            cache.latest.clear();
            cache.scores.clear();
            // A score fill that read before this reload must not keep what it read.
            cache.stored += 1;
            cache.generation = generation;
        }
        Ok(())
    }

    /// Changes whenever the latest snapshot of any enterprise may have: for caches of what is
    /// derived from them all.
    pub(crate) fn version(&self) -> (i64, u64) {
        let cache = self.cache.read().expect("snapshot cache");
        (cache.generation, cache.stored)
    }

    /// Stores snapshots (replacing any for the same enterprise and date) in one transaction.
    pub async fn load(&self, snapshots: &[Snapshot]) -> Result<u64, PlatformError> {
        let mut tx = self.pool.begin().await?;
        for chunk in snapshots.chunks(LOAD_CHUNK) {
            let mut sql = String::from("INSERT INTO snapshots (uscc, as_of, vals) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
            }
            sql.push_str(" ON CONFLICT (uscc, as_of) DO UPDATE SET vals = excluded.vals");
            // Built from a constant and numbered placeholders only: no value is spliced in.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for s in chunk {
                q = q
                    .bind(s.enterprise.as_str())
                    .bind(s.as_of.to_string())
                    .bind(serde_json::to_string(&s.values).expect("numbers serialise"));
            }
            q.execute(&mut *tx).await?;
        }
        bump(&mut tx, "snapshots").await?;
        tx.commit().await?;
        self.refresh().await?;
        Ok(snapshots.len() as u64)
    }

    /// Stores one enterprise's recomputed snapshot (with its score-history row, in the same
    /// transaction) and makes it the one served. Only this process rescores its enterprises,
    /// so the change counter other processes watch is left alone: bumping it would empty
    /// every cached snapshot after each upload.
    pub(crate) async fn store_one(
        &self,
        snapshot: Snapshot,
        change: Option<&crate::rescoring::ScoreChange>,
    ) -> Result<(), PlatformError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO snapshots (uscc, as_of, vals) VALUES ($1, $2, $3) \
             ON CONFLICT (uscc, as_of) DO UPDATE SET vals = excluded.vals",
        )
        .bind(snapshot.enterprise.as_str())
        .bind(snapshot.as_of.to_string())
        .bind(serde_json::to_string(&snapshot.values).expect("numbers serialise"))
        .execute(&mut *tx)
        .await?;
        if let Some(change) = change {
            crate::rescoring::record_change(&mut tx, &snapshot.enterprise, change).await?;
        }
        tx.commit().await?;
        // The latest is the newest date: a snapshot recomputed for an older date than a
        // stored one does not replace the latest.
        let mut cache = self.cache.write().expect("snapshot cache");
        cache.scores.remove(&snapshot.enterprise);
        cache.stored += 1;
        // (An enterprise not cached is read from the database when next asked for.)
        let newer = match cache.latest.get(&snapshot.enterprise) {
            Some(Some(cached)) => cached.as_of <= snapshot.as_of,
            Some(None) => true,
            None => false,
        };
        if newer {
            cache
                .latest
                .insert(snapshot.enterprise.clone(), Some(Arc::new(snapshot)));
        }
        Ok(())
    }

    /// The latest snapshot of an enterprise, if it has one.
    pub async fn latest(&self, enterprise: &Uscc) -> Result<Option<Arc<Snapshot>>, PlatformError> {
        if let Some(hit) = self
            .cache
            .read()
            .expect("snapshot cache")
            .latest
            .get(enterprise)
        {
            return Ok(hit.clone());
        }
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT as_of, vals FROM snapshots WHERE uscc = $1 ORDER BY as_of DESC LIMIT 1",
        )
        .bind(enterprise.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let snap = row
            .map(|(as_of, vals)| parse(enterprise, &as_of, &vals))
            .transpose()?
            .map(Arc::new);
        // A snapshot stored while this one was read wins: never overwrite a cached entry
        // with what may be an older read.
        Ok(self
            .cache
            .write()
            .expect("snapshot cache")
            .latest
            .entry(enterprise.clone())
            .or_insert(snap)
            .clone())
    }

    /// `model`'s answer on the latest snapshot of each enterprise (in order; `None` for one
    /// without a snapshot). Answers are kept until the enterprise is rescored, snapshots are
    /// loaded or the model changes; those not kept are read in bulk and scored, without
    /// caching the snapshots themselves.
    pub async fn latest_scores(
        &self,
        enterprises: &[Uscc],
        model: &crate::registry::Published,
    ) -> Result<Vec<Option<Scored>>, PlatformError> {
        // Every answer kept under this model: read under the shared lock only.
        {
            let cache = self.cache.read().expect("snapshot cache");
            if cache.scored_with == model.version {
                let kept: Option<Vec<Option<Scored>>> = enterprises
                    .iter()
                    .map(|e| cache.scores.get(e).copied())
                    .collect();
                if let Some(answers) = kept {
                    return Ok(answers);
                }
            }
        }
        let (missing, stored) = {
            let mut cache = self.cache.write().expect("snapshot cache");
            if cache.scored_with != model.version {
                cache.scores.clear();
                cache.scored_with = model.version.clone();
            }
            let missing: Vec<Uscc> = enterprises
                .iter()
                .filter(|e| !cache.scores.contains_key(*e))
                .cloned()
                .collect();
            (missing, cache.stored)
        };
        let mut found: HashMap<Uscc, Option<Scored>> = HashMap::with_capacity(missing.len());
        for chunk in missing.chunks(SCORE_CHUNK) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            // Built from a constant and numbered placeholders only: no value is spliced in.
            let sql = format!(
                "SELECT s.uscc, s.as_of, s.vals FROM snapshots s WHERE s.uscc IN ({}) \
                 AND s.as_of = (SELECT MAX(l.as_of) FROM snapshots l WHERE l.uscc = s.uscc)",
                marks.join(", ")
            );
            let mut q = sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q.bind(e.as_str());
            }
            let rows = q.fetch_all(&self.pool).await?;
            for e in chunk {
                found.insert(e.clone(), None);
            }
            for (uscc, as_of, vals) in &rows {
                let Ok(enterprise) = uscc.parse::<Uscc>() else {
                    continue;
                };
                // One unreadable snapshot leaves its enterprise unscored, not the portfolio.
                let snapshot = match parse(&enterprise, as_of, vals) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(error = %e, "a stored snapshot does not parse");
                        continue;
                    }
                };
                let value = |name: &str| snapshot.values.get(name).copied().flatten();
                // Nor does one the model cannot score (a feature it needs is not in the
                // snapshot): it is counted as not scored; its own score query says why.
                let row = match model.model.score_one(
                    value,
                    |name| snapshot.values.contains_key(name),
                    0,
                ) {
                    Ok(row) => row,
                    Err(e) => {
                        tracing::warn!(enterprise = %enterprise, error = %e, "a snapshot the champion cannot score");
                        continue;
                    }
                };
                found.insert(
                    enterprise,
                    Some(Scored {
                        as_of: snapshot.as_of,
                        score: row.score,
                        pd: row.pd,
                        grade: row.grade,
                    }),
                );
            }
        }
        let mut cache = self.cache.write().expect("snapshot cache");
        let keep = cache.stored == stored && cache.scored_with == model.version;
        let answers = enterprises
            .iter()
            .map(|e| {
                found
                    .get(e)
                    .copied()
                    .or_else(|| cache.scores.get(e).copied())
                    .flatten()
            })
            .collect();
        if keep {
            cache.scores.extend(found);
        }
        Ok(answers)
    }

    /// The enterprise's snapshot of one date, if there is one.
    pub async fn at(
        &self,
        enterprise: &Uscc,
        as_of: &str,
    ) -> Result<Option<Snapshot>, PlatformError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT as_of, vals FROM snapshots WHERE uscc = $1 AND as_of = $2")
                .bind(enterprise.as_str())
                .bind(as_of)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(as_of, vals)| parse(enterprise, &as_of, &vals))
            .transpose()
    }

    /// Every snapshot of an enterprise, oldest first (its score history).
    pub async fn history(&self, enterprise: &Uscc) -> Result<Vec<Snapshot>, PlatformError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT as_of, vals FROM snapshots WHERE uscc = $1 ORDER BY as_of")
                .bind(enterprise.as_str())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|(as_of, vals)| parse(enterprise, as_of, vals))
            .collect()
    }
}

fn parse(enterprise: &Uscc, as_of: &str, vals: &str) -> Result<Snapshot, PlatformError> {
    let bad = |e: String| {
        PlatformError::Conflict(format!(
            "stored snapshot of {enterprise} as of {as_of}: {e}"
        ))
    };
    Ok(Snapshot {
        enterprise: enterprise.clone(),
        as_of: as_of
            .parse()
            .map_err(|e: chrono::ParseError| bad(e.to_string()))?,
        values: serde_json::from_str(vals).map_err(|e| bad(e.to_string()))?,
    })
}

/// Snapshots from an indicator table (`uscc` and one numeric column per indicator, as
/// `xinrong indicators` writes), with every row whose USCC is invalid listed by the file's
/// line. A `bad` label column, if present, is not an indicator and is left out.
pub fn read_snapshots(
    path: &std::path::Path,
    as_of: NaiveDate,
) -> Result<(Vec<Snapshot>, Vec<String>), PlatformError> {
    use xinrong_tabular::{ColumnData, ReadOptions, read_table};
    let table = read_table(
        path,
        &ReadOptions {
            text_columns: vec!["uscc".into()],
            required: vec!["uscc".into()],
            ..ReadOptions::default()
        },
    )
    .map_err(|e| PlatformError::invalid("file", e.to_string()))?;
    let ids = match &table.column("uscc").expect("required above").data {
        ColumnData::Text { codes, levels } => codes
            .iter()
            .map(|&c| levels.get(c as usize).cloned().unwrap_or_default())
            .collect::<Vec<_>>(),
        ColumnData::Numeric(_) => unreachable!("declared a text column"),
    };
    let numeric: Vec<(&str, &Vec<f64>)> = table
        .columns
        .iter()
        .filter(|c| c.name != "uscc" && c.name != "bad")
        .filter_map(|c| match &c.data {
            ColumnData::Numeric(v) => Some((c.name.as_str(), v)),
            ColumnData::Text { .. } => None,
        })
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    let mut rejected = Vec::new();
    for (row, id) in ids.iter().enumerate() {
        match id.parse() {
            Ok(enterprise) => out.push(Snapshot {
                enterprise,
                as_of,
                values: numeric
                    .iter()
                    .map(|(n, v)| (n.to_string(), Some(v[row]).filter(|x| x.is_finite())))
                    .collect(),
            }),
            Err(e) => rejected.push(format!(
                "{}: line {}: uscc {id:?}: {e}",
                path.display(),
                row + 2
            )),
        }
    }
    if out.is_empty() {
        return Err(PlatformError::invalid(
            "file",
            format!("{}: no row with a valid USCC", path.display()),
        ));
    }
    Ok((out, rejected))
}
