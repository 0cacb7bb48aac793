//! The ledger's error types: one per concern, each saying what was wrong and where.

use std::path::PathBuf;

/// A key's text form could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Key names must be non-empty and hold no spaces or `+`.
    #[error("bad key name {0:?}: it must be non-empty, without spaces or '+'")]
    BadName(String),
    /// The text is not in the expected layout.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The type byte names an algorithm this build does not know.
    #[error("unknown signature type (expected Ed25519 0x01 or SM2 0xff'sm2')")]
    UnknownType,
    /// The key id in the text is not the id of the key it carries.
    #[error("key id {stated:08x} does not match the key (computed {computed:08x})")]
    IdMismatch {
        /// The id the text states.
        stated: u32,
        /// The id computed from the key.
        computed: u32,
    },
}

/// A signed checkpoint (or any signed note) could not be accepted.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    /// The text is not a signed note.
    #[error("not a signed note: {0}")]
    Malformed(String),
    /// No signature line is by the trusted key.
    #[error("no signature by the trusted key {0}")]
    NoTrustedSignature(String),
    /// A signature by the trusted key does not verify.
    #[error("the signature by {0} does not verify: the checkpoint was altered or forged")]
    BadSignature(String),
    /// The origin line declares a different suite than the key's algorithm.
    #[error("origin {origin:?} declares suite {declared}, but the key is {key}")]
    SuiteMismatch {
        /// The origin line.
        origin: String,
        /// The suite the origin line names (or "none").
        declared: String,
        /// The suite of the trusted key.
        key: String,
    },
    /// The checkpoint's origin is not the trusted key's name.
    #[error("checkpoint origin {origin:?} is not the trusted log {expected:?}")]
    WrongOrigin {
        /// Origin in the checkpoint.
        origin: String,
        /// Name of the trusted key.
        expected: String,
    },
}

/// Anything that can go wrong with a log on disk.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// An I/O operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The directory holds no log.
    #[error("{0}: no ledger here (create one with `xinrong ledger init`)")]
    NotFound(PathBuf),
    /// The directory already holds a log.
    #[error("{0}: a ledger already exists here")]
    AlreadyExists(PathBuf),
    /// Another process holds the log open for writing.
    #[error("{0}: the ledger is open for writing by another process")]
    Locked(PathBuf),
    /// A file in the log is not what it should be.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        reason: String,
    },
    /// A key file could not be used.
    #[error("{path}: {source}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: KeyError,
    },
    /// The last stored checkpoint could not be accepted.
    #[error("{path}: the last stored checkpoint: {source}")]
    Checkpoint {
        /// checkpoints.log.
        path: PathBuf,
        /// Why.
        source: NoteError,
    },
    /// A proof was asked for a position the tree does not have.
    #[error("{0}")]
    OutOfRange(String),
    /// The log's writer thread has stopped (after an I/O error it refuses further appends).
    #[error("the ledger writer has stopped: {0}")]
    WriterStopped(String),
    /// An entry was not acceptable.
    #[error("entry refused: {0}")]
    BadEntry(String),
}

impl LedgerError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> LedgerError {
        let path = path.into();
        move |source| LedgerError::Io { path, source }
    }
}

/// A receipt that does not prove what it claims.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The receipt is not in the receipt format.
    #[error("malformed receipt: {0}")]
    Malformed(String),
    /// The checkpoint inside it does not verify.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] NoteError),
    /// The entry does not hash to the stated leaf hash.
    #[error("the entry does not hash to the receipt's leaf hash: the entry was altered")]
    LeafMismatch,
    /// The inclusion proof does not lead from the leaf to the checkpoint's root.
    #[error(
        "the inclusion proof of leaf {index} in tree size {size} does not match the checkpoint root"
    )]
    BadInclusion {
        /// Leaf index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The data file given does not have the content hash the entry registered.
    #[error("file content hash {actual} differs from the registered {registered}")]
    FileMismatch {
        /// Hash in the entry.
        registered: String,
        /// Hash of the file given.
        actual: String,
    },
}
