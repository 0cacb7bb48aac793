//! Decision rules that a bank can read and change without writing Rust: decision tables and
//! small flows in the GoRules JDM format (author them in GoRules' open-source editor),
//! evaluated by `zen-engine`, each evaluation with its trace and each rule set with the hash
//! of its text, so an automatic decision can always say which rules, in which version, made
//! it and why.
//!
//! Rules are checked when they are loaded (see [`Rules::load`]): a malformed or contradictory
//! rule set is refused with its name, row and column, never evaluated to a silent answer.
//!
//! This crate knows nothing of products, loans, HTTP or storage.
#![deny(missing_docs)]

mod rules;

pub use rules::{Fields, Outcome, Row, RuleError, Rules};

#[cfg(test)]
mod tests;
