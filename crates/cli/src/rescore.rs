//! Rescoring after an upload, for `xinrong serve`: the platform asks for one enterprise's
//! indicators and this answers with the indicator catalogue run on DataFusion over that
//! enterprise's rows alone (read once from the store), as `xinrong indicators` computes them
//! for everyone.

use std::sync::Arc;

use chrono::NaiveDate;
use xinrong_indicators::{Catalogue, EnterpriseData};
use xinrong_platform::{
    Platform, Recompute, RecomputeError, RecomputeFuture, RecomputeRequest, Recomputed,
};

/// The catalogue the server recomputes indicators with.
pub struct CatalogueRescorer {
    catalogue: Catalogue,
}

impl CatalogueRescorer {
    /// Rescoring with `catalogue` (the built-in one plus the operator's SQL indicators, the
    /// same as the batch snapshots were computed with).
    pub fn new(catalogue: Catalogue) -> CatalogueRescorer {
        CatalogueRescorer { catalogue }
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
            let known = self.catalogue.ids();
            if let Some(names) = &request.indicators
                && let Some(unknown) = names.iter().find(|n| !known.contains(n.as_str()))
            {
                return Err(RecomputeError(format!(
                    "the enterprise's snapshot has indicator {unknown}, which the server's \
                     catalogue does not define (serve with the same --sql files as \
                     `xinrong indicators`)"
                )));
            }
            let data = EnterpriseData::read(request.store, request.enterprise.as_str())
                .await
                .map_err(fail)?;
            let as_of = snapshot_date(
                request.not_before,
                data.newest(request.source),
                request.today,
            );
            let mut catalogue = self.catalogue.clone();
            if let Some(names) = &request.indicators {
                catalogue.restrict(&names.iter().map(String::as_str).collect::<Vec<_>>());
            }
            let table = data.indicators(&catalogue, as_of).await.map_err(fail)?;
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
pub fn install(platform: &Platform, sql: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let catalogue = crate::indicators_cmd::catalogue(sql)?;
    platform.set_rescorer(Arc::new(CatalogueRescorer::new(catalogue)));
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
