//! Unified Social Credit Code (统一社会信用代码), GB 32100-2015.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The 31 characters a code may use (no I, O, Z, S, V), in value order.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1..=17 for the check character.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// An 18-character Unified Social Credit Code whose check character is correct.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

/// Why a string is not a valid Unified Social Credit Code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// The code is not 18 characters long.
    #[error("a Unified Social Credit Code has 18 characters, '{code}' has {len}")]
    Length {
        /// The rejected input.
        code: String,
        /// Its length in characters.
        len: usize,
    },
    /// A character outside the code's alphabet.
    #[error(
        "'{code}' has '{ch}' at position {position}, which a Unified Social Credit Code never uses"
    )]
    Character {
        /// The rejected input.
        code: String,
        /// The offending character.
        ch: char,
        /// 1-based position.
        position: usize,
    },
    /// The 18th character does not match the check computed from the first 17.
    #[error("'{code}' fails its check: the last character should be '{expected}'")]
    Check {
        /// The rejected input.
        code: String,
        /// The check character the first 17 characters call for.
        expected: char,
    },
}

impl Uscc {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registering authority's administrative division (GB/T 2260, positions 3–8).
    pub fn region(&self) -> &str {
        &self.0[2..8]
    }

    /// The province of [`Uscc::region`]: its first two digits.
    pub fn province(&self) -> &str {
        &self.0[2..4]
    }

    /// The check character for the first 17 characters of a code, if they are all valid.
    pub fn check_char(first17: &str) -> Option<char> {
        let bytes = first17.as_bytes();
        if bytes.len() != 17 {
            return None;
        }
        let mut sum = 0u32;
        for (b, w) in bytes.iter().zip(WEIGHTS) {
            sum += value_of(*b)? * w;
        }
        let check = (31 - sum % 31) % 31;
        Some(ALPHABET[check as usize] as char)
    }
}

fn value_of(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == b).map(|p| p as u32)
}

impl FromStr for Uscc {
    type Err = UsccError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_uppercase();
        let len = code.chars().count();
        if len != 18 {
            return Err(UsccError::Length {
                code: s.to_string(),
                len,
            });
        }
        for (i, ch) in code.chars().enumerate() {
            if !ch.is_ascii() || value_of(ch as u8).is_none() {
                return Err(UsccError::Character {
                    code: s.to_string(),
                    ch,
                    position: i + 1,
                });
            }
        }
        let expected = Uscc::check_char(&code[..17]).expect("17 valid characters");
        if code.as_bytes()[17] as char != expected {
            return Err(UsccError::Check {
                code: s.to_string(),
                expected,
            });
        }
        Ok(Uscc(code))
    }
}

impl TryFrom<String> for Uscc {
    type Error = UsccError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for c in [
            "91350100M000100Y43",
            "91110000600037341L",
            "911100001000054748",
        ] {
            assert!(c.parse::<Uscc>().is_ok(), "{c}");
        }
    }

    #[test]
    fn rejects_bad_codes_with_reason() {
        assert!(matches!(
            "9135".parse::<Uscc>(),
            Err(UsccError::Length { len: 4, .. })
        ));
        assert!(matches!(
            "91350100M000100Y4I".parse::<Uscc>(),
            Err(UsccError::Character { position: 18, .. })
        ));
        match "91350100M000100Y44".parse::<Uscc>() {
            Err(UsccError::Check { expected, .. }) => assert_eq!(expected, '3'),
            other => panic!("{other:?}"),
        }
    }
}
