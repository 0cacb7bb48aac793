//! Pages of banks and guarantors: the overview of what they hold (consents, alerts by level,
//! credit activity, a guarantor's agreements against their caps), a score query on an
//! enterprise, their own query log and their alerts. Another institution's query is "not
//! found" here exactly as in the API.

use axum::extract::{Path, Query, State};
use minijinja::{Value, context};
use serde::Deserialize;
use xinrong_platform::alerts::{AlertFilter, MAX_OFFSET};
use xinrong_platform::{Id, Kind, Page, QueryRecord};

use super::charts::{bars, gauge};
use super::enterprise::{Paging, explained, next_page};
use super::labels::words;
use super::{PageResult, Shared, Signed, fail, page};
use crate::state::AppState;

fn decimal(v: &serde_json::Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .or_else(|| v.as_f64())
        .unwrap_or(0.0)
}

/// Open alerts counted by level, as bars.
async fn alert_levels(state: &AppState, signed: &Signed) -> Result<Value, super::Refusal> {
    let counts = state
        .platform
        .open_alert_counts(&signed.who)
        .await
        .map_err(fail(state, signed))?;
    let t = words(signed.lang);
    let rows: Vec<(String, &str, u64)> = ["red", "yellow", "blue"]
        .into_iter()
        .map(|level| {
            let n = counts.get(level).copied().unwrap_or(0);
            (t[level].to_string(), level, n)
        })
        .collect();
    Ok(Value::from_safe_string(bars(t["alerts_by_level"], &rows)))
}

/// Rows of each list on an overview page.
const HOME_ROWS: usize = 20;

