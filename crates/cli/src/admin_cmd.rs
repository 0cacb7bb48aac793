//! `xinrong admin`: institutions, API keys and indicator snapshots. These commands change the
//! database only, so they may run beside a server. Each change of institutions or keys is
//! committed with its ledger entry waiting in an outbox: a running server appends it within
//! seconds; with no server running, the command appends it itself.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use xinrong_platform::Access;
use xinrong_platform::snapshots::Snapshots;

use crate::BadInput;
use crate::platform_args::{StoreArgs, actor, platform_error};
use crate::serve_cmd::runtime;

#[derive(Args)]
pub struct AdminArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Register an institution and issue its first API key (shown once).
    AddInstitution {
        /// Display name.
        #[arg(long)]
        name: String,
        /// operator, bank, guarantor, enterprise or regulator.
        #[arg(long)]
        kind: String,
        /// The enterprise's USCC (enterprises only).
        #[arg(long)]
        uscc: Option<String>,
    },
    /// List institutions.
    Institutions,
    /// Issue another API key for an institution (shown once).
    IssueKey {
        /// Institution id.
        institution: String,
    },
    /// Revoke an API key by its id (the part before the dot, after `xr_`).
    RevokeKey {
        /// Key id.
        key_id: String,
    },
    /// Load indicator snapshots (a file written by `xinrong indicators`) for online scoring.
    LoadIndicators {
        /// The indicator table (.parquet or .csv; `uscc` plus one column per indicator).
        file: PathBuf,
        /// The date the indicators are as of (YYYY-MM-DD).
        #[arg(long)]
        as_of: String,
    },
    /// Load need signals (a file written by `xinrong signals`) to serve at `GET /v1/signals`;
    /// a running server pushes projected shortfalls as offers to the institutions holding a
    /// live pre-loan or guarantee consent.
    LoadSignals {
        /// The signals file (CSV).
        file: PathBuf,
    },
    /// Load early warnings (the alerts.csv of `xinrong monitor warnings`) to serve at
    /// `GET /v1/alerts`: each opens an alert or updates the open one of its enterprise and
    /// signal; every change is a ledger entry.
    LoadAlerts {
        /// The alerts file (CSV).
        file: PathBuf,
    },
}

