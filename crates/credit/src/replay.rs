//! Replay: a draft version run over the recorded decisions of a period, answering what would
//! change before it goes live: approvals gained and lost, by grade, with the amounts and the
//! expected loss they carry. It reads recorded decisions and writes nothing.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::flow::{Application, FlowError, Outcome, Policy};

/// A decision as it was recorded: its application and what it answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    /// The application, with the inputs the decision saw.
    pub application: Application,
    /// What was decided.
    pub outcome: Outcome,
    /// Amount approved.
    pub amount: Decimal,
}

/// A count of decisions with their amount and expected loss.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Decisions.
    pub count: u64,
    /// Amount approved.
    pub amount: Decimal,
    /// Its expected loss (PD × LGD × amount).
    pub expected_loss: Decimal,
}

impl Tally {
    fn add(&mut self, amount: Decimal, expected_loss: Decimal) {
        self.count += 1;
        self.amount += amount;
        self.expected_loss += expected_loss;
    }

    fn merge(&mut self, other: &Tally) {
        self.count += other.count;
        self.amount += other.amount;
        self.expected_loss += other.expected_loss;
    }
}

/// Approvals gained and lost.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Change {
    /// Not approved before, approved by the draft.
    pub gained: Tally,
    /// Approved before, not by the draft.
    pub lost: Tally,
}

impl Change {
    fn merge(&mut self, other: &Change) {
        self.gained.merge(&other.gained);
        self.lost.merge(&other.lost);
    }
}

/// What a draft would have changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Diff {
    /// Decisions replayed (those in the period).
    pub decisions: u64,
    /// Decisions the draft answers the same.
    pub unchanged: u64,
    /// Approvals gained and lost over all.
    pub total: Change,
    /// The same by grade.
    pub by_grade: BTreeMap<String, Change>,
    /// Counts of each change of outcome, as `before→after`.
    pub moves: BTreeMap<String, u64>,
}

impl Diff {
    fn merge(mut self, other: Diff) -> Diff {
        self.decisions += other.decisions;
        self.unchanged += other.unchanged;
        self.total.merge(&other.total);
        for (g, c) in other.by_grade {
            self.by_grade.entry(g).or_default().merge(&c);
        }
        for (m, n) in other.moves {
            *self.moves.entry(m).or_default() += n;
        }
        self
    }
}

/// Replays `recorded` decisions dated within `from..=to` (either bound optional) through
/// `policy` (version `version` of `flow`).
pub fn replay(
    policy: &Policy,
    flow: &str,
    version: u32,
    recorded: &[Recorded],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Diff, FlowError> {
    let within = |d: NaiveDate| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t);
    recorded
        .par_iter()
        .filter(|r| within(r.application.date))
        .try_fold(Diff::default, |mut diff, r| {
            let now = policy.decide_with(flow, version, &r.application, false)?;
            diff.decisions += 1;
            if now.outcome == r.outcome && now.amount == r.amount {
                diff.unchanged += 1;
                return Ok(diff);
            }
            *diff
                .moves
                .entry(format!("{}→{}", r.outcome.as_str(), now.outcome.as_str()))
                .or_default() += 1;
            let grade = diff
                .by_grade
                .entry(r.application.grade.clone())
                .or_default();
            let was = r.outcome == Outcome::Approve;
            let is = now.outcome == Outcome::Approve;
            if is && !was {
                let el = r.application.expected_loss(now.amount);
                grade.gained.add(now.amount, el);
                diff.total.gained.add(now.amount, el);
            } else if was && !is {
                let el = r.application.expected_loss(r.amount);
                grade.lost.add(r.amount, el);
                diff.total.lost.add(r.amount, el);
            }
            Ok(diff)
        })
        .try_reduce(Diff::default, |a, b| Ok(a.merge(b)))
}
