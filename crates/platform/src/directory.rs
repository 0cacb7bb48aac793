//! Finding enterprises and what is known about them: search by code or name, an enterprise's
//! score history, and its uploaded data with their dates (how fresh its data are). Who may see
//! what follows the score query's rule: banks and guarantors see an enterprise's history and
//! data only under a live consent, an enterprise its own, the operator and regulators all.
//! Registered names and codes are public business registration data, so any institution but an
//! enterprise may search them; the answer says which consents the caller holds.

use serde::Serialize;
use xinrong_core::{Purpose, Uscc};

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::platform::{HistoryPoint, Platform};
use crate::scoring::explain;

/// Most enterprises a search returns.
pub const SEARCH_LIMIT: i64 = 50;
/// Most uploads listed for an enterprise.
pub const ASSETS_LIMIT: i64 = 100;

/// An enterprise found by a search.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Found {
    /// Its code.
    pub uscc: String,
    /// Its registered name.
    pub name: String,
    /// Purposes of the caller's live consents from it.
    pub consents: Vec<String>,
}

/// One upload of an enterprise's data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Asset {
    /// Asset id (the ledger registration's dataset).
    pub id: String,
    /// The enterprise.
    pub enterprise: String,
    /// Source (`bank_txn`, `tax`, …).
    pub source: String,
    /// Rows read, accepted and quarantined.
    pub rows: i64,
    /// Rows accepted into the store.
    pub accepted: i64,
    /// Rows quarantined.
    pub quarantined: i64,
    /// Ledger entry of the registration.
    pub leaf: i64,
    /// When it was uploaded (RFC 3339).
    pub time: String,
}

/// `LIKE` pattern text with its wildcards escaped (`\` is the escape character).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

type AssetRow = (String, String, String, i64, i64, i64, i64, i64);
/// An upload's row with where its quarantined rows are.
type QuarantineRow = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
);

impl Platform {
    /// Enterprises whose code starts with, or whose name contains, `text` (at most
    /// [`SEARCH_LIMIT`], by code).
    pub async fn find_enterprises(
        &self,
        by: &Institution,
        text: &str,
    ) -> Result<Vec<Found>, PlatformError> {
        if by.kind == Kind::Enterprise {
            return Err(PlatformError::role(
                "an enterprise sees its own portrait; banks, guarantors, regulators and the operator search",
            ));
        }
        let text = text.trim();
        if text.chars().any(char::is_control) {
            return Err(PlatformError::invalid("q", "contains a control character"));
        }
        if text.chars().count() < 2 || text.len() > 200 {
            return Err(PlatformError::invalid("q", "must be 2–200 bytes"));
        }
        let code = like_literal(&text.to_ascii_uppercase());
        let name = like_literal(text);
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT uscc, name FROM enterprises WHERE uscc LIKE $1 ESCAPE '\\' \
             OR name LIKE $2 ESCAPE '\\' ORDER BY uscc LIMIT $3",
        )
        .bind(format!("{code}%"))
        .bind(format!("%{name}%"))
        .bind(SEARCH_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        let today = crate::today();
        Ok(rows
            .into_iter()
            .map(|(uscc, name)| {
                let mut consents: Vec<String> = uscc
                    .parse::<Uscc>()
                    .map(|u| self.consents.live_between(&u, &by.id, today))
                    .unwrap_or_default()
                    .iter()
                    .map(|c| c.purpose.as_str().to_string())
                    .collect();
                consents.sort();
                consents.dedup();
                Found {
                    uscc,
                    name,
                    consents,
                }
            })
            .collect())
    }

    /// Checks that `by` may see what is known about `enterprise`: its own, the operator's and
    /// regulators', or a bank's or guarantor's under a live consent for `purpose`.
    fn may_see(
        &self,
        by: &Institution,
        enterprise: &Uscc,
        purpose: Purpose,
    ) -> Result<(), PlatformError> {
        match by.kind {
            Kind::Operator | Kind::Regulator => Ok(()),
            Kind::Enterprise if by.uscc.as_ref() == Some(enterprise) => Ok(()),
            Kind::Enterprise => Err(PlatformError::NotFound(format!("enterprise {enterprise}"))),
            Kind::Bank | Kind::Guarantor => {
                self.consents.check(enterprise, &by.id, purpose).map(|_| ())
            }
        }
    }

