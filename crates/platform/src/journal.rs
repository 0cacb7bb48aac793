//! Keeping the ledger and the records in step.
//!
//! **Admin actions** (an institution added, a key issued or revoked, the champion changed)
//! are committed to the database together with their ledger entry, which waits in
//! `ledger_outbox`. Whoever holds the ledger (the server, or an admin command when no server
//! runs) appends the waiting entries in order and moves each to `admin_actions` with its leaf:
//! key management is as auditable as queries, even when done beside a running server.
//!
//! **Records written beside their entry.** Score queries, financing answers and credit
//! decisions are committed while their ledger entry is being made durable, not after it, so an
//! answer waits for one durable write instead of two in a row. Each record carries the index
//! its entry was given when submitted. A crash (or a failed ledger write) can leave a record
//! whose entry never became durable: its caller was never answered, and after recovery its
//! index would be given to another entry. Such records are moved to `unlogged_records` when
//! the ledger is opened, before anything new is appended ([`open_ledger`]).
//!
//! **Reconciliation.** Answers are given only once the ledger entry is durable and the record
//! committed; a crash after the entry and before the record leaves an entry no caller holds a
//! receipt for.
//! Entries are checked against the records some time after they were written: one whose record
//! never landed is listed in `unacknowledged_entries` and named in an `entries_unacknowledged`
//! ledger entry, so an audit can tell them apart from answered ones. An admin entry that was
//! appended but not yet moved out of the outbox is moved then, never appended twice.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use sqlx::AnyPool;
use xinrong_ledger::{Entry, Ledger, Pending, Receipt};

use crate::error::PlatformError;
use crate::ids::{new_id, now_ms, rfc3339};
use crate::registry::generation;

/// Entries read from the ledger per reconciliation step.
const CHUNK: u64 = 20_000;

/// A waiting admin entry, built by the caller and committed with its change.
pub(crate) struct Action {
    pub action_id: String,
    pub kind: &'static str,
    pub by: String,
    pub entry: Entry,
}

impl Action {
    /// A fresh action id and the current time, for building the entry.
    pub(crate) fn stamp() -> (String, String) {
        (new_id("a"), rfc3339(now_ms()))
    }
}

/// Adds `action` to the outbox inside the caller's transaction.
pub(crate) async fn enqueue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    action: &Action,
) -> Result<(), PlatformError> {
    sqlx::query(
        "INSERT INTO ledger_outbox (action_id, kind, by_whom, entry, created_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&action.action_id)
    .bind(action.kind)
    .bind(&action.by)
    .bind(action.entry.to_canonical())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One recorded admin action.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminAction {
    /// Platform id of the action.
    pub action_id: String,
    /// `institution_added`, `key_issued`, `key_revoked` or `champion_changed`.
    pub kind: String,
    /// Who did it.
    pub by: String,
    /// Ledger leaf of its entry (`null` while it waits for the ledger's holder).
    pub leaf: Option<u64>,
    /// When (RFC 3339).
    pub time: String,
}

/// Appends every waiting admin entry to the ledger, oldest first; the receipts of those it
/// appended, by action id.
pub async fn drain(
    pool: &AnyPool,
    ledger: &Ledger,
) -> Result<Vec<(String, Receipt)>, PlatformError> {
    let waiting: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT action_id, kind, by_whom, entry, created_ms FROM ledger_outbox ORDER BY created_ms, action_id",
    )
    .fetch_all(pool)
    .await?;
    // Submitted all at once, in order, so the ledger commits them in groups; then each is
    // recorded as its receipt arrives.
    let mut submitted = Vec::with_capacity(waiting.len());
    for (action_id, kind, by, entry, created_ms) in waiting {
        let pending = ledger.submit(entry.clone())?;
        submitted.push((pending, action_id, kind, by, entry, created_ms));
    }
    let mut done = Vec::with_capacity(submitted.len());
    for (pending, action_id, kind, by, entry, created_ms) in submitted {
        let receipt = pending.receipt().await?;
        record(
            pool,
            &action_id,
            &kind,
            &by,
            &entry,
            receipt.leaf_index,
            created_ms,
        )
        .await?;
        done.push((action_id, receipt));
    }
    Ok(done)
}

/// Moves an appended action from the outbox to the record, once.
async fn record(
    pool: &AnyPool,
    action_id: &str,
    kind: &str,
    by: &str,
    entry: &str,
    leaf: u64,
    created_ms: i64,
) -> Result<(), PlatformError> {
    let mut tx = pool.begin().await?;
    let moved = sqlx::query("DELETE FROM ledger_outbox WHERE action_id = $1")
        .bind(action_id)
        .execute(&mut *tx)
        .await?;
    if moved.rows_affected() == 1 {
        sqlx::query(
            "INSERT INTO admin_actions (action_id, kind, by_whom, entry, leaf, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(action_id)
        .bind(kind)
        .bind(by)
        .bind(entry)
        .bind(leaf as i64)
        .bind(created_ms)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Admin actions, newest first (those still waiting for the ledger first of all).
pub async fn actions(pool: &AnyPool, limit: i64) -> Result<Vec<AdminAction>, PlatformError> {
    let rows: Vec<(String, String, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT action_id, kind, by_whom, leaf, created_ms FROM ( \
           SELECT action_id, kind, by_whom, leaf, created_ms FROM admin_actions \
           UNION ALL SELECT action_id, kind, by_whom, NULL, created_ms FROM ledger_outbox) a \
         ORDER BY created_ms DESC, action_id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(action_id, kind, by, leaf, ms)| AdminAction {
            action_id,
            kind,
            by,
            leaf: leaf.map(|l| l as u64),
            time: rfc3339(ms),
        })
        .collect())
}

/// An entry whose request was never answered.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Unacknowledged {
    /// Its leaf.
    pub leaf: u64,
    /// Its kind.
    pub kind: String,
    /// The id it names (query, consent, model version, asset).
    pub ref_id: String,
    /// When the platform found it.
    pub noted: String,
    /// Leaf of the `entries_unacknowledged` entry that names it.
    pub note_leaf: Option<u64>,
}

/// Every unacknowledged entry, by leaf.
pub async fn unacknowledged(pool: &AnyPool) -> Result<Vec<Unacknowledged>, PlatformError> {
    let rows: Vec<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT leaf, kind, ref_id, noted_ms, note_leaf FROM unacknowledged_entries ORDER BY leaf",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(leaf, kind, ref_id, ms, note)| Unacknowledged {
            leaf: leaf as u64,
            kind,
            ref_id,
            noted: rfc3339(ms),
            note_leaf: note.map(|n| n as u64),
        })
        .collect())
}

