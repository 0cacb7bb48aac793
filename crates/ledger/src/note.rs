//! Checkpoints in the C2SP `tlog-checkpoint` text format, signed as C2SP signed notes.
//!
//! ```text
//! xinrong.local/ledger/sha256-ed25519     <- origin (its last segment names the suite)
//! 1234                                    <- tree size, decimal
//! b64(root hash)                          <- root hash, standard base64
//!                                         <- blank line
//! — xinrong.local/ledger/sha256-ed25519 b64(key id || signature)
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::NoteError;
use crate::keys::{SigningKey, VerifierKey};
use crate::suite::{Hash, Suite};

/// The unsigned content of a checkpoint: which log, how big, and its root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line; its last path segment names the suite.
    pub origin: String,
    /// Number of entries the root covers.
    pub size: u64,
    /// RFC 9162 Merkle tree hash of the first `size` entries.
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: origin, size and root, each on its own line.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Signs the body with `key`, giving a complete signed note.
    pub fn sign(&self, key: &SigningKey) -> String {
        let body = self.body();
        let mut signature = key.verifier().id().to_be_bytes().to_vec();
        signature.extend(key.sign(body.as_bytes()));
        format!(
            "{body}\n\u{2014} {} {}\n",
            key.name(),
            B64.encode(signature)
        )
    }

    /// Parses the body lines of a checkpoint (extension lines after the root are allowed
    /// and ignored, as the format specifies).
    pub fn parse_body(body: &str) -> Result<Checkpoint, NoteError> {
        let bad = |why: &str| NoteError::Malformed(why.to_string());
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("empty origin line"))?;
        let size = lines
            .next()
            .and_then(|l| {
                // Decimal without sign or leading zeros, as the format requires.
                (!l.is_empty()
                    && (l == "0" || !l.starts_with('0'))
                    && l.bytes().all(|b| b.is_ascii_digit()))
                .then(|| l.parse::<u64>().ok())
                .flatten()
            })
            .ok_or_else(|| bad("tree size line is not a decimal number"))?;
        let root = lines
            .next()
            .and_then(|l| B64.decode(l).ok())
            .and_then(|b| <Hash>::try_from(b.as_slice()).ok())
            .ok_or_else(|| bad("root hash line is not 32 bytes of base64"))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }

    /// Verifies a signed checkpoint against the one trusted key and returns its content.
    ///
    /// The origin must be the key's name and must declare the key's suite, so a proof
    /// hashed with one suite cannot pass as the other.
    pub fn open(note: &str, key: &VerifierKey) -> Result<Checkpoint, NoteError> {
        let body = verify_note(note, key)?;
        let checkpoint = Checkpoint::parse_body(body)?;
        if checkpoint.origin != key.name() {
            return Err(NoteError::WrongOrigin {
                origin: checkpoint.origin,
                expected: key.name().to_string(),
            });
        }
        let declared = Suite::of_origin(&checkpoint.origin);
        if declared != Some(key.suite()) {
            return Err(NoteError::SuiteMismatch {
                origin: checkpoint.origin,
                declared: declared.map_or("none".to_string(), |s| s.to_string()),
                key: key.suite().to_string(),
            });
        }
        Ok(checkpoint)
    }
}

/// Checks a signed note's signature by `key` and returns the signed text.
pub fn verify_note<'a>(note: &'a str, key: &VerifierKey) -> Result<&'a str, NoteError> {
    let bad = |why: &str| NoteError::Malformed(why.to_string());
    if note.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(bad("control characters"));
    }
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| bad("no blank line before the signatures"))?;
    let body = &note[..split + 1];
    let signatures = &note[split + 2..];
    if !signatures.ends_with('\n') {
        return Err(bad("signature block does not end in a newline"));
    }
    let mut trusted = false;
    for line in signatures.trim_end_matches('\n').split('\n') {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| bad("signature line without em dash"))?;
        let (name, signature) = rest
            .split_once(' ')
            .ok_or_else(|| bad("signature line without key name"))?;
        let signature = B64
            .decode(signature)
            .map_err(|_| bad("signature is not base64"))?;
        if signature.len() < 4 {
            return Err(bad("signature shorter than its key id"));
        }
        let id = u32::from_be_bytes([signature[0], signature[1], signature[2], signature[3]]);
        if name != key.name() || id != key.id() {
            continue; // Signatures by other keys (witnesses) are ignored, as specified.
        }
        if !key.verify(body.as_bytes(), &signature[4..]) {
            return Err(NoteError::BadSignature(key.name().to_string()));
        }
        trusted = true;
    }
    if trusted {
        Ok(body)
    } else {
        Err(NoteError::NoTrustedSignature(key.encode()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(suite: Suite) -> (Checkpoint, SigningKey) {
        let origin = format!("test.example/log/{suite}");
        let key = SigningKey::generate(&origin, suite).unwrap();
        (
            Checkpoint {
                origin,
                size: 42,
                root: suite.leaf_hash(b"x"),
            },
            key,
        )
    }

    #[test]
    fn signed_checkpoints_open_and_every_flipped_bit_is_refused() {
        for suite in Suite::ALL {
            let (cp, key) = checkpoint(suite);
            let note = cp.sign(&key);
            assert_eq!(Checkpoint::open(&note, &key.verifier()).unwrap(), cp);
            let bytes = note.as_bytes();
            for i in 0..bytes.len() {
                // Every bit under Ed25519; one bit per byte under the much slower SM2.
                let bits = if suite == Suite::Sm3Sm2 {
                    i % 8..i % 8 + 1
                } else {
                    0..8
                };
                for bit in bits {
                    let mut flipped = bytes.to_vec();
                    flipped[i] ^= 1 << bit;
                    let Ok(text) = String::from_utf8(flipped) else {
                        continue;
                    };
                    assert!(
                        Checkpoint::open(&text, &key.verifier()).is_err(),
                        "{suite}: flipping bit {bit} of byte {i} went unnoticed"
                    );
                }
            }
        }
    }

    #[test]
    fn the_other_suite_and_other_keys_are_refused() {
        let (cp, key) = checkpoint(Suite::Sha256Ed25519);
        let stranger = SigningKey::generate(&cp.origin, Suite::Sha256Ed25519).unwrap();
        let note = cp.sign(&key);
        assert!(matches!(
            Checkpoint::open(&note, &stranger.verifier()),
            Err(NoteError::NoTrustedSignature(_))
        ));
        // An SM2 key named like a SHA-256 log: the origin's suite must match the key.
        let sm_key = SigningKey::generate(&cp.origin, Suite::Sm3Sm2).unwrap();
        let note = cp.sign(&sm_key);
        assert!(matches!(
            Checkpoint::open(&note, &sm_key.verifier()),
            Err(NoteError::SuiteMismatch { .. })
        ));
    }

    #[test]
    fn parses_the_specification_example_body() {
        let body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::parse_body(body).unwrap();
        assert_eq!(cp.size, 20852163);
        assert_eq!(cp.body(), body);
    }
}
