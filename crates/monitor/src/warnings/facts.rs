//! The month-end panel and the facts the rules read: indicator values as they are, and facts
//! derived from the firm's own history (a drop against three months before, inflows against the
//! same months a year before, events new since last month) and from the month's portfolio (the
//! PD's rank).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use xinrong_core::Grade;

/// One enterprise at one month end.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The enterprise.
    pub uscc: String,
    /// The month end.
    pub date: NaiveDate,
    /// Indicator values by id (missing values left out).
    pub values: HashMap<String, f64>,
    /// The model's PD.
    pub pd: Option<f64>,
    /// The model's score.
    pub score: Option<f64>,
    /// The model's grade.
    pub grade: Option<Grade>,
}

/// Facts derived from history or the portfolio, with what each means.
pub const DERIVED: [(&str, &str); 6] = [
    (
        "pd_rank",
        "the PD's mid-rank in the month's portfolio: share below plus half the ties (→ 1 = riskiest)",
    ),
    ("score_drop_3m", "score three month-ends before minus now"),
    (
        "grade_steps_down_3m",
        "grades lost since three month-ends before",
    ),
    (
        "new_enforcement_1m",
        "enforcement and dishonest-debtor records new since last month",
    ),
    (
        "new_lawsuits_1m",
        "lawsuits as defendant new since last month",
    ),
    (
        "cf_in_yoy_3m",
        "inflows of the last 3 months over the same 3 months a year before, minus 1",
    ),
];

/// Indicators the derived facts are computed from.
pub const SOURCES_OF_DERIVED: [&str; 4] = [
    "jd_defendant_12m",
    "jd_enforcement_12m",
    "jd_dishonest_12m",
    "cf_in_3m",
];

/// A portfolio's month-end observations, by firm and date.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    observations: Vec<Observation>,
}

/// One firm-month with every fact the rules may read.
#[derive(Debug, Clone, PartialEq)]
pub struct FirmFacts {
    /// The enterprise.
    pub uscc: String,
    /// The month end.
    pub date: NaiveDate,
    /// Facts by name (missing left out).
    pub facts: BTreeMap<String, f64>,
    /// The model's PD.
    pub pd: Option<f64>,
    /// The model's score.
    pub score: Option<f64>,
    /// The model's grade.
    pub grade: Option<Grade>,
}

