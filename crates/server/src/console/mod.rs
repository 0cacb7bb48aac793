//! The web console: server-rendered pages for every role, over the same platform calls and
//! the same access checks as the API (a page shows what the caller's key may see through the
//! API, nothing more). Templates and assets are compiled into the binary; pages work without
//! JavaScript. See `docs/console.md`.

mod charts;
mod credit;
mod enterprise;
mod format;
mod institution;
mod labels;
mod oversight;
mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::{
    ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use serde::Deserialize;
use xinrong_platform::{Institution, Kind, PlatformError, Principal};

pub use labels::Lang;
pub use session::Sessions;
use session::{LANG_COOKIE, SESSION_COOKIE, Session, cookie, same_secret, session_cookie};

use crate::error::ApiError;
use crate::state::AppState;

type Shared = State<Arc<AppState>>;

/// How long a console session lasts without a request.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The console's templates and sessions.
pub struct Console {
    env: Environment<'static>,
    /// Open sessions.
    pub sessions: Sessions,
    /// Whether the server terminates TLS itself (session cookies are then `Secure`).
    tls: bool,
}

const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../console/templates/base.html"),
    ),
    (
        "sign_in.html",
        include_str!("../../console/templates/sign_in.html"),
    ),
    (
        "error.html",
        include_str!("../../console/templates/error.html"),
    ),
    (
        "portrait.html",
        include_str!("../../console/templates/portrait.html"),
    ),
    (
        "queried.html",
        include_str!("../../console/templates/queried.html"),
    ),
    (
        "consents.html",
        include_str!("../../console/templates/consents.html"),
    ),
    (
        "home.html",
        include_str!("../../console/templates/home.html"),
    ),
    (
        "enterprise.html",
        include_str!("../../console/templates/enterprise.html"),
    ),
    (
        "queries.html",
        include_str!("../../console/templates/queries.html"),
    ),
    (
        "query.html",
        include_str!("../../console/templates/query.html"),
    ),
    (
        "_score.html",
        include_str!("../../console/templates/_score.html"),
    ),
    (
        "_assets.html",
        include_str!("../../console/templates/_assets.html"),
    ),
    (
        "search.html",
        include_str!("../../console/templates/search.html"),
    ),
    (
        "data.html",
        include_str!("../../console/templates/data.html"),
    ),
    (
        "matches.html",
        include_str!("../../console/templates/matches.html"),
    ),
    (
        "decisions.html",
        include_str!("../../console/templates/decisions.html"),
    ),
    (
        "decision.html",
        include_str!("../../console/templates/decision.html"),
    ),
    (
        "flows.html",
        include_str!("../../console/templates/flows.html"),
    ),
    (
        "entry.html",
        include_str!("../../console/templates/entry.html"),
    ),
    (
        "loans.html",
        include_str!("../../console/templates/loans.html"),
    ),
    (
        "loan.html",
        include_str!("../../console/templates/loan.html"),
    ),
    (
        "alerts.html",
        include_str!("../../console/templates/alerts.html"),
    ),
    (
        "ledger.html",
        include_str!("../../console/templates/ledger.html"),
    ),
    (
        "models.html",
        include_str!("../../console/templates/models.html"),
    ),
    (
        "market.html",
        include_str!("../../console/templates/market.html"),
    ),
    (
        "guarantees.html",
        include_str!("../../console/templates/guarantees.html"),
    ),
    (
        "quarantine.html",
        include_str!("../../console/templates/quarantine.html"),
    ),
    (
        "_pager.html",
        include_str!("../../console/templates/_pager.html"),
    ),
];

const CSS: &str = include_str!("../../console/assets/console.css");
const JS: &str = include_str!("../../console/assets/console.js");
const FAVICON: &str = include_str!("../../console/assets/favicon.svg");

impl Console {
    /// The console, its templates parsed once (a template that does not parse stops the
    /// server at start, and the tests).
    pub fn new(tls: bool) -> Console {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("console template {name}: {e}"));
        }
        format::add_filters(&mut env);
        Console {
            env,
            sessions: Sessions::new(IDLE_TIMEOUT),
            tls,
        }
    }
}