    /// The champion's score at each of the enterprise's snapshot dates, oldest first.
    pub async fn score_history(
        &self,
        by: &Institution,
        enterprise: &Uscc,
        purpose: Purpose,
    ) -> Result<Vec<HistoryPoint>, PlatformError> {
        self.may_see(by, enterprise, purpose)?;
        let Ok(model) = self.registry.get(None) else {
            return Ok(Vec::new());
        };
        self.snapshots
            .history(enterprise)
            .await?
            .iter()
            .map(|snap| {
                let e = explain(&model, snap)?;
                Ok(HistoryPoint {
                    as_of: e.snapshot_as_of,
                    score: e.score,
                    grade: e.grade.to_string(),
                    pd: e.pd,
                })
            })
            .collect()
    }

    /// The enterprise's uploaded data, newest first (at most [`ASSETS_LIMIT`]); the operator
    /// and regulators may ask for every enterprise's (`None`).
    pub async fn data_assets(
        &self,
        by: &Institution,
        enterprise: Option<&Uscc>,
        purpose: Purpose,
    ) -> Result<Vec<Asset>, PlatformError> {
        match enterprise {
            Some(e) => self.may_see(by, e, purpose)?,
            None if matches!(by.kind, Kind::Operator | Kind::Regulator) => {}
            None => {
                return Err(PlatformError::role(
                    "only the operator and regulators list every enterprise's data",
                ));
            }
        }
        let rows: Vec<AssetRow> = sqlx::query_as(
            "SELECT id, uscc, source, rows_read, accepted, quarantined, leaf, created_ms \
             FROM data_assets WHERE uscc = $1 OR $2 ORDER BY created_ms DESC, id DESC LIMIT $3",
        )
        .bind(enterprise.map(Uscc::as_str).unwrap_or_default())
        .bind(enterprise.is_none())
        .bind(ASSETS_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(asset).collect())
    }
}

/// An upload as stored.
fn asset((id, uscc, source, rows, accepted, quarantined, leaf, created_ms): AssetRow) -> Asset {
    Asset {
        id,
        enterprise: uscc,
        source,
        rows,
        accepted,
        quarantined,
        leaf,
        time: crate::ids::rfc3339(created_ms),
    }
}

/// Most quarantined rows an answer lists.
pub const QUARANTINE_LIMIT: usize = 1000;

/// An upload's quarantined rows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Quarantine {
    /// The upload.
    pub asset: Asset,
    /// Its rows that were not stored, each with why (at most [`QUARANTINE_LIMIT`]).
    pub rows: Vec<QuarantinedRow>,
    /// Whether there were more than are listed.
    pub truncated: bool,
}

/// One row that was not stored, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuarantinedRow {
    /// Line of the uploaded file (the header is line 1).
    pub line: u64,
    /// The field at fault (empty when the row could not be read at all).
    pub field: String,
    /// Its value as given (cut short).
    pub value: String,
    /// Why the row was not stored.
    pub reason: String,
}

impl Platform {
    /// The rows of one upload that were quarantined, each with its line, field and reason:
    /// what the operator sends back to the data provider. The operator and regulators only.
    pub async fn quarantine(
        &self,
        by: &Institution,
        asset_id: &str,
    ) -> Result<Quarantine, PlatformError> {
        if !matches!(by.kind, Kind::Operator | Kind::Regulator) {
            return Err(PlatformError::role(
                "only the operator and regulators read quarantined rows",
            ));
        }
        let row: Option<QuarantineRow> = sqlx::query_as(
            "SELECT id, uscc, source, rows_read, accepted, quarantined, leaf, created_ms, \
             quarantine_file FROM data_assets WHERE id = $1",
        )
        .bind(asset_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, uscc, source, rows, accepted, quarantined, leaf, created_ms, file)) = row
        else {
            return Err(PlatformError::NotFound(format!("upload {asset_id}")));
        };
        let asset = asset((
            id,
            uscc,
            source,
            rows,
            accepted,
            quarantined,
            leaf,
            created_ms,
        ));
        let listed = match file.filter(|_| quarantined > 0) {
            Some(relative) => {
                let path = self.data_dir.join(relative);
                tokio::task::spawn_blocking(move || read_quarantine(&path))
                    .await
                    .map_err(|e| {
                        PlatformError::Unavailable(format!("reading a quarantine: {e}"))
                    })??
            }
            None => (Vec::new(), false),
        };
        Ok(Quarantine {
            asset,
            rows: listed.0,
            truncated: listed.1,
        })
    }
}

