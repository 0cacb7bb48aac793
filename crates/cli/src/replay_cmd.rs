//! `xinrong replay`: a draft decision flow run over recorded decisions (the `decisions.csv` of
//! `xinrong simulate`, or the platform's export of the same columns), answering what it would
//! change before it goes live: approvals gained and lost by grade, with their amounts and
//! expected loss. Reads the decisions; writes nothing but the diff.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use xinrong_credit::flow::Policy;
use xinrong_credit::simulation::DecisionRow;
use xinrong_credit::{Diff, Recorded, replay};

use crate::BadInput;

#[derive(Args)]
pub struct ReplayArgs {
    /// Recorded decisions (CSV with the columns of `xinrong simulate`'s decisions.csv).
    #[arg(long)]
    decisions: PathBuf,
    /// The draft flow: a GoRules JDM file.
    #[arg(long)]
    flow: PathBuf,
    /// Only decisions of this bank.
    #[arg(long)]
    bank: Option<String>,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last day of the period (YYYY-MM-DD).
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Also write the diff as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: ReplayArgs) -> Result<()> {
    let started = Instant::now();
    let text = std::fs::read_to_string(&args.flow)
        .map_err(|e| BadInput(format!("{}: {e}", args.flow.display())))?;
    let name = args
        .flow
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("draft")
        .to_string();
    let policy = Policy::load(&name, &text).map_err(|e| BadInput(e.to_string()))?;
    let size = std::fs::metadata(&args.decisions)
        .map_err(|e| BadInput(format!("{}: {e}", args.decisions.display())))?
        .len();
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("reading [{bar:30}] {bytes}/{total_bytes} ({elapsed})")?
            .progress_chars("=> "),
    );
    let file = std::fs::File::open(&args.decisions)
        .map_err(|e| BadInput(format!("{}: {e}", args.decisions.display())))?;
    let mut rdr = csv::Reader::from_reader(bar.wrap_read(file));
    let mut recorded: Vec<Recorded> = Vec::new();
    for (k, row) in rdr.deserialize::<DecisionRow>().enumerate() {
        let line = k + 2;
        let row =
            row.map_err(|e| BadInput(format!("{}: line {line}: {e}", args.decisions.display())))?;
        if args.bank.as_ref().is_some_and(|b| *b != row.bank) {
            continue;
        }
        recorded.push(row.recorded().map_err(|e| {
            BadInput(format!(
                "{}: line {line}, outcome: {e}",
                args.decisions.display()
            ))
        })?);
    }
    bar.finish_and_clear();
    let read = started.elapsed();
    let diff = replay(&policy, &name, 0, &recorded, args.from, args.to)
        .map_err(|e| BadInput(e.to_string()))?;
    let replayed = started.elapsed() - read;
    println!("{}", table(&diff));
    let moves: Vec<String> = diff.moves.iter().map(|(m, n)| format!("{m} {n}")).collect();
    println!(
        "{} decisions replayed with {} (sha256 {}…): {} unchanged; moves: {}",
        diff.decisions,
        args.flow.display(),
        &policy.sha256()[..12],
        diff.unchanged,
        if moves.is_empty() {
            "none".into()
        } else {
            moves.join(", ")
        }
    );
    println!(
        "read {} rows in {:.1} s, replayed in {:.1} s ({:.0} decisions/s)",
        recorded.len(),
        read.as_secs_f64(),
        replayed.as_secs_f64(),
        diff.decisions as f64 / replayed.as_secs_f64().max(1e-9)
    );
    if let Some(out) = &args.out {
        std::fs::write(out, serde_json::to_string_pretty(&diff)?)
            .with_context(|| out.display().to_string())?;
    }
    Ok(())
}

fn table(diff: &Diff) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header([
        "grade 评级",
        "gained 新增批准",
        "amount 金额",
        "expected loss 预期损失",
        "lost 减少批准",
        "amount 金额",
        "expected loss 预期损失",
    ]);
    let money = |d: Decimal| d.round_dp(0).to_string();
    let rows = diff
        .by_grade
        .iter()
        .map(|(g, c)| (g.as_str(), c))
        .chain(std::iter::once(("all 合计", &diff.total)));
    for (grade, c) in rows {
        t.add_row([
            grade.to_string(),
            c.gained.count.to_string(),
            money(c.gained.amount),
            money(c.gained.expected_loss),
            c.lost.count.to_string(),
            money(c.lost.amount),
            money(c.lost.expected_loss),
        ]);
    }
    t
}
