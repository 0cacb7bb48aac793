//! Request metrics (Prometheus) and logs. Labels are the route template (`/v1/queries/{id}`),
//! never the concrete path, so no identifier reaches a metric or a log line; request and
//! response bodies and headers are never logged.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: fine below 10 ms, where the service should live.
const BUCKETS: [f64; 14] = [
    0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// The process-wide Prometheus recorder (installed on first use).
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .expect("buckets are not empty")
                .install_recorder()
                .expect("no other metrics recorder is installed in this process")
        })
        .clone()
}

/// The method as a label: the standard methods by name, anything else as `other`, so that
/// invented methods cannot create series without bound.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Counts and times every request by method, route and status. Labels take few values:
/// route templates (`unmatched` for any path no route has), standard methods (`other` for
/// the rest) and status codes.
pub async fn track(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let status = response.status();
    let seconds = start.elapsed().as_secs_f64();
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("xinrong_http_requests_total", &labels).increment(1);
    metrics::histogram!("xinrong_http_request_duration_seconds", &labels).record(seconds);
    if status.is_server_error() {
        metrics::counter!("xinrong_http_errors_total", &labels).increment(1);
        tracing::warn!(method = %labels[0].1, route = %labels[1].1, status = status.as_u16(), seconds, "request failed");
    } else {
        tracing::debug!(method = %labels[0].1, route = %labels[1].1, status = status.as_u16(), seconds, "request");
    }
    response
}
