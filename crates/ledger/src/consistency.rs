//! Proving that the log today extends a checkpoint handed out earlier: nothing the earlier
//! checkpoint covered was rewritten or removed.

use crate::error::{LedgerError, NoteError};
use crate::keys::VerifierKey;
use crate::ledger::Reader;
use crate::note::Checkpoint;
use crate::proof::verify_consistency;

/// Why a log does not (or cannot be shown to) extend an earlier checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum NotExtended {
    /// The earlier checkpoint does not verify with the key.
    #[error("the earlier checkpoint: {0}")]
    Earlier(NoteError),
    /// The log's own latest checkpoint does not verify with the key.
    #[error("the log's current checkpoint: {0}")]
    Current(NoteError),
    /// The log has no checkpoint yet.
    #[error("the log has no checkpoint yet")]
    NoCheckpoint,
    /// The log is smaller than the earlier checkpoint: entries were removed.
    #[error("INCONSISTENT: the earlier checkpoint has {old} entries, the log now only {new}")]
    Shrunk {
        /// Size of the earlier checkpoint.
        old: u64,
        /// Size of the log.
        new: u64,
    },
    /// The proof does not lead from the earlier root to the current one.
    #[error(
        "INCONSISTENT: the log at size {new} does not extend the checkpoint of size {old}: history was rewritten"
    )]
    Rewritten {
        /// Size of the earlier checkpoint.
        old: u64,
        /// Size of the log.
        new: u64,
    },
    /// The log's files could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// A proven extension.
#[derive(Debug, Clone)]
pub struct Extends {
    /// The earlier checkpoint.
    pub old: Checkpoint,
    /// The log's current checkpoint.
    pub new: Checkpoint,
    /// Hashes in the consistency proof.
    pub proof_hashes: usize,
}

/// Checks that the log read by `reader` extends the signed checkpoint `earlier` (its note
/// text), both verified with `key`.
pub fn check_extends(
    reader: &Reader,
    earlier: &str,
    key: &VerifierKey,
) -> Result<Extends, NotExtended> {
    let old = Checkpoint::open(earlier, key).map_err(NotExtended::Earlier)?;
    let latest = reader.checkpoint().ok_or(NotExtended::NoCheckpoint)?;
    let new = Checkpoint::open(&latest.note, key).map_err(NotExtended::Current)?;
    if old.size > new.size {
        return Err(NotExtended::Shrunk {
            old: old.size,
            new: new.size,
        });
    }
    let proof = reader.consistency_proof(old.size, new.size)?;
    if !verify_consistency(
        key.suite(),
        old.size,
        new.size,
        &old.root,
        &new.root,
        &proof,
    ) {
        return Err(NotExtended::Rewritten {
            old: old.size,
            new: new.size,
        });
    }
    Ok(Extends {
        old,
        new,
        proof_hashes: proof.len(),
    })
}
