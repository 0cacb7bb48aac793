//! One loan as the events that happened to it: application, decision, contract, disbursements
//! (in tranches, a later one optionally conditional on the earlier one having been spent on its
//! purpose), repayments, default, a guarantor's compensation (代偿), recoveries and write-off.
//! Nothing is stored but the events; what is outstanding, overdue and how the loan classifies
//! on a date are derived from them, so the balances always reconcile to the events. An event
//! that does not fit the loan's state is refused with the state.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::classify::{Classification, CreditState, classify};
use crate::schedule::{Instalment, Repayment, ScheduleError, fen, schedule};

/// Where a loan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Applied for, not yet decided.
    Applied,
    /// Approved, no contract yet.
    Approved,
    /// Declined (final).
    Declined,
    /// Contracted, nothing disbursed yet.
    Contracted,
    /// Disbursed (in part or in full) and being repaid.
    Active,
    /// Declared in default by the lender.
    Defaulted,
    /// In default and compensated by its guarantor.
    Compensated,
    /// Repaid or recovered in full (final).
    Closed,
    /// Written off (final).
    WrittenOff,
}

impl State {
    /// The name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Approved => "approved",
            State::Declined => "declined",
            State::Contracted => "contracted",
            State::Active => "active",
            State::Defaulted => "defaulted",
            State::Compensated => "compensated",
            State::Closed => "closed",
            State::WrittenOff => "written_off",
        }
    }
}

/// A tranche of the contract, and what must be shown before it is paid out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tranche {
    /// Amount of the tranche.
    pub amount: Decimal,
    /// For a tranche after the first: the share of the tranche before it that the borrower's
    /// bank statement must show spent (outflows after that disbursement) first.
    pub use_of_funds: Option<Decimal>,
}

/// What happened to a loan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Applied for `amount` of `product`.
    Applied {
        /// Yuan sought.
        amount: Decimal,
        /// Product id from the catalogue.
        product: String,
    },
    /// Decided (by a decision whose id and flow version are recorded with it).
    Decided {
        /// Approved or not.
        approved: bool,
        /// Amount approved (zero when declined).
        amount: Decimal,
        /// The decision's id.
        decision: String,
    },
    /// Contract signed.
    Contracted {
        /// Annual interest rate.
        annual_rate: Decimal,
        /// Months to maturity from the first disbursement.
        months: u32,
        /// How it is repaid.
        repayment: Repayment,
        /// Tranches; their amounts add up to the contracted principal.
        tranches: Vec<Tranche>,
    },
    /// Paid out: the next tranche. `spent` is the borrower's outflows since the previous
    /// tranche, when that tranche is conditional on its use.
    Disbursed {
        /// Amount (the tranche's).
        amount: Decimal,
        /// Outflows shown since the previous disbursement.
        spent: Option<Decimal>,
    },
    /// Paid by the borrower.
    Repaid {
        /// Amount.
        amount: Decimal,
    },
    /// Declared in default by the lender.
    Defaulted {
        /// Why (e.g. `90 days past due`).
        reason: String,
    },
    /// The guarantor paid the lender its share of the loss (代偿).
    Compensated {
        /// Amount paid to the lender.
        amount: Decimal,
        /// The guarantee agreement.
        agreement: String,
    },
    /// Recovered from the borrower after default (collateral, enforcement).
    Recovered {
        /// Amount.
        amount: Decimal,
    },
    /// The rest given up.
    WrittenOff,
}

impl Event {
    /// The event's kind, as in files.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Applied { .. } => "applied",
            Event::Decided { .. } => "decided",
            Event::Contracted { .. } => "contracted",
            Event::Disbursed { .. } => "disbursed",
            Event::Repaid { .. } => "repaid",
            Event::Defaulted { .. } => "defaulted",
            Event::Compensated { .. } => "compensated",
            Event::Recovered { .. } => "recovered",
            Event::WrittenOff => "written_off",
        }
    }
}

