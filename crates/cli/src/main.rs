//! `xinrong`: the Xinrong command line. Each subcommand lives in a module of its own and stays
//! thin: reading files and printing tables here, all modelling in `xinrong-scorecard`.

/// The server's requests build and drop many small JSON values and strings; under load glibc's
/// allocator took a quarter of the CPU of a credit decision (perf, bench/RESULTS.md), mimalloc
/// far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod admin_cmd;
mod data;
mod demo_cmd;
mod dictionary;
mod export_cmd;
mod fit_cmd;
mod gen_cmd;
mod indicators_cmd;
mod ingest_cmd;
mod ledger_cmd;
mod match_cmd;
mod model_cmd;
mod monitor_cmd;
mod platform_args;
mod progress;
mod quality_cmd;
mod replay_cmd;
mod report;
mod report_cmd;
mod rescore;
mod score_cmd;
mod serve_cmd;
mod signals_cmd;
mod simulate_cmd;
mod stress_cmd;
mod synth;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Xinrong (信融): credit scorecards for technology SMEs.
#[derive(Parser)]
#[command(name = "xinrong", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit a scorecard: binning, WOE, screening, stepwise logistic regression, scaling, grades.
    Fit(fit_cmd::FitArgs),
    /// Score a table with a fitted model: id, score, PD, grade and reason codes per row.
    Score(score_cmd::ScoreArgs),
    /// Write a self-contained HTML report of a model (tables and inline SVG charts).
    Report(report_cmd::ReportArgs),
    /// Export a model for other systems: SQL any warehouse runs, PMML, or an Excel workbook.
    Export(export_cmd::ExportArgs),
    /// Generate a realistic portfolio of tech SMEs: raw data for every source, with its truth.
    Gen(gen_cmd::GenArgs),
    /// Validate source files into the governed store (Parquet); bad rows go to quarantine.
    Ingest(ingest_cmd::IngestArgs),
    /// Compute the indicator catalogue (DataFusion SQL) as of a date, for `xinrong fit`.
    Indicators(indicators_cmd::IndicatorsArgs),
    /// Quality scorecard of every source and provider; quality issues tracked to closure.
    Quality(quality_cmd::QualityArgs),
    /// Tamper-evident ledger: register data assets, verify receipts, audit, prove consistency.
    Ledger(ledger_cmd::LedgerArgs),
    /// Write a synthetic scorecard table with a known logistic truth (for trials and benchmarks).
    Synth(synth::SynthArgs),
    /// Serve the platform's HTTP API (consent-gated score queries, portraits, receipts).
    Serve(serve_cmd::ServeArgs),
    /// Institutions, API keys and indicator snapshots of the platform.
    Admin(admin_cmd::AdminArgs),
    /// The model registry: publish, list, choose the champion.
    Model(model_cmd::ModelArgs),
    /// The whole platform on embedded defaults: generate, ingest, fit, publish, serve.
    Demo(demo_cmd::DemoArgs),
    /// Financing-need signals for every enterprise: cash-flow forecasts, projected shortfalls.
    Signals(signals_cmd::SignalsArgs),
    /// Financing matched for a portfolio: eligible products ranked, with limits, prices and reasons.
    Match(match_cmd::MatchArgs),
    /// Banks, guarantors and batch guarantee agreements run month by month over a portfolio.
    Simulate(simulate_cmd::SimulateArgs),
    /// Run a draft decision flow over recorded decisions: approvals gained and lost, by grade.
    Replay(replay_cmd::ReplayArgs),
    /// Stress-test a loan portfolio: loss distribution, VaR and expected shortfall, guarantors'
    /// compensation rates against their caps, the loans that drive the tail.
    Stress(stress_cmd::StressArgs),
    /// Portfolio monitoring: early warnings over a period, judged against the truth when given.
    Monitor(monitor_cmd::MonitorArgs),
}

/// Marks an error caused by the user's input or invocation: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = dispatch(cli.command);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if is_bad_input(&e) {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Fit(a) => fit_cmd::run(a),
        Command::Score(a) => score_cmd::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Export(a) => export_cmd::run(a),
        Command::Report(a) => report_cmd::run(a),
        Command::Ledger(a) => ledger_cmd::run(a),
        Command::Gen(a) => gen_cmd::run(a),
        Command::Ingest(a) => ingest_cmd::run(a),
        Command::Indicators(a) => indicators_cmd::run(a),
        Command::Quality(a) => quality_cmd::run(a),
        Command::Serve(a) => serve_cmd::run(a),
        Command::Admin(a) => admin_cmd::run(a),
        Command::Model(a) => model_cmd::run(a),
        Command::Demo(a) => demo_cmd::run(a),
        Command::Signals(a) => signals_cmd::run(a),
        Command::Match(a) => match_cmd::run(a),
        Command::Simulate(a) => simulate_cmd::run(a),
        Command::Replay(a) => replay_cmd::run(a),
        Command::Stress(a) => stress_cmd::run(a),
        Command::Monitor(a) => monitor_cmd::run(a),
    }
}

fn is_bad_input(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<BadInput>()
            || c.is::<xinrong_tabular::ReadError>()
            || c.is::<xinrong_scorecard::ScorecardError>()
            || c.is::<toml::de::Error>()
            || c.is::<serde_json::Error>()
    })
}
