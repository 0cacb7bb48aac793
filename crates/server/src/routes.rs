//! The API's handlers. Each checks the caller's kind, delegates to the platform and shapes
//! the answer; none holds business rules of its own.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinrong_core::{Industry, Purpose, Uscc};
use xinrong_ledger::Receipt;
use xinrong_platform::{
    AdminAction, Consent, FeatureGroups, Id, Institution, LedgerState, ModelSummary, Name,
    PlatformError, Portrait, QueryRecord, QuerySeen, Unacknowledged, UploadReport, Version,
};
use xinrong_sources::{Format, UnknownFields};

use crate::auth::Caller;
use crate::body::Body;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

type Shared = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The purposes a consent and a query name (parsed into [`Purpose`]); here for the document.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PurposeCode {
    /// Pre-loan assessment (贷前审查).
    PreLoan,
    /// In-loan review (贷中审查).
    InLoan,
    /// Post-loan monitoring (贷后监控).
    PostLoan,
    /// Guarantee assessment (融资担保).
    Guarantee,
}

/// Liveness.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can serve: the database answers, the ledger has not failed its audit, its
/// writer has not stopped after a failed write, and shutdown has not begun.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn ready(State(state): Shared) -> ApiResult<Json<Health>> {
    if !state.accepting.load(Ordering::Relaxed) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "shutting down",
        ));
    }
    // Answered as a refused write is: 503 `ledger_damaged` or `ledger_stopped`.
    state.platform.writable()?;
    sqlx_ping(&state).await?;
    Ok(Json(Health { status: "ready" }))
}

async fn sqlx_ping(state: &AppState) -> Result<(), ApiError> {
    state.platform.ping().await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        )
    })
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): Shared) -> impl IntoResponse {
    let audit = match state.platform.ledger_state() {
        LedgerState::Auditing => -1.0,
        LedgerState::Intact => 1.0,
        LedgerState::Damaged(_) => 0.0,
    };
    // 1 = the ledger passed its audit, 0 = it failed (alert on this), -1 = still auditing.
    metrics::gauge!("xinrong_ledger_audit_ok").set(audit);
    // 1 = the ledger takes entries, 0 = its writer stopped after a failed write (alert on this).
    let writing = f64::from(u8::from(state.platform.ledger_stopped().is_none()));
    metrics::gauge!("xinrong_ledger_writer_ok").set(writing);
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// The caller's own institution.
#[utoipa::path(get, path = "/v1/me", tag = "access", security(("bearer" = [])),
    responses((status = 200, body = Institution), (status = 401, body = ErrorBody)))]
pub async fn me(Caller(who): Caller) -> Json<Institution> {
    Json((*who).clone())
}

/// The market in aggregate: every enterprise with indicators, scored by the champion, by
/// grade, by province and by industry section (counts and mean PDs only, no enterprise named).
/// Regulators and the operator read it.
#[utoipa::path(get, path = "/v1/market", tag = "oversight", security(("bearer" = [])),
    responses((status = 200, body = xinrong_platform::market::Market),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn market(
    State(state): Shared,
    Caller(who): Caller,
) -> ApiResult<Json<xinrong_platform::market::Market>> {
    Ok(Json(state.platform.market(&who).await?))
}

/// An enterprise to register.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnterprise {
    /// Unified Social Credit Code (18 characters, check character verified).
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", example = "91350100M000100Y43")]
    pub uscc: Uscc,
    /// Registered name (1–200 characters, no control characters).
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Name,
    /// Industry class from its business registration (GB/T 4754: a section letter A–T and
    /// one to four digits); market aggregates are cut by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, pattern = "^[A-T][0-9]{1,4}$", example = "I6513")]
    pub industry: Option<Industry>,
}

/// The operator registers an enterprise.
#[utoipa::path(post, path = "/v1/enterprises", tag = "enterprises", security(("bearer" = [])),
    request_body = NewEnterprise,
    responses((status = 201, body = NewEnterprise), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn register_enterprise(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<NewEnterprise>,
) -> ApiResult<(StatusCode, Json<NewEnterprise>)> {
    state
        .platform
        .register_enterprise(&who, &req.uscc, &req.name, req.industry.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(req)))
}

/// An upload's outcome with the ledger receipt of the data asset.
#[derive(Serialize, ToSchema)]
pub struct Uploaded {
    /// What the ingest did.
    pub report: UploadReport,
    /// Receipt of the data-asset registration.
    #[schema(value_type = Object)]
    pub receipt: Receipt,
}

