//! Source data uploaded through the API for one enterprise: validated and desensitised by the
//! same ingest as `xinrong ingest` (bad rows quarantined, never dropped; rows about another
//! enterprise quarantined too), and registered in the ledger as a data asset of that
//! enterprise.
//!
//! The raw upload holds personal data in clear, so it lives only while it is ingested: it is
//! spooled to a file readable by the server's user alone, under `<data-dir>/uploads/`, and
//! deleted as soon as the ingest ends, whatever its outcome (spool files a crash left behind
//! are deleted at the next start). The same bytes uploaded again for the same enterprise and
//! source are recognised by their hash and answered with the first registration.

use std::io::Write as _;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use sqlx::AnyPool;
use xinrong_core::Uscc;
use xinrong_ledger::{Entry, Ledger, Receipt};
use xinrong_sources::{
    Desensitiser, Format, Ingest, IngestError, UnknownFields, hmac_key, ingest_with, source,
};

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
    /// Rows quarantined (with upload, line, field and reason in the quarantine file).
    pub quarantined: u64,
    /// Of those, duplicates of an earlier row.
    pub duplicates: u64,
    /// Of those, rows about another enterprise than the one uploaded for.
    pub other_enterprise: u64,
    /// Columns (or JSON keys) the source does not have (at most 50 listed).
    pub unknown_fields: Vec<String>,
    /// Rows that held values in such fields (kept, or quarantined when asked).
    pub rows_with_unknown: u64,
    /// The same bytes had been uploaded for this enterprise and source before: this is that
    /// asset, and nothing new was stored or registered.
    pub already_ingested: bool,
    /// Quarantine file, relative to the data directory, if any row was rejected.
    pub quarantine_file: Option<String>,
    /// The enterprise's indicators and score recomputed with the new rows (when the server
    /// rescores after uploads and rows were stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescored: Option<crate::rescoring::Rescored>,
    /// Why the enterprise was not rescored although rows were stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescore_error: Option<String>,
}

/// One upload.
pub(crate) struct Upload<'a> {
    pub uploader: &'a str,
    pub enterprise: &'a Uscc,
    pub source: &'a str,
    pub body: Vec<u8>,
    pub format: Format,
    pub unknown: UnknownFields,
}

/// Where uploads are spooled while they are ingested.
fn spool_dir(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("uploads")
}

/// Deletes spool files left by a process that stopped mid-upload.
pub(crate) fn clear_spool(data_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(spool_dir(data_dir)) else {
        return;
    };
    for entry in entries.flatten() {
        if let Err(e) = std::fs::remove_file(entry.path()) {
            tracing::warn!(error = %e, "could not delete a leftover upload spool file");
        }
    }
}

type AssetRow = (String, i64, i64, i64, i64, i64, i64);

