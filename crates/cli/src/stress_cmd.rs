//! `xinrong stress`: a portfolio's loss distribution under a scenario (Monte Carlo over a
//! Gaussian factor copula), with EL, unexpected loss, VaR and expected shortfall, each
//! guarantor's compensation rate against its cap, and the loans that drive the tail.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};
use xinrong_monitor::stress::scenario::BASELINE;
use xinrong_monitor::stress::{Portfolio, Scenario, StressResult, run as stress};

use crate::BadInput;

#[derive(Args)]
pub struct StressArgs {
    /// The loans (CSV: loan_id, exposure, pd, lgd; optional enterprise, industry, region,
    /// collateral, guarantor, guaranteed_share), e.g. the portfolio.csv `xinrong simulate`
    /// writes.
    #[arg(long)]
    portfolio: PathBuf,
    /// The scenario (TOML); default: the built-in baseline (one factor, Basel SME
    /// correlations, no shocks).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Draws, instead of the scenario's.
    #[arg(long)]
    draws: Option<u64>,
    /// Seed, instead of the scenario's.
    #[arg(long)]
    seed: Option<u64>,
    /// Directory for summary.json, levels.csv, quantiles.csv, guarantors.csv and drivers.csv.
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

fn scenario(args: &StressArgs) -> Result<Scenario> {
    let (text, name) = match &args.scenario {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|e| BadInput(format!("{}: {e}", p.display())))?,
            p.display().to_string(),
        ),
        None => (BASELINE.to_string(), "built-in baseline".into()),
    };
    let mut s = Scenario::parse(&text).map_err(|e| BadInput(format!("{name}: {e}")))?;
    if let Some(d) = args.draws {
        s.draws = d;
    }
    if let Some(seed) = args.seed {
        s.seed = seed;
    }
    // Overrides are checked as the file's own values are.
    s.check()
        .map_err(|e| BadInput(format!("{name} with --draws/--seed: {e}")))?;
    Ok(s)
}

pub fn run(args: StressArgs) -> Result<()> {
    let started = Instant::now();
    let s = scenario(&args)?;
    let portfolio = Portfolio::read(&args.portfolio).map_err(|e| BadInput(e.to_string()))?;
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(s.draws)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "draws [{bar:30}] {human_pos}/{human_len} ({elapsed}, eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let t = Instant::now();
    let r = stress(&portfolio, &s, &|n| bar.inc(n)).map_err(|e| BadInput(e.to_string()))?;
    bar.finish_and_clear();
    let simulated = t.elapsed();
    print(&r);
    if let Some(dir) = &args.out {
        write(dir, &r)?;
    }
    println!(
        "{} loans, {} draws, {} factors, {} PD bands: simulated in {:.1} s, total {:.1} s{}",
        r.loans,
        r.draws,
        r.factors,
        r.bands,
        simulated.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        args.out
            .as_ref()
            .map(|d| format!(" → {}", d.display()))
            .unwrap_or_default()
    );
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:.3}%", 100.0 * x)
}

fn print(r: &StressResult) {
    println!(
        "Scenario {} (seed {}): exposure {} yuan / 情景 {}（种子 {}）：敞口 {} 元",
        r.scenario, r.seed, r.exposure, r.scenario, r.seed, r.exposure
    );
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(["Measure / 指标", "Yuan / 元", "Share of exposure / 占敞口"]);
    let share = |d: rust_decimal::Decimal| {
        use rust_decimal::prelude::ToPrimitive;
        pct(d.to_f64().unwrap_or(0.0) / r.exposure.to_f64().unwrap_or(1.0).max(1e-9))
    };
    t.add_row([
        "Expected loss, closed form / 预期损失（解析）".to_string(),
        r.el_analytic.to_string(),
        share(r.el_analytic),
    ]);
    t.add_row([
        format!(
            "Expected loss, simulated / 预期损失（模拟） (±{} s.e., gap {:+.3}%)",
            r.el_standard_error,
            100.0 * r.el_gap
        ),
        r.el_simulated.to_string(),
        share(r.el_simulated),
    ]);
    t.add_row([
        "Unexpected loss (s.d.) / 非预期损失（标准差）".to_string(),
        r.unexpected_loss.to_string(),
        share(r.unexpected_loss),
    ]);
    for l in &r.levels {
        t.add_row([
            format!("VaR {} / 在险价值", pct(l.level)),
            l.var.to_string(),
            pct(l.var_share),
        ]);
        t.add_row([
            format!("Expected shortfall {} / 预期亏空", pct(l.level)),
            l.es.to_string(),
            pct(l.es_share),
        ]);
    }
    println!("{t}");
    if !r.guarantors.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        t.set_header([
            "Guarantor / 担保机构",
            "Loans / 笔数",
            "Guaranteed / 在保",
            "Cap / 上限",
            "Mean / 均值",
            "p95",
            "p99",
            "p99.9",
            "P(≥ cap) / 触顶概率",
        ]);
        for g in &r.guarantors {
            t.add_row([
                g.guarantor.clone(),
                g.loans.to_string(),
                g.guaranteed.to_string(),
                pct(g.cap),
                pct(g.mean_rate),
                pct(g.p95),
                pct(g.p99),
                pct(g.p999),
                pct(g.prob_at_cap),
            ]);
        }
        println!("Compensation rate across the draws / 代偿率分布");
        println!("{t}");
    }
    if !r.drivers.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        t.set_header([
            "Loan / 贷款",
            "Enterprise / 企业",
            "Industry / 行业",
            "Exposure / 敞口",
            "PD (scenario) / 情景PD",
            "Tail default rate / 尾部违约率",
            "Share of ES / 占预期亏空",
        ]);
        for d in r.drivers.iter().take(10) {
            t.add_row([
                d.loan_id.clone(),
                d.enterprise.clone(),
                d.industry.clone(),
                d.exposure.to_string(),
                pct(d.pd),
                pct(d.tail_default_rate),
                pct(d.es_share),
            ]);
        }
        println!("Loans that drive the tail / 尾部风险主要来源");
        println!("{t}");
    }
}

fn write(dir: &Path, r: &StressResult) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    let path = dir.join("summary.json");
    std::fs::write(&path, serde_json::to_vec_pretty(r)?)
        .with_context(|| path.display().to_string())?;
    crate::data::write_rows(dir, "levels.csv", &r.levels)?;
    #[derive(serde::Serialize)]
    struct Quantile {
        level: f64,
        loss: rust_decimal::Decimal,
    }
    let q: Vec<Quantile> = r
        .quantiles
        .iter()
        .map(|&(level, loss)| Quantile { level, loss })
        .collect();
    crate::data::write_rows(dir, "quantiles.csv", &q)?;
    crate::data::write_rows(dir, "guarantors.csv", &r.guarantors)?;
    crate::data::write_rows(dir, "drivers.csv", &r.drivers)?;
    Ok(())
}
