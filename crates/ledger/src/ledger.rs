//! The log as a running service: one committer thread appends batches of entries
//! (group commit: one set of fsyncs and one signed checkpoint per batch) while any number
//! of threads submit entries and read proofs.
//!
//! A batch is acknowledged once its entries are durable and its checkpoint is signed: one
//! flush of `entries.log`, made by the committer itself. The files derived from the entries
//! (`entries.idx`, `tree.hashes`) and the checkpoint lines are flushed by a second thread
//! every [`DERIVED_FLUSH_EVERY`], which then moves `derived.mark` (see [`crate::mark`]). A
//! crash in between loses no acknowledged entry: the entries are on disk, recovery derives
//! what the other files lack from them, and opening the log signs a checkpoint of every intact
//! entry, from which the log proves consistency with the checkpoint the receipt carried (an
//! Ed25519 log signs the very same note again).

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

use crate::error::LedgerError;
use crate::keys::{SigningKey, VerifierKey};
use crate::layout::{Layout, LogConfig, key_mismatch};
use crate::mark::Mark;
use crate::note::Checkpoint;
use crate::proof::{Edge, TreeAt};
use crate::receipt::Receipt;
use crate::store::{
    EntryFile, MAX_ENTRY_BYTES, NodeFile, Record, Recovery, append_handle, checkpoint_line,
    last_checkpoint, recover,
};
use crate::suite::{Hash, Suite};
use crate::tree::{Frontier, node_count};

/// How often the derived files and checkpoint lines are flushed while entries arrive: it
/// bounds how much recovery derives again after a power loss, not what a crash can lose.
pub const DERIVED_FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Most entries committed in one batch; bounds the latency one batch adds.
const MAX_BATCH: usize = 4096;
/// Submissions waiting beyond this block their submitters (back-pressure).
const QUEUE_DEPTH: usize = 1 << 16;
/// Most entries submitted but not yet durable at any time (queued, in the batch being
/// committed, or held by the one submitter waiting for room): after a crash, at most this many
/// submitted indices are given again.
pub const MAX_IN_FLIGHT: u64 = (QUEUE_DEPTH + MAX_BATCH + 1) as u64;

/// The latest signed checkpoint, as issued.
#[derive(Clone, Debug)]
pub struct SignedCheckpoint {
    /// The full signed note text.
    pub note: String,
    /// Its parsed content.
    pub checkpoint: Checkpoint,
}

/// Read access to a log: checkpoints, entries and proofs. Any number of readers may look
/// at a log while its one [`Ledger`] writer appends; a reader opened on its own sees the
/// log as of its last [`Reader::refresh`].
pub struct Reader {
    layout: Layout,
    config: LogConfig,
    verifier: VerifierKey,
    nodes: NodeFile,
    entries: EntryFile,
    latest: RwLock<Option<SignedCheckpoint>>,
    /// Right-edge hashes of the most recently proven size.
    edge: Mutex<Option<(u64, Edge)>>,
    /// Why the writer stopped, once it has.
    stopped: OnceLock<String>,
}

struct Job {
    /// The index the entry was given when submitted.
    index: u64,
    entry: String,
    reply: oneshot::Sender<Result<Ack, LedgerError>>,
}

/// What the committer hands back: the raw parts of a receipt. Encoding them (base64,
/// strings) is left to the waiting thread, so the one committer thread does only what must
/// be serial.
struct Ack {
    index: u64,
    entry: String,
    leaf: Hash,
    proof: Vec<Hash>,
    note: Arc<str>,
}

/// An append that has been submitted. Its receipt arrives once the entry is durable:
/// [`Pending::wait`] blocks a thread for it, [`Pending::receipt`] awaits it in async code.
pub struct Pending {
    index: u64,
    reply: oneshot::Receiver<Result<Ack, LedgerError>>,
}

fn stopped() -> LedgerError {
    LedgerError::WriterStopped("the writer exited".to_string())
}

impl Ack {
    fn into_receipt(self) -> Receipt {
        Receipt::new(self.index, self.entry, &self.leaf, &self.proof, &self.note)
    }
}

