//! A portfolio generator whose data behaves like the real thing, with a known truth.
//!
//! Each enterprise has a latent financial health `h` that evolves month by month as an AR(1)
//! process around the firm's own level (set by its size, age, industry and region), with
//! industry-wide shocks. The monthly default hazard is `sigmoid(α + β·h)`; every source is
//! an imperfect, noisy view of `h` (revenue and cash flow, tax behaviour, invoices and their
//! cancellations, utilities, headcount, orders, equipment use, overdue loans, lawsuits) with
//! seasonality (the Spring Festival dip, the year-end peak). Sources are missing for some
//! firms, and quality faults are injected (duplicate rows, invalid codes, late filings,
//! out-of-range values) for governance to find.
//!
//! The truth is written beside the data: `truth.csv` (each firm's default month, if any) and
//! `truth_pd.csv` (each firm's 12-month PD at every month-end, computed from the latent state
//! by the model that generated it), so a fitted model can be judged against the best AUC
//! achievable.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal, Poisson};
use rayon::prelude::*;

use crate::people;
use crate::schema::SOURCES;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Number of enterprises.
    pub enterprises: usize,
    /// Number of months of history.
    pub months: u32,
    /// Random seed: the same seed gives the same files.
    pub seed: u64,
    /// First month of history.
    pub start: NaiveDate,
    /// Inject quality faults (duplicates, bad codes, late files, out-of-range values).
    pub faults: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            enterprises: 1000,
            months: 36,
            seed: 1,
            start: NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date"),
            faults: true,
        }
    }
}

/// What was generated.
#[derive(Clone, Debug, Default)]
pub struct GenSummary {
    /// Rows written per source, in [`SOURCES`] order.
    pub rows: Vec<(&'static str, u64)>,
    /// Enterprises that defaulted within the window.
    pub defaults: usize,
    /// Enterprises generated.
    pub enterprises: usize,
}

/// An error writing the generated files.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct GenError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    pub source: std::io::Error,
}

/// Industries (GB/T 4754-2017 class, name, share of firms, health effect, runs equipment).
const INDUSTRIES: &[(&str, &str, f64, f64, bool)] = &[
    ("I6513", "应用软件开发", 0.22, 0.10, false),
    ("I6450", "互联网数据服务", 0.10, 0.00, false),
    ("C3973", "集成电路制造", 0.08, 0.05, true),
    ("C3562", "半导体器件专用设备制造", 0.07, 0.00, true),
    ("C2761", "生物药品制造", 0.08, -0.05, true),
    ("C3841", "锂离子电池制造", 0.07, -0.15, true),
    ("M7320", "工程和技术研究和试验发展", 0.12, 0.05, false),
    ("C3491", "工业机器人制造", 0.08, -0.05, true),
    ("C3990", "其他电子设备制造", 0.10, -0.20, true),
    ("M7512", "新材料技术推广服务", 0.08, -0.10, false),
];

/// Regions (GB/T 2260 code, city, share, health effect).
const REGIONS: &[(&str, &str, f64, f64)] = &[
    ("350100", "福州", 0.20, 0.00),
    ("350200", "厦门", 0.15, 0.10),
    ("440300", "深圳", 0.18, 0.15),
    ("310000", "上海", 0.14, 0.10),
    ("330100", "杭州", 0.13, 0.05),
    ("320500", "苏州", 0.10, 0.05),
    ("510100", "成都", 0.10, -0.15),
];

const LENDERS: &[&str] = &[
    "工商银行",
    "建设银行",
    "农业银行",
    "中国银行",
    "兴业银行",
    "招商银行",
    "海峡银行",
];
const CHANNELS: &[&str] = &["online", "counter", "pos", "transfer"];
const IP_TYPES: &[(&str, f64)] = &[
    ("invention", 0.25),
    ("utility", 0.30),
    ("design", 0.10),
    ("software", 0.25),
    ("trademark", 0.10),
];

/// Latent-model parameters, documented in one place.
const RHO: f64 = 0.92;
const SHOCK_SD: f64 = 0.28;
const ALPHA: f64 = -7.0;
const BETA: f64 = -1.35;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let total: f64 = items.iter().map(&weight).sum();
    let mut u = rng.random::<f64>() * total;
    for item in items {
        u -= weight(item);
        if u <= 0.0 {
            return item;
        }
    }
    items.last().expect("non-empty")
}

