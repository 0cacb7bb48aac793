//! The ledger's entries for the regulator's and operator's explorer: newest first, each with
//! its kind and time read from the canonical text, and any one with a fresh receipt. Entries
//! name institutions and enterprises, so only these two roles browse them; everyone else
//! verifies the receipts they were given.

use serde::Serialize;
use xinrong_ledger::Receipt;

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::platform::Platform;

/// One ledger entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    /// Its index (leaf).
    pub index: u64,
    /// What it records (`score_query`, `consent_granted`, …).
    pub kind: String,
    /// When (RFC 3339), when the entry says.
    pub time: Option<String>,
    /// The canonical text, as hashed.
    pub text: String,
}

/// One signed checkpoint the ledger issued.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckpointView {
    /// Entries it covers.
    pub size: u64,
    /// Its Merkle root, hex.
    pub root: String,
    /// The signed note as issued.
    pub note: String,
}

fn explorer(by: &Institution) -> Result<(), PlatformError> {
    if matches!(by.kind, Kind::Regulator | Kind::Operator) {
        Ok(())
    } else {
        Err(PlatformError::role(
            "only regulators and the operator browse the ledger; anyone may verify a receipt",
        ))
    }
}

impl Platform {
    /// At most `limit` entries before index `before` (the newest when `None`), newest first.
    pub fn ledger_entries(
        &self,
        by: &Institution,
        before: Option<u64>,
        limit: u64,
    ) -> Result<Vec<LedgerEntry>, PlatformError> {
        explorer(by)?;
        let size = self.ledger.size();
        let end = before.unwrap_or(size).min(size);
        (end.saturating_sub(limit)..end)
            .rev()
            .map(|index| {
                let text = self.ledger.entry(index)?;
                let value: serde_json::Value =
                    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
                Ok(LedgerEntry {
                    index,
                    kind: value["kind"].as_str().unwrap_or("unknown").to_string(),
                    time: value["time"].as_str().map(str::to_string),
                    text,
                })
            })
            .collect()
    }

    /// The last `n` signed checkpoints, newest first (regulators and the operator compare
    /// them with the ones they were handed).
    pub fn ledger_checkpoints(
        &self,
        by: &Institution,
        n: usize,
    ) -> Result<Vec<CheckpointView>, PlatformError> {
        explorer(by)?;
        Ok(self
            .ledger
            .recent_checkpoints(n)?
            .into_iter()
            .map(|c| CheckpointView {
                size: c.checkpoint.size,
                root: hex::encode(c.checkpoint.root),
                note: c.note,
            })
            .collect())
    }

    /// One entry with a receipt against the latest checkpoint.
    pub fn ledger_entry(
        &self,
        by: &Institution,
        index: u64,
    ) -> Result<(LedgerEntry, Receipt), PlatformError> {
        explorer(by)?;
        if index >= self.ledger.size() {
            return Err(PlatformError::NotFound(format!("ledger entry {index}")));
        }
        let signed = self.ledger.checkpoint().map_or(0, |c| c.checkpoint.size);
        if index >= signed {
            return Err(PlatformError::Unavailable(format!(
                "entry {index} is not under a signed checkpoint yet; ask again in a moment"
            )));
        }
        let entry = self
            .ledger_entries(by, Some(index + 1), 1)?
            .pop()
            .ok_or_else(|| PlatformError::NotFound(format!("ledger entry {index}")))?;
        Ok((entry, self.ledger.receipt(index)?))
    }
}
