//! Guarantee agreements' positions in memory, and the writer that stores guarantees.
//!
//! An automatic guarantee must be decided against the agreement's position as it stands
//! (capacity, the firm's cap, the compensation rate), and two guarantees must never both take
//! the last room. Deciding under a lock that is held through the ledger's fsync and the
//! database's commit made a bank's guarantees one at a time (≈ 300 a second). Here the lock
//! covers only the decision in memory: the reservation, the ledger submission and the
//! hand-over to one writer task, in that order. The writer stores guarantees in group commits,
//! and with each batch the position of each agreement as it stood after the batch's last
//! guarantee of it. Because guarantees reach the writer in the order they were reserved, a
//! stored position counts exactly the stored guarantees, whatever crashes. A batch is
//! committed while the ledger makes its entries durable, so a guarantee waits for one round
//! of durable writes, not two in a row; a crash between the two leaves records whose entry
//! was lost, which the next open of the ledger moves aside, giving their agreement's position
//! back what they counted ([`crate::journal::open_ledger`]).
//!
//! When a batch cannot be logged or stored, the positions in memory count guarantees that will
//! never exist: the writer moves to a new generation, refuses every guarantee reserved in the
//! old one, and each position is read again from the store once nothing is in flight.
//! Loan events that change a position (a release, a compensation, a recovery) wait until
//! nothing is in flight ([`Platform::settled_position`]) and write it in their own transaction.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sqlx::AnyPool;
use tokio::sync::{OwnedMutexGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, mpsc, oneshot};
use xinrong_credit::Standing;
use xinrong_ledger::{Pending, Receipt};

use crate::error::PlatformError;
use crate::group_commit::{Inserts, Row};
use crate::guarantees::Stored;
use crate::platform::Platform;
use crate::request_keys::RequestKeys;

/// Most guarantees in one commit.
const BATCH: usize = 256;

/// A guarantee as stored.
pub(crate) struct GuaranteeRow {
    pub(crate) guarantee_id: String,
    pub(crate) agreement_id: String,
    pub(crate) bank: String,
    pub(crate) request_key: String,
    pub(crate) decision_id: String,
    pub(crate) enterprise: String,
    pub(crate) result: &'static str,
    pub(crate) amount: String,
    /// The answer with its leaf, filled in once the ledger has it.
    pub(crate) answer: String,
    pub(crate) leaf_index: i64,
    pub(crate) created_ms: i64,
}

impl Row for GuaranteeRow {
    const INSERT: &'static str = "INSERT INTO guarantees (guarantee_id, agreement_id, bank, \
         request_key, decision_id, enterprise, result, amount, answer, leaf_index, created_ms)";
    const COLUMNS: usize = 11;
    fn bind<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        q.bind(self.guarantee_id.clone())
            .bind(self.agreement_id.clone())
            .bind(self.bank.clone())
            .bind(self.request_key.clone())
            .bind(self.decision_id.clone())
            .bind(self.enterprise.clone())
            .bind(self.result)
            .bind(self.amount.clone())
            .bind(self.answer.clone())
            .bind(self.leaf_index)
            .bind(self.created_ms)
    }
}

/// A guarantee decided in memory, its ledger entry submitted.
pub(crate) struct Reserved {
    pub(crate) row: GuaranteeRow,
    /// The answer, without its leaf.
    pub(crate) record: Value,
    pub(crate) pending: Pending,
    /// The request key's lock, let go once the guarantee is stored or refused.
    pub(crate) key_lock: OwnedMutexGuard<()>,
}

type Reply = oneshot::Sender<Result<(Value, Receipt), PlatformError>>;

struct Job {
    reserved: Reserved,
    /// The agreement's position after this guarantee, serialised.
    standing: String,
    generation: u64,
    /// Held until the guarantee is stored or refused: loan events wait for it.
    _in_flight: OwnedRwLockReadGuard<()>,
    reply: Reply,
}

