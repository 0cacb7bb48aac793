//! Credit decision handlers: decisions by a bank's versioned flow, and the flow's versions
//! (submit, approve by another key, put live as champion or challenger, replay a version over
//! the bank's recorded decisions).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinrong_core::{Purpose, Uscc};
use xinrong_credit::Diff;
use xinrong_ledger::Receipt;
use xinrong_platform::{DecisionRequest, FlowVersionView};

use crate::auth::Caller;
use crate::body::Body;
use crate::error::{ApiError, ErrorBody};
use crate::routes::{PathText, PurposeCode, path_id};
use crate::state::AppState;

type Shared = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// An application a bank asks the platform to decide.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// The applicant's USCC.
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", example = "91350100M000100Y43")]
    pub enterprise: Uscc,
    /// The purpose consented to, normally `pre_loan`.
    #[schema(value_type = PurposeCode)]
    pub purpose: Purpose,
    /// Product id from the catalogue (`credit_loan`, `guaranteed_loan`, …).
    #[schema(example = "credit_loan")]
    pub product: String,
    /// Yuan sought (a decimal string or an integer).
    #[schema(value_type = String, example = "1500000")]
    pub amount: Decimal,
    /// Term in months; the product's when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 360)]
    pub term_months: Option<u32>,
    /// The bank's key for this application: a retry with the same key gets the same
    /// decision, never a second one (1–128 letters, digits, `-_.:`).
    #[schema(example = "app-2026-000123")]
    pub request_key: String,
    /// Also return the rule engine's trace.
    #[serde(default)]
    pub trace: bool,
}

/// A decision and the receipt of its ledger entry.
#[derive(Serialize, ToSchema)]
pub struct DecisionAnswer {
    /// The decision: outcome (approve, refer, decline), amount (held to the product's limit),
    /// rate, the rules that declined or referred it (in English and Chinese), the rules it
    /// passed, inputs that were missing, the flow version and its rules' SHA-256, the
    /// application as decided (model PD, score, grade, eligibility, limit, price) and the
    /// digest logged in the ledger.
    #[schema(value_type = Object)]
    pub decision: xinrong_platform::Answer,
    /// Receipt of the `credit_decision` entry.
    #[schema(value_type = Object)]
    pub receipt: Receipt,
}

