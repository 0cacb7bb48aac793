//! Batch guarantee agreements (见贷即保) on the platform: a guarantor signs terms with a bank;
//! the bank's approved decisions inside the terms are guaranteed at once, one call each, with a
//! certificate and a ledger receipt; outside them the answer names every failed criterion; at
//! the compensation-rate cap automatic guarantees stop and each goes to manual review.
//!
//! Capacity and the cap hold under concurrent calls: every change of an agreement's position
//! (a guarantee, a repayment releasing it, a compensation, a recovery) is made under that
//! agreement's lock on its position in memory (see [`crate::positions`]). A guarantee only
//! reserves there: its ledger entry and its record are written after the lock is let go, the
//! record in group commits that store each agreement's position with the records it counts,
//! so the stored position always equals its stored records. The platform is one process per data
//! directory (it holds the ledger), so the lock covers every writer.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry as Slot;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use xinrong_core::Uscc;
use xinrong_credit::agreement::{Criteria, RateBasis, Shares};
use xinrong_credit::{Agreement, Candidate, Standing};
use xinrong_ledger::{Entry, Receipt, canonical_json};

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::ids::{new_time_ordered_id, now_ms, rfc3339};
use crate::platform::Platform;
use crate::positions::{GuaranteeRow, Reserved};

/// Terms a guarantor proposes (the guarantor is the caller; the id is the platform's).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementTerms {
    /// The bank's institution id.
    pub bank: String,
    /// Guarantee fee per year.
    pub fee_rate: Decimal,
    /// Most outstanding under the agreement.
    pub capacity: Decimal,
    /// Most outstanding for one firm.
    pub per_firm_cap: Decimal,
    /// Rate at which the guarantor is alerted.
    pub warning_rate: Decimal,
    /// Rate at which automatic guarantees stop.
    pub cap_rate: Decimal,
    /// How the rate is measured.
    #[serde(default)]
    pub basis: RateBasis,
    /// Days past due after which the bank may claim compensation.
    pub compensate_after_days: u32,
    /// What a loan must meet.
    #[serde(default)]
    pub criteria: Criteria,
    /// How a loss is shared.
    pub shares: Shares,
}

