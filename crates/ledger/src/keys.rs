//! Checkpoint signing keys and verifier keys in the text encodings of the C2SP signed-note
//! specification, so that keys can be pasted into configuration and compared by eye.
//!
//! * verifier key: `<name>+<key id, 8 hex digits>+<base64(type || public key)>`
//! * signing key:  `PRIVATE+KEY+<name>+<key id>+<base64(type || secret key)>`
//!
//! The type is `0x01` for Ed25519 (as the specification assigns) and `0xff 's' 'm' '2'` for
//! SM2, using the range the specification reserves for unassigned algorithms. The key id
//! is the first four bytes of `SHA-256(name || 0x0a || type || public key)`. SM2 public
//! keys are SEC1 uncompressed points (65 bytes) and SM2 signatures are `r || s` (64 bytes),
//! with the default distinguishing identifier `1234567812345678` of GM/T 0009.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, Verifier as _};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::error::KeyError;
use crate::suite::Suite;

const ED25519_TYPE: &[u8] = &[0x01];
const SM2_TYPE: &[u8] = &[0xff, b's', b'm', b'2'];
/// The default SM2 distinguishing identifier of GM/T 0009-2012.
pub const SM2_DISTID: &str = "1234567812345678";

/// A key that signs checkpoints. Only the log operator holds it.
pub struct SigningKey {
    name: String,
    inner: SigningInner,
}

enum SigningInner {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Sm2(Box<sm2::dsa::SigningKey>),
}

/// A public key that checks checkpoint signatures. Anyone may hold it.
#[derive(Clone)]
pub struct VerifierKey {
    name: String,
    id: u32,
    inner: VerifierInner,
}

#[derive(Clone)]
enum VerifierInner {
    Ed25519(ed25519_dalek::VerifyingKey),
    Sm2(Box<sm2::dsa::VerifyingKey>),
}

fn key_id(name: &str, type_and_key: &[u8]) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([0x0a])
        .chain_update(type_and_key)
        .finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn check_name(name: &str) -> Result<(), KeyError> {
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
        return Err(KeyError::BadName(name.to_string()));
    }
    Ok(())
}

impl SigningKey {
    /// A fresh random key of the suite's signature algorithm.
    pub fn generate(name: &str, suite: Suite) -> Result<SigningKey, KeyError> {
        check_name(name)?;
        let mut rng = rand::rng();
        let inner = match suite {
            Suite::Sha256Ed25519 => {
                let mut secret = [0u8; 32];
                rng.fill_bytes(&mut secret);
                SigningInner::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&secret)))
            }
            Suite::Sm3Sm2 => loop {
                let mut secret = [0u8; 32];
                rng.fill_bytes(&mut secret);
                // A random 256-bit string is a valid SM2 scalar with overwhelming
                // probability; the loop only guards the negligible rest.
                if let Ok(key) = sm2_signing(&secret) {
                    break SigningInner::Sm2(Box::new(key));
                }
            },
        };
        Ok(SigningKey {
            name: name.to_string(),
            inner,
        })
    }

    /// The suite whose signature algorithm this key uses.
    pub fn suite(&self) -> Suite {
        match self.inner {
            SigningInner::Ed25519(_) => Suite::Sha256Ed25519,
            SigningInner::Sm2(_) => Suite::Sm3Sm2,
        }
    }

    /// The key name, which is also the log origin.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        let inner = match &self.inner {
            SigningInner::Ed25519(k) => VerifierInner::Ed25519(k.verifying_key()),
            SigningInner::Sm2(k) => VerifierInner::Sm2(Box::new(k.verifying_key().clone())),
        };
        VerifierKey::from_parts(self.name.clone(), inner)
    }

    /// Signs `message`, returning the raw signature bytes.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.inner {
            SigningInner::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            SigningInner::Sm2(k) => {
                let signature: sm2::dsa::Signature = k.sign(message);
                signature.to_bytes().to_vec()
            }
        }
    }

    /// The `PRIVATE+KEY+…` text form.
    pub fn encode(&self) -> String {
        let (type_bytes, secret): (&[u8], Vec<u8>) = match &self.inner {
            SigningInner::Ed25519(k) => (ED25519_TYPE, k.to_bytes().to_vec()),
            SigningInner::Sm2(k) => (SM2_TYPE, k.to_bytes().to_vec()),
        };
        let verifier = self.verifier();
        let mut payload = type_bytes.to_vec();
        payload.extend_from_slice(&secret);
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            verifier.id,
            B64.encode(payload)
        )
    }

    /// Parses the `PRIVATE+KEY+…` text form.
    pub fn decode(text: &str) -> Result<SigningKey, KeyError> {
        let text = text.trim();
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(KeyError::Malformed("signing key"))?;
        let (name, _id, payload) = split_key(rest)?;
        let inner = if let Some(secret) = payload.strip_prefix(ED25519_TYPE) {
            let secret: [u8; 32] = secret
                .try_into()
                .map_err(|_| KeyError::Malformed("Ed25519 secret"))?;
            SigningInner::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&secret)))
        } else if let Some(secret) = payload.strip_prefix(SM2_TYPE) {
            SigningInner::Sm2(Box::new(sm2_signing(secret)?))
        } else {
            return Err(KeyError::UnknownType);
        };
        Ok(SigningKey {
            name: name.to_string(),
            inner,
        })
    }
}