/// An event refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum LoanError {
    /// The event does not fit the loan's state.
    #[error("loan {loan}: cannot record '{event}' on a loan that is {state}")]
    WrongState {
        /// The loan.
        loan: String,
        /// Its state.
        state: &'static str,
        /// The event refused.
        event: &'static str,
    },
    /// The event is dated before the loan's last event.
    #[error("loan {loan}: '{event}' dated {date} is before the last event ({last})")]
    OutOfOrder {
        /// The loan.
        loan: String,
        /// The event.
        event: &'static str,
        /// Its date.
        date: NaiveDate,
        /// The last event's date.
        last: NaiveDate,
    },
    /// An amount that does not fit.
    #[error("loan {loan}: '{event}': {reason}")]
    Amount {
        /// The loan.
        loan: String,
        /// The event.
        event: &'static str,
        /// Why.
        reason: String,
    },
    /// Contract terms that make no schedule.
    #[error("loan {loan}: contract: {0}", loan = .1)]
    Terms(ScheduleError, String),
}

/// One due amount and what has been paid of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Due {
    /// When.
    pub due: NaiveDate,
    /// Principal due.
    pub principal: Decimal,
    /// Interest due.
    pub interest: Decimal,
    /// Principal paid so far.
    pub paid_principal: Decimal,
    /// Interest paid so far.
    pub paid_interest: Decimal,
}

impl Due {
    /// Principal and interest of this due not yet paid.
    pub fn unpaid(&self) -> Decimal {
        self.principal - self.paid_principal + self.interest - self.paid_interest
    }
}

/// How a payment was applied: interest first, then principal, oldest due first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// To principal.
    pub principal: Decimal,
    /// To interest.
    pub interest: Decimal,
}

/// A loan: its events and what they add up to.
#[derive(Clone, Debug, Serialize)]
pub struct Loan {
    /// The loan's id.
    pub id: String,
    /// The borrower.
    pub uscc: String,
    /// The lender.
    pub bank: String,
    events: Vec<(NaiveDate, Event)>,
    state: Option<State>,
    approved: Decimal,
    tranches: Vec<Tranche>,
    terms: Option<(Decimal, u32, Repayment)>,
    anchor: Option<NaiveDate>,
    disbursed: Decimal,
    last_disbursed: Decimal,
    disbursements: usize,
    dues: Vec<Due>,
    principal_paid: Decimal,
    interest_paid: Decimal,
    recovered: Decimal,
    compensated: Decimal,
    written_off: Decimal,
}

impl Loan {
    /// A loan with no events yet.
    pub fn new(id: impl Into<String>, uscc: impl Into<String>, bank: impl Into<String>) -> Loan {
        Loan {
            id: id.into(),
            uscc: uscc.into(),
            bank: bank.into(),
            events: Vec::new(),
            state: None,
            approved: Decimal::ZERO,
            tranches: Vec::new(),
            terms: None,
            anchor: None,
            disbursed: Decimal::ZERO,
            last_disbursed: Decimal::ZERO,
            disbursements: 0,
            dues: Vec::new(),
            principal_paid: Decimal::ZERO,
            interest_paid: Decimal::ZERO,
            recovered: Decimal::ZERO,
            compensated: Decimal::ZERO,
            written_off: Decimal::ZERO,
        }
    }

    /// Rebuilds a loan from its recorded events (refusing any that does not fit, as when it
    /// was recorded).
    pub fn from_events(
        id: &str,
        uscc: &str,
        bank: &str,
        events: impl IntoIterator<Item = (NaiveDate, Event)>,
    ) -> Result<Loan, LoanError> {
        let mut loan = Loan::new(id, uscc, bank);
        for (date, event) in events {
            loan.record(date, event)?;
        }
        Ok(loan)
    }

    /// The loan as it stood at the end of `date`: its events up to then, replayed (a book's
    /// history is read this way, never stored twice).
    pub fn as_of(&self, date: NaiveDate) -> Loan {
        let mut past = Loan::new(self.id.clone(), self.uscc.clone(), self.bank.clone());
        for (d, event) in self.events.iter().take_while(|(d, _)| *d <= date) {
            // Each event was accepted in this order when it was recorded, so a prefix
            // replays; should one not, the history stops there rather than guess.
            if past.record(*d, event.clone()).is_err() {
                break;
            }
        }
        past
    }

    /// The events, in order.
    pub fn events(&self) -> &[(NaiveDate, Event)] {
        &self.events
    }

