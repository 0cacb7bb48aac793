//! A bank's credit decisions in the console (a regulator sees every bank's): the list, each
//! decision with its findings, the flow version and rules that made it and its receipt, and
//! the bank's flow versions with who made and who checked each (maker-checker).

use axum::extract::{Path, Query, State};
use minijinja::{Value, context};

use super::enterprise::{Paging, next_page};
use super::{Lang, PageResult, Shared, Signed, fail, page};
use crate::state::AppState;

/// One page of a list, newest first, with the link to the next page (the last row's id).
fn listed<T: serde::Serialize>(
    state: &AppState,
    signed: &Signed,
    paging: &Paging,
    rows: &[T],
    id: impl Fn(&T) -> &String,
    template: &str,
    path: &str,
) -> axum::response::Response {
    let next = next_page(rows, |r| id(r).as_str());
    let ctx =
        context! { rows => Value::from_serialize(rows), next, paged => paging.before.is_some() };
    page(state, signed, template, path, ctx)
}

pub(super) async fn decisions(
    State(state): Shared,
    signed: Signed,
    Query(paging): Query<Paging>,
) -> PageResult {
    let p = paging.page(&state, &signed)?;
    let rows = state
        .platform
        .decisions(&signed.who, &p)
        .await
        .map_err(fail(&state, &signed))?;
    Ok(listed(
        &state,
        &signed,
        &paging,
        &rows,
        |d| &d.decision_id,
        "decisions.html",
        "/console/decisions",
    ))
}

/// One decision: the bank's own (a regulator: any); another bank's is 404.
pub(super) async fn decision(
    State(state): Shared,
    signed: Signed,
    Path(id): Path<String>,
) -> PageResult {
    let (answer, receipt) = state
        .platform
        .decision(&signed.who, &id)
        .await
        .map_err(fail(&state, &signed))?;
    let answer = answer.value();
    let zh = signed.lang == Lang::Zh;
    let findings: Vec<Value> = answer["findings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|f| {
            let reason = if zh { &f["reason_zh"] } else { &f["reason"] };
            context! {
                rule => f["rule"].as_str().unwrap_or_default().to_string(),
                outcome => f["outcome"].as_str().unwrap_or_default().to_string(),
                reason => reason.as_str().unwrap_or_default().to_string(),
            }
        })
        .collect();
    let ctx = context! {
        d => Value::from_serialize(&answer),
        findings,
        answer => serde_json::to_string_pretty(&answer).unwrap_or_default(),
        receipt => serde_json::to_string_pretty(&receipt).unwrap_or_default(),
    };
    Ok(page(
        &state,
        &signed,
        "decision.html",
        "/console/decisions",
        ctx,
    ))
}

pub(super) async fn flows(State(state): Shared, signed: Signed) -> PageResult {
    let versions = state
        .platform
        .flow_versions(&signed.who)
        .map_err(fail(&state, &signed))?;
    let ctx = context! { versions => Value::from_serialize(&versions) };
    Ok(page(&state, &signed, "flows.html", "/console/flows", ctx))
}

/// The caller's loans (a bank's own, a guarantor's under its agreements, a regulator's all).
pub(super) async fn loans(
    State(state): Shared,
    signed: Signed,
    Query(paging): Query<Paging>,
) -> PageResult {
    let p = paging.page(&state, &signed)?;
    let rows = state
        .platform
        .loan_book(&signed.who, &p)
        .await
        .map_err(fail(&state, &signed))?;
    Ok(listed(
        &state,
        &signed,
        &paging,
        &rows,
        |l| &l.loan_id,
        "loans.html",
        "/console/loans",
    ))
}

/// The caller's guarantees (a guarantor's under its agreements, a bank's own, a regulator's
/// all), each with its result and the ledger entry of its certificate.
pub(super) async fn guarantees(
    State(state): Shared,
    signed: Signed,
    Query(paging): Query<Paging>,
) -> PageResult {
    let p = paging.page(&state, &signed)?;
    let rows = state
        .platform
        .guarantee_book(&signed.who, &p)
        .await
        .map_err(fail(&state, &signed))?;
    Ok(listed(
        &state,
        &signed,
        &paging,
        &rows,
        |g| &g.guarantee_id,
        "guarantees.html",
        "/console/guarantees",
    ))
}

/// One loan today: its position, class and every event (another bank's: 404).
pub(super) async fn loan(
    State(state): Shared,
    signed: Signed,
    Path(id): Path<String>,
) -> PageResult {
    let loan = state
        .platform
        .loan(&signed.who, &id, None)
        .await
        .map_err(fail(&state, &signed))?;
    let ctx = context! { l => Value::from_serialize(&loan) };
    Ok(page(&state, &signed, "loan.html", "/console/loans", ctx))
}
