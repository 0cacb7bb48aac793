//! The seven-grade rating scale of the reference model (seed 001).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A credit grade, best first: A, B, C1, C2, C3, D, F.
///
/// The order of the variants is the order of credit quality, so `Grade::A < Grade::F`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// Best grade.
    A,
    /// Second grade.
    B,
    /// Third grade, first of the C band.
    C1,
    /// Fourth grade.
    C2,
    /// Fifth grade, last of the C band.
    C3,
    /// Sixth grade.
    D,
    /// Worst grade.
    F,
}

/// A grade label that is not one of A, B, C1, C2, C3, D, F.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a grade; expected one of A, B, C1, C2, C3, D, F")]
pub struct ParseGradeError(pub String);

impl Grade {
    /// All grades, best first.
    pub const ALL: [Grade; 7] = [
        Grade::A,
        Grade::B,
        Grade::C1,
        Grade::C2,
        Grade::C3,
        Grade::D,
        Grade::F,
    ];

    /// The label used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C1 => "C1",
            Grade::C2 => "C2",
            Grade::C3 => "C3",
            Grade::D => "D",
            Grade::F => "F",
        }
    }

    /// Position on the scale, 0 for A up to 6 for F.
    pub fn rank(self) -> usize {
        self as usize
    }

    /// True when `self` denotes better credit quality than `other`.
    pub fn is_better_than(self, other: Grade) -> bool {
        self < other
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Grade {
    type Err = ParseGradeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Grade::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseGradeError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_round_trip() {
        assert!(Grade::A < Grade::B && Grade::C3 < Grade::D && Grade::D < Grade::F);
        for g in Grade::ALL {
            assert_eq!(g.as_str().parse::<Grade>().unwrap(), g);
        }
        assert_eq!("c2".parse::<Grade>().unwrap(), Grade::C2);
        assert!("E".parse::<Grade>().is_err());
    }
}