/// What the callers and the writer share.
struct Shared {
    /// Moves on when a batch is lost: positions of an older generation are read again.
    generation: AtomicU64,
    /// Decisions guaranteed (or being), with the guarantee's id: one guarantee each.
    issued: Mutex<HashMap<String, String>>,
}

/// One agreement's position and what is in flight for it.
#[derive(Default)]
struct Slot {
    position: Arc<tokio::sync::Mutex<Option<Position>>>,
    in_flight: Arc<tokio::sync::RwLock<()>>,
}

struct Position {
    stored: Option<Stored>,
    generation: u64,
}

/// The guarantees' state in memory: positions, request keys, guaranteed decisions, and the
/// writer's queue.
pub(crate) struct GuaranteeBook {
    shared: Arc<Shared>,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    /// Request keys answered, and their locks.
    pub(crate) keys: RequestKeys,
    jobs: mpsc::UnboundedSender<Job>,
}

impl GuaranteeBook {
    /// Loads the request keys and guaranteed decisions and starts the writer.
    pub(crate) async fn load(pool: &AnyPool) -> Result<GuaranteeBook, PlatformError> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT bank, request_key, decision_id, guarantee_id, result FROM guarantees",
        )
        .fetch_all(pool)
        .await?;
        let keys = RequestKeys::new(rows.iter().map(|(b, k, ..)| (b.as_str(), k.as_str())));
        let issued = rows
            .into_iter()
            .filter(|r| r.4 == "issued")
            .map(|(_, _, d, g, _)| (d, g))
            .collect();
        let shared = Arc::new(Shared {
            generation: AtomicU64::new(0),
            issued: Mutex::new(issued),
        });
        let (jobs, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(pool.clone(), rx, Arc::clone(&shared)));
        Ok(GuaranteeBook {
            shared,
            slots: Mutex::default(),
            keys,
            jobs,
        })
    }

    /// The guarantee of a decision, if it has one (or one is being stored).
    pub(crate) fn issued_for(&self, decision_id: &str) -> Option<String> {
        self.shared
            .issued
            .lock()
            .expect("issued guarantees")
            .get(decision_id)
            .cloned()
    }

    /// Marks a decision guaranteed by `guarantee_id`, unless it already is (then its
    /// guarantee).
    pub(crate) fn claim(&self, decision_id: &str, guarantee_id: &str) -> Result<(), String> {
        let mut issued = self.shared.issued.lock().expect("issued guarantees");
        if let Some(g) = issued.get(decision_id) {
            return Err(g.clone());
        }
        issued.insert(decision_id.to_string(), guarantee_id.to_string());
        Ok(())
    }

    fn slot(&self, agreement_id: &str) -> Arc<Slot> {
        Arc::clone(
            self.slots
                .lock()
                .expect("agreement slots")
                .entry(agreement_id.to_string())
                .or_default(),
        )
    }
}

/// An agreement's position, locked.
pub(crate) struct PositionGuard<'a> {
    book: &'a GuaranteeBook,
    position: OwnedMutexGuard<Option<Position>>,
    in_flight: Arc<tokio::sync::RwLock<()>>,
    /// Held by loan events: nothing of this agreement is in flight.
    settled: Option<OwnedRwLockWriteGuard<()>>,
}

