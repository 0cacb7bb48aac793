//! An enterprise's own pages: its credit portrait, who queried it, and its consents (grant and
//! revoke). Every call is the platform's own, with the caller's principal, so the console
//! shows exactly what `/v1/portrait` and `/v1/consents` would.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use minijinja::{Value, context};
use serde::Deserialize;
use xinrong_platform::{Consent, Id, Page, PlatformError, QuerySeen};

use super::charts::{line, radar};
use super::labels::{Lang, words};
use super::{PageResult, Shared, Signed, check_csrf, fail, form_of, page, redirect};
use crate::state::AppState;

/// Group scores as radar axes in the page's language.
fn axes(groups: &[xinrong_platform::GroupScore], lang: Lang) -> Vec<(String, Option<f64>)> {
    groups
        .iter()
        .map(|g| {
            let label = if lang == Lang::Zh { &g.zh } else { &g.en };
            (label.clone(), g.level)
        })
        .collect()
}

/// The portrait's charts and tables, shared by the enterprise's own page and a bank's view
/// of it (through a score query).
pub(super) fn explained(e: &xinrong_platform::Explained, lang: Lang) -> Value {
    let t = words(lang);
    let label = |zh: &str, en: &str| {
        if lang == Lang::Zh {
            zh.to_string()
        } else {
            en.to_string()
        }
    };
    let reasons = |rs: &[xinrong_platform::Reason]| -> Vec<Value> {
        rs.iter()
            .map(|r| {
                context! {
                    label => label(&r.zh, &r.en),
                    feature => r.feature.clone(),
                    value => r.value,
                    points => r.points,
                    max_points => r.max_points,
                    gap => r.max_points - r.points,
                }
            })
            .collect()
    };
    context! {
        score => e.score,
        grade => e.grade.to_string(),
        pd => e.pd,
        as_of => e.snapshot_as_of.clone(),
        model => e.model_version.clone(),
        has_groups => !e.dimensions.is_empty(),
        radar => Value::from_safe_string(radar(t["dimensions"], &axes(&e.dimensions, lang))),
        views => Value::from_safe_string(radar(t["views"], &axes(&e.views, lang))),
        reasons => reasons(&e.reasons),
        strengths => reasons(&e.strengths),
    }
}

pub(super) async fn portrait(State(state): Shared, signed: Signed) -> PageResult {
    let p = state
        .platform
        .portrait(&signed.who)
        .await
        .map_err(fail(&state, &signed))?;
    let lang = signed.lang;
    let history: Vec<(String, f64)> = p
        .history
        .iter()
        .map(|h| (h.as_of.clone(), h.score))
        .collect();
    let improvements: Vec<Value> = p
        .improvements
        .iter()
        .map(|i| {
            context! {
                label => if lang == Lang::Zh { i.reason.zh.clone() } else { i.reason.en.clone() },
                value => i.reason.value,
                points => i.reason.points,
                max_points => i.reason.max_points,
                gain => i.points_to_gain,
                next_bin => i.next_bin.clone(),
                next_gain => i.next_bin_gain,
            }
        })
        .collect();
    let rescorings: Vec<Value> = p
        .rescorings
        .iter()
        .take(10)
        .map(|c| {
            context! {
                at => c.at.clone(),
                cause => c.cause.clone(),
                previous => c.previous.as_ref().map(|p| p.score),
                current => c.current.score,
                grade => c.current.grade.clone(),
            }
        })
        .collect();
    let ctx = context! {
        enterprise => p.enterprise.clone(),
        name => p.name.clone(),
        current => p.current.as_ref().map(|e| explained(e, lang)),
        history => Value::from_safe_string(line(words(lang)["history"], &history)),
        has_history => !history.is_empty(),
        improvements,
        rescorings,
    };
    Ok(page(&state, &signed, "portrait.html", "/console/me", ctx))
}

#[derive(Deserialize)]
pub(super) struct Paging {
    pub(super) before: Option<String>,
}

fn seen(q: &QuerySeen) -> Value {
    context! {
        id => q.query_id.clone(),
        institution => q.institution_name.clone(),
        institution_id => q.institution.clone(),
        purpose => q.purpose.clone(),
        kind => q.kind.clone(),
        time => q.time.clone(),
        leaf => q.leaf_index,
    }
}

/// Rows per page of a list.
pub(super) const PAGE_ROWS: i64 = 50;

