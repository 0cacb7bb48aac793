//! The guarantees as a list: each guarantee asked for, newest first, with its result (issued,
//! or the criteria, capacity or cap that refused it, or manual review), amount and the ledger entry of its certificate. A
//! guarantor sees those under its agreements, a bank its own, a regulator every one. A
//! guarantee is stored while its entry is made durable, and listed once it is, so the list
//! holds exactly what was answered.

use serde::Serialize;

use crate::access::Institution;
use crate::error::PlatformError;
use crate::ids::rfc3339;
use crate::platform::{Page, Platform};

/// One guarantee in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GuaranteeLine {
    /// Guarantee id (the certificate's number when issued).
    pub guarantee_id: String,
    /// The agreement it was asked under.
    pub agreement_id: String,
    /// The bank that asked.
    pub bank: String,
    /// The borrower.
    pub enterprise: String,
    /// The credit decision it guarantees.
    pub decision_id: String,
    /// `issued`, or why not: `criteria`, `capacity`, `per_firm_cap`, `manual_review`.
    pub result: String,
    /// Amount guaranteed (yuan, decimal text; the loan's amount when not issued).
    pub amount: String,
    /// Ledger entry of the answer (its receipt proves the certificate).
    pub leaf_index: i64,
    /// When it was answered (RFC 3339).
    pub time: String,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
);

impl Platform {
    /// The caller's guarantees, newest first, one page.
    pub async fn guarantee_book(
        &self,
        by: &Institution,
        page: &Page,
    ) -> Result<Vec<GuaranteeLine>, PlatformError> {
        let (all, guarantor) = crate::loan_book::book_scope(by, "guarantees")?;
        // Guarantee ids are time-ordered, so "before" is a plain comparison.
        let before = page.before.as_ref().map(|b| b.as_str().to_string());
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT g.guarantee_id, g.agreement_id, g.bank, g.enterprise, g.decision_id, \
             g.result, g.amount, g.leaf_index, g.created_ms \
             FROM guarantees g JOIN guarantee_agreements a ON a.agreement_id = g.agreement_id \
             WHERE ($1 OR (NOT $2 AND g.bank = $3) OR ($2 AND a.guarantor = $3)) \
             AND ($4 OR g.guarantee_id < $5) AND g.leaf_index < $7 \
             ORDER BY g.guarantee_id DESC LIMIT $6",
        )
        .bind(all)
        .bind(guarantor)
        .bind(&by.id)
        .bind(before.is_none())
        .bind(before.unwrap_or_default())
        .bind(page.limit)
        .bind(self.ledger.durable_size() as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| GuaranteeLine {
                guarantee_id: r.0,
                agreement_id: r.1,
                bank: r.2,
                enterprise: r.3,
                decision_id: r.4,
                result: r.5,
                amount: r.6,
                leaf_index: r.7,
                time: rfc3339(r.8),
            })
            .collect())
    }
}
