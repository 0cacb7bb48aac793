//! A lending market run month by month over a portfolio: banks decide applications with their
//! flows, guaranteed loans go to the bank's batch agreements, loans are booked and repaid as
//! their schedules say until the borrower's true default date, banks declare default at 90
//! days past due, guarantors compensate, and recoveries come in a year later at one minus the
//! product's LGD. Compensation rates, losses and approvals are measured, not assumed, and every
//! row written can be recomputed from the others.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::agreement::{Agreement, Candidate, Level, Refusal, Standing};
use crate::classify::Category;
use crate::flow::{Application, Flow, FlowError, Outcome};
use crate::loan::{Event, Loan, LoanError, State, Tranche};
use crate::schedule::{Repayment, fen};

/// A bank of the simulation: its id and its decision flow (with a champion).
pub struct Bank {
    /// The bank.
    pub id: String,
    /// Its credit policy.
    pub flow: Flow,
}

/// How a product is lent.
#[derive(Clone, Debug)]
pub struct ProductTerms {
    /// Term.
    pub months: u32,
    /// Repayment.
    pub repayment: Repayment,
    /// Loss given default (recoveries are one minus this, a year after default).
    pub lgd: Decimal,
    /// Lent by a bank (false: a referral, e.g. equity, not booked).
    pub loan: bool,
    /// Needs a guarantee from a batch agreement.
    pub guaranteed: bool,
}

/// The built-in market: three banks, two guarantors, four agreements.
pub const BUILTIN_SCENARIO: &str = include_str!("../scenarios/default.toml");

/// A market to simulate, as written in a scenario file.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// How each product is repaid: a repayment kind, or `referral` for products that are not
    /// loans.
    pub products: BTreeMap<String, String>,
    /// The banks and their flows (`builtin` or a JDM file beside the scenario).
    pub banks: Vec<BankSpec>,
    /// The guarantee agreements.
    #[serde(default)]
    pub agreements: Vec<Agreement>,
}

/// A bank as a scenario names it.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankSpec {
    /// The bank.
    pub id: String,
    /// Its flow: `builtin` or a path to a JDM file (relative to the scenario).
    pub flow: String,
}

impl Scenario {
    /// Reads and checks a scenario: every agreement's terms, each agreement's bank among the
    /// banks, every repayment kind known.
    pub fn parse(name: &str, text: &str) -> Result<Scenario, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        if s.banks.is_empty() {
            return Err(format!("{name}: no [[banks]]"));
        }
        Agreement::check_all(&s.agreements).map_err(|e| format!("{name}: {e}"))?;
        for a in &s.agreements {
            if !s.banks.iter().any(|b| b.id == a.bank) {
                return Err(format!(
                    "{name}: agreement {}: bank {} is not among the [[banks]]",
                    a.id, a.bank
                ));
            }
        }
        for (product, kind) in &s.products {
            if kind != "referral" {
                kind.parse::<Repayment>()
                    .map_err(|e| format!("{name}: products.{product}: {e}"))?;
            }
        }
        Ok(s)
    }
}

/// Why the simulation stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// A flow could not decide.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// The book refused an event (a defect: the simulation only records events that fit).
    #[error(transparent)]
    Loan(#[from] LoanError),
    /// No banks.
    #[error("the scenario has no bank")]
    NoBank,
}

/// One decision, with every input it read: a file of these can be replayed.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct DecisionRow {
    /// Date.
    pub date: NaiveDate,
    /// Application id.
    pub application: String,
    /// Enterprise.
    pub uscc: String,
    /// Bank.
    pub bank: String,
    /// Product.
    pub product: String,
    /// Term.
    pub term_months: u32,
    /// Flow version.
    pub version: u32,
    /// SHA-256 of its rules.
    pub rules_sha256: String,
    /// Outcome: approve, refer or decline.
    pub outcome: String,
    /// Amount sought.
    pub amount_sought: Decimal,
    /// Amount approved.
    pub amount: Decimal,
    /// Rate, when approved.
    pub rate: Option<Decimal>,
    /// PD.
    pub pd: f64,
    /// Score.
    pub score: f64,
    /// Grade.
    pub grade: String,
    /// Whether the product's eligibility rules passed.
    pub eligible: bool,
    /// The product's limit.
    pub limit: Decimal,
    /// The product's risk-based rate.
    pub offered_rate: Decimal,
    /// The product's LGD.
    pub lgd: Decimal,
    /// Days overdue on existing loans.
    pub overdue_days: Option<f64>,
    /// Tax credit rating.
    pub tax_rating: Option<String>,
    /// Industry code.
    pub industry: String,
    /// Region code.
    pub region: String,
    /// Rules that declined or referred it.
    pub findings: String,
    /// Digest for the ledger.
    pub digest: String,
}

