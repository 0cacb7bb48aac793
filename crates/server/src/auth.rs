//! The caller of a request, from its bearer token.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use xinrong_platform::{PlatformError, Principal};

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated institution.
pub struct Caller(pub Principal);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(PlatformError::Unauthorized)?;
        Ok(Caller(
            state.platform.access.authenticate(token.trim()).await?,
        ))
    }
}