/// How an upload treats fields its source does not have.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadOptions {
    /// `report` (default): keep the row, list the fields in the report; `quarantine`: set such
    /// rows aside.
    #[param(value_type = Option<String>, example = "report")]
    pub unknown_fields: Option<String>,
}

/// The operator uploads source data (CSV, or JSON Lines with `Content-Type:
/// application/x-ndjson`) for an enterprise; rows are validated, desensitised and stored,
/// bad rows (and rows about another enterprise) quarantined, and the upload registered in
/// the ledger. The same bytes again are recognised: 200 with the first registration.
#[utoipa::path(post, path = "/v1/enterprises/{uscc}/data/{source}", tag = "enterprises",
    security(("bearer" = [])),
    params(("uscc" = String, Path, description = "The enterprise"),
        ("source" = String, Path, description = "Source schema: registry, bank_txn, tax, …"),
        UploadOptions),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Uploaded), (status = 200, body = Uploaded,
        description = "these bytes were uploaded for this enterprise and source before"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): Shared,
    Caller(who): Caller,
    Path((uscc, source)): Path<(String, String)>,
    Query(options): Query<UploadOptions>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Uploaded>)> {
    let enterprise = xinrong_platform::scoring::parse_uscc("uscc", &uscc)?;
    let unknown = match options.unknown_fields.as_deref() {
        None => UnknownFields::Report,
        Some(u) => u
            .parse()
            .map_err(|e: String| ApiError::field("unknown_fields", e))?,
    };
    let format = match headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(t) if t.contains("ndjson") || t.contains("jsonl") => Format::JsonLines,
        _ => Format::Csv,
    };
    let (report, receipt, new) = state
        .platform
        .upload(&who, &enterprise, &source, body.to_vec(), format, unknown)
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Uploaded { report, receipt })))
}

/// A consent to grant.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsent {
    /// The bank or guarantor authorised.
    #[schema(value_type = String)]
    pub institution: Id,
    /// pre_loan, in_loan, post_loan or guarantee.
    #[schema(value_type = PurposeCode)]
    pub purpose: Purpose,
    /// Last day of validity (YYYY-MM-DD), today or later, at most three years ahead.
    #[schema(value_type = String, format = Date)]
    pub expires: NaiveDate,
}

/// A consent with its ledger receipt.
#[derive(Serialize, ToSchema)]
pub struct ConsentAnswer {
    /// The consent.
    pub consent: Consent,
    /// Receipt of the grant or revocation.
    #[schema(value_type = Object)]
    pub receipt: Receipt,
}

/// An enterprise grants an institution access for a purpose.
#[utoipa::path(post, path = "/v1/consents", tag = "consents", security(("bearer" = [])),
    request_body = NewConsent,
    responses((status = 201, body = ConsentAnswer), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<NewConsent>,
) -> ApiResult<(StatusCode, Json<ConsentAnswer>)> {
    let (consent, receipt) = state
        .platform
        .grant_consent(&who, &req.institution, req.purpose, req.expires)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ConsentAnswer { consent, receipt }),
    ))
}

/// An enterprise revokes one of its consents.
#[utoipa::path(post, path = "/v1/consents/{id}/revoke", tag = "consents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Consent id")),
    responses((status = 200, body = ConsentAnswer), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke(
    State(state): Shared,
    Caller(who): Caller,
    PathText(id): PathText,
) -> ApiResult<Json<ConsentAnswer>> {
    let id = path_id("consent", &id)?;
    let (consent, receipt) = state.platform.revoke_consent(&who, &id).await?;
    Ok(Json(ConsentAnswer { consent, receipt }))
}

/// Consents an enterprise gave, or a bank or guarantor holds.
#[utoipa::path(get, path = "/v1/consents", tag = "consents", security(("bearer" = [])),
    responses((status = 200, body = Vec<Consent>)))]
pub async fn consents(State(state): Shared, Caller(who): Caller) -> ApiResult<Json<Vec<Consent>>> {
    Ok(Json(state.platform.consents(&who)?))
}

