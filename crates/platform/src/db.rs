//! Connecting to the store: SQLite (a file in the data directory, the default) or PostgreSQL
//! (a `postgres://` URL), through sqlx's `Any` driver so that every query is written once.
//! Queries use `$1`-style placeholders, which both drivers accept.

use std::path::Path;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::Executor as _;
use sqlx::any::AnyPoolOptions;

use crate::error::PlatformError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend of `url`, or an error naming the schemes understood.
    pub fn of(url: &str) -> Result<Backend, PlatformError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(PlatformError::invalid(
                "--db",
                format!("'{url}' is neither sqlite:PATH nor postgres://…"),
            ))
        }
    }
}

/// The default store: `platform.db` in the data directory.
pub fn default_url(data_dir: &Path) -> String {
    let path = std::path::absolute(data_dir.join("platform.db"))
        .unwrap_or_else(|_| data_dir.join("platform.db"));
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Opens a pool and brings the schema up to date. SQLite runs in WAL mode with
/// `synchronous=FULL`, so a committed transaction survives a crash or power loss.
pub async fn connect(url: &str) -> Result<AnyPool, PlatformError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of(url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 12,
        })
        // Every SQLite connection opened at start: one opened under load waits on the
        // writers' locks to set its pragmas (the first second of load after a restart
        // stalled on it).
        .min_connections(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 1,
        })
        .acquire_timeout(Duration::from_secs(10))
        // A connection to a local file cannot drop: no ping before each use (a round trip to
        // the connection's worker thread). A server's connection can, so it is pinged.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await?;
    MIGRATOR.run(&pool).await?;
    if backend == Backend::Sqlite {
        // A write-ahead log left long by a crash or a busy run is folded into the database
        // now, before any request waits behind the first automatic checkpoint (that stalled
        // the first second of load after a restart: bench/RESULTS.md).
        pool.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    Ok(pool)
}
