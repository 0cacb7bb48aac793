//! One generated firm: its profile (drawn once), then its months, each source an imperfect,
//! noisy view of the latent health `h`. Rows go to the source they belong to by name, so the
//! order of [`crate::SOURCES`] can change without breaking the generator.

use super::rows::Rows;
use chrono::{Datelike, Duration, NaiveDate};
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal, Poisson};

use super::GenConfig;
use super::cash::{Cash, MonthCash};
use super::financing::BestProduct;
use super::world::{
    CARBON_INDUSTRIES, CHANNELS, INDUSTRIES, IP_TYPES, Industry, LENDERS, REGIONS, RHO, Region,
    SHOCK_SD, hazard, pd_within, season, sigmoid,
};
use crate::people;
use crate::schema::SOURCES;

/// Where each source's rows go: its position in [`SOURCES`], looked up by name once.
#[derive(Clone, Copy, Debug)]
pub struct Slots {
    pub registry: usize,
    pub bank_txn: usize,
    pub tax: usize,
    pub invoice: usize,
    pub utility: usize,
    pub social_insurance: usize,
    pub ip: usize,
    pub rnd: usize,
    pub judicial: usize,
    pub loan: usize,
    pub orders: usize,
    pub telemetry: usize,
}

impl Slots {
    /// Looks every source up by name.
    ///
    /// # Panics
    /// If a source the generator writes is missing from [`SOURCES`]: a programming error that
    /// the generator's own tests catch.
    pub fn resolve() -> Slots {
        let at = |name: &str| {
            SOURCES
                .iter()
                .position(|s| s.name == name)
                .unwrap_or_else(|| {
                    panic!("the generator writes source {name}, which SOURCES lacks")
                })
        };
        Slots {
            registry: at("registry"),
            bank_txn: at("bank_txn"),
            tax: at("tax"),
            invoice: at("invoice"),
            utility: at("utility"),
            social_insurance: at("social_insurance"),
            ip: at("ip"),
            rnd: at("rnd"),
            judicial: at("judicial"),
            loan: at("loan"),
            orders: at("orders"),
            telemetry: at("telemetry"),
        }
    }
}

/// What one firm produced: CSV lines per source (in [`SOURCES`] order) and its truth.
pub struct FirmRows {
    pub lines: Vec<Rows>,
    pub defaulted: Option<u32>,
    pub truth: Rows,
    pub truth_pd: Rows,
    /// Quality faults injected, one CSV line each (`source,uscc,key,fault`).
    pub faults: Rows,
    /// Financing needs, one CSV line each (see `docs/truth.md`).
    pub needs: Rows,
    /// The need oracle's view at each month-end, one CSV line each.
    pub need_oracle: Rows,
}

/// Which sources a firm has data in (the others are missing for it).
struct Presence {
    bank_txn: bool,
    tax: bool,
    invoice: bool,
    utility: bool,
    social_insurance: bool,
    rnd: bool,
    loan: bool,
    orders: bool,
    telemetry: bool,
}

/// What is drawn once per firm.
struct Profile {
    index: usize,
    code: String,
    industry: usize,
    region: &'static Region,
    size: f64,
    age_years: f64,
    founded: NaiveDate,
    flags: (bool, bool, bool),
    tech: f64,
    level: f64,
    partners: Vec<String>,
    partner_pick: WeightedIndex<f64>,
    /// Share of sales the firm invoices (B2B technology firms invoice nearly everything).
    invoiced_share: f64,
    /// Months of costs the firm holds in the bank when the history starts.
    months_of_cash: f64,
    /// Whether it holds carbon-emission allowances it could pledge.
    carbon: bool,
    present: Presence,
}

fn weighted<'a, T>(rng: &mut impl Rng, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let index = WeightedIndex::new(items.iter().map(weight)).expect("positive weights");
    &items[index.sample(rng)]
}

