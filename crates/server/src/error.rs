//! Errors as HTTP answers: a status and `{"error": {"status", "code", "message", "field"}}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
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
        }
    }

    /// A bad field.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
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
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "invalid",
                    message,
                    field: Some(field.clone()),
                };
            }
            PlatformError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            PlatformError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
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

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let status = r.status();
        let text = r.body_text();
        // serde names the path of the bad field before the first ':' of its message.
        let field = text
            .split_once(": ")
            .and_then(|(_, rest)| rest.split_once(':'))
            .map(|(path, _)| path.trim().to_string())
            .filter(|p| !p.contains(' ') && !p.is_empty());
        let missing = text
            .split("missing field `")
            .nth(1)
            .and_then(|t| t.split('`').next())
            .map(str::to_string);
        let unknown = text
            .split("unknown field `")
            .nth(1)
            .and_then(|t| t.split('`').next())
            .map(str::to_string);
        ApiError {
            status: if matches!(
                status,
                StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE
            ) {
                status
            } else {
                StatusCode::BAD_REQUEST
            },
            code: "bad_json",
            message: text,
            field: unknown.or(missing).or(field),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                status: self.status.as_u16(),
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
