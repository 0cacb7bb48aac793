//! Source data uploaded through the API for one enterprise: validated and desensitised by the
//! same ingest as `xinrong ingest` (bad rows quarantined, never dropped), and registered in
//! the ledger as a data asset of that enterprise.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use sqlx::AnyPool;
use xinrong_core::Uscc;
use xinrong_ledger::{Entry, Ledger, Receipt};
use xinrong_sources::{Desensitiser, IngestError, hmac_key, ingest_from, source};

use crate::error::PlatformError;
use crate::ids::{new_id, now_ms, rfc3339};

/// What an upload did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadReport {
    /// Platform id of the data asset.
    pub asset_id: String,
    /// The source the rows follow.
    pub source: String,
    /// `sha256:<hex>` of the uploaded bytes.
    pub content_hash: String,
    /// Bytes uploaded.
    pub bytes: u64,
    /// Rows read.
    pub rows: u64,
    /// Rows stored.
    pub accepted: u64,
    /// Rows quarantined (with file, line, field and reason in the quarantine file).
    pub quarantined: u64,
    /// Of those, duplicates of an earlier row.
    pub duplicates: u64,
    /// The same bytes had been ingested before; nothing new was stored.
    pub already_ingested: bool,
    /// Quarantine file, relative to the data directory, if any row was rejected.
    pub quarantine_file: Option<String>,
}

/// Ingests `body` (CSV, or JSON Lines when `jsonl`) as `source_name` for `enterprise`.
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    pool: &AnyPool,
    ledger: &Ledger,
    data_dir: &Path,
    uploader: &str,
    enterprise: &Uscc,
    source_name: &str,
    body: Vec<u8>,
    jsonl: bool,
) -> Result<(UploadReport, Receipt), PlatformError> {
    let src = source(source_name).ok_or_else(|| {
        PlatformError::invalid(
            "source",
            format!(
                "unknown source '{source_name}'; known: {}",
                xinrong_sources::SOURCES
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    if body.is_empty() {
        return Err(PlatformError::invalid("body", "the upload is empty"));
    }
    let asset_id = new_id("d");
    let digest = hex::encode(Sha256::digest(&body));
    let bytes = body.len() as u64;
    let uploads = data_dir.join("uploads");
    let file: PathBuf = uploads.join(format!(
        "{asset_id}-{source_name}.{}",
        if jsonl { "jsonl" } else { "csv" }
    ));
    let store = data_dir.join("store");
    let provider = uploader.to_string();
    let data_dir_owned = data_dir.to_path_buf();
    let path = file.clone();
    let report = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&uploads).map_err(|e| io(&uploads, e))?;
        std::fs::write(&path, &body).map_err(|e| io(&path, e))?;
        let key = hmac_key(&data_dir_owned)
            .map_err(|e| PlatformError::Unavailable(format!("desensitisation key: {e}")))?;
        let desensitiser = Desensitiser::new(&key);
        // A file the platform itself cannot read or write is its failure, not the caller's.
        ingest_from(src, &path, &store, &desensitiser, &provider).map_err(|e| match e {
            IngestError::Io { path, source } => io(&path, source),
            e @ IngestError::Parquet { .. } => PlatformError::Unavailable(e.to_string()),
            other => other.into(),
        })
    })
    .await
    .map_err(|e| PlatformError::Unavailable(format!("ingest task failed: {e}")))??;
    let created_ms = now_ms();
    let entry = Entry::DataAssetRegistered {
        enterprise: enterprise.clone(),
        dataset: format!("{asset_id}-{source_name}"),
        content_hash: format!("sha256:{digest}"),
        bytes,
        schema: source_name.to_string(),
        provider: uploader.to_string(),
        time: rfc3339(created_ms),
    };
    let receipt = ledger.submit(entry.to_canonical())?.receipt().await?;
    sqlx::query(
        "INSERT INTO data_assets (id, uscc, source, sha256, bytes, rows_read, accepted, quarantined, uploader, leaf, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&asset_id)
    .bind(enterprise.as_str())
    .bind(source_name)
    .bind(&digest)
    .bind(bytes as i64)
    .bind(report.rows as i64)
    .bind(report.accepted as i64)
    .bind(report.quarantined as i64)
    .bind(uploader)
    .bind(receipt.leaf_index as i64)
    .bind(created_ms)
    .execute(pool)
    .await?;
    Ok((
        UploadReport {
            asset_id,
            source: source_name.to_string(),
            content_hash: format!("sha256:{digest}"),
            bytes,
            rows: report.rows,
            accepted: report.accepted,
            quarantined: report.quarantined,
            duplicates: report.duplicates,
            already_ingested: report.already_ingested,
            quarantine_file: report
                .quarantine
                .map(|q| q.strip_prefix(data_dir).unwrap_or(&q).display().to_string()),
        },
        receipt,
    ))
}

fn io(path: &Path, source: std::io::Error) -> PlatformError {
    PlatformError::Io {
        path: path.display().to_string(),
        source,
    }
}
