//! `xinrong simulate`: banks, guarantors and batch guarantee agreements run month by month over
//! a generated portfolio. Applications are the financing needs `xinrong match` answered (its
//! summary file: the product, limit, price, PD, score and grade of each); outcomes are the
//! generator's true default dates. Writes every decision, guarantee, loan event, compensation
//! and month-end position as CSV, so compensation rates and losses can be recomputed from the
//! files alone, and prints what happened with the compensation rate recomputed from the rows.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use clap::Args;
use rust_decimal::Decimal;
use xinrong_credit::flow::{BUILTIN_FLOW, Policy};
use xinrong_credit::simulation::{BUILTIN_SCENARIO, Bank, ProductTerms, Run, Scenario, simulate};
use xinrong_credit::{Application, Flow, Repayment};
use xinrong_lending::Catalogue;
use xinrong_monitor::stress::{Loan as StressLoan, Portfolio};

use crate::BadInput;

#[derive(Args)]
pub struct SimulateArgs {
    /// Applications: the summary file of `xinrong match` (rows of origin `request` or `signal`;
    /// `portfolio` rows, where no need was seen, are not applications).
    #[arg(long)]
    applications: PathBuf,
    /// The generator's registry.csv: each enterprise's industry and region.
    #[arg(long)]
    registry: PathBuf,
    /// The generator's truth.csv: each enterprise's true default date.
    #[arg(long)]
    truth: PathBuf,
    /// Banks, flows and guarantee agreements (TOML); default: the built-in market of three
    /// banks and two guarantors.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Product catalogue directory (terms and LGDs; default: built in).
    #[arg(long)]
    catalogue: Option<PathBuf>,
    /// Last month simulated (YYYY-MM); default: the month of the last application.
    #[arg(long)]
    until: Option<String>,
    /// Directory for decisions.csv, guarantees.csv, loan_events.csv, compensations.csv,
    /// agreements_monthly.csv, book_monthly.csv, alerts.csv, loan_months.csv (every open loan
    /// at every month end) and portfolio.csv (the performing book at the end, for `xinrong
    /// stress`).
    #[arg(long)]
    out: PathBuf,
}

/// Opens a CSV file and finds its `names` columns, or says which is missing and what the file
/// should be (`expected`).
fn open_columns(
    path: &Path,
    names: &[&'static str],
    expected: &str,
) -> Result<(csv::Reader<std::fs::File>, HashMap<&'static str, usize>)> {
    let mut rdr =
        csv::Reader::from_path(path).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let headers = rdr.headers()?.clone();
    let cols = names
        .iter()
        .map(|n| {
            let k = headers.iter().position(|h| h == *n).ok_or_else(|| {
                BadInput(format!("{}: no `{n}` column: {expected}", path.display()))
            })?;
            Ok((*n, k))
        })
        .collect::<Result<_>>()?;
    Ok((rdr, cols))
}

/// Reads `uscc → (industry, region)` from a registry file.
fn registry(path: &Path) -> Result<HashMap<String, (String, String)>> {
    let (mut rdr, cols) = open_columns(
        path,
        &["uscc", "industry", "region"],
        "a registry file has uscc, industry, region",
    )?;
    let mut out = HashMap::new();
    for (k, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| BadInput(format!("{}: line {}: {e}", path.display(), k + 2)))?;
        let f = |c: &str| rec.get(cols[c]).unwrap_or("").trim().to_string();
        out.insert(f("uscc"), (f("industry"), f("region")));
    }
    Ok(out)
}