pub(super) async fn home(state: &AppState, signed: &Signed) -> PageResult {
    let lang = signed.lang;
    // The newest live consents; the overview says how many there are in all.
    let (held_count, newest) = state
        .platform
        .consents_held(&signed.who, HOME_ROWS)
        .map_err(fail(state, signed))?;
    let held: Vec<Value> = newest
        .iter()
        .map(|c| {
            context! {
                enterprise => c.enterprise.to_string(),
                purpose => c.purpose.as_str(),
                expires => c.expires.to_string(),
            }
        })
        .collect();
    let recent = state
        .platform
        .queries(
            &signed.who,
            &Page::new(Some(10), None).map_err(fail(state, signed))?,
        )
        .await
        .map_err(fail(state, signed))?;
    let summary = super::credit_activity(state, signed).await?;
    let agreements: Vec<Value> = if signed.who.kind == Kind::Guarantor {
        state
            .platform
            .agreements(&signed.who)
            .await
            .map_err(fail(state, signed))?
            .iter()
            .map(|a| {
                let terms = &a["terms"];
                let rate = decimal(&a["compensation_rate"]);
                context! {
                    id => a["agreement_id"].as_str().unwrap_or_default().to_string(),
                    bank => a["bank"].as_str().unwrap_or_default().to_string(),
                    guaranteed => a["guaranteed"].as_str().unwrap_or_default().to_string(),
                    outstanding => a["outstanding"].as_str().unwrap_or_default().to_string(),
                    rate,
                    level => a["level"].as_str().unwrap_or_default().to_string(),
                    gauge => Value::from_safe_string(gauge(
                        words(lang)["compensation_rate"],
                        rate,
                        decimal(&terms["warning_rate"]),
                        decimal(&terms["cap_rate"]),
                    )),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let portfolio = state
        .platform
        .portfolio(&signed.who)
        .await
        .map_err(fail(state, signed))?;
    let t = words(lang);
    let grades: Vec<(String, &str, u64)> = portfolio
        .by_grade
        .iter()
        .map(|g| (g.grade.clone(), "blue", g.count as u64))
        .collect();
    let ctx = context! {
        portfolio => Value::from_serialize(&portfolio),
        grades => Value::from_safe_string(bars(t["by_grade"], &grades)),
        held,
        held_count,
        alerts => alert_levels(state, signed).await?,
        recent => recent.iter().map(row).collect::<Vec<_>>(),
        summary => summary.map(|s| Value::from_serialize(&s)),
        agreements,
        purposes => xinrong_core::Purpose::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        models => Vec::<Value>::new(),
        ledger_size => 0,
    };
    Ok(page(state, signed, "home.html", "/console/", ctx))
}

fn row(q: &QueryRecord) -> Value {
    context! {
        id => q.query_id.clone(),
        institution => q.institution.clone(),
        enterprise => q.enterprise.clone(),
        purpose => q.purpose.clone(),
        kind => q.kind.clone(),
        time => q.time.clone(),
        score => q.result.score,
        grade => q.result.grade.to_string(),
        leaf => q.leaf_index,
    }
}

#[derive(Deserialize)]
pub(super) struct Lookup {
    purpose: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct LookupForm {
    #[serde(default)]
    uscc: String,
    purpose: Option<String>,
}

/// The overview's search form: to the enterprise's page (nothing is queried until that page
/// is opened).
pub(super) async fn lookup(
    _signed: Signed,
    Query(form): Query<LookupForm>,
) -> axum::response::Response {
    let uscc: String = form
        .uscc
        .trim()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(18)
        .collect();
    let purpose: String = form
        .purpose
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || *c == '_')
        .take(20)
        .collect();
    super::redirect(&format!("/console/enterprises/{uscc}?purpose={purpose}"))
}

/// Not a page of any role but a bank's or guarantor's (an enterprise sees only its own
/// portrait): 404, as for a page that does not exist.
fn lenders_only(state: &AppState, signed: &Signed) -> Result<(), super::Refusal> {
    if signed.who.kind.may_query_scores() {
        return Ok(());
    }
    let e = crate::error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "no such page",
    );
    Err(super::page_error(state, signed.lang, Some(signed), e).into())
}

fn parse_uscc(
    state: &AppState,
    signed: &Signed,
    uscc: &str,
) -> Result<xinrong_core::Uscc, super::Refusal> {
    uscc.trim().parse().map_err(|e: xinrong_core::UsccError| {
        fail(state, signed)(xinrong_platform::PlatformError::invalid(
            "uscc",
            e.to_string(),
        ))
        .into()
    })
}

fn parse_purpose(
    state: &AppState,
    signed: &Signed,
    purpose: &str,
) -> Result<xinrong_core::Purpose, super::Refusal> {
    purpose
        .parse()
        .map_err(|e: xinrong_core::ParsePurposeError| {
            fail(state, signed)(xinrong_platform::PlatformError::invalid(
                "purpose",
                e.to_string(),
            ))
            .into()
        })
}

/// An enterprise before it is queried: the consents the caller holds from it and a button to
/// query its score. Opening this page queries nothing (a link, a reload or a prefetch must not
/// put a query on the enterprise's record); the button does.
pub(super) async fn enterprise(
    State(state): Shared,
    signed: Signed,
    Path(uscc): Path<String>,
    Query(lookup): Query<Lookup>,
) -> PageResult {
    lenders_only(&state, &signed)?;
    let uscc = parse_uscc(&state, &signed, &uscc)?;
    let purpose = parse_purpose(
        &state,
        &signed,
        lookup.purpose.as_deref().unwrap_or("pre_loan"),
    )?;
    let held: Vec<Value> = state
        .platform
        .consents_from(&signed.who, &uscc)
        .map_err(fail(&state, &signed))?
        .iter()
        .map(|c| context! { purpose => c.purpose.as_str(), expires => c.expires.to_string() })
        .collect();
    let ctx = context! {
        enterprise => uscc.to_string(),
        purpose => purpose.as_str(),
        held,
        purposes => xinrong_core::Purpose::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
    };
    Ok(page(&state, &signed, "enterprise.html", "/console/", ctx))
}

#[derive(Deserialize)]
pub(super) struct QueryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    purpose: String,
}

/// A score query from the console: the same call as `POST /v1/scores` (consent checked, the
/// query logged and receipted); then to the query's page.
pub(super) async fn score_query(
    State(state): Shared,
    signed: Signed,
    Path(uscc): Path<String>,
    form: Result<axum::extract::Form<QueryForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let form = super::form_of(&state, &signed, form)?;
    super::check_csrf(&state, &signed, &form.csrf)?;
    lenders_only(&state, &signed)?;
    let uscc = parse_uscc(&state, &signed, &uscc)?;
    let purpose = parse_purpose(&state, &signed, &form.purpose)?;
    let (record, _) = state
        .platform
        .score(&signed.who, &uscc, purpose, None)
        .await
        .map_err(fail(&state, &signed))?;
    Ok(super::redirect(&format!(
        "/console/queries/{}",
        record.query_id
    )))
}

pub(super) async fn queries(
    State(state): Shared,
    signed: Signed,
    Query(paging): Query<Paging>,
) -> PageResult {
    let p = paging.page(&state, &signed)?;
    let rows = state
        .platform
        .queries(&signed.who, &p)
        .await
        .map_err(fail(&state, &signed))?;
    let next = next_page(&rows, |q| &q.query_id);
    let ctx = context! {
        rows => rows.iter().map(row).collect::<Vec<_>>(), next, paged => paging.before.is_some(),
    };
    Ok(page(
        &state,
        &signed,
        "queries.html",
        "/console/queries",
        ctx,
    ))
}

/// One query with its receipt (the caller's own; a regulator: any; another's is 404), shown
/// as the enterprise's credit picture, with its score history and the data received for it
/// while the consent that allowed the query is live, and, for its bank or guarantor, the form
/// for financing matches.
pub(super) async fn query(
    State(state): Shared,
    signed: Signed,
    Path(id): Path<String>,
) -> PageResult {
    let id = Id::parse("id", &id).map_err(fail(&state, &signed))?;
    let (record, receipt, restored) = state
        .platform
        .query_explained(&signed.who, &id)
        .await
        .map_err(fail(&state, &signed))?;
    let uscc = parse_uscc(&state, &signed, &record.enterprise)?;
    let purpose = parse_purpose(&state, &signed, &record.purpose)?;
    // What the consent no longer allows is left out; the query itself stays on record.
    let history: Vec<(String, f64)> = state
        .platform
        .score_history(&signed.who, &uscc, purpose)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|h| (h.as_of, h.score))
        .collect();
    let assets = state
        .platform
        .data_assets(&signed.who, Some(&uscc), purpose)
        .await
        .unwrap_or_default();
    // Whether the consent that allowed the query still holds (its bank or guarantor asks;
    // others see the consent's id only).
    let (consent_state, consent_expires) = match state.platform.consents_from(&signed.who, &uscc) {
        Ok(live) => match live.iter().find(|c| c.id == record.consent_id) {
            Some(c) => ("live", c.expires.to_string()),
            None => ("ended", String::new()),
        },
        Err(_) => ("", String::new()),
    };
    let t = words(signed.lang);
    let ctx = context! {
        query => row(&record),
        enterprise => record.enterprise.clone(),
        purpose => record.purpose.clone(),
        consent => record.consent_id.clone(),
        consent_state,
        consent_expires,
        may_match => record.institution == signed.who.id,
        needs => xinrong_lending::PURPOSES.to_vec(),
        history => Value::from_safe_string(super::charts::line(t["history"], &history)),
        has_history => !history.is_empty(),
        assets => Value::from_serialize(&assets),
        current => explained(restored.as_ref().unwrap_or(&record.result), signed.lang),
        receipt => serde_json::to_string_pretty(&receipt).unwrap_or_default(),
    };
    Ok(page(&state, &signed, "query.html", "/console/queries", ctx))
}

#[derive(Deserialize)]
pub(super) struct AlertQuery {
    level: Option<String>,
    status: Option<String>,
    page: Option<i64>,
}

/// Alerts per page of the console's list.
const ALERTS_PAGE: i64 = 100;

pub(super) async fn alerts(
    State(state): Shared,
    signed: Signed,
    Query(q): Query<AlertQuery>,
) -> PageResult {
    let at = q.page.unwrap_or(0).clamp(0, MAX_OFFSET / ALERTS_PAGE);
    let filter = AlertFilter {
        status: Some(q.status.clone().unwrap_or_else(|| "open".into())),
        level: q.level.clone().filter(|l| !l.is_empty()),
        // One more than a page: whether an older page exists.
        limit: Some(ALERTS_PAGE + 1),
        offset: Some(at * ALERTS_PAGE),
        ..AlertFilter::default()
    };
    let mut rows = state
        .platform
        .alerts(&signed.who, &filter)
        .await
        .map_err(fail(&state, &signed))?;
    let older =
        (rows.len() as i64 > ALERTS_PAGE && (at + 1) * ALERTS_PAGE <= MAX_OFFSET).then_some(at + 1);
    rows.truncate(ALERTS_PAGE as usize);
    let zh = signed.lang == super::Lang::Zh;
    let rows: Vec<Value> = rows
        .iter()
        .map(|a| {
            context! {
                id => a.alert_id.clone(),
                enterprise => a.enterprise.clone(),
                signal => a.signal.clone(),
                level => a.level.clone(),
                description => a.description.clone(),
                evidence => a.evidence.clone(),
                action => if zh { a.action_zh.clone() } else { a.action_en.clone() },
                opened => a.opened.clone(),
                status => a.status.clone(),
            }
        })
        .collect();
    let ctx = context! {
        rows,
        level => q.level,
        status => filter.status,
        may_act => signed.who.kind.may_query_scores(),
        newer => (at > 0).then_some(at - 1),
        older,
    };
    Ok(page(&state, &signed, "alerts.html", "/console/alerts", ctx))
}

#[derive(Deserialize)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Enterprises by code or name, with the consents the caller holds from each (a link to the
/// enterprise's page for each purpose).
pub(super) async fn search(
    State(state): Shared,
    signed: Signed,
    Query(query): Query<SearchQuery>,
) -> PageResult {
    let found = if query.q.trim().is_empty() {
        Vec::new()
    } else {
        state
            .platform
            .find_enterprises(&signed.who, &query.q)
            .await
            .map_err(fail(&state, &signed))?
    };
    let ctx = context! {
        q => query.q.clone(),
        found => Value::from_serialize(&found),
        may_query => signed.who.kind.may_query_scores(),
    };
    Ok(page(&state, &signed, "search.html", "/console/search", ctx))
}

#[derive(Deserialize)]
pub(super) struct MatchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    need: String,
    #[serde(default)]
    amount: String,
}