impl PositionGuard<'_> {
    /// The agreement and its position (`None`: no such agreement).
    pub(crate) fn current(&self) -> Option<&Stored> {
        self.position.as_ref().and_then(|p| p.stored.as_ref())
    }

    pub(crate) fn current_mut(&mut self) -> Option<&mut Stored> {
        self.position.as_mut().and_then(|p| p.stored.as_mut())
    }

    /// Replaces the position once a loan event that changed it is stored.
    pub(crate) fn set(&mut self, standing: Standing) {
        if let Some(s) = self.current_mut() {
            s.standing = standing;
        }
    }

    /// Hands a guarantee reserved in this position to the writer; the future answers once it
    /// is stored (or refused).
    pub(crate) fn write(
        &mut self,
        reserved: Reserved,
    ) -> impl Future<Output = Result<(Value, Receipt), PlatformError>> + use<> {
        let (reply, answer) = oneshot::channel();
        let position = self.position.as_ref().expect("a loaded position");
        let standing = position
            .stored
            .as_ref()
            .map(|s| serde_json::to_string(&s.standing).expect("standing serialises"))
            .unwrap_or_default();
        let in_flight = Arc::clone(&self.in_flight)
            .try_read_owned()
            .expect("no loan event holds a position that is locked for a guarantee");
        let sent = self.book.jobs.send(Job {
            reserved,
            standing,
            generation: position.generation,
            _in_flight: in_flight,
            reply,
        });
        async move {
            if sent.is_err() {
                return Err(writer_gone());
            }
            answer.await.map_err(|_| writer_gone())?
        }
    }

    /// Forgets a reservation that was never handed to the writer: the position is read
    /// again, and the decision (with the guarantee that claimed it) may be guaranteed again.
    pub(crate) fn discard(&mut self, claimed: Option<(&str, &str)>) {
        *self.position = None;
        if let Some((decision_id, guarantee_id)) = claimed {
            unclaim(&self.book.shared, decision_id, guarantee_id);
        }
    }
}

fn writer_gone() -> PlatformError {
    PlatformError::Unavailable("the guarantee log is shutting down".into())
}

impl Platform {
    /// Locks an agreement's position for a guarantee, reading it from the store when it is
    /// not in memory or is of an older generation.
    pub(crate) async fn position(
        &self,
        agreement_id: &str,
    ) -> Result<PositionGuard<'_>, PlatformError> {
        self.lock_position(agreement_id, false).await
    }

    /// Locks an agreement's position once nothing of it is in flight: for loan events, which
    /// write the position in their own transaction.
    pub(crate) async fn settled_position(
        &self,
        agreement_id: &str,
    ) -> Result<PositionGuard<'_>, PlatformError> {
        self.lock_position(agreement_id, true).await
    }

    async fn lock_position(
        &self,
        agreement_id: &str,
        settle: bool,
    ) -> Result<PositionGuard<'_>, PlatformError> {
        let book = &self.guarantee_book;
        let slot = book.slot(agreement_id);
        let position = Arc::clone(&slot.position).lock_owned().await;
        let mut guard = PositionGuard {
            book,
            position,
            in_flight: Arc::clone(&slot.in_flight),
            settled: None,
        };
        let generation = book.shared.generation.load(Ordering::SeqCst);
        let stale = guard
            .position
            .as_ref()
            .is_none_or(|p| p.generation != generation);
        if settle || stale {
            // What is in flight is stored or refused before the store is read.
            guard.settled = Some(Arc::clone(&slot.in_flight).write_owned().await);
        }
        if stale {
            let generation = book.shared.generation.load(Ordering::SeqCst);
            let stored = self.stored_agreement(agreement_id).await?;
            if stored.is_none() {
                // No such agreement: no slot kept for it (ids that do not exist are free).
                let mut slots = book.slots.lock().expect("agreement slots");
                if slots
                    .get(agreement_id)
                    .is_some_and(|s| Arc::ptr_eq(s, &slot))
                {
                    slots.remove(agreement_id);
                }
            }
            *guard.position = Some(Position { stored, generation });
        }
        if !settle {
            guard.settled = None;
        }
        Ok(guard)
    }
}

/// A guarantee whose record is being committed while its entry is made durable.
struct Ready {
    row: GuaranteeRow,
    record: Value,
    standing: String,
    reply: Reply,
    /// The request key's lock and the in-flight mark, let go after the answer.
    _held: (OwnedMutexGuard<()>, OwnedRwLockReadGuard<()>),
}

