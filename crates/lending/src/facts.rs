//! What the platform knows of an enterprise when it looks for financing: its score and PD,
//! its registry, tax and court records, its debts, its collateral, and the need at hand. Rules
//! read these by name; a fact the data do not give is *missing*, and a product whose rules
//! need it cannot be decided, never silently granted.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

/// The purposes financing is sought for.
pub const PURPOSES: [&str; 4] = ["working_capital", "order_fulfilment", "equipment", "rnd"];

/// Every fact rules may read, with its meaning.
pub const FACTS: [(&str, &str); 17] = [
    (
        "pd",
        "probability of default within 12 months (champion scorecard)",
    ),
    ("score", "credit score"),
    ("grade", "grade A, B, C1, C2, C3, D or F"),
    ("years", "years since founding"),
    ("sales_12m", "invoiced sales over the last 12 months (yuan)"),
    ("tax_paid_12m", "tax paid over the last 12 months (yuan)"),
    ("tax_rating", "latest tax credit rating A, B, M, C or D"),
    ("overdue_days", "days the most overdue loan is overdue now"),
    (
        "lawsuits_12m",
        "lawsuits as defendant over the last 12 months",
    ),
    (
        "ip_granted",
        "patents, software copyrights and trademarks granted",
    ),
    (
        "specialised",
        "certified specialised-and-sophisticated (专精特新)",
    ),
    ("high_tech", "certified high-tech enterprise"),
    ("debt", "loans outstanding (yuan)"),
    (
        "inflows_12m",
        "bank inflows other than loan proceeds over the last 12 months (yuan)",
    ),
    (
        "carbon_allowance_t",
        "carbon-emission allowances held (tonnes)",
    ),
    (
        "order_value",
        "the largest order won in the last three months (yuan)",
    ),
    (
        "equipment_value",
        "equipment ordered in the last three months (yuan)",
    ),
];

/// The facts of one enterprise (and the purpose of the financing sought).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Facts {
    /// Numeric facts by name; absent = missing.
    pub numbers: BTreeMap<String, f64>,
    /// Grade, if scored.
    pub grade: Option<String>,
    /// Tax credit rating, if any.
    pub tax_rating: Option<String>,
    /// Certified 专精特新, if known.
    pub specialised: Option<bool>,
    /// Certified high-tech, if known.
    pub high_tech: Option<bool>,
    /// What the financing is for.
    pub purpose: Option<String>,
}

impl Facts {
    /// A numeric fact, if known and finite.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.numbers.get(name).copied().filter(|v| v.is_finite())
    }

    /// Sets a numeric fact (a non-finite value leaves it missing).
    pub fn set(&mut self, name: &str, value: f64) -> &mut Self {
        if value.is_finite() {
            self.numbers.insert(name.to_string(), value);
        } else {
            self.numbers.remove(name);
        }
        self
    }

    /// Whether a fact rules read is known.
    pub fn known(&self, name: &str) -> bool {
        match name {
            "grade" => self.grade.is_some(),
            "tax_rating" => self.tax_rating.is_some(),
            "specialised" => self.specialised.is_some(),
            "high_tech" => self.high_tech.is_some(),
            "purpose" => self.purpose.is_some(),
            other => self.number(other).is_some(),
        }
    }

    /// The facts as the JSON object rules evaluate.
    pub fn to_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.numbers {
            if v.is_finite() {
                map.insert(k.clone(), json!(v));
            }
        }
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                map.insert(k.to_string(), v);
            }
        };
        put("grade", self.grade.clone().map(Value::from));
        put("tax_rating", self.tax_rating.clone().map(Value::from));
        put("specialised", self.specialised.map(Value::from));
        put("high_tech", self.high_tech.map(Value::from));
        put("purpose", self.purpose.clone().map(Value::from));
        Value::Object(map)
    }
}

/// The fields rules may read: the facts and the purpose.
pub struct FactFields;

impl xinrong_decisions::Fields for FactFields {
    fn knows(&self, field: &str) -> bool {
        field == "purpose" || FACTS.iter().any(|(f, _)| *f == field)
    }

    fn list(&self) -> Vec<String> {
        FACTS
            .iter()
            .map(|(f, _)| f.to_string())
            .chain(["purpose".to_string()])
            .collect()
    }
}