/// The console's routes, under `/console`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/lang/{code}", get(set_lang))
        .route("/console/assets/{file}", get(asset))
        .route("/console/me", get(enterprise::portrait))
        .route("/console/me/queries", get(enterprise::queried))
        .route(
            "/console/me/consents",
            get(enterprise::consents).post(enterprise::grant),
        )
        .route("/console/me/consents/{id}/revoke", post(enterprise::revoke))
        .route("/console/lookup", get(institution::lookup))
        .route("/console/enterprises/{uscc}", get(institution::enterprise))
        .route(
            "/console/enterprises/{uscc}/query",
            post(institution::score_query),
        )
        .route(
            "/console/enterprises/{uscc}/matches",
            post(institution::matches),
        )
        .route("/console/queries", get(institution::queries))
        .route("/console/queries/{id}", get(institution::query))
        .route("/console/alerts", get(institution::alerts))
        .route("/console/alerts/{id}", post(institution::act_on_alert))
        .route(
            "/console/ledger",
            get(oversight::ledger).post(oversight::verify),
        )
        .route(
            "/console/models",
            get(oversight::models)
                .post(oversight::publish)
                .layer(axum::extract::DefaultBodyLimit::max(crate::MODEL_LIMIT)),
        )
        .route(
            "/console/models/{version}/report",
            get(oversight::model_report),
        )
        .route("/console/market", get(oversight::market))
        .route("/console/ledger/entries/{index}", get(oversight::entry))
        .route("/console/search", get(institution::search))
        .route("/console/decisions", get(credit::decisions))
        .route("/console/decisions/{id}", get(credit::decision))
        .route("/console/flows", get(credit::flows))
        .route("/console/loans", get(credit::loans))
        .route("/console/guarantees", get(credit::guarantees))
        .route("/console/loans/{id}", get(credit::loan))
        .route("/console/data", get(oversight::data))
        .route("/console/data/{id}", get(oversight::quarantine))
        .route("/console/{*rest}", get(not_found).post(not_found))
        // Every answer under /console, extractor rejections included, carries the headers.
        .layer(axum::middleware::map_response(|r: Response| async move {
            harden(r)
        }))
}

/// Headers every console answer carries: no caching of pages with credit data, no framing,
/// no script or style from anywhere but the console itself.
fn harden(mut response: Response) -> Response {
    let h = response.headers_mut();
    // A handler may have set a narrower policy for a document of its own (a model report).
    h.entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ));
    h.entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

/// The language of a request.
fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::choose(
        cookie(headers, LANG_COOKIE),
        headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    )
}

/// A signed-in request: the institution (authenticated by its key, as the API does), its
/// session and language. Without a live session the request is sent to the sign-in page.
pub struct Signed {
    who: Principal,
    session: Session,
    lang: Lang,
}

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let session =
            cookie(&parts.headers, SESSION_COOKIE).and_then(|id| state.console.sessions.get(id));
        let Some(session) = session else {
            return Err(to_sign_in(true));
        };
        let who = match state.platform.authenticate(&session.key).await {
            Ok(who) => who,
            Err(PlatformError::Unauthorized) => return Err(to_sign_in(true)),
            Err(e) => return Err(page_error(state, lang, None, e.into())),
        };
        // The institution's rate limits apply to the console as to the API: a page that does
        // what an API route does spends that route's budget.
        let route = crate::auth::route_of(parts);
        if let Err(e) = state.throttle.request(&who.id, budget_of(&route)) {
            return Err(page_error(state, lang, None, e));
        }
        Ok(Signed { who, session, lang })
    }
}

/// The API route whose rate limit a console route spends (its own otherwise).
fn budget_of(route: &str) -> &str {
    match route {
        "POST /console/enterprises/{uscc}/query" => "POST /v1/scores",
        "POST /console/enterprises/{uscc}/matches" => "POST /v1/matches",
        "POST /console/me/consents" => "POST /v1/consents",
        "POST /console/alerts/{id}" => "POST /v1/alerts/{id}/acknowledge",
        "POST /console/me/consents/{id}/revoke" => "POST /v1/consents/{id}/revoke",
        other => other,
    }
}

