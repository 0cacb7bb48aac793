//! The store's metadata in an embedded database: `<store>/catalog.db` (SQLite, WAL,
//! `synchronous=FULL`) records every ingested file, so that re-ingesting is idempotent and
//! quality can be assessed per source and provider. The data itself stays in Parquet.
//!
//! A store written by an earlier version kept this in `manifest.jsonl`; its lines are
//! imported on first open, once, and the file is renamed `manifest.jsonl.imported`.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use crate::ingest::{IngestError, ManifestEntry};

const FILE: &str = "catalog.db";
const LEGACY: &str = "manifest.jsonl";

/// The columns of the catalogue's one table.
macro_rules! ingests_table {
    ($create:literal) => {
        concat!(
            $create,
            " ingests (
    seq             INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    provider        TEXT NOT NULL,
    file            TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    scope           TEXT NOT NULL DEFAULT '',
    rows_read       INTEGER NOT NULL,
    accepted        INTEGER NOT NULL,
    quarantined     INTEGER NOT NULL,
    duplicates      INTEGER NOT NULL,
    unknown_fields  TEXT NOT NULL DEFAULT '',
    part            TEXT,
    time            TEXT NOT NULL,
    UNIQUE (source, sha256, scope)
);"
        )
    };
}

const SCHEMA: &str = ingests_table!("CREATE TABLE IF NOT EXISTS");

/// A catalogue of an earlier version keyed files by source and hash alone: it is rebuilt with
/// the scope (the enterprise of an upload) and the unknown fields, keeping every record.
const UPGRADE: &str = concat!(
    "BEGIN IMMEDIATE; ALTER TABLE ingests RENAME TO ingests_v1; ",
    ingests_table!("CREATE TABLE"),
    " INSERT INTO ingests (seq, source, provider, file, sha256, rows_read, accepted, quarantined, duplicates, part, time) \
      SELECT seq, source, provider, file, sha256, rows_read, accepted, quarantined, duplicates, part, time FROM ingests_v1; \
      DROP TABLE ingests_v1; COMMIT;"
);

const SELECT: &str = "SELECT source, provider, file, sha256, rows_read, accepted, quarantined, \
                      duplicates, part, time, scope, unknown_fields FROM ingests";

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<ManifestEntry> {
    Ok(ManifestEntry {
        source: r.get(0)?,
        provider: r.get(1)?,
        file: r.get(2)?,
        sha256: r.get(3)?,
        rows: r.get::<_, i64>(4)? as u64,
        accepted: r.get::<_, i64>(5)? as u64,
        quarantined: r.get::<_, i64>(6)? as u64,
        duplicates: r.get::<_, i64>(7)? as u64,
        part: r.get(8)?,
        time: r.get(9)?,
        scope: r.get(10)?,
        unknown_fields: r.get(11)?,
    })
}

/// The open catalogue of a store.
pub struct Catalog {
    conn: Connection,
    path: PathBuf,
}

impl Catalog {
    /// Opens (creating) the catalogue of `store`.
    pub fn open(store: &Path) -> Result<Catalog, IngestError> {
        std::fs::create_dir_all(store).map_err(|source| IngestError::Io {
            path: store.to_path_buf(),
            source,
        })?;
        let path = store.join(FILE);
        let fail = |e: rusqlite::Error| IngestError::Store {
            path: path.clone(),
            reason: e.to_string(),
        };
        let conn = Connection::open(&path).map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        conn.execute_batch(SCHEMA).map_err(fail)?;
        let scoped: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info('ingests') WHERE name = 'scope')",
                [],
                |r| r.get(0),
            )
            .map_err(fail)?;
        if !scoped {
            conn.execute_batch(UPGRADE).map_err(fail)?;
        }
        let catalog = Catalog { conn, path };
        catalog.import_legacy(store)?;
        Ok(catalog)
    }

    fn fail(&self, e: rusqlite::Error) -> IngestError {
        IngestError::Store {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    /// Records an ingested file (after its data is durable). Recording the same file of the
    /// same source twice keeps the first record.
    pub fn record(&self, m: &ManifestEntry) -> Result<(), IngestError> {
        self.conn
            .execute(
                "INSERT INTO ingests (source, provider, file, sha256, rows_read, accepted, \
                 quarantined, duplicates, part, time, scope, unknown_fields) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                 ON CONFLICT (source, sha256, scope) DO NOTHING",
                params![
                    m.source,
                    m.provider,
                    m.file,
                    m.sha256,
                    m.rows as i64,
                    m.accepted as i64,
                    m.quarantined as i64,
                    m.duplicates as i64,
                    m.part,
                    m.time,
                    m.scope,
                    m.unknown_fields
                ],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// The record of this file ingested as this source (for this enterprise, when `scope`
    /// names one), if it was.
    pub fn find(
        &self,
        source: &str,
        sha256: &str,
        scope: &str,
    ) -> Result<Option<ManifestEntry>, IngestError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{SELECT} WHERE source = ?1 AND sha256 = ?2 AND scope = ?3"
            ))
            .map_err(|e| self.fail(e))?;
        let mut rows = stmt
            .query_map(params![source, sha256, scope], entry)
            .map_err(|e| self.fail(e))?;
        rows.next().transpose().map_err(|e| self.fail(e))
    }

    /// Every ingested file, in the order ingested.
    pub fn entries(&self) -> Result<Vec<ManifestEntry>, IngestError> {
        let mut stmt = self
            .conn
            .prepare(&format!("{SELECT} ORDER BY seq"))
            .map_err(|e| self.fail(e))?;
        let rows = stmt.query_map([], entry).map_err(|e| self.fail(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.fail(e))
    }

    /// Moves the lines of a legacy `manifest.jsonl` into the catalogue, in one transaction,
    /// then renames the file so it is imported once.
    fn import_legacy(&self, store: &Path) -> Result<(), IngestError> {
        let legacy = store.join(LEGACY);
        let text = match std::fs::read_to_string(&legacy) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(IngestError::Io {
                    path: legacy,
                    source,
                });
            }
        };
        let entries: Vec<ManifestEntry> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| IngestError::Unreadable {
                    file: legacy.display().to_string(),
                    reason: format!("line {}: {e}", i + 1),
                })
            })
            .collect::<Result<_, _>>()?;
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.fail(e))?;
        for m in &entries {
            if let Err(e) = self.record(m) {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| self.fail(e))?;
        let done = store.join(format!("{LEGACY}.imported"));
        std::fs::rename(&legacy, &done).map_err(|source| IngestError::Io { path: done, source })
    }
}