/// What a fact's indicator being absent means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Absent {
    /// Not known: rules that read it cannot decide.
    Missing,
    /// None of it: the source covers every case, so no record means nothing to report (the
    /// credit bureau lists every loan, the courts every case, the patent office every grant,
    /// the registry every allowance, and an order not in the orders data cannot be financed).
    Zero,
}

/// Where each numeric fact comes from in the indicator catalogue, and what its absence means.
pub const FROM_INDICATORS: [(&str, &str, Absent); 11] = [
    ("years", "reg_age_years", Absent::Missing),
    ("sales_12m", "inv_sales_12m", Absent::Missing),
    ("tax_paid_12m", "tax_paid_12m", Absent::Missing),
    ("inflows_12m", "cf_op_in_12m", Absent::Missing),
    ("overdue_days", "ln_overdue_days_max_3m", Absent::Zero),
    ("debt", "ln_outstanding_latest", Absent::Zero),
    ("lawsuits_12m", "jd_defendant_12m", Absent::Zero),
    ("ip_granted", "ip_total_granted", Absent::Zero),
    ("carbon_allowance_t", "reg_carbon_allowance", Absent::Zero),
    ("order_value", "ord_largest_won_3m", Absent::Zero),
    ("equipment_value", "ord_equipment_3m", Absent::Zero),
];

/// Tax credit ratings by the score `tax_rating_score` gives them.
const TAX_RATINGS: [(f64, &str); 5] = [(5.0, "A"), (4.0, "B"), (3.0, "M"), (2.0, "C"), (1.0, "D")];

impl Facts {
    /// The facts an enterprise's indicators give (`indicator(id)` is its value, `None` or
    /// `NaN` when absent); the score, PD and grade come from [`Facts::scored`].
    pub fn from_indicators(indicator: impl Fn(&str) -> Option<f64>) -> Facts {
        let value = |id: &str| indicator(id).filter(|v| v.is_finite());
        let mut facts = Facts::default();
        for (fact, id, absent) in FROM_INDICATORS {
            match (value(id), absent) {
                (Some(v), _) => facts.set(fact, v),
                (None, Absent::Zero) => facts.set(fact, 0.0),
                (None, Absent::Missing) => &mut facts,
            };
        }
        facts.tax_rating = value("tax_rating_score").and_then(|s| {
            TAX_RATINGS
                .iter()
                .find(|(k, _)| (k - s).abs() < 0.5)
                .map(|(_, r)| r.to_string())
        });
        facts.specialised = value("reg_specialised").map(|v| v > 0.5);
        facts.high_tech = value("reg_high_tech").map(|v| v > 0.5);
        facts
    }

    /// Adds what the scorecard says: PD, score and grade.
    pub fn scored(&mut self, pd: f64, score: f64, grade: &str) -> &mut Self {
        self.set("pd", pd).set("score", score);
        self.grade = Some(grade.to_string());
        self
    }

    /// Indicators the facts are read from (for a caller that computes only these).
    pub fn indicators() -> Vec<&'static str> {
        FROM_INDICATORS
            .iter()
            .map(|(_, id, _)| *id)
            .chain(["tax_rating_score", "reg_specialised", "reg_high_tech"])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicators_become_facts_and_absence_means_what_the_source_implies() {
        let values: BTreeMap<&str, f64> = [
            ("reg_age_years", 4.5),
            ("inv_sales_12m", 8e6),
            ("tax_rating_score", 4.0),
            ("reg_specialised", 1.0),
            ("reg_high_tech", 0.0),
            ("cf_op_in_12m", f64::NAN),
        ]
        .into();
        let facts = Facts::from_indicators(|id| values.get(id).copied());
        assert_eq!(facts.number("years"), Some(4.5));
        assert_eq!(facts.number("sales_12m"), Some(8e6));
        assert_eq!(facts.tax_rating.as_deref(), Some("B"));
        assert_eq!(
            (facts.specialised, facts.high_tech),
            (Some(true), Some(false))
        );
        // No loan on record is no debt and nothing overdue.
        assert_eq!(facts.number("debt"), Some(0.0));
        assert_eq!(facts.number("overdue_days"), Some(0.0));
        // No bank statement (or a NaN) is not known: never taken as zero.
        assert!(!facts.known("inflows_12m"));
        assert!(!facts.known("tax_paid_12m"));
        assert!(!facts.known("pd"));
        let mut facts = facts;
        facts.scored(0.013, 612.0, "B");
        assert!(facts.known("pd") && facts.known("grade"));
    }
}
