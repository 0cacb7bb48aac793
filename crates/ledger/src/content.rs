//! What a data-asset registration proves about a file: its content hash, written
//! `<alg>:<hex>` (`sha256:…` or `sm3:…`, the log's suite), and the check that a file is the one
//! a receipt registered.

use std::io::Read;
use std::path::Path;

use sha2::{Digest as _, Sha256};
use sm3::Sm3;

use crate::entry::Entry;
use crate::error::{LedgerError, VerifyError};
use crate::keys::VerifierKey;
use crate::receipt::{Receipt, Verified};
use crate::suite::Suite;

/// The content hash of `data` under `suite`, as entries record it.
pub fn content_hash(suite: Suite, data: &[u8]) -> String {
    format!(
        "{}:{}",
        suite.content_hash_label(),
        hex::encode(suite.digest(&[data]))
    )
}

/// The content hash of a file (read in pieces, any size) and its length in bytes.
pub fn file_content_hash(path: &Path, suite: Suite) -> Result<(String, u64), LedgerError> {
    let mut file = std::fs::File::open(path).map_err(LedgerError::io(path))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    enum H {
        Sha(Sha256),
        Sm(Sm3),
    }
    let mut h = match suite {
        Suite::Sha256Ed25519 => H::Sha(Sha256::new()),
        Suite::Sm3Sm2 => H::Sm(Sm3::new()),
    };
    loop {
        let n = file.read(&mut buf).map_err(LedgerError::io(path))?;
        if n == 0 {
            break;
        }
        len += n as u64;
        match &mut h {
            H::Sha(h) => h.update(&buf[..n]),
            H::Sm(h) => h.update(&buf[..n]),
        }
    }
    let digest: [u8; 32] = match h {
        H::Sha(h) => h.finalize().into(),
        H::Sm(h) => h.finalize().into(),
    };
    Ok((
        format!("{}:{}", suite.content_hash_label(), hex::encode(digest)),
        len,
    ))
}

impl Receipt {
    /// Verifies the receipt (see [`Receipt::verify`]) and that `file` is the data it
    /// registered: its content hash equals the entry's.
    pub fn verify_file(&self, key: &VerifierKey, file: &Path) -> Result<Verified, VerifyError> {
        let verified = self.verify(key)?;
        let registered = match Entry::parse(&self.entry) {
            Ok(
                Entry::DataAssetRegistered { content_hash, .. }
                | Entry::DatasetRegistered { content_hash, .. },
            ) => content_hash,
            _ => {
                return Err(VerifyError::Malformed(
                    "the receipt is not of a data-asset registration".into(),
                ));
            }
        };
        let (actual, _) = file_content_hash(file, key.suite())
            .map_err(|e| VerifyError::Malformed(format!("reading the file: {e}")))?;
        if actual != registered {
            return Err(VerifyError::FileMismatch { registered, actual });
        }
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashes_like_its_bytes_in_either_suite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        for suite in [Suite::Sha256Ed25519, Suite::Sm3Sm2] {
            let (hash, len) = file_content_hash(&path, suite).unwrap();
            assert_eq!(len, data.len() as u64);
            assert_eq!(hash, content_hash(suite, &data));
            assert!(hash.starts_with(suite.content_hash_label()));
        }
    }
}