impl Profile {
    fn draw(rng: &mut StdRng, index: usize, pool: &[String]) -> Profile {
        let industry = WeightedIndex::new(INDUSTRIES.iter().map(|i| i.share))
            .expect("positive shares")
            .sample(rng);
        let region = weighted(rng, REGIONS, |r| r.share);
        let code = people::uscc(rng, region.code);
        let size: f64 = LogNormal::new(50f64.ln(), 1.0).expect("valid").sample(rng); // 10k yuan / month
        let age_years = rng.random_range(0.5..20.0f64);
        let high_tech = rng.random::<f64>() < 0.35;
        let tech_sme = rng.random::<f64>() < 0.55;
        let specialised = rng.random::<f64>() < 0.12;
        let tech = rng.random_range(0.2..1.0) * if high_tech { 2.0 } else { 1.0 };
        let level = Normal::new(0.0, 0.75).expect("sd").sample(rng)
            + INDUSTRIES[industry].effect
            + region.effect
            + 0.18 * (age_years.ln() - 1.5)
            + 0.08 * (size / 50.0).ln()
            + if specialised { 0.15 } else { 0.0 };
        let customers = 3 + Poisson::new(6.0 * (0.4 * level).exp())
            .expect("rate")
            .sample(rng) as usize;
        let partners: Vec<String> = (0..customers)
            .map(|_| pool[rng.random_range(0..pool.len())].clone())
            .collect();
        let partner_weights =
            (0..customers).map(|k| 1.0 / (k as f64 + 1.0).powf(1.2 - 0.2 * level.clamp(-1.0, 1.0)));
        let partner_pick = WeightedIndex::new(partner_weights).expect("positive weights");
        let mut has = |p: f64| rng.random::<f64>() < p;
        let present = Presence {
            bank_txn: has(0.92),
            tax: has(0.95),
            invoice: has(0.9),
            utility: has(0.8),
            social_insurance: has(0.9),
            rnd: has(0.75),
            orders: has(0.7),
            loan: has(0.65),
            telemetry: INDUSTRIES[industry].equipment && has(0.85),
        };
        Profile {
            index,
            code,
            industry,
            region,
            size,
            age_years,
            founded: NaiveDate::default(),
            flags: (high_tech, tech_sme, specialised),
            tech,
            level,
            partners,
            partner_pick,
            invoiced_share: rng.random_range(0.92..0.995),
            months_of_cash: rng.random_range(0.6..2.0),
            carbon: CARBON_INDUSTRIES.contains(&INDUSTRIES[industry].code)
                && rng.random::<f64>() < 0.6,
            present,
        }
    }

    fn industry(&self) -> &'static Industry {
        &INDUSTRIES[self.industry]
    }

    /// Typical monthly sales at the firm's long-run health, without the seasons.
    fn mean_sales(&self) -> f64 {
        self.size * 10_000.0 * (0.35 * self.level).exp()
    }

    fn partner(&self, rng: &mut StdRng) -> &str {
        &self.partners[self.partner_pick.sample(rng)]
    }
}

/// Splits `total` into `n` positive parts of random sizes that add up to it exactly (to the
/// cent), as a month's invoices add up to what was invoiced.
fn split(rng: &mut StdRng, total: f64, n: usize, spread: f64) -> Vec<f64> {
    let shape = LogNormal::new(0.0, spread).expect("valid");
    let weights: Vec<f64> = (0..n).map(|_| shape.sample(rng)).collect();
    let sum: f64 = weights.iter().sum();
    let cents = (total * 100.0).round() as i64;
    let mut parts: Vec<i64> = weights
        .iter()
        .map(|w| (cents as f64 * w / sum).floor() as i64)
        .collect();
    let rest = cents - parts.iter().sum::<i64>();
    parts[0] += rest;
    parts.into_iter().map(|c| c as f64 / 100.0).collect()
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .expect("date in range")
}

fn duplicate_some(rng: &mut impl Rng, rows: &mut Rows, rate: f64) {
    rows.duplicate_some(|| rng.random::<f64>() < rate);
}