/// Decides a credit application with the bank's live flow (its champion, or its challenger for
/// the challenger's share of request keys; the platform's built-in policy until the bank puts
/// a flow live). Needs a live consent of the enterprise for the purpose.
#[utoipa::path(post, path = "/v1/decisions", tag = "credit", security(("bearer" = [])),
    request_body = DecisionBody,
    responses((status = 200, body = DecisionAnswer),
        (status = 403, body = ErrorBody, description = "not a bank, or no live consent"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn decide(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<DecisionBody>,
) -> ApiResult<Json<DecisionAnswer>> {
    let (decision, receipt) = state
        .platform
        .decide(
            &who,
            &DecisionRequest {
                enterprise: req.enterprise,
                purpose: req.purpose,
                product: req.product,
                amount: req.amount,
                term_months: req.term_months,
                request_key: req.request_key,
                trace: req.trace,
            },
        )
        .await?;
    Ok(Json(DecisionAnswer { decision, receipt }))
}

/// One of the bank's decisions with a fresh receipt (any decision for a regulator); another
/// bank's is "not found".
#[utoipa::path(get, path = "/v1/decisions/{id}", tag = "credit", security(("bearer" = [])),
    params(("id" = String, Path, description = "Decision id")),
    responses((status = 200, body = DecisionAnswer), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn decision(
    State(state): Shared,
    Caller(who): Caller,
    PathText(id): PathText,
) -> ApiResult<Json<DecisionAnswer>> {
    let id = path_id("decision", &id)?;
    let (decision, receipt) = state.platform.decision(&who, id.as_str()).await?;
    Ok(Json(DecisionAnswer { decision, receipt }))
}

/// The versions of the calling bank's decision flow, oldest first.
#[utoipa::path(get, path = "/v1/flows", tag = "credit", security(("bearer" = [])),
    responses((status = 200, body = Vec<FlowVersionView>), (status = 503, body = ErrorBody)))]
pub async fn flows(
    State(state): Shared,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<FlowVersionView>>> {
    Ok(Json(state.platform.flow_versions(&who)?))
}

/// A new version of the bank's flow.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowBody {
    /// The policy as a GoRules JDM graph: a `collect` decision table whose rows each output
    /// `outcome` (`"decline"` or `"refer"`), `rule`, `reason` and `reason_zh`, reading only
    /// pd, score, grade, eligible, overdue_days, amount, limit, tax_rating, product,
    /// term_months, industry and region.
    #[schema(value_type = Object)]
    pub rules: serde_json::Value,
}

/// A flow version after a change, with the receipt of its ledger entry.
#[derive(Serialize, ToSchema)]
pub struct FlowAnswer {
    /// The version.
    pub version: FlowVersionView,
    /// Receipt of the `flow_version` entry.
    #[schema(value_type = Object)]
    pub receipt: Receipt,
}

/// Submits a new version of the bank's flow as a draft: checked now (malformed or
/// contradictory rules are refused with the row and why), live only after another API key of
/// the bank approves it and promotes it.
#[utoipa::path(post, path = "/v1/flows", tag = "credit", security(("bearer" = [])),
    request_body = FlowBody,
    responses((status = 200, body = FlowAnswer), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn submit_flow(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<FlowBody>,
) -> ApiResult<Json<FlowAnswer>> {
    let text = req.rules.to_string();
    let (version, receipt) = state.platform.submit_flow(&who, &text).await?;
    Ok(Json(FlowAnswer { version, receipt }))
}

fn version_of(text: &str) -> ApiResult<u32> {
    text.parse::<u32>()
        .ok()
        .filter(|v| (1..=10_000).contains(v))
        .ok_or_else(|| ApiError::field("version", format!("{text:?} is not a version number")))
}

/// Another API key of the bank approves a draft (the key that submitted it cannot: 409).
#[utoipa::path(post, path = "/v1/flows/{version}/approve", tag = "credit", security(("bearer" = [])),
    params(("version" = String, Path, description = "Version number")),
    responses((status = 200, body = FlowAnswer), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn approve_flow(
    State(state): Shared,
    Caller(who): Caller,
    PathText(version): PathText,
) -> ApiResult<Json<FlowAnswer>> {
    let (version, receipt) = state
        .platform
        .approve_flow(&who, version_of(&version)?)
        .await?;
    Ok(Json(FlowAnswer { version, receipt }))
}

/// How an approved version goes live.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PromoteBody {
    /// As challenger for this percentage of applications (1–50); as champion when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 50)]
    pub share: Option<u8>,
}

/// Puts an approved version live: champion (the old champion retires) or challenger for a
/// share of applications, chosen by a hash of the request key.
#[utoipa::path(post, path = "/v1/flows/{version}/promote", tag = "credit", security(("bearer" = [])),
    params(("version" = String, Path, description = "Version number")),
    request_body = PromoteBody,
    responses((status = 200, body = FlowAnswer), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn promote_flow(
    State(state): Shared,
    Caller(who): Caller,
    PathText(version): PathText,
    Body(req): Body<PromoteBody>,
) -> ApiResult<Json<FlowAnswer>> {
    let (version, receipt) = state
        .platform
        .promote_flow(&who, version_of(&version)?, req.share)
        .await?;
    Ok(Json(FlowAnswer { version, receipt }))
}

/// The period to replay.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    /// First day (YYYY-MM-DD); from the first decision when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day (YYYY-MM-DD); to the last decision when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// What a version (typically a draft) would have changed over the bank's recorded decisions
/// of a period: approvals gained and lost, by grade, with amounts and expected loss. Nothing
/// is written.
#[utoipa::path(post, path = "/v1/flows/{version}/replay", tag = "credit", security(("bearer" = [])),
    params(("version" = String, Path, description = "Version number")),
    request_body = ReplayBody,
    responses((status = 200, body = Object, description = "decisions replayed, unchanged, gained and lost (count, amount, expected loss) in total and by grade, and the moves between outcomes"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn replay_flow(
    State(state): Shared,
    Caller(who): Caller,
    PathText(version): PathText,
    Body(req): Body<ReplayBody>,
) -> ApiResult<Json<Diff>> {
    if let (Some(f), Some(t)) = (req.from, req.to)
        && f > t
    {
        return Err(ApiError::field("from", format!("{f} is after to ({t})")));
    }
    Ok(Json(
        state
            .platform
            .replay_flow(&who, version_of(&version)?, req.from, req.to)
            .await?,
    ))
}
