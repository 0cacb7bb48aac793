//! The loan book on the platform: a loan is booked from a bank's approved decision (and, for a
//! guaranteed loan, its guarantee), then lives as events the bank records (disbursed, repaid,
//! defaulted, recovered, written off) and the guarantor records (compensated). Each event is
//! checked against the loan's state by `xinrong-credit` (refused with the state when it does
//! not fit), logged in the ledger and stored in order; balances, days past due and the
//! five-category class are derived from the events whenever they are read. A repayment
//! releases the guarantee by the principal repaid, a compensation is the agreement's share of
//! the exposure and moves its compensation rate, in the same transaction as the event.

use chrono::{Datelike as _, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use xinrong_core::{Grade, Uscc};
use xinrong_credit::{Category, Event, Loan, LoanError, Repayment, Tranche};
use xinrong_ledger::{Entry, Receipt, canonical_json};

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::guarantees::save_standing;
use crate::ids::{new_time_ordered_id, now_ms, rfc3339};
use crate::platform::Platform;

/// How a bank books a loan from an approved decision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    /// The approved decision.
    pub decision_id: String,
    /// How it is repaid.
    pub repayment: Repayment,
    /// Annual rate; the decision's when absent.
    #[serde(default)]
    pub annual_rate: Option<Decimal>,
    /// Tranches; one tranche of the approved amount when absent.
    #[serde(default)]
    pub tranches: Option<Vec<Tranche>>,
    /// The guarantee issued for this decision, for a guaranteed loan.
    #[serde(default)]
    pub guarantee_id: Option<String>,
    /// When the contract was signed (a loan brought onto the book from another system);
    /// today when absent; never in the future.
    #[serde(default)]
    pub contract_date: Option<NaiveDate>,
}

/// An event a bank or guarantor records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    /// `disbursed`, `repaid`, `defaulted`, `recovered`, `written_off` (the bank) or
    /// `compensated` (the guarantor).
    pub kind: String,
    /// When it happened (YYYY-MM-DD); today when absent; never in the future.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Its amount (disbursed, repaid, recovered).
    #[serde(default)]
    pub amount: Option<Decimal>,
    /// For a conditional tranche: the borrower's outflows since the previous one.
    #[serde(default)]
    pub spent: Option<Decimal>,
    /// For a default: why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A loan's bank, enterprise, decision, guarantee and agreement.
pub(crate) type LoanRow = (String, String, String, Option<String>, Option<String>);
/// A loan's id and its [`LoanRow`].
pub(crate) type LoanListRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn loan_error(e: LoanError) -> PlatformError {
    match e {
        LoanError::WrongState { .. } => PlatformError::Conflict(e.to_string()),
        LoanError::OutOfOrder { .. } => PlatformError::invalid("date", e.to_string()),
        LoanError::Amount { .. } => PlatformError::invalid("amount", e.to_string()),
        LoanError::Terms(..) => PlatformError::invalid("terms", e.to_string()),
    }
}

fn money(d: Decimal) -> String {
    d.round_dp(2).to_string()
}

/// A loan as read: its position on `as_of` and its events.
fn loan_view(id: &str, row: &LoanRow, loan: &Loan, as_of: NaiveDate) -> Value {
    let overdue = loan.overdue(as_of);
    let class = loan.classify(as_of);
    json!({
        "loan_id": id,
        "bank": row.0,
        "enterprise": row.1,
        "decision_id": row.2,
        "guarantee_id": row.3,
        "agreement_id": row.4,
        "as_of": as_of,
        "state": loan.state().map(|s| s.as_str()),
        "disbursed": money(loan.disbursed()),
        "outstanding": money(loan.outstanding()),
        "overdue_principal": money(overdue.principal),
        "overdue_interest": money(overdue.interest),
        "exposure": money(loan.exposure(as_of)),
        "days_past_due": loan.days_past_due(as_of),
        "category": class.category.as_str(),
        "category_zh": class.category.zh(),
        "category_rule": class.rule,
        "interest_paid": money(loan.interest_paid()),
        "compensated": money(loan.compensated()),
        "recovered": money(loan.recovered()),
        "written_off": money(loan.written_off()),
        "dues": loan.dues(),
        "events": loan.events().iter().enumerate().map(|(k, (date, e))| {
            let mut v = serde_json::to_value(e).expect("events serialise");
            v["seq"] = json!(k + 1);
            v["date"] = json!(date);
            v
        }).collect::<Vec<_>>(),
    })
}

