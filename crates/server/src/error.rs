//! Errors as HTTP answers: a status and `{"error": {"status", "code", "message", "field"}}`.
//! Every answer the server gives on its own (a bad body, a timeout, a limit, an unknown route
//! or method, even a request line too long for the HTTP parser) has this shape.

use axum::Json;
use axum::http::header::{CONNECTION, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use xinrong_platform::PlatformError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after: Option<u64>,
}

/// The body of an error answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// HTTP status.
    pub status: u16,
    /// Stable machine-readable code (`unauthorized`, `no_consent`, `invalid`, …).
    pub code: &'static str,
    /// What happened and what to do.
    pub message: String,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// An answer with this status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// A bad field (422).
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_string()),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{field}: {}", message.into()),
            )
        }
    }

    /// A malformed body or query: not JSON, or an unknown, missing or mistyped field (400).
    pub fn bad_json(field: Option<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            field,
            ..ApiError::new(StatusCode::BAD_REQUEST, "bad_json", message)
        }
    }

    /// Not found, naming the field that named the missing record.
    pub fn not_found(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_string()),
            ..ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
        }
    }

    /// Too many requests: try again after `seconds`.
    pub fn too_many(message: impl Into<String>, seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds.max(1)),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What happened, as the caller is told.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Seconds to wait before asking again (rate limits).
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The answer's bytes, for the few answers written below the router (a request line too
    /// long for the HTTP parser).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body()).expect("an error body serialises")
    }

    fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                status: self.status.as_u16(),
                code: self.code,
                message: self.message.clone(),
                field: self.field.clone(),
            },
        }
    }
}

impl From<PlatformError> for ApiError {
    fn from(e: PlatformError) -> ApiError {
        let message = e.to_string();
        let (status, code) = match &e {
            PlatformError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            PlatformError::Forbidden { code, .. } => (StatusCode::FORBIDDEN, *code),
            PlatformError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            PlatformError::Invalid { field, .. } => {
                return ApiError {
                    field: Some(field.clone()),
                    ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
                };
            }
            PlatformError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            PlatformError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            // The ledger's writer stopped after a failed write: nothing more is answered until
            // a restart recovers the log, so callers are told to come back, not that they erred.
            PlatformError::Ledger(xinrong_ledger::LedgerError::WriterStopped(_)) => {
                tracing::error!(error = %e, "the ledger writer has stopped");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ledger_stopped",
                    "the ledger cannot take entries until the service restarts; the operator's log has the details",
                );
            }
            PlatformError::LedgerDamaged(_) => (StatusCode::SERVICE_UNAVAILABLE, "ledger_damaged"),
            PlatformError::Ingest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_data"),
            PlatformError::Model(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_model"),
            PlatformError::Db(_)
            | PlatformError::Migrate(_)
            | PlatformError::Ledger(_)
            | PlatformError::Io { .. } => {
                // The detail goes to the log, not to the caller.
                tracing::error!(error = %e, "internal error");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; the operator's log has the details",
                );
            }
        };
        ApiError::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(s));
        }
        // A body too large is not read: the connection closes after the answer, and says so,
        // so that no client sends its next request on a connection about to close.
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