/// An agreement as stored.
#[derive(Clone)]
pub(crate) struct Stored {
    pub(crate) agreement: Agreement,
    pub(crate) standing: Standing,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> PlatformError {
    PlatformError::Unavailable(format!("a stored {what} does not parse: {e}"))
}

/// An agreement with its position, as listed.
fn agreement_view(a: &Agreement, s: &Standing) -> Value {
    json!({
        "agreement_id": a.id,
        "guarantor": a.guarantor,
        "bank": a.bank,
        "terms": a,
        "guaranteed": s.guaranteed,
        "outstanding": s.outstanding,
        "repaid": s.repaid,
        "defaulted": s.defaulted,
        "compensated": s.compensated,
        "recovered": s.recovered,
        "certificates": s.certificates,
        "manual_reviews": s.manual_reviews,
        "compensation_rate": s.rate(a.basis),
        "level": s.level(a),
    })
}

fn answer_hash(v: &Value) -> String {
    crate::queries::tagged_sha256(&canonical_json(v))
}

impl Platform {
    pub(crate) async fn stored_agreement(&self, id: &str) -> Result<Option<Stored>, PlatformError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT terms, standing FROM guarantee_agreements WHERE agreement_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(terms, standing)| {
            Ok(Stored {
                agreement: serde_json::from_str(&terms).map_err(|e| corrupt("agreement", e))?,
                standing: serde_json::from_str(&standing).map_err(|e| corrupt("agreement", e))?,
            })
        })
        .transpose()
    }

    /// A guarantor signs an agreement with a bank.
    pub async fn sign_agreement(
        &self,
        by: &Institution,
        terms: Value,
    ) -> Result<(Value, Receipt), PlatformError> {
        if by.kind != Kind::Guarantor {
            return Err(PlatformError::role(format!(
                "{} may not sign guarantee agreements; guarantors may",
                by.kind.with_article()
            )));
        }
        let terms: AgreementTerms = serde_json::from_value(terms)
            .map_err(|e| PlatformError::invalid("terms", e.to_string()))?;
        crate::fields::Id::parse("terms.bank", &terms.bank)?;
        let bank = match self.access().institution(&terms.bank).await {
            Ok(b) => Some(b),
            Err(PlatformError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        if bank.as_ref().is_none_or(|b| b.kind != Kind::Bank) {
            return Err(PlatformError::invalid(
                "terms.bank",
                format!("{} is not a bank on this platform", terms.bank),
            ));
        }
        let agreement = Agreement {
            id: new_time_ordered_id("ga"),
            guarantor: by.id.clone(),
            bank: terms.bank,
            fee_rate: terms.fee_rate,
            capacity: terms.capacity,
            per_firm_cap: terms.per_firm_cap,
            warning_rate: terms.warning_rate,
            cap_rate: terms.cap_rate,
            basis: terms.basis,
            compensate_after_days: terms.compensate_after_days,
            criteria: terms.criteria,
            shares: terms.shares,
        };
        agreement
            .check()
            .map_err(|e| PlatformError::invalid("terms", e.reason))?;
        let text = serde_json::to_value(&agreement).expect("terms serialise");
        for (field, list) in [
            ("grades", &agreement.criteria.grades),
            ("industries", &agreement.criteria.industries),
            ("regions", &agreement.criteria.regions),
            ("products", &agreement.criteria.products),
        ] {
            if list.len() > 200
                || list
                    .iter()
                    .any(|x| x.is_empty() || x.len() > 64 || x.contains('\0'))
            {
                return Err(PlatformError::invalid(
                    format!("terms.criteria.{field}"),
                    "at most 200 codes of 1–64 characters",
                ));
            }
        }
        self.writable()?;
        let created_ms = now_ms();
        let entry = Entry::GuaranteeAgreement {
            agreement_id: agreement.id.clone(),
            guarantor: agreement.guarantor.clone(),
            bank: agreement.bank.clone(),
            terms_sha256: answer_hash(&text),
            time: rfc3339(created_ms),
        };
        let receipt = self.ledger.submit(entry.to_canonical())?.receipt().await?;
        let standing = Standing::default();
        sqlx::query(
            "INSERT INTO guarantee_agreements (agreement_id, guarantor, bank, terms, standing, \
             leaf_index, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&agreement.id)
        .bind(&agreement.guarantor)
        .bind(&agreement.bank)
        .bind(text.to_string())
        .bind(serde_json::to_string(&standing).expect("standing serialises"))
        .bind(receipt.leaf_index as i64)
        .bind(created_ms)
        .execute(&self.pool)
        .await?;
        Ok((agreement_view(&agreement, &standing), receipt))
    }

    /// Agreements the caller is party to (all, for a regulator), with their positions.
    pub async fn agreements(&self, by: &Institution) -> Result<Vec<Value>, PlatformError> {
        let sql = match by.kind {
            Kind::Guarantor => {
                "SELECT terms, standing FROM guarantee_agreements WHERE guarantor = $1 ORDER BY agreement_id"
            }
            Kind::Bank => {
                "SELECT terms, standing FROM guarantee_agreements WHERE bank = $1 ORDER BY agreement_id"
            }
            Kind::Regulator => {
                "SELECT terms, standing FROM guarantee_agreements WHERE $1 = $1 ORDER BY agreement_id"
            }
            k => {
                return Err(PlatformError::role(format!(
                    "a {} has no guarantee agreements",
                    k.as_str()
                )));
            }
        };
        let rows: Vec<(String, String)> = sqlx::query_as(sql)
            .bind(by.id.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|(t, s)| {
                let a: Agreement = serde_json::from_str(&t).map_err(|e| corrupt("agreement", e))?;
                let s: Standing = serde_json::from_str(&s).map_err(|e| corrupt("agreement", e))?;
                Ok(agreement_view(&a, &s))
            })
            .collect()
    }

    /// A bank asks for a guarantee of an approved decision under one of its agreements: issued
    /// at once inside the terms, else the failed criteria, the capacity or cap reached, or
    /// manual review at the compensation-rate cap. Once per request key.
    pub async fn guarantee(
        &self,
        by: &Institution,
        agreement_id: &str,
        decision_id: &str,
        request_key: &str,
    ) -> Result<(Value, Receipt), PlatformError> {
        if by.kind != Kind::Bank {
            return Err(PlatformError::role(format!(
                "{} may not ask for guarantees; banks may",
                by.kind.with_article()
            )));
        }
        crate::fields::Id::parse("agreement_id", agreement_id)?;
        crate::fields::Id::parse("decision_id", decision_id)?;
        crate::fields::check_request_key("request_key", request_key)?;
        let book = &self.guarantee_book;
        let key_hash = crate::request_keys::key_hash(&by.id, request_key);
        let key_lock = book.keys.lock(key_hash).await;
        // A retry is answered from the store even when nothing more can be written.
        if book.keys.known(key_hash)
            && let Some(done) = self.stored_guarantee(&by.id, request_key).await?
        {
            return Ok(done);
        }
        self.writable()?;
        let decision = self.decision_brief(&by.id, decision_id).await?;
        let mut position = self.position(agreement_id).await?;
        let Some(Stored {
            agreement,
            standing,
        }) = position.current_mut().filter(|s| s.agreement.bank == by.id)
        else {
            return Err(PlatformError::NotFound(format!("agreement {agreement_id}")));
        };
        let Some(decision) = decision else {
            return Err(PlatformError::NotFound(format!("decision {decision_id}")));
        };
        if decision.outcome != "approve" {
            return Err(PlatformError::Conflict(format!(
                "decision {decision_id} is {}: only an approved decision is guaranteed",
                decision.outcome
            )));
        }
        let app = &decision.application;
        let amount = decision.amount;
        let enterprise: Uscc = app
            .uscc
            .parse()
            .map_err(|e| corrupt("decision", format!("{e:?}")))?;
        let candidate = Candidate {
            loan: decision_id.to_string(),
            uscc: app.uscc.clone(),
            grade: app.grade.clone(),
            score: app.score,
            pd: app.pd,
            industry: app.industry.clone(),
            region: app.region.clone(),
            product: app.product.clone(),
            amount,
            term_months: app.term_months,
        };
        let guarantee_id = new_time_ordered_id("g");
        if let Some(g) = book.issued_for(decision_id) {
            return Err(PlatformError::Conflict(format!(
                "decision {decision_id} is already guaranteed ({g})"
            )));
        }
        let rate_before = standing.rate(agreement.basis);
        let level_before = standing.level(agreement);
        let answer = standing.guarantee(agreement, &candidate, request_key, crate::today());
        // The store keeps request keys; the position need not.
        standing.forget_request_keys();
        let (result, detail) = match &answer {
            Ok(c) => {
                // Under this agreement's lock no other call of this decision can be; under
                // another agreement's, one can, and the first to claim it wins.
                if let Err(g) = book.claim(decision_id, &guarantee_id) {
                    position.discard(None);
                    return Err(PlatformError::Conflict(format!(
                        "decision {decision_id} is already guaranteed ({g})"
                    )));
                }
                ("issued", json!({ "certificate": c }))
            }
            // The refusal's own fields: the failed criteria, or the limit and where it stands.
            Err(r) => {
                let mut v = serde_json::to_value(r).expect("refusals serialise");
                v.as_object_mut().map(|m| m.remove("refusal"));
                (r.code(), v)
            }
        };
        let created_ms = now_ms();
        let time = rfc3339(created_ms);
        let mut record = json!({
            "guarantee_id": guarantee_id,
            "agreement_id": agreement.id,
            "guarantor": agreement.guarantor,
            "bank": by.id,
            "decision_id": decision_id,
            "enterprise": app.uscc,
            "request_key": request_key,
            "result": result,
            "amount": amount,
            "compensation_rate": rate_before,
            "cap_rate": agreement.cap_rate,
            "level": level_before,
            "time": time,
        });
        for (k, v) in detail.as_object().expect("an object") {
            record[k] = v.clone();
        }
        let entry = Entry::GuaranteeDecision {
            decision_id: guarantee_id.clone(),
            agreement: agreement.id.clone(),
            guarantor: agreement.guarantor.clone(),
            bank: by.id.clone(),
            enterprise,
            decision: result.to_string(),
            amount: amount.to_string(),
            rule_trace_hash: answer_hash(&record),
            time,
        };
        let row = GuaranteeRow {
            guarantee_id,
            agreement_id: agreement.id.clone(),
            bank: by.id.clone(),
            request_key: request_key.to_string(),
            decision_id: decision_id.to_string(),
            enterprise: app.uscc.clone(),
            result,
            amount: amount.to_string(),
            answer: String::new(),
            leaf_index: 0,
            created_ms,
        };
        let row_id = row.guarantee_id.clone();
        let submitted = self.ledger.submit(entry.to_canonical());
        let written = match submitted {
            Ok(pending) => {
                book.keys.remember(key_hash);
                position.write(Reserved {
                    row,
                    record,
                    pending,
                    key_lock,
                })
            }
            Err(e) => {
                // Reserved in memory but never logged: the position is read again.
                position.discard(Some((decision_id, &row_id)));
                return Err(e.into());
            }
        };
        drop(position);
        written.await
    }

    async fn stored_guarantee(
        &self,
        bank: &str,
        key: &str,
    ) -> Result<Option<(Value, Receipt)>, PlatformError> {
        let done: Option<(String, i64)> = sqlx::query_as(
            "SELECT answer, leaf_index FROM guarantees WHERE bank = $1 AND request_key = $2",
        )
        .bind(bank)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some((answer, leaf)) = done else {
            return Ok(None);
        };
        let v: Value = serde_json::from_str(&answer).map_err(|e| corrupt("guarantee", e))?;
        // Stored while its entry is made durable: a retry can arrive in between.
        let receipt = crate::journal::receipt_beside(&self.ledger, leaf as u64).await?;
        Ok(Some((v, receipt)))
    }
}

/// Writes an agreement's position (inside the caller's transaction).
pub(crate) async fn save_standing(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    agreement_id: &str,
    standing: &Standing,
) -> Result<(), PlatformError> {
    sqlx::query("UPDATE guarantee_agreements SET standing = $1 WHERE agreement_id = $2")
        .bind(serde_json::to_string(standing).expect("standing serialises"))
        .bind(agreement_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives back to their agreements' positions what guarantees that never came to be had
/// counted (records stored beside an entry a crash lost; see [`crate::journal::open_ledger`]),
/// inside the caller's transaction, before the records are moved aside.
pub(crate) async fn withdraw(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    guarantee_ids: &[String],
) -> Result<(), PlatformError> {
    let mut positions: BTreeMap<String, Standing> = BTreeMap::new();
    for id in guarantee_ids {
        let (agreement, enterprise, result, amount): (String, String, String, String) =
            sqlx::query_as(
                "SELECT agreement_id, enterprise, result, amount FROM guarantees \
                 WHERE guarantee_id = $1",
            )
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
        let standing = match positions.entry(agreement) {
            Slot::Occupied(e) => e.into_mut(),
            Slot::Vacant(e) => {
                let (text,): (String,) = sqlx::query_as(
                    "SELECT standing FROM guarantee_agreements WHERE agreement_id = $1",
                )
                .bind(e.key())
                .fetch_one(&mut **tx)
                .await?;
                e.insert(serde_json::from_str(&text).map_err(|e| corrupt("agreement", e))?)
            }
        };
        match result.as_str() {
            "issued" => {
                let amount: Decimal = amount.parse().map_err(|e| corrupt("guarantee", e))?;
                standing.withdraw_certificate(&enterprise, amount);
            }
            "manual_review" => standing.withdraw_manual_review(),
            // Refusals on the criteria, the capacity or the firm's cap counted nothing.
            _ => {}
        }
    }
    for (agreement, standing) in &positions {
        save_standing(tx, agreement, standing).await?;
    }
    Ok(())
}
