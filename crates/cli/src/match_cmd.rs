//! `xinrong match`: financing matched for a whole portfolio, as of one or more month-ends. Each
//! enterprise is scored by the model, its facts read from its indicators, and every product of
//! the catalogue tried for the need at hand: the need signalled from its cash flows (the
//! default), or the applications listed in a requests file. One row per enterprise (or
//! request) and date, with the products recommended, what each offers and costs, and why the
//! others do not fit; optionally one row per product tried.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use rust_decimal::Decimal;
use xinrong_indicators::{Catalogue as Indicators, IndicatorTable, compute, monthly_series};
use xinrong_lending::{Catalogue, Facts, Match, PURPOSES, Request, Status, match_products};
use xinrong_scorecard::{FeatureData, Scorecard};
use xinrong_signals::Method;

use crate::BadInput;
use crate::ledger_cmd::DataDir;
use crate::signals_cmd::{month_end, month_ends, signal_all};

#[derive(Args)]
pub struct MatchArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// Scorecard (from `xinrong fit`) giving each enterprise's PD, score and grade.
    #[arg(long)]
    pub(crate) model: PathBuf,
    /// Month-end to match as of (YYYY-MM or a date in the month); not with --requests.
    #[arg(
        long,
        required_unless_present = "requests",
        conflicts_with = "requests"
    )]
    pub(crate) as_of: Option<String>,
    /// Also every month-end after --as-of up to this one.
    #[arg(long, requires = "as_of")]
    pub(crate) to: Option<String>,
    /// Applications to match instead of signalled needs: a CSV with `uscc`, `month` (YYYY-MM,
    /// when the money is needed), `purpose` and optionally `amount`; each is matched on the
    /// data up to the end of the month before (the generator's needs.csv is such a file).
    #[arg(long)]
    pub(crate) requests: Option<PathBuf>,
    /// Product catalogue directory (products.toml and its rule files; default: built in).
    #[arg(long)]
    pub(crate) catalogue: Option<PathBuf>,
    /// Where to write one row per enterprise (or request) and date (CSV).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Also write one row per product tried, with its status, limit, price and reasons (CSV).
    #[arg(long)]
    pub(crate) offers_out: Option<PathBuf>,
}

/// One thing to match: an enterprise, as of a date, for a purpose (all when `None`).
#[derive(Clone, Debug)]
struct Ask {
    uscc: String,
    as_of: NaiveDate,
    purpose: Option<String>,
    amount: Option<Decimal>,
    /// Where the need came from: `request`, `signal` (a projected shortfall) or `portfolio`.
    origin: &'static str,
}

/// Reads a requests file, every row checked; a bad row is an error naming its line and field.
fn read_requests(path: &Path) -> Result<Vec<Ask>> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let need = |name: &str| {
        column(name).ok_or_else(|| {
            BadInput(format!(
                "{}: no `{name}` column (expected uscc, month, purpose and optionally amount)",
                path.display()
            ))
        })
    };
    let (uscc, month, purpose) = (need("uscc")?, need("month")?, need("purpose")?);
    let amount = column("amount");
    let mut asks = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record =
            record.map_err(|e| BadInput(format!("{}: line {line}: {e}", path.display())))?;
        let field = |k: usize| record.get(k).unwrap_or("").trim();
        let bad = |name: &str, why: String| {
            BadInput(format!("{}: line {line}, {name}: {why}", path.display()))
        };
        let id = field(uscc);
        id.parse::<xinrong_core::Uscc>()
            .map_err(|e| bad("uscc", e.to_string()))?;
        let needed = month_end(field(month), "month")
            .map_err(|_| bad("month", format!("{:?} is not YYYY-MM", field(month))))?;
        let as_of = needed.with_day(1).expect("day 1") - chrono::Days::new(1);
        let p = field(purpose);
        if !PURPOSES.contains(&p) {
            return Err(bad(
                "purpose",
                format!("{p:?} is not one of {}", PURPOSES.join(", ")),
            )
            .into());
        }
        let amount = match amount.map(field).filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(
                a.parse::<Decimal>()
                    .ok()
                    .filter(|d| *d > Decimal::ZERO)
                    .ok_or_else(|| {
                        bad("amount", format!("{a:?} is not a positive amount of yuan"))
                    })?,
            ),
        };
        asks.push(Ask {
            uscc: id.to_string(),
            as_of,
            purpose: Some(p.to_string()),
            amount,
            origin: "request",
        });
    }
    Ok(asks)
}

