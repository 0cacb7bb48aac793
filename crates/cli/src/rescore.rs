//! Rescoring after an upload, for `xinrong serve`: the platform asks for one enterprise's
//! indicators and this answers with the indicator catalogue, planned once at start-up, run
//! over that enterprise's rows alone (read from the store's files with their bloom filters),
//! giving the values `xinrong indicators` computes for everyone.

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use xinrong_indicators::{Catalogue, PreparedCatalogue, StoreReader};
use xinrong_platform::{
    Platform, Recompute, RecomputeError, RecomputeFuture, RecomputeRequest, Recomputed,
};

/// The catalogue the server recomputes indicators with, and the store it reads (kept open,
/// so each file's footer is parsed once).
pub struct CatalogueRescorer {
    prepared: PreparedCatalogue,
    reader: Mutex<Option<Arc<StoreReader>>>,
}

impl CatalogueRescorer {
    /// Rescoring with `catalogue` (the built-in one plus the operator's SQL indicators, the
    /// same as the batch snapshots were computed with), planned here once.
    pub async fn new(catalogue: Catalogue) -> anyhow::Result<CatalogueRescorer> {
        Ok(CatalogueRescorer {
            prepared: PreparedCatalogue::new(catalogue).await?,
            reader: Mutex::new(None),
        })
    }

    /// The reader of `store`, opened on first use.
    fn reader(&self, store: &Path) -> Arc<StoreReader> {
        let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        match reader.as_ref() {
            Some(open) if open.store() == store => Arc::clone(open),
            _ => Arc::clone(reader.insert(Arc::new(StoreReader::open(store)))),
        }
    }
}

/// The date of the new snapshot: the newest row of the source just uploaded, never before
/// the enterprise's latest snapshot and never after today.
fn snapshot_date(
    not_before: Option<NaiveDate>,
    newest: Option<NaiveDate>,
    today: NaiveDate,
) -> NaiveDate {
    not_before.max(newest).unwrap_or(today).min(today)
}

impl Recompute for CatalogueRescorer {
    fn recompute<'a>(&'a self, request: RecomputeRequest<'a>) -> RecomputeFuture<'a> {
        Box::pin(async move {
            let fail = |e: xinrong_indicators::IndicatorError| RecomputeError(e.to_string());
            let known = self.prepared.catalogue().ids();
            if let Some(names) = &request.indicators
                && let Some(unknown) = names.iter().find(|n| !known.contains(n.as_str()))
            {
                return Err(RecomputeError(format!(
                    "the enterprise's snapshot has indicator {unknown}, which the server's \
                     catalogue does not define (serve with the same --sql files as \
                     `xinrong indicators`)"
                )));
            }
            let started = std::time::Instant::now();
            let reader = self.reader(request.store);
            let uscc = request.enterprise.as_str().to_string();
            let data = tokio::task::spawn_blocking(move || reader.read(&uscc))
                .await
                .map_err(|e| RecomputeError(format!("reading the store: {e}")))?
                .map_err(fail)?;
            let read = started.elapsed();
            let as_of = snapshot_date(
                request.not_before,
                data.newest(request.source),
                request.today,
            );
            let table = self.prepared.compute(&data, as_of).await.map_err(fail)?;
            tracing::debug!(
                enterprise = request.enterprise.as_str(),
                rows = data.rows(),
                read_ms = read.as_secs_f64() * 1e3,
                compute_ms = (started.elapsed() - read).as_secs_f64() * 1e3,
                "indicators recomputed"
            );
            let wanted = |name: &str| {
                request
                    .indicators
                    .as_ref()
                    .is_none_or(|names| names.iter().any(|n| n == name))
            };
            let values = table
                .columns
                .into_iter()
                .filter(|(name, _)| wanted(name))
                .map(|(name, column)| {
                    let v = column.first().copied().filter(|v| v.is_finite());
                    (name, v)
                })
                .collect();
            Ok(Recomputed { as_of, values })
        })
    }
}

/// Makes `platform` rescore an enterprise after each upload, with the built-in catalogue and
/// the operator's SQL indicators.
pub async fn install(platform: &Platform, sql: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let catalogue = crate::indicators_cmd::catalogue(sql)?;
    platform.set_rescorer(Arc::new(CatalogueRescorer::new(catalogue).await?));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_snapshot_date_follows_the_data_but_never_goes_back_or_ahead() {
        let today = d("2026-12-06");
        // New rows after the latest snapshot move it forward.
        assert_eq!(
            snapshot_date(Some(d("2025-12-31")), Some(d("2026-01-15")), today),
            d("2026-01-15")
        );
        // A correction of old rows recomputes the latest date, not an older one.
        assert_eq!(
            snapshot_date(Some(d("2025-12-31")), Some(d("2024-03-01")), today),
            d("2025-12-31")
        );
        // Rows dated in the future do not date a snapshot in the future.
        assert_eq!(snapshot_date(None, Some(d("2027-05-01")), today), today);
        assert_eq!(snapshot_date(None, None, today), today);
    }
}