impl Pending {
    /// The index the entry will have once it is durable. A record may carry it before the
    /// receipt arrives (and be written while the entry is), as long as a record whose entry
    /// never became durable is dropped: after a crash, an index past the recovered log's size
    /// is given again to another entry.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Blocks until the entry is on disk and covered by a signed checkpoint (see the module's
    /// note on when that checkpoint's own line is on disk). Must not be
    /// called from async code (use [`Pending::receipt`] there).
    pub fn wait(self) -> Result<Receipt, LedgerError> {
        self.reply
            .blocking_recv()
            .unwrap_or_else(|_| Err(stopped()))
            .map(Ack::into_receipt)
    }

    /// Awaits the receipt without blocking a thread.
    pub async fn receipt(self) -> Result<Receipt, LedgerError> {
        self.reply
            .await
            .unwrap_or_else(|_| Err(stopped()))
            .map(Ack::into_receipt)
    }
}

/// An open log with its writer.
pub struct Ledger {
    shared: Arc<Reader>,
    /// The queue to the committer. Its lock is held while an entry is given its index and
    /// sent, so that the queue's order is the indices' order.
    queue: Mutex<Option<SyncSender<Job>>>,
    /// How many entries were ever submitted: the index the next one gets. Changed only under
    /// the queue's lock, read without it (a submitter may hold it while the queue is full).
    submitted: AtomicU64,
    /// The size of the log's latest checkpoint, as the committer publishes it.
    durable: watch::Receiver<u64>,
    committer: Option<JoinHandle<()>>,
    recovery: Recovery,
}

impl Ledger {
    /// Creates a new, empty log in `dir` named `name` (a schema-less URL such as
    /// `bureau.example/ledger`; the suite is appended to form the origin).
    pub fn create(dir: impl AsRef<Path>, name: &str, suite: Suite) -> Result<Ledger, LedgerError> {
        Layout::new(dir.as_ref()).create(name, suite)?;
        Ledger::open(dir)
    }

    /// Opens the log in `dir` for appending, recovering from any crash first.
    pub fn open(dir: impl AsRef<Path>) -> Result<Ledger, LedgerError> {
        let layout = Layout::new(dir.as_ref());
        let config = layout.read_config()?;
        let lock_path = layout.lock();
        let lock = File::create(&lock_path).map_err(LedgerError::io(&lock_path))?;
        if lock.try_lock().is_err() {
            return Err(LedgerError::Locked(layout.dir().to_path_buf()));
        }
        let key = layout.read_signing()?;
        let verifier = layout.read_verifier()?;
        if key.verifier().encode() != verifier.encode() || key.name() != config.origin {
            return Err(key_mismatch(layout.signing_key()));
        }
        let recovered = recover(&layout, config.suite, &verifier)?;
        let latest = recovered
            .last
            .map(|(note, checkpoint)| SignedCheckpoint { note, checkpoint });
        let shared = Arc::new(Reader {
            nodes: NodeFile::open(&layout.tree())?,
            entries: EntryFile::open(&layout)?,
            latest: RwLock::new(latest),
            edge: Mutex::new(None),
            stopped: OnceLock::new(),
            layout,
            config,
            verifier,
        });
        let recovered_size = recovered.frontier.size();
        let layout = &shared.layout;
        let mut committer = Committer {
            entries: append_handle(&layout.entries())?,
            index: append_handle(&layout.index())?,
            tree: append_handle(&layout.tree())?,
            checkpoints: append_handle(&layout.checkpoints())?,
            derived: Arc::new(DerivedState {
                written: AtomicU64::new(recovered_size),
                closing: AtomicBool::new(false),
            }),
            flusher: None,
            published: watch::Sender::new(recovered_size),
            entries_len: recovered.entries_len,
            frontier: recovered.frontier,
            key,
            shared: Arc::clone(&shared),
            _lock: lock,
        };
        let mut derived = DerivedFiles {
            index: append_handle(&layout.index())?,
            tree: append_handle(&layout.tree())?,
            checkpoints: append_handle(&layout.checkpoints())?,
            mark: Mark::open(&layout.derived_mark())?,
            layout: layout.clone(),
            marked: None,
        };
        let (queue, jobs) = mpsc::sync_channel(QUEUE_DEPTH);
        // What recovery kept is on disk before a checkpoint covers it.
        committer
            .entries
            .sync_data()
            .map_err(LedgerError::io(layout.entries()))?;
        if shared
            .latest
            .read()
            .expect("checkpoint lock")
            .as_ref()
            .map(|c| c.checkpoint.size)
            != Some(committer.frontier.size())
        {
            // Entries made durable just before a crash, or a new log: sign the recovered
            // state so that every size the log serves has a checkpoint.
            committer.issue_checkpoint()?;
        }
        // Everything recovery kept, derived and signed is on disk before anything is added.
        derived.flush(recovered_size)?;
        committer.flusher =
            Some(derived.start(Arc::clone(&committer.derived), Arc::clone(&shared))?);
        let mut ledger = Ledger {
            shared,
            queue: Mutex::new(Some(queue)),
            submitted: AtomicU64::new(committer.frontier.size()),
            durable: committer.published.subscribe(),
            committer: None,
            recovery: recovered.report,
        };
        let handle = std::thread::Builder::new()
            .name("ledger-committer".to_string())
            .spawn(move || committer.run(jobs))
            .map_err(LedgerError::io(ledger.shared.layout.dir()))?;
        ledger.committer = Some(handle);
        Ok(ledger)
    }