/// The applications of a `xinrong match` summary file, every field checked, and how many rows
/// were not applications because the enterprise had no data on the date (`best` = `no_data`).
fn applications(
    path: &Path,
    firms: &HashMap<String, (String, String)>,
    terms: &HashMap<String, ProductTerms>,
) -> Result<(Vec<Application>, usize)> {
    let names = [
        "uscc",
        "as_of",
        "origin",
        "amount_sought",
        "pd",
        "score",
        "grade",
        "tax_rating",
        "overdue_days",
        "best",
        "best_amount",
        "best_limit",
        "best_rate",
        "best_lgd",
    ];
    let (mut rdr, cols) =
        open_columns(path, &names, "expected the summary file of `xinrong match`")?;
    let mut out = Vec::new();
    let mut no_data = 0;
    for (k, rec) in rdr.records().enumerate() {
        let line = k + 2;
        let rec = rec.map_err(|e| BadInput(format!("{}: line {line}: {e}", path.display())))?;
        let f = |n: &str| rec.get(cols[n]).unwrap_or("").trim();
        let bad = |n: &str, why: &str| {
            BadInput(format!(
                "{}: line {line}, {n}: {:?} {why}",
                path.display(),
                f(n)
            ))
        };
        if !matches!(f("origin"), "request" | "signal") {
            continue;
        }
        if f("best") == "no_data" {
            no_data += 1;
            continue;
        }
        let number = |n: &str| f(n).parse::<f64>().ok().filter(|x| x.is_finite());
        let money = |n: &str| -> Result<Decimal> {
            if f(n).is_empty() {
                return Ok(Decimal::ZERO);
            }
            f(n).parse::<Decimal>()
                .ok()
                .filter(|d| *d >= Decimal::ZERO)
                .ok_or_else(|| bad(n, "is not an amount").into())
        };
        let uscc = f("uscc").to_string();
        let as_of = NaiveDate::parse_from_str(f("as_of"), "%Y-%m-%d")
            .map_err(|_| bad("as_of", "is not a date"))?;
        let (industry, region) = firms.get(&uscc).cloned().ok_or_else(|| {
            BadInput(format!(
                "{}: line {line}: enterprise {uscc} is not in the registry",
                path.display()
            ))
        })?;
        let eligible = f("best") != "none";
        let product = if eligible {
            f("best").to_string()
        } else {
            "credit_loan".to_string()
        };
        let sought = money("amount_sought")?;
        let amount = if sought.is_zero() {
            money("best_amount")?
        } else {
            sought
        };
        out.push(Application {
            id: format!("{uscc}-{}", as_of.format("%Y-%m")),
            date: as_of.succ_opt().unwrap_or(as_of),
            product: product.clone(),
            amount,
            term_months: terms.get(&product).map_or(12, |t| t.months),
            pd: number("pd").ok_or_else(|| bad("pd", "is not a probability"))?,
            score: number("score").ok_or_else(|| bad("score", "is not a score"))?,
            grade: f("grade").to_string(),
            eligible,
            limit: money("best_limit")?,
            rate: money("best_rate")?,
            lgd: if eligible {
                money("best_lgd")?
            } else {
                terms.get("credit_loan").map_or(Decimal::ONE, |t| t.lgd)
            },
            overdue_days: number("overdue_days"),
            tax_rating: Some(f("tax_rating"))
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            industry,
            region,
            uscc,
        });
    }
    Ok((out, no_data))
}

fn product_terms(
    catalogue: &Catalogue,
    scenario: &Scenario,
) -> Result<HashMap<String, ProductTerms>> {
    let mut out = HashMap::new();
    for (p, _) in &catalogue.products {
        let kind = scenario.products.get(&p.id).ok_or_else(|| {
            BadInput(format!(
                "scenario: [products] does not say how {} is repaid",
                p.id
            ))
        })?;
        let repayment = if kind == "referral" {
            Repayment::InterestOnly
        } else {
            kind.parse::<Repayment>().map_err(BadInput)?
        };
        out.insert(
            p.id.clone(),
            ProductTerms {
                months: p.term_months,
                repayment,
                lgd: p.lgd,
                loan: kind != "referral",
                // Loans a guarantor backs through a batch agreement (a government risk-compensation
                // fund shares losses too, but outside any agreement).
                guaranteed: p.kind == "guaranteed_loan",
            },
        );
    }
    Ok(out)
}

fn banks(scenario: &Scenario, dir: &Path) -> Result<Vec<Bank>> {
    scenario
        .banks
        .iter()
        .map(|b| {
            let text = if b.flow == "builtin" {
                BUILTIN_FLOW.to_string()
            } else {
                let p = dir.join(&b.flow);
                std::fs::read_to_string(&p)
                    .map_err(|e| BadInput(format!("bank {}: {}: {e}", b.id, p.display())))?
            };
            let mut flow = Flow::new(format!("{}/credit_decision", b.id));
            let v = flow
                .submit(&text, "scenario")
                .map_err(|e| BadInput(format!("bank {}: {e}", b.id)))?;
            // The scenario file is the second pair of eyes here: it was written and reviewed
            // before the run, so its versions go live as they are.
            flow.approve(v, "simulation")?;
            flow.promote(v)?;
            Ok(Bank {
                id: b.id.clone(),
                flow,
            })
        })
        .collect()
}

