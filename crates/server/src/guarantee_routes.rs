//! Guarantee handlers: batch agreements a guarantor signs with a bank, and the bank's call that
//! guarantees an approved decision at once (见贷即保) or says why not.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinrong_ledger::Receipt;

use crate::auth::Caller;
use crate::body::Body;
use crate::error::{ApiError, ErrorBody};
use crate::routes::{Limit, Paged};
use crate::state::AppState;

type Shared = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// An answer with the receipt of its ledger entry.
#[derive(Serialize, ToSchema)]
pub struct Receipted {
    /// The record.
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    /// Receipt of its ledger entry.
    #[schema(value_type = Object)]
    pub receipt: Receipt,
}

/// An agreement's terms.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementBody {
    /// `bank` (institution id), `fee_rate`, `capacity`, `per_firm_cap`, `warning_rate`,
    /// `cap_rate`, `basis` (`guaranteed` or `released`), `compensate_after_days`, `criteria`
    /// (`grades`, `min_score`, `max_pd`, `industries`, `regions`, `products`, `max_amount`,
    /// `max_term_months`) and `shares` (`bank`, `guarantor`, `reguarantor`, `government`,
    /// adding up to 1). Amounts and rates are decimal strings.
    #[schema(value_type = Object)]
    pub terms: serde_json::Value,
}

/// A guarantor signs a batch guarantee agreement with a bank.
#[utoipa::path(post, path = "/v1/agreements", tag = "credit", security(("bearer" = [])),
    request_body = AgreementBody,
    responses((status = 200, body = Receipted, description = "the agreement with its position, and the receipt"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn sign(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<AgreementBody>,
) -> ApiResult<Json<Receipted>> {
    let (record, receipt) = state.platform.sign_agreement(&who, req.terms).await?;
    Ok(Json(Receipted { record, receipt }))
}

/// The agreements the caller is party to (every one, for a regulator), each with its position:
/// guaranteed, outstanding, compensated, the compensation rate and its level against the
/// warning rate and the cap.
#[utoipa::path(get, path = "/v1/agreements", tag = "credit", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 503, body = ErrorBody)))]
pub async fn list(
    State(state): Shared,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<serde_json::Value>>> {
    Ok(Json(state.platform.agreements(&who).await?))
}

/// A guarantee asked for.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuaranteeBody {
    /// The agreement.
    pub agreement_id: String,
    /// The bank's approved decision.
    pub decision_id: String,
    /// The bank's key for this call: a retry gets the same answer, never a second guarantee.
    pub request_key: String,
}

/// Guarantees a bank's approved decision under an agreement at once when it meets the
/// criteria, fits the capacity and the firm's cap, and the compensation rate is below the cap;
/// otherwise the answer's `result` says why (`criteria` with every failed criterion,
/// `capacity`, `per_firm_cap`, or `manual_review` at the cap). Every answer is logged.
#[utoipa::path(post, path = "/v1/guarantees", tag = "credit", security(("bearer" = [])),
    request_body = GuaranteeBody,
    responses((status = 200, body = Receipted, description = "result, certificate or reasons, and the receipt"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn guarantee(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<GuaranteeBody>,
) -> ApiResult<Json<Receipted>> {
    let (record, receipt) = state
        .platform
        .guarantee(&who, &req.agreement_id, &req.decision_id, &req.request_key)
        .await?;
    Ok(Json(Receipted { record, receipt }))
}

/// The caller's guarantees, newest first: a guarantor's under its agreements, a bank's own, a
/// regulator's all; each with its result, amount and ledger entry.
#[utoipa::path(get, path = "/v1/guarantees", tag = "credit", security(("bearer" = [])),
    params(Limit),
    responses((status = 200, body = Vec<xinrong_platform::guarantee_book::GuaranteeLine>),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_guarantees(
    State(state): Shared,
    Caller(who): Caller,
    Paged(page): Paged,
) -> ApiResult<Json<Vec<xinrong_platform::guarantee_book::GuaranteeLine>>> {
    Ok(Json(state.platform.guarantee_book(&who, &page).await?))
}