    /// Opens the log in `dir`, first creating it (named `name`, SHA-256/Ed25519) when there is
    /// none, so that a fresh data directory works without a separate `init`. The flag says
    /// whether it was created.
    pub fn open_or_create(
        dir: impl AsRef<Path>,
        name: &str,
    ) -> Result<(Ledger, bool), LedgerError> {
        let dir = dir.as_ref();
        if Layout::new(dir).exists() {
            Ok((Ledger::open(dir)?, false))
        } else {
            Ok((Ledger::create(dir, name, Suite::Sha256Ed25519)?, true))
        }
    }

    /// What recovery did when the log was opened.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// Submits an entry without waiting; see [`Pending::wait`].
    pub fn submit(&self, entry: String) -> Result<Pending, LedgerError> {
        if entry.len() > MAX_ENTRY_BYTES {
            return Err(LedgerError::BadEntry(format!(
                "{} bytes, more than {MAX_ENTRY_BYTES}",
                entry.len()
            )));
        }
        let (reply, receive) = oneshot::channel();
        let queue = self.queue.lock().expect("ledger queue lock");
        let index = self.submitted.load(Ordering::Acquire);
        queue
            .as_ref()
            .expect("queue lives as long as the ledger")
            .send(Job {
                index,
                entry,
                reply,
            })
            .map_err(|_| stopped())?;
        self.submitted.store(index + 1, Ordering::Release);
        Ok(Pending {
            index,
            reply: receive,
        })
    }

    /// Waits until the submitted entry at `index` is durable and covered by a checkpoint, so
    /// that a record written beside its entry (see [`Pending::index`]) can be given its
    /// receipt. An index never submitted is out of range at once.
    pub async fn durable(&self, index: u64) -> Result<(), LedgerError> {
        let submitted = self.submitted.load(Ordering::Acquire);
        if index >= submitted {
            return Err(LedgerError::OutOfRange(format!(
                "entry {index} was never submitted: {submitted} were"
            )));
        }
        let mut size = self.durable.clone();
        if *size.borrow_and_update() > index {
            return Ok(());
        }
        size.wait_for(|&size| size > index)
            .await
            .map(|_| ())
            .map_err(|_| stopped())
    }

    /// How many entries are durable and covered by a checkpoint: a record written beside an
    /// entry at or past it may still be lost (see [`Pending::index`]).
    pub fn durable_size(&self) -> u64 {
        *self.durable.borrow()
    }

    /// Why the writer stopped, if it has. After a failed write it refuses every append until
    /// the log is opened again (which recovers from the failure), so a service can say it is
    /// not ready rather than fail each write in turn.
    pub fn stopped(&self) -> Option<&str> {
        if let Some(reason) = self.shared.stopped.get() {
            return Some(reason);
        }
        // Exited without saying why: it panicked.
        self.committer
            .as_ref()
            .filter(|h| h.is_finished())
            .map(|_| "the writer exited")
    }

    /// Appends an entry and returns its receipt once it is durable.
    pub fn append(&self, entry: String) -> Result<Receipt, LedgerError> {
        self.submit(entry)?.wait()
    }
}

impl std::ops::Deref for Ledger {
    type Target = Reader;
    fn deref(&self) -> &Reader {
        &self.shared
    }
}