/// Financing matches for an enterprise: the same call as `POST /v1/matches` (consent checked,
/// logged, receipted), asked for with a form because it is an action on the record.
pub(super) async fn matches(
    State(state): Shared,
    signed: Signed,
    Path(uscc): Path<String>,
    form: Result<axum::extract::Form<MatchForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let form = super::form_of(&state, &signed, form)?;
    super::check_csrf(&state, &signed, &form.csrf)?;
    let uscc = parse_uscc(&state, &signed, &uscc)?;
    let purpose = parse_purpose(&state, &signed, &form.purpose)?;
    let amount = match form.amount.trim() {
        "" => None,
        a => Some(a.parse::<rust_decimal::Decimal>().map_err(|e| {
            fail(&state, &signed)(xinrong_platform::PlatformError::invalid(
                "amount",
                e.to_string(),
            ))
        })?),
    };
    let need_purpose = Some(form.need.trim()).filter(|n| !n.is_empty());
    let need = xinrong_platform::Need::new(need_purpose, amount).map_err(fail(&state, &signed))?;
    let (record, receipt) = state
        .platform
        .match_financing(&signed.who, &uscc, purpose, &need, false)
        .await
        .map_err(fail(&state, &signed))?;
    let zh = signed.lang == super::Lang::Zh;
    let answer = record
        .financing
        .as_ref()
        .map(xinrong_platform::Answer::value)
        .unwrap_or_default();
    let offers: Vec<Value> = answer["offers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|o| {
            let text = |k: &str| o[k].as_str().unwrap_or_default().to_string();
            let refusals: Vec<Value> = o["refusals"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    let reason = if zh { &r["reason_zh"] } else { &r["reason"] };
                    context! {
                        reason => reason.as_str().unwrap_or_default().to_string(),
                        would_change => Value::from_serialize(&r["would_change"]),
                    }
                })
                .collect();
            context! {
                product => if zh { text("zh") } else { text("en") },
                provider => text("provider"),
                status => text("status"),
                amount => text("amount"),
                rate => o["price"]["all_in"].as_str().and_then(|r| r.parse::<f64>().ok()),
                passed => o["passed"].as_array().map_or(0, Vec::len),
                refusals,
                missing => Value::from_serialize(&o["missing"]),
            }
        })
        .collect();
    let ctx = context! {
        enterprise => uscc.to_string(),
        purpose => purpose.as_str(),
        query => row(&record),
        best => answer["best"].as_str().map(str::to_string),
        offers,
        receipt => serde_json::to_string_pretty(&receipt).unwrap_or_default(),
    };
    Ok(page(&state, &signed, "matches.html", "/console/", ctx))
}