fn sm2_signing(secret: &[u8]) -> Result<sm2::dsa::SigningKey, KeyError> {
    let secret =
        sm2::SecretKey::from_slice(secret).map_err(|_| KeyError::Malformed("SM2 secret"))?;
    sm2::dsa::SigningKey::new(SM2_DISTID, &secret).map_err(|_| KeyError::Malformed("SM2 secret"))
}

fn split_key(text: &str) -> Result<(&str, u32, Vec<u8>), KeyError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(payload)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyError::Malformed("key text (want name+id+base64)"));
    };
    check_name(name)?;
    let id = u32::from_str_radix(id, 16).map_err(|_| KeyError::Malformed("key id"))?;
    let payload = B64
        .decode(payload)
        .map_err(|_| KeyError::Malformed("key base64"))?;
    Ok((name, id, payload))
}

impl VerifierKey {
    fn from_parts(name: String, inner: VerifierInner) -> VerifierKey {
        let mut key = VerifierKey { name, id: 0, inner };
        key.id = key_id(&key.name, &key.type_and_key());
        key
    }

    fn type_and_key(&self) -> Vec<u8> {
        match &self.inner {
            VerifierInner::Ed25519(k) => [ED25519_TYPE, k.as_bytes()].concat(),
            VerifierInner::Sm2(k) => [SM2_TYPE, &k.to_sec1_bytes()[..]].concat(),
        }
    }

    /// The key name (the log origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32-bit key id that signature lines carry.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The suite whose signature algorithm this key checks.
    pub fn suite(&self) -> Suite {
        match self.inner {
            VerifierInner::Ed25519(_) => Suite::Sha256Ed25519,
            VerifierInner::Sm2(_) => Suite::Sm3Sm2,
        }
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.inner {
            VerifierInner::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| k.verify(message, &s).is_ok()),
            VerifierInner::Sm2(k) => {
                use sm2::dsa::signature::Verifier as _;
                sm2::dsa::Signature::try_from(signature)
                    .is_ok_and(|s| k.verify(message, &s).is_ok())
            }
        }
    }

    /// The `name+id+base64` text form.
    pub fn encode(&self) -> String {
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(self.type_and_key())
        )
    }

    /// Parses the `name+id+base64` text form, checking that the id matches the key.
    pub fn decode(text: &str) -> Result<VerifierKey, KeyError> {
        let (name, id, payload) = split_key(text.trim())?;
        let inner = if let Some(key) = payload.strip_prefix(ED25519_TYPE) {
            let key: [u8; 32] = key
                .try_into()
                .map_err(|_| KeyError::Malformed("Ed25519 public key"))?;
            VerifierInner::Ed25519(
                ed25519_dalek::VerifyingKey::from_bytes(&key)
                    .map_err(|_| KeyError::Malformed("Ed25519 public key"))?,
            )
        } else if let Some(key) = payload.strip_prefix(SM2_TYPE) {
            VerifierInner::Sm2(Box::new(
                sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTID, key)
                    .map_err(|_| KeyError::Malformed("SM2 public key"))?,
            ))
        } else {
            return Err(KeyError::UnknownType);
        };
        let key = VerifierKey::from_parts(name.to_string(), inner);
        if key.id != id {
            return Err(KeyError::IdMismatch {
                stated: id,
                computed: key.id,
            });
        }
        Ok(key)
    }
}

impl std::fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode())
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, {})", self.name, self.suite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sign_in_both_suites() {
        for suite in Suite::ALL {
            let key = SigningKey::generate("example.com/log", suite).unwrap();
            let again = SigningKey::decode(&key.encode()).unwrap();
            let verifier = VerifierKey::decode(&again.verifier().encode()).unwrap();
            assert_eq!(verifier.suite(), suite);
            let signature = key.sign(b"hello\n");
            assert!(verifier.verify(b"hello\n", &signature));
            assert!(!verifier.verify(b"hellp\n", &signature));
            let mut bad = signature.clone();
            bad[5] ^= 1;
            assert!(!verifier.verify(b"hello\n", &bad));
        }
    }

    #[test]
    fn ed25519_key_id_follows_the_note_specification() {
        // The Go note package's documented example key.
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let key = VerifierKey::decode(vkey).unwrap();
        assert_eq!(key.id(), 0xc74f20a3);
        assert_eq!(key.encode(), vkey);
    }

    #[test]
    fn tampered_key_text_is_refused() {
        let key = SigningKey::generate("a", Suite::Sha256Ed25519)
            .unwrap()
            .verifier()
            .encode();
        let mut parts: Vec<&str> = key.split('+').collect();
        let forged_id = format!("{:08x}", u32::from_str_radix(parts[1], 16).unwrap() ^ 1);
        parts[1] = &forged_id;
        assert!(matches!(
            VerifierKey::decode(&parts.join("+")),
            Err(KeyError::IdMismatch { .. })
        ));
        assert!(VerifierKey::decode("no-plus-signs").is_err());
    }
}