impl Reader {
    /// Opens a log read-only (no lock, no recovery): for auditors, verifiers and tools
    /// that run beside a writer.
    pub fn open(dir: impl AsRef<Path>) -> Result<Reader, LedgerError> {
        let layout = Layout::new(dir.as_ref());
        let config = layout.read_config()?;
        let verifier = layout.read_verifier()?;
        let reader = Reader {
            nodes: NodeFile::open(&layout.tree())?,
            entries: EntryFile::open(&layout)?,
            latest: RwLock::new(None),
            edge: Mutex::new(None),
            stopped: OnceLock::new(),
            layout,
            config,
            verifier,
        };
        reader.refresh()?;
        Ok(reader)
    }

    /// Re-reads the latest stored checkpoint (a writer elsewhere may have appended).
    pub fn refresh(&self) -> Result<(), LedgerError> {
        let (last, _) = last_checkpoint(&self.layout.checkpoints(), &self.verifier, false)?;
        *self.latest.write().expect("checkpoint lock") =
            last.map(|(note, checkpoint)| SignedCheckpoint { note, checkpoint });
        Ok(())
    }

    /// A proof view of the tree at `size`, reusing the right edge of the last size asked.
    fn tree_at(&self, size: u64) -> Result<TreeAt<'_, NodeFile>, LedgerError> {
        let mut cached = self.edge.lock().expect("edge lock");
        if let Some((at, edge)) = cached.as_ref()
            && *at == size
        {
            return Ok(TreeAt::with_edge(
                self.config.suite,
                size,
                &self.nodes,
                Arc::clone(edge),
            ));
        }
        let tree = TreeAt::new(self.config.suite, size, &self.nodes)?;
        *cached = Some((size, tree.edge()));
        Ok(tree)
    }

    /// Where the log lives.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The log's identity.
    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// The public key that verifies this log's checkpoints.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The latest signed checkpoint (none before the first append).
    pub fn checkpoint(&self) -> Option<SignedCheckpoint> {
        self.latest.read().expect("checkpoint lock").clone()
    }

    /// The last `n` signed checkpoints issued (about two hundred at most), newest first, each
    /// verified: the history a regulator compares with the checkpoints it was handed.
    pub fn recent_checkpoints(&self, n: usize) -> Result<Vec<SignedCheckpoint>, LedgerError> {
        Ok(
            crate::store::recent_checkpoints(&self.layout.checkpoints(), &self.verifier, n)?
                .into_iter()
                .map(|(note, checkpoint)| SignedCheckpoint { note, checkpoint })
                .collect(),
        )
    }

    /// Number of entries covered by the latest checkpoint.
    pub fn size(&self) -> u64 {
        self.checkpoint().map_or(0, |c| c.checkpoint.size)
    }

    /// The stored entry at `index`.
    pub fn entry(&self, index: u64) -> Result<String, LedgerError> {
        Ok(self.record(index)?.0)
    }

    /// Entry `index` as text, with its stored leaf hash.
    fn record(&self, index: u64) -> Result<(String, Hash), LedgerError> {
        self.check_index(index)?;
        let record = self.entries.entry(index)?;
        let text = String::from_utf8(record.data).map_err(|_| LedgerError::Corrupt {
            path: self.layout.entries(),
            reason: format!("entry {index} is not UTF-8"),
        })?;
        Ok((text, record.leaf_hash))
    }

    fn check_index(&self, index: u64) -> Result<(), LedgerError> {
        let size = self.size();
        if index >= size {
            return Err(LedgerError::OutOfRange(format!(
                "entry {index} does not exist: the log has {size}"
            )));
        }
        Ok(())
    }

    /// Inclusion proof of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        let current = self.size();
        if index >= size || size > current {
            return Err(LedgerError::OutOfRange(format!(
                "no inclusion proof of entry {index} in size {size}: the log has {current}"
            )));
        }
        self.tree_at(size)?.inclusion_proof(index)
    }

    /// Consistency proof from the tree of `old_size` entries to that of `new_size`.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, LedgerError> {
        let current = self.size();
        if old_size > new_size || new_size > current {
            return Err(LedgerError::OutOfRange(format!(
                "no consistency proof from {old_size} to {new_size}: the log has {current}"
            )));
        }
        self.tree_at(new_size)?.consistency_proof(old_size)
    }

    /// Root hash of the tree of `size` entries.
    pub fn root_at(&self, size: u64) -> Result<Hash, LedgerError> {
        let current = self.size();
        if size > current {
            return Err(LedgerError::OutOfRange(format!(
                "no tree of size {size}: the log has {current}"
            )));
        }
        Ok(self.tree_at(size)?.root())
    }

    /// A fresh receipt for an existing entry, against the latest checkpoint.
    pub fn receipt(&self, index: u64) -> Result<Receipt, LedgerError> {
        let (entry, leaf_hash) = self.record(index)?;
        let latest = self
            .checkpoint()
            .expect("a log with entries has a checkpoint");
        let tree = self.tree_at(latest.checkpoint.size)?;
        Ok(Receipt::new(
            index,
            entry,
            &leaf_hash,
            &tree.inclusion_proof(index)?,
            &latest.note,
        ))
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        drop(
            self.queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        if let Some(handle) = self.committer.take() {
            let _ = handle.join();
        }
    }
}

