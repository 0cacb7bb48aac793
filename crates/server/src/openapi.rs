//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::{alert_routes, credit_routes, financing_routes, guarantee_routes, loan_routes, routes};

/// The API's description, served at `/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Xinrong (信融) platform API",
        description = "Consent-gated credit scores and financing answers for technology SMEs, with ledger receipts."
    ),
    paths(
        routes::health, routes::ready, routes::metrics, routes::me,
        routes::register_enterprise, routes::upload, routes::grant, routes::revoke,
        routes::consents, routes::score, routes::queries, routes::query, routes::portrait,
        routes::queries_about_me, financing_routes::matches, financing_routes::limits,
        financing_routes::signals, credit_routes::decide, credit_routes::decision,
        credit_routes::flows, credit_routes::submit_flow, credit_routes::approve_flow,
        credit_routes::promote_flow, credit_routes::replay_flow,
        guarantee_routes::sign, guarantee_routes::list, guarantee_routes::guarantee,
        guarantee_routes::list_guarantees,
        loan_routes::book, loan_routes::event, loan_routes::loan, loan_routes::summary,
        alert_routes::list, alert_routes::acknowledge, alert_routes::resolve,
        routes::models, routes::publish, routes::checkpoint, routes::unacknowledged,
        routes::admin_actions, routes::market
    ),
    modifiers(&Bearer, &CommonErrors),
    tags(
        (name = "scores", description = "Score queries by banks and guarantors"),
        (name = "consents", description = "Enterprises authorise and revoke access"),
        (name = "enterprises", description = "Registration, data upload, portrait"),
        (name = "financing", description = "Products matched, credit limits and prices, need signals"),
        (name = "monitoring", description = "Early warnings routed under post-loan monitoring consents: acknowledge, resolve"),
        (name = "oversight", description = "The market in aggregate, for regulators and the operator"),
        (name = "credit", description = "Credit decisions by versioned flows (maker-checker, champion/challenger, replay), batch guarantees (见贷即保) and the loan book"),
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

/// Documents the error answers every operation can give, so that clients (and contract
/// testers such as schemathesis) find each status the server may send: 401 and 403 where a
/// key is needed (and 429 for rate limits), 400 where there is a body or query, 413 and 415
/// where there is a body, and 408 (timeout) everywhere.
struct CommonErrors;

impl CommonErrors {
    fn add(op: &mut Operation, status: &str, description: &str) {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                    )
                    .build()
                    .into()
            });
    }
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                if op.security.is_some() {
                    Self::add(op, "401", "missing or invalid API key");
                    Self::add(op, "403", "the caller's kind may not do this");
                    Self::add(
                        op,
                        "429",
                        "rate limit reached, or too many failed keys from this address: see Retry-After",
                    );
                }
                if op.request_body.is_some() {
                    Self::add(op, "400", "malformed JSON, unknown or missing field");
                    Self::add(op, "413", "body too large");
                    Self::add(op, "415", "body without a JSON content type");
                } else if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                    Self::add(op, "400", "malformed path or query parameter");
                }
                Self::add(op, "408", "the request took too long");
            }
        }
    }
}
