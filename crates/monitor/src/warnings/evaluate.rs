//! Early warnings judged against the truth: which defaults were warned at least `lead_days`
//! ahead, how long ahead, how often a red or yellow firm-month is followed by a default — and
//! the same for an oracle that, at each month end, flags as many firms as the warnings did,
//! ranked by their true PD.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::Level;
use super::assess::FirmMonth;

/// What the warnings achieved, beside the oracle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Month ends evaluated.
    pub month_ends: u64,
    /// Firm-months evaluated.
    pub firm_months: u64,
    /// Largest share of a month's firms red or yellow.
    pub max_volume: f64,
    /// Mean share of a month's firms red or yellow.
    pub mean_volume: f64,
    /// Defaults that some evaluated month end could warn `lead_days` ahead.
    pub defaults: u64,
    /// Of those, warned red or yellow at least `lead_days` ahead (within a year).
    pub warned: u64,
    /// The oracle's count at the same volume.
    pub oracle_warned: u64,
    /// `warned / defaults`.
    pub recall: f64,
    /// `oracle_warned / defaults`.
    pub oracle_recall: f64,
    /// `recall / oracle_recall`.
    pub ratio_to_oracle: f64,
    /// Median days from the first red or yellow month end (within a year) to the default,
    /// over the warned defaults.
    pub median_lead_days: f64,
    /// The oracle's.
    pub oracle_median_lead_days: f64,
    /// Share of red firm-months followed by a default within a year (month ends a year
    /// before the data's end).
    pub red_precision: f64,
    /// The same for yellow.
    pub yellow_precision: f64,
    /// The same for blue.
    pub blue_precision: f64,
    /// Share of all firm-months followed by a default within a year.
    pub base_rate: f64,
    /// `red_precision / base_rate`.
    pub red_lift: f64,
    /// Red firm-months counted for precision.
    pub red_firm_months: u64,
    /// Minimum lead, days.
    pub lead_days: i64,
}

fn median(mut v: Vec<i64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

/// Judges the levels of a panel. `defaults`: each firm's true default date; `oracle_pd`: the
/// true 12-month PD by firm and month end; `data_end`: the last day outcomes are known.
pub fn evaluate(
    months: &[FirmMonth],
    defaults: &HashMap<String, NaiveDate>,
    oracle_pd: &HashMap<(String, NaiveDate), f64>,
    lead_days: i64,
    data_end: NaiveDate,
) -> Evaluation {
    const YEAR: i64 = 365;
    let alive = |m: &FirmMonth| defaults.get(&m.uscc).is_none_or(|d| *d > m.date);
    let live: Vec<&FirmMonth> = months.iter().filter(|m| alive(m)).collect();
    let mut dates: Vec<NaiveDate> = live.iter().map(|m| m.date).collect();
    dates.sort();
    dates.dedup();

    // Volume and the oracle's flags, month by month.
    let flagged = |m: &FirmMonth| m.level.is_some_and(|l| l >= Level::Yellow);
    let mut volumes = Vec::new();
    let mut oracle: HashMap<(&str, NaiveDate), bool> = HashMap::new();
    for &d in &dates {
        let month: Vec<&&FirmMonth> = live.iter().filter(|m| m.date == d).collect();
        let k = month.iter().filter(|m| flagged(m)).count();
        volumes.push(k as f64 / month.len().max(1) as f64);
        let mut ranked: Vec<(&str, f64)> = month
            .iter()
            .map(|m| {
                let pd = oracle_pd.get(&(m.uscc.clone(), d)).copied().unwrap_or(0.0);
                (m.uscc.as_str(), pd)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        for (i, (u, _)) in ranked.iter().enumerate() {
            oracle.insert((u, d), i < k);
        }
    }

    // Defaults each warning could have caught, and when each side first flagged them.
    let first = *dates.first().unwrap_or(&data_end);
    let last = *dates.last().unwrap_or(&data_end);
    let mut by_firm: HashMap<&str, Vec<&FirmMonth>> = HashMap::new();
    for m in &live {
        by_firm.entry(m.uscc.as_str()).or_default().push(m);
    }
    let (mut n, mut warned, mut oracle_warned) = (0u64, 0u64, 0u64);
    let (mut leads, mut oracle_leads) = (Vec::new(), Vec::new());
    for (uscc, &d) in defaults {
        let window = |t: NaiveDate| (d - t).num_days();
        let reachable = dates
            .iter()
            .any(|t| (lead_days..=YEAR).contains(&window(*t)));
        if !reachable || d <= first || d > last + chrono::Duration::days(YEAR) {
            continue;
        }
        let Some(history) = by_firm.get(uscc.as_str()) else {
            continue;
        };
        if !history
            .iter()
            .any(|m| (lead_days..=YEAR).contains(&window(m.date)))
        {
            continue;
        }
        n += 1;
        let ours = |m: &&FirmMonth| flagged(m);
        let theirs = |m: &&FirmMonth| oracle.get(&(m.uscc.as_str(), m.date)) == Some(&true);
        for (hit, count, lead) in [
            (
                &ours as &dyn Fn(&&FirmMonth) -> bool,
                &mut warned,
                &mut leads,
            ),
            (&theirs, &mut oracle_warned, &mut oracle_leads),
        ] {
            if history
                .iter()
                .any(|m| hit(m) && (lead_days..=YEAR).contains(&window(m.date)))
            {
                *count += 1;
                let earliest = history
                    .iter()
                    .filter(|m| hit(m) && (0..=YEAR).contains(&window(m.date)))
                    .map(|m| window(m.date))
                    .max()
                    .unwrap_or(0);
                lead.push(earliest);
            }
        }
    }

    // Precision: firm-months whose following year is known.
    let known = |m: &FirmMonth| m.date + chrono::Duration::days(YEAR) <= data_end;
    let defaults_within = |m: &FirmMonth| {
        defaults
            .get(&m.uscc)
            .is_some_and(|d| *d > m.date && (*d - m.date).num_days() <= YEAR)
    };
    let precision = |level: Option<Level>| {
        let pool: Vec<&&FirmMonth> = live
            .iter()
            .filter(|m| known(m) && (level.is_none() || m.level == level))
            .collect();
        let hits = pool.iter().filter(|m| defaults_within(m)).count();
        (hits as f64 / pool.len().max(1) as f64, pool.len() as u64)
    };
    let (red_precision, red_firm_months) = precision(Some(Level::Red));
    let (base_rate, _) = precision(None);
    let recall = warned as f64 / n.max(1) as f64;
    let oracle_recall = oracle_warned as f64 / n.max(1) as f64;
    Evaluation {
        month_ends: dates.len() as u64,
        firm_months: live.len() as u64,
        max_volume: volumes.iter().copied().fold(0.0, f64::max),
        mean_volume: volumes.iter().sum::<f64>() / volumes.len().max(1) as f64,
        defaults: n,
        warned,
        oracle_warned,
        recall,
        oracle_recall,
        ratio_to_oracle: if oracle_recall > 0.0 {
            recall / oracle_recall
        } else {
            f64::NAN
        },
        median_lead_days: median(leads),
        oracle_median_lead_days: median(oracle_leads),
        red_precision,
        yellow_precision: precision(Some(Level::Yellow)).0,
        blue_precision: precision(Some(Level::Blue)).0,
        base_rate,
        red_lift: if base_rate > 0.0 {
            red_precision / base_rate
        } else {
            f64::NAN
        },
        red_firm_months,
        lead_days,
    }
}