/// What the model says of every enterprise of a table: (PD, score, grade) by row.
pub(crate) fn score_table(
    model: &Scorecard,
    table: &IndicatorTable,
) -> Result<Vec<(f64, f64, String)>> {
    let by_name: HashMap<&str, FeatureData<'_>> = table
        .columns
        .iter()
        .map(|(name, values)| (name.as_str(), FeatureData::Numeric(values)))
        .collect();
    let scores = model
        .score(&by_name, table.uscc.len(), 0)
        .context("scoring the indicators with the model")?;
    Ok((0..table.uscc.len())
        .map(|i| {
            (
                scores.pd[i],
                scores.score[i],
                scores.grade[i].as_str().to_string(),
            )
        })
        .collect())
}

/// The facts of every enterprise of a table, scored.
fn facts_of(table: &IndicatorTable, scored: &[(f64, f64, String)]) -> HashMap<String, Facts> {
    let column: HashMap<&str, &Vec<f64>> =
        table.columns.iter().map(|(n, v)| (n.as_str(), v)).collect();
    table
        .uscc
        .iter()
        .enumerate()
        .map(|(i, uscc)| {
            let mut facts = Facts::from_indicators(|id| column.get(id).map(|v| v[i]));
            let (pd, score, grade) = &scored[i];
            facts.scored(*pd, *score, grade);
            (uscc.clone(), facts)
        })
        .collect()
}

const SUMMARY: [&str; 22] = [
    "uscc",
    "as_of",
    "origin",
    "purpose",
    "amount_sought",
    "pd",
    "grade",
    "score",
    "tax_rating",
    "overdue_days",
    "best",
    "best_amount",
    "best_limit",
    "best_rate",
    "best_all_in",
    "best_binding",
    "best_lgd",
    "second",
    "third",
    "eligible",
    "cannot_decide",
    "catalogue",
];

const OFFERS: [&str; 15] = [
    "uscc",
    "as_of",
    "purpose",
    "rank",
    "product",
    "status",
    "amount",
    "limit",
    "binding",
    "rate",
    "all_in",
    "passed",
    "refused_by",
    "missing",
    "rules_sha256",
];

fn summary_row(
    catalogue: &Catalogue,
    ask: &Ask,
    facts: Option<&Facts>,
    answer: Option<&Match>,
) -> Vec<String> {
    let eligible: Vec<&xinrong_lending::Offer> = answer
        .map(|m| {
            m.offers
                .iter()
                .filter(|o| o.status == Status::Eligible)
                .collect()
        })
        .unwrap_or_default();
    let nth = |k: usize| {
        eligible
            .get(k)
            .map(|o| o.product.clone())
            .unwrap_or_default()
    };
    let best = eligible.first();
    let cannot: Vec<String> = answer
        .map(|m| {
            m.offers
                .iter()
                .filter(|o| o.status == Status::CannotDecide)
                .map(|o| format!("{}: missing {}", o.product, o.missing.join(" and ")))
                .collect()
        })
        .unwrap_or_default();
    vec![
        ask.uscc.clone(),
        ask.as_of.to_string(),
        ask.origin.to_string(),
        ask.purpose.clone().unwrap_or_default(),
        ask.amount.map(|a| a.to_string()).unwrap_or_default(),
        facts
            .and_then(|f| f.number("pd"))
            .map(|p| format!("{p:.6}"))
            .unwrap_or_default(),
        facts.and_then(|f| f.grade.clone()).unwrap_or_default(),
        facts
            .and_then(|f| f.number("score"))
            .map(|s| format!("{s:.1}"))
            .unwrap_or_default(),
        facts.and_then(|f| f.tax_rating.clone()).unwrap_or_default(),
        facts
            .and_then(|f| f.number("overdue_days"))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        match (answer, best) {
            (None, _) => "no_data".into(),
            (Some(_), None) => "none".into(),
            (Some(_), Some(o)) => o.product.clone(),
        },
        best.map(|o| o.amount.to_string()).unwrap_or_default(),
        best.and_then(|o| o.limit.as_ref())
            .map(|l| l.amount.to_string())
            .unwrap_or_default(),
        best.and_then(|o| o.price.as_ref())
            .map(|p| p.rate.to_string())
            .unwrap_or_default(),
        best.and_then(|o| o.price.as_ref())
            .map(|p| p.all_in.to_string())
            .unwrap_or_default(),
        best.and_then(|o| o.limit.as_ref())
            .map(|l| l.binding.to_string())
            .unwrap_or_default(),
        best.and_then(|o| catalogue.product(&o.product))
            .map(|(p, _)| p.lgd.to_string())
            .unwrap_or_default(),
        nth(1),
        nth(2),
        eligible.len().to_string(),
        cannot.join("; "),
        answer.map(|m| m.catalogue.clone()).unwrap_or_default(),
    ]
}

