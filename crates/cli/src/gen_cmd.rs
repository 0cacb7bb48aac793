//! `xinrong gen`: a realistic portfolio of tech SMEs, one CSV per source, with its truth.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};
use xinrong_sources::{GenConfig, SOURCES, generate};

use crate::BadInput;

#[derive(Args)]
pub struct GenArgs {
    /// Number of enterprises.
    #[arg(long, default_value_t = 1000)]
    pub(crate) enterprises: usize,
    /// Months of history.
    #[arg(long, default_value_t = 36)]
    pub(crate) months: u32,
    /// Random seed (the same seed writes the same files).
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// First month of history, YYYY-MM.
    #[arg(long, default_value = "2023-01")]
    pub(crate) start: String,
    /// Write clean data: no duplicates, bad codes, late files or out-of-range values.
    #[arg(long)]
    pub(crate) no_faults: bool,
    /// Output directory.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

pub fn run(args: GenArgs) -> Result<()> {
    if args.enterprises == 0 || args.months == 0 {
        return Err(BadInput("--enterprises and --months must be positive".into()).into());
    }
    let start = chrono::NaiveDate::parse_from_str(&format!("{}-01", args.start), "%Y-%m-%d")
        .map_err(|_| BadInput(format!("--start {:?}: expected YYYY-MM", args.start)))?;
    let config = GenConfig {
        enterprises: args.enterprises,
        months: args.months,
        seed: args.seed,
        start,
        faults: !args.no_faults,
    };
    let bar = ProgressBar::new(args.enterprises as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} firms ({elapsed})")?
            .progress_chars("=> "),
    );
    bar.set_message("generate");
    let started = Instant::now();
    let summary = generate(&config, &args.out, |done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec!["source", "来源", "rows", "file"]);
    let mut total = 0;
    for ((name, rows), source) in summary.rows.iter().zip(SOURCES) {
        total += rows;
        table.add_row(vec![
            name.to_string(),
            source.zh.to_string(),
            rows.to_string(),
            format!("{name}.csv"),
        ]);
    }
    println!("{table}");
    println!(
        "{} enterprises, {} months: {total} rows in {:.1} s; {} defaulted ({:.1}%); truth in truth.csv and truth_pd.csv",
        summary.enterprises,
        args.months,
        started.elapsed().as_secs_f64(),
        summary.defaults,
        100.0 * summary.defaults as f64 / summary.enterprises as f64
    );
    Ok(())
}
