//! Loan-book handlers: a loan booked from an approved decision, its events, and its position.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use xinrong_platform::{Booking, EventRequest};

use crate::auth::Caller;
use crate::body::Body;
use crate::error::{ApiError, ErrorBody};
use crate::guarantee_routes::Receipted;
use crate::routes::{PathText, path_id};
use crate::state::AppState;

type Shared = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// How a loan is booked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoanBody {
    /// The bank's approved decision.
    pub decision_id: String,
    /// `equal_instalment`, `equal_principal` or `interest_only`.
    #[schema(example = "equal_instalment")]
    pub repayment: String,
    /// Annual rate (decimal string); the decision's when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub annual_rate: Option<rust_decimal::Decimal>,
    /// Tranches `[{amount, use_of_funds?}]`; one tranche of the approved amount when absent.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub tranches: Option<serde_json::Value>,
    /// The guarantee issued for the decision, for a guaranteed loan.
    #[serde(default)]
    pub guarantee_id: Option<String>,
    /// When the contract was signed (YYYY-MM-DD; a loan brought onto the book from another
    /// system); today when absent; never in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub contract_date: Option<NaiveDate>,
}

/// Books a loan from the bank's approved decision (applied, decided, contracted: each an event
/// with its ledger entry); the receipt is the contract's.
#[utoipa::path(post, path = "/v1/loans", tag = "credit", security(("bearer" = [])),
    request_body = LoanBody,
    responses((status = 200, body = Receipted, description = "the loan and its position"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn book(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<LoanBody>,
) -> ApiResult<Json<Receipted>> {
    let repayment = req
        .repayment
        .parse()
        .map_err(|e: String| ApiError::field("repayment", e))?;
    let tranches = req
        .tranches
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| ApiError::field("tranches", e.to_string()))?;
    let (record, receipt) = state
        .platform
        .book_loan(
            &who,
            Booking {
                decision_id: req.decision_id,
                repayment,
                annual_rate: req.annual_rate,
                tranches,
                guarantee_id: req.guarantee_id,
                contract_date: req.contract_date,
            },
        )
        .await?;
    Ok(Json(Receipted { record, receipt }))
}

/// An event on a loan.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// `disbursed`, `repaid`, `defaulted`, `recovered`, `written_off` (the bank) or
    /// `compensated` (the loan's guarantor; the amount is the agreement's share of the exposure).
    #[schema(example = "repaid")]
    pub kind: String,
    /// When it happened (YYYY-MM-DD); today when absent; never in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
    /// Its amount (decimal string), for disbursed, repaid and recovered.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub amount: Option<rust_decimal::Decimal>,
    /// For a conditional tranche: the borrower's outflows since the previous tranche.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub spent: Option<rust_decimal::Decimal>,
    /// For a default: why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Records an event on a loan; one that does not fit the loan's state is refused (409) with
/// the state.
#[utoipa::path(post, path = "/v1/loans/{id}/events", tag = "credit", security(("bearer" = [])),
    params(("id" = String, Path, description = "Loan id")),
    request_body = EventBody,
    responses((status = 200, body = Receipted, description = "the loan's position after the event"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn event(
    State(state): Shared,
    Caller(who): Caller,
    PathText(id): PathText,
    Body(req): Body<EventBody>,
) -> ApiResult<Json<Receipted>> {
    let id = path_id("loan", &id)?;
    let (record, receipt) = state
        .platform
        .loan_event(
            &who,
            id.as_str(),
            EventRequest {
                kind: req.kind,
                date: req.date,
                amount: req.amount,
                spent: req.spent,
                reason: req.reason,
            },
        )
        .await?;
    Ok(Json(Receipted { record, receipt }))
}

/// The date to read a loan's position on.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// YYYY-MM-DD; today when absent.
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<NaiveDate>,
}

/// A loan: state, principal outstanding, overdue principal and interest, days past due, its
/// five-category class (and the rule that set it), its schedule and every event. Its bank, the
/// guarantor of its agreement and a regulator may read it; for anyone else it is not found.
#[utoipa::path(get, path = "/v1/loans/{id}", tag = "credit", security(("bearer" = [])),
    params(("id" = String, Path, description = "Loan id"), AsOf),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn loan(
    State(state): Shared,
    Caller(who): Caller,
    PathText(id): PathText,
    query: Result<Query<AsOf>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_query",
            e.body_text(),
        )
    })?;
    let id = path_id("loan", &id)?;
    Ok(Json(state.platform.loan(&who, id.as_str(), q.as_of).await?))
}

/// Credit activity in aggregate: decisions by bank and outcome (count, amount), guarantees by
/// agreement and result, loans by bank, state and five-category class with principal
/// outstanding, the book's trend and exposure by grade. A regulator reads every institution's;
/// a bank its own; a guarantor what lies under its agreements (no decisions).
#[utoipa::path(get, path = "/v1/credit/summary", tag = "credit", security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 503, body = ErrorBody)))]
pub async fn summary(
    State(state): Shared,
    Caller(who): Caller,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(state.platform.credit_summary(&who).await?))
}
