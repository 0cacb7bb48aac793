//! Request fields that are checked once, when they are read, so that no operation sees a
//! malformed one and both stores receive the same values: PostgreSQL refuses text holding a
//! NUL character that SQLite would store, so text that reaches a statement never holds one.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::PlatformError;

/// Longest identifier the platform issues or accepts.
const MAX_ID: usize = 64;

/// An identifier the platform issued: a lower-case prefix naming what it identifies (`q`,
/// `c`, `bank`, …), `_`, and hexadecimal digits. Anything else cannot name a record, so it
/// is refused before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    /// `text` as an identifier, or an error naming `field`.
    pub fn parse(field: &str, text: &str) -> Result<Id, PlatformError> {
        if is_id(text) {
            Ok(Id(text.to_string()))
        } else {
            Err(PlatformError::invalid(
                field,
                format!(
                    "{} is not an identifier this platform issues (a prefix, '_' and hex digits)",
                    shown(text)
                ),
            ))
        }
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `text` has the shape of an identifier the platform issues.
pub(crate) fn is_id(text: &str) -> bool {
    let Some((prefix, digits)) = text.split_once('_') else {
        return false;
    };
    text.len() <= MAX_ID
        && (1..=16).contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && digits.len() >= 8
        && digits
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        let text = String::deserialize(d)?;
        if is_id(&text) {
            Ok(Id(text))
        } else {
            Err(serde::de::Error::custom(format!(
                "{} is not an identifier this platform issues (a prefix, '_' and hex digits)",
                shown(&text)
            )))
        }
    }
}

/// A name people read (an enterprise's registered name, an institution's): 1–200 characters,
/// no control characters, no surrounding blanks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// `text` as a name, or an error naming `field`.
    pub fn parse(field: &str, text: &str) -> Result<Name, PlatformError> {
        check_name(text)
            .map(|()| Name(text.trim().to_string()))
            .map_err(|m| PlatformError::invalid(field, m))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_name(text: &str) -> Result<(), String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err("must be 1–200 characters".into());
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "must not contain control characters (found U+{:04X})",
            c as u32
        ));
    }
    Ok(())
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        let text = String::deserialize(d)?;
        check_name(&text).map_err(serde::de::Error::custom)?;
        Ok(Name(text.trim().to_string()))
    }
}

/// A model version name: 1–64 letters, digits, '.', '_' or '-'.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Version(String);

impl Version {
    /// `text` as a version name, or an error naming `field`.
    pub fn parse(field: &str, text: &str) -> Result<Version, PlatformError> {
        check_version(text)
            .map(|()| Version(text.to_string()))
            .map_err(|m| PlatformError::invalid(field, m))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_version(text: &str) -> Result<(), String> {
    if text.is_empty()
        || text.len() > 64
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(format!(
            "{} must be 1–64 letters, digits, '.', '_' or '-'",
            shown(text)
        ));
    }
    Ok(())
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Version, D::Error> {
        let text = String::deserialize(d)?;
        check_version(&text).map_err(serde::de::Error::custom)?;
        Ok(Version(text))
    }
}

/// How a value the caller sent is quoted back: escaped (no control character or NUL is ever
/// echoed raw) and cut to 40 characters.
pub fn shown(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    let more = if text.chars().count() > 40 { "…" } else { "" };
    format!("'{}{more}'", cut.escape_debug())
}

/// Checks a client's request key (an idempotency key): 1–128 characters of letters, digits
/// and `-_.:`, so it is the same text on both stores and safe in any log.
pub fn check_request_key(field: &str, text: &str) -> Result<(), PlatformError> {
    let ok = (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(PlatformError::invalid(
            field,
            format!(
                "{} is not a request key (1–128 letters, digits, '-', '_', '.', ':')",
                shown(text)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_have_one_shape_and_nothing_else_passes() {
        for good in [
            "q_0194f0a1b2c3d4e5f60718293a4b",
            "c_0123456789abcdef",
            "bank_0123456789abcdef",
        ] {
            assert!(Id::parse("id", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "q_abc\0def01234567",
            "q_ABCDEF0123456789",
            "Q_0123456789abcdef",
            "q-0123456789abcdef",
            "q_012",
            "q_0123456789abcdeg",
            "_0123456789abcdef",
            &format!("q_{}", "0".repeat(80)),
            "q_0123456789abcdef; DROP TABLE x",
        ] {
            let err = Id::parse("id", bad).unwrap_err().to_string();
            assert!(err.starts_with("id: "), "{err}");
            assert!(!err.contains('\0'), "a NUL is never echoed: {err}");
        }
    }

    #[test]
    fn names_refuse_control_characters_and_blanks() {
        assert_eq!(Name::parse("name", " 甲公司 ").unwrap().as_str(), "甲公司");
        for bad in ["", "   ", "Robert\0 NUL", "tab\there", &"x".repeat(201)] {
            assert!(Name::parse("name", bad).is_err(), "{bad:?}");
        }
        let err = serde_json::from_str::<Name>("\"a\\u0000b\"").unwrap_err();
        assert!(err.to_string().contains("U+0000"), "{err}");
    }

    #[test]
    fn versions_are_plain_names() {
        assert!(Version::parse("name", "v1.2_rc-3").is_ok());
        for bad in ["", "v 1", "v/1", "v\u{0}1", &"v".repeat(65)] {
            let err = Version::parse("name", bad).unwrap_err();
            assert!(err.to_string().starts_with("name: "), "{err}");
        }
    }
}