impl DecisionRow {
    /// The row of a decision on `app` by `bank`.
    pub fn new(app: &Application, bank: &str, d: &crate::flow::Decision) -> DecisionRow {
        DecisionRow {
            date: app.date,
            application: app.id.clone(),
            uscc: app.uscc.clone(),
            bank: bank.to_string(),
            product: app.product.clone(),
            term_months: app.term_months,
            version: d.version,
            rules_sha256: d.rules_sha256.clone(),
            outcome: d.outcome.as_str().to_string(),
            amount_sought: app.amount,
            amount: d.amount,
            rate: d.rate,
            pd: app.pd,
            score: app.score,
            grade: app.grade.clone(),
            eligible: app.eligible,
            limit: app.limit,
            offered_rate: app.rate,
            lgd: app.lgd,
            overdue_days: app.overdue_days,
            tax_rating: app.tax_rating.clone(),
            industry: app.industry.clone(),
            region: app.region.clone(),
            findings: d
                .findings
                .iter()
                .map(|f| f.rule.as_str())
                .chain(d.missing.iter().map(|m| m.as_str()))
                .collect::<Vec<_>>()
                .join("+"),
            digest: d.digest.clone(),
        }
    }

    /// The decision as replay sees it, or why the row cannot be one.
    pub fn recorded(&self) -> Result<crate::replay::Recorded, String> {
        Ok(crate::replay::Recorded {
            outcome: self.outcome.parse()?,
            amount: self.amount,
            application: Application {
                id: self.application.clone(),
                uscc: self.uscc.clone(),
                date: self.date,
                product: self.product.clone(),
                amount: self.amount_sought,
                term_months: self.term_months,
                pd: self.pd,
                score: self.score,
                grade: self.grade.clone(),
                eligible: self.eligible,
                limit: self.limit,
                rate: self.offered_rate,
                lgd: self.lgd,
                overdue_days: self.overdue_days,
                tax_rating: self.tax_rating.clone(),
                industry: self.industry.clone(),
                region: self.region.clone(),
            },
        })
    }
}

/// One guarantee asked for.
#[derive(Clone, Debug, Serialize)]
pub struct GuaranteeRow {
    /// Date.
    pub date: NaiveDate,
    /// Agreement.
    pub agreement: String,
    /// Guarantor.
    pub guarantor: String,
    /// Bank.
    pub bank: String,
    /// Loan (empty when refused: no loan was made).
    pub loan: String,
    /// Enterprise.
    pub uscc: String,
    /// `issued`, `criteria`, `capacity`, `per_firm_cap` or `manual_review`.
    pub result: &'static str,
    /// Certificate id.
    pub certificate: String,
    /// Amount.
    pub amount: Decimal,
    /// Fee.
    pub fee: Decimal,
    /// Compensation rate when asked.
    pub rate_at_request: Decimal,
    /// The agreement's cap.
    pub cap_rate: Decimal,
    /// Why refused.
    pub reasons: String,
}

/// One loan event.
#[derive(Clone, Debug, Serialize)]
pub struct EventRow {
    /// Date.
    pub date: NaiveDate,
    /// Loan.
    pub loan: String,
    /// Enterprise.
    pub uscc: String,
    /// Bank.
    pub bank: String,
    /// Product.
    pub product: String,
    /// Agreement guaranteeing it (empty if none).
    pub agreement: String,
    /// Event kind.
    pub event: &'static str,
    /// Amount of the event.
    pub amount: Decimal,
    /// Of a payment: principal.
    pub principal: Decimal,
    /// Of a payment: interest.
    pub interest: Decimal,
    /// Principal outstanding after it.
    pub outstanding: Decimal,
    /// State after it.
    pub state: &'static str,
}