fn offer_rows(ask: &Ask, answer: &Match) -> Vec<Vec<String>> {
    answer
        .offers
        .iter()
        .enumerate()
        .map(|(rank, o)| {
            vec![
                ask.uscc.clone(),
                ask.as_of.to_string(),
                ask.purpose.clone().unwrap_or_default(),
                (rank + 1).to_string(),
                o.product.clone(),
                serde_json::to_value(o.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                o.amount.to_string(),
                o.limit
                    .as_ref()
                    .map(|l| l.amount.to_string())
                    .unwrap_or_default(),
                o.limit
                    .as_ref()
                    .map(|l| l.binding.to_string())
                    .unwrap_or_default(),
                o.price
                    .as_ref()
                    .map(|p| p.rate.to_string())
                    .unwrap_or_default(),
                o.price
                    .as_ref()
                    .map(|p| p.all_in.to_string())
                    .unwrap_or_default(),
                o.passed.join("+"),
                o.refusals
                    .iter()
                    .map(|r| format!("{}: {}", r.rule, r.reason))
                    .collect::<Vec<_>>()
                    .join("; "),
                o.missing.join("+"),
                o.rules_sha256.clone(),
            ]
        })
        .collect()
}

pub fn run(args: MatchArgs) -> Result<()> {
    let catalogue = match &args.catalogue {
        Some(dir) => Catalogue::load(dir).map_err(|e| BadInput(e.to_string()))?,
        None => Catalogue::builtin(),
    };
    let model = crate::data::load_model(&args.model)?;
    let requests = args.requests.as_deref().map(read_requests).transpose()?;
    let dates: Vec<NaiveDate> = match (&requests, &args.as_of) {
        (Some(asks), _) => {
            let mut d: Vec<NaiveDate> = asks.iter().map(|a| a.as_of).collect();
            d.sort();
            d.dedup();
            d
        }
        (None, Some(first)) => {
            let first = month_end(first, "--as-of")?;
            let last = match &args.to {
                Some(t) => month_end(t, "--to")?,
                None => first,
            };
            if last < first {
                return Err(BadInput("--to is before --as-of".into()).into());
            }
            month_ends(first, last)
        }
        (None, None) => unreachable!("clap requires --as-of without --requests"),
    };
    let mut by_date: BTreeMap<NaiveDate, Vec<Ask>> = BTreeMap::new();
    for ask in requests.into_iter().flatten() {
        by_date.entry(ask.as_of).or_default().push(ask);
    }
    let mut indicators = Indicators::builtin().map_err(|e| BadInput(e.to_string()))?;
    let needed: Vec<&str> = model
        .feature_names()
        .into_iter()
        .chain(Facts::indicators())
        .collect();
    indicators.restrict(&needed);
    let store = args.dir.data_dir.join("store");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let writer = |p: &Path| csv::Writer::from_path(p).with_context(|| p.display().to_string());
    let mut out = writer(&args.out)?;
    out.write_record(SUMMARY)?;
    let mut offers = args.offers_out.as_deref().map(writer).transpose()?;
    if let Some(w) = &mut offers {
        w.write_record(OFFERS)?;
    }
    let bar = ProgressBar::new(dates.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} month-ends ({elapsed})")?
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let (mut rows, mut matched) = (0u64, 0u64);
    for as_of in dates {
        bar.set_message("indicators");
        let table = runtime
            .block_on(compute(&store, &indicators, as_of, |_, _| {}))
            .map_err(|e| BadInput(e.to_string()))?;
        let scored = score_table(&model, &table)?;
        let facts = facts_of(&table, &scored);
        bar.set_message("matching");
        let asks = match by_date.remove(&as_of) {
            Some(asks) => asks,
            None => portfolio_asks(&runtime, &store, &table, as_of)?,
        };
        let answers: Vec<Option<Match>> = asks
            .par_iter()
            .map(|ask| {
                facts.get(&ask.uscc).map(|f| {
                    match_products(
                        &catalogue,
                        f,
                        &Request {
                            purpose: ask.purpose.clone(),
                            amount: ask.amount,
                            trace: false,
                        },
                    )
                })
            })
            .collect();
        for (ask, answer) in asks.iter().zip(&answers) {
            rows += 1;
            matched += u64::from(answer.as_ref().is_some_and(|m| m.best().is_some()));
            out.write_record(summary_row(
                &catalogue,
                ask,
                facts.get(&ask.uscc),
                answer.as_ref(),
            ))?;
            if let (Some(w), Some(answer)) = (&mut offers, answer) {
                for row in offer_rows(ask, answer) {
                    w.write_record(row)?;
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    out.flush()?;
    if let Some(w) = &mut offers {
        w.flush()?;
    }
    println!(
        "{rows} enterprise-dates matched in {:.1} s: {matched} with a product to offer → {}",
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

/// Every enterprise of the portfolio as of a date: those with a projected shortfall for the
/// signal's purpose and amount, the others for any purpose up to their limit.
fn portfolio_asks(
    runtime: &tokio::runtime::Runtime,
    store: &Path,
    table: &IndicatorTable,
    as_of: NaiveDate,
) -> Result<Vec<Ask>> {
    let series = runtime
        .block_on(monthly_series(store, as_of, 36))
        .map_err(|e| BadInput(e.to_string()))?;
    let month = as_of.with_day(1).expect("day 1");
    let signals: HashMap<&str, xinrong_signals::NeedSignal> = series
        .firms
        .iter()
        .zip(signal_all(&series, month, Method::Mstl))
        .filter_map(|(f, s)| Some((f.uscc.as_str(), s?)))
        .filter(|(_, s)| s.is_shortfall())
        .collect();
    Ok(table
        .uscc
        .iter()
        .map(|uscc| match signals.get(uscc.as_str()) {
            Some(s) => Ask {
                uscc: uscc.clone(),
                as_of,
                purpose: Some(s.kind.purpose().to_string()),
                amount: Some(s.amount),
                origin: "signal",
            },
            None => Ask {
                uscc: uscc.clone(),
                as_of,
                purpose: None,
                amount: None,
                origin: "portfolio",
            },
        })
        .collect())
}

/// A match answer (the `financing` of a record) as a table a person reads: each product with
/// its status, amount, rate and why, in English and Chinese.
pub(crate) fn offers_table(answer: &serde_json::Value) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "product 产品",
        "status 状态",
        "amount 金额",
        "rate 利率",
        "why 原因",
    ]);
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    for o in answer["offers"].as_array().into_iter().flatten() {
        let why = match o["status"].as_str() {
            Some("eligible") => format!(
                "limit {} ({})",
                text(&o["limit"]["amount"]),
                text(&o["limit"]["binding"])
            ),
            Some("refused") => o["refusals"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| format!("{} {}", text(&r["reason"]), text(&r["reason_zh"])))
                .collect::<Vec<_>>()
                .join("; "),
            Some("cannot_decide") => format!(
                "missing {}",
                o["missing"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(text)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => "not for this purpose 不适用于该用途".into(),
        };
        table.add_row([
            format!("{} {}", text(&o["en"]), text(&o["zh"])),
            text(&o["status"]),
            text(&o["amount"]),
            o["price"]["rate"].as_str().unwrap_or("").to_string(),
            why,
        ]);
    }
    table
}
