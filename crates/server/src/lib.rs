//! The platform's HTTP/JSON API (axum): routes, the OpenAPI document, Prometheus metrics,
//! body limits, timeouts and graceful shutdown.
//!
//! The server holds no rules of its own: it authenticates the caller, parses the request and
//! hands it to [`xinrong_platform::Platform`]. It knows nothing of how models are fitted.
#![deny(missing_docs)]

mod auth;
mod body;
mod error;
mod openapi;
mod routes;
mod state;
mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi as _;
use xinrong_platform::Platform;

pub use error::ApiError;
pub use openapi::ApiDoc;
pub use state::AppState;

/// Largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;
/// Largest model artifact accepted (a model with its candidate bins and logs).
pub const MODEL_LIMIT: usize = 32 * 1024 * 1024;
/// Largest data upload accepted.
pub const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The router over `platform`.
pub fn router(platform: Arc<Platform>) -> (Router, Arc<AppState>) {
    let state = Arc::new(AppState {
        platform,
        metrics: telemetry::recorder(),
        accepting: AtomicBool::new(true),
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
        .route("/v1/queries", get(routes::queries))
        .route("/v1/queries/{id}", get(routes::query))
        .route("/v1/portrait", get(routes::portrait))
        .route("/v1/portrait/queries", get(routes::queries_about_me))
        .route("/v1/ledger/checkpoint", get(routes::checkpoint))
        .layer(DefaultBodyLimit::max(JSON_LIMIT));
    let router = api
        .merge(uploads)
        .merge(models)
        .fallback(routes::fallback)
        .layer(axum::middleware::from_fn(telemetry::track))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(Arc::clone(&state));
    (router, state)
}

/// Serves `platform` on `listener` until `shutdown` resolves, then stops accepting, finishes
/// the requests in flight and returns.
pub async fn serve(
    platform: Arc<Platform>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (router, state) = router(platform);
    let drain = Arc::clone(&state);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        drain.accepting.store(false, Ordering::Relaxed);
        tracing::info!("shutting down: finishing requests in flight");
    })
    .await
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
