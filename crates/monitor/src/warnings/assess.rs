//! The rules run over a panel: alerts with their evidence and action, levels per firm-month,
//! and episodes (an alert stays one open alert while its signal keeps firing).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};
use thiserror::Error;
use xinrong_decisions::{RuleError, Rules};

use super::Level;
use super::facts::{DERIVED, FirmFacts, Panel, SOURCES_OF_DERIVED};

/// The built-in early-warning table (GoRules JDM).
pub const BUILTIN_RULES: &str = include_str!("../../rules/early_warning.json");

/// Rules that cannot be used.
#[derive(Debug, Error)]
pub enum WarningError {
    /// Malformed, or reading a field no firm-month has.
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// A row's output is not a signal, a level and two actions.
    #[error("rules {rules}, row {row}: {reason}")]
    Output {
        /// Rule set.
        rules: String,
        /// Row id.
        row: String,
        /// What is wrong.
        reason: String,
    },
}

/// One alert: a rule that matched a firm-month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Month end.
    pub date: NaiveDate,
    /// Enterprise.
    pub uscc: String,
    /// What fired (one open alert per firm and signal).
    pub signal: String,
    /// Level.
    pub level: Level,
    /// The row that fired.
    pub rule: String,
    /// What the row says.
    pub description: String,
    /// The facts the row tested, with the firm's values (`field=value; …`).
    pub evidence: String,
    /// Suggested action.
    pub action_en: String,
    /// Suggested action in Chinese.
    pub action_zh: String,
    /// Month end the alert's episode opened (this date when it is new).
    pub opened: NaiveDate,
    /// SHA-256 of the rules that raised it.
    pub rules: String,
}

/// A firm-month's level: the highest of its alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirmMonth {
    /// Month end.
    pub date: NaiveDate,
    /// Enterprise.
    pub uscc: String,
    /// Highest alert level, if any.
    pub level: Option<Level>,
    /// Model PD.
    pub pd: Option<f64>,
    /// Model score.
    pub score: Option<f64>,
    /// Model grade.
    pub grade: Option<String>,
    /// Signals firing.
    pub signals: String,
}

/// Raises alerts by a rule table.
pub struct Assessor {
    rules: Rules,
    /// Row id → (description, the fields it tests).
    rows: HashMap<String, (String, Vec<String>)>,
}

struct Known<'a>(&'a [String]);

impl xinrong_decisions::Fields for Known<'_> {
    fn knows(&self, field: &str) -> bool {
        DERIVED.iter().any(|(d, _)| *d == field) || self.0.iter().any(|f| f == field)
    }
    fn list(&self) -> Vec<String> {
        DERIVED
            .iter()
            .map(|(d, _)| d.to_string())
            .chain(self.0.iter().cloned())
            .collect()
    }
}

impl Assessor {
    /// Loads a rule table that may read the derived facts and the `indicators` named.
    pub fn load(name: &str, json: &str, indicators: &[String]) -> Result<Assessor, WarningError> {
        let rules = Rules::load(name, json, &Known(indicators))?;
        let rows = rules
            .rows()
            .iter()
            .map(|r| {
                (
                    r.id.clone(),
                    (
                        r.description.clone(),
                        r.tests.iter().map(|(f, _)| f.clone()).collect(),
                    ),
                )
            })
            .collect();
        Ok(Assessor { rules, rows })
    }

    /// The built-in table.
    pub fn builtin(indicators: &[String]) -> Result<Assessor, WarningError> {
        Assessor::load("early_warning", BUILTIN_RULES, indicators)
    }

    /// SHA-256 of the rule text.
    pub fn version(&self) -> &str {
        self.rules.sha256()
    }