fn months_apart(a: NaiveDate, b: NaiveDate) -> i32 {
    (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32
}

impl Panel {
    /// A panel of observations in any order; a repeated (firm, date) keeps the last.
    pub fn new(mut observations: Vec<Observation>) -> Panel {
        observations.sort_by(|a, b| a.uscc.cmp(&b.uscc).then(a.date.cmp(&b.date)));
        observations.dedup_by(|later, earlier| {
            let same = later.uscc == earlier.uscc && later.date == earlier.date;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        Panel { observations }
    }

    /// Observations, by firm then date.
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// The month ends the panel covers.
    pub fn dates(&self) -> Vec<NaiveDate> {
        let mut d: Vec<NaiveDate> = self.observations.iter().map(|o| o.date).collect();
        d.sort();
        d.dedup();
        d
    }

    /// Every firm-month with its facts: the indicator values plus [`DERIVED`].
    pub fn facts(&self) -> Vec<FirmFacts> {
        let ranks = self.pd_ranks();
        let mut out = Vec::with_capacity(self.observations.len());
        let mut start = 0;
        while start < self.observations.len() {
            let uscc = &self.observations[start].uscc;
            let end = start
                + self.observations[start..]
                    .iter()
                    .take_while(|o| &o.uscc == uscc)
                    .count();
            let firm = &self.observations[start..end];
            for (k, o) in firm.iter().enumerate() {
                let before = |months: i32| {
                    firm[..k]
                        .iter()
                        .rev()
                        .find(|e| months_apart(e.date, o.date) == months)
                };
                let mut facts: BTreeMap<String, f64> =
                    o.values.iter().map(|(k, v)| (k.clone(), *v)).collect();
                if let Some(r) = ranks[start + k] {
                    facts.insert("pd_rank".into(), r);
                }
                if let Some(e) = before(3) {
                    if let (Some(a), Some(b)) = (e.score, o.score) {
                        facts.insert("score_drop_3m".into(), a - b);
                    }
                    if let (Some(a), Some(b)) = (e.grade, o.grade) {
                        facts.insert(
                            "grade_steps_down_3m".into(),
                            b.rank() as f64 - a.rank() as f64,
                        );
                    }
                }
                if let Some(e) = before(1) {
                    let new = |fields: &[&str]| {
                        let sum = |x: &Observation| -> Option<f64> {
                            fields.iter().map(|f| x.values.get(*f).copied()).sum()
                        };
                        sum(o).zip(sum(e)).map(|(now, then)| (now - then).max(0.0))
                    };
                    if let Some(v) = new(&["jd_enforcement_12m", "jd_dishonest_12m"]) {
                        facts.insert("new_enforcement_1m".into(), v);
                    }
                    if let Some(v) = new(&["jd_defendant_12m"]) {
                        facts.insert("new_lawsuits_1m".into(), v);
                    }
                }
                if let Some(e) = before(12)
                    && let (Some(now), Some(then)) =
                        (o.values.get("cf_in_3m"), e.values.get("cf_in_3m"))
                    && *then > 0.0
                {
                    facts.insert("cf_in_yoy_3m".into(), now / then - 1.0);
                }
                out.push(FirmFacts {
                    uscc: o.uscc.clone(),
                    date: o.date,
                    facts,
                    pd: o.pd,
                    score: o.score,
                    grade: o.grade,
                });
            }
            start = end;
        }
        out
    }

    /// Each observation's PD rank within its month: the share of the month's firms with a
    /// lower PD plus half of those with the same (so equal PDs share the middle rank rather
    /// than all counting as the riskiest).
    fn pd_ranks(&self) -> Vec<Option<f64>> {
        let mut by_date: HashMap<NaiveDate, Vec<f64>> = HashMap::new();
        for o in &self.observations {
            if let Some(pd) = o.pd {
                by_date.entry(o.date).or_default().push(pd);
            }
        }
        for v in by_date.values_mut() {
            v.sort_by(f64::total_cmp);
        }
        self.observations
            .iter()
            .map(|o| {
                let pd = o.pd?;
                let all = &by_date[&o.date];
                let below = all.partition_point(|&p| p < pd);
                let equal = all.partition_point(|&p| p <= pd) - below;
                Some((below as f64 + equal as f64 / 2.0) / all.len() as f64)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(uscc: &str, date: &str, pd: f64, values: &[(&str, f64)]) -> Observation {
        Observation {
            uscc: uscc.into(),
            date: date.parse().unwrap(),
            values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            pd: Some(pd),
            score: Some(700.0 - 1000.0 * pd),
            grade: Some(if pd > 0.1 { Grade::C2 } else { Grade::A }),
        }
    }

    #[test]
    fn history_gives_drops_news_and_the_year_before() {
        let mut o = vec![obs("A", "2024-01-31", 0.01, &[("cf_in_3m", 100.0)])];
        for (m, d) in [(2, 29), (3, 31), (4, 30)] {
            o.push(obs("A", &format!("2024-{m:02}-{d}"), 0.01, &[]));
        }
        o.push(obs(
            "A",
            "2024-05-31",
            0.2,
            &[
                ("jd_defendant_12m", 1.0),
                ("jd_enforcement_12m", 0.0),
                ("jd_dishonest_12m", 0.0),
            ],
        ));
        o.push(obs(
            "A",
            "2024-06-30",
            0.2,
            &[
                ("jd_defendant_12m", 3.0),
                ("jd_enforcement_12m", 1.0),
                ("jd_dishonest_12m", 0.0),
            ],
        ));
        o.push(obs("A", "2025-01-31", 0.3, &[("cf_in_3m", 40.0)]));
        o.push(obs("B", "2024-06-30", 0.05, &[]));
        let facts = Panel::new(o).facts();
        let a = |d: &str| {
            facts
                .iter()
                .find(|f| f.uscc == "A" && f.date.to_string() == d)
                .unwrap()
        };
        let june = a("2024-06-30");
        assert_eq!(june.facts["new_lawsuits_1m"], 2.0);
        assert_eq!(june.facts["new_enforcement_1m"], 1.0);
        assert_eq!(june.facts["pd_rank"], 0.75, "A is the riskier of two");
        let may = a("2024-05-31");
        assert!((may.facts["score_drop_3m"] - 190.0).abs() < 1e-9);
        assert!(may.facts["grade_steps_down_3m"] > 0.0);
        assert!(
            !may.facts.contains_key("new_lawsuits_1m"),
            "April lacks the counts"
        );
        assert!((a("2025-01-31").facts["cf_in_yoy_3m"] + 0.6).abs() < 1e-12);
        let b = facts.iter().find(|f| f.uscc == "B").unwrap();
        assert_eq!(b.facts["pd_rank"], 0.25);
    }
}
