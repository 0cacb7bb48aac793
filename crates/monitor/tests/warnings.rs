//! Early warnings on handmade panels: which rules fire, with what evidence, how episodes open
//! and close, and how the evaluation counts against a known truth.

use std::collections::HashMap;

use chrono::NaiveDate;
use xinrong_core::Grade;
use xinrong_monitor::warnings::assess::BUILTIN_RULES;
use xinrong_monitor::warnings::{Assessor, Level, Observation, Panel, evaluate};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const MONTHS: [&str; 6] = [
    "2024-01-31",
    "2024-02-29",
    "2024-03-31",
    "2024-04-30",
    "2024-05-31",
    "2024-06-30",
];

fn obs(uscc: &str, d: &str, pd: f64, values: &[(&str, f64)]) -> Observation {
    Observation {
        uscc: uscc.into(),
        date: date(d),
        values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        pd: Some(pd),
        score: Some(800.0 - 2000.0 * pd),
        grade: Some(Grade::B),
    }
}

fn ids() -> Vec<String> {
    [
        "ln_overdue_days_max_3m",
        "tax_arrears_filings_3m",
        "tax_late_filings_3m",
        "inv_customer_growth_6m",
        "ut_kwh_growth_6m",
        "si_headcount_change_3m",
        "tm_idle_share_3m",
        "jd_defendant_12m",
        "jd_enforcement_12m",
        "jd_dishonest_12m",
        "cf_in_3m",
    ]
    .map(String::from)
    .to_vec()
}

/// Twenty quiet firms (PD 1%) and firm X: the safest in January, the riskiest from February;
/// overdue elsewhere in Feb–Mar, again in May, and an enforcement record new in June.
fn panel() -> Panel {
    let mut o = Vec::new();
    for k in 0..20 {
        for m in MONTHS {
            o.push(obs(
                &format!("Q{k:02}"),
                m,
                0.01,
                &[("ln_overdue_days_max_3m", 0.0)],
            ));
        }
    }
    let overdue = [0.0, 45.0, 10.0, 0.0, 5.0, 0.0];
    for (i, m) in MONTHS.iter().enumerate() {
        let enforcement = if i == 5 { 1.0 } else { 0.0 };
        o.push(obs(
            "X",
            m,
            if i == 0 { 0.005 } else { 0.3 },
            &[
                ("ln_overdue_days_max_3m", overdue[i]),
                ("jd_enforcement_12m", enforcement),
                ("jd_dishonest_12m", 0.0),
                ("jd_defendant_12m", 0.0),
            ],
        ));
    }
    Panel::new(o)
}

#[test]
fn rules_fire_with_evidence_and_episodes_open_and_close() {
    let a = Assessor::load("early_warning", BUILTIN_RULES, &ids()).unwrap();
    assert!(a.indicators().contains(&"cf_in_3m".to_string()));
    let (alerts, months) = a.assess(&panel()).unwrap();
    let x: Vec<_> = alerts.iter().filter(|a| a.uscc == "X").collect();
    let overdue: Vec<_> = x
        .iter()
        .filter(|a| a.signal == "overdue_elsewhere")
        .collect();
    assert_eq!(overdue.len(), 3, "{overdue:?}");
    assert_eq!(overdue[0].level, Level::Yellow, "45 days for a risky firm");
    assert_eq!(overdue[0].rule, "overdue_30_risky");
    assert_eq!(
        overdue[0].evidence,
        "pd_rank=0.9762; ln_overdue_days_max_3m=45"
    );
    assert_eq!(overdue[1].level, Level::Blue, "10 days");
    assert_eq!(
        overdue[1].opened,
        date("2024-02-29"),
        "March continues February's episode"
    );
    assert_eq!(
        overdue[2].opened,
        date("2024-05-31"),
        "May opens a new one after April"
    );
    let enforcement: Vec<_> = x.iter().filter(|a| a.signal == "enforcement").collect();
    assert_eq!(enforcement.len(), 1);
    assert_eq!(enforcement[0].date, date("2024-06-30"));
    assert!(enforcement[0].action_zh.contains("抵质押"));
    let model: Vec<_> = x.iter().filter(|a| a.signal == "model_score").collect();
    assert_eq!(model.len(), 5, "red from February");
    assert!(
        model
            .iter()
            .all(|a| a.level == Level::Red && a.opened == date("2024-02-29"))
    );
    assert!(
        !alerts
            .iter()
            .any(|a| a.uscc.starts_with('Q') && a.signal != "model_score")
    );
    let level = |u: &str, d: &str| {
        months
            .iter()
            .find(|m| m.uscc == u && m.date == date(d))
            .unwrap()
            .level
    };
    assert_eq!(level("X", "2024-01-31"), None, "X is the safest in January");
    assert_eq!(level("X", "2024-02-29"), Some(Level::Red));
    assert_eq!(level("Q00", "2024-02-29"), None);
}

#[test]
fn a_table_reading_an_unknown_field_or_writing_a_bad_level_is_refused() {
    let unknown = BUILTIN_RULES.replace("\"tm_idle_share_3m\"", "\"tm_idle_shares\"");
    let e = Assessor::load("custom", &unknown, &ids()).err().unwrap();
    assert!(e.to_string().contains("tm_idle_shares"), "{e}");
    let purple = BUILTIN_RULES.replace(
        "\"out_level\": \"\\\"red\\\"\"",
        "\"out_level\": \"\\\"purple\\\"\"",
    );
    assert_ne!(purple, BUILTIN_RULES);
    let a = Assessor::load("custom", &purple, &ids()).unwrap();
    let e = a.assess(&panel()).err().unwrap();
    assert!(e.to_string().contains("purple"), "{e}");
}

#[test]
fn the_evaluation_counts_leads_volume_and_precision() {
    let a = Assessor::load("early_warning", BUILTIN_RULES, &ids()).unwrap();
    let (_, months) = a.assess(&panel()).unwrap();
    // X defaults on 15 April: warned red at the end of February (46 days ahead).
    let defaults = HashMap::from([("X".to_string(), date("2024-04-15"))]);
    // The oracle knows X is the riskiest from January.
    let mut oracle = HashMap::new();
    for m in MONTHS {
        oracle.insert(("X".to_string(), date(m)), 0.5);
        for k in 0..20 {
            oracle.insert((format!("Q{k:02}"), date(m)), 0.01);
        }
    }
    let e = evaluate(&months, &defaults, &oracle, 30, date("2025-12-31"));
    assert_eq!(e.defaults, 1);
    assert_eq!(e.warned, 1);
    assert_eq!(e.median_lead_days, 46.0);
    // The oracle flags as many firms as the warnings each month: none in January, so its
    // first flag is also February's.
    assert_eq!(e.oracle_warned, 1);
    assert_eq!(e.oracle_median_lead_days, 46.0);
    assert!(e.max_volume > 0.0 && e.max_volume < 0.1);
    // Every red firm-month of X precedes its default within a year.
    assert_eq!(e.red_precision, 1.0);
    assert!(e.red_lift > 10.0);
    // A default only 10 days after the last month end is out of reach at 30 days' lead.
    let late = HashMap::from([("X".to_string(), date("2024-07-10"))]);
    let e = evaluate(&months, &late, &oracle, 30, date("2025-12-31"));
    assert_eq!(
        (e.defaults, e.warned),
        (1, 1),
        "warned in February, 4+ months ahead"
    );
}
