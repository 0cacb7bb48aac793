//! `xinrong monitor`: watching a portfolio after lending.
//!
//! - `warnings`: month-end indicators and scores of every enterprise over a period, run through
//!   the early-warning rules; alerts and levels written as CSV, and judged against the
//!   generator's truth when it is given.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Months, NaiveDate};
use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};
use xinrong_core::Grade;
use xinrong_indicators::{Catalogue as Indicators, compute};
use xinrong_monitor::warnings::assess::BUILTIN_RULES;
use xinrong_monitor::warnings::{Assessor, Evaluation, Level, Observation, Panel, evaluate};

use crate::BadInput;
use crate::ledger_cmd::DataDir;
use crate::signals_cmd::{month_end, month_ends};

#[derive(Args)]
pub struct MonitorArgs {
    #[command(subcommand)]
    command: MonitorCommand,
}

#[derive(Subcommand)]
enum MonitorCommand {
    /// Early warnings (red / yellow / blue) at every month end of a period, with evidence and
    /// suggested actions; judged against the truth when `--truth` is given.
    Warnings(WarningsArgs),
    /// The monthly monitoring report: score PSI and characteristic CSI against the
    /// development sample (chi-square per bin), AUC/KS once outcomes are known, vintage curves,
    /// roll rates and five-category migration of a loan book.
    Report(ReportArgs),
}

#[derive(Args)]
struct ReportArgs {
    /// Scorecard (from `xinrong fit`) whose development sample is the reference.
    #[arg(long, requires = "indicators", required_unless_present = "book")]
    model: Option<PathBuf>,
    /// The month's indicators (from `xinrong indicators --as-of`, CSV or Parquet); with a
    /// `bad` column (`--label-months`), discrimination is measured too.
    #[arg(long, requires = "model")]
    indicators: Option<PathBuf>,
    /// Outcome column of the indicators, if present.
    #[arg(long, default_value = "bad")]
    target: String,
    /// The loan book's month-end positions (`loan_months.csv` of `xinrong simulate`).
    #[arg(long)]
    book: Option<PathBuf>,
    /// PSI/CSI from which to watch.
    #[arg(long, default_value_t = 0.1)]
    watch: f64,
    /// PSI/CSI from which to act.
    #[arg(long, default_value_t = 0.25)]
    act: f64,
    /// Significance level of the chi-square tests.
    #[arg(long, default_value_t = 0.01)]
    alpha: f64,
    /// Report language: en or zh.
    #[arg(long, default_value = "zh")]
    lang: String,
    /// The HTML report.
    #[arg(long)]
    out: PathBuf,
    /// Also every figure as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct WarningsArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// Scorecard (from `xinrong fit`): the PD, score and grade of every firm-month.
    #[arg(long)]
    pub(crate) model: PathBuf,
    /// First month end (YYYY-MM).
    #[arg(long)]
    pub(crate) from: String,
    /// Last month end (YYYY-MM).
    #[arg(long)]
    pub(crate) to: String,
    /// Early-warning rules (GoRules JDM decision table); default: the built-in table.
    #[arg(long)]
    pub(crate) rules: Option<PathBuf>,
    /// Directory for alerts.csv (one row per alert and month end) and levels.csv (one row per
    /// firm and month end).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// The generator's output directory (truth.csv, truth_pd.csv): judge the warnings against
    /// the true default dates and an oracle at the same volume.
    #[arg(long)]
    pub(crate) truth: Option<PathBuf>,
    /// Minimum warning lead for a default to count as warned, in days.
    #[arg(long, default_value_t = 30)]
    pub(crate) lead_days: i64,
}

pub fn run(args: MonitorArgs) -> Result<()> {
    match args.command {
        MonitorCommand::Warnings(a) => warnings(a),
        MonitorCommand::Report(a) => report(a),
    }
}

/// Month ends before `from` whose values the derived facts read: three for score and grade
/// changes (full indicators), twelve for inflows against the year before (inflows only).
fn warm_up(from: NaiveDate) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
    let back = |m: u32| {
        (from + chrono::Days::new(1) - Months::new(m + 1)) + Months::new(1) - chrono::Days::new(1)
    };
    let light = (4..=12).rev().map(back).collect();
    let full = (1..=3).rev().map(back).collect();
    (light, full)
}