impl Platform {
    async fn loan_row(&self, id: &str) -> Result<Option<LoanRow>, PlatformError> {
        Ok(sqlx::query_as(
            "SELECT bank, enterprise, decision_id, guarantee_id, agreement_id FROM loans WHERE loan_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A loan rebuilt from its stored events.
    pub(crate) async fn loan_events(&self, id: &str, row: &LoanRow) -> Result<Loan, PlatformError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT event_date, event FROM loan_events WHERE loan_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let events = rows
            .into_iter()
            .map(|(d, e)| {
                let date = d.parse::<NaiveDate>().map_err(|e| {
                    PlatformError::Unavailable(format!(
                        "loan {id}: a stored date does not parse: {e}"
                    ))
                })?;
                let event: Event = serde_json::from_str(&e).map_err(|e| {
                    PlatformError::Unavailable(format!(
                        "loan {id}: a stored event does not parse: {e}"
                    ))
                })?;
                Ok((date, event))
            })
            .collect::<Result<Vec<_>, PlatformError>>()?;
        Loan::from_events(id, &row.1, &row.0, events)
            .map_err(|e| PlatformError::Unavailable(format!("stored events no longer fit: {e}")))
    }

    /// Whether `by` may see the loan: its bank, the guarantor of its agreement, a regulator.
    async fn may_see_loan(&self, by: &Institution, row: &LoanRow) -> Result<bool, PlatformError> {
        Ok(match by.kind {
            Kind::Bank => row.0 == by.id,
            Kind::Regulator => true,
            Kind::Guarantor => match &row.4 {
                Some(a) => self
                    .stored_agreement(a)
                    .await?
                    .is_some_and(|s| s.agreement.guarantor == by.id),
                None => false,
            },
            _ => false,
        })
    }

    /// A loan with its position on `as_of` (today when absent).
    pub async fn loan(
        &self,
        by: &Institution,
        id: &str,
        as_of: Option<NaiveDate>,
    ) -> Result<Value, PlatformError> {
        if !matches!(by.kind, Kind::Bank | Kind::Guarantor | Kind::Regulator) {
            return Err(PlatformError::role(format!(
                "{} may not read loans; a loan's bank, its guarantor and regulators may",
                by.kind.with_article()
            )));
        }
        crate::fields::Id::parse("loan_id", id)?;
        let row = self.loan_row(id).await?;
        let Some(row) = row else {
            return Err(PlatformError::NotFound(format!("loan {id}")));
        };
        if !self.may_see_loan(by, &row).await? {
            return Err(PlatformError::NotFound(format!("loan {id}")));
        }
        let loan = self.loan_events(id, &row).await?;
        Ok(loan_view(
            id,
            &row,
            &loan,
            as_of.unwrap_or_else(crate::today),
        ))
    }

    /// Books a loan from the bank's approved decision: applied, decided and contracted, each
    /// an event with its ledger entry. A guaranteed loan contracted for less than it was
    /// guaranteed releases the difference at once.
    pub async fn book_loan(
        &self,
        by: &Institution,
        booking: Booking,
    ) -> Result<(Value, Receipt), PlatformError> {
        if by.kind != Kind::Bank {
            return Err(PlatformError::role(format!(
                "{} may not book loans; banks may",
                by.kind.with_article()
            )));
        }
        let contract_date = booking.contract_date.unwrap_or_else(crate::today);
        if contract_date > crate::today() {
            return Err(PlatformError::invalid(
                "contract_date",
                format!("{contract_date} is in the future"),
            ));
        }
        let decision = self.decision(by, &booking.decision_id).await?.0.value();
        if decision["outcome"] != "approve" {
            return Err(PlatformError::Conflict(format!(
                "decision {} is {}: only an approved decision becomes a loan",
                booking.decision_id,
                decision["outcome"].as_str().unwrap_or("?")
            )));
        }
        let parse = |k: &str| -> Result<Decimal, PlatformError> {
            serde_json::from_value(decision[k].clone()).map_err(|e| {
                PlatformError::Unavailable(format!("a stored decision does not parse: {e}"))
            })
        };
        let approved = parse("amount")?;
        let rate = match booking.annual_rate {
            Some(r) => r,
            None => parse("rate")?,
        };
        let months = decision["term_months"].as_u64().unwrap_or(12) as u32;
        let app = &decision["application"];
        let tranches = booking.tranches.unwrap_or_else(|| {
            vec![Tranche {
                amount: approved,
                use_of_funds: None,
            }]
        });
        if tranches.len() > 24 {
            return Err(PlatformError::invalid("tranches", "at most 24 tranches"));
        }
        self.writable()?;
        // One booking per bank at a time: the decision is booked once, and a guarantee's
        // agreement is locked after the bank (never the other way round).
        let _one_at_a_time = self.named_locks.lock_name(&format!("bank:{}", by.id)).await;
        let booked: Option<(String,)> =
            sqlx::query_as("SELECT loan_id FROM loans WHERE decision_id = $1")
                .bind(&booking.decision_id)
                .fetch_optional(&self.pool)
                .await?;
        if let Some((loan,)) = booked {
            return Err(PlatformError::Conflict(format!(
                "decision {} is already booked as loan {loan}",
                booking.decision_id
            )));
        }
        let mut guarantee = None;
        if let Some(g) = &booking.guarantee_id {
            crate::fields::Id::parse("guarantee_id", g)?;
            let row: Option<(String, String, String, String, String, i64)> = sqlx::query_as(
                "SELECT bank, decision_id, result, agreement_id, amount, leaf_index \
                 FROM guarantees WHERE guarantee_id = $1",
            )
            .bind(g)
            .fetch_optional(&self.pool)
            .await?;
            match row {
                Some((bank, d, result, a, amount, leaf))
                    if bank == by.id && d == booking.decision_id && result == "issued" =>
                {
                    // A guarantee is stored while its entry is made durable; one whose entry
                    // is lost never existed, so a loan is not booked on it before.
                    self.ledger.durable(leaf as u64).await?;
                    guarantee = Some((g.clone(), a, amount.parse::<Decimal>().unwrap_or_default()));
                }
                Some((bank, ..)) if bank == by.id => {
                    return Err(PlatformError::invalid(
                        "guarantee_id",
                        format!(
                            "{g} is not a guarantee issued for decision {}",
                            booking.decision_id
                        ),
                    ));
                }
                _ => return Err(PlatformError::NotFound(format!("guarantee {g}"))),
            }
        }
        let id = new_time_ordered_id("ln");
        let enterprise = decision["enterprise"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut loan = Loan::new(&id, &enterprise, &by.id);
        let events = [
            Event::Applied {
                amount: serde_json::from_value(app["amount"].clone()).unwrap_or(approved),
                product: app["product"].as_str().unwrap_or_default().to_string(),
            },
            Event::Decided {
                approved: true,
                amount: approved,
                decision: booking.decision_id.clone(),
            },
            Event::Contracted {
                annual_rate: rate,
                months,
                repayment: booking.repayment,
                tranches,
            },
        ];
        let mut logged = Vec::new();
        for e in events {
            loan.record(contract_date, e.clone()).map_err(loan_error)?;
            logged.push(
                self.log_event(&id, &by.id, &enterprise, contract_date, &e, &loan)
                    .await?,
            );
        }
        let row: LoanRow = (
            by.id.clone(),
            enterprise.clone(),
            booking.decision_id.clone(),
            guarantee.as_ref().map(|g| g.0.clone()),
            guarantee.as_ref().map(|g| g.1.clone()),
        );
        let mut position = match &guarantee {
            Some((_, a, _)) => Some(self.settled_position(a).await?),
            None => None,
        };
        let mut stored = position.as_ref().and_then(|p| p.current().cloned());
        if let (Some(s), Some((_, _, guaranteed))) = (&mut stored, &guarantee) {
            let contracted = loan.contracted();
            if contracted < *guaranteed {
                s.standing.release(&enterprise, *guaranteed - contracted);
            }
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO loans (loan_id, bank, enterprise, decision_id, guarantee_id, \
             agreement_id, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(&by.id)
        .bind(&enterprise)
        .bind(&booking.decision_id)
        .bind(&row.3)
        .bind(&row.4)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        for l in &logged {
            store_event(&mut tx, &id, l).await?;
        }
        if let Some(s) = &stored {
            save_standing(&mut tx, &s.agreement.id, &s.standing).await?;
        }
        tx.commit().await?;
        if let (Some(p), Some(s)) = (&mut position, stored) {
            p.set(s.standing);
        }
        let receipt = logged.pop().expect("three events").receipt;
        Ok((loan_view(&id, &row, &loan, crate::today()), receipt))
    }

    /// Logs an event of a loan in the ledger (before it is stored: a crash in between leaves
    /// a logged event without a record, never the reverse).
    async fn log_event(
        &self,
        loan_id: &str,
        by: &str,
        enterprise: &str,
        date: NaiveDate,
        event: &Event,
        loan: &Loan,
    ) -> Result<Logged, PlatformError> {
        let value = serde_json::to_value(event).expect("events serialise");
        let amount = value
            .get("amount")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let seq = loan.events().len() as u64;
        let entry = Entry::LoanEvent {
            loan_id: loan_id.to_string(),
            institution: by.to_string(),
            enterprise: enterprise
                .parse::<Uscc>()
                .map_err(|e| PlatformError::Unavailable(format!("loan {loan_id}: {e:?}")))?,
            seq,
            event: event.kind().to_string(),
            amount,
            state: loan.state().map(|s| s.as_str()).unwrap_or("").to_string(),
            event_sha256: hex::encode(Sha256::digest(canonical_json(&value))),
            time: rfc3339(now_ms()),
        };
        let receipt = self.ledger.submit(entry.to_canonical())?.receipt().await?;
        Ok(Logged {
            seq,
            date,
            value: value.to_string(),
            receipt,
        })
    }

    /// Records an event on a loan: the bank's (disbursed, repaid, defaulted, recovered,
    /// written off) or its guarantor's (compensated, the agreement's share of the exposure,
    /// once the loan is the agreement's days past due).
    pub async fn loan_event(
        &self,
        by: &Institution,
        id: &str,
        req: EventRequest,
    ) -> Result<(Value, Receipt), PlatformError> {
        let for_guarantor = req.kind == "compensated";
        let allowed = if for_guarantor {
            Kind::Guarantor
        } else {
            Kind::Bank
        };
        if !matches!(by.kind, Kind::Bank | Kind::Guarantor) {
            return Err(PlatformError::role(format!(
                "{} may not record loan events; a loan's bank and its guarantor do",
                by.kind.with_article()
            )));
        }
        crate::fields::Id::parse("loan_id", id)?;
        let today = crate::today();
        let date = req.date.unwrap_or(today);
        if date > today {
            return Err(PlatformError::invalid(
                "date",
                format!("{date} is in the future"),
            ));
        }
        if req
            .amount
            .into_iter()
            .chain(req.spent)
            .any(|a| a > Decimal::from(10_000_000_000u64) || a < Decimal::ZERO)
        {
            return Err(PlatformError::invalid(
                "amount",
                "amounts are between 0 and 10 billion yuan",
            ));
        }
        let Some(row) = self.loan_row(id).await? else {
            return Err(PlatformError::NotFound(format!("loan {id}")));
        };
        if !self.may_see_loan(by, &row).await? {
            return Err(PlatformError::NotFound(format!("loan {id}")));
        }
        if by.kind != allowed {
            return Err(PlatformError::role(format!(
                "{} may not record '{}' on a loan; {}",
                by.kind.with_article(),
                req.kind,
                if for_guarantor {
                    "its guarantor does"
                } else {
                    "its bank does"
                }
            )));
        }
        self.writable()?;
        // One event of a loan at a time; a guaranteed loan's changes its agreement's position,
        // so it also waits for the position to be settled and locks it.
        let _one_at_a_time = self.named_locks.lock_name(&format!("loan:{id}")).await;
        let mut position = match &row.4 {
            Some(a) => Some(self.settled_position(a).await?),
            None => None,
        };
        let mut loan = self.loan_events(id, &row).await?;
        let mut stored = position.as_ref().and_then(|p| p.current().cloned());
        let need = |what: Option<Decimal>| {
            what.ok_or_else(|| {
                PlatformError::invalid("amount", format!("'{}' needs an amount", req.kind))
            })
        };
        let event = match req.kind.as_str() {
            "disbursed" => Event::Disbursed {
                amount: need(req.amount)?,
                spent: req.spent,
            },
            "repaid" => Event::Repaid {
                amount: need(req.amount)?,
            },
            "recovered" => Event::Recovered {
                amount: need(req.amount)?,
            },
            "written_off" => Event::WrittenOff,
            "defaulted" => {
                let reason = req
                    .reason
                    .clone()
                    .unwrap_or_else(|| "declared by the bank".into());
                let reason = crate::fields::Name::parse("reason", &reason)?;
                Event::Defaulted {
                    reason: reason.as_str().to_string(),
                }
            }
            "compensated" => {
                let Some(s) = &stored else {
                    return Err(PlatformError::Conflict(format!(
                        "loan {id} is not guaranteed"
                    )));
                };
                if loan.state() != Some(xinrong_credit::State::Defaulted) {
                    return Err(PlatformError::Conflict(format!(
                        "loan {id}: cannot record 'compensated' on a loan that is {}; the bank declares default first",
                        loan.state().map_or("not applied for", |s| s.as_str())
                    )));
                }
                let dpd = loan.days_past_due(date);
                if dpd < s.agreement.compensate_after_days {
                    return Err(PlatformError::Conflict(format!(
                        "loan {id} is {dpd} days past due; the agreement compensates after {}",
                        s.agreement.compensate_after_days
                    )));
                }
                let paid = xinrong_credit::fen(loan.exposure(date) * s.agreement.covered());
                Event::Compensated {
                    amount: paid,
                    agreement: s.agreement.id.clone(),
                }
            }
            other => {
                return Err(PlatformError::invalid(
                    "kind",
                    format!(
                        "{} is not an event (disbursed, repaid, defaulted, recovered, written_off, compensated)",
                        crate::fields::shown(other)
                    ),
                ));
            }
        };
        let exposure = loan.exposure(date);
        let compensated_before = loan.compensated() > Decimal::ZERO;
        let allocation = loan.record(date, event.clone()).map_err(loan_error)?;
        if let Some(s) = &mut stored {
            let firm = &row.1;
            match &event {
                // Principal the borrower repays releases the guarantee by as much.
                Event::Repaid { .. } => s.standing.release(firm, allocation.principal),
                Event::Recovered { .. } if !compensated_before => {
                    s.standing.release(firm, allocation.principal)
                }
                Event::Recovered { amount } => {
                    s.standing.recover(&s.agreement, *amount);
                }
                Event::Compensated { .. } => {
                    s.standing
                        .compensate(&s.agreement, firm, loan.outstanding(), exposure);
                }
                // Written off without compensation: the guarantee of what is given up ends.
                Event::WrittenOff if !compensated_before => {
                    s.standing.release(firm, loan.written_off())
                }
                _ => {}
            }
        }
        let logged = self
            .log_event(id, &by.id, &row.1, date, &event, &loan)
            .await?;
        let mut tx = self.pool.begin().await?;
        store_event(&mut tx, id, &logged).await?;
        if let Some(s) = &stored {
            save_standing(&mut tx, &s.agreement.id, &s.standing).await?;
        }
        tx.commit().await?;
        if let (Some(p), Some(s)) = (&mut position, stored) {
            p.set(s.standing);
        }
        Ok((loan_view(id, &row, &loan, today), logged.receipt))
    }
}

/// An event logged in the ledger, to be stored.
struct Logged {
    seq: u64,
    date: NaiveDate,
    value: String,
    receipt: Receipt,
}

async fn store_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    loan_id: &str,
    l: &Logged,
) -> Result<(), PlatformError> {
    sqlx::query(
        "INSERT INTO loan_events (loan_id, seq, event_date, event, leaf_index, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(loan_id)
    .bind(l.seq as i64)
    .bind(l.date.to_string())
    .bind(&l.value)
    .bind(l.receipt.leaf_index as i64)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Platform {
    /// Credit activity in aggregate: decisions by bank and outcome, guarantees by agreement and
    /// result, loans by bank, state and five-category class with their principal outstanding,
    /// the book's trend and its exposure by grade. A regulator sees every institution's; a bank
    /// its own; a guarantor the guarantees and loans under its agreements (a bank's decisions
    /// are the bank's).
    pub async fn credit_summary(&self, by: &Institution) -> Result<Value, PlatformError> {
        let (all, bank, guarantor) = match by.kind {
            Kind::Regulator => (true, "", ""),
            Kind::Bank => (false, by.id.as_str(), ""),
            Kind::Guarantor => (false, "", by.id.as_str()),
            k => {
                return Err(PlatformError::role(format!(
                    "{} may not read credit aggregates; regulators, banks and guarantors may",
                    k.with_article()
                )));
            }
        };
        let decisions: Vec<(String, String, String)> =
            sqlx::query_as("SELECT institution, outcome, amount FROM credit_decisions WHERE institution = $1 OR $2")
                .bind(bank)
                .bind(all)
                .fetch_all(&self.pool)
                .await?;
        let mut by_outcome: std::collections::BTreeMap<(String, String), (u64, Decimal)> =
            Default::default();
        for (bank, outcome, amount) in decisions {
            let e = by_outcome.entry((bank, outcome)).or_default();
            e.0 += 1;
            e.1 += amount.parse::<Decimal>().unwrap_or_default();
        }
        let guarantees: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT agreement_id, bank, result, amount FROM guarantees WHERE bank = $1 OR $2 \
             OR agreement_id IN (SELECT agreement_id FROM guarantee_agreements WHERE guarantor = $3)",
        )
        .bind(bank)
        .bind(all)
        .bind(guarantor)
        .fetch_all(&self.pool)
        .await?;
        let mut by_result: std::collections::BTreeMap<(String, String), (u64, Decimal)> =
            Default::default();
        for (agreement, _, result, amount) in guarantees {
            let e = by_result.entry((agreement, result)).or_default();
            e.0 += 1;
            e.1 += amount.parse::<Decimal>().unwrap_or_default();
        }
        let loans: Vec<LoanListRow> = sqlx::query_as(
            "SELECT loan_id, bank, enterprise, decision_id, guarantee_id, agreement_id \
                 FROM loans WHERE bank = $1 OR $2 OR agreement_id IN \
                 (SELECT agreement_id FROM guarantee_agreements WHERE guarantor = $3) \
                 ORDER BY loan_id",
        )
        .bind(bank)
        .bind(all)
        .bind(guarantor)
        .fetch_all(&self.pool)
        .await?;
        let today = crate::today();
        let mut book: std::collections::BTreeMap<(String, String, String), (u64, Decimal)> =
            Default::default();
        let ends = month_ends(today, TREND_MONTHS);
        let mut trend = vec![TrendPoint::default(); ends.len()];
        let mut owed: Vec<(Uscc, Decimal)> = Vec::new();
        for (id, bank, enterprise, decision, guarantee, agreement) in loans {
            let row: LoanRow = (bank, enterprise, decision, guarantee, agreement);
            let loan = self.loan_events(&id, &row).await?;
            let state = loan.state().map(|s| s.as_str()).unwrap_or("").to_string();
            let class = loan.classify(today).category.as_str().to_string();
            let e = book.entry((row.0.clone(), state, class)).or_default();
            e.0 += 1;
            e.1 += loan.outstanding();
            for (point, end) in trend.iter_mut().zip(&ends) {
                point.add(&loan.as_of(*end), *end);
            }
            if loan.outstanding() > Decimal::ZERO
                && let Ok(uscc) = row.1.parse::<Uscc>()
            {
                owed.push((uscc, loan.outstanding()));
            }
        }
        let exposure = self.exposure_by_grade(&owed).await?;
        Ok(json!({
            "as_of": today,
            "decisions": by_outcome.into_iter().map(|((bank, outcome), (n, amount))| json!({
                "bank": bank, "outcome": outcome, "count": n, "amount": money(amount)})).collect::<Vec<_>>(),
            "guarantees": by_result.into_iter().map(|((agreement, result), (n, amount))| json!({
                "agreement_id": agreement, "result": result, "count": n, "amount": money(amount)})).collect::<Vec<_>>(),
            "loans": book.into_iter().map(|((bank, state, class), (n, outstanding))| json!({
                "bank": bank, "state": state, "category": class, "count": n,
                "outstanding": money(outstanding)})).collect::<Vec<_>>(),
            "trend": ends.iter().zip(&trend).map(|(end, p)| json!({
                "month_end": end, "loans": p.loans, "outstanding": money(p.outstanding),
                "non_performing": money(p.non_performing)})).collect::<Vec<_>>(),
            "exposure_by_grade": exposure,
        }))
    }

    /// Principal outstanding by the borrower's grade today (the champion on its latest
    /// snapshot); `unscored` gathers borrowers it cannot score.
    async fn exposure_by_grade(&self, owed: &[(Uscc, Decimal)]) -> Result<Value, PlatformError> {
        let mut sums: Vec<(String, u64, Decimal)> = Grade::ALL
            .iter()
            .map(|g| (g.to_string(), 0, Decimal::ZERO))
            .chain([("unscored".to_string(), 0, Decimal::ZERO)])
            .collect();
        let borrowers: Vec<Uscc> = owed.iter().map(|(u, _)| u.clone()).collect();
        let scores = match self.registry.get(None) {
            Ok(model) => self.snapshots.latest_scores(&borrowers, &model).await?,
            Err(_) => vec![None; borrowers.len()],
        };
        for ((_, amount), scored) in owed.iter().zip(scores) {
            let at = scored.map_or(Grade::ALL.len(), |s| s.grade.rank());
            sums[at].1 += 1;
            sums[at].2 += amount;
        }
        Ok(sums
            .into_iter()
            .map(|(grade, loans, outstanding)| {
                json!({"grade": grade, "loans": loans, "outstanding": money(outstanding)})
            })
            .collect())
    }
}

/// Month-ends the book's trend covers.
const TREND_MONTHS: usize = 12;

/// The last `n` month-ends up to `today`, oldest first; today stands for the month under way.
fn month_ends(today: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut ends = vec![today];
    let mut end = today.with_day(1).and_then(|d| d.pred_opt());
    while ends.len() < n
        && let Some(e) = end
    {
        ends.push(e);
        end = e.with_day(1).and_then(|d| d.pred_opt());
    }
    ends.reverse();
    ends
}

/// The book at one month-end: live loans, principal outstanding, and the part classed
/// substandard or worse (non-performing).
#[derive(Clone, Default)]
struct TrendPoint {
    loans: u64,
    outstanding: Decimal,
    non_performing: Decimal,
}

impl TrendPoint {
    fn add(&mut self, loan: &Loan, on: NaiveDate) {
        let outstanding = loan.outstanding();
        if outstanding <= Decimal::ZERO {
            return;
        }
        self.loans += 1;
        self.outstanding += outstanding;
        if !matches!(
            loan.classify(on).category,
            Category::Normal | Category::SpecialMention
        ) {
            self.non_performing += outstanding;
        }
    }
}