struct Committer {
    shared: Arc<Reader>,
    entries: File,
    index: File,
    tree: File,
    checkpoints: File,
    /// What the flusher of the derived files is told.
    derived: Arc<DerivedState>,
    flusher: Option<JoinHandle<()>>,
    /// Tells waiters of [`Ledger::durable`] each new checkpoint's size.
    published: watch::Sender<u64>,
    entries_len: u64,
    frontier: Frontier,
    key: SigningKey,
    _lock: File,
}

impl Committer {
    fn run(mut self, jobs: Receiver<Job>) {
        self.serve(&jobs);
        // Dropped here (or while unwinding from a panic): see `Drop`.
    }

    fn serve(&mut self, jobs: &Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while let Ok(first) = jobs.recv() {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let result = match self.shared.stopped.get() {
                // The flusher failed: nothing more is written.
                Some(reason) => Err(reason.clone()),
                None => self.commit(&mut batch).map_err(|e| e.to_string()),
            };
            if let Err(reason) = result {
                return stop(&self.shared, reason, &mut batch, jobs);
            }
        }
    }

    fn commit(&mut self, batch: &mut Vec<Job>) -> Result<(), LedgerError> {
        let suite = self.shared.config.suite;
        let first_index = self.frontier.size();
        let first_node = node_count(first_index);
        let mut records = Vec::new();
        let mut offsets = Vec::with_capacity(batch.len() * 8);
        let mut nodes = Vec::with_capacity(batch.len() * 2 + 64);
        let mut leaves = Vec::with_capacity(batch.len());
        for (i, job) in batch.iter().enumerate() {
            if job.index != first_index + i as u64 {
                return Err(LedgerError::WriterStopped(format!(
                    "entry submitted as {} would be written at {}",
                    job.index,
                    first_index + i as u64
                )));
            }
            let leaf = suite.leaf_hash(job.entry.as_bytes());
            offsets.extend_from_slice(&(self.entries_len + records.len() as u64).to_be_bytes());
            Record::encode(job.entry.as_bytes(), &leaf, &mut records);
            self.frontier.push(leaf, &mut nodes);
            leaves.push(leaf);
        }
        let layout = &self.shared.layout;
        for (file, bytes, path) in [
            (&self.entries, &records, layout.entries()),
            (&self.index, &offsets, layout.index()),
        ] {
            (&*file).write_all(bytes).map_err(LedgerError::io(&path))?;
        }
        let tree_bytes: Vec<u8> = nodes.iter().flatten().copied().collect();
        (&self.tree)
            .write_all(&tree_bytes)
            .map_err(LedgerError::io(layout.tree()))?;
        // Only the entries must be on disk before the batch is acknowledged: the index and the
        // tree follow from them, and are flushed by the flusher (see `crate::mark`), which
        // marks no more than entries already on disk.
        self.entries
            .sync_data()
            .map_err(LedgerError::io(layout.entries()))?;
        self.entries_len += records.len() as u64;
        self.shared.nodes.remember(first_node, &nodes);

        let SignedCheckpoint { note, checkpoint } = self.issue_checkpoint()?;
        // Told after the checkpoint line is written, so that the flush that marks this size
        // also makes the line durable.
        self.derived
            .written
            .store(self.frontier.size(), Ordering::Release);
        let tree = TreeAt::new(suite, checkpoint.size, &self.shared.nodes)?;
        let note: Arc<str> = note.into();
        for (i, job) in batch.drain(..).enumerate() {
            let index = first_index + i as u64;
            let ack = tree.inclusion_proof(index).map(|proof| Ack {
                index,
                entry: job.entry,
                leaf: leaves[i],
                proof,
                note: Arc::clone(&note),
            });
            let _ = job.reply.send(ack);
        }
        Ok(())
    }

