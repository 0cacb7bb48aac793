//! The loan book as a list: each loan of the caller's with its state, balance, days past due
//! and five-category class today, newest first. A bank sees its own loans, a guarantor those
//! under its agreements, a regulator every loan; the rows are replayed from each loan's events,
//! as `GET /v1/loans/{id}` replays one.

use serde::Serialize;

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::platform::{Page, Platform};

/// One loan in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoanLine {
    /// Loan id.
    pub loan_id: String,
    /// The bank.
    pub bank: String,
    /// The borrower.
    pub enterprise: String,
    /// The guarantee agreement, if the loan is guaranteed.
    pub agreement_id: Option<String>,
    /// Its state (`contracted`, `disbursed`, `repaid`, `defaulted`, …).
    pub state: Option<String>,
    /// Principal outstanding (yuan, decimal text).
    pub outstanding: String,
    /// Days past due today.
    pub days_past_due: i64,
    /// Five-category class today (正常, 关注, 次级, 可疑, 损失 as codes).
    pub category: String,
}

impl Platform {
    /// The caller's loans, newest first, one page.
    pub async fn loan_book(
        &self,
        by: &Institution,
        page: &Page,
    ) -> Result<Vec<LoanLine>, PlatformError> {
        let (all, guarantor) = book_scope(by, "loans")?;
        // Loan ids are time-ordered, so "before" is a plain comparison.
        let before = page.before.as_ref().map(|b| b.as_str().to_string());
        let rows: Vec<crate::loans::LoanListRow> = sqlx::query_as(
            "SELECT l.loan_id, l.bank, l.enterprise, l.decision_id, l.guarantee_id, l.agreement_id \
             FROM loans l LEFT JOIN guarantee_agreements a ON a.agreement_id = l.agreement_id \
             WHERE ($1 OR (NOT $2 AND l.bank = $3) OR ($2 AND a.guarantor = $3)) \
             AND ($4 OR l.loan_id < $5) ORDER BY l.loan_id DESC LIMIT $6",
        )
        .bind(all)
        .bind(guarantor)
        .bind(&by.id)
        .bind(before.is_none())
        .bind(before.unwrap_or_default())
        .bind(page.limit)
        .fetch_all(&self.pool)
        .await?;
        let today = crate::today();
        let mut out = Vec::with_capacity(rows.len());
        for (id, bank, enterprise, decision, guarantee, agreement) in rows {
            let row = (bank, enterprise, decision, guarantee, agreement);
            let loan = self.loan_events(&id, &row).await?;
            out.push(LoanLine {
                loan_id: id,
                bank: row.0,
                enterprise: row.1,
                agreement_id: row.4,
                state: loan.state().map(|s| s.as_str().to_string()),
                outstanding: loan.outstanding().round_dp(2).to_string(),
                days_past_due: i64::from(loan.days_past_due(today)),
                category: loan.classify(today).category.as_str().to_string(),
            });
        }
        Ok(out)
    }
}

/// Whose records of a book `by` reads: every one (a regulator), or those under its
/// agreements (a guarantor), else its own (a bank); anyone else may not read `what`.
pub(crate) fn book_scope(by: &Institution, what: &str) -> Result<(bool, bool), PlatformError> {
    match by.kind {
        Kind::Regulator => Ok((true, false)),
        Kind::Bank => Ok((false, false)),
        Kind::Guarantor => Ok((false, true)),
        k => Err(PlatformError::role(format!(
            "{} may not read {what}; banks, guarantors and regulators may",
            k.with_article()
        ))),
    }
}
