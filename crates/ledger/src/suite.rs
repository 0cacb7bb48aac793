//! The two cryptographic suites a log can be created in, and RFC 9162 hashing under each.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sm3::Sm3;

/// A 32-byte digest: every leaf, node and root in the log is one.
pub type Hash = [u8; 32];

/// The hash function and signature algorithm of a log, fixed when it is created.
///
/// International banks expect SHA-256 and Ed25519; Chinese regulators often require the
/// national algorithms SM3 and SM2. The suite is written as the last path segment of the
/// log's origin line (`…/sha256-ed25519` or `…/sm3-sm2`), so every checkpoint says how it
/// must be checked and a verifier refuses a proof computed with the other suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Suite {
    /// RFC 9162 as published: SHA-256 tree hashing, Ed25519 checkpoint signatures.
    #[serde(rename = "sha256-ed25519")]
    Sha256Ed25519,
    /// The same tree with SM3 (GB/T 32905) as hash and SM2 (GB/T 32918) signatures.
    #[serde(rename = "sm3-sm2")]
    Sm3Sm2,
}

impl Suite {
    /// Every suite, for tests and help texts.
    pub const ALL: [Suite; 2] = [Suite::Sha256Ed25519, Suite::Sm3Sm2];

    /// The name used in origin lines and files.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Sha256Ed25519 => "sha256-ed25519",
            Suite::Sm3Sm2 => "sm3-sm2",
        }
    }

    /// Parses a suite name as written by [`Suite::name`].
    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The suite an origin line declares in its last path segment.
    pub fn of_origin(origin: &str) -> Option<Suite> {
        Suite::from_name(origin.rsplit('/').next()?)
    }

    /// Hash of the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Hash {
        match self {
            Suite::Sha256Ed25519 => {
                let mut h = Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().into()
            }
            Suite::Sm3Sm2 => {
                let mut h = Sm3::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().into()
            }
        }
    }

    /// RFC 9162 §2.1.1 leaf hash: `H(0x00 || data)`.
    pub fn leaf_hash(self, data: &[u8]) -> Hash {
        self.digest(&[&[0u8], data])
    }

    /// RFC 9162 §2.1.1 interior node hash: `H(0x01 || left || right)`.
    pub fn node_hash(self, left: &Hash, right: &Hash) -> Hash {
        self.digest(&[&[1u8], left, right])
    }

    /// The root of the empty tree: the hash of the empty string.
    pub fn empty_root(self) -> Hash {
        self.digest(&[])
    }

    /// Content hash of a data file, written as `"<alg>:<hex>"` so that it says how it was
    /// computed.
    pub fn content_hash_label(self) -> &'static str {
        match self {
            Suite::Sha256Ed25519 => "sha256",
            Suite::Sm3Sm2 => "sm3",
        }
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_matches_the_standard_example() {
        // GB/T 32905-2016 appendix A, example 1: SM3("abc").
        assert_eq!(
            hex::encode(Suite::Sm3Sm2.digest(&[b"abc"])),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn origin_names_its_suite() {
        assert_eq!(
            Suite::of_origin("bank.example/ledger/sm3-sm2"),
            Some(Suite::Sm3Sm2)
        );
        assert_eq!(
            Suite::of_origin("xinrong.local/ledger/sha256-ed25519"),
            Some(Suite::Sha256Ed25519)
        );
        assert_eq!(Suite::of_origin("xinrong.local/ledger"), None);
    }
}
