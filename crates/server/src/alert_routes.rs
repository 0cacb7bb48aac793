//! Early-warning handlers: the alerts a caller may see, and acknowledging or resolving one.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinrong_platform::alerts::{AlertAct, AlertFilter, AlertView};

use crate::auth::Caller;
use crate::body::Body;
use crate::error::{ApiError, ErrorBody};
use crate::routes::{PathText, path_id};
use crate::state::AppState;

type Shared = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// A page of alerts.
#[derive(Serialize, ToSchema)]
pub struct AlertList {
    /// Newest change first.
    pub alerts: Vec<AlertView>,
}

/// Early warnings (red / yellow / blue) with their signal, evidence and suggested action. A
/// bank or guarantor sees its own (routed to it under a post-loan monitoring consent that is
/// still live); the regulator and the operator every institution's; enterprises are refused.
#[utoipa::path(get, path = "/v1/alerts", tag = "monitoring", security(("bearer" = [])),
    params(AlertFilter),
    responses((status = 200, body = AlertList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn list(
    State(state): Shared,
    Caller(who): Caller,
    query: Result<Query<AlertFilter>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<AlertList>> {
    let Query(filter) = query.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_query",
            e.body_text(),
        )
    })?;
    let alerts = state.platform.alerts(&who, &filter).await?;
    Ok(Json(AlertList { alerts }))
}

/// What is said when acting on an alert.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ActBody {
    /// How it was handled (required to resolve; up to 2,000 characters).
    #[serde(default)]
    pub note: String,
}

async fn act(
    state: &AppState,
    who: &xinrong_platform::access::Institution,
    id: &str,
    act: AlertAct,
    note: &str,
) -> ApiResult<Json<AlertView>> {
    let id = path_id("alert", id)?;
    Ok(Json(
        state.platform.act_on_alert(who, &id, act, note).await?,
    ))
}

/// Acknowledges an open alert (the bank or guarantor monitoring the enterprise); logged in
/// the ledger.
#[utoipa::path(post, path = "/v1/alerts/{id}/acknowledge", tag = "monitoring",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Alert id")),
    request_body = ActBody,
    responses((status = 200, body = AlertView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn acknowledge(
    State(state): Shared,
    Caller(who): Caller,
    PathText(id): PathText,
    Body(req): Body<ActBody>,
) -> ApiResult<Json<AlertView>> {
    act(&state, &who, &id, AlertAct::Acknowledge, &req.note).await
}

/// Resolves an alert with a note saying how; a resolved alert is final, and the next time its
/// signal fires a new alert opens. Logged in the ledger.
#[utoipa::path(post, path = "/v1/alerts/{id}/resolve", tag = "monitoring",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Alert id")),
    request_body = ActBody,
    responses((status = 200, body = AlertView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn resolve(
    State(state): Shared,
    Caller(who): Caller,
    PathText(id): PathText,
    Body(req): Body<ActBody>,
) -> ApiResult<Json<AlertView>> {
    act(&state, &who, &id, AlertAct::Resolve, &req.note).await
}