/// Ingests an upload and registers it, or finds its earlier registration. The flag says
/// whether it was new.
pub(crate) async fn upload(
    pool: &AnyPool,
    ledger: &Ledger,
    data_dir: &Path,
    up: Upload<'_>,
) -> Result<(UploadReport, Receipt, bool), PlatformError> {
    let src = source(up.source).ok_or_else(|| {
        PlatformError::invalid(
            "source",
            format!(
                "unknown source {}; known: {}",
                crate::fields::shown(up.source),
                xinrong_sources::SOURCES
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    if up.body.is_empty() {
        return Err(PlatformError::invalid("body", "the upload is empty"));
    }
    // The receipt's hash is in the ledger's own suite (SHA-256 or SM3), so `ledger verify
    // --file` checks it; the SHA-256 hex finds identical re-uploads.
    let digest = hex::encode(Sha256::digest(&up.body));
    let content_hash = xinrong_ledger::content_hash(ledger.config().suite, &up.body);
    let earlier: Option<AssetRow> = sqlx::query_as(
        "SELECT id, bytes, rows_read, accepted, quarantined, leaf, created_ms FROM data_assets \
         WHERE uscc = $1 AND source = $2 AND sha256 = $3 ORDER BY created_ms LIMIT 1",
    )
    .bind(up.enterprise.as_str())
    .bind(src.name)
    .bind(&digest)
    .fetch_optional(pool)
    .await?;
    if let Some((asset_id, bytes, rows, accepted, quarantined, leaf, _)) = earlier {
        let receipt = ledger.receipt(leaf as u64)?;
        let report = UploadReport {
            asset_id,
            source: src.name.to_string(),
            content_hash,
            bytes: bytes as u64,
            rows: rows as u64,
            accepted: accepted as u64,
            quarantined: quarantined as u64,
            duplicates: 0,
            other_enterprise: 0,
            unknown_fields: Vec::new(),
            rows_with_unknown: 0,
            already_ingested: true,
            quarantine_file: None,
            rescored: None,
            rescore_error: None,
        };
        return Ok((report, receipt, false));
    }
    let asset_id = new_id("d");
    let bytes = up.body.len() as u64;
    let kind = match up.format {
        Format::Csv => "CSV",
        Format::JsonLines => "JSON Lines",
        Format::Parquet => "Parquet",
    };
    let name = format!("upload {asset_id} ({} {kind})", src.name);
    let spool = spool_dir(data_dir);
    let store = data_dir.join("store");
    let (enterprise, provider, format, unknown) = (
        up.enterprise.as_str().to_string(),
        up.uploader.to_string(),
        up.format,
        up.unknown,
    );
    let shown_name = name.clone();
    let data_dir_owned = data_dir.to_path_buf();
    let body = up.body;
    let ingested = tokio::task::spawn_blocking(move || {
        let mut file = spool_file(&spool)?;
        file.write_all(&body)
            .and_then(|()| file.flush())
            .map_err(|e| io(file.path(), e))?;
        drop(body);
        let key = hmac_key(&data_dir_owned)
            .map_err(|e| PlatformError::Unavailable(format!("desensitisation key: {e}")))?;
        let desensitiser = Desensitiser::new(&key);
        let job = Ingest {
            source: src,
            input: file.path(),
            format,
            name: shown_name,
            provider: &provider,
            enterprise: Some(&enterprise),
            unknown,
        };
        // A file the platform itself cannot read or write is its failure, not the caller's.
        // Its paths go to the operator's log, never to the caller.
        ingest_with(&job, &store, &desensitiser).map_err(|e| match e {
            IngestError::Io { path, source } => io(&path, source),
            e @ (IngestError::Parquet { .. } | IngestError::Store { .. }) => {
                tracing::error!(error = %e, "the store could not take an upload");
                PlatformError::Unavailable("the data store could not take the upload".into())
            }
            other => other.into(),
        })
    })
    .await
    .map_err(|e| PlatformError::Unavailable(format!("ingest task failed: {e}")))??;
    let created_ms = now_ms();
    let entry = Entry::DataAssetRegistered {
        enterprise: up.enterprise.clone(),
        dataset: format!("{asset_id}-{}", src.name),
        content_hash: content_hash.clone(),
        bytes,
        schema: src.name.to_string(),
        provider: up.uploader.to_string(),
        time: rfc3339(created_ms),
    };
    let receipt = ledger.submit(entry.to_canonical())?.receipt().await?;
    let quarantine_file = ingested.quarantine.as_deref().map(|q| {
        q.strip_prefix(data_dir)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| {
                q.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
    });
    sqlx::query(
        "INSERT INTO data_assets (id, uscc, source, sha256, bytes, rows_read, accepted, quarantined, uploader, leaf, created_ms, quarantine_file) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&asset_id)
    .bind(up.enterprise.as_str())
    .bind(src.name)
    .bind(&digest)
    .bind(bytes as i64)
    .bind(ingested.rows as i64)
    .bind(ingested.accepted as i64)
    .bind(ingested.quarantined as i64)
    .bind(up.uploader)
    .bind(receipt.leaf_index as i64)
    .bind(created_ms)
    .bind(quarantine_file.as_deref())
    .execute(pool)
    .await?;
    let report = UploadReport {
        asset_id,
        source: src.name.to_string(),
        content_hash,
        bytes,
        rows: ingested.rows,
        accepted: ingested.accepted,
        quarantined: ingested.quarantined,
        duplicates: ingested.duplicates,
        other_enterprise: ingested.other_enterprise,
        unknown_fields: ingested.unknown_fields,
        rows_with_unknown: ingested.rows_with_unknown,
        already_ingested: ingested.already_ingested,
        quarantine_file,
        rescored: None,
        rescore_error: None,
    };
    Ok((report, receipt, true))
}

/// A spool file for an upload: readable by the server's user only, and deleted when dropped
/// (after the ingest, on success or failure alike).
fn spool_file(spool: &Path) -> Result<tempfile::NamedTempFile, PlatformError> {
    std::fs::create_dir_all(spool).map_err(|e| io(spool, e))?;
    tempfile::Builder::new()
        .prefix("upload-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(spool)
        .map_err(|e| io(spool, e))
}

fn io(path: &Path, source: std::io::Error) -> PlatformError {
    PlatformError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn spool_files_are_private_and_gone_when_dropped() {
        let d = tempfile::tempdir().unwrap();
        let spool = d.path().join("spool");
        let f = spool_file(&spool).unwrap();
        let path = f.path().to_path_buf();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        drop(f);
        assert!(!path.exists());
    }
}