fn redirect(to: &str) -> Response {
    harden((StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response())
}

fn to_sign_in(expired: bool) -> Response {
    redirect(if expired {
        "/console/sign-in?expired=1"
    } else {
        "/console/sign-in"
    })
}

/// The first page of a role.
fn home_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Enterprise => "/console/me",
        Kind::Bank | Kind::Guarantor | Kind::Regulator | Kind::Operator => "/console/",
    }
}

/// Navigation of a role: (path, label key).
fn nav_of(kind: Kind) -> Vec<(&'static str, &'static str)> {
    match kind {
        Kind::Enterprise => vec![
            ("/console/me", "nav_portrait"),
            ("/console/me/queries", "nav_queried_me"),
            ("/console/me/consents", "nav_consents"),
        ],
        Kind::Bank => vec![
            ("/console/", "nav_home"),
            ("/console/search", "nav_search"),
            ("/console/queries", "nav_queries"),
            ("/console/decisions", "nav_decisions"),
            ("/console/flows", "nav_flows"),
            ("/console/guarantees", "nav_guarantees"),
            ("/console/loans", "nav_loans"),
            ("/console/alerts", "nav_alerts"),
            ("/console/ledger", "nav_ledger"),
        ],
        Kind::Guarantor => vec![
            ("/console/", "nav_home"),
            ("/console/search", "nav_search"),
            ("/console/queries", "nav_queries"),
            ("/console/guarantees", "nav_guarantees"),
            ("/console/loans", "nav_loans"),
            ("/console/alerts", "nav_alerts"),
            ("/console/ledger", "nav_ledger"),
        ],
        Kind::Regulator => vec![
            ("/console/", "nav_home"),
            ("/console/market", "nav_market"),
            ("/console/search", "nav_search"),
            ("/console/data", "nav_data"),
            ("/console/queries", "nav_queries"),
            ("/console/decisions", "nav_decisions"),
            ("/console/guarantees", "nav_guarantees"),
            ("/console/loans", "nav_loans"),
            ("/console/models", "nav_models"),
            ("/console/ledger", "nav_ledger"),
        ],
        Kind::Operator => vec![
            ("/console/", "nav_home"),
            ("/console/market", "nav_market"),
            ("/console/search", "nav_search"),
            ("/console/data", "nav_data"),
            ("/console/models", "nav_models"),
            ("/console/ledger", "nav_ledger"),
        ],
    }
}

/// Renders a page of a signed-in caller: the template's own context plus the words, the
/// caller, the navigation and the session's CSRF token.
fn page(state: &AppState, signed: &Signed, name: &str, path: &str, ctx: Value) -> Response {
    let who: &Institution = &signed.who;
    let nav: Vec<Value> = nav_of(who.kind)
        .into_iter()
        .map(|(href, key)| context! { href, key, current => href == path })
        .collect();
    let common = context! {
        me => context! { name => who.name.clone(), id => who.id.clone(), role => format!("role_{}", who.kind.as_str()) },
        nav,
        csrf => signed.session.csrf.clone(),
        path,
    };
    render(state, signed.lang, name, context! { ..common, ..ctx })
}

