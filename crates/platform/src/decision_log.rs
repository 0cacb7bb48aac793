//! The credit decisions a bank made, newest first (a regulator sees every bank's): the list a
//! credit officer scans, each row pointing to the full decision with its trace and receipt.

use serde::Serialize;

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::platform::{Page, Platform};

/// One decision in a list.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DecisionRow {
    /// Decision id.
    pub decision_id: String,
    /// The bank.
    pub institution: String,
    /// The enterprise.
    pub enterprise: String,
    /// The product applied for.
    pub product: String,
    /// Version of the bank's flow that decided.
    pub flow_version: i64,
    /// `approve`, `refer` or `decline`.
    pub outcome: String,
    /// Amount approved (yuan, decimal text).
    pub amount: String,
    /// Day it was decided.
    pub decided_on: String,
    /// Ledger entry of its digest.
    pub leaf_index: i64,
}

impl Platform {
    /// The caller's decisions (a regulator: every bank's), newest first, one page.
    pub async fn decisions(
        &self,
        by: &Institution,
        page: &Page,
    ) -> Result<Vec<DecisionRow>, PlatformError> {
        let all = match by.kind {
            Kind::Regulator => true,
            Kind::Bank => false,
            k => {
                return Err(PlatformError::role(format!(
                    "{} may not read credit decisions; banks and regulators may",
                    k.with_article()
                )));
            }
        };
        // Decision ids are time-ordered, so "before" is a plain comparison.
        let before = page.before.as_ref().map(|b| b.as_str().to_string());
        sqlx::query_as::<_, DecisionRow>(
            "SELECT decision_id, institution, enterprise, product, flow_version, outcome, amount, \
             decided_on, leaf_index FROM credit_decisions \
             WHERE (institution = $1 OR $2) AND ($3 OR decision_id < $4) AND leaf_index < $6 \
             ORDER BY decision_id DESC LIMIT $5",
        )
        .bind(&by.id)
        .bind(all)
        .bind(before.is_none())
        .bind(before.unwrap_or_default())
        .bind(page.limit)
        // A decision is listed once its entry is durable (it is stored while it is made so).
        .bind(self.ledger.durable_size() as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(Into::into)
    }
}