impl Paging {
    /// The page asked for: [`PAGE_ROWS`] rows older than `?before=`.
    pub(super) fn page(&self, state: &AppState, signed: &Signed) -> Result<Page, super::Refusal> {
        Page::new(Some(PAGE_ROWS), self.before.as_deref())
            .map_err(|e| fail(state, signed)(e).into())
    }
}

/// The `?before=` of the next page: the last row's id when this page is full.
pub(super) fn next_page<T>(rows: &[T], id: impl Fn(&T) -> &str) -> Option<String> {
    (rows.len() as i64 == PAGE_ROWS)
        .then(|| rows.last().map(|r| id(r).to_string()))
        .flatten()
}

pub(super) async fn queried(
    State(state): Shared,
    signed: Signed,
    Query(paging): Query<Paging>,
) -> PageResult {
    let queries = paging.page(&state, &signed)?;
    let rows = state
        .platform
        .queries_about_me(&signed.who, &queries)
        .await
        .map_err(fail(&state, &signed))?;
    let next = next_page(&rows, |q| &q.query_id);
    let ctx = context! {
        rows => rows.iter().map(seen).collect::<Vec<_>>(), next, paged => paging.before.is_some(),
    };
    Ok(page(
        &state,
        &signed,
        "queried.html",
        "/console/me/queries",
        ctx,
    ))
}

fn consent_row(c: &Consent, today: chrono::NaiveDate) -> Value {
    let status = if c.revoked.is_some() {
        "revoked"
    } else if c.is_live(today) {
        "live"
    } else {
        "expired_consent"
    };
    context! {
        id => c.id.clone(),
        institution => c.institution.clone(),
        purpose => c.purpose.as_str(),
        expires => c.expires.to_string(),
        granted => c.granted.clone(),
        status,
        live => status == "live",
    }
}

fn consents_page(state: &AppState, signed: &Signed, message: Option<String>) -> PageResult {
    let today = chrono::Utc::now().date_naive();
    let mut consents = state
        .platform
        .consents(&signed.who)
        .map_err(fail(state, signed))?;
    consents.sort_by(|a, b| b.granted.cmp(&a.granted));
    let ctx = context! {
        rows => consents.iter().map(|c| consent_row(c, today)).collect::<Vec<_>>(),
        purposes => xinrong_core::Purpose::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        default_expiry => (today + chrono::Days::new(90)).to_string(),
        message,
    };
    Ok(page(
        state,
        signed,
        "consents.html",
        "/console/me/consents",
        ctx,
    ))
}

pub(super) async fn consents(State(state): Shared, signed: Signed) -> PageResult {
    consents_page(&state, &signed, None)
}

#[derive(Deserialize)]
pub(super) struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    institution: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    expires: String,
}

/// Grants a consent from the console's form; a bad field is said on the same page (422).
pub(super) async fn grant(
    State(state): Shared,
    signed: Signed,
    form: Result<Form<GrantForm>, FormRejection>,
) -> PageResult {
    let form = form_of(&state, &signed, form)?;
    check_csrf(&state, &signed, &form.csrf)?;
    let parsed = (|| {
        let institution = Id::parse("institution", form.institution.trim())?;
        let purpose: xinrong_core::Purpose =
            form.purpose
                .parse()
                .map_err(|e: xinrong_core::ParsePurposeError| {
                    PlatformError::invalid("purpose", e.to_string())
                })?;
        let expires = chrono::NaiveDate::parse_from_str(form.expires.trim(), "%Y-%m-%d")
            .map_err(|_| PlatformError::invalid("expires", "must be a date, YYYY-MM-DD"))?;
        Ok::<_, PlatformError>((institution, purpose, expires))
    })();
    let granted = match parsed {
        Ok((institution, purpose, expires)) => {
            state
                .platform
                .grant_consent(&signed.who, &institution, purpose, expires)
                .await
        }
        Err(e) => Err(e),
    };
    match granted {
        Ok(_) => Ok(redirect("/console/me/consents")),
        Err(e @ (PlatformError::Invalid { .. } | PlatformError::NotFound(_))) => {
            let mut r = consents_page(&state, &signed, Some(e.to_string()))?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(fail(&state, &signed)(e).into()),
    }
}

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn revoke(
    State(state): Shared,
    signed: Signed,
    Path(id): Path<String>,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> PageResult {
    let form = form_of(&state, &signed, form)?;
    check_csrf(&state, &signed, &form.csrf)?;
    let id = Id::parse("id", &id).map_err(fail(&state, &signed))?;
    state
        .platform
        .revoke_consent(&signed.who, &id)
        .await
        .map_err(fail(&state, &signed))?;
    Ok(redirect("/console/me/consents"))
}
