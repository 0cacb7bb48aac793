//! Receipts: everything needed to prove, offline and with only the log's public key, that an
//! entry is in the log.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::error::VerifyError;
use crate::keys::VerifierKey;
use crate::note::Checkpoint;
use crate::proof::verify_inclusion;
use crate::suite::Hash;

/// The format tag of receipts.
pub const RECEIPT_FORMAT: &str = "xinrong.receipt/1";

/// Proof that one entry is in the log: the entry, its leaf index, its leaf hash, the
/// inclusion proof (leaf upwards, base64) and the signed checkpoint the proof leads to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always [`RECEIPT_FORMAT`].
    pub format: String,
    /// Position of the entry in the log, from 0.
    pub leaf_index: u64,
    /// The entry exactly as logged (canonical JSON).
    pub entry: String,
    /// `H(0x00 || entry)`, base64.
    pub leaf_hash: String,
    /// RFC 9162 inclusion proof, base64 hashes from the leaf upwards.
    pub inclusion_proof: Vec<String>,
    /// The signed checkpoint (C2SP signed note) whose root the proof reaches.
    pub checkpoint: String,
}

/// What a receipt proved.
#[derive(Clone, Debug)]
pub struct Verified {
    /// The checkpoint the entry is included in.
    pub checkpoint: Checkpoint,
    /// Position of the entry.
    pub leaf_index: u64,
}

impl Receipt {
    /// Assembles a receipt.
    pub fn new(
        leaf_index: u64,
        entry: String,
        leaf_hash: &Hash,
        proof: &[Hash],
        checkpoint: &str,
    ) -> Receipt {
        Receipt {
            format: RECEIPT_FORMAT.to_string(),
            leaf_index,
            entry,
            leaf_hash: B64.encode(leaf_hash),
            inclusion_proof: proof.iter().map(|h| B64.encode(h)).collect(),
            checkpoint: checkpoint.to_string(),
        }
    }

    /// Checks the receipt with the log's public key and nothing else: the checkpoint's
    /// signature and suite, the entry's leaf hash, and the inclusion proof.
    pub fn verify(&self, key: &VerifierKey) -> Result<Verified, VerifyError> {
        if self.format != RECEIPT_FORMAT {
            return Err(VerifyError::Malformed(format!(
                "format {:?} is not {RECEIPT_FORMAT:?}",
                self.format
            )));
        }
        let checkpoint = Checkpoint::open(&self.checkpoint, key)?;
        let suite = key.suite();
        let decode = |text: &str, what: &str| -> Result<Hash, VerifyError> {
            B64.decode(text)
                .ok()
                .and_then(|b| Hash::try_from(b.as_slice()).ok())
                .ok_or_else(|| {
                    VerifyError::Malformed(format!("{what} is not a base64 32-byte hash"))
                })
        };
        let leaf = decode(&self.leaf_hash, "leaf_hash")?;
        if leaf != suite.leaf_hash(self.entry.as_bytes()) {
            return Err(VerifyError::LeafMismatch);
        }
        let proof = self
            .inclusion_proof
            .iter()
            .enumerate()
            .map(|(i, h)| decode(h, &format!("inclusion_proof[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        if !verify_inclusion(
            suite,
            self.leaf_index,
            checkpoint.size,
            &leaf,
            &proof,
            &checkpoint.root,
        ) {
            return Err(VerifyError::BadInclusion {
                index: self.leaf_index,
                size: checkpoint.size,
            });
        }
        Ok(Verified {
            checkpoint,
            leaf_index: self.leaf_index,
        })
    }
}