/// One compensation, by party.
#[derive(Clone, Debug, Serialize)]
pub struct CompensationRow {
    /// Date.
    pub date: NaiveDate,
    /// Loan.
    pub loan: String,
    /// Agreement.
    pub agreement: String,
    /// Guarantor.
    pub guarantor: String,
    /// Exposure at default.
    pub exposure: Decimal,
    /// Paid to the bank.
    pub paid_to_bank: Decimal,
    /// From the re-guarantor.
    pub from_reguarantor: Decimal,
    /// From the government fund.
    pub from_government: Decimal,
    /// The guarantor's own share.
    pub guarantor_net: Decimal,
    /// The bank's own share.
    pub bank_net: Decimal,
}

/// An agreement at a month's end.
#[derive(Clone, Debug, Serialize)]
pub struct AgreementMonth {
    /// Month end.
    pub date: NaiveDate,
    /// Agreement.
    pub agreement: String,
    /// Ever guaranteed.
    pub guaranteed: Decimal,
    /// Outstanding.
    pub outstanding: Decimal,
    /// Released by repayment.
    pub repaid: Decimal,
    /// Paid to banks.
    pub compensated: Decimal,
    /// Recovered (guarantor's part).
    pub recovered: Decimal,
    /// Compensation rate.
    pub rate: Decimal,
    /// Level.
    pub level: Level,
    /// Certificates issued.
    pub certificates: u64,
    /// Sent to manual review.
    pub manual_reviews: u64,
}

/// A bank's book by category at a month's end.
#[derive(Clone, Debug, Serialize)]
pub struct BookMonth {
    /// Month end.
    pub date: NaiveDate,
    /// Bank.
    pub bank: String,
    /// Category.
    pub category: &'static str,
    /// Loans.
    pub loans: u64,
    /// Principal outstanding.
    pub outstanding: Decimal,
}

/// One loan at a month's end: the panel vintage curves, roll rates, category migration and
/// stress tests read.
#[derive(Clone, Debug, Serialize)]
pub struct LoanMonth {
    /// Month end.
    pub date: NaiveDate,
    /// Loan.
    pub loan: String,
    /// Borrower.
    pub uscc: String,
    /// Bank.
    pub bank: String,
    /// Product.
    pub product: String,
    /// Month of disbursement (`YYYY-MM`): the loan's vintage.
    pub vintage: String,
    /// Whole months since disbursement.
    pub months_on_book: u32,
    /// Principal outstanding.
    pub outstanding: Decimal,
    /// Days past due.
    pub days_past_due: u32,
    /// Five-category class.
    pub category: &'static str,
    /// Loan state.
    pub state: &'static str,
    /// PD when decided (the champion model's).
    pub pd: f64,
    /// Loss given default of the product.
    pub lgd: Decimal,
    /// Borrower's industry.
    pub industry: String,
    /// Borrower's region.
    pub region: String,
    /// Guarantor, if guaranteed.
    pub guarantor: String,
    /// The guarantor's share of a loss (all but the bank's).
    pub guaranteed_share: Decimal,
}

/// A guarantor alerted.
#[derive(Clone, Debug, Serialize)]
pub struct AlertRow {
    /// Month end.
    pub date: NaiveDate,
    /// Agreement.
    pub agreement: String,
    /// Guarantor.
    pub guarantor: String,
    /// The level reached.
    pub level: Level,
    /// The rate.
    pub rate: Decimal,
    /// Warning level.
    pub warning_rate: Decimal,
    /// Cap.
    pub cap_rate: Decimal,
}

/// Everything a run produced.
#[derive(Default)]
pub struct Run {
    /// Decisions.
    pub decisions: Vec<DecisionRow>,
    /// Guarantees asked for.
    pub guarantees: Vec<GuaranteeRow>,
    /// Loan events.
    pub events: Vec<EventRow>,
    /// Compensations.
    pub compensations: Vec<CompensationRow>,
    /// Agreements by month.
    pub agreements: Vec<AgreementMonth>,
    /// Books by month.
    pub book: Vec<BookMonth>,
    /// Every open loan at every month end, and each loan once more in the month it was closed
    /// or written off (with that state).
    pub loan_months: Vec<LoanMonth>,
    /// Guarantors alerted: an agreement's rate reached its warning level or its cap.
    pub alerts: Vec<AlertRow>,
    /// The agreements' final standing.
    pub standing: BTreeMap<String, Standing>,
}

struct Booked {
    loan: Loan,
    product: String,
    agreement: Option<usize>,
    lgd: Decimal,
    defaulted_on: Option<NaiveDate>,
    disbursed_on: NaiveDate,
    /// Whether its exit (closed or written off) was written to the month-end panel.
    exit_written: bool,
    pd: f64,
    industry: String,
    region: String,
}

