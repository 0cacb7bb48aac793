//! Where the platform's state lives, shared by `serve`, `admin`, `model` and `demo`.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;
use xinrong_platform::{FeatureGroups, Platform};
use xinrong_scorecard::Scorecard;

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

    /// Opens the platform (database, ledger) in this process. The error says what failed:
    /// a ledger held by a running server, a damaged ledger, or a store that cannot be opened.
    pub async fn open(&self) -> Result<std::sync::Arc<Platform>> {
        use xinrong_ledger::LedgerError;
        use xinrong_platform::PlatformError as P;
        let dir = self.dir.data_dir.display();
        Platform::open(&self.dir.data_dir, &self.url())
            .await
            .map_err(|e| match e {
                P::Ledger(LedgerError::Locked(_)) => anyhow::anyhow!(
                    "{dir}: a running `xinrong serve` holds the ledger: stop it, or use the API"
                ),
                P::Ledger(e @ (LedgerError::Corrupt { .. } | LedgerError::Checkpoint { .. })) => {
                    anyhow::anyhow!(
                        "{dir}: the ledger is damaged ({e}); `xinrong ledger audit` finds the first bad entry"
                    )
                }
                P::Db(e) => anyhow::anyhow!("the database at {} cannot be used: {e}", self.url_shown()),
                P::Migrate(e) => anyhow::anyhow!(
                    "the database at {} cannot be brought up to date: {e}",
                    self.url_shown()
                ),
                other => anyhow::Error::new(other).context(format!("opening the platform in {dir}")),
            })
    }

    /// The database URL without a password, for messages.
    fn url_shown(&self) -> String {
        let url = self.url();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let creds = &url[scheme + 3..at];
                match creds.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                    None => url,
                }
            }
            _ => url,
        }
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

/// Who an admin action from this command line is logged as: `cli:<user>`.
pub fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
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
