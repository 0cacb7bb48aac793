//! Whether the ledger can be trusted. A log whose middle was edited still opens (recovery
//! looks at its tail only), so at every start a full audit re-hashes it in the background;
//! if it fails, the platform refuses every write (a receipt from a damaged log would prove
//! nothing), `/ready` answers 503 and the reason is logged for the operator.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use xinrong_ledger::{VerifierKey, audit_checkpointed};

/// What the audit found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerState {
    /// The audit has not finished: the log is served as it opened.
    Auditing,
    /// Every entry re-hashed and every checkpoint matched.
    Intact,
    /// The audit failed, for this reason.
    Damaged(String),
}

/// The ledger's state, shared by the audit task and the operations that write.
#[derive(Debug)]
pub struct LedgerHealth(Mutex<LedgerState>);

impl Default for LedgerHealth {
    fn default() -> Self {
        LedgerHealth(Mutex::new(LedgerState::Auditing))
    }
}

impl LedgerHealth {
    /// The current state.
    pub fn state(&self) -> LedgerState {
        self.0.lock().expect("ledger health").clone()
    }

    fn set(&self, state: LedgerState) {
        *self.0.lock().expect("ledger health") = state;
    }

    /// Audits the log in `dir` on a blocking thread and records the outcome.
    pub fn audit_in_background(
        health: Arc<LedgerHealth>,
        dir: PathBuf,
        key: VerifierKey,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let outcome =
                tokio::task::spawn_blocking(move || audit_checkpointed(&dir, &key, |_, _| {}))
                    .await;
            let state = match outcome {
                Ok(Ok(report)) => match report.problem {
                    None => {
                        tracing::info!(
                            entries = report.entries,
                            checkpoints = report.checkpoints,
                            seconds = started.elapsed().as_secs_f64(),
                            "ledger audit passed"
                        );
                        LedgerState::Intact
                    }
                    Some(p) => {
                        let at = p
                            .entry
                            .map(|e| format!(" at entry {e}"))
                            .unwrap_or_default();
                        LedgerState::Damaged(format!("ledger audit failed{at}: {}", p.reason))
                    }
                },
                Ok(Err(e)) => LedgerState::Damaged(format!("ledger audit could not run: {e}")),
                Err(e) => LedgerState::Damaged(format!("ledger audit stopped: {e}")),
            };
            if let LedgerState::Damaged(reason) = &state {
                tracing::error!(
                    reason = %reason,
                    "OPERATOR ALERT: the ledger failed its audit; all writes are refused until it is restored"
                );
            }
            health.set(state);
        })
    }
}
