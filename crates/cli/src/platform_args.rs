//! Where the platform's state lives, shared by `serve`, `admin`, `model` and `demo`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;
use xinrong_platform::{FeatureGroups, Platform, Snapshot};
use xinrong_scorecard::Scorecard;
use xinrong_tabular::{ColumnData, ReadOptions, read_table};

use crate::BadInput;
use crate::ledger_cmd::DataDir;

/// The data directory and database.
#[derive(Args, Clone)]
pub struct StoreArgs {
    #[command(flatten)]
    pub dir: DataDir,
    /// Database URL: sqlite:PATH or postgres://… (default: SQLite file platform.db in the
    /// data directory).
    #[arg(long, env = "XINRONG_DB_URL")]
    pub db: Option<String>,
}

impl StoreArgs {
    /// The database URL to use.
    pub fn url(&self) -> String {
        self.db
            .clone()
            .unwrap_or_else(|| xinrong_platform::db::default_url(&self.dir.data_dir))
    }

    /// Opens the platform (database, ledger) in this process.
    pub async fn open(&self) -> Result<std::sync::Arc<Platform>> {
        Platform::open(&self.dir.data_dir, &self.url())
            .await
            .with_context(|| {
                format!(
                    "opening the platform in {} (a running `xinrong serve` holds the ledger: \
                     stop it, or use the API)",
                    self.dir.data_dir.display()
                )
            })
    }

    /// Just the database pool, for commands that do not touch the ledger and so may run
    /// beside a server.
    pub async fn pool(&self) -> Result<xinrong_platform::AnyPool> {
        Ok(xinrong_platform::db::connect(&self.url()).await?)
    }
}

/// Dimension and view of each model feature the indicator catalogue knows (the registry puts
/// the others under `other`).
pub fn feature_groups(model: &Scorecard) -> Result<BTreeMap<String, FeatureGroups>> {
    let catalogue = xinrong_indicators::Catalogue::builtin()?;
    Ok(model
        .features
        .iter()
        .filter_map(|f| {
            let i = catalogue.indicators.iter().find(|i| i.id == f.name)?;
            let groups = FeatureGroups {
                dimension: i.dimension.clone(),
                view: i.view.clone(),
            };
            Some((f.name.clone(), groups))
        })
        .collect())
}

/// Snapshots from an indicator table (`uscc` and one numeric column per indicator, as
/// `xinrong indicators` writes), with every row whose USCC is invalid listed.
pub fn snapshots_from_file(
    path: &Path,
    as_of: chrono::NaiveDate,
) -> Result<(Vec<Snapshot>, Vec<String>)> {
    let table = read_table(
        path,
        &ReadOptions {
            text_columns: vec!["uscc".into()],
            required: vec!["uscc".into()],
            ..ReadOptions::default()
        },
    )?;
    let ids = match &table.column("uscc").expect("required above").data {
        ColumnData::Text { codes, levels } => codes
            .iter()
            .map(|&c| levels.get(c as usize).cloned().unwrap_or_default())
            .collect::<Vec<_>>(),
        ColumnData::Numeric(_) => unreachable!("declared a text column"),
    };
    let numeric: Vec<(&str, &Vec<f64>)> = table
        .columns
        .iter()
        .filter(|c| c.name != "uscc" && c.name != "bad")
        .filter_map(|c| match &c.data {
            ColumnData::Numeric(v) => Some((c.name.as_str(), v)),
            ColumnData::Text { .. } => None,
        })
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    let mut rejected = Vec::new();
    for (row, id) in ids.iter().enumerate() {
        match id.parse() {
            Ok(enterprise) => out.push(Snapshot {
                enterprise,
                as_of,
                values: numeric
                    .iter()
                    .map(|(n, v)| (n.to_string(), Some(v[row]).filter(|x| x.is_finite())))
                    .collect(),
            }),
            Err(e) => rejected.push(format!(
                "{}: line {}: uscc {id:?}: {e}",
                path.display(),
                row + 2
            )),
        }
    }
    if out.is_empty() {
        return Err(BadInput(format!("{}: no row with a valid USCC", path.display())).into());
    }
    Ok((out, rejected))
}

/// A platform error as the command reports it: caused by the arguments (a bad field, an
/// unknown id, a conflict, an unreadable model) it exits with status 2, otherwise with 1.
pub fn platform_error(e: xinrong_platform::PlatformError) -> anyhow::Error {
    use xinrong_platform::PlatformError as P;
    match e {
        P::Invalid { .. } | P::NotFound(_) | P::Conflict(_) | P::Model(_) => {
            BadInput(e.to_string()).into()
        }
        other => other.into(),
    }
}