/// Month-of-year effect on activity: the Spring Festival dip and the year-end peak.
fn season(month0: u32) -> f64 {
    [
        0.0, -0.28, 0.02, 0.0, 0.0, 0.03, 0.0, -0.03, 0.02, 0.0, 0.05, 0.14,
    ][month0 as usize % 12]
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .expect("date in range")
}

/// Rows of one firm, per source, as CSV lines.
struct FirmRows {
    lines: Vec<String>,
    defaulted: Option<u32>,
    truth: String,
    truth_pd: String,
}

/// Industry-month shocks shared by all firms of an industry.
fn industry_shocks(seed: u64, months: u32) -> Vec<Vec<f64>> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_1d05);
    let normal = Normal::new(0.0, 0.06).expect("sd > 0");
    INDUSTRIES
        .iter()
        .map(|_| (0..months).map(|_| normal.sample(&mut rng)).collect())
        .collect()
}

fn firm(config: &GenConfig, index: usize, shocks: &[Vec<f64>], pool: &[String]) -> FirmRows {
    let mut rng =
        StdRng::seed_from_u64(config.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ index as u64);
    let n = SOURCES.len();
    let mut out: Vec<String> = vec![String::new(); n];
    let industry_index = {
        let chosen = pick(&mut rng, INDUSTRIES, |i| i.2);
        INDUSTRIES
            .iter()
            .position(|i| i.0 == chosen.0)
            .expect("present")
    };
    let (industry, _, _, industry_effect, equipment) = INDUSTRIES[industry_index];
    let &(region, city, _, region_effect) = pick(&mut rng, REGIONS, |r| r.2);
    let code = people::uscc(&mut rng, region);
    let size: f64 = LogNormal::new(50f64.ln(), 1.0)
        .expect("valid")
        .sample(&mut rng); // 10k yuan / month
    let age_years = rng.random_range(0.5..20.0f64);
    let founded = config.start - Duration::days((age_years * 365.0) as i64);
    let high_tech = rng.random::<f64>() < 0.35;
    let tech_sme = rng.random::<f64>() < 0.55;
    let specialised = rng.random::<f64>() < 0.12;
    let tech = rng.random_range(0.2..1.0) * if high_tech { 2.0 } else { 1.0 };
    let level = Normal::new(0.0, 0.75).expect("sd").sample(&mut rng)
        + industry_effect
        + region_effect
        + 0.18 * (age_years.ln() - 1.5)
        + 0.08 * (size / 50.0).ln()
        + if specialised { 0.15 } else { 0.0 };
    let customers = 3 + Poisson::new(6.0 * (0.4 * level).exp())
        .expect("rate")
        .sample(&mut rng) as usize;
    let partners: Vec<&String> = (0..customers)
        .map(|_| &pool[rng.random_range(0..pool.len())])
        .collect();
    let partner_weights: Vec<f64> = (0..customers)
        .map(|k| 1.0 / (k as f64 + 1.0).powf(1.2 - 0.2 * level.clamp(-1.0, 1.0)))
        .collect();
    let has = |rng: &mut StdRng, p: f64| rng.random::<f64>() < p;
    let present = [
        true,
        has(&mut rng, 0.92),
        has(&mut rng, 0.95),
        has(&mut rng, 0.9),
        has(&mut rng, 0.8),
        has(&mut rng, 0.9),
        true,
        has(&mut rng, 0.75),
        true,
        has(&mut rng, 0.65),
        has(&mut rng, 0.7),
        equipment && has(&mut rng, 0.85),
    ];
    let faults = config.faults;

    // Registry.
    let registry_code = if faults && rng.random::<f64>() < 0.004 {
        "Z9999"
    } else {
        industry
    };
    out[0].push_str(&format!(
        "{code},{},{registry_code},{region},{founded},{:.1},{},{},{},{},{},{}\n",
        people::company_name(&mut rng, city),
        (size * rng.random_range(1.0..6.0)).round(),
        people::person_name(&mut rng),
        people::id_number(&mut rng, region),
        people::phone(&mut rng),
        u8::from(high_tech),
        u8::from(tech_sme),
        u8::from(specialised)
    ));

    let normal = Normal::new(0.0, 1.0).expect("sd");
    let mut h = level + Normal::new(0.0, 0.6).expect("sd").sample(&mut rng);
    let mut path = Vec::with_capacity(config.months as usize);
    let mut defaulted: Option<u32> = None;
    let mut headcount = (size.powf(0.7) * 2.5).max(3.0);
    let mut devices = if present[11] {
        rng.random_range(1..=3)
    } else {
        0
    };
    let loans: Vec<(String, f64, &str)> = if present[9] {
        (0..rng.random_range(1..=2))
            .map(|k| {
                (
                    format!("L{index:07}{k}"),
                    size * 10_000.0 * rng.random_range(1.0..6.0),
                    LENDERS[rng.random_range(0..LENDERS.len())],
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut txn = 0u64;
    let mut arrears = 0.0;
    for t in 0..config.months {
        h = RHO * h
            + (1.0 - RHO) * level
            + shocks[industry_index][t as usize]
            + SHOCK_SD * normal.sample(&mut rng);
        path.push(h);
        if defaulted.is_none() && rng.random::<f64>() < sigmoid(ALPHA + BETA * h) {
            defaulted = Some(t);
        }
        let since_default = defaulted.map(|d| t - d);
        let alive = since_default.is_none_or(|s| s <= 2);
        let month_start = add_months(config.start, t);
        let month = format!("{:04}-{:02}", month_start.year(), month_start.month());
        let days = (add_months(config.start, t + 1) - month_start).num_days() as u32;
        let day = |rng: &mut StdRng| month_start + Duration::days(rng.random_range(0..days) as i64);
        let distress = since_default.map_or(0.0, |s| 0.6 + 0.3 * s as f64);
        let activity = (0.35 * h + season(month_start.month0()) + 0.1 * normal.sample(&mut rng)
            - distress)
            .exp();
        let revenue = size * 10_000.0 * activity;

        if alive && present[1] {
            // Bank flows: inflows are revenue, outflows costs (margins thin as health falls).
            let cost_ratio = (0.9 - 0.06 * h).clamp(0.6, 1.3);
            for (direction, total) in [("in", revenue), ("out", revenue * cost_ratio)] {
                let count = 1 + Poisson::new(3.0 + 2.0 * (1.0 + size / 10.0).ln())
                    .expect("rate")
                    .sample(&mut rng) as usize;
                for _ in 0..count {
                    let amount = total / count as f64
                        * LogNormal::new(0.0, 0.5).expect("valid").sample(&mut rng);
                    let partner = partners[rng.random_range(0..partners.len())];
                    txn += 1;
                    out[1].push_str(&format!(
                        "{code},T{index:07}{txn:06},{},{amount:.2},{direction},{partner},{},{}\n",
                        day(&mut rng),
                        people::account(&mut rng),
                        CHANNELS[rng.random_range(0..CHANNELS.len())]
                    ));
                }
            }
        }
        if alive && present[2] {
            let underreport = (0.05 * normal.sample(&mut rng) - 0.06 * (-h).max(0.0)).exp();
            let sales = revenue * underreport;
            let declared = 0.06 * sales;
            let paid = if rng.random::<f64>() < sigmoid(-3.6 - 1.5 * h) {
                declared * rng.random_range(0.2..0.9)
            } else {
                declared
            };
            arrears = (arrears + declared - paid) * if h > 0.0 { 0.5 } else { 0.9 };
            let late = rng.random::<f64>() < sigmoid(-3.2 - 1.2 * h)
                || (faults && rng.random::<f64>() < 0.003);
            let filed = add_months(month_start, 1)
                + Duration::days(if late {
                    rng.random_range(20..60)
                } else {
                    rng.random_range(5..15)
                });
            let rating = if month_start.month() == 1 {
                if age_years < 2.0 {
                    "M"
                } else if h > 0.7 {
                    "A"
                } else if h > -0.3 {
                    "B"
                } else if h > -1.3 {
                    "C"
                } else {
                    "D"
                }
            } else {
                ""
            };
            out[2].push_str(&format!("{code},{month},vat,{declared:.2},{paid:.2},{arrears:.2},{sales:.2},{rating},{filed}\n"));
            if month_start.month().is_multiple_of(3) {
                let profit = (revenue * 3.0 * (0.08 + 0.06 * h)).max(0.0);
                out[2].push_str(&format!(
                    "{code},{month},cit,{:.2},{:.2},0.00,,,{filed}\n",
                    0.25 * profit,
                    0.25 * profit
                ));
            }
        }
        if alive && present[3] {
            let red_rate = 0.01 + 0.05 * sigmoid(-2.0 - 1.5 * h);
            for (direction, total) in [("issued", revenue * 0.95), ("received", revenue * 0.7)] {
                let count = 1 + Poisson::new(2.0 + (1.0 + size / 20.0).ln() * 2.0)
                    .expect("rate")
                    .sample(&mut rng) as usize;
                for k in 0..count {
                    let amount = total / count as f64
                        * LogNormal::new(0.0, 0.4).expect("valid").sample(&mut rng);
                    let red = rng.random::<f64>() < red_rate;
                    let signed = if red { -amount } else { amount };
                    let partner = if faults && rng.random::<f64>() < 0.001 {
                        people::broken_uscc(&mut rng, region)
                    } else {
                        partners[pick_index(&mut rng, &partner_weights)].clone()
                    };
                    out[3].push_str(&format!(
                        "{code},{}{index:07}{t:03}{k:03},{},{direction},{partner},{signed:.2},{:.2},{}\n",
                        if direction == "issued" { "S" } else { "P" },
                        day(&mut rng),
                        signed * 0.13,
                        u8::from(red)
                    ));
                }
            }
        }
        if alive && present[4] {
            let kwh = size.powf(0.8)
                * 300.0
                * activity.powf(0.8)
                * (1.0 + 0.15 * (month_start.month0() as f64 / 12.0 * std::f64::consts::TAU).cos());
            out[4].push_str(&format!(
                "{code},{month},{kwh:.1},{:.1}\n",
                kwh / 40.0 * rng.random_range(0.8..1.2)
            ));
        }
        if alive && present[5] {
            headcount =
                (headcount * (1.0 + 0.01 * h + 0.01 * normal.sample(&mut rng)) - distress).max(1.0);
            let heads = headcount.round();
            out[5].push_str(&format!(
                "{code},{month},{heads},{:.2}\n",
                heads * 1_150.0 * rng.random_range(0.95..1.05)
            ));
        }
        if alive {
            let filings = Poisson::new(0.05 + 0.12 * tech * (0.2 * h).exp())
                .expect("rate")
                .sample(&mut rng) as u32;
            for k in 0..filings {
                let &(kind, _) = pick(&mut rng, IP_TYPES, |i| i.1);
                let filed = day(&mut rng);
                let lag = match kind {
                    "invention" => 18..36,
                    "software" => 1..3,
                    "trademark" => 8..14,
                    _ => 6..12,
                };
                let granted = if rng.random::<f64>() < 0.75 {
                    (filed + Duration::days(30 * rng.random_range(lag) as i64)).to_string()
                } else {
                    String::new()
                };
                out[6].push_str(&format!(
                    "{code},IP{index:07}{t:03}{k:02},{kind},{filed},{granted}\n"
                ));
            }
        }
        if alive && present[7] && month_start.month().is_multiple_of(3) {
            let quarter = (month_start.month() - 1) / 3 + 1;
            let reported = add_months(month_start, 1) + Duration::days(rng.random_range(10..25));
            out[7].push_str(&format!(
                "{code},Q{quarter},{},{:.2},{},{reported}\n",
                month_start.year(),
                revenue * 3.0 * 0.04 * tech * rng.random_range(0.7..1.3),
                (headcount * 0.15 * tech).round()
            ));
        }
        let lawsuit = sigmoid(-5.6 - 1.1 * h) + since_default.map_or(0.0, |_| 0.15);
        for (record, p) in [
            ("lawsuit_defendant", lawsuit),
            ("lawsuit_plaintiff", 0.004),
            (
                "enforcement",
                sigmoid(-7.5 - 1.6 * h)
                    + since_default.map_or(0.0, |s| if s >= 1 { 0.2 } else { 0.0 }),
            ),
            (
                "dishonest",
                since_default.map_or(0.0, |s| if s >= 2 { 0.12 } else { 0.0 }),
            ),
        ] {
            if rng.random::<f64>() < p {
                out[8].push_str(&format!(
                    "{code},({}){}民初{}号,{},{record},{:.2}\n",
                    month_start.year(),
                    &region[..4],
                    rng.random_range(100..99_999),
                    day(&mut rng),
                    size * 10_000.0 * rng.random_range(0.1..2.0)
                ));
            }
        }
        for (id, principal, lender) in &loans {
            let outstanding = principal * (1.0 - t as f64 / (config.months as f64 * 1.5));
            let overdue_days = match since_default {
                Some(s) => 90 + 30 * s,
                None => {
                    if defaulted.is_none() && rng.random::<f64>() < sigmoid(-4.5 - 1.6 * h) {
                        rng.random_range(1..60)
                    } else {
                        0
                    }
                }
            };
            let overdue_amount = if overdue_days > 0 {
                outstanding * (overdue_days as f64 / 360.0).min(1.0)
            } else {
                0.0
            };
            out[9].push_str(&format!(
                "{code},{id},{month},{lender},{outstanding:.2},{overdue_days},{overdue_amount:.2}\n"
            ));
        }
        if alive && present[10] {
            let count = Poisson::new(1.5 * activity).expect("rate").sample(&mut rng);
            for k in 0..count as u32 {
                let role = if rng.random::<f64>() < 0.6 {
                    "seller"
                } else {
                    "buyer"
                };
                let partner = partners[pick_index(&mut rng, &partner_weights)];
                out[10].push_str(&format!(
                    "{code},O{index:07}{t:03}{k:03},{},{role},{partner},{:.2}\n",
                    day(&mut rng),
                    revenue * 0.3 * LogNormal::new(0.0, 0.6).expect("valid").sample(&mut rng)
                ));
            }
        }
        if alive && devices > 0 {
            if since_default.is_some() {
                devices = devices.min(1);
            }
            for device in 0..devices {
                for d in 0..days {
                    let date = month_start + Duration::days(d as i64);
                    let weekday = date.weekday().num_days_from_monday() < 5;
                    let base = 8.0 * activity.powf(0.7) * if weekday { 1.0 } else { 0.35 };
                    let mut hours = (base + 1.5 * normal.sample(&mut rng)).clamp(0.0, 24.0);
                    if faults && rng.random::<f64>() < 0.0005 {
                        hours += 25.0; // a sensor fault: out of range
                    }
                    out[11].push_str(&format!("{code},D{index:07}{device},{date},{hours:.2}\n"));
                }
            }
        }
    }
    if faults {
        duplicate_some(&mut rng, &mut out[1], 0.003);
        duplicate_some(&mut rng, &mut out[3], 0.003);
    }
    // The truth: 12-month PD at each month-end from the expected latent path.
    let mut truth_pd = String::new();
    for (t, &ht) in path.iter().enumerate() {
        if defaulted.is_some_and(|d| (d as usize) < t) {
            break;
        }
        let mut survive = 1.0;
        for k in 1..=12 {
            let mean = RHO.powi(k) * ht + (1.0 - RHO.powi(k)) * level;
            survive *= 1.0 - sigmoid(ALPHA + BETA * mean);
        }
        let month_start = add_months(config.start, t as u32);
        truth_pd.push_str(&format!(
            "{code},{:04}-{:02},{:.6}\n",
            month_start.year(),
            month_start.month(),
            1.0 - survive
        ));
    }
    let default_month = defaulted.map(|d| {
        let m = add_months(config.start, d);
        format!("{:04}-{:02}", m.year(), m.month())
    });
    FirmRows {
        truth: format!(
            "{code},{},{level:.4}\n",
            default_month.clone().unwrap_or_default()
        ),
        lines: out,
        defaulted,
        truth_pd,
    }
}

fn pick_index(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        u -= w;
        if u <= 0.0 {
            return i;
        }
    }
    weights.len() - 1
}

fn duplicate_some(rng: &mut impl Rng, lines: &mut String, rate: f64) {
    let copies: Vec<String> = lines
        .lines()
        .filter(|_| rng.random::<f64>() < rate)
        .map(|l| format!("{l}\n"))
        .collect();
    copies.iter().for_each(|c| lines.push_str(c));
}

struct Writers {
    files: Vec<(PathBuf, BufWriter<File>, u64)>,
}

impl Writers {
    fn create(dir: &Path, names: &[(&str, String)]) -> Result<Writers, GenError> {
        let files = names
            .iter()
            .map(|(name, header)| {
                let path = dir.join(format!("{name}.csv"));
                let file = File::create(&path).map_err(|source| GenError {
                    path: path.clone(),
                    source,
                })?;
                let mut w = BufWriter::with_capacity(1 << 20, file);
                w.write_all(header.as_bytes()).map_err(|source| GenError {
                    path: path.clone(),
                    source,
                })?;
                Ok((path, w, 0))
            })
            .collect::<Result<_, GenError>>()?;
        Ok(Writers { files })
    }

    fn write(&mut self, k: usize, text: &str) -> Result<(), GenError> {
        let (path, w, rows) = &mut self.files[k];
        *rows += text.bytes().filter(|&b| b == b'\n').count() as u64;
        w.write_all(text.as_bytes()).map_err(|source| GenError {
            path: path.clone(),
            source,
        })
    }

    fn finish(self) -> Result<Vec<u64>, GenError> {
        self.files
            .into_iter()
            .map(|(path, mut w, rows)| {
                w.flush()
                    .map(|()| rows)
                    .map_err(|source| GenError { path, source })
            })
            .collect()
    }
}

/// Generates the portfolio into `dir` (one CSV per source plus the truth files), calling
/// `progress(firms_done)` as it goes.
pub fn generate(
    config: &GenConfig,
    dir: &Path,
    progress: impl Fn(usize) + Sync,
) -> Result<GenSummary, GenError> {
    std::fs::create_dir_all(dir).map_err(|source| GenError {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut names: Vec<(&str, String)> = SOURCES
        .iter()
        .map(|s| {
            (
                s.name,
                format!(
                    "{}\n",
                    s.fields
                        .iter()
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            )
        })
        .collect();
    names.push(("truth", "uscc,default_month,health_level\n".to_string()));
    names.push(("truth_pd", "uscc,month,pd_12m\n".to_string()));
    let mut writers = Writers::create(dir, &names)?;
    let shocks = industry_shocks(config.seed, config.months);
    // Counterparties outside the portfolio: customers and suppliers.
    let mut pool_rng = StdRng::seed_from_u64(config.seed ^ 0xc0ffee);
    let pool: Vec<String> = (0..(config.enterprises * 3).max(50))
        .map(|_| {
            let region = REGIONS[pool_rng.random_range(0..REGIONS.len())].0;
            people::uscc(&mut pool_rng, region)
        })
        .collect();
    let mut defaults = 0;
    let chunk = 256;
    let mut done = 0;
    for start in (0..config.enterprises).step_by(chunk * rayon::current_num_threads().max(1) * 2) {
        let end = (start + chunk * rayon::current_num_threads().max(1) * 2).min(config.enterprises);
        let firms: Vec<FirmRows> = (start..end)
            .into_par_iter()
            .map(|i| firm(config, i, &shocks, &pool))
            .collect();
        for f in firms {
            for (k, text) in f.lines.iter().enumerate() {
                writers.write(k, text)?;
            }
            writers.write(SOURCES.len(), &f.truth)?;
            writers.write(SOURCES.len() + 1, &f.truth_pd)?;
            defaults += usize::from(f.defaulted.is_some());
        }
        done = end;
        progress(done);
    }
    let rows = writers.finish()?;
    Ok(GenSummary {
        rows: SOURCES.iter().map(|s| s.name).zip(rows).collect(),
        defaults,
        enterprises: done,
    })
}