pub(crate) fn warnings(args: WarningsArgs) -> Result<()> {
    let started = Instant::now();
    let model = crate::data::load_model(&args.model)?;
    let from = month_end(&args.from, "--from")?;
    let to = month_end(&args.to, "--to")?;
    if to < from {
        return Err(BadInput("--to is before --from".into()).into());
    }
    let mut catalogue = Indicators::builtin().map_err(|e| BadInput(e.to_string()))?;
    let ids: Vec<String> = catalogue.ids().into_iter().map(str::to_string).collect();
    let assessor = match &args.rules {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| BadInput(format!("{}: {e}", p.display())))?;
            Assessor::load(&p.display().to_string(), &text, &ids)
        }
        None => Assessor::load("early_warning", BUILTIN_RULES, &ids),
    }
    .map_err(|e| BadInput(e.to_string()))?;
    let needed: Vec<String> = model
        .feature_names()
        .into_iter()
        .map(str::to_string)
        .chain(assessor.indicators())
        .collect();
    catalogue.restrict(&needed.iter().map(String::as_str).collect::<Vec<_>>());
    let mut inflows = Indicators::builtin().map_err(|e| BadInput(e.to_string()))?;
    inflows.restrict(&["cf_in_3m"]);

    let (light, full) = warm_up(from);
    let dates: Vec<(NaiveDate, bool)> = light
        .into_iter()
        .map(|d| (d, false))
        .chain(
            full.into_iter()
                .chain(month_ends(from, to))
                .map(|d| (d, true)),
        )
        .collect();
    let store = args.dir.data_dir.join("store");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let bar = ProgressBar::new(dates.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} month-ends ({elapsed})")?
            .progress_chars("=> "),
    );
    let mut observations = Vec::new();
    for (date, is_full) in dates {
        bar.set_message(date.format("%Y-%m").to_string());
        let which = if is_full { &catalogue } else { &inflows };
        let table = runtime
            .block_on(compute(&store, which, date, |_, _| {}))
            .map_err(|e| BadInput(e.to_string()))?;
        let scored = if is_full {
            Some(crate::match_cmd::score_table(&model, &table)?)
        } else {
            None
        };
        for (i, uscc) in table.uscc.iter().enumerate() {
            let values = table
                .columns
                .iter()
                .filter(|(_, v)| !v[i].is_nan())
                .map(|(n, v)| (n.clone(), v[i]))
                .collect();
            let (pd, score, grade) = match &scored {
                Some(s) => (Some(s[i].0), Some(s[i].1), s[i].2.parse::<Grade>().ok()),
                None => (None, None, None),
            };
            observations.push(Observation {
                uscc: uscc.clone(),
                date,
                values,
                pd,
                score,
                grade,
            });
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let computed = started.elapsed();
    let panel = Panel::new(observations);
    let (mut alerts, mut months) = assessor
        .assess(&panel)
        .map_err(|e| BadInput(e.to_string()))?;
    alerts.retain(|a| a.date >= from);
    months.retain(|m| m.date >= from);
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    crate::data::write_rows(&args.out, "alerts.csv", &alerts)?;
    crate::data::write_rows(&args.out, "levels.csv", &months)?;
    let truth = args
        .truth
        .as_ref()
        .map(|dir| {
            xinrong_sources::truth::default_dates(&dir.join("truth.csv"))
                .map_err(|e| BadInput(e.to_string()))
        })
        .transpose()?;
    print_levels(&months, truth.as_ref());
    if let Some(dir) = &args.truth {
        let e = judge(dir, &months, args.lead_days, to)?;
        std::fs::write(
            args.out.join("evaluation.json"),
            serde_json::to_vec_pretty(&e)?,
        )?;
        print_evaluation(&e);
    }
    println!(
        "{} firm-months, {} alerts (rules {}): indicators in {:.1} s, total {:.1} s → {}",
        months.len(),
        alerts.len(),
        &assessor.version()[..12],
        computed.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

fn report(args: ReportArgs) -> Result<()> {
    use xinrong_monitor::{book, drift};
    let lang = match args.lang.as_str() {
        "en" => xinrong_scorecard::Lang::En,
        "zh" => xinrong_scorecard::Lang::Zh,
        other => return Err(BadInput(format!("--lang {other:?}: en or zh")).into()),
    };
    for (flag, v) in [("--watch", args.watch), ("--act", args.act)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(BadInput(format!("{flag} {v}: a positive index")).into());
        }
    }
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(BadInput(format!("--alpha {}: a probability in (0, 1)", args.alpha)).into());
    }
    let t = drift::Thresholds {
        watch: args.watch,
        act: args.act,
        alpha: args.alpha,
        ..Default::default()
    };
    let model = match (&args.model, &args.indicators) {
        (Some(m), Some(i)) => Some(model_drift(m, i, &args.target, &t)?),
        _ => None,
    };
    let positions = match &args.book {
        Some(p) => read_book(p)?,
        None => Vec::new(),
    };
    let vintages = book::vintages(&positions);
    let (roll, migration) = if positions.is_empty() {
        (None, None)
    } else {
        (
            Some(book::roll_rates(&positions)),
            Some(book::migration(&positions)),
        )
    };
    let html = xinrong_exports::monitoring_report(
        &xinrong_exports::Monitoring {
            model: model.as_ref().map(|m| m.name.as_str()),
            as_of: model.as_ref().map_or("", |m| m.as_of.as_str()),
            score: model.as_ref().map(|m| &m.score),
            characteristics: model.as_ref().map_or(&[], |m| m.characteristics.as_slice()),
            discrimination: model.as_ref().and_then(|m| m.discrimination.as_ref()),
            vintages: &vintages,
            roll: roll.as_ref(),
            migration: migration.as_ref(),
            thresholds: t,
        },
        lang,
    );
    std::fs::write(&args.out, html).with_context(|| args.out.display().to_string())?;
    if let Some(j) = &args.json {
        let doc = serde_json::json!({
            "score": model.as_ref().map(|m| &m.score),
            "characteristics": model.as_ref().map(|m| &m.characteristics),
            "discrimination": model.as_ref().and_then(|m| m.discrimination.as_ref()),
            "vintages": vintages,
            "roll_rates": roll,
            "migration": migration,
            "thresholds": t,
        });
        std::fs::write(j, serde_json::to_vec_pretty(&doc)?)
            .with_context(|| j.display().to_string())?;
    }
    if let Some(m) = &model {
        let flagged: Vec<String> = m
            .characteristics
            .iter()
            .filter(|c| c.status != "stable")
            .map(|c| format!("{} {:.3} ({})", c.name, c.index, c.status))
            .collect();
        println!(
            "score PSI {:.4} ({}){}; {} characteristics, {} to watch or act on{}",
            m.score.index,
            m.score.status,
            m.score
                .not_meaningful
                .as_ref()
                .map(|w| format!(" — {w}"))
                .unwrap_or_default(),
            m.characteristics.len(),
            flagged.len(),
            if flagged.is_empty() {
                String::new()
            } else {
                format!(": {}", flagged.join(", "))
            },
        );
        if let Some(d) = &m.discrimination {
            println!(
                "AUC {} (development {:.4}), KS {} on {} rows with {} bads",
                d.auc.map_or("—".into(), |a| format!("{a:.4}")),
                d.dev_auc,
                d.ks.map_or("—".into(), |k| format!("{k:.4}")),
                d.rows,
                d.bads
            );
        }
    }
    if !positions.is_empty() {
        println!(
            "{} loans in {} vintages, {} month-end positions",
            vintages.iter().map(|v| v.loans).sum::<u64>(),
            vintages.len(),
            positions.len()
        );
    }
    println!("→ {}", args.out.display());
    Ok(())
}

/// A loan book's month-end positions, each bad row named by its line.
fn read_book(path: &Path) -> Result<Vec<xinrong_monitor::book::Position>> {
    let mut rdr =
        csv::Reader::from_path(path).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let rows = rdr
        .deserialize()
        .enumerate()
        .map(|(i, r)| {
            let at = |e: String| BadInput(format!("{}, line {}: {e}", path.display(), i + 2));
            let p: xinrong_monitor::book::Position = r.map_err(|e| at(e.to_string()))?;
            xinrong_monitor::book::check(&p).map_err(at)?;
            Ok::<_, BadInput>(p)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        return Err(BadInput(format!("{}: no positions", path.display())).into());
    }
    Ok(rows)
}

/// What the month's indicators say of the model: score and characteristic stability, and
/// discrimination when the table has outcomes.
struct ModelDrift {
    name: String,
    as_of: String,
    score: xinrong_monitor::drift::Stability,
    characteristics: Vec<xinrong_monitor::drift::Stability>,
    discrimination: Option<xinrong_monitor::drift::Discrimination>,
}

fn model_drift(
    model_path: &Path,
    indicators: &Path,
    target: &str,
    t: &xinrong_monitor::drift::Thresholds,
) -> Result<ModelDrift> {
    use xinrong_monitor::drift;
    let model = crate::data::load_model(model_path)?;
    let opts = crate::data::model_columns(&model, &[target.to_string()]);
    let table = crate::data::load(indicators, &opts)?;
    let by_name: HashMap<&str, _> = table
        .columns
        .iter()
        .map(|c| (c.name.as_str(), crate::data::view_data(&c.data)))
        .collect();
    let scores = model
        .score(&by_name, table.n_rows, 0)
        .with_context(|| indicators.display().to_string())?;
    let discrimination = match table.column(target) {
        Some(_) => {
            let y = crate::data::target(&table, target)?;
            let (s, y): (Vec<f64>, Vec<u8>) = scores
                .score
                .iter()
                .zip(&y)
                .filter(|(_, y)| **y <= 1)
                .map(|(s, y)| (*s, *y))
                .unzip();
            Some(drift::discrimination(&model, &s, &y))
        }
        None => None,
    };
    Ok(ModelDrift {
        name: model_path.display().to_string(),
        as_of: indicators
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        score: drift::score_stability(&model, &scores.score, t),
        characteristics: drift::characteristic_stability(&model, &by_name, table.n_rows, t),
        discrimination,
    })
}

fn judge(
    dir: &Path,
    months: &[xinrong_monitor::warnings::FirmMonth],
    lead_days: i64,
    to: NaiveDate,
) -> Result<Evaluation> {
    let truth = dir.join("truth.csv");
    let defaults =
        xinrong_sources::truth::default_dates(&truth).map_err(|e| BadInput(e.to_string()))?;
    let by_month = xinrong_sources::truth::pd_by_month(&dir.join("truth_pd.csv"))
        .map_err(|e| BadInput(e.to_string()))?;
    let oracle: HashMap<(String, NaiveDate), f64> = by_month
        .into_iter()
        .filter_map(|((uscc, month), pd)| Some(((uscc, month_end(&month, "month").ok()?), pd)))
        .collect();
    // Outcomes are known up to the last default the truth records, at least the period's end.
    let data_end = defaults.values().copied().max().unwrap_or(to).max(to);
    Ok(evaluate(months, &defaults, &oracle, lead_days, data_end))
}

/// Levels by month end; with the truth, over the firms not yet in default (the portfolio a
/// warning is for), as the evaluation counts them.
fn print_levels(
    months: &[xinrong_monitor::warnings::FirmMonth],
    defaults: Option<&HashMap<String, NaiveDate>>,
) {
    let mut by_date: std::collections::BTreeMap<NaiveDate, [u64; 4]> = Default::default();
    let live = |m: &xinrong_monitor::warnings::FirmMonth| {
        defaults.is_none_or(|d| d.get(&m.uscc).is_none_or(|day| *day > m.date))
    };
    for m in months.iter().filter(|m| live(m)) {
        let e = by_date.entry(m.date).or_default();
        e[0] += 1;
        match m.level {
            Some(Level::Red) => e[1] += 1,
            Some(Level::Yellow) => e[2] += 1,
            Some(Level::Blue) => e[3] += 1,
            None => {}
        }
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([
        "Month end / 月末",
        if defaults.is_some() {
            "Firms not in default / 未违约企业"
        } else {
            "Firms / 企业数"
        },
        "Red / 红色",
        "Yellow / 黄色",
        "Blue / 蓝色",
        "Red+yellow share / 红黄占比",
    ]);
    for (d, [n, r, y, b]) in by_date {
        t.add_row([
            d.to_string(),
            n.to_string(),
            r.to_string(),
            y.to_string(),
            b.to_string(),
            format!("{:.1}%", 100.0 * (r + y) as f64 / n.max(1) as f64),
        ]);
    }
    println!("{t}");
}

fn print_evaluation(e: &Evaluation) {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(["Measure / 指标", "Warnings / 预警", "Oracle / 真值基准"]);
    t.add_row([
        format!(
            "Defaults warned ≥ {} days ahead / 提前≥{}天预警的违约",
            e.lead_days, e.lead_days
        ),
        format!("{} of {} ({:.1}%)", e.warned, e.defaults, 100.0 * e.recall),
        format!(
            "{} of {} ({:.1}%)",
            e.oracle_warned,
            e.defaults,
            100.0 * e.oracle_recall
        ),
    ]);
    t.add_row([
        "Ratio to the oracle / 与基准之比".to_string(),
        format!("{:.3}", e.ratio_to_oracle),
        String::new(),
    ]);
    t.add_row([
        "Median lead, days / 中位提前天数".to_string(),
        format!("{:.0}", e.median_lead_days),
        format!("{:.0}", e.oracle_median_lead_days),
    ]);
    t.add_row([
        "Red precision (default ≤ 12 m) / 红色精确率".to_string(),
        format!(
            "{:.1}% = {:.1}× base {:.2}%",
            100.0 * e.red_precision,
            e.red_lift,
            100.0 * e.base_rate
        ),
        String::new(),
    ]);
    t.add_row([
        "Yellow / blue precision / 黄色、蓝色精确率".to_string(),
        format!(
            "{:.1}% / {:.1}%",
            100.0 * e.yellow_precision,
            100.0 * e.blue_precision
        ),
        String::new(),
    ]);
    t.add_row([
        "Red+yellow volume, max / mean / 红黄预警量".to_string(),
        format!(
            "{:.1}% / {:.1}%",
            100.0 * e.max_volume,
            100.0 * e.mean_volume
        ),
        String::new(),
    ]);
    println!("{t}");
}