/// The performing loans at the last month end, as a stress-test portfolio.
fn stress_portfolio(run: &Run, until: NaiveDate) -> Portfolio {
    use rust_decimal::prelude::ToPrimitive;
    let loans = run
        .loan_months
        .iter()
        .filter(|m| m.date == until && m.state == "active" && m.days_past_due < 90)
        .filter(|m| m.outstanding > Decimal::ZERO)
        .map(|m| StressLoan {
            loan_id: m.loan.clone(),
            enterprise: m.uscc.clone(),
            industry: m.industry.clone(),
            region: m.region.clone(),
            exposure: m.outstanding,
            pd: m.pd,
            lgd: m.lgd.to_f64().unwrap_or(1.0),
            collateral: Decimal::ZERO,
            guarantor: Some(m.guarantor.clone()).filter(|g| !g.is_empty()),
            guaranteed_share: m.guaranteed_share,
        })
        .collect();
    Portfolio { loans }
}

pub fn run(args: SimulateArgs) -> Result<()> {
    let started = Instant::now();
    let catalogue = match &args.catalogue {
        Some(dir) => Catalogue::load(dir).map_err(|e| BadInput(e.to_string()))?,
        None => Catalogue::builtin(),
    };
    let (scenario, dir) = match &args.scenario {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| BadInput(format!("{}: {e}", p.display())))?;
            let name = p.display().to_string();
            (
                Scenario::parse(&name, &text).map_err(BadInput)?,
                p.parent().unwrap_or(Path::new(".")).to_path_buf(),
            )
        }
        None => (
            Scenario::parse("built-in scenario", BUILTIN_SCENARIO).map_err(BadInput)?,
            PathBuf::from("."),
        ),
    };
    // The built-in flow is checked once here so a broken build fails loudly, not per bank.
    Policy::load("credit_decision", BUILTIN_FLOW)?;
    let terms = product_terms(&catalogue, &scenario)?;
    let banks = banks(&scenario, &dir)?;
    let firms = registry(&args.registry)?;
    let (apps, no_data) = applications(&args.applications, &firms, &terms)?;
    let defaults =
        xinrong_sources::truth::default_dates(&args.truth).map_err(|e| BadInput(e.to_string()))?;
    let until = match &args.until {
        Some(m) => crate::signals_cmd::month_end(m, "--until")?,
        None => {
            let last = apps.iter().map(|a| a.date).max().ok_or_else(|| {
                BadInput(format!(
                    "{}: no applications (rows of origin request or signal)",
                    args.applications.display()
                ))
            })?;
            crate::signals_cmd::month_end(
                &format!("{}-{:02}", last.year(), last.month()),
                "--until",
            )?
        }
    };
    let read = started.elapsed();
    let n_apps = apps.len();
    let run = simulate(&banks, &scenario.agreements, &terms, apps, &defaults, until)?;
    let simulated = started.elapsed() - read;
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    crate::data::write_rows(&args.out, "decisions.csv", &run.decisions)?;
    crate::data::write_rows(&args.out, "guarantees.csv", &run.guarantees)?;
    crate::data::write_rows(&args.out, "loan_events.csv", &run.events)?;
    crate::data::write_rows(&args.out, "compensations.csv", &run.compensations)?;
    crate::data::write_rows(&args.out, "agreements_monthly.csv", &run.agreements)?;
    crate::data::write_rows(&args.out, "book_monthly.csv", &run.book)?;
    crate::data::write_rows(&args.out, "alerts.csv", &run.alerts)?;
    crate::data::write_rows(&args.out, "loan_months.csv", &run.loan_months)?;
    let book = stress_portfolio(&run, until);
    let path = args.out.join("portfolio.csv");
    book.write(std::fs::File::create(&path).with_context(|| path.display().to_string())?)?;
    print_summary(&run, &scenario, &banks);
    if no_data > 0 {
        println!(
            "{no_data} needs of the file were not applications: their enterprise had no data on the date (best = no_data)"
        );
    }
    println!(
        "{n_apps} applications, {} firms, up to {until}: read in {:.1} s, simulated in {:.1} s, total {:.1} s → {}",
        firms.len(),
        read.as_secs_f64(),
        simulated.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    let breaches = run
        .guarantees
        .iter()
        .filter(|g| g.result == "issued" && g.rate_at_request >= g.cap_rate)
        .count();
    if breaches > 0 {
        anyhow::bail!(
            "{breaches} automatic guarantees were issued at or above their agreement's cap"
        );
    }
    Ok(())
}