fn render(state: &AppState, lang: Lang, name: &str, ctx: Value) -> Response {
    let all = context! {
        t => Value::from_serialize(labels::words(lang)),
        lang => lang.code(),
        ..ctx
    };
    let rendered = state
        .console
        .env
        .get_template(name)
        .and_then(|t| t.render(all));
    match rendered {
        Ok(html) => harden(([(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()),
        Err(e) => {
            tracing::error!(error = %e, template = name, "a console page did not render");
            harden(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "internal error; the operator's log has the details",
                )
                    .into_response(),
            )
        }
    }
}

/// An error page with the API's status and message for the same failure.
fn page_error(state: &AppState, lang: Lang, signed: Option<&Signed>, e: ApiError) -> Response {
    let status = e.status();
    let title = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::FORBIDDEN => "forbidden",
        _ => "error",
    };
    let ctx = context! { status => status.as_u16(), title, message => e.message().to_string() };
    let mut response = match signed {
        Some(s) => page(state, s, "error.html", "", ctx),
        None => render(
            state,
            lang,
            "error.html",
            context! { me => (), nav => Vec::<Value>::new(), csrf => "", path => "", ..ctx },
        ),
    };
    *response.status_mut() = status;
    if let Some(seconds) = e.retry_after() {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// An error page on its way out (boxed: a response is large, and errors are the rare path).
pub struct Refusal(Box<Response>);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for Refusal {
    fn from(r: Response) -> Refusal {
        Refusal(Box::new(r))
    }
}

/// What a page handler returns: a page, or an error page.
type PageResult = Result<Response, Refusal>;

/// Turns a platform failure into the error page (the same status as the API's answer).
fn fail(state: &AppState, signed: &Signed) -> impl FnOnce(PlatformError) -> Response {
    move |e| page_error(state, signed.lang, Some(signed), e.into())
}

/// The fields of a form, or the error page for a body that is not one (a body too large is
/// 413, one that does not parse 400), before anything else is looked at.
fn form_of<T>(
    state: &AppState,
    signed: &Signed,
    form: Result<axum::Form<T>, axum::extract::rejection::FormRejection>,
) -> Result<T, Refusal> {
    form.map(|f| f.0).map_err(|rejection| {
        Refusal::from(page_error(
            state,
            signed.lang,
            Some(signed),
            ApiError::new(rejection.status(), "bad_form", rejection.body_text()),
        ))
    })
}

/// Credit activity in aggregate for the roles that read it (a bank its own, a regulator
/// everyone's); none for the others.
async fn credit_activity(
    state: &AppState,
    signed: &Signed,
) -> Result<Option<serde_json::Value>, Refusal> {
    if !matches!(
        signed.who.kind,
        Kind::Bank | Kind::Guarantor | Kind::Regulator
    ) {
        return Ok(None);
    }
    let mut summary = state
        .platform
        .credit_summary(&signed.who)
        .await
        .map_err(fail(state, signed))?;
    let t = labels::words(signed.lang);
    let yuan = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let trend: Vec<(String, f64, f64)> = summary["trend"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let month = p["month_end"].as_str().unwrap_or_default();
            (
                month.get(2..7).unwrap_or(month).to_string(),
                yuan(&p["outstanding"]),
                yuan(&p["non_performing"]),
            )
        })
        .collect();
    let exposure: Vec<(String, &str, u64)> = summary["exposure_by_grade"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|g| {
            let grade = g["grade"].as_str().unwrap_or_default();
            let label = if grade == "unscored" {
                t["unscored"]
            } else {
                grade
            };
            (
                label.to_string(),
                "blue",
                (yuan(&g["outstanding"]) / 1e4).round() as u64,
            )
        })
        .collect();
    summary["trend_chart"] = charts::columns(t["book_trend"], &trend).into();
    summary["exposure_chart"] = charts::bars(t["exposure_by_grade"], &exposure).into();
    Ok(Some(summary))
}

/// Refuses a form whose CSRF token is not the session's (403).
fn check_csrf(state: &AppState, signed: &Signed, token: &str) -> Result<(), Refusal> {
    if same_secret(token, &signed.session.csrf) {
        return Ok(());
    }
    let mut r = page(
        state,
        signed,
        "error.html",
        "",
        context! { status => 403, title => "forbidden", message => labels::words(signed.lang)["csrf_refused"] },
    );
    *r.status_mut() = StatusCode::FORBIDDEN;
    Err(r.into())
}

async fn not_found(State(state): Shared, headers: HeaderMap) -> Response {
    page_error(
        &state,
        lang_of(&headers),
        None,
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page"),
    )
}

async fn home(State(state): Shared, signed: Signed) -> PageResult {
    match signed.who.kind {
        Kind::Enterprise => Ok(redirect(home_of(Kind::Enterprise))),
        Kind::Bank | Kind::Guarantor => institution::home(&state, &signed).await,
        Kind::Regulator | Kind::Operator => oversight::home(&state, &signed).await,
    }
}

#[derive(Deserialize)]
struct SignInQuery {
    expired: Option<String>,
}

async fn sign_in_page(
    State(state): Shared,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    let lang = lang_of(&headers);
    render(
        &state,
        lang,
        "sign_in.html",
        context! { expired => q.expired.is_some(), failed => false, me => (), nav => Vec::<Value>::new(), csrf => "", path => "/console/sign-in" },
    )
}

#[derive(Deserialize)]
struct SignInForm {
    key: String,
}

/// Whether a form was sent from the console's own pages: a browser that says where a request
/// comes from (`Sec-Fetch-Site`, `Origin`) must say this site; a client that says nothing (an
/// old browser, a script) is let through, since it carries no other site's cookies.
fn same_site(headers: &HeaderMap) -> bool {
    let fetch = headers
        .get("sec-fetch-site")
        .map(|v| matches!(v.as_bytes(), b"same-origin" | b"none"));
    let origin = headers.get(axum::http::header::ORIGIN).map(|o| {
        let host = headers
            .get(axum::http::header::HOST)
            .map(HeaderValue::as_bytes)
            .unwrap_or_default();
        let o = o.as_bytes();
        let o = o
            .strip_prefix(b"https://")
            .or_else(|| o.strip_prefix(b"http://"))
            .unwrap_or(o);
        o == host
    });
    fetch.unwrap_or(true) && origin.unwrap_or(true)
}

fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.console.tls
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// Exchanges a key for a session. Failed attempts count against the client's address exactly
/// as failed API authentications do.
async fn sign_in(
    State(state): Shared,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    form: Result<axum::Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = lang_of(&headers);
    if !same_site(&headers) {
        let e = ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "sign in from the console's own page",
        );
        return page_error(&state, lang, None, e);
    }
    let ip = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = ip
        && let Err(e) = state.throttle.check_address(ip)
    {
        return page_error(&state, lang, None, e);
    }
    let key = match form {
        Ok(f) => f.0.key.trim().to_string(),
        Err(rejection) => {
            let e = ApiError::new(rejection.status(), "bad_form", rejection.body_text());
            return page_error(&state, lang, None, e);
        }
    };
    let verified = if key.is_empty() || key.len() > 512 {
        Err(PlatformError::Unauthorized)
    } else {
        state.platform.authenticate(&key).await
    };
    match verified {
        Ok(who) => {
            let id = state.console.sessions.open(key);
            let mut r = redirect(home_of(who.kind));
            if let Ok(v) =
                HeaderValue::from_str(&session_cookie(Some(&id), secure(&state, &headers)))
            {
                r.headers_mut().insert(SET_COOKIE, v);
            }
            r
        }
        Err(PlatformError::Unauthorized) => {
            if let Some(ip) = ip {
                state.throttle.failed(ip);
            }
            let mut r = render(
                &state,
                lang,
                "sign_in.html",
                context! { expired => false, failed => true, me => (), nav => Vec::<Value>::new(), csrf => "", path => "/console/sign-in" },
            );
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        Err(e) => page_error(&state, lang, None, e.into()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(state): Shared,
    headers: HeaderMap,
    signed: Signed,
    form: Result<axum::Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let form = form_of(&state, &signed, form)?;
    check_csrf(&state, &signed, &form.csrf)?;
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        state.console.sessions.close(id);
    }
    let mut r = redirect("/console/sign-in");
    if let Ok(v) = HeaderValue::from_str(&session_cookie(None, secure(&state, &headers))) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Switches the language (remembered in a cookie for a year) and goes back to a console page.
/// A path to return to after switching language: a console page, nothing that could leave
/// the console or act (no dot segments, escapes, query or second slash).
fn safe_return(path: &str) -> bool {
    path.starts_with("/console")
        && path.len() <= 200
        && !path.contains("//")
        && !path.contains("..")
        && !path
            .chars()
            .any(|c| matches!(c, '\\' | '%' | '?' | '#') || c.is_control())
}

async fn set_lang(Path(code): Path<String>, Query(next): Query<Next>) -> Response {
    let lang = match code.as_str() {
        "en" => "en",
        _ => "zh",
    };
    // Only a console path: never a redirect to another site.
    let back = next
        .next
        .filter(|n| safe_return(n))
        .unwrap_or_else(|| "/console/".into());
    let mut r = redirect(&back);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={lang}; Path=/console; Max-Age=31536000; SameSite=Lax"
    )) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return harden(StatusCode::NOT_FOUND.into_response()),
    };
    let mut r = harden(([(CONTENT_TYPE, kind)], body).into_response());
    r.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_file_is_compiled_in_and_parses() {
        let console = Console::new(false);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/console/templates");
        for file in std::fs::read_dir(dir).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                console.env.get_template(&name).is_ok(),
                "{name} is not in TEMPLATES"
            );
        }
    }
}
