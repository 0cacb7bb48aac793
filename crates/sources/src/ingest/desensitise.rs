//! Desensitisation: personal data is replaced by a keyed hash (joinable across files, not
//! readable) or masked before any row reaches the store, the quarantine file or a log.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::IngestError;
use crate::schema::Pii;

/// The HMAC key for desensitisation: `$XINRONG_HMAC_KEY`, else `<data-dir>/hmac.key`
/// (created with a random key on first use, readable by its owner only). Every ingest of a
/// data directory, from the command line or the API, must use the same key, or the keyed
/// hashes of one person would not match across files.
pub fn hmac_key(data_dir: &Path) -> Result<Vec<u8>, IngestError> {
    if let Ok(key) = std::env::var("XINRONG_HMAC_KEY") {
        return Ok(key.into_bytes());
    }
    let path = data_dir.join("hmac.key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return hex::decode(key.trim()).map_err(|_| IngestError::Unreadable {
            file: path.display().to_string(),
            reason: "not a hex key".into(),
        });
    }
    use rand::RngCore as _;
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let io = |source| IngestError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(|source| IngestError::Io {
        path: data_dir.to_path_buf(),
        source,
    })?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(io)?;
    file.write_all(hex::encode(key).as_bytes()).map_err(io)?;
    Ok(key.to_vec())
}

/// How field values are desensitised.
#[derive(Clone)]
pub struct Desensitiser {
    /// The keyed state, cloned per value so the key is absorbed once, not per row.
    mac: Hmac<Sha256>,
}

impl Desensitiser {
    /// A desensitiser with the HMAC key from configuration.
    pub fn new(key: &[u8]) -> Desensitiser {
        Desensitiser {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    /// The stored form of `value` under `rule`.
    pub fn apply(&self, rule: Pii, value: &str) -> String {
        match rule {
            Pii::None => value.to_string(),
            Pii::Hmac => {
                let mut mac = self.mac.clone();
                mac.update(value.as_bytes());
                let digest = mac.finalize().into_bytes();
                let mut text = [0u8; 34];
                text[..2].copy_from_slice(b"h:");
                hex::encode_to_slice(&digest[..16], &mut text[2..]).expect("32 hex digits fit");
                String::from_utf8(text.to_vec()).expect("ASCII")
            }
            Pii::Mask => mask(value),
        }
    }
}

/// Keeps what a person needs to recognise a value (`138****5678`), hides the rest.
pub(crate) fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let keep_tail = 4.min(chars.len() / 3);
    let keep_head = 3.min(chars.len() - keep_tail - 1);
    let mut out: String = chars[..keep_head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - keep_head - keep_tail));
    out.extend(&chars[chars.len() - keep_tail..]);
    out
}
