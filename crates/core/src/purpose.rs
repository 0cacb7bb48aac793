//! Why an institution asks for an enterprise's credit data. A consent is given for one
//! purpose, and a query is allowed only for a purpose the enterprise consented to.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The purposes a consent can name (授权用途).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Assessment before a loan is granted (贷前审查).
    PreLoan,
    /// Review while a loan is outstanding (贷中审查).
    InLoan,
    /// Monitoring after disbursement (贷后监控).
    PostLoan,
    /// A guarantor's assessment (融资担保).
    Guarantee,
}

/// A purpose name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a purpose; expected one of pre_loan, in_loan, post_loan, guarantee")]
pub struct ParsePurposeError(pub String);

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 4] = [
        Purpose::PreLoan,
        Purpose::InLoan,
        Purpose::PostLoan,
        Purpose::Guarantee,
    ];

    /// The code used in APIs and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::PreLoan => "pre_loan",
            Purpose::InLoan => "in_loan",
            Purpose::PostLoan => "post_loan",
            Purpose::Guarantee => "guarantee",
        }
    }

    /// The Chinese label shown to enterprises.
    pub fn zh(self) -> &'static str {
        match self {
            Purpose::PreLoan => "贷前审查",
            Purpose::InLoan => "贷中审查",
            Purpose::PostLoan => "贷后监控",
            Purpose::Guarantee => "融资担保",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Purpose {
    type Err = ParsePurposeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Purpose::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ParsePurposeError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_is_refused() {
        for p in Purpose::ALL {
            assert_eq!(p.as_str().parse::<Purpose>().unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        let err = "marketing".parse::<Purpose>().unwrap_err();
        assert!(err.to_string().contains("pre_loan"), "{err}");
    }
}