    /// Its state (`None` before the application).
    pub fn state(&self) -> Option<State> {
        self.state
    }

    /// The instalments and what has been paid of each.
    pub fn dues(&self) -> &[Due] {
        &self.dues
    }

    /// Principal contracted: the tranches' total.
    pub fn contracted(&self) -> Decimal {
        self.tranches.iter().map(|t| t.amount).sum()
    }

    /// Principal paid out.
    pub fn disbursed(&self) -> Decimal {
        self.disbursed
    }

    /// Principal still owed by the borrower (to the lender or, after compensation, to the
    /// guarantor), zero once written off.
    pub fn outstanding(&self) -> Decimal {
        self.disbursed - self.principal_paid - self.written_off
    }

    /// Interest paid so far.
    pub fn interest_paid(&self) -> Decimal {
        self.interest_paid
    }

    /// Amount the guarantor has paid.
    pub fn compensated(&self) -> Decimal {
        self.compensated
    }

    /// Amount recovered after default.
    pub fn recovered(&self) -> Decimal {
        self.recovered
    }

    /// Principal given up.
    pub fn written_off(&self) -> Decimal {
        self.written_off
    }

    /// Principal and interest due on or before `date` and not yet paid.
    pub fn overdue(&self, date: NaiveDate) -> Allocation {
        self.dues
            .iter()
            .filter(|d| d.due <= date)
            .fold(Allocation::default(), |a, d| Allocation {
                principal: a.principal + d.principal - d.paid_principal,
                interest: a.interest + d.interest - d.paid_interest,
            })
    }

    /// Owed on `date`: the outstanding principal and the interest due and unpaid.
    pub fn exposure(&self, date: NaiveDate) -> Decimal {
        if matches!(self.state, Some(State::WrittenOff | State::Closed)) {
            return Decimal::ZERO;
        }
        self.outstanding() + self.overdue(date).interest
    }

    /// Days the oldest unpaid due is past due on `date` (0 when nothing is).
    pub fn days_past_due(&self, date: NaiveDate) -> u32 {
        if matches!(self.state, Some(State::WrittenOff | State::Closed)) {
            return 0;
        }
        self.dues
            .iter()
            .find(|d| d.due < date && d.unpaid() > Decimal::ZERO)
            .map(|d| (date - d.due).num_days().max(0) as u32)
            .unwrap_or(0)
    }

    /// The loan's five-category classification on `date`.
    pub fn classify(&self, date: NaiveDate) -> Classification {
        classify(&CreditState {
            days_past_due: self.days_past_due(date),
            credit_impaired: matches!(self.state, Some(State::Defaulted | State::Compensated)),
            written_off: self.state == Some(State::WrittenOff),
            ..CreditState::default()
        })
    }

    /// The next tranche to pay out, if any.
    pub fn next_tranche(&self) -> Option<&Tranche> {
        self.tranches.get(self.disbursements)
    }