/// Generates one firm.
pub fn firm(
    config: &GenConfig,
    index: usize,
    shocks: &[Vec<f64>],
    pool: &[String],
    slots: Slots,
) -> FirmRows {
    let mut rng =
        StdRng::seed_from_u64(config.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ index as u64);
    let mut p = Profile::draw(&mut rng, index, pool);
    p.founded = config.start - Duration::days((p.age_years * 365.0) as i64);
    let mut out: Vec<Rows> = SOURCES.iter().map(|_| Rows::default()).collect();
    let mut faults = Rows::default();
    registry(&mut rng, config, &p, &mut out[slots.registry], &mut faults);
    let months = Months::simulate(&mut rng, config, &p, shocks, slots, &mut out, &mut faults);
    let default_date = months.defaulted.map(|d| {
        let first = add_months(config.start, d);
        let days = (add_months(config.start, d + 1) - first).num_days();
        first + Duration::days(rng.random_range(0..days))
    });
    if config.faults {
        duplicate_some(&mut rng, &mut out[slots.bank_txn], 0.003);
        duplicate_some(&mut rng, &mut out[slots.invoice], 0.003);
    }
    // The truth: 12-month PD at each month-end, given the latent state then.
    let mut truth_pd = Rows::default();
    for (t, &ht) in months.path.iter().enumerate() {
        if months.defaulted.is_some_and(|d| (d as usize) < t) {
            break;
        }
        let month_start = add_months(config.start, t as u32);
        truth_pd.row([
            p.code.clone(),
            format!("{:04}-{:02}", month_start.year(), month_start.month()),
            format!("{:.6}", pd_within(ht, p.level, 12)),
        ]);
    }
    let default_month = months.defaulted.map(|d| {
        let m = add_months(config.start, d);
        format!("{:04}-{:02}", m.year(), m.month())
    });
    let mut truth = Rows::default();
    truth.row([
        p.code.clone(),
        default_month.unwrap_or_default(),
        format!("{:.4}", p.level),
        default_date.map(|d| d.to_string()).unwrap_or_default(),
    ]);
    FirmRows {
        truth,
        lines: out,
        defaulted: months.defaulted,
        truth_pd,
        faults,
        needs: months.needs,
        need_oracle: months.need_oracle,
    }
}

fn registry(rng: &mut StdRng, config: &GenConfig, p: &Profile, out: &mut Rows, faults: &mut Rows) {
    let code = &p.code;
    let industry = if config.faults && rng.random::<f64>() < 0.01 {
        faults.row(["registry", code, "", "invalid_industry_code"]);
        "Z9999"
    } else {
        p.industry().code
    };
    let (high_tech, tech_sme, specialised) = p.flags;
    let allowance = if p.carbon {
        format!("{:.0}", p.size * rng.random_range(50.0..200.0))
    } else {
        String::new()
    };
    out.row([
        code.clone(),
        people::company_name(rng, p.region.city),
        industry.to_string(),
        p.region.code.to_string(),
        p.founded.to_string(),
        format!("{:.1}", (p.size * rng.random_range(1.0..6.0)).round()),
        people::person_name(rng),
        people::id_number(rng, p.region.code),
        people::phone(rng),
        u8::from(high_tech).to_string(),
        u8::from(tech_sme).to_string(),
        u8::from(specialised).to_string(),
        allowance,
    ]);
}

/// The monthly simulation's state and outcome.
struct Months {
    path: Vec<f64>,
    defaulted: Option<u32>,
    needs: Rows,
    need_oracle: Rows,
}

/// One month of one firm, as every source sees it.
struct Month {
    t: u32,
    start: NaiveDate,
    label: String,
    days: u32,
    h: f64,
    since_default: Option<u32>,
    activity: f64,
    revenue: f64,
}

impl Month {
    fn day(&self, rng: &mut StdRng) -> NaiveDate {
        self.start + Duration::days(rng.random_range(0..self.days) as i64)
    }

    fn alive(&self) -> bool {
        self.since_default.is_none_or(|s| s <= 2)
    }
}