/// The bank an enterprise banks with: a stable hash of its code.
pub fn bank_of(uscc: &str, banks: usize) -> usize {
    let h = Sha256::digest(uscc.as_bytes());
    (u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize) % banks.max(1)
}

/// Runs the market from the first application's month to `until`.
pub fn simulate(
    banks: &[Bank],
    agreements: &[Agreement],
    terms: &HashMap<String, ProductTerms>,
    mut applications: Vec<Application>,
    defaults: &HashMap<String, NaiveDate>,
    until: NaiveDate,
) -> Result<Run, SimulationError> {
    if banks.is_empty() {
        return Err(SimulationError::NoBank);
    }
    applications.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.id.cmp(&b.id)));
    let mut run = Run::default();
    let mut standing: Vec<Standing> = agreements.iter().map(|_| Standing::default()).collect();
    let mut book: Vec<Booked> = Vec::new();
    let Some(first) = applications.first().map(|a| month_start(a.date)) else {
        return Ok(run);
    };
    let mut next_app = 0;
    let mut month = first;
    while month <= until {
        let next = month + Months::new(1);
        let end = (next - Days::new(1)).min(until);
        // Dues of the month: paid on the day unless the borrower has defaulted by then.
        for b in book.iter_mut() {
            if b.loan.state() != Some(State::Active) {
                continue;
            }
            let due: Vec<(NaiveDate, Decimal)> = b
                .loan
                .dues()
                .iter()
                .filter(|d| d.due >= month && d.due <= end)
                .map(|d| {
                    (
                        d.due,
                        d.principal - d.paid_principal + d.interest - d.paid_interest,
                    )
                })
                .collect();
            let default = defaults.get(&b.loan.uscc).copied();
            for (date, amount) in due {
                if default.is_some_and(|d| d <= date) || amount.is_zero() {
                    continue;
                }
                let paid = record(&mut run, b, agreements, date, Event::Repaid { amount })?;
                if let Some(k) = b.agreement {
                    standing[k].release(&b.loan.uscc, paid);
                }
            }
        }
        // The month's applications.
        while next_app < applications.len() && applications[next_app].date <= end {
            let app = &applications[next_app];
            next_app += 1;
            let bank = &banks[bank_of(&app.uscc, banks.len())];
            let decision = bank.flow.decide_with(app, false)?;
            let product_terms = terms.get(&app.product);
            run.decisions
                .push(DecisionRow::new(app, &bank.id, &decision));
            let Some(t) = product_terms.filter(|t| t.loan) else {
                continue;
            };
            if decision.outcome != Outcome::Approve || decision.amount <= Decimal::ZERO {
                continue;
            }
            let id = format!("L{:06}", book.len() + 1);
            let mut agreement = None;
            if t.guaranteed {
                let candidate = Candidate {
                    loan: id.clone(),
                    uscc: app.uscc.clone(),
                    grade: app.grade.clone(),
                    score: app.score,
                    pd: app.pd,
                    industry: app.industry.clone(),
                    region: app.region.clone(),
                    product: app.product.clone(),
                    amount: decision.amount,
                    term_months: t.months,
                };
                agreement = guarantee(
                    &mut run,
                    agreements,
                    &mut standing,
                    &bank.id,
                    &candidate,
                    app,
                );
                if agreement.is_none() {
                    continue;
                }
            }
            let mut b = Booked {
                loan: Loan::new(id, app.uscc.clone(), bank.id.clone()),
                product: app.product.clone(),
                agreement,
                lgd: t.lgd,
                defaulted_on: None,
                disbursed_on: app.date,
                exit_written: false,
                pd: app.pd,
                industry: app.industry.clone(),
                region: app.region.clone(),
            };
            let d = app.date;
            let opening = [
                Event::Applied {
                    amount: app.amount,
                    product: app.product.clone(),
                },
                Event::Decided {
                    approved: true,
                    amount: decision.amount,
                    decision: decision.digest.clone(),
                },
                Event::Contracted {
                    annual_rate: decision.rate.unwrap_or_default(),
                    months: t.months,
                    repayment: t.repayment,
                    tranches: vec![Tranche {
                        amount: decision.amount,
                        use_of_funds: None,
                    }],
                },
                Event::Disbursed {
                    amount: decision.amount,
                    spent: None,
                },
            ];
            for e in opening {
                record(&mut run, &mut b, agreements, d, e)?;
            }
            book.push(b);
        }
        // Month end: default at 90 days past due, compensation, recoveries a year on.
        for b in book.iter_mut() {
            let state = b.loan.state();
            if state == Some(State::Active) && b.loan.days_past_due(end) > 90 {
                record(
                    &mut run,
                    b,
                    agreements,
                    end,
                    Event::Defaulted {
                        reason: "more than 90 days past due".into(),
                    },
                )?;
                b.defaulted_on = Some(end);
            }
            if let (Some(k), Some(State::Defaulted)) = (b.agreement, b.loan.state())
                && b.loan.days_past_due(end) >= agreements[k].compensate_after_days
            {
                let a = &agreements[k];
                let exposure = b.loan.exposure(end);
                let before = standing[k].level(a);
                let c = standing[k].compensate(a, &b.loan.uscc, b.loan.outstanding(), exposure);
                record(
                    &mut run,
                    b,
                    agreements,
                    end,
                    Event::Compensated {
                        amount: c.paid_to_bank,
                        agreement: a.id.clone(),
                    },
                )?;
                run.compensations.push(CompensationRow {
                    date: end,
                    loan: b.loan.id.clone(),
                    agreement: a.id.clone(),
                    guarantor: a.guarantor.clone(),
                    exposure: c.exposure,
                    paid_to_bank: c.paid_to_bank,
                    from_reguarantor: c.from_reguarantor,
                    from_government: c.from_government,
                    guarantor_net: c.guarantor_net,
                    bank_net: c.bank_net,
                });
                let after = standing[k].level(a);
                if after > before {
                    run.alerts.push(AlertRow {
                        date: end,
                        agreement: a.id.clone(),
                        guarantor: a.guarantor.clone(),
                        level: after,
                        rate: standing[k].rate(a.basis),
                        warning_rate: a.warning_rate,
                        cap_rate: a.cap_rate,
                    });
                }
            }
            if let Some(on) = b.defaulted_on
                && on + Months::new(12) <= end
                && matches!(b.loan.state(), Some(State::Defaulted | State::Compensated))
            {
                let owed = b.loan.payable(end);
                let recovery = fen(owed * (Decimal::ONE - b.lgd)).min(owed);
                if recovery > Decimal::ZERO {
                    record(
                        &mut run,
                        b,
                        agreements,
                        end,
                        Event::Recovered { amount: recovery },
                    )?;
                    if let Some(k) = b.agreement {
                        standing[k].recover(&agreements[k], recovery);
                    }
                }
                if b.loan.state() != Some(State::Closed) {
                    record(&mut run, b, agreements, end, Event::WrittenOff)?;
                }
            }
        }
        snapshot(&mut run, banks, agreements, &standing, &mut book, end);
        month = next;
    }
    run.standing = agreements
        .iter()
        .zip(standing)
        .map(|(a, s)| (a.id.clone(), s))
        .collect();
    Ok(run)
}