    /// Signs, writes and publishes a checkpoint of the current tree (of entries already on
    /// disk); its line is flushed with the derived files.
    fn issue_checkpoint(&mut self) -> Result<SignedCheckpoint, LedgerError> {
        let checkpoint = Checkpoint {
            origin: self.shared.config.origin.clone(),
            size: self.frontier.size(),
            root: self.frontier.root(),
        };
        let note = checkpoint.sign(&self.key);
        (&self.checkpoints)
            .write_all(checkpoint_line(&note).as_bytes())
            .map_err(LedgerError::io(self.shared.layout.checkpoints()))?;
        let size = checkpoint.size;
        let signed = SignedCheckpoint { note, checkpoint };
        *self.shared.latest.write().expect("checkpoint lock") = Some(signed.clone());
        self.published.send_replace(size);
        Ok(signed)
    }
}

impl Drop for Committer {
    /// Closed, stopped or panicked: the flusher makes the derived files and checkpoint lines
    /// durable once more and exits before the log's lock is released.
    fn drop(&mut self) {
        self.derived.closing.store(true, Ordering::Release);
        if let Some(flusher) = self.flusher.take() {
            flusher.thread().unpark();
            let _ = flusher.join();
        }
    }
}

/// What the committer tells the flusher of the derived files.
struct DerivedState {
    /// Entries written to `entries.idx` and `tree.hashes` so far (flushed or not).
    written: AtomicU64,
    /// Set when the log closes: the flusher flushes once more and exits.
    closing: AtomicBool,
}

/// The files derived from the entries, and the checkpoint lines, as the flusher holds them.
struct DerivedFiles {
    index: File,
    tree: File,
    checkpoints: File,
    mark: Mark,
    layout: Layout,
    /// The size `derived.mark` records, once this flusher has set it.
    marked: Option<u64>,
}

impl DerivedFiles {
    /// Makes the derived files (holding at least `written` entries) and the checkpoint lines
    /// durable, then marks `written`.
    fn flush(&mut self, written: u64) -> Result<(), LedgerError> {
        if self.marked == Some(written) {
            return Ok(());
        }
        for (file, path) in [
            (&self.index, self.layout.index()),
            (&self.tree, self.layout.tree()),
            (&self.checkpoints, self.layout.checkpoints()),
        ] {
            file.sync_data().map_err(LedgerError::io(path))?;
        }
        self.mark.set(written)?;
        self.marked = Some(written);
        Ok(())
    }

    /// Starts the thread that flushes every [`DERIVED_FLUSH_EVERY`] while entries arrive. A
    /// failed flush stops the writer (the reason is kept for [`Ledger::stopped`]).
    fn start(
        mut self,
        state: Arc<DerivedState>,
        shared: Arc<Reader>,
    ) -> Result<JoinHandle<()>, LedgerError> {
        let dir = shared.layout.dir().to_path_buf();
        std::thread::Builder::new()
            .name("ledger-flusher".to_string())
            .spawn(move || {
                loop {
                    let closing = state.closing.load(Ordering::Acquire);
                    if let Err(error) = self.flush(state.written.load(Ordering::Acquire)) {
                        let _ = shared.stopped.set(error.to_string());
                        return;
                    }
                    if closing {
                        return;
                    }
                    std::thread::park_timeout(DERIVED_FLUSH_EVERY);
                }
            })
            .map_err(LedgerError::io(dir))
    }
}

/// After a failed write the files may hold a partial batch; the writer refuses everything
/// from then on, so that the next open recovers from a known state.
fn stop(shared: &Reader, message: String, batch: &mut Vec<Job>, jobs: &Receiver<Job>) {
    let _ = shared.stopped.set(message.clone());
    for job in batch.drain(..).chain(jobs.try_iter()) {
        let _ = job
            .reply
            .send(Err(LedgerError::WriterStopped(message.clone())));
    }
}