impl Months {
    fn simulate(
        rng: &mut StdRng,
        config: &GenConfig,
        p: &Profile,
        shocks: &[Vec<f64>],
        slots: Slots,
        out: &mut [Rows],
        faults: &mut Rows,
    ) -> Months {
        let normal = Normal::new(0.0, 1.0).expect("sd");
        let mut h = p.level + Normal::new(0.0, 0.6).expect("sd").sample(rng);
        let mut path = Vec::with_capacity(config.months as usize);
        let mut defaulted: Option<u32> = None;
        let mut headcount = (p.size.powf(0.7) * 2.5).max(3.0);
        let mut devices = if p.present.telemetry {
            rng.random_range(1..=3)
        } else {
            0
        };
        let loans: Vec<(String, f64, &str)> = if p.present.loan {
            (0..rng.random_range(1..=2))
                .map(|k| {
                    (
                        format!("L{:07}{k}", p.index),
                        p.size * 10_000.0 * rng.random_range(1.0..6.0),
                        LENDERS[rng.random_range(0..LENDERS.len())],
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut txn = 0u64;
        let mut arrears = 0.0;
        let mut cash = Cash::new(p.mean_sales(), p.months_of_cash);
        let mut granted: Vec<NaiveDate> = Vec::new();
        let (mut needs, mut need_oracle) = (Rows::default(), Rows::default());
        for t in 0..config.months {
            h = RHO * h
                + (1.0 - RHO) * p.level
                + shocks[p.industry][t as usize]
                + SHOCK_SD * normal.sample(rng);
            path.push(h);
            if defaulted.is_none() && rng.random::<f64>() < hazard(h) {
                defaulted = Some(t);
            }
            let since_default = defaulted.map(|d| t - d);
            let start = add_months(config.start, t);
            let days = (add_months(config.start, t + 1) - start).num_days() as u32;
            let distress = since_default.map_or(0.0, |s| 0.6 + 0.3 * s as f64);
            let activity =
                (0.35 * h + season(start.month0()) + 0.1 * normal.sample(rng) - distress).exp();
            let m = Month {
                t,
                start,
                label: format!("{:04}-{:02}", start.year(), start.month()),
                days,
                h,
                since_default,
                activity,
                revenue: p.size * 10_000.0 * activity,
            };
            if m.alive() {
                let extra_rnd = events(rng, p, &m, &mut cash, &mut out[slots.orders]);
                let flows = cash.month(t, start.month0(), m.revenue, h);
                if p.present.bank_txn {
                    bank_flows(
                        rng,
                        p,
                        &m,
                        &flows,
                        cash.balance(),
                        &mut txn,
                        &mut out[slots.bank_txn],
                    );
                }
                if let Some((amount, driver)) = flows.need {
                    let end = add_months(start, 1) - Duration::days(1);
                    let patents = granted.iter().filter(|g| **g <= end).count();
                    let truth = BestProduct {
                        driver,
                        pd: pd_within(h, p.level, 12),
                        patents,
                        specialised: p.flags.2,
                        high_tech: p.flags.0,
                        young: p.age_years + t as f64 / 12.0 < 3.0,
                        carbon: p.carbon,
                    };
                    let oracle = truth.kind();
                    let best = truth.with_preference(rng);
                    needs.row([
                        p.code.clone(),
                        m.label.clone(),
                        format!("{amount:.0}"),
                        driver.purpose().to_string(),
                        format!("{:.6}", truth.pd),
                        best.to_string(),
                        oracle.to_string(),
                    ]);
                }
                let (gap, first) =
                    cash.expected_shortfall(t, start.month0(), h, p.level, p.mean_sales());
                let first = first
                    .map(|f| {
                        let d = add_months(config.start, f);
                        format!("{:04}-{:02}", d.year(), d.month())
                    })
                    .unwrap_or_default();
                need_oracle.row([p.code.clone(), m.label.clone(), format!("{gap:.4}"), first]);
                if extra_rnd > 0.0 {
                    headcount *= 1.03;
                }
            }
            if m.alive() {
                // Sales this month, and the part of it invoiced (net of red-letter reversals).
                let invoiced =
                    m.revenue * (p.invoiced_share + 0.005 * normal.sample(rng)).clamp(0.85, 1.0);
                if p.present.invoice {
                    let purchases = cash.variable_ratio(h) * m.revenue;
                    invoices(
                        rng,
                        config,
                        p,
                        &m,
                        invoiced,
                        purchases,
                        &mut out[slots.invoice],
                    );
                }
                if p.present.tax {
                    tax(
                        rng,
                        config,
                        p,
                        &m,
                        invoiced,
                        &mut arrears,
                        &mut out[slots.tax],
                        faults,
                    );
                }
            }
            if m.alive() && p.present.utility {
                utility(rng, p, &m, &mut out[slots.utility]);
            }
            if m.alive() && p.present.social_insurance {
                headcount =
                    (headcount * (1.0 + 0.01 * h + 0.01 * normal.sample(rng)) - distress).max(1.0);
                let heads = headcount.round();
                out[slots.social_insurance].row([
                    p.code.clone(),
                    m.label.clone(),
                    heads.to_string(),
                    format!("{:.2}", heads * 1_150.0 * rng.random_range(0.95..1.05)),
                ]);
            }
            if m.alive() {
                granted.extend(ip_filings(rng, p, &m, &mut out[slots.ip]));
            }
            if m.alive() && p.present.rnd && start.month().is_multiple_of(3) {
                let quarter = (start.month() - 1) / 3 + 1;
                let reported = add_months(start, 1) + Duration::days(rng.random_range(10..25));
                // The quarter's R&D: the usual share of sales, plus any ramp under way.
                let ramp: f64 = (0..3).map(|k| cash.rnd_extra(t + k)).sum();
                out[slots.rnd].row([
                    p.code.clone(),
                    format!("Q{quarter}"),
                    start.year().to_string(),
                    format!(
                        "{:.2}",
                        m.revenue * 3.0 * 0.04 * p.tech * rng.random_range(0.7..1.3) + ramp
                    ),
                    (headcount * 0.15 * p.tech).round().to_string(),
                    reported.to_string(),
                ]);
            }
            judicial(rng, p, &m, &mut out[slots.judicial]);
            for (id, principal, lender) in &loans {
                loan_month(
                    rng,
                    config,
                    &m,
                    defaulted,
                    p,
                    id,
                    *principal,
                    lender,
                    &mut out[slots.loan],
                );
            }
            if m.alive() && p.present.orders {
                orders(rng, p, &m, &mut out[slots.orders]);
            }
            if m.alive() && devices > 0 {
                if since_default.is_some() {
                    devices = devices.min(1);
                }
                telemetry(rng, config, p, &m, devices, &mut out[slots.telemetry]);
            }
        }
        Months {
            path,
            defaulted,
            needs,
            need_oracle,
        }
    }
}

/// The month's bank statement: collections in, payments out (each split into transactions
/// that add up to them), financing in on the last day if a need arose, in date order with the
/// running balance after each, ending at `closing`.
fn bank_flows(
    rng: &mut StdRng,
    p: &Profile,
    m: &Month,
    flows: &MonthCash,
    closing: f64,
    txn: &mut u64,
    out: &mut Rows,
) {
    let mut rows: Vec<(NaiveDate, f64, &str, String)> = Vec::new();
    for (direction, total) in [("in", flows.collections), ("out", flows.payments)] {
        let count = 1 + Poisson::new(3.0 + 2.0 * (1.0 + p.size / 10.0).ln())
            .expect("rate")
            .sample(rng) as usize;
        for amount in split(rng, total, count, 0.5) {
            let partner = p.partners[rng.random_range(0..p.partners.len())].clone();
            rows.push((m.day(rng), amount, direction, partner));
        }
    }
    // Each event's money moves in one transfer.
    for (direction, amounts) in [("in", &flows.event_in), ("out", &flows.event_out)] {
        for &amount in amounts {
            let partner = p.partner(rng).to_string();
            rows.push((
                m.day(rng),
                (amount * 100.0).round() / 100.0,
                direction,
                partner,
            ));
        }
    }
    if flows.financed > 0.0 {
        let last = add_months(m.start, 1) - Duration::days(1);
        let lender = LENDERS[rng.random_range(0..LENDERS.len())].to_string();
        rows.push((last, flows.financed, "in", lender));
    }
    rows.sort_by_key(|a| a.0);
    let net: f64 = rows
        .iter()
        .map(|r| if r.2 == "in" { r.1 } else { -r.1 })
        .sum();
    let mut balance = closing - net;
    for (date, amount, direction, partner) in rows {
        balance += if direction == "in" { amount } else { -amount };
        *txn += 1;
        out.row([
            p.code.clone(),
            format!("T{:07}{:06}", p.index, *txn),
            date.to_string(),
            format!("{amount:.2}"),
            direction.to_string(),
            partner.to_string(),
            people::account(rng),
            CHANNELS[rng.random_range(0..CHANNELS.len())].to_string(),
            format!("{balance:.2}"),
        ]);
    }
}

/// The events a firm plans this month, written where the data would show them (orders) and
/// booked in its cash; the extra R&D spending a ramp adds this month.
fn events(rng: &mut StdRng, p: &Profile, m: &Month, cash: &mut Cash, orders: &mut Rows) -> f64 {
    let mean = p.mean_sales();
    let mut order = |role: &str, category: &str, amount: f64, rng: &mut StdRng, k: u32| {
        let partner = p.partner(rng).to_string();
        orders.row([
            p.code.clone(),
            format!("E{:07}{:03}{k}", p.index, m.t),
            m.day(rng).to_string(),
            role.to_string(),
            partner.to_string(),
            format!("{amount:.2}"),
            category.to_string(),
        ]);
    };
    if p.present.orders && rng.random::<f64>() < 0.03 * m.activity.min(2.0) {
        let value = rng.random_range(2.0..5.0) * mean;
        cash.order_won(m.t, value, m.h);
        order("seller", "goods", value, rng, 0);
    }
    if p.industry().equipment && m.h > -0.5 && rng.random::<f64>() < 0.02 {
        let price = rng.random_range(3.0..8.0) * mean;
        cash.equipment_ordered(m.t, price);
        if p.present.orders {
            order("buyer", "equipment", price, rng, 1);
        }
    }
    if p.flags.0 && rng.random::<f64>() < 0.015 {
        cash.rnd_ramp(m.t, 0.3 * mean);
    }
    cash.rnd_extra(m.t)
}

/// The month's e-invoices. Issued invoices add up, to the cent and net of red-letter
/// reversals, to `invoiced` (the sales the VAT return declares as invoiced); received ones
/// to the firm's `purchases` (its variable costs).
fn invoices(
    rng: &mut StdRng,
    config: &GenConfig,
    p: &Profile,
    m: &Month,
    invoiced: f64,
    purchases: f64,
    out: &mut Rows,
) {
    let red_rate = 0.01 + 0.05 * sigmoid(-2.0 - 1.5 * m.h);
    for (direction, net) in [("issued", invoiced), ("received", purchases)] {
        let count = 1 + Poisson::new(2.0 + (1.0 + p.size / 20.0).ln() * 2.0)
            .expect("rate")
            .sample(rng) as usize;
        // A reversal cancels part of an invoice of the same month; the blue invoices cover the
        // net amount plus what was reversed.
        let mut reds: Vec<f64> = Vec::new();
        for _ in 0..count {
            if rng.random::<f64>() < red_rate {
                let part = net / count as f64 * rng.random_range(0.2..1.0);
                reds.push((part * 100.0).round() / 100.0);
            }
        }
        let reversed: f64 = reds.iter().sum();
        let blues = split(rng, net + reversed, count, 0.4);
        let amounts = blues
            .into_iter()
            .map(|a| (a, false))
            .chain(reds.into_iter().map(|r| (-r, true)));
        for (k, (signed, red)) in amounts.enumerate() {
            let partner = if config.faults && rng.random::<f64>() < 0.001 {
                people::broken_uscc(rng, p.region.code)
            } else {
                p.partner(rng).to_string()
            };
            out.row([
                p.code.clone(),
                format!(
                    "{}{:07}{:03}{k:03}",
                    if direction == "issued" { "S" } else { "P" },
                    p.index,
                    m.t
                ),
                m.day(rng).to_string(),
                direction.to_string(),
                partner.to_string(),
                format!("{signed:.2}"),
                format!("{:.2}", signed * 0.13),
                u8::from(red).to_string(),
            ]);
        }
    }
}

/// The month's tax filings. Declared VAT sales are the invoiced sales plus the small
/// uninvoiced remainder; a firm in distress under-declares a little (a real signal, within the
/// 10% a consistency check tolerates). With faults on, 1% of returns carry another period's
/// figure or a unit slip: those are written to the faults truth file.
#[allow(clippy::too_many_arguments)]
fn tax(
    rng: &mut StdRng,
    config: &GenConfig,
    p: &Profile,
    m: &Month,
    invoiced: f64,
    arrears: &mut f64,
    out: &mut Rows,
    faults: &mut Rows,
) {
    let normal = Normal::new(0.0, 1.0).expect("sd");
    let underreport = (0.01 * normal.sample(rng) - 0.025 * (-m.h).max(0.0))
        .exp()
        .min(1.0);
    let mut sales = (invoiced + (m.revenue - invoiced).max(0.0)) * underreport;
    if config.faults && rng.random::<f64>() < 0.01 {
        let (factor, fault) = if rng.random::<bool>() {
            (rng.random_range(1.4..2.2), "vat_sales_wrong_period")
        } else {
            (0.01, "vat_sales_unit_slip")
        };
        sales *= factor;
        faults.row(["tax", &p.code, &m.label, fault]);
    }
    let declared = 0.06 * sales;
    let paid = if rng.random::<f64>() < sigmoid(-3.6 - 1.5 * m.h) {
        declared * rng.random_range(0.2..0.9)
    } else {
        declared
    };
    *arrears = (*arrears + declared - paid) * if m.h > 0.0 { 0.5 } else { 0.9 };
    let late = rng.random::<f64>() < sigmoid(-3.2 - 1.2 * m.h)
        || (config.faults && rng.random::<f64>() < 0.003);
    let filed = add_months(m.start, 1)
        + Duration::days(if late {
            rng.random_range(20..60)
        } else {
            rng.random_range(5..15)
        });
    let rating = if m.start.month() == 1 {
        if p.age_years < 2.0 {
            "M"
        } else if m.h > 0.7 {
            "A"
        } else if m.h > -0.3 {
            "B"
        } else if m.h > -1.3 {
            "C"
        } else {
            "D"
        }
    } else {
        ""
    };
    out.row([
        p.code.clone(),
        m.label.clone(),
        "vat".into(),
        format!("{declared:.2}"),
        format!("{paid:.2}"),
        format!("{:.2}", *arrears),
        format!("{sales:.2}"),
        rating.to_string(),
        filed.to_string(),
    ]);
    if m.start.month().is_multiple_of(3) {
        let profit = (m.revenue * 3.0 * (0.08 + 0.06 * m.h)).max(0.0);
        out.row([
            p.code.clone(),
            m.label.clone(),
            "cit".into(),
            format!("{:.2}", 0.25 * profit),
            format!("{:.2}", 0.25 * profit),
            "0.00".into(),
            String::new(),
            String::new(),
            filed.to_string(),
        ]);
    }
}

fn utility(rng: &mut StdRng, p: &Profile, m: &Month, out: &mut Rows) {
    let kwh = p.size.powf(0.8)
        * 300.0
        * m.activity.powf(0.8)
        * (1.0 + 0.15 * (m.start.month0() as f64 / 12.0 * std::f64::consts::TAU).cos());
    out.row([
        p.code.clone(),
        m.label.clone(),
        format!("{kwh:.1}"),
        format!("{:.1}", kwh / 40.0 * rng.random_range(0.8..1.2)),
    ]);
}

fn ip_filings(rng: &mut StdRng, p: &Profile, m: &Month, out: &mut Rows) -> Vec<NaiveDate> {
    let mut granted_dates = Vec::new();
    let filings = Poisson::new(0.05 + 0.12 * p.tech * (0.2 * m.h).exp())
        .expect("rate")
        .sample(rng) as u32;
    let kinds = WeightedIndex::new(IP_TYPES.iter().map(|i| i.1)).expect("positive shares");
    for k in 0..filings {
        let kind = IP_TYPES[kinds.sample(rng)].0;
        let filed = m.day(rng);
        let lag = match kind {
            "invention" => 18..36,
            "software" => 1..3,
            "trademark" => 8..14,
            _ => 6..12,
        };
        let granted = if rng.random::<f64>() < 0.75 {
            let date = filed + Duration::days(30 * rng.random_range(lag) as i64);
            granted_dates.push(date);
            date.to_string()
        } else {
            String::new()
        };
        out.row([
            p.code.clone(),
            format!("IP{:07}{:03}{k:02}", p.index, m.t),
            kind.to_string(),
            filed.to_string(),
            granted.to_string(),
        ]);
    }
    granted_dates
}

fn judicial(rng: &mut StdRng, p: &Profile, m: &Month, out: &mut Rows) {
    let lawsuit = sigmoid(-5.6 - 1.1 * m.h) + m.since_default.map_or(0.0, |_| 0.15);
    for (record, probability) in [
        ("lawsuit_defendant", lawsuit),
        ("lawsuit_plaintiff", 0.004),
        (
            "enforcement",
            sigmoid(-7.5 - 1.6 * m.h)
                + m.since_default
                    .map_or(0.0, |s| if s >= 1 { 0.2 } else { 0.0 }),
        ),
        (
            "dishonest",
            m.since_default
                .map_or(0.0, |s| if s >= 2 { 0.12 } else { 0.0 }),
        ),
    ] {
        if rng.random::<f64>() < probability {
            out.row([
                p.code.clone(),
                format!(
                    "({}){}民初{}号",
                    m.start.year(),
                    &p.region.code[..4],
                    rng.random_range(100..99_999)
                ),
                m.day(rng).to_string(),
                record.to_string(),
                format!("{:.2}", p.size * 10_000.0 * rng.random_range(0.1..2.0)),
            ]);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn loan_month(
    rng: &mut StdRng,
    config: &GenConfig,
    m: &Month,
    defaulted: Option<u32>,
    p: &Profile,
    id: &str,
    principal: f64,
    lender: &str,
    out: &mut Rows,
) {
    let outstanding = principal * (1.0 - m.t as f64 / (config.months as f64 * 1.5));
    let overdue_days = match m.since_default {
        Some(s) => 90 + 30 * s,
        None => {
            if defaulted.is_none() && rng.random::<f64>() < sigmoid(-4.5 - 1.6 * m.h) {
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
    out.row([
        p.code.clone(),
        id.to_string(),
        m.label.clone(),
        lender.to_string(),
        format!("{outstanding:.2}"),
        overdue_days.to_string(),
        format!("{overdue_amount:.2}"),
    ]);
}

fn orders(rng: &mut StdRng, p: &Profile, m: &Month, out: &mut Rows) {
    let count = Poisson::new(1.5 * m.activity).expect("rate").sample(rng);
    for k in 0..count as u32 {
        let role = if rng.random::<f64>() < 0.6 {
            "seller"
        } else {
            "buyer"
        };
        let partner = p.partner(rng).to_string();
        let category = if role == "seller" {
            "goods"
        } else {
            "materials"
        };
        out.row([
            p.code.clone(),
            format!("O{:07}{:03}{k:03}", p.index, m.t),
            m.day(rng).to_string(),
            role.to_string(),
            partner.to_string(),
            format!(
                "{:.2}",
                m.revenue * 0.3 * LogNormal::new(0.0, 0.6).expect("valid").sample(rng)
            ),
            category.to_string(),
        ]);
    }
}

fn telemetry(
    rng: &mut StdRng,
    config: &GenConfig,
    p: &Profile,
    m: &Month,
    devices: u32,
    out: &mut Rows,
) {
    let normal = Normal::new(0.0, 1.0).expect("sd");
    for device in 0..devices {
        for d in 0..m.days {
            let date = m.start + Duration::days(d as i64);
            let weekday = date.weekday().num_days_from_monday() < 5;
            let base = 8.0 * m.activity.powf(0.7) * if weekday { 1.0 } else { 0.35 };
            let mut hours = (base + 1.5 * normal.sample(rng)).clamp(0.0, 24.0);
            if config.faults && rng.random::<f64>() < 0.0005 {
                hours += 25.0; // a sensor fault: out of range
            }
            out.row([
                p.code.clone(),
                format!("D{:07}{device}", p.index),
                date.to_string(),
                format!("{hours:.2}"),
            ]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_the_generator_writes_exists_by_name() {
        let s = Slots::resolve();
        let all = [
            s.registry,
            s.bank_txn,
            s.tax,
            s.invoice,
            s.utility,
            s.social_insurance,
            s.ip,
            s.rnd,
            s.judicial,
            s.loan,
            s.orders,
            s.telemetry,
        ];
        let mut sorted = all.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "each source has its own slot");
        assert_eq!(SOURCES[s.tax].name, "tax");
        assert_eq!(SOURCES[s.telemetry].name, "telemetry");
    }

    #[test]
    fn a_split_adds_up_to_the_cent() {
        let mut rng = StdRng::seed_from_u64(3);
        for n in 1..20 {
            let total = 123_456.78 * n as f64;
            let parts = split(&mut rng, total, n, 0.4);
            assert_eq!(parts.len(), n);
            let sum: f64 = parts.iter().sum();
            assert!((sum - total).abs() < 0.005, "{sum} vs {total}");
        }
    }
}