/// Whole months from `from` to `to` (a loan disbursed on 15 March is one month on book at the
/// end of April).
fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let m = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    m.max(0) as u32
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists")
}

/// Records an event on a booked loan and its row; returns the principal a payment repaid.
fn record(
    run: &mut Run,
    b: &mut Booked,
    agreements: &[Agreement],
    date: NaiveDate,
    event: Event,
) -> Result<Decimal, SimulationError> {
    let kind = event.kind();
    let amount = match &event {
        Event::Applied { amount, .. }
        | Event::Decided { amount, .. }
        | Event::Disbursed { amount, .. }
        | Event::Repaid { amount }
        | Event::Compensated { amount, .. }
        | Event::Recovered { amount } => *amount,
        Event::Contracted { tranches, .. } => tranches.iter().map(|t| t.amount).sum(),
        Event::WrittenOff => b.loan.outstanding(),
        Event::Defaulted { .. } => b.loan.exposure(date),
    };
    let allocation = b.loan.record(date, event)?;
    run.events.push(EventRow {
        date,
        loan: b.loan.id.clone(),
        uscc: b.loan.uscc.clone(),
        bank: b.loan.bank.clone(),
        product: b.product.clone(),
        agreement: b
            .agreement
            .map(|k| agreements[k].id.clone())
            .unwrap_or_default(),
        event: kind,
        amount,
        principal: allocation.principal,
        interest: allocation.interest,
        outstanding: b.loan.outstanding(),
        state: b.loan.state().map(State::as_str).unwrap_or(""),
    });
    Ok(allocation.principal)
}

