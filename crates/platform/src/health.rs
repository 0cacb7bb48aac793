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
            // On a thread of its own at the lowest priority: the audit of a large log takes
            // seconds of CPU, which requests must not wait behind (it stalled the first
            // seconds of load after a restart).
            let (tx, rx) = tokio::sync::oneshot::channel();
            let spawned = std::thread::Builder::new()
                .name("ledger-audit".into())
                .spawn(move || {
                    lowest_priority();
                    let _ = tx.send(audit_checkpointed(&dir, &key, |_, _| {}));
                });
            let outcome = match spawned {
                Ok(_) => rx.await.map_err(|_| "the audit thread stopped".to_string()),
                Err(e) => Err(e.to_string()),
            };
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

/// Lowers the calling thread's scheduling priority as far as it goes (Linux: a thread's nice
/// value is its own).
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority has no memory effects; `who = 0` is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}
