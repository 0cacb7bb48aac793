//! A tamper-evident, append-only log in the manner of Certificate Transparency
//! (RFC 9162): every registration, consent and score query the platform makes is an entry;
//! each append returns a receipt that anyone holding the log's public key can check offline,
//! and any rewrite of history by the operator is caught by consistency proofs between the
//! signed checkpoints it has handed out.
//!
//! ```
//! use xinrong_ledger::{Ledger, Suite};
//! let dir = tempfile::tempdir().unwrap();
//! let ledger = Ledger::create(dir.path(), "bureau.example/ledger", Suite::Sha256Ed25519).unwrap();
//! let receipt = ledger.append(r#"{"kind":"hello"}"#.to_string()).unwrap();
//! let verified = receipt.verify(ledger.verifier()).unwrap();
//! assert_eq!(verified.leaf_index, 0);
//! ```
//!
//! Depends on hashing and signature crates only: no HTTP, no SQL, no async runtime.
#![deny(missing_docs)]

mod audit;
mod canonical;
mod consistency;
mod content;
mod entry;
mod error;
mod keys;
mod layout;
mod ledger;
mod mark;
mod note;
mod proof;
mod receipt;
mod store;
mod suite;
mod tree;

pub use audit::{AuditReport, Problem, audit, audit_checkpointed};
pub use canonical::{CanonicalError, canonical_json, canonical_json_of};
pub use consistency::{Extends, NotExtended, check_extends};
pub use content::{content_hash, file_content_hash};
pub use entry::Entry;
pub use error::{KeyError, LedgerError, NoteError, VerifyError};
pub use keys::{SM2_DISTID, SigningKey, VerifierKey};
pub use layout::{LOG_FORMAT, Layout, LogConfig};
pub use ledger::{DERIVED_FLUSH_EVERY, Ledger, MAX_IN_FLIGHT, Pending, Reader, SignedCheckpoint};
pub use note::{Checkpoint, verify_note};
pub use proof::{Edge, TreeAt, verify_consistency, verify_inclusion};
pub use receipt::{RECEIPT_FORMAT, Receipt, Verified};
pub use store::{NodeFile, Recovery};
pub use suite::{Hash, Suite};
pub use tree::{
    Frontier, MemoryTree, Nodes, node_count, node_position, perfect_subtrees, size_for_nodes,
};
