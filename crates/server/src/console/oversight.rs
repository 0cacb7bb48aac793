//! Pages of the regulator and the operator: market activity in aggregate, the model registry,
//! and the ledger explorer with a receipt checker (a receipt pasted from any answer is checked
//! against the ledger's public key, exactly as `xinrong ledger verify` does offline).

use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse as _;
use minijinja::{Value, context};
use serde::Deserialize;
use xinrong_ledger::Receipt;
use xinrong_platform::{Kind, Page, Version};

use xinrong_platform::market::Segment;

use super::charts::bars;
use super::labels::{Lang, words};
use super::{PageResult, Shared, Signed, check_csrf, fail, form_of, page};
use crate::error::ApiError;
use crate::state::AppState;

pub(super) async fn home(state: &AppState, signed: &Signed) -> PageResult {
    let summary = super::credit_activity(state, signed).await?;
    let recent = if signed.who.kind == Kind::Regulator {
        let p = Page::new(Some(10), None).map_err(fail(state, signed))?;
        state
            .platform
            .queries(&signed.who, &p)
            .await
            .map_err(fail(state, signed))?
            .iter()
            .map(|q| {
                context! {
                    id => q.query_id.clone(), institution => q.institution.clone(),
                    enterprise => q.enterprise.clone(), purpose => q.purpose.clone(),
                    time => q.time.clone(), grade => q.result.grade.to_string(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let ctx = context! {
        summary => summary.map(|s| Value::from_serialize(&s)),
        recent,
        models => models_of(state, signed),
        ledger_size => state.platform.ledger_size(),
        portfolio => (),
        grades => (),
        held => Vec::<Value>::new(),
        held_count => 0,
        agreements => Vec::<Value>::new(),
        alerts => (),
        purposes => Vec::<&str>::new(),
    };
    Ok(page(state, signed, "home.html", "/console/", ctx))
}

fn models_of(state: &AppState, signed: &Signed) -> Vec<Value> {
    state
        .platform
        .models(&signed.who)
        .iter()
        .map(|m| {
            context! {
                version => m.version.clone(), champion => m.champion, features => m.features,
                auc => m.auc, published => m.published.clone(), publisher => m.publisher.clone(),
                sha256 => m.sha256.clone(),
            }
        })
        .collect()
}

pub(super) async fn models(State(state): Shared, signed: Signed) -> PageResult {
    let ctx = context! { models => models_of(&state, &signed), error => (), name => "" };
    Ok(page(&state, &signed, "models.html", "/console/models", ctx))
}

/// A published model's report, as `xinrong report` writes it (data, performance on each set,
/// deciles, grades, every characteristic's bins), in the page's language: for regulators and
/// the operator, who answer for the models in use. A document of its own, with its own style
/// inline and no script at all.
pub(super) async fn model_report(
    State(state): Shared,
    signed: Signed,
    Path(version): Path<String>,
) -> PageResult {
    let published = state
        .platform
        .published_model(&signed.who, &version)
        .map_err(fail(&state, &signed))?;
    let lang = match signed.lang {
        Lang::Zh => xinrong_scorecard::Lang::Zh,
        Lang::En => xinrong_scorecard::Lang::En,
    };
    let html = xinrong_exports::report(&published.model, lang);
    let mut r = ([(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    r.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
             form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    Ok(r)
}

/// The market in aggregate: grades, provinces and industry sections (regulator, operator).
pub(super) async fn market(State(state): Shared, signed: Signed) -> PageResult {
    let market = state
        .platform
        .market(&signed.who)
        .await
        .map_err(fail(&state, &signed))?;
    let t = words(signed.lang);
    let grades: Vec<(String, &str, u64)> = market
        .by_grade
        .iter()
        .map(|g| (g.grade.clone(), "blue", g.count as u64))
        .collect();
    let rows = |segments: &[Segment]| -> Vec<Value> {
        segments
            .iter()
            .map(|s| {
                context! {
                    code => s.code.clone(),
                    name => if signed.lang == Lang::Zh { s.zh.clone() } else { s.en.clone() },
                    enterprises => s.enterprises,
                    scored => s.scored,
                    mean_pd => s.mean_pd,
                    weak_share => s.weak_share,
                    by_grade => s.by_grade.clone(),
                }
            })
            .collect()
    };
    let ctx = context! {
        market => Value::from_serialize(&market),
        grades => Value::from_safe_string(bars(t["by_grade"], &grades)),
        regions => rows(&market.by_region),
        industries => rows(&market.by_industry),
    };
    Ok(page(&state, &signed, "market.html", "/console/market", ctx))
}

/// Ledger entries per page of the explorer.
const ENTRIES_PAGE: u64 = 50;
/// Signed checkpoints listed, newest first.
const CHECKPOINTS_SHOWN: usize = 20;

fn ledger_page(
    state: &AppState,
    signed: &Signed,
    before: Option<u64>,
    pasted: &str,
    outcome: Option<Value>,
) -> PageResult {
    let head = state.platform.ledger_head().map(|(head, key)| {
        context! {
            size => head.checkpoint.size,
            origin => head.checkpoint.origin.clone(),
            note => head.note.clone(),
            key => key.encode(),
        }
    });
    // Regulators and the operator also browse the entries.
    let entries = match signed.who.kind {
        xinrong_platform::Kind::Regulator | xinrong_platform::Kind::Operator => Some(
            state
                .platform
                .ledger_entries(&signed.who, before, ENTRIES_PAGE)
                .map_err(fail(state, signed))?,
        ),
        _ => None,
    };
    let checkpoints = match &entries {
        Some(_) => Some(
            state
                .platform
                .ledger_checkpoints(&signed.who, CHECKPOINTS_SHOWN)
                .map_err(fail(state, signed))?,
        ),
        None => None,
    };
    let next = entries
        .as_ref()
        .and_then(|e| e.last())
        .map(|e| e.index)
        .filter(|i| *i > 0);
    let ctx = context! {
        head, pasted, outcome, next, paged => before.is_some(),
        entries => entries.map(|e| Value::from_serialize(&e)),
        checkpoints => checkpoints.map(|c| Value::from_serialize(&c)),
    };
    Ok(page(state, signed, "ledger.html", "/console/ledger", ctx))
}

#[derive(Deserialize)]
pub(super) struct Before {
    before: Option<u64>,
}

pub(super) async fn ledger(
    State(state): Shared,
    signed: Signed,
    Query(at): Query<Before>,
) -> PageResult {
    ledger_page(&state, &signed, at.before, "", None)
}

/// One entry with its receipt (regulators and the operator).
pub(super) async fn entry(
    State(state): Shared,
    signed: Signed,
    Path(index): Path<u64>,
) -> PageResult {
    let (entry, receipt) = state
        .platform
        .ledger_entry(&signed.who, index)
        .map_err(fail(&state, &signed))?;
    let ctx = context! {
        entry => Value::from_serialize(&entry),
        receipt => serde_json::to_string_pretty(&receipt).unwrap_or_default(),
    };
    Ok(page(&state, &signed, "entry.html", "/console/ledger", ctx))
}

#[derive(Deserialize)]
pub(super) struct VerifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    receipt: String,
}

/// Checks a pasted receipt (or a whole API answer that holds one) against this ledger's key.
pub(super) async fn verify(
    State(state): Shared,
    signed: Signed,
    form: Result<Form<VerifyForm>, FormRejection>,
) -> PageResult {
    let form = form_of(&state, &signed, form)?;
    check_csrf(&state, &signed, &form.csrf)?;
    // The console's body limit (64 KiB) bounds what can be pasted; larger is a 413.
    let text = form.receipt.trim();
    let outcome = {
        let parsed = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|v| {
                let inner = v.get("receipt").cloned().unwrap_or(v);
                serde_json::from_value::<Receipt>(inner).map_err(|e| format!("not a receipt: {e}"))
            });
        match (parsed, state.platform.ledger_head()) {
            (Err(e), _) => context! { ok => false, detail => e },
            (Ok(_), None) => context! { ok => false, detail => "the ledger has no checkpoint yet" },
            (Ok(receipt), Some((_, key))) => match receipt.verify(&key) {
                Ok(v) => context! {
                    ok => true,
                    leaf => v.leaf_index,
                    size => v.checkpoint.size,
                    origin => v.checkpoint.origin.clone(),
                },
                Err(e) => context! { ok => false, detail => e.to_string() },
            },
        }
    };
    ledger_page(&state, &signed, None, text, Some(outcome))
}

/// Which page of the ingest history.
#[derive(Deserialize)]
pub(super) struct HistoryPage {
    page: Option<usize>,
}

/// What arrived and how good it is, for the operator and regulators: each source's totals and
/// freshness, the quality issues raised against sources and where they stand, the history of
/// ingested files (paged), and the enterprises' own uploads with what was quarantined.
pub(super) async fn data(
    State(state): Shared,
    signed: Signed,
    Query(q): Query<HistoryPage>,
) -> PageResult {
    let assets = state
        .platform
        .data_assets(&signed.who, None, xinrong_core::Purpose::PreLoan)
        .await
        .map_err(fail(&state, &signed))?;
    let ingest = state
        .platform
        .ingest_overview(&signed.who, q.page.unwrap_or(0))
        .await
        .map_err(fail(&state, &signed))?;
    let ctx = context! {
        assets => Value::from_serialize(&assets),
        ingest => Value::from_serialize(&ingest),
    };
    Ok(page(&state, &signed, "data.html", "/console/data", ctx))
}

/// One upload's quarantined rows, each with its line, field, value and reason.
pub(super) async fn quarantine(
    State(state): Shared,
    signed: Signed,
    Path(id): Path<String>,
) -> PageResult {
    let q = state
        .platform
        .quarantine(&signed.who, &id)
        .await
        .map_err(fail(&state, &signed))?;
    let ctx = context! { q => Value::from_serialize(&q) };
    Ok(page(
        &state,
        &signed,
        "quarantine.html",
        "/console/data",
        ctx,
    ))
}

/// The fields of the model publishing form.
#[derive(Default)]
struct ModelForm {
    csrf: String,
    name: String,
    champion: bool,
    artifact: Vec<u8>,
}

/// Reads the publishing form (`multipart/form-data`: the model file and its fields); a body
/// that is not one is a 400 page, one too large a 413.
async fn model_form(
    state: &AppState,
    signed: &Signed,
    form: Result<Multipart, MultipartRejection>,
) -> Result<ModelForm, super::Refusal> {
    let bad = |status: StatusCode, message: String| {
        super::Refusal::from(super::page_error(
            state,
            signed.lang,
            Some(signed),
            ApiError::new(status, "bad_form", message),
        ))
    };
    let mut multipart = form.map_err(|r| bad(r.status(), r.body_text()))?;
    let mut out = ModelForm::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(out),
            Err(e) => return Err(bad(e.status(), e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad(e.status(), e.body_text()))?;
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "csrf" => out.csrf = text(),
            "name" => out.name = text(),
            "champion" => out.champion = !bytes.is_empty(),
            "artifact" => out.artifact = bytes.to_vec(),
            _ => {}
        }
    }
}

/// The operator publishes a model file from `xinrong fit`: the features it shares with
/// models already published keep their dimension and view, the rest are `other`. Logged in
/// the ledger like `POST /v1/models`.
pub(super) async fn publish(
    State(state): Shared,
    signed: Signed,
    form: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let form = model_form(&state, &signed, form).await?;
    check_csrf(&state, &signed, &form.csrf)?;
    use xinrong_platform::PlatformError as P;
    match publish_form(&state, &signed, &form).await {
        Ok(()) => Ok(axum::response::Redirect::to("/console/models").into_response()),
        // What the operator can fix is said beside the form, with the name kept.
        Err(e @ (P::Invalid { .. } | P::Model(_) | P::Conflict(_))) => {
            let status = if matches!(e, P::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let ctx = context! {
                models => models_of(&state, &signed), error => e.to_string(), name => form.name,
            };
            let mut r = page(&state, &signed, "models.html", "/console/models", ctx);
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(fail(&state, &signed)(e).into()),
    }
}

/// What a publication from the form answers: a refused field or model is said on the page;
/// a caller who may not publish gets the error page.
async fn publish_form(
    state: &AppState,
    signed: &Signed,
    form: &ModelForm,
) -> Result<(), xinrong_platform::PlatformError> {
    let version = Version::parse("name", &form.name)?;
    let text = std::str::from_utf8(&form.artifact).map_err(|_| {
        xinrong_platform::PlatformError::invalid("artifact", "the model file is not UTF-8 text")
    })?;
    // The registry keeps the groups of the model's own characteristics only.
    let groups = state.platform.registry().known_groups();
    state
        .platform
        .publish_model(&signed.who, &version, text, groups, form.champion)
        .await
        .map(|_| ())
}
