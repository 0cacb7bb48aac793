//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

/// The API's description, served at `/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Xinrong (信融) platform API",
        description = "Consent-gated credit scores for technology SMEs, with ledger receipts."
    ),
    paths(
        routes::health, routes::ready, routes::metrics, routes::me,
        routes::register_enterprise, routes::upload, routes::grant, routes::revoke,
        routes::consents, routes::score, routes::queries, routes::query, routes::portrait,
        routes::models, routes::publish, routes::checkpoint
    ),
    modifiers(&Bearer),
    tags(
        (name = "scores", description = "Score queries by banks and guarantors"),
        (name = "consents", description = "Enterprises authorise and revoke access"),
        (name = "enterprises", description = "Registration, data upload, portrait"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
