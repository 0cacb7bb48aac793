//! The loan book over time, from its month-end positions: vintage curves, roll rates between
//! delinquency buckets and five-category migration.
//!
//! The input is one row per open loan per month end, and one more in the month a loan left the
//! book with its final state, `closed` (repaid, or recovered in full) or `written_off` (as
//! `xinrong simulate` writes `loan_months.csv`). A loan that vanishes without such a row is
//! taken as repaid, unless it was 90+ days past due or in default, then as written off.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Final states: the loan left the book that month.
const EXITS: [(&str, usize); 2] = [("closed", 5), ("written_off", 6)];

fn exit_of(p: &Position) -> Option<usize> {
    EXITS.iter().find(|(s, _)| *s == p.state).map(|(_, k)| *k)
}

/// Longest life on book a position may claim (50 years).
pub const MAX_MONTHS_ON_BOOK: u32 = 600;

/// Checks a position read from a file: a known category and a plausible age.
pub fn check(p: &Position) -> Result<(), String> {
    if !CATEGORIES[..5].contains(&p.category.as_str()) {
        return Err(format!(
            "category {:?} is not one of {}",
            p.category,
            CATEGORIES[..5].join(", ")
        ));
    }
    if p.months_on_book > MAX_MONTHS_ON_BOOK {
        return Err(format!(
            "months_on_book {} is more than {MAX_MONTHS_ON_BOOK}",
            p.months_on_book
        ));
    }
    Ok(())
}

/// A loan at a month end.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Position {
    /// Month end.
    pub date: NaiveDate,
    /// Loan.
    pub loan: String,
    /// Month of disbursement (`YYYY-MM`).
    pub vintage: String,
    /// Whole months since disbursement.
    pub months_on_book: u32,
    /// Principal outstanding.
    pub outstanding: Decimal,
    /// Days past due.
    pub days_past_due: u32,
    /// Five-category class (`normal`, `special_mention`, `substandard`, `doubtful`, `loss`).
    pub category: String,
    /// Loan state (`active`, `defaulted`, `compensated`, …).
    pub state: String,
}

/// Delinquency buckets of roll rates, plus where loans leave the book to.
pub const BUCKETS: [&str; 7] = [
    "current",
    "1-30",
    "31-60",
    "61-90",
    "90+",
    "repaid",
    "written_off",
];

/// The bucket of a position.
pub fn bucket(p: &Position) -> usize {
    if p.state == "defaulted" || p.state == "compensated" || p.days_past_due > 90 {
        4
    } else {
        match p.days_past_due {
            0 => 0,
            1..=30 => 1,
            31..=60 => 2,
            _ => 3,
        }
    }
}

/// A transition matrix: counts and amounts from row to column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matrix {
    /// Row and column names.
    pub states: Vec<String>,
    /// Loans moving from row to column, month to next month.
    pub counts: Vec<Vec<u64>>,
    /// Their outstanding at the start (yuan).
    pub amounts: Vec<Vec<Decimal>>,
}

impl Matrix {
    fn new(states: &[&str]) -> Matrix {
        let n = states.len();
        Matrix {
            states: states.iter().map(|s| s.to_string()).collect(),
            counts: vec![vec![0; n]; n],
            amounts: vec![vec![Decimal::ZERO; n]; n],
        }
    }

