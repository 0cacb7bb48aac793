//! Credit after the score: decisions, automatic guarantees and the loan book.
//!
//! - [`flow`]: a bank's credit policy as versioned GoRules JDM flows (maker-checker, champion
//!   and challenger), each decision with its version, inputs, reasons, trace and digest;
//!   [`replay`] runs a draft over recorded decisions and answers what it would change.
//! - [`agreement`]: batch guarantee agreements (见贷即保) with criteria, capacity, per-firm
//!   caps, loss sharing and a compensation-rate cap that stops automatic guarantees.
//! - [`loan`]: a loan as its events, with balances, days past due and the five-category
//!   classification ([`classify`]) derived from them; [`schedule`] makes repayment schedules.
//! - [`simulation`]: banks, guarantors and agreements run month by month over a portfolio.
//!
//! Money is `rust_decimal`, never `f64`. No HTTP, no SQL: the platform stores and serves what
//! this crate decides.
#![deny(missing_docs)]

pub mod agreement;
pub mod classify;
pub mod flow;
pub mod loan;
pub mod replay;
pub mod schedule;
pub mod simulation;

pub use agreement::{Agreement, Candidate, Certificate, Compensation, Level, Refusal, Standing};
pub use classify::{Category, Classification, CreditState};
pub use flow::{Application, Decision, Flow, FlowError, Outcome, Policy};
pub use loan::{Event, Loan, LoanError, State, Tranche};
pub use replay::{Diff, Recorded, replay};
pub use schedule::{Repayment, fen, schedule};

#[cfg(test)]
mod tests;
