//! The platform's HTTP/JSON API (axum): routes, the OpenAPI document, Prometheus metrics,
//! body limits, timeouts and graceful shutdown.
//!
//! The server holds no rules of its own: it authenticates the caller, parses the request and
//! hands it to [`xinrong_platform::Platform`]. It knows nothing of how models are fitted.
#![deny(missing_docs)]

mod alert_routes;
mod auth;
mod body;
mod console;
mod credit_routes;
mod error;
mod financing_routes;
mod guarantee_routes;
mod listen;
mod loan_routes;
mod openapi;
mod routes;
mod state;
mod telemetry;
mod throttle;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use utoipa::OpenApi as _;
use xinrong_platform::Platform;

pub use error::ApiError;
pub use listen::{JsonParseErrors, TlsError, tls_acceptor, url};
pub use openapi::ApiDoc;
pub use state::AppState;
pub use throttle::{Limits, Rate};
/// A TLS acceptor built by [`tls_acceptor`].
pub use tokio_rustls::TlsAcceptor;

/// Largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;
/// Largest model artifact accepted (a model with its candidate bins and logs).
pub const MODEL_LIMIT: usize = 32 * 1024 * 1024;
/// Largest data upload accepted.
pub const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How a server runs beyond its platform.
#[derive(Clone, Default)]
pub struct ServeOptions {
    /// Rate limits.
    pub limits: Limits,
    /// TLS, when the server terminates it itself.
    pub tls: Option<TlsAcceptor>,
}

/// Answers 408 (in the API's JSON error shape) when a request takes longer than
/// [`REQUEST_TIMEOUT`].
async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request took longer than {} s",
                REQUEST_TIMEOUT.as_secs()
            ),
        )
        .into_response(),
    }
}

/// The router over `platform`.
pub fn router(platform: Arc<Platform>, limits: &Limits, tls: bool) -> (Router, Arc<AppState>) {
    let state = Arc::new(AppState {
        platform,
        console: console::Console::new(tls),
        metrics: telemetry::recorder(),
        accepting: AtomicBool::new(true),
        throttle: throttle::Throttle::new(limits),
    });
    let doc = ApiDoc::openapi()
        .to_json()
        .expect("the OpenAPI document serialises");
    let uploads = Router::new()
        .route("/v1/enterprises/{uscc}/data/{source}", post(routes::upload))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT));
    let models = Router::new()
        .route("/v1/models", get(routes::models).post(routes::publish))
        .layer(DefaultBodyLimit::max(MODEL_LIMIT));
    let api = Router::new()
        .route("/health", get(routes::health))
        .route("/ready", get(routes::ready))
        .route("/metrics", get(routes::metrics))
        .route(
            "/openapi.json",
            get(move || async move { ([("content-type", "application/json")], doc) }),
        )
        .route("/v1/me", get(routes::me))
        .route("/v1/enterprises", post(routes::register_enterprise))
        .route("/v1/consents", post(routes::grant).get(routes::consents))
        .route("/v1/consents/{id}/revoke", post(routes::revoke))
        .route("/v1/scores", post(routes::score))
        .route("/v1/matches", post(financing_routes::matches))
        .route("/v1/limits", post(financing_routes::limits))
        .route("/v1/signals", get(financing_routes::signals))
        .route("/v1/decisions", post(credit_routes::decide))
        .route("/v1/decisions/{id}", get(credit_routes::decision))
        .route(
            "/v1/flows",
            get(credit_routes::flows).post(credit_routes::submit_flow),
        )
        .route(
            "/v1/flows/{version}/approve",
            post(credit_routes::approve_flow),
        )
        .route(
            "/v1/flows/{version}/promote",
            post(credit_routes::promote_flow),
        )
        .route(
            "/v1/flows/{version}/replay",
            post(credit_routes::replay_flow),
        )
        .route(
            "/v1/agreements",
            get(guarantee_routes::list).post(guarantee_routes::sign),
        )
        .route(
            "/v1/guarantees",
            get(guarantee_routes::list_guarantees).post(guarantee_routes::guarantee),
        )
        .route("/v1/loans", post(loan_routes::book))
        .route("/v1/loans/{id}", get(loan_routes::loan))
        .route("/v1/loans/{id}/events", post(loan_routes::event))
        .route("/v1/credit/summary", get(loan_routes::summary))
        .route("/v1/market", get(routes::market))
        .route("/v1/alerts", get(alert_routes::list))
        .route(
            "/v1/alerts/{id}/acknowledge",
            post(alert_routes::acknowledge),
        )
        .route("/v1/alerts/{id}/resolve", post(alert_routes::resolve))
        .route("/v1/queries", get(routes::queries))
        .route("/v1/queries/{id}", get(routes::query))
        .route("/v1/portrait", get(routes::portrait))
        .route("/v1/portrait/queries", get(routes::queries_about_me))
        .route("/v1/ledger/checkpoint", get(routes::checkpoint))
        .route("/v1/ledger/unacknowledged", get(routes::unacknowledged))
        .route("/v1/admin/actions", get(routes::admin_actions))
        .layer(DefaultBodyLimit::max(JSON_LIMIT));
    let router = api
        .merge(uploads)
        .merge(models)
        .merge(console::routes().layer(DefaultBodyLimit::max(JSON_LIMIT)))
        .fallback(routes::fallback)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(axum::middleware::from_fn(telemetry::track))
        .layer(axum::middleware::from_fn(time_limit))
        .with_state(Arc::clone(&state));
    (router, state)
}

/// Serves `platform` on `listener` until `shutdown` resolves, then stops accepting, finishes
/// the requests in flight and returns.
pub async fn serve(
    platform: Arc<Platform>,
    listener: tokio::net::TcpListener,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (router, state) = router(platform, &options.limits, options.tls.is_some());
    let drain = Arc::clone(&state);
    let weak = Arc::downgrade(&state);
    let janitor = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { break };
            state.throttle.forget_idle();
            state.console.sessions.forget_idle();
        }
    });
    let served = listen::serve(listener, router, options.tls, async move {
        shutdown.await;
        drain.accepting.store(false, Ordering::Relaxed);
        tracing::info!("shutting down: finishing requests in flight");
    })
    .await;
    janitor.abort();
    served
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
