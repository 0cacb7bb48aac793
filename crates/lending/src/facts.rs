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
    ("pd", "probability of default within 12 months (champion scorecard)"),
    ("score", "credit score"),
    ("grade", "grade A, B, C1, C2, C3, D or F"),
    ("years", "years since founding"),
    ("sales_12m", "invoiced sales over the last 12 months (yuan)"),
    ("tax_paid_12m", "tax paid over the last 12 months (yuan)"),
    ("tax_rating", "latest tax credit rating A, B, M, C or D"),
    ("overdue_days", "days the most overdue loan is overdue now"),
    ("lawsuits_12m", "lawsuits as defendant over the last 12 months"),
    ("ip_granted", "patents, software copyrights and trademarks granted"),
    ("specialised", "certified specialised-and-sophisticated (专精特新)"),
    ("high_tech", "certified high-tech enterprise"),
    ("debt", "loans outstanding (yuan)"),
    ("net_cash_12m", "bank inflows less outflows over the last 12 months (yuan)"),
    ("carbon_allowance_t", "carbon-emission allowances held (tonnes)"),
    ("order_value", "the largest order won in the last three months (yuan)"),
    ("equipment_value", "equipment ordered in the last three months (yuan)"),
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
