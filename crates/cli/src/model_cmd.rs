//! `xinrong model`: the registry of published scorecards.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use xinrong_scorecard::Scorecard;

use crate::platform_args::{StoreArgs, actor, feature_groups, platform_error};
use crate::serve_cmd::runtime;

#[derive(Args)]
pub struct ModelArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: ModelCommand,
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Publish a fitted model (logged in the ledger); the first one becomes the champion.
    Publish {
        /// The model file written by `xinrong fit`.
        model: PathBuf,
        /// Version name (default: the file name without extension).
        #[arg(long)]
        name: Option<String>,
        /// Make it the champion that scoring uses by default.
        #[arg(long)]
        champion: bool,
    },
    /// List published models.
    List,
    /// Make a published version the champion.
    Champion {
        /// Version name.
        version: String,
    },
}

pub fn run(args: ModelArgs) -> Result<()> {
    runtime()?.block_on(async {
        let platform = args.store.open().await?;
        match args.command {
            ModelCommand::Publish {
                model,
                name,
                champion,
            } => {
                let text = std::fs::read_to_string(&model)
                    .with_context(|| format!("reading {}", model.display()))?;
                let card =
                    Scorecard::from_json(&text).with_context(|| format!("{}", model.display()))?;
                let version = name.unwrap_or_else(|| {
                    model
                        .file_stem()
                        .map(|s| s.to_string_lossy().replace(".model", ""))
                        .unwrap_or_else(|| "model".into())
                });
                let version =
                    xinrong_platform::Version::parse("--name", &version).map_err(platform_error)?;
                let (summary, receipt) = platform
                    .registry()
                    .publish(&text, &version, feature_groups(&card)?, &actor(), champion)
                    .await
                    .map_err(platform_error)?;
                platform.append_admin_actions().await?;
                println!(
                    "published {} (sha256 {}…, {} characteristics, AUC {:.4}){}; ledger leaf {}",
                    summary.version,
                    &summary.sha256[..12],
                    summary.features,
                    summary.auc,
                    if summary.champion { ", champion" } else { "" },
                    receipt.leaf_index
                );
            }
            ModelCommand::List => print_models(&platform),
            ModelCommand::Champion { version } => {
                platform
                    .registry()
                    .set_champion(&version, &actor())
                    .await
                    .map_err(platform_error)?;
                platform.append_admin_actions().await?;
                print_models(&platform);
            }
        }
        platform.close().await;
        Ok(())
    })
}

fn print_models(platform: &xinrong_platform::Platform) {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "version 版本",
        "champion 冠军",
        "features 特征",
        "AUC",
        "published 发布",
        "sha256",
    ]);
    for m in platform.registry().list() {
        table.add_row([
            m.version,
            if m.champion { "yes" } else { "" }.to_string(),
            m.features.to_string(),
            format!("{:.4}", m.auc),
            m.published,
            m.sha256[..16].to_string(),
        ]);
    }
    println!("{table}");
}
