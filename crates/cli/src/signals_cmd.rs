//! `xinrong signals`: financing-need signals for every enterprise, as of one or more
//! month-ends: one row per enterprise and date with the severity, amount, window, kind and the
//! evidence, and optionally the cash-flow forecasts behind them.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Datelike, Months, NaiveDate};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use xinrong_indicators::{MonthlySeries, monthly_series};
use xinrong_signals::{HORIZON, Method, NeedSignal, Series, need_signal};

use crate::BadInput;
use crate::ledger_cmd::DataDir;

#[derive(Args)]
pub struct SignalsArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// Month-end to signal as of (YYYY-MM-DD, or YYYY-MM for its last day).
    #[arg(long, required = true)]
    pub(crate) as_of: String,
    /// Also every month-end after --as-of up to this one (a monthly batch).
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Months of history to forecast from.
    #[arg(long, default_value_t = 36)]
    pub(crate) months: u32,
    /// `mstl` (MSTL with exponential smoothing) or `naive` (seasonal naive, the baseline).
    #[arg(long, default_value = "mstl")]
    pub(crate) method: String,
    /// Where to write the signals (CSV; one row per enterprise and month-end).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Also write each enterprise's forecast inflows and outflows (CSV), to measure them.
    #[arg(long)]
    pub(crate) forecasts_out: Option<PathBuf>,
}

/// The last day of the month `text` names (`YYYY-MM` or a date in it).
pub(crate) fn month_end(text: &str, flag: &str) -> Result<NaiveDate> {
    let first = if text.len() == 7 {
        NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
    } else {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.with_day(1).expect("day 1"))
    }
    .map_err(|_| BadInput(format!("{flag} {text:?}: expected YYYY-MM or YYYY-MM-DD")))?;
    Ok(first + Months::new(1) - chrono::Days::new(1))
}

/// Every month-end from `first` to `last` (both month-ends).
pub(crate) fn month_ends(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    let mut dates = vec![first];
    loop {
        let next = (*dates.last().expect("one date") + chrono::Days::new(1) + Months::new(1))
            - chrono::Days::new(1);
        if next > last {
            return dates;
        }
        dates.push(next);
    }
}

pub fn run(args: SignalsArgs) -> Result<()> {
    let method = match args.method.as_str() {
        "mstl" => Method::Mstl,
        "naive" => Method::SeasonalNaive,
        other => return Err(BadInput(format!("--method {other:?}: mstl or naive")).into()),
    };
    let first = month_end(&args.as_of, "--as-of")?;
    let last = match &args.to {
        Some(t) => month_end(t, "--to")?,
        None => first,
    };
    if last < first {
        return Err(BadInput("--to is before --as-of".into()).into());
    }
    let dates = month_ends(first, last);
    let store = args.dir.data_dir.join("store");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut out =
        csv::Writer::from_path(&args.out).with_context(|| format!("{}", args.out.display()))?;
    out.write_record(xinrong_platform::signals::COLUMNS)?;
    let mut forecasts = match &args.forecasts_out {
        Some(p) => {
            let mut w = csv::Writer::from_path(p).with_context(|| format!("{}", p.display()))?;
            w.write_record(["uscc", "as_of", "series", "ahead", "forecast"])?;
            Some(w)
        }
        None => None,
    };
    let bar = ProgressBar::new(dates.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} month-ends ({elapsed})")?
            .progress_chars("=> "),
    );
    bar.set_message("signals");
    let started = Instant::now();
    let (mut rows, mut raised) = (0u64, 0u64);
    for as_of in &dates {
        let series = runtime
            .block_on(monthly_series(&store, *as_of, args.months))
            .map_err(|e| BadInput(e.to_string()))?;
        let month = as_of.with_day(1).expect("day 1");
        let signals = signal_all(&series, month, method);
        for (firm, signal) in series.firms.iter().zip(&signals) {
            rows += 1;
            let Some(s) = signal else {
                let mut row = vec![String::new(); xinrong_platform::signals::COLUMNS.len()];
                row[0] = firm.uscc.to_string();
                row[1] = as_of.to_string();
                row[2] = "no_data".into();
                out.write_record(&row)?;
                continue;
            };
            raised += u64::from(s.is_shortfall());
            write_signal(&mut out, &firm.uscc, *as_of, s)?;
            if let Some(w) = &mut forecasts {
                for (name, values) in [
                    ("inflow", &s.evidence.inflow),
                    ("outflow", &s.evidence.outflow),
                ] {
                    for (k, v) in values.iter().enumerate() {
                        w.write_record([
                            firm.uscc.as_str(),
                            &as_of.to_string(),
                            name,
                            &(k + 1).to_string(),
                            &format!("{v:.2}"),
                        ])?;
                    }
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    out.flush()?;
    if let Some(w) = &mut forecasts {
        w.flush()?;
    }
    println!(
        "{rows} enterprise-months signalled in {:.1} s: {raised} projected shortfalls within {HORIZON} months → {}",
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

/// Every firm's signal as of `month` (the first day of the as-of month), on all cores.
pub fn signal_all(
    series: &MonthlySeries,
    month: NaiveDate,
    method: Method,
) -> Vec<Option<NeedSignal>> {
    series
        .firms
        .par_iter()
        .map(|f| {
            need_signal(
                &Series {
                    inflow: &f.inflow,
                    outflow: &f.outflow,
                    balance: &f.balance,
                    largest_out: &f.largest_out,
                    largest_in: &f.largest_in,
                    orders_won: &f.orders_won,
                    largest_order: &f.largest_order,
                    equipment_ordered: &f.equipment_ordered,
                    purchases: &f.purchases,
                    sales: &f.sales,
                    rnd: &f.rnd,
                },
                month,
                method,
            )
        })
        .collect()
}

fn write_signal<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    uscc: &str,
    as_of: NaiveDate,
    s: &NeedSignal,
) -> Result<()> {
    let e = &s.evidence;
    let p = |k: usize| {
        e.projected
            .get(k)
            .map(|v| format!("{v:.0}"))
            .unwrap_or_default()
    };
    out.write_record([
        uscc.to_string(),
        as_of.to_string(),
        if s.is_shortfall() {
            "shortfall"
        } else {
            "none"
        }
        .to_string(),
        serde_plain(&s.kind),
        s.kind.purpose().to_string(),
        format!("{:.4}", s.severity),
        s.amount.to_string(),
        s.from
            .map(|d| d.format("%Y-%m").to_string())
            .unwrap_or_default(),
        s.to.format("%Y-%m").to_string(),
        format!("{:.0}", e.balance),
        format!("{:.0}", e.buffer),
        p(0),
        p(1),
        p(2),
        e.sources.join("+"),
    ])?;
    Ok(())
}

fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