/// What an entry expects to find in the records, if anything.
enum Expect {
    /// A record keyed by the entry's leaf (query, consent, model, upload).
    Record { kind: &'static str, ref_id: String },
    /// An admin action that may still be in the outbox.
    Admin { action_id: String },
    /// Nothing: entries written by other tools (`xinrong ledger register`), notes, foreign.
    Nothing,
}

fn expect(entry: &str) -> Expect {
    let record = |kind, ref_id: &str| Expect::Record {
        kind,
        ref_id: ref_id.to_string(),
    };
    match Entry::parse(entry) {
        Ok(Entry::ScoreQuery { query_id, .. }) => record("score_query", &query_id),
        Ok(Entry::FinancingQuery { query_id, .. }) => record("financing_query", &query_id),
        Ok(Entry::ConsentGranted { consent_id, .. }) => record("consent_granted", &consent_id),
        Ok(Entry::ConsentRevoked { consent_id, .. }) => record("consent_revoked", &consent_id),
        Ok(Entry::ModelPublished { model_version, .. }) => {
            record("model_published", &model_version)
        }
        // Uploads through the platform name their asset `d_<hex>-<source>`; other data-asset
        // registrations come from `xinrong ledger register` and have no record.
        Ok(Entry::DataAssetRegistered { dataset, .. })
            if dataset.starts_with("d_") && dataset.contains('-') =>
        {
            record("data_asset_registered", &dataset)
        }
        Ok(
            Entry::InstitutionAdded { action_id, .. }
            | Entry::KeyIssued { action_id, .. }
            | Entry::KeyRevoked { action_id, .. }
            | Entry::ChampionChanged { action_id, .. },
        ) => Expect::Admin { action_id },
        _ => Expect::Nothing,
    }
}

/// Awaits a ledger entry and the commit of the record written beside it, together; the
/// entry's receipt once both are done. A record stored when its entry failed is moved aside at
/// the next open ([`open_ledger`]): the ledger stops at its first failed write.
pub(crate) async fn beside_the_ledger(
    pending: Pending,
    stored: impl Future<Output = Result<(), PlatformError>>,
) -> Result<Receipt, PlatformError> {
    let (receipt, stored) = tokio::join!(pending.receipt(), stored);
    let receipt = receipt?;
    stored?;
    Ok(receipt)
}

/// A fresh receipt for a record written beside its entry: a record can be read (a retried
/// request key, a listing) in the moment between its commit and its entry's.
pub(crate) async fn receipt_beside(ledger: &Ledger, leaf: u64) -> Result<Receipt, PlatformError> {
    ledger.durable(leaf).await?;
    Ok(ledger.receipt(leaf)?)
}

/// Tables whose records are committed beside their ledger entry: the record's kind, table,
/// id column, leaf column and body column.
const WRITTEN_BESIDE: [(&str, &str, &str, &str, &str); 3] = [
    ("score_query", "score_queries", "id", "leaf", "result"),
    (
        "credit_decision",
        "credit_decisions",
        "decision_id",
        "leaf_index",
        "answer",
    ),
    (
        "guarantee",
        "guarantees",
        "guarantee_id",
        "leaf_index",
        "answer",
    ),
];

/// Opens (or, in a new data directory, creates) the platform's ledger in `dir` and moves the
/// records whose entry did not become durable out of the way ([`move_unlogged`]) before the
/// platform appends anything.
pub async fn open_ledger(pool: &AnyPool, dir: &Path) -> Result<Ledger, PlatformError> {
    let dir = dir.to_path_buf();
    let (ledger, created) =
        tokio::task::spawn_blocking(move || Ledger::open_or_create(&dir, crate::LEDGER_NAME))
            .await
            .map_err(|e| PlatformError::Unavailable(format!("opening the ledger: {e}")))??;
    move_unlogged(pool, &ledger, created).await?;
    Ok(ledger)
}

/// Moves the records written beside a ledger entry that did not become durable to
/// `unlogged_records`: their callers were never answered. Such a record's leaf is past the
/// recovered log's end, or (when something else appended to the log before this open, such as
/// `xinrong admin` or `xinrong ledger register`) holds another entry. Only records the journal
/// has not yet reconciled are looked at. Returns how many were moved. A database that cannot
/// be this ledger's is refused and nothing is moved: records but a new ledger, or a
/// reconciliation already past the ledger's end.
async fn move_unlogged(
    pool: &AnyPool,
    ledger: &Ledger,
    created: bool,
) -> Result<u64, PlatformError> {
    let size = ledger.size();
    let foreign = |why: String| {
        PlatformError::Conflict(format!(
            "{why}: is this the ledger of this database? Nothing was changed"
        ))
    };
    let reconciled = generation(pool, "reconciled").await?.max(0) as u64;
    if reconciled > size {
        return Err(foreign(format!(
            "the database reconciled {reconciled} ledger entries but the ledger holds {size}"
        )));
    }
    let mut tx = pool.begin().await?;
    let (mut moved, moved_ms) = (0, now_ms());
    for (kind, table, id, leaf, body) in WRITTEN_BESIDE {
        let recent: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {id}, {leaf} FROM {table} WHERE {leaf} >= $1"
        )))
        .bind(reconciled as i64)
        .fetch_all(&mut *tx)
        .await?;
        let mut unlogged = Vec::new();
        for (record, at) in recent {
            let at = at as u64;
            if at >= size || !ledger.entry(at)?.contains(&format!("\"{record}\"")) {
                unlogged.push(record);
            }
        }
        if unlogged.is_empty() {
            continue;
        }
        if unlogged.len() as u64 > xinrong_ledger::MAX_IN_FLIGHT {
            return Err(foreign(format!(
                "{} records of {table} have no entry, more than can have been in flight",
                unlogged.len()
            )));
        }
        if created {
            return Err(foreign(format!(
                "the ledger was just created but {table} holds {} records",
                unlogged.len()
            )));
        }
        if table == "guarantees" {
            // Their agreements' positions counted them.
            crate::guarantees::withdraw(&mut tx, &unlogged).await?;
        }
        for record in &unlogged {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO unlogged_records (kind, record_id, leaf, body, moved_ms) \
                 SELECT $1, {id}, {leaf}, {body}, $2 FROM {table} WHERE {id} = $3"
            )))
            .bind(kind)
            .bind(moved_ms)
            .bind(record)
            .execute(&mut *tx)
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE {id} = $1"
            )))
            .bind(record)
            .execute(&mut *tx)
            .await?;
        }
        moved += unlogged.len() as u64;
    }
    tx.commit().await?;
    if moved > 0 {
        tracing::warn!(
            moved,
            ledger_size = size,
            "moved records whose ledger entry was not durable when the process stopped (never answered) to unlogged_records"
        );
    }
    Ok(moved)
}

