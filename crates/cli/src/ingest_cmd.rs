//! `xinrong ingest`: validate source files into the governed store, quarantining bad rows.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use xinrong_sources::{
    Desensitiser, Ingest, IngestError, SOURCES, UnknownFields, hmac_key, ingest_with, source,
};

use crate::BadInput;
use crate::ledger_cmd::DataDir;

#[derive(Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// Source of the file(s): one of registry, bank_txn, tax, invoice, utility,
    /// social_insurance, ip, rnd, judicial, loan, orders, telemetry.
    #[arg(long, required_unless_present = "all")]
    pub(crate) source: Option<String>,
    /// Files to ingest (CSV in UTF-8 or GBK, or JSON Lines as .jsonl).
    pub(crate) paths: Vec<PathBuf>,
    /// Who provided the data (its quality is tracked per provider).
    #[arg(long, default_value = "unspecified")]
    pub(crate) provider: String,
    /// Ingest every `<source>.csv` found in this directory (as `xinrong gen` writes them).
    #[arg(long, conflicts_with = "source")]
    pub(crate) all: Option<PathBuf>,
    /// The file(s) are about this one enterprise (USCC): rows about any other are quarantined.
    #[arg(long)]
    pub(crate) enterprise: Option<String>,
    /// Values in columns (or JSON keys) the source does not have: `report` keeps the row and
    /// lists the columns; `quarantine` sets such rows aside.
    #[arg(long, default_value = "report")]
    pub(crate) unknown_fields: UnknownFields,
}

pub fn run(args: IngestArgs) -> Result<()> {
    let mut jobs = Vec::new();
    if let Some(dir) = &args.all {
        for s in SOURCES {
            let path = dir.join(format!("{}.csv", s.name));
            if path.is_file() {
                jobs.push((s, path));
            }
        }
        if jobs.is_empty() {
            return Err(BadInput(format!("{}: no <source>.csv files found", dir.display())).into());
        }
    } else {
        let name = args.source.as_deref().unwrap_or_default();
        let s = source(name).ok_or_else(|| {
            BadInput(format!(
                "unknown source {name:?}; known: {}",
                SOURCES
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if args.paths.is_empty() {
            return Err(BadInput("give at least one file to ingest".into()).into());
        }
        jobs.extend(args.paths.iter().map(|p| (s, p.clone())));
    }
    let enterprise = args
        .enterprise
        .as_deref()
        .map(|u| {
            u.parse::<xinrong_core::Uscc>()
                .map_err(|e| BadInput(format!("--enterprise {u:?}: {e}")))
        })
        .transpose()?;
    let desensitiser = Desensitiser::new(&hmac_key(&args.dir.data_dir)?);
    let store = args.dir.data_dir.join("store");
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "source",
        "file",
        "rows",
        "stored",
        "quarantined",
        "duplicates",
        "rows/s",
    ]);
    let mut quarantined = Vec::new();
    let mut unknown = Vec::new();
    for (s, path) in jobs {
        let started = Instant::now();
        let job = Ingest {
            provider: &args.provider,
            enterprise: enterprise.as_ref().map(|u| u.as_str()),
            unknown: args.unknown_fields,
            ..Ingest::file(s, &path)
        };
        let report = ingest_with(&job, &store, &desensitiser).map_err(|e| match e {
            IngestError::Io { .. } | IngestError::Parquet { .. } | IngestError::Store { .. } => {
                anyhow::Error::new(e)
            }
            other => BadInput(other.to_string()).into(),
        })?;
        let rate = report.rows as f64 / started.elapsed().as_secs_f64();
        if report.already_ingested {
            table.add_row(vec![
                s.name.to_string(),
                path.display().to_string(),
                "already ingested".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
            continue;
        }
        table.add_row(vec![
            s.name.to_string(),
            path.display().to_string(),
            report.rows.to_string(),
            report.accepted.to_string(),
            report.quarantined.to_string(),
            report.duplicates.to_string(),
            format!("{rate:.0}"),
        ]);
        if let Some(q) = report.quarantine {
            quarantined.push(q);
        }
        if !report.unknown_fields.is_empty() {
            unknown.push(format!(
                "{}: column(s) {} are not fields of source {} ({} row(s) held values there; \
                 --unknown-fields quarantine sets such rows aside)",
                path.display(),
                report.unknown_fields.join(", "),
                s.name,
                report.rows_with_unknown
            ));
        }
    }
    println!("{table}");
    for u in unknown {
        eprintln!("warning: {u}");
    }
    for q in quarantined {
        println!(
            "quarantined rows, with file, line, field and reason: {}",
            q.display()
        );
    }
    Ok(())
}