#[derive(Deserialize)]
pub(super) struct AlertActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    act: String,
    #[serde(default)]
    note: String,
}

/// Acknowledges or resolves an alert routed to the caller, with its note: the same call as
/// `POST /v1/alerts/{id}/acknowledge|resolve` (logged in the ledger); then back to the alerts.
pub(super) async fn act_on_alert(
    State(state): Shared,
    signed: Signed,
    Path(id): Path<String>,
    form: Result<axum::extract::Form<AlertActForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let form = super::form_of(&state, &signed, form)?;
    super::check_csrf(&state, &signed, &form.csrf)?;
    let act = match form.act.as_str() {
        "acknowledge" => xinrong_platform::alerts::AlertAct::Acknowledge,
        "resolve" => xinrong_platform::alerts::AlertAct::Resolve,
        other => {
            return Err(
                fail(&state, &signed)(xinrong_platform::PlatformError::invalid(
                    "act",
                    format!(
                        "{} is not acknowledge or resolve",
                        xinrong_platform::fields::shown(other)
                    ),
                ))
                .into(),
            );
        }
    };
    let id = Id::parse("id", &id).map_err(fail(&state, &signed))?;
    let done = state
        .platform
        .act_on_alert(&signed.who, &id, act, &form.note)
        .await
        .map_err(fail(&state, &signed))?;
    Ok(super::redirect(&format!(
        "/console/alerts?status={}",
        done.status
    )))
}