pub fn run(args: AdminArgs) -> Result<()> {
    runtime()?.block_on(async {
        let pool = args.store.pool().await?;
        let access = Access::new(pool.clone());
        match args.command {
            AdminCommand::AddInstitution { name, kind, uscc } => {
                let uscc = uscc
                    .map(|u| u.parse())
                    .transpose()
                    .map_err(|e| BadInput(format!("--uscc: {e}")))?;
                let inst = access
                    .add_institution(&name, kind.parse().map_err(platform_error)?, uscc, &actor())
                    .await
                    .map_err(platform_error)?;
                let key = access.issue_key(&inst.id, &actor()).await?;
                println!(
                    "institution {} ({}, {})",
                    inst.id,
                    inst.name,
                    inst.kind.as_str()
                );
                println!("api key (shown once): {}", key.token);
            }
            AdminCommand::Institutions => {
                let mut table = Table::new();
                table.load_preset(UTF8_FULL_CONDENSED);
                table.set_header(["id", "name 名称", "kind 类型", "uscc 统一社会信用代码"]);
                for i in access.institutions().await? {
                    table.add_row([
                        i.id,
                        i.name,
                        i.kind.as_str().to_string(),
                        i.uscc.map(|u| u.to_string()).unwrap_or_default(),
                    ]);
                }
                println!("{table}");
            }
            AdminCommand::IssueKey { institution } => {
                let key = access
                    .issue_key(&institution, &actor())
                    .await
                    .map_err(platform_error)?;
                println!("api key (shown once): {}", key.token);
            }
            AdminCommand::RevokeKey { key_id } => {
                access
                    .revoke_key(&key_id, &actor())
                    .await
                    .map_err(platform_error)?;
                println!("revoked {key_id} (a running server stops accepting it within 30 s)");
            }
            AdminCommand::LoadIndicators { file, as_of } => {
                let as_of = chrono::NaiveDate::parse_from_str(&as_of, "%Y-%m-%d")
                    .map_err(|_| BadInput(format!("--as-of {as_of:?}: expected YYYY-MM-DD")))?;
                let (snaps, rejected) = xinrong_platform::snapshots::read_snapshots(&file, as_of)
                    .map_err(platform_error)?;
                let n = Snapshots::open(pool.clone()).await?.load(&snaps).await?;
                println!("loaded {n} snapshots as of {as_of} from {}", file.display());
                if !rejected.is_empty() {
                    eprintln!("{} row(s) not loaded:", rejected.len());
                    for r in &rejected {
                        eprintln!("  {r}");
                    }
                }
            }
            AdminCommand::LoadAlerts { file } => {
                if !file.is_file() {
                    return Err(BadInput(format!("{}: no such file", file.display())).into());
                }
                let read = xinrong_platform::alerts::read_alerts(&file).map_err(platform_error)?;
                // A batch is loaded whole or not at all: alerts half-loaded would mislead.
                if !read.rejected.is_empty() {
                    let shown: Vec<&String> = read.rejected.iter().take(20).collect();
                    return Err(BadInput(format!(
                        "{} row(s) refused, nothing loaded:\n  {}{}",
                        read.rejected.len(),
                        shown.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("\n  "),
                        if read.rejected.len() > shown.len() { "\n  …" } else { "" }
                    ))
                    .into());
                }
                let done = xinrong_platform::alerts::load(&pool, &read.alerts, &actor())
                    .await
                    .map_err(platform_error)?;
                println!(
                    "{} alerts from {}: {} opened, {} updated (their signal fired again), {} with nothing new",
                    read.alerts.len(),
                    file.display(),
                    done.opened,
                    done.updated,
                    done.unchanged
                );
            }
            AdminCommand::LoadSignals { file } => {
                let read = xinrong_platform::signals::read_signals(&file).map_err(platform_error)?;
                let n = xinrong_platform::signals::load(&pool, &read.signals)
                    .await
                    .map_err(platform_error)?;
                let shortfalls = read.signals.iter().filter(|s| s.is_shortfall()).count();
                println!(
                    "loaded {n} signals ({shortfalls} projected shortfalls) from {}; {} enterprise(s) without the data to signal",
                    file.display(),
                    read.no_data
                );
                if !read.rejected.is_empty() {
                    eprintln!("{} row(s) not loaded:", read.rejected.len());
                    for r in &read.rejected {
                        eprintln!("  {r}");
                    }
                }
            }
        }
        log_admin_actions(&args.store, &pool).await
    })
}

/// Appends the admin actions waiting in the outbox to the ledger, unless a running server
/// holds it (the server appends them then).
async fn log_admin_actions(store: &StoreArgs, pool: &xinrong_platform::AnyPool) -> Result<()> {
    let (waiting,) = xinrong_platform::journal::waiting(pool).await?;
    if waiting == 0 {
        return Ok(());
    }
    match xinrong_platform::journal::open_ledger(pool, &store.dir.ledger()).await {
        Ok(ledger) => {
            let ledger = std::sync::Arc::new(ledger);
            xinrong_platform::journal::reconcile(pool, &ledger, ledger.size()).await?;
            let done = xinrong_platform::journal::drain(pool, &ledger).await?;
            for (action, receipt) in done {
                eprintln!(
                    "logged {action} in the ledger at leaf {}",
                    receipt.leaf_index
                );
            }
        }
        Err(xinrong_platform::PlatformError::Ledger(xinrong_ledger::LedgerError::Locked(_))) => {
            eprintln!("the running server appends this action to the ledger within seconds");
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