/// The rows of a quarantine file (`file, line, field, value, reason`), at most
/// [`QUARANTINE_LIMIT`], and whether there were more.
fn read_quarantine(path: &std::path::Path) -> Result<(Vec<QuarantinedRow>, bool), PlatformError> {
    let unreadable = |e: &dyn std::fmt::Display| {
        tracing::error!(path = %path.display(), error = %e, "a quarantine file cannot be read");
        PlatformError::Unavailable("the upload's quarantine cannot be read".into())
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| unreadable(&e))?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| unreadable(&e))?;
        if rows.len() == QUARANTINE_LIMIT {
            return Ok((rows, true));
        }
        rows.push(QuarantinedRow {
            line: r.get(1).and_then(|l| l.parse().ok()).unwrap_or(0),
            field: r.get(2).unwrap_or_default().to_string(),
            value: r.get(3).unwrap_or_default().to_string(),
            reason: r.get(4).unwrap_or_default().to_string(),
        });
    }
    Ok((rows, false))
}

impl Platform {
    /// A query record with its full explanation restored (dimension and view sub-scores,
    /// strengths), which records leave out: recomputed from the model version and the snapshot
    /// the query scored, and given only when the inputs hash the same as recorded (`None` if
    /// the model or the snapshot has gone or changed).
    pub async fn query_explained(
        &self,
        by: &Institution,
        id: &crate::fields::Id,
    ) -> Result<
        (
            crate::QueryRecord,
            xinrong_ledger::Receipt,
            Option<crate::Explained>,
        ),
        PlatformError,
    > {
        let (record, receipt) = self.query(by, id).await?;
        let restored = self.restore(&record).await;
        Ok((record, receipt, restored))
    }

    async fn restore(&self, record: &crate::QueryRecord) -> Option<crate::Explained> {
        let recorded = &record.result;
        let model = self.registry.get(Some(&recorded.model_version)).ok()?;
        let enterprise: Uscc = record.enterprise.parse().ok()?;
        let snapshot = self
            .snapshots
            .at(&enterprise, &recorded.snapshot_as_of)
            .await
            .ok()??;
        let full = explain(&model, &snapshot).ok()?;
        (full.inputs_hash == recorded.inputs_hash && (full.score - recorded.score).abs() < 1e-6)
            .then_some(full)
    }
}

impl Platform {
    /// The live consents a bank or guarantor holds: how many, and the `newest` most recently
    /// granted.
    pub fn consents_held(
        &self,
        by: &Institution,
        newest: usize,
    ) -> Result<(usize, Vec<crate::Consent>), PlatformError> {
        if !by.kind.may_query_scores() {
            return Err(PlatformError::role(
                "only banks and guarantors hold consents",
            ));
        }
        let mut count = 0;
        let mut kept: Vec<crate::Consent> = Vec::with_capacity(newest + 1);
        self.consents.for_each_live(&by.id, crate::today(), |c| {
            count += 1;
            // Granted times are RFC 3339 in UTC, so they sort as text; most consents are older
            // than the newest kept and cost one comparison.
            if kept.len() == newest && kept.last().is_some_and(|l| l.granted >= c.granted) {
                return;
            }
            let at = kept.partition_point(|k| k.granted > c.granted);
            if at < newest {
                kept.insert(at, c.clone());
                kept.truncate(newest);
            }
        });
        Ok((count, kept))
    }

    /// The live consents `by` holds from one enterprise.
    pub fn consents_from(
        &self,
        by: &Institution,
        enterprise: &Uscc,
    ) -> Result<Vec<crate::Consent>, PlatformError> {
        if !by.kind.may_query_scores() {
            return Err(PlatformError::role(
                "only banks and guarantors hold consents",
            ));
        }
        Ok(self
            .consents
            .live_between(enterprise, &by.id, crate::today()))
    }
}

#[cfg(test)]
mod tests {
    use super::like_literal;

    #[test]
    fn wildcards_in_a_search_are_literal() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(like_literal("科技"), "科技");
    }
}
