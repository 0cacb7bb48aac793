//! Early warnings: red, yellow and blue alerts on a portfolio's month-end facts, each with its
//! signal, evidence and suggested action, and their evaluation against the true default dates.
//!
//! The rules are a GoRules JDM decision table (`collect`: every row that matches raises its
//! alert), so a bank edits them in the JDM editor; the built-in table reads the model's
//! early-warning rank (the PD's place in the month's portfolio) and events a scorecard reads
//! only slowly: enforcement and new lawsuits, overdue loans elsewhere, tax arrears and late
//! filings, a score drop or grade migration, inflows against the same months a year before
//! (the firm's own seasons), lost customers, falling electricity use and headcount, idle
//! equipment. A firm-month's level is the highest of its alerts.
//!
//! - [`facts`]: the month-end panel and the facts derived from a firm's own history.
//! - [`assess`]: the rules run over the panel, with episodes (one open alert per firm and
//!   signal).
//! - [`evaluate`]: lead time, recall at a horizon and precision by level against the truth,
//!   beside an oracle that ranks by the true PD at the same alert volume.

pub mod assess;
pub mod evaluate;
pub mod facts;

pub use assess::{Alert, Assessor, FirmMonth, WarningError};
pub use evaluate::{Evaluation, evaluate};
pub use facts::{Observation, Panel};

use serde::Serialize;

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Worth watching.
    Blue,
    /// Act soon.
    Yellow,
    /// Act now.
    Red,
}

impl Level {
    /// The level's name, as the rules write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Blue => "blue",
            Level::Yellow => "yellow",
            Level::Red => "red",
        }
    }

    /// The name in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Level::Blue => "蓝色",
            Level::Yellow => "黄色",
            Level::Red => "红色",
        }
    }

    /// Parses a level as the rules write it.
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "blue" => Some(Level::Blue),
            "yellow" => Some(Level::Yellow),
            "red" => Some(Level::Red),
            _ => None,
        }
    }
}