    /// Row shares (each row's counts over its total); a row without loans is all zero.
    pub fn rates(&self) -> Vec<Vec<f64>> {
        self.counts
            .iter()
            .map(|row| {
                let total: u64 = row.iter().sum();
                row.iter()
                    .map(|&c| {
                        if total == 0 {
                            0.0
                        } else {
                            c as f64 / total as f64
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// Five categories, best first, with the book's exits.
pub const CATEGORIES: [&str; 7] = [
    "normal",
    "special_mention",
    "substandard",
    "doubtful",
    "loss",
    "repaid",
    "written_off",
];

fn by_loan(positions: &[Position]) -> BTreeMap<&str, Vec<&Position>> {
    let mut m: BTreeMap<&str, Vec<&Position>> = BTreeMap::new();
    for p in positions {
        m.entry(p.loan.as_str()).or_default().push(p);
    }
    for v in m.values_mut() {
        v.sort_by_key(|p| p.date);
    }
    m
}

/// Month-to-month transitions: `state(p)` gives a position's row; a loan absent at the next
/// month end of the book goes to the exit column its last state implies.
fn transitions(
    positions: &[Position],
    states: &[&str],
    state: impl Fn(&Position) -> usize,
) -> Matrix {
    let mut dates: Vec<NaiveDate> = positions.iter().map(|p| p.date).collect();
    dates.sort();
    dates.dedup();
    let next_date: HashMap<NaiveDate, NaiveDate> = dates.windows(2).map(|w| (w[0], w[1])).collect();
    let exit_repaid = states.len() - 2;
    let exit_written_off = states.len() - 1;
    let mut m = Matrix::new(states);
    for history in by_loan(positions).values() {
        for (k, p) in history.iter().enumerate() {
            if exit_of(p).is_some() {
                continue; // an exit row: where the loan went, not a position on the book
            }
            let Some(&next) = next_date.get(&p.date) else {
                continue; // the book's last month end: no next month observed
            };
            let from = state(p);
            let to = match history.get(k + 1) {
                Some(q) if q.date == next => exit_of(q)
                    .map(|e| {
                        if e == 5 {
                            exit_repaid
                        } else {
                            exit_written_off
                        }
                    })
                    .unwrap_or_else(|| state(q)),
                _ if bucket(p) == 4 => exit_written_off,
                _ => exit_repaid,
            };
            m.counts[from][to] += 1;
            m.amounts[from][to] += p.outstanding;
        }
    }
    m
}

/// Roll rates between delinquency buckets ([`BUCKETS`]).
pub fn roll_rates(positions: &[Position]) -> Matrix {
    transitions(positions, &BUCKETS, bucket)
}

/// Five-category migration, month to month ([`CATEGORIES`]).
pub fn migration(positions: &[Position]) -> Matrix {
    transitions(positions, &CATEGORIES, |p| {
        CATEGORIES[..5]
            .iter()
            .position(|c| *c == p.category)
            .unwrap_or(0)
    })
}

/// One vintage's curve: the cumulative share of its loans (and of its amount) that have been
/// 90+ days past due or defaulted, by months on book.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vintage {
    /// Month of disbursement.
    pub vintage: String,
    /// Loans disbursed.
    pub loans: u64,
    /// Amount at the first month end on book (yuan).
    pub amount: Decimal,
    /// Cumulative bad share by count, index = months on book (up to the last observed).
    pub bad_rate: Vec<f64>,
    /// Cumulative bad share by amount.
    pub bad_amount_rate: Vec<f64>,
}

/// Vintage curves of the book.
pub fn vintages(positions: &[Position]) -> Vec<Vintage> {
    let mut groups: BTreeMap<&str, Vec<Vec<&Position>>> = BTreeMap::new();
    for history in by_loan(positions).into_values() {
        let history: Vec<&Position> = history
            .into_iter()
            .filter(|p| exit_of(p).is_none())
            .collect();
        if history.is_empty() {
            continue;
        }
        groups
            .entry(history[0].vintage.as_str())
            .or_default()
            .push(history);
    }
    groups
        .into_iter()
        .map(|(vintage, loans)| {
            let horizon = loans
                .iter()
                .flat_map(|h| h.iter().map(|p| p.months_on_book))
                .max()
                .unwrap_or(0) as usize;
            let mut bad_count = vec![0u64; horizon + 1];
            let mut bad_amount = vec![Decimal::ZERO; horizon + 1];
            let mut amount = Decimal::ZERO;
            for h in &loans {
                let first = h[0].outstanding;
                amount += first;
                if let Some(went_bad) = h.iter().find(|p| bucket(p) == 4) {
                    let m = went_bad.months_on_book as usize;
                    for k in m..=horizon {
                        bad_count[k] += 1;
                        bad_amount[k] += first;
                    }
                }
            }
            let n = loans.len() as u64;
            let total = amount.to_f64().unwrap_or(0.0).max(f64::MIN_POSITIVE);
            Vintage {
                vintage: vintage.to_string(),
                loans: n,
                amount,
                bad_rate: bad_count.iter().map(|&b| b as f64 / n as f64).collect(),
                bad_amount_rate: bad_amount
                    .iter()
                    .map(|b| b.to_f64().unwrap_or(0.0) / total)
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(date: &str, loan: &str, mob: u32, dpd: u32, state: &str, category: &str) -> Position {
        Position {
            date: date.parse().unwrap(),
            loan: loan.into(),
            vintage: "2024-01".into(),
            months_on_book: mob,
            outstanding: Decimal::new(1000, 0),
            days_past_due: dpd,
            category: category.into(),
            state: state.into(),
        }
    }

    fn book() -> Vec<Position> {
        vec![
            // A pays: current throughout, repaid after March.
            pos("2024-01-31", "A", 0, 0, "active", "normal"),
            pos("2024-02-29", "A", 1, 0, "active", "normal"),
            pos("2024-03-31", "A", 2, 0, "active", "normal"),
            // B rolls 0 → 1-30 → 31-60 → 61-90 → default.
            pos("2024-01-31", "B", 0, 0, "active", "normal"),
            pos("2024-02-29", "B", 1, 20, "active", "special_mention"),
            pos("2024-03-31", "B", 2, 50, "active", "special_mention"),
            pos("2024-04-30", "B", 3, 80, "active", "substandard"),
            pos("2024-05-31", "B", 4, 95, "defaulted", "doubtful"),
        ]
    }

    #[test]
    fn roll_rates_follow_each_loan_month_to_month() {
        let m = roll_rates(&book());
        let i = |s: &str| BUCKETS.iter().position(|b| *b == s).unwrap();
        assert_eq!(m.counts[i("current")][i("current")], 2);
        assert_eq!(m.counts[i("current")][i("1-30")], 1);
        assert_eq!(
            m.counts[i("current")][i("repaid")],
            1,
            "A leaves after March"
        );
        assert_eq!(m.counts[i("1-30")][i("31-60")], 1);
        assert_eq!(m.counts[i("61-90")][i("90+")], 1);
        assert_eq!(
            m.counts[i("90+")].iter().sum::<u64>(),
            0,
            "May is the book's last month"
        );
        assert!((m.rates()[i("current")][i("1-30")] - 0.25).abs() < 1e-12);
        let c = migration(&book());
        let j = |s: &str| CATEGORIES.iter().position(|b| *b == s).unwrap();
        assert_eq!(c.counts[j("special_mention")][j("substandard")], 1);
        assert_eq!(c.counts[j("substandard")][j("doubtful")], 1);
    }

    #[test]
    fn exit_rows_tell_a_repayment_from_a_write_off() {
        let mut b = book();
        b.push(pos("2024-06-30", "B", 5, 95, "closed", "loss")); // recovered in full
        b.push(pos("2024-04-30", "A", 3, 0, "closed", "normal"));
        b.push(pos("2024-06-30", "C", 0, 0, "active", "normal"));
        let m = roll_rates(&b);
        let i = |s: &str| BUCKETS.iter().position(|x| *x == s).unwrap();
        assert_eq!(
            m.counts[i("90+")][i("repaid")],
            1,
            "B's full recovery is no write-off"
        );
        assert_eq!(m.counts[i("current")][i("repaid")], 1);
        assert!(check(&pos("2024-01-31", "X", 700, 0, "active", "normal")).is_err());
        assert!(check(&pos("2024-01-31", "X", 1, 0, "active", "fine")).is_err());
        assert_eq!(vintages(&b)[0].loans, 3, "exit rows add no loans");
    }

    #[test]
    fn vintage_curves_accumulate_from_the_month_a_loan_went_bad() {
        let v = vintages(&book());
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].loans, 2);
        assert_eq!(v[0].bad_rate, vec![0.0, 0.0, 0.0, 0.0, 0.5]);
        assert_eq!(v[0].bad_amount_rate[4], 0.5);
    }
}