/// Asks the bank's agreements, in order, to guarantee a loan; the first that issues wins.
fn guarantee(
    run: &mut Run,
    agreements: &[Agreement],
    standing: &mut [Standing],
    bank: &str,
    candidate: &Candidate,
    app: &Application,
) -> Option<usize> {
    for (k, a) in agreements
        .iter()
        .enumerate()
        .filter(|(_, a)| a.bank == bank)
    {
        let rate = standing[k].rate(a.basis);
        let answer = standing[k].guarantee(a, candidate, &app.id, app.date);
        let (result, certificate, fee, reasons) = match &answer {
            Ok(c) => ("issued", c.id.clone(), c.fee, String::new()),
            Err(r) => {
                let failed = match r {
                    Refusal::Criteria { failed } => failed.iter().map(|f| f.criterion).collect(),
                    _ => Vec::new(),
                };
                (r.code(), String::new(), Decimal::ZERO, failed.join("+"))
            }
        };
        run.guarantees.push(GuaranteeRow {
            date: app.date,
            agreement: a.id.clone(),
            guarantor: a.guarantor.clone(),
            bank: bank.to_string(),
            loan: if answer.is_ok() {
                candidate.loan.clone()
            } else {
                String::new()
            },
            uscc: candidate.uscc.clone(),
            result,
            certificate,
            amount: candidate.amount,
            fee,
            rate_at_request: rate,
            cap_rate: a.cap_rate,
            reasons,
        });
        if answer.is_ok() {
            return Some(k);
        }
    }
    None
}

fn snapshot(
    run: &mut Run,
    banks: &[Bank],
    agreements: &[Agreement],
    standing: &[Standing],
    book: &mut [Booked],
    end: NaiveDate,
) {
    for (a, s) in agreements.iter().zip(standing) {
        run.agreements.push(AgreementMonth {
            date: end,
            agreement: a.id.clone(),
            guaranteed: s.guaranteed,
            outstanding: s.outstanding,
            repaid: s.repaid,
            compensated: s.compensated,
            recovered: s.recovered,
            rate: s.rate(a.basis),
            level: s.level(a),
            certificates: s.certificates,
            manual_reviews: s.manual_reviews,
        });
    }
    let mut by: BTreeMap<(&str, Category), (u64, Decimal)> = BTreeMap::new();
    for b in book.iter_mut() {
        let closed = matches!(b.loan.state(), Some(State::Closed | State::WrittenOff));
        if closed && b.exit_written {
            continue;
        }
        // A loan that left the book appears once more, in the month it left, with its final
        // state: roll rates tell a repayment from a write-off by it.
        b.exit_written = closed;
        let c = b.loan.classify(end).category;
        if !closed {
            let e = by.entry((b.loan.bank.as_str(), c)).or_default();
            e.0 += 1;
            e.1 += b.loan.outstanding();
        }
        let agreement = b.agreement.map(|k| &agreements[k]);
        run.loan_months.push(LoanMonth {
            date: end,
            loan: b.loan.id.clone(),
            uscc: b.loan.uscc.clone(),
            bank: b.loan.bank.clone(),
            product: b.product.clone(),
            vintage: b.disbursed_on.format("%Y-%m").to_string(),
            months_on_book: months_between(b.disbursed_on, end),
            outstanding: b.loan.outstanding(),
            days_past_due: b.loan.days_past_due(end),
            category: c.as_str(),
            state: b.loan.state().map(State::as_str).unwrap_or(""),
            pd: b.pd,
            lgd: b.lgd,
            industry: b.industry.clone(),
            region: b.region.clone(),
            guarantor: agreement.map(|a| a.guarantor.clone()).unwrap_or_default(),
            guaranteed_share: agreement.map_or(Decimal::ZERO, |a| Decimal::ONE - a.shares.bank),
        });
    }
    for bank in banks {
        for c in Category::ALL {
            let (loans, outstanding) = by.get(&(bank.id.as_str(), c)).copied().unwrap_or_default();
            run.book.push(BookMonth {
                date: end,
                bank: bank.id.clone(),
                category: c.as_str(),
                loans,
                outstanding,
            });
        }
    }
}
