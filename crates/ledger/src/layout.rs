//! The files of a log directory, and the configuration file that fixes its identity.
//!
//! | file | content |
//! |---|---|
//! | `log.json` | `{"format":"xinrong.ledger/1","origin":…,"suite":…}` |
//! | `signing.key` | the operator's `PRIVATE+KEY+…` (mode 0600) |
//! | `verifier.key` | the public `name+id+base64` key to hand to verifiers |
//! | `entries.log` | records `u32 BE length ‖ entry bytes ‖ 32-byte leaf hash` |
//! | `entries.idx` | `u64 BE` byte offset of each record in `entries.log` |
//! | `tree.hashes` | 32-byte perfect-subtree hashes in post-order (see [`crate::tree`]) |
//! | `checkpoints.log` | one JSON line `{"note": signed checkpoint}` per issued checkpoint |
//! | `derived.mark` | how many entries `entries.idx` and `tree.hashes` hold on disk (see [`crate::mark`]) |
//! | `LOCK` | held exclusively by the one writer process |

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{KeyError, LedgerError};
use crate::keys::{SigningKey, VerifierKey};
use crate::suite::Suite;

/// The format tag of `log.json`.
pub const LOG_FORMAT: &str = "xinrong.ledger/1";

/// Paths of the files in one log directory.
#[derive(Clone, Debug)]
pub struct Layout {
    dir: PathBuf,
}

/// The identity of a log, fixed at creation.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// Always [`LOG_FORMAT`].
    pub format: String,
    /// The origin line of every checkpoint; its last segment is the suite.
    pub origin: String,
    /// Hash and signature algorithms.
    pub suite: Suite,
}

impl Layout {
    /// The layout of the log in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Layout {
        Layout { dir: dir.into() }
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `log.json`.
    pub fn config(&self) -> PathBuf {
        self.dir.join("log.json")
    }
    /// `signing.key`.
    pub fn signing_key(&self) -> PathBuf {
        self.dir.join("signing.key")
    }
    /// `verifier.key`.
    pub fn verifier_key(&self) -> PathBuf {
        self.dir.join("verifier.key")
    }
    /// `entries.log`.
    pub fn entries(&self) -> PathBuf {
        self.dir.join("entries.log")
    }
    /// `entries.idx`.
    pub fn index(&self) -> PathBuf {
        self.dir.join("entries.idx")
    }
    /// `tree.hashes`.
    pub fn tree(&self) -> PathBuf {
        self.dir.join("tree.hashes")
    }
    /// `checkpoints.log`.
    pub fn checkpoints(&self) -> PathBuf {
        self.dir.join("checkpoints.log")
    }
    /// `derived.mark`.
    pub fn derived_mark(&self) -> PathBuf {
        self.dir.join("derived.mark")
    }
    /// `LOCK`.
    pub fn lock(&self) -> PathBuf {
        self.dir.join("LOCK")
    }

    /// Whether a log exists here.
    pub fn exists(&self) -> bool {
        self.config().is_file()
    }

    /// Reads and checks `log.json`.
    pub fn read_config(&self) -> Result<LogConfig, LedgerError> {
        let path = self.config();
        if !path.is_file() {
            return Err(LedgerError::NotFound(self.dir.clone()));
        }
        let text = fs::read_to_string(&path).map_err(LedgerError::io(&path))?;
        let config: LogConfig = serde_json::from_str(&text).map_err(|e| LedgerError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if config.format != LOG_FORMAT {
            return Err(LedgerError::Corrupt {
                path,
                reason: format!("format {:?} is not {LOG_FORMAT:?}", config.format),
            });
        }
        if Suite::of_origin(&config.origin) != Some(config.suite) {
            return Err(LedgerError::Corrupt {
                path,
                reason: format!(
                    "origin {:?} does not end in /{}",
                    config.origin, config.suite
                ),
            });
        }
        Ok(config)
    }

    /// Reads the public key verifiers should trust.
    pub fn read_verifier(&self) -> Result<VerifierKey, LedgerError> {
        let path = self.verifier_key();
        let text = fs::read_to_string(&path).map_err(LedgerError::io(&path))?;
        VerifierKey::decode(&text).map_err(|source| LedgerError::Key { path, source })
    }

    /// Reads the operator's signing key.
    pub fn read_signing(&self) -> Result<SigningKey, LedgerError> {
        let path = self.signing_key();
        let text = fs::read_to_string(&path).map_err(LedgerError::io(&path))?;
        SigningKey::decode(&text).map_err(|source| LedgerError::Key { path, source })
    }

    /// Creates the directory, identity and keys of a new, empty log.
    pub fn create(&self, name: &str, suite: Suite) -> Result<LogConfig, LedgerError> {
        if self.exists() {
            return Err(LedgerError::AlreadyExists(self.dir.clone()));
        }
        fs::create_dir_all(&self.dir).map_err(LedgerError::io(&self.dir))?;
        let origin = format!("{}/{suite}", name.trim_end_matches('/'));
        let key = SigningKey::generate(&origin, suite).map_err(|source| LedgerError::Key {
            path: self.signing_key(),
            source,
        })?;
        write_private(&self.signing_key(), &format!("{}\n", key.encode()))?;
        write_synced(
            &self.verifier_key(),
            format!("{}\n", key.verifier().encode()).as_bytes(),
        )?;
        for file in [
            self.entries(),
            self.index(),
            self.tree(),
            self.checkpoints(),
        ] {
            write_synced(&file, b"")?;
        }
        crate::mark::Mark::open(&self.derived_mark())?.set(0)?;
        let config = LogConfig {
            format: LOG_FORMAT.to_string(),
            origin,
            suite,
        };
        let json = serde_json::to_string_pretty(&config).expect("config serialises");
        // log.json last: its presence marks a complete log.
        write_synced(&self.config(), format!("{json}\n").as_bytes())?;
        Ok(config)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), LedgerError> {
    let file = fs::File::create(path).map_err(LedgerError::io(path))?;
    std::io::Write::write_all(&mut &file, bytes).map_err(LedgerError::io(path))?;
    file.sync_all().map_err(LedgerError::io(path))
}

fn write_private(path: &Path, text: &str) -> Result<(), LedgerError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(LedgerError::io(path))?;
    file.write_all(text.as_bytes())
        .map_err(LedgerError::io(path))?;
    file.sync_all().map_err(LedgerError::io(path))
}

/// Maps a key problem found while checking keys against each other.
pub(crate) fn key_mismatch(path: PathBuf) -> LedgerError {
    LedgerError::Key {
        path,
        source: KeyError::Malformed("signing key does not match verifier.key / log.json"),
    }
}