    /// The indicators a panel must hold for these rules: those they read and those the
    /// derived facts come from.
    pub fn indicators(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .rules
            .inputs()
            .iter()
            .filter(|f| !DERIVED.iter().any(|(d, _)| d == f))
            .cloned()
            .chain(SOURCES_OF_DERIVED.iter().map(|s| s.to_string()))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Alerts and levels of every firm-month of the panel.
    pub fn assess(&self, panel: &Panel) -> Result<(Vec<Alert>, Vec<FirmMonth>), WarningError> {
        let facts = panel.facts();
        let raised: Vec<Vec<Alert>> = facts
            .par_iter()
            .map(|f| self.firm_month(f))
            .collect::<Result<_, _>>()?;
        let mut alerts: Vec<Alert> = raised.into_iter().flatten().collect();
        episodes(&mut alerts, panel);
        let mut by_firm_month: HashMap<(&str, NaiveDate), (Level, Vec<&str>)> = HashMap::new();
        for a in &alerts {
            let e = by_firm_month
                .entry((a.uscc.as_str(), a.date))
                .or_insert((a.level, Vec::new()));
            e.0 = e.0.max(a.level);
            e.1.push(&a.signal);
        }
        let months = facts
            .iter()
            .map(|f| {
                let found = by_firm_month.get(&(f.uscc.as_str(), f.date));
                FirmMonth {
                    date: f.date,
                    uscc: f.uscc.clone(),
                    level: found.map(|(l, _)| *l),
                    pd: f.pd,
                    score: f.score,
                    grade: f.grade.map(|g| g.as_str().to_string()),
                    signals: found.map(|(_, s)| s.join(";")).unwrap_or_default(),
                }
            })
            .collect();
        Ok((alerts, months))
    }

    /// The alerts of one firm-month: per signal, the highest-level row that matched.
    fn firm_month(&self, f: &FirmFacts) -> Result<Vec<Alert>, WarningError> {
        let input: Map<String, Value> = self
            .rules
            .inputs()
            .iter()
            .map(|k| {
                let v = f
                    .facts
                    .get(k)
                    .and_then(|v| serde_json::Number::from_f64(*v))
                    .map_or(Value::Null, Value::Number);
                (k.clone(), v)
            })
            .collect();
        let outcome = self.rules.evaluate(&Value::Object(input))?;
        let outputs: Vec<&Value> = match &outcome.result {
            Value::Array(items) => items.iter().collect(),
            Value::Object(_) => vec![&outcome.result],
            _ => Vec::new(),
        };
        let mut best: BTreeMap<String, Alert> = BTreeMap::new();
        for (out, row) in outputs.iter().zip(&outcome.matched) {
            let text = |k: &str| -> Result<String, WarningError> {
                out.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| WarningError::Output {
                        rules: self.rules.name().to_string(),
                        row: row.clone(),
                        reason: format!("no text `{k}`"),
                    })
            };
            let row = &text("rule").unwrap_or_else(|_| row.clone());
            let level_text = text("level")?;
            let level = Level::parse(&level_text).ok_or_else(|| WarningError::Output {
                rules: self.rules.name().to_string(),
                row: row.clone(),
                reason: format!("level {level_text:?} is not red, yellow or blue"),
            })?;
            let (description, tested) = self.rows.get(row).cloned().unwrap_or_default();
            let evidence = tested
                .iter()
                .map(|k| match f.facts.get(k) {
                    Some(v) => format!("{k}={}", round4(*v)),
                    None => format!("{k}=missing"),
                })
                .collect::<Vec<_>>()
                .join("; ");
            let alert = Alert {
                date: f.date,
                uscc: f.uscc.clone(),
                signal: text("signal")?,
                level,
                rule: row.clone(),
                description,
                evidence,
                action_en: text("action_en")?,
                action_zh: text("action_zh")?,
                opened: f.date,
                rules: self.rules.sha256().to_string(),
            };
            match best.get(&alert.signal) {
                Some(b) if b.level >= alert.level => {}
                _ => {
                    best.insert(alert.signal.clone(), alert);
                }
            }
        }
        Ok(best.into_values().collect())
    }
}

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

/// Sets each alert's `opened`: the month end its signal started firing for the firm without a
/// month-end of the panel in between where it did not.
fn episodes(alerts: &mut [Alert], panel: &Panel) {
    // The firm's previous month end in the panel.
    let mut previous: HashMap<(&str, NaiveDate), NaiveDate> = HashMap::new();
    let obs = panel.observations();
    for w in obs.windows(2) {
        if w[0].uscc == w[1].uscc {
            previous.insert((w[1].uscc.as_str(), w[1].date), w[0].date);
        }
    }
    alerts.sort_by(|a, b| {
        (a.uscc.as_str(), a.signal.as_str(), a.date).cmp(&(
            b.uscc.as_str(),
            b.signal.as_str(),
            b.date,
        ))
    });
    for i in 1..alerts.len() {
        let (before, rest) = alerts.split_at_mut(i);
        let (prev, cur) = (&before[i - 1], &mut rest[0]);
        if prev.uscc == cur.uscc
            && prev.signal == cur.signal
            && previous.get(&(cur.uscc.as_str(), cur.date)) == Some(&prev.date)
        {
            cur.opened = prev.opened;
        }
    }
    alerts.sort_by(|a, b| {
        (a.date, a.uscc.as_str(), a.signal.as_str()).cmp(&(
            b.date,
            b.uscc.as_str(),
            b.signal.as_str(),
        ))
    });
}