fn print_summary(run: &Run, scenario: &Scenario, banks: &[Bank]) {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header([
        "bank 银行",
        "applications 申请",
        "approved 批准",
        "referred 转人工",
        "declined 拒绝",
        "loans 放款",
        "lent 放款额",
        "defaults 违约",
        "written off 核销",
    ]);
    for b in banks {
        let d: Vec<_> = run.decisions.iter().filter(|d| d.bank == b.id).collect();
        let count = |o: &str| d.iter().filter(|x| x.outcome == o).count().to_string();
        let ev = |k: &'static str| {
            run.events
                .iter()
                .filter(move |e| e.bank == b.id && e.event == k)
        };
        let lent: Decimal = ev("disbursed").map(|e| e.amount).sum();
        let written: Decimal = ev("written_off").map(|e| e.amount).sum();
        t.add_row([
            b.id.clone(),
            d.len().to_string(),
            count("approve"),
            count("refer"),
            count("decline"),
            ev("disbursed").count().to_string(),
            lent.round_dp(0).to_string(),
            ev("defaulted").count().to_string(),
            written.round_dp(0).to_string(),
        ]);
    }
    println!("{t}");
    let mut g = comfy_table::Table::new();
    g.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    g.set_header([
        "agreement 协议",
        "issued 出具",
        "refused 拒绝",
        "manual 人工",
        "guaranteed 担保额",
        "compensated 代偿额",
        "rate 代偿率",
        "recomputed 复算",
        "highest at issue 出具时最高",
        "cap 上限",
    ]);
    for a in &scenario.agreements {
        let rows: Vec<_> = run
            .guarantees
            .iter()
            .filter(|r| r.agreement == a.id)
            .collect();
        let issued: Vec<_> = rows.iter().filter(|r| r.result == "issued").collect();
        let by: BTreeMap<&str, usize> =
            rows.iter()
                .filter(|r| r.result != "issued")
                .fold(BTreeMap::new(), |mut m, r| {
                    *m.entry(r.result).or_default() += 1;
                    m
                });
        let s = &run.standing[&a.id];
        // The rate recomputed from the rows written, as anyone holding the files would.
        let compensated: Decimal = run
            .compensations
            .iter()
            .filter(|c| c.agreement == a.id)
            .map(|c| c.paid_to_bank)
            .sum();
        let denominator: Decimal = match a.basis {
            xinrong_credit::agreement::RateBasis::Guaranteed => {
                issued.iter().map(|r| r.amount).sum()
            }
            xinrong_credit::agreement::RateBasis::Released => {
                let repaid: Decimal = run
                    .events
                    .iter()
                    .filter(|e| e.agreement == a.id && e.event == "repaid")
                    .map(|e| e.principal)
                    .sum();
                let defaulted: Decimal = run
                    .events
                    .iter()
                    .filter(|e| e.agreement == a.id && e.event == "compensated")
                    .map(|e| e.outstanding)
                    .sum();
                repaid + defaulted
            }
        };
        let recomputed = if denominator.is_zero() {
            Decimal::ZERO
        } else {
            (compensated / denominator).round_dp(6)
        };
        let highest = issued
            .iter()
            .map(|r| r.rate_at_request)
            .max()
            .unwrap_or_default();
        g.add_row([
            a.id.clone(),
            issued.len().to_string(),
            by.iter()
                .filter(|(k, _)| **k != "manual_review")
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            by.get("manual_review").copied().unwrap_or(0).to_string(),
            s.guaranteed.round_dp(0).to_string(),
            s.compensated.round_dp(0).to_string(),
            format!("{:.3}%", s.rate(a.basis) * Decimal::ONE_HUNDRED),
            format!("{:.3}%", recomputed * Decimal::ONE_HUNDRED),
            format!("{:.3}%", highest * Decimal::ONE_HUNDRED),
            format!("{:.1}%", a.cap_rate * Decimal::ONE_HUNDRED),
        ]);
    }
    println!("{g}");
    for alert in &run.alerts {
        println!(
            "alert {}: {} ({}) reached {:?} at {:.3}% (warning {:.1}%, cap {:.1}%)",
            alert.date,
            alert.agreement,
            alert.guarantor,
            alert.level,
            alert.rate * Decimal::ONE_HUNDRED,
            alert.warning_rate * Decimal::ONE_HUNDRED,
            alert.cap_rate * Decimal::ONE_HUNDRED
        );
    }
}
