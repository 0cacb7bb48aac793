//! Request keys, which make a bank's decisions and guarantees idempotent: a retried call gets
//! the first call's answer, never a second decision or guarantee.
//!
//! Two calls with one key run one after the other: the first holds its key's lock until its
//! record is committed, even when its caller has gone away (the lock travels with the record
//! to the writer), so a retry after a client's timeout waits and then finds the record.
//! Keys answered are remembered as 64-bit hashes: a key never seen needs no lookup.

use std::collections::HashSet;
use std::sync::RwLock;

use sha2::{Digest as _, Sha256};
use tokio::sync::OwnedMutexGuard;

use crate::stripes::Stripes;

/// A 64-bit hash of a bank's request key.
pub(crate) fn key_hash(bank: &str, key: &str) -> u64 {
    let d = Sha256::digest(format!("{bank}\u{0}{key}").as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// The keys' locks and the hashes of keys that may have been answered.
pub(crate) struct RequestKeys {
    locks: Stripes,
    /// A superset of the keys answered: a key is added before its record is written.
    known: RwLock<HashSet<u64>>,
}

impl RequestKeys {
    /// Starts from the `(bank, key)` pairs already stored.
    pub(crate) fn new<'a>(stored: impl Iterator<Item = (&'a str, &'a str)>) -> RequestKeys {
        RequestKeys {
            locks: Stripes::default(),
            known: RwLock::new(stored.map(|(b, k)| key_hash(b, k)).collect()),
        }
    }

    /// Locks a key (by its hash) until the guard is dropped.
    pub(crate) async fn lock(&self, hash: u64) -> OwnedMutexGuard<()> {
        self.locks.lock(hash).await
    }

    /// Whether a key may have been answered (if not, it certainly was not).
    pub(crate) fn known(&self, hash: u64) -> bool {
        self.known.read().expect("known keys").contains(&hash)
    }

    /// Remembers a key about to be answered (call before its record is written).
    pub(crate) fn remember(&self, hash: u64) {
        self.known.write().expect("known keys").insert(hash);
    }
}