    /// Records `event` on `date`, or refuses it with the loan's state. Returns how a payment
    /// was applied (zero for other events).
    pub fn record(&mut self, date: NaiveDate, event: Event) -> Result<Allocation, LoanError> {
        let kind = event.kind();
        if let Some((last, _)) = self.events.last()
            && date < *last
        {
            return Err(LoanError::OutOfOrder {
                loan: self.id.clone(),
                event: kind,
                date,
                last: *last,
            });
        }
        let wrong = |state: Option<State>| LoanError::WrongState {
            loan: self.id.clone(),
            state: state.map(State::as_str).unwrap_or("not applied for"),
            event: kind,
        };
        let amount_error = |reason: String| LoanError::Amount {
            loan: self.id.clone(),
            event: kind,
            reason,
        };
        let positive = |a: &Decimal| {
            if *a > Decimal::ZERO {
                Ok(())
            } else {
                Err(amount_error(format!("amount {a} is not positive")))
            }
        };
        let mut allocation = Allocation::default();
        let next = match (&event, self.state) {
            (Event::Applied { amount, .. }, None) => {
                positive(amount)?;
                State::Applied
            }
            (
                Event::Decided {
                    approved, amount, ..
                },
                Some(State::Applied),
            ) => {
                if *approved {
                    positive(amount)?;
                    self.approved = *amount;
                    State::Approved
                } else {
                    State::Declined
                }
            }
            (
                Event::Contracted {
                    annual_rate,
                    months,
                    repayment,
                    tranches,
                },
                Some(State::Approved),
            ) => {
                if tranches.is_empty()
                    || tranches
                        .iter()
                        .any(|t| t.amount <= Decimal::ZERO || t.amount > self.approved)
                {
                    return Err(amount_error(format!(
                        "every tranche needs a positive amount of at most the {} approved",
                        self.approved
                    )));
                }
                if tranches.iter().any(|t| {
                    t.use_of_funds
                        .is_some_and(|u| u < Decimal::ZERO || u > Decimal::ONE)
                }) {
                    return Err(amount_error(
                        "a tranche's use_of_funds is a share between 0 and 1".into(),
                    ));
                }
                let total = tranches
                    .iter()
                    .try_fold(Decimal::ZERO, |sum, t| sum.checked_add(t.amount))
                    .unwrap_or(Decimal::MAX);
                if total > self.approved {
                    return Err(amount_error(format!(
                        "tranches add up to {total}, more than the {} approved",
                        self.approved
                    )));
                }
                // Checked now, so a disbursement never meets terms that make no schedule.
                schedule(total, *annual_rate, *months, date, *repayment)
                    .map_err(|e| LoanError::Terms(e, self.id.clone()))?;
                self.tranches = tranches.clone();
                self.terms = Some((*annual_rate, *months, *repayment));
                State::Contracted
            }
            (Event::Disbursed { amount, spent }, Some(State::Contracted | State::Active)) => {
                let tranche = self.next_tranche().cloned().ok_or_else(|| {
                    amount_error("every tranche of the contract is already paid out".into())
                })?;
                if *amount != tranche.amount {
                    return Err(amount_error(format!(
                        "the next tranche is {}, not {amount}",
                        tranche.amount
                    )));
                }
                if let Some(share) = tranche
                    .use_of_funds
                    .filter(|_| self.disbursed > Decimal::ZERO)
                {
                    let needed = self.last_disbursed * share;
                    let shown = spent.unwrap_or_default();
                    if shown < needed {
                        return Err(amount_error(format!(
                            "use of funds not shown: {shown} spent since the last tranche, {needed} needed ({share} of {})",
                            self.last_disbursed
                        )));
                    }
                }
                self.disburse(date, *amount)?;
                State::Active
            }
            (Event::Repaid { amount }, Some(State::Active | State::Defaulted)) => {
                positive(amount)?;
                allocation = self.allocate(date, *amount, kind)?;
                self.principal_paid += allocation.principal;
                self.interest_paid += allocation.interest;
                self.state.expect("active or defaulted")
            }
            (Event::Defaulted { .. }, Some(State::Active)) => State::Defaulted,
            (Event::Compensated { amount, .. }, Some(State::Defaulted)) => {
                positive(amount)?;
                let owed = self.exposure(date);
                if *amount > owed {
                    return Err(amount_error(format!(
                        "compensation {amount} is more than the {owed} owed"
                    )));
                }
                self.compensated += *amount;
                State::Compensated
            }
            (Event::Recovered { amount }, Some(State::Defaulted | State::Compensated)) => {
                positive(amount)?;
                allocation = self.allocate(date, *amount, kind)?;
                self.principal_paid += allocation.principal;
                self.interest_paid += allocation.interest;
                self.recovered += *amount;
                self.state.expect("defaulted or compensated")
            }
            (Event::WrittenOff, Some(State::Defaulted | State::Compensated)) => {
                self.written_off = self.outstanding();
                State::WrittenOff
            }
            (_, state) => return Err(wrong(state)),
        };
        let fully_paid = self.tranches.len() == self.disbursements
            && self.disbursed > Decimal::ZERO
            && self.outstanding().is_zero()
            && self.dues.iter().all(|d| d.unpaid().is_zero());
        self.state = Some(if fully_paid && next != State::WrittenOff {
            State::Closed
        } else {
            next
        });
        self.events.push((date, event));
        Ok(allocation)
    }