/// A score query.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// The enterprise's USCC.
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", example = "91350100M000100Y43")]
    pub enterprise: Uscc,
    /// pre_loan, in_loan, post_loan or guarantee; a live consent for it is required.
    #[schema(value_type = PurposeCode)]
    pub purpose: Purpose,
    /// A published model version; the champion when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub model_version: Option<Version>,
}

/// A query with its answer and ledger receipt.
#[derive(Serialize, ToSchema)]
pub struct ScoreAnswer {
    /// The query and its answer.
    #[serde(flatten)]
    pub query: QueryRecord,
    /// Receipt of the query entry: verify it offline with the ledger's public key.
    #[schema(value_type = Object)]
    pub receipt: Receipt,
}

/// A bank or guarantor asks for an enterprise's score under the enterprise's consent.
#[utoipa::path(post, path = "/v1/scores", tag = "scores", security(("bearer" = [])),
    request_body = ScoreRequest,
    responses((status = 200, body = ScoreAnswer), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "no live consent for the purpose: code says why"),
        (status = 404, body = ErrorBody, description = "the model version named is not published"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn score(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<ScoreRequest>,
) -> ApiResult<Json<ScoreAnswer>> {
    let (query, receipt) = state
        .platform
        .score(
            &who,
            &req.enterprise,
            req.purpose,
            req.model_version.as_ref(),
        )
        .await?;
    Ok(Json(ScoreAnswer { query, receipt }))
}

/// Paging of lists: newest first; pass the last id of a page as `before` for the next.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Limit {
    /// Most records (1–1000, default 100).
    pub limit: Option<i64>,
    /// Only records older than this query id (the last of the previous page).
    pub before: Option<String>,
}

/// A checked [`Limit`].
pub struct Paged(pub xinrong_platform::Page);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Paged {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let Query(l) = Query::<Limit>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
        Ok(Paged(xinrong_platform::Page::new(
            l.limit,
            l.before.as_deref(),
        )?))
    }
}

/// The caller's own queries (a regulator sees everyone's), newest first.
#[utoipa::path(get, path = "/v1/queries", tag = "scores", security(("bearer" = [])),
    params(Limit), responses((status = 200, body = Vec<QueryRecord>), (status = 422, body = ErrorBody)))]
pub async fn queries(
    State(state): Shared,
    Caller(who): Caller,
    Paged(page): Paged,
) -> ApiResult<Json<Vec<QueryRecord>>> {
    Ok(Json(state.platform.queries(&who, &page).await?))
}

/// One of the caller's queries with its receipt; another institution's is "not found".
#[utoipa::path(get, path = "/v1/queries/{id}", tag = "scores", security(("bearer" = [])),
    params(("id" = String, Path, description = "Query id")),
    responses((status = 200, body = ScoreAnswer), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn query(
    State(state): Shared,
    Caller(who): Caller,
    PathText(id): PathText,
) -> ApiResult<Json<ScoreAnswer>> {
    let id = path_id("query", &id)?;
    let (query, receipt) = state.platform.query(&who, &id).await?;
    Ok(Json(ScoreAnswer { query, receipt }))
}

/// The calling enterprise's credit portrait: score, grade, dimension scores, strengths,
/// what would improve it, score history, who queried it and which consents are live.
#[utoipa::path(get, path = "/v1/portrait", tag = "enterprises", security(("bearer" = [])),
    responses((status = 200, body = Portrait), (status = 403, body = ErrorBody)))]
pub async fn portrait(State(state): Shared, Caller(who): Caller) -> ApiResult<Json<Portrait>> {
    Ok(Json(state.platform.portrait(&who).await?))
}

/// Every query made about the calling enterprise, newest first, page by page.
#[utoipa::path(get, path = "/v1/portrait/queries", tag = "enterprises", security(("bearer" = [])),
    params(Limit), responses((status = 200, body = Vec<QuerySeen>), (status = 422, body = ErrorBody)))]
pub async fn queries_about_me(
    State(state): Shared,
    Caller(who): Caller,
    Paged(page): Paged,
) -> ApiResult<Json<Vec<QuerySeen>>> {
    Ok(Json(state.platform.queries_about_me(&who, &page).await?))
}

/// Published models, newest first.
#[utoipa::path(get, path = "/v1/models", tag = "models", security(("bearer" = [])),
    responses((status = 200, body = Vec<ModelSummary>)))]
pub async fn models(State(state): Shared, Caller(who): Caller) -> Json<Vec<ModelSummary>> {
    Json(state.platform.models(&who))
}

