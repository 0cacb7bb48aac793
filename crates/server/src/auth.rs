//! The caller of a request, from its bearer token, with the rate limits applied: failed
//! authentications per client address before the key is checked, the institution's budget on
//! the route after.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use xinrong_platform::{PlatformError, Principal};

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated institution.
pub struct Caller(pub Principal);

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive
/// (RFC 9110 §11.1).
fn bearer(parts: &Parts) -> Option<&str> {
    // Two Authorization headers name two callers: neither is taken.
    if parts.headers.get_all(AUTHORIZATION).iter().count() > 1 {
        return None;
    }
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// `METHOD /template` of the matched route, as limits name routes.
pub fn route_of(parts: &Parts) -> String {
    let template = parts
        .extensions
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str());
    format!("{} {template}", parts.method.as_str())
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(ip) = address {
            state.throttle.check_address(ip)?;
        }
        let verified = match bearer(parts) {
            Some(token) => state.platform.authenticate(token).await,
            None => Err(PlatformError::Unauthorized),
        };
        let who = match verified {
            Ok(who) => who,
            Err(e) => {
                if let (Some(ip), PlatformError::Unauthorized) = (address, &e) {
                    state.throttle.failed(ip);
                }
                return Err(e.into());
            }
        };
        state.throttle.request(&who.id, &route_of(parts))?;
        Ok(Caller(who))
    }
}