    /// Adds a tranche's schedule on the contract's due dates (monthly from the first tranche,
    /// maturing with it); a later tranche's first interest runs from its own day, at the daily
    /// rate of a 360-day year.
    fn disburse(&mut self, date: NaiveDate, amount: Decimal) -> Result<(), LoanError> {
        let (rate, months, repayment) = self.terms.expect("contracted");
        let anchor = *self.anchor.get_or_insert(date);
        let due = |k: u32| anchor.checked_add_months(chrono::Months::new(k));
        let left = (1..=months)
            .filter(|k| due(*k).is_some_and(|d| d > date))
            .count() as u32;
        if left == 0 {
            return Err(LoanError::Amount {
                loan: self.id.clone(),
                event: "disbursed",
                reason: format!("the contract matured on {}", due(months).unwrap_or(anchor)),
            });
        }
        let start = due(months - left).unwrap_or(anchor);
        let mut tranche = schedule(amount, rate, left, start, repayment)
            .map_err(|e| LoanError::Terms(e, self.id.clone()))?;
        // On the contract's own dates: a month after a clamped month end is not the contract's.
        for (k, i) in tranche.iter_mut().enumerate() {
            i.due = due(months - left + k as u32 + 1).unwrap_or(i.due);
        }
        if start < date {
            let days = (tranche[0].due - date).num_days();
            tranche[0].interest = fen(amount * rate * Decimal::from(days) / Decimal::from(360));
        }
        merge(&mut self.dues, tranche);
        self.disbursed += amount;
        self.last_disbursed = amount;
        self.disbursements += 1;
        Ok(())
    }

    /// What can be paid on `date`: everything fallen due and unpaid, and the principal not yet
    /// due (interest that has not fallen due is not owed yet).
    pub fn payable(&self, date: NaiveDate) -> Decimal {
        self.dues
            .iter()
            .map(|d| {
                if d.due <= date {
                    d.unpaid()
                } else {
                    d.principal - d.paid_principal
                }
            })
            .sum()
    }

    /// Applies a payment: what has fallen due first (interest then principal, oldest first),
    /// then principal ahead of schedule, nearest first. Once the principal is repaid in full,
    /// the interest not yet due is no longer owed. More than [`Loan::payable`] is refused.
    fn allocate(
        &mut self,
        date: NaiveDate,
        amount: Decimal,
        kind: &'static str,
    ) -> Result<Allocation, LoanError> {
        let payable = self.payable(date);
        if amount > payable {
            return Err(LoanError::Amount {
                loan: self.id.clone(),
                event: kind,
                reason: format!(
                    "{amount} is more than the {payable} that can be paid on {date} (what is due, and the principal ahead of schedule)"
                ),
            });
        }
        let mut left = amount;
        let mut out = Allocation::default();
        for d in self.dues.iter_mut().filter(|d| d.due <= date) {
            let interest = (d.interest - d.paid_interest).min(left);
            d.paid_interest += interest;
            left -= interest;
            let principal = (d.principal - d.paid_principal).min(left);
            d.paid_principal += principal;
            left -= principal;
            out.interest += interest;
            out.principal += principal;
        }
        for d in self.dues.iter_mut().filter(|d| d.due > date) {
            let principal = (d.principal - d.paid_principal).min(left);
            d.paid_principal += principal;
            left -= principal;
            out.principal += principal;
        }
        if self.dues.iter().all(|d| d.paid_principal == d.principal) {
            for d in self.dues.iter_mut().filter(|d| d.due > date) {
                d.interest = d.paid_interest;
            }
        }
        Ok(out)
    }
}

/// Adds a tranche's instalments to the dues, summing those on the same date.
fn merge(dues: &mut Vec<Due>, tranche: Vec<Instalment>) {
    for i in tranche {
        match dues.iter_mut().find(|d| d.due == i.due) {
            Some(d) => {
                d.principal += i.principal;
                d.interest += i.interest;
            }
            None => dues.push(Due {
                due: i.due,
                principal: i.principal,
                interest: i.interest,
                paid_principal: Decimal::ZERO,
                paid_interest: Decimal::ZERO,
            }),
        }
    }
    dues.sort_by_key(|d| d.due);
}