/// A model to publish.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    /// Version name (letters, digits, '.', '_', '-').
    #[schema(value_type = String, pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub name: Version,
    /// The model file written by `xinrong fit` (`xinrong.scorecard/1`).
    #[schema(value_type = Object)]
    pub artifact: serde_json::Value,
    /// Make it the champion.
    #[serde(default)]
    pub champion: bool,
    /// Dimension and view of each feature (`other` where absent).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub groups: std::collections::BTreeMap<String, FeatureGroups>,
}

/// A published model with the receipt of its publication.
#[derive(Serialize, ToSchema)]
pub struct Published {
    /// The model.
    pub model: ModelSummary,
    /// Receipt of the publication entry.
    #[schema(value_type = Object)]
    pub receipt: Receipt,
}

/// The operator publishes a model to the registry.
#[utoipa::path(post, path = "/v1/models", tag = "models", security(("bearer" = [])),
    request_body = NewModel,
    responses((status = 201, body = Published), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(state): Shared,
    Caller(who): Caller,
    Body(req): Body<NewModel>,
) -> ApiResult<(StatusCode, Json<Published>)> {
    let text = serde_json::to_string(&req.artifact).expect("a JSON value serialises");
    let (model, receipt) = state
        .platform
        .publish_model(&who, &req.name, &text, req.groups, req.champion)
        .await
        .map_err(|e| match e {
            PlatformError::Model(m) => ApiError::field("artifact", m.to_string()),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(Published { model, receipt })))
}

/// The ledger's latest signed checkpoint and public key, to verify receipts against.
#[derive(Serialize, ToSchema)]
pub struct LedgerHead {
    /// Entries in the log.
    pub size: u64,
    /// The signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    /// The verifier key (C2SP note verifier).
    pub verifier_key: String,
}

/// The ledger head; public, since receipts are verified by anyone.
#[utoipa::path(get, path = "/v1/ledger/checkpoint", tag = "ledger",
    responses((status = 200, body = LedgerHead)))]
pub async fn checkpoint(State(state): Shared) -> ApiResult<Json<LedgerHead>> {
    let (head, key) = state.platform.ledger_head().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "no checkpoint yet",
        )
    })?;
    Ok(Json(LedgerHead {
        size: head.checkpoint.size,
        checkpoint: head.note,
        verifier_key: key.encode(),
    }))
}

/// Ledger entries whose request was never answered (a crash between the ledger append and the
/// record): operator and regulators.
#[utoipa::path(get, path = "/v1/ledger/unacknowledged", tag = "ledger", security(("bearer" = [])),
    responses((status = 200, body = Vec<Unacknowledged>)))]
pub async fn unacknowledged(
    State(state): Shared,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<Unacknowledged>>> {
    Ok(Json(state.platform.unacknowledged(&who).await?))
}

/// Admin actions (institutions added, keys issued and revoked, champion changes), newest
/// first, each with its ledger leaf: operator and regulators.
#[utoipa::path(get, path = "/v1/admin/actions", tag = "ledger", security(("bearer" = [])),
    params(Limit), responses((status = 200, body = Vec<AdminAction>), (status = 422, body = ErrorBody)))]
pub async fn admin_actions(
    State(state): Shared,
    Caller(who): Caller,
    Paged(page): Paged,
) -> ApiResult<Json<Vec<AdminAction>>> {
    Ok(Json(state.platform.admin_actions(&who, page.limit).await?))
}

/// The id in a path. One that no record could have is "not found", exactly like an id that
/// could exist but does not (or is another institution's): a path names a resource.
/// A path segment as text. A segment that is not UTF-8 (`%FF`) cannot name anything: a JSON
/// 404 like any other unknown record, never the framework's plain-text 400.
pub struct PathText(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathText {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(text)| PathText(text))
            .map_err(|_| ApiError::not_found("id", "no such record: the path is not UTF-8"))
    }
}

pub(crate) fn path_id(what: &str, text: &str) -> Result<Id, ApiError> {
    Id::parse("id", text).map_err(|_| {
        ApiError::not_found(
            "id",
            format!("{what} {} not found", xinrong_platform::fields::shown(text)),
        )
    })
}

/// Any route that does not exist.
pub async fn fallback() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see /openapi.json",
    )
}

/// A route that exists, asked with a method it does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see /openapi.json",
    )
}