/// Stores guarantees in group commits, each batch committed while the ledger makes the
/// batch's entries durable (a record carries the leaf its entry was given when it was
/// submitted). A guarantee is answered once both are done. A record whose entry is then lost
/// (the ledger stopped, or the process died) was never answered: it is moved aside, and its
/// agreement's position given back what it counted, when the ledger is next opened
/// ([`crate::journal::open_ledger`]).
async fn writer(pool: AnyPool, mut rx: mpsc::UnboundedReceiver<Job>, shared: Arc<Shared>) {
    let inserts = Inserts::<GuaranteeRow>::new();
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let generation = shared.generation.load(Ordering::SeqCst);
        let (mut ready, mut pendings) = (Vec::with_capacity(batch.len()), Vec::new());
        for job in batch.drain(..) {
            let Job {
                reserved,
                standing,
                generation: of,
                _in_flight,
                reply,
            } = job;
            let Reserved {
                mut row,
                mut record,
                pending,
                key_lock,
            } = reserved;
            if of != generation {
                // Reserved on a position that counted guarantees that will never be stored:
                // its entry says so in the ledger, without a record (nobody is answered).
                refuse(&shared, &row, reply, retry());
                continue;
            }
            record["leaf_index"] = json!(pending.index());
            row.answer = record.to_string();
            row.leaf_index = pending.index() as i64;
            pendings.push(pending);
            ready.push(Ready {
                row,
                record,
                standing,
                reply,
                _held: (key_lock, _in_flight),
            });
        }
        if ready.is_empty() {
            continue;
        }
        let receipts = async {
            let mut out = Vec::with_capacity(pendings.len());
            for p in pendings {
                out.push(p.receipt().await);
            }
            out
        };
        let stored = async {
            let mut tx = pool.begin().await?;
            let rows: Vec<&GuaranteeRow> = ready.iter().map(|r| &r.row).collect();
            inserts.run(&mut tx, &rows).await?;
            // Each agreement's position after its last guarantee in the batch.
            let mut last: HashMap<&str, &str> = HashMap::new();
            for r in &ready {
                last.insert(&r.row.agreement_id, &r.standing);
            }
            for (agreement, standing) in last {
                sqlx::query(
                    "UPDATE guarantee_agreements SET standing = $1 WHERE agreement_id = $2",
                )
                .bind(standing)
                .bind(agreement)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        };
        let (receipts, stored) = tokio::join!(receipts, stored);
        if let Err(e) = stored {
            // The entries are in the ledger without records: nobody is answered.
            tracing::error!(error = %e, records = ready.len(), "guarantees not stored");
            shared.generation.fetch_add(1, Ordering::SeqCst);
            for r in ready {
                let err = PlatformError::Unavailable(format!("guarantee not stored: {e}"));
                refuse(&shared, &r.row, r.reply, err);
            }
            continue;
        }
        if receipts.iter().any(Result::is_err) {
            // The ledger stopped, so nothing more is guaranteed in this process (`writable`
            // refuses, and so does the ledger). The stored positions count the records without
            // an entry until the next open moves them aside and gives their room back.
            shared.generation.fetch_add(1, Ordering::SeqCst);
        }
        for (r, receipt) in ready.into_iter().zip(receipts) {
            match receipt {
                Ok(receipt) => {
                    let _ = r.reply.send(Ok((r.record, receipt)));
                }
                Err(e) => refuse(&shared, &r.row, r.reply, e.into()),
            }
        }
    }
}

fn retry() -> PlatformError {
    PlatformError::Unavailable(
        "the agreement's position was read again after a failed write; ask again".into(),
    )
}

/// Answers a guarantee that will not be stored; its decision may be guaranteed again.
fn refuse(shared: &Shared, row: &GuaranteeRow, reply: Reply, error: PlatformError) {
    if row.result == "issued" {
        unclaim(shared, &row.decision_id, &row.guarantee_id);
    }
    let _ = reply.send(Err(error));
}

/// Undoes [`GuaranteeBook::claim`] of a guarantee that will not exist.
fn unclaim(shared: &Shared, decision_id: &str, guarantee_id: &str) {
    let mut issued = shared.issued.lock().expect("issued guarantees");
    if issued.get(decision_id).is_some_and(|g| g == guarantee_id) {
        issued.remove(decision_id);
    }
}
