//! Financing handlers: products matched, credit limits and need signals, each consent-checked
//! like a score query and answered with the query record and its ledger receipt.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use xinrong_core::{Purpose, Uscc};
use xinrong_platform::Need;

use crate::auth::Caller;
use crate::body::Body;
use crate::error::{ApiError, ErrorBody};
use crate::routes::{PurposeCode, ScoreAnswer};
use crate::state::AppState;

type Shared = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// What the financing is for, and how much.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NeedBody {
    /// `working_capital`, `order_fulfilment`, `equipment` or `rnd`; every product when absent.
    #[serde(default)]
    #[schema(example = "working_capital")]
    pub purpose: Option<String>,
    /// Yuan sought (a decimal string or an integer); each product's limit when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "1500000")]
    pub amount: Option<Decimal>,
}

/// A request for the products an enterprise qualifies for.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// The enterprise's USCC (an enterprise may name only itself).
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", example = "91350100M000100Y43")]
    pub enterprise: Uscc,
    /// pre_loan, in_loan, post_loan or guarantee; a bank or guarantor needs a live consent.
    #[schema(value_type = PurposeCode)]
    pub purpose: Purpose,
    /// The need; every purpose up to each product's limit when absent.
    #[serde(default)]
    pub need: Option<NeedBody>,
    /// Also return each product's rule-engine trace (the record keeps the rules' version and
    /// the facts, which reproduce it).
    #[serde(default)]
    pub trace: bool,
}

/// The products an enterprise qualifies for, best first: for each, the amount offered (the
/// need, at most the limit), the price (funding + expected loss + capital + operating cost),
/// the rules passed and refused with what would change them, and what data is missing.
#[utoipa::path(post, path = "/v1/matches", tag = "financing", security(("bearer" = [])),
    request_body = MatchRequest,
    responses((status = 200, body = ScoreAnswer, description = "the record (kind `match`, the answer under `financing`) and its receipt"),
        (status = 403, body = ErrorBody, description = "no live consent for the purpose, or another enterprise"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn matches(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<MatchRequest>,
) -> ApiResult<Json<ScoreAnswer>> {
    let need = req.need.unwrap_or_default();
    let need = Need::new(need.purpose.as_deref(), need.amount)?;
    let (query, receipt) = state
        .platform
        .match_financing(&who, &req.enterprise, req.purpose, &need, req.trace)
        .await?;
    Ok(Json(ScoreAnswer { query, receipt }))
}

/// A request for one product's credit limit and price.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitRequest {
    /// The enterprise's USCC.
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", example = "91350100M000100Y43")]
    pub enterprise: Uscc,
    /// pre_loan, in_loan, post_loan or guarantee; a bank or guarantor needs a live consent.
    #[schema(value_type = PurposeCode)]
    pub purpose: Purpose,
    /// Product id from the catalogue (`credit_loan`, `guaranteed_loan`, …).
    #[schema(example = "credit_loan")]
    pub product: String,
    /// Yuan sought; the limit when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "1500000")]
    pub amount: Option<Decimal>,
}

/// One product's credit limit (the least of debt service, leverage, sales, tax and collateral
/// measures, each with its basis) and its risk-based price (each component with its basis),
/// and whether its rules allow it.
#[utoipa::path(post, path = "/v1/limits", tag = "financing", security(("bearer" = [])),
    request_body = LimitRequest,
    responses((status = 200, body = ScoreAnswer, description = "the record (kind `limit`, the answer under `financing`) and its receipt"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn limits(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<LimitRequest>,
) -> ApiResult<Json<ScoreAnswer>> {
    let need = Need::new(None, req.amount).map_err(|_| {
        ApiError::field(
            "amount",
            "must be between 0 and 1,000,000,000 yuan".to_string(),
        )
    })?;
    let (query, receipt) = state
        .platform
        .credit_limit(
            &who,
            &req.enterprise,
            req.purpose,
            &req.product,
            need.amount,
        )
        .await?;
    Ok(Json(ScoreAnswer { query, receipt }))
}

/// Whose signals, for what purpose.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SignalsQuery {
    /// The enterprise's USCC.
    pub enterprise: String,
    /// pre_loan, in_loan, post_loan or guarantee; a bank or guarantor needs a live consent.
    pub purpose: String,
    /// Month-ends to return, newest first (1–36, default 1).
    pub months: Option<i64>,
}

/// An enterprise's need signals: projected shortfall, its amount and window, what drives it
/// (order won, equipment, payables peak, R&D ramp) and the evidence.
#[utoipa::path(get, path = "/v1/signals", tag = "financing", security(("bearer" = [])),
    params(SignalsQuery),
    responses((status = 200, body = ScoreAnswer, description = "the record (kind `signals`, the signals under `financing.signals`) and its receipt"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn signals(
    State(state): Shared,
    Caller(who): Caller,
    query: Result<Query<SignalsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ScoreAnswer>> {
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_query",
            e.body_text(),
        )
    })?;
    let enterprise = xinrong_platform::scoring::parse_uscc("enterprise", &q.enterprise)?;
    let purpose: Purpose = q
        .purpose
        .parse()
        .map_err(|e: xinrong_core::ParsePurposeError| ApiError::field("purpose", e.to_string()))?;
    let months = q.months.unwrap_or(1);
    if !(1..=36).contains(&months) {
        return Err(ApiError::field("months", format!("{months} is not 1–36")));
    }
    let (query, receipt) = state
        .platform
        .need_signals(&who, &enterprise, purpose, months)
        .await?;
    Ok(Json(ScoreAnswer { query, receipt }))
}