/// Leaves in `[from, to)` that have a record.
async fn recorded_leaves(
    pool: &AnyPool,
    from: u64,
    to: u64,
) -> Result<HashSet<u64>, PlatformError> {
    let mut out = HashSet::new();
    for sql in [
        "SELECT leaf FROM score_queries WHERE leaf >= $1 AND leaf < $2",
        "SELECT grant_leaf FROM consents WHERE grant_leaf >= $1 AND grant_leaf < $2",
        "SELECT revoke_leaf FROM consents WHERE revoke_leaf >= $1 AND revoke_leaf < $2",
        "SELECT leaf FROM models WHERE leaf >= $1 AND leaf < $2",
        "SELECT leaf FROM data_assets WHERE leaf >= $1 AND leaf < $2",
    ] {
        let rows: Vec<(i64,)> = sqlx::query_as(sql)
            .bind(from as i64)
            .bind(to as i64)
            .fetch_all(pool)
            .await?;
        out.extend(rows.into_iter().map(|r| r.0 as u64));
    }
    Ok(out)
}

/// Reconciles the entries from the last reconciled one up to `upto` (exclusive); the
/// unacknowledged entries it found.
pub async fn reconcile(
    pool: &AnyPool,
    ledger: &Arc<Ledger>,
    upto: u64,
) -> Result<Vec<Unacknowledged>, PlatformError> {
    let mut from = generation(pool, "reconciled").await?.max(0) as u64;
    let upto = upto.min(ledger.size());
    let mut found = Vec::new();
    while from < upto {
        let to = (from + CHUNK).min(upto);
        let reader = Arc::clone(ledger);
        let entries = tokio::task::spawn_blocking(move || {
            (from..to)
                .map(|i| reader.entry(i).map(|e| (i, e)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| PlatformError::Unavailable(format!("reading the ledger: {e}")))??;
        let recorded = recorded_leaves(pool, from, to).await?;
        let mut missing = Vec::new();
        for (leaf, entry) in entries {
            match expect(&entry) {
                Expect::Record { kind, ref_id } if !recorded.contains(&leaf) => {
                    missing.push((leaf, kind, ref_id));
                }
                Expect::Admin { action_id } => {
                    let waiting: Option<(String, String, i64)> = sqlx::query_as(
                        "SELECT kind, by_whom, created_ms FROM ledger_outbox WHERE action_id = $1",
                    )
                    .bind(&action_id)
                    .fetch_optional(pool)
                    .await?;
                    if let Some((kind, by, created_ms)) = waiting {
                        record(pool, &action_id, &kind, &by, &entry, leaf, created_ms).await?;
                    }
                }
                _ => {}
            }
        }
        if !missing.is_empty() {
            found.extend(note_missing(pool, ledger, &missing).await?);
        }
        sqlx::query("UPDATE generations SET n = $1 WHERE name = 'reconciled' AND n < $1")
            .bind(to as i64)
            .execute(pool)
            .await?;
        from = to;
    }
    Ok(found)
}

/// Records unacknowledged entries and names them in one ledger entry.
async fn note_missing(
    pool: &AnyPool,
    ledger: &Ledger,
    missing: &[(u64, &'static str, String)],
) -> Result<Vec<Unacknowledged>, PlatformError> {
    let noted_ms = now_ms();
    let note = Entry::EntriesUnacknowledged {
        leaves: missing.iter().map(|m| m.0).collect(),
        reason: "logged, but the process stopped (or its store failed) before the record was \
                 committed: no answer was given"
            .into(),
        time: rfc3339(noted_ms),
    };
    let receipt = ledger.submit(note.to_canonical())?.receipt().await?;
    let mut tx = pool.begin().await?;
    let mut out = Vec::with_capacity(missing.len());
    for (leaf, kind, ref_id) in missing {
        sqlx::query(
            "INSERT INTO unacknowledged_entries (leaf, kind, ref_id, noted_ms, note_leaf) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (leaf) DO NOTHING",
        )
        .bind(*leaf as i64)
        .bind(*kind)
        .bind(ref_id)
        .bind(noted_ms)
        .bind(receipt.leaf_index as i64)
        .execute(&mut *tx)
        .await?;
        out.push(Unacknowledged {
            leaf: *leaf,
            kind: kind.to_string(),
            ref_id: ref_id.clone(),
            noted: rfc3339(noted_ms),
            note_leaf: Some(receipt.leaf_index),
        });
    }
    tx.commit().await?;
    tracing::warn!(
        entries = missing.len(),
        note_leaf = receipt.leaf_index,
        "ledger entries without a record (unanswered requests) noted as unacknowledged"
    );
    Ok(out)
}

/// How many admin entries wait for the ledger.
pub async fn waiting(pool: &AnyPool) -> Result<(i64,), PlatformError> {
    Ok(sqlx::query_as("SELECT COUNT(*) FROM ledger_outbox")
        .fetch_one(pool)
        .await?)
}
