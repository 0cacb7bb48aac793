//! What arrived by batch ingest, for the operator and regulators: each source's totals and
//! when it last received a file (how fresh it is), the history of ingested files, and the
//! quality issues that `xinrong quality` raised against sources and their providers, with
//! where each stands. Read from the store that ingest writes (`store/catalog.db`, opened as
//! ingest opens it, so a store without one gets an empty catalogue) and from
//! `store/quality_issues.json`; nothing else is written.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use xinrong_sources::{ManifestEntry, read_manifest};

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::platform::Platform;

/// Files listed on one page of the ingest history.
pub const HISTORY_PAGE: usize = 50;

/// One source from one provider, over every file it sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceTotals {
    /// Source (`bank_txn`, `tax`, …).
    pub source: String,
    /// Who provides it.
    pub provider: String,
    /// Files ingested.
    pub files: u64,
    /// Rows read.
    pub rows: u64,
    /// Rows stored.
    pub accepted: u64,
    /// Rows quarantined.
    pub quarantined: u64,
    /// When its latest file was ingested (RFC 3339): how fresh the source is.
    pub latest: String,
}

/// A quality issue as `xinrong quality` keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityIssue {
    /// Its id (`xinrong quality --notify ID` and the like act on it).
    pub id: u32,
    /// Source.
    pub source: String,
    /// Provider to tell.
    pub provider: String,
    /// The dimension below its threshold (`completeness`, `timeliness`, …).
    pub check: String,
    /// The value found when last assessed (a share, 0–1; none when it could not be measured).
    pub value: Option<f64>,
    /// `open`, `notified`, `fixed` or `accepted`.
    pub status: String,
    /// Status changes with their notes, oldest first.
    #[serde(default)]
    pub history: Vec<String>,
}

/// The batch-ingest view.
#[derive(Debug, Clone, Serialize)]
pub struct IngestOverview {
    /// Per source and provider, most recently fed first.
    pub sources: Vec<SourceTotals>,
    /// One page of the files ingested, newest first.
    pub history: Vec<ManifestEntry>,
    /// Files ingested in all.
    pub files: usize,
    /// The page shown (from 0).
    pub page: usize,
    /// The newer page, if this is not the first.
    pub newer: Option<usize>,
    /// The older page, if there is one.
    pub older: Option<usize>,
    /// Quality issues, open ones first.
    pub issues: Vec<QualityIssue>,
}

impl Platform {
    /// The batch-ingest view, page `page` of the history (operator and regulators).
    pub async fn ingest_overview(
        &self,
        by: &Institution,
        page: usize,
    ) -> Result<IngestOverview, PlatformError> {
        if !matches!(by.kind, Kind::Operator | Kind::Regulator) {
            return Err(PlatformError::role(
                "only the operator and regulators see what was ingested",
            ));
        }
        let store = self.data_dir.join("store");
        tokio::task::spawn_blocking(move || overview(&store, page))
            .await
            .map_err(|e| PlatformError::Unavailable(format!("reading the store: {e}")))?
    }
}

fn overview(store: &Path, page: usize) -> Result<IngestOverview, PlatformError> {
    let entries = read_manifest(store)?;
    let mut sources: BTreeMap<(&str, &str), SourceTotals> = BTreeMap::new();
    for e in &entries {
        let t = sources
            .entry((&e.source, &e.provider))
            .or_insert_with(|| SourceTotals {
                source: e.source.clone(),
                provider: e.provider.clone(),
                files: 0,
                rows: 0,
                accepted: 0,
                quarantined: 0,
                latest: String::new(),
            });
        t.files += 1;
        t.rows += e.rows;
        t.accepted += e.accepted;
        t.quarantined += e.quarantined;
        if e.time > t.latest {
            t.latest.clone_from(&e.time);
        }
    }
    let mut sources: Vec<SourceTotals> = sources.into_values().collect();
    sources.sort_by(|a, b| b.latest.cmp(&a.latest).then(a.source.cmp(&b.source)));
    let files = entries.len();
    let history: Vec<ManifestEntry> = entries
        .into_iter()
        .rev()
        .skip(page.saturating_mul(HISTORY_PAGE))
        .take(HISTORY_PAGE)
        .collect();
    let older = page
        .checked_add(1)
        .filter(|next| files > next.saturating_mul(HISTORY_PAGE));
    Ok(IngestOverview {
        sources,
        newer: page.checked_sub(1),
        older,
        history,
        files,
        page,
        issues: read_quality_issues(store)?,
    })
}

/// The issues file of the store `store`, open ones first (none when `xinrong quality` never
/// ran).
pub fn read_quality_issues(store: &Path) -> Result<Vec<QualityIssue>, PlatformError> {
    let path = store.join("quality_issues.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(PlatformError::Io {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let mut issues: Vec<QualityIssue> =
        serde_json::from_str(&text).map_err(|e| PlatformError::Io {
            path: path.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
    let closed = |i: &QualityIssue| matches!(i.status.as_str(), "fixed" | "accepted");
    issues.sort_by_key(|i| (closed(i), i.id));
    Ok(issues)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_page_number_is_answered_without_overflow() {
        let dir = tempfile::tempdir().unwrap();
        let last = overview(dir.path(), usize::MAX).unwrap();
        assert_eq!((last.newer, last.older), (Some(usize::MAX - 1), None));
        let first = overview(dir.path(), 0).unwrap();
        assert_eq!((first.newer, first.older, first.files), (None, None, 0));
    }

    #[test]
    fn issues_open_first_and_a_missing_file_is_no_issue() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_quality_issues(dir.path()).unwrap().is_empty());
        std::fs::write(
            dir.path().join("quality_issues.json"),
            r#"[{"id":1,"source":"tax","provider":"p","check":"timeliness","value":null,"status":"fixed","history":[]},
                {"id":2,"source":"bank_txn","provider":"q","check":"validity","value":0.8,"status":"open","history":["2026-12-01 open"]}]"#,
        )
        .unwrap();
        let issues = read_quality_issues(dir.path()).unwrap();
        assert_eq!(issues.iter().map(|i| i.id).collect::<Vec<_>>(), vec![2, 1]);
        std::fs::write(dir.path().join("quality_issues.json"), "[{").unwrap();
        let err = read_quality_issues(dir.path()).unwrap_err().to_string();
        assert!(err.contains("quality_issues.json"), "{err}");
    }
}
