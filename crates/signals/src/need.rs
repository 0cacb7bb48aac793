//! Financing-need signals: seeing a firm's cash run short before it asks.
//!
//! From a firm's monthly series as of a month-end: the balance now, forecasts of what it will
//! collect and pay in each of the next three months, and the outlays its own recent actions
//! announce (materials for a large order just won, equipment just ordered). The projected
//! balance is compared with the buffer the firm keeps, estimated from its own flows as its
//! fixed costs (the part of its payments that does not move with its collections). A
//! projected fall below the buffer is a signal: how far below (severity), the amount that would
//! restore one and a half buffers, the months it covers, and the evidence, so a credit officer
//! can check every number.
//!
//! Where a firm shares no orders data, its bank statement still announces its purchases: a
//! single payment far above its usual largest is a deposit, customarily a fifth of the price.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use chrono::Datelike as _;

use crate::flows::forecast_flows;
use crate::forecast::Method;

/// Months ahead a signal looks.
pub const HORIZON: usize = 3;

/// A firm's monthly series (oldest first, the last the as-of month; `NaN` = no data).
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// What customers paid.
    pub inflow: &'a [f64],
    /// What the firm paid out.
    pub outflow: &'a [f64],
    /// Balance after the month's last transaction.
    pub balance: &'a [f64],
    /// The largest single outflow of each month.
    pub largest_out: &'a [f64],
    /// The largest single inflow of each month (loan proceeds apart).
    pub largest_in: &'a [f64],
    /// Value of orders won.
    pub orders_won: &'a [f64],
    /// The largest single order won.
    pub largest_order: &'a [f64],
    /// Equipment ordered.
    pub equipment_ordered: &'a [f64],
    /// Purchases on received invoices.
    pub purchases: &'a [f64],
    /// Sales on issued invoices.
    pub sales: &'a [f64],
    /// R&D spending per month.
    pub rnd: &'a [f64],
}

/// What a signal says drives the shortfall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// The seasons or costs above collections.
    Shortfall,
    /// Materials for a large order just won, paid before the customer pays.
    OrderWon,
    /// Equipment just ordered.
    EquipmentPurchase,
    /// Purchases on invoice far above the firm's usual: payables peak.
    PayablesPeak,
    /// R&D spending rising fast.
    RndRamp,
}

impl SignalKind {
    /// The purpose a lender would read into it.
    pub fn purpose(self) -> &'static str {
        match self {
            SignalKind::Shortfall | SignalKind::PayablesPeak => "working_capital",
            SignalKind::OrderWon => "order_fulfilment",
            SignalKind::EquipmentPurchase => "equipment",
            SignalKind::RndRamp => "rnd",
        }
    }
}

/// The numbers behind a signal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// Balance at the as-of month's end (yuan).
    pub balance: f64,
    /// The buffer: estimated monthly fixed costs (yuan).
    pub buffer: f64,
    /// Forecast collections for each month ahead.
    pub inflow: Vec<f64>,
    /// Forecast payments for each month ahead.
    pub outflow: Vec<f64>,
    /// Outlays announced by the firm's actions, for each month ahead.
    pub announced_out: Vec<f64>,
    /// Receipts announced (a customer's payment for a won order), for each month ahead.
    pub announced_in: Vec<f64>,
    /// Projected balance at each month's end.
    pub projected: Vec<f64>,
    /// The sources read: `bank_txn`, `orders`, `invoice`, `rnd`.
    pub sources: Vec<&'static str>,
}

/// A firm's need signal as of a month-end.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NeedSignal {
    /// What drives it.
    pub kind: SignalKind,
    /// How far below the buffer the balance is projected to fall, as a share of the buffer
    /// (above 0: a shortfall; the larger, the more certain and the larger the need).
    pub severity: f64,
    /// Yuan that would restore one and a half buffers, to the next 10,000 (0 when no shortfall).
    pub amount: Decimal,
    /// First month projected below the buffer.
    pub from: Option<NaiveDate>,
    /// Last month of the window looked at.
    pub to: NaiveDate,
    /// Every number it rests on.
    pub evidence: Evidence,
}

impl NeedSignal {
    /// Whether it signals a shortfall at all.
    pub fn is_shortfall(&self) -> bool {
        self.severity > 0.0
    }
}

fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

fn recent(values: &[f64], months: usize) -> &[f64] {
    &values[values.len().saturating_sub(months)..]
}

/// A month above this multiple of the series' median is a one-off (an event's payment), not
/// the run rate: the seasons move a month by a third at most.
pub const SPIKE: f64 = 1.6;

/// An order above this multiple of the typical month's collections is a large order won.
pub const LARGE_ORDER: f64 = 1.5;

/// A single transfer this many times the firm's usual largest is out of the ordinary.
pub const UNUSUAL: f64 = 2.5;

/// The share of a large order customarily prepaid when it is placed (预付款).
pub const PREPAYMENT_SHARE: f64 = 0.1;

/// A single payment above this multiple of the typical month's payments is no deposit: it is
/// the bill of something already under way (the materials of an order the data do not show).
pub const DEPOSIT_AT_MOST: f64 = 1.6;

/// The share of a purchase customarily paid as a deposit when it is ordered (定金).
pub const DEPOSIT_SHARE: f64 = 0.2;

/// `values` with every month above `factor` times the median of the finite ones replaced by
/// the median: a one-off tells nothing of the run rate.
pub fn capped(values: &[f64], factor: f64) -> Vec<f64> {
    match median(values.iter().copied()) {
        Some(m) if m > 0.0 => values
            .iter()
            .map(|v| {
                if v.is_finite() && *v > factor * m {
                    m
                } else {
                    *v
                }
            })
            .collect(),
        _ => values.to_vec(),
    }
}

/// The share of a month's payments that is fixed costs (wages, rent): a month of them is the
/// buffer a firm keeps.
pub const FIXED_SHARE: f64 = 0.3;

/// Monthly fixed costs: [`FIXED_SHARE`] of the typical month's payments over the last year,
/// one-off payments set aside.
pub fn fixed_costs(_inflow: &[f64], outflow: &[f64]) -> Option<f64> {
    let outflow = capped(outflow, SPIKE);
    median(recent(&outflow, 12).iter().copied()).map(|m| FIXED_SHARE * m)
}

/// What an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    /// A large order won.
    Order,
    /// A large purchase (equipment) ordered.
    Purchase,
}

/// An event a firm's data show.
#[derive(Clone, Copy, Debug)]
struct Event {
    kind: EventKind,
    /// Index of its month in the series.
    month: usize,
    /// The order's or the purchase's value.
    value: f64,
}

/// The large orders won and purchases made over the series, oldest first: orders from the
/// orders data; purchases from the orders data too, or, where a firm shares none, from a
/// single payment far above its usual largest (a deposit), once those a known event explains
/// are set aside (the materials of an order the month after it, the rest of a purchase the
/// month after its deposit).
fn events(s: &Series<'_>, typical_in: f64) -> Vec<Event> {
    let n = s.inflow.len();
    let get = |v: &[f64], k: usize| v.get(k).copied().filter(|x| x.is_finite()).unwrap_or(0.0);
    let usual = |v: &[f64]| median(v.iter().copied()).unwrap_or(0.0);
    let usual_out = usual(s.largest_out);
    let typical_out = median(s.outflow.iter().copied()).unwrap_or(0.0).max(1.0);
    let mut events: Vec<Event> = Vec::new();
    let had = |events: &[Event], kind: EventKind, k: usize, lag: usize| {
        k >= lag && events.iter().any(|e| e.kind == kind && e.month == k - lag)
    };
    for k in 0..n {
        // A customer's prepayment is no larger than its regular payments, so orders are
        // known from the orders data only.
        let order = get(s.largest_order, k);
        if order > LARGE_ORDER * typical_in {
            events.push(Event {
                kind: EventKind::Order,
                month: k,
                value: order,
            });
        }
        let ordered = get(s.equipment_ordered, k);
        let deposit = get(s.largest_out, k);
        if ordered > 0.0 {
            events.push(Event {
                kind: EventKind::Purchase,
                month: k,
                value: ordered,
            });
        } else if deposit > UNUSUAL * usual_out
            && deposit > 0.4 * typical_out
            && deposit < DEPOSIT_AT_MOST * typical_out
            // On top of the month's usual payments, not all of them in one transfer.
            && get(s.outflow, k) - deposit > 0.5 * typical_out
            && !had(&events, EventKind::Order, k, 1)
            && !had(&events, EventKind::Purchase, k, 1)
        {
            events.push(Event {
                kind: EventKind::Purchase,
                month: k,
                value: deposit / DEPOSIT_SHARE,
            });
        }
    }
    events
}

/// The firm's need signal as of the last month of its series (`as_of_month`, its first day);
/// `None` when it has no bank data to project from.
pub fn need_signal(s: &Series<'_>, as_of_month: NaiveDate, method: Method) -> Option<NeedSignal> {
    // A firm without bank activity in the as-of month (stopped, or not sharing) is not
    // projected from an old balance.
    let balance = s.balance.last().copied().filter(|b| b.is_finite())?;
    // One-off flows (an equipment payment, a large customer's settlement) are events, not
    // the firm's run rate: set aside before forecasting, and announced separately below.
    let (inflow_run, outflow_run) = (capped(s.inflow, SPIKE), capped(s.outflow, SPIKE));
    let months0: Vec<u32> = (0..s.inflow.len())
        .map(|k| {
            let back = (s.inflow.len() - 1 - k) as u32;
            (as_of_month.month0() + 12 * (back / 12 + 1) - back % 12) % 12
        })
        .collect();
    let flows = forecast_flows(
        &inflow_run,
        &outflow_run,
        s.sales,
        &months0,
        HORIZON,
        method,
    );
    let (inflow, outflow) = (flows.inflow.clone(), flows.outflow.clone());
    if inflow.iter().chain(&outflow).any(|v| !v.is_finite()) {
        return None;
    }
    let typical_out = median(recent(&outflow_run, 12).iter().copied())?.max(1.0);
    let buffer = flows
        .fixed
        .map(|f| f.clamp(0.1 * typical_out, 0.6 * typical_out))
        .unwrap_or(FIXED_SHARE * typical_out)
        .max(1.0);
    let n = s.inflow.len();
    let typical_in = median(recent(s.inflow, 12).iter().copied())
        .unwrap_or(0.0)
        .max(1.0);
    // What the firm's recent actions announce: materials for a large order next month, the
    // customer's payment three months after the order, the rest of a purchase next month.
    // Fulfilling an order costs the firm's variable cost ratio of its value: fitted from its
    // payments where it could be, else its purchases per yuan collected.
    let ratio = flows
        .variable
        .unwrap_or_else(|| {
            recent(s.purchases, 12)
                .iter()
                .filter(|x| x.is_finite())
                .sum::<f64>()
                / recent(s.inflow, 12)
                    .iter()
                    .filter(|x| x.is_finite())
                    .sum::<f64>()
                    .max(1.0)
        })
        .clamp(0.2, 0.95);
    let events = events(s, typical_in);
    let mut announced_out = vec![0.0; HORIZON];
    let mut announced_in = vec![0.0; HORIZON];
    let (mut large_order, mut equipment) = (false, 0.0);
    for e in &events {
        let back = n - 1 - e.month;
        match e.kind {
            EventKind::Order if back < HORIZON => {
                if back == 0 {
                    large_order = true;
                    announced_out[0] += ratio * e.value;
                }
                announced_in[HORIZON - 1 - back] += (1.0 - PREPAYMENT_SHARE) * e.value;
            }
            EventKind::Purchase if back == 0 => {
                equipment = e.value;
                announced_out[0] += (1.0 - DEPOSIT_SHARE) * e.value;
            }
            _ => {}
        }
    }
    let mut projected = Vec::with_capacity(HORIZON);
    let mut b = balance;
    for k in 0..HORIZON {
        b += inflow[k] + announced_in[k] - outflow[k] - announced_out[k];
        projected.push(b);
    }
    let lowest = projected.iter().copied().fold(f64::INFINITY, f64::min);
    let severity = (buffer - lowest) / buffer;
    let first = projected.iter().position(|&p| p < buffer);
    let month = |k: usize| as_of_month.checked_add_months(Months::new(k as u32 + 1));
    let typical_purchases = median(recent(s.purchases, 12).iter().copied()).unwrap_or(0.0);
    let rnd_now: f64 = recent(s.rnd, 3).iter().filter(|x| x.is_finite()).sum();
    let rnd_before: f64 = s.rnd[s.rnd.len().saturating_sub(6)..s.rnd.len().saturating_sub(3)]
        .iter()
        .filter(|x| x.is_finite())
        .sum();
    let kind = if equipment > 0.0 {
        SignalKind::EquipmentPurchase
    } else if large_order {
        SignalKind::OrderWon
    } else if typical_purchases > 0.0
        && s.purchases
            .last()
            .is_some_and(|p| *p > 1.8 * typical_purchases)
    {
        SignalKind::PayablesPeak
    } else if rnd_before > 0.0 && rnd_now > 1.4 * rnd_before {
        SignalKind::RndRamp
    } else {
        SignalKind::Shortfall
    };
    let amount = if severity > 0.0 {
        let yuan = ((1.5 * buffer - lowest) / 10_000.0).ceil() * 10_000.0;
        Decimal::from_f64_retain(yuan)
            .unwrap_or_default()
            .round_dp(0)
    } else {
        Decimal::ZERO
    };
    let mut sources = vec!["bank_txn"];
    if large_order || equipment > 0.0 {
        sources.push("orders");
    }
    if kind == SignalKind::PayablesPeak || large_order {
        sources.push("invoice");
    }
    if kind == SignalKind::RndRamp {
        sources.push("rnd");
    }
    Some(NeedSignal {
        kind,
        severity,
        amount,
        from: first.and_then(month),
        to: month(HORIZON - 1)?,
        evidence: Evidence {
            balance,
            buffer,
            inflow,
            outflow,
            announced_out,
            announced_in,
            projected,
            sources,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    struct Firm {
        inflow: Vec<f64>,
        outflow: Vec<f64>,
        balance: Vec<f64>,
        zeros: Vec<f64>,
    }

    impl Firm {
        fn steady(months: usize, balance: f64) -> Firm {
            Firm {
                inflow: vec![100_000.0; months],
                outflow: (0..months)
                    .map(|m| 28_000.0 + 0.62 * 100_000.0 + (m % 2) as f64)
                    .collect(),
                balance: vec![balance; months],
                zeros: vec![0.0; months],
            }
        }

        fn series(&self) -> Series<'_> {
            Series {
                inflow: &self.inflow,
                outflow: &self.outflow,
                balance: &self.balance,
                largest_out: &self.zeros,
                largest_in: &self.zeros,
                orders_won: &self.zeros,
                largest_order: &self.zeros,
                equipment_ordered: &self.zeros,
                purchases: &self.zeros,
                sales: &self.zeros,
                rnd: &self.zeros,
            }
        }
    }

    #[test]
    fn a_steady_firm_with_cash_raises_no_shortfall() {
        let f = Firm::steady(30, 300_000.0);
        let s = need_signal(&f.series(), month("2025-06-01"), Method::Mstl).unwrap();
        assert!(!s.is_shortfall(), "{s:?}");
        assert_eq!(s.amount, Decimal::ZERO);
        assert_eq!(s.to, month("2025-09-01"));
    }

    #[test]
    fn an_equipment_order_against_a_thin_balance_is_a_signal_with_its_amount() {
        let mut f = Firm::steady(30, 60_000.0);
        let mut equipment = vec![0.0; 30];
        equipment[29] = 400_000.0;
        let s = Series {
            equipment_ordered: &equipment,
            ..f.series()
        };
        let signal = need_signal(&s, month("2025-06-01"), Method::Mstl).unwrap();
        assert!(signal.is_shortfall());
        assert_eq!(signal.kind, SignalKind::EquipmentPurchase);
        assert_eq!(signal.from, Some(month("2025-07-01")));
        assert!(
            signal.amount >= Decimal::from(260_000)
                && signal.amount % Decimal::from(10_000) == Decimal::ZERO,
            "{signal:?}"
        );
        assert!(signal.evidence.sources.contains(&"orders"));
        // Without orders data, the deposit in the bank statement announces the purchase: one
        // payment far above the usual largest, on top of the month's usual payments.
        let mut largest_out = vec![20_000.0; 30];
        largest_out[29] = 80_000.0;
        let mut outflow = f.outflow.clone();
        outflow[29] += 80_000.0;
        let s = Series {
            largest_out: &largest_out,
            outflow: &outflow,
            ..f.series()
        };
        let signal = need_signal(&s, month("2025-06-01"), Method::Mstl).unwrap();
        assert_eq!(signal.kind, SignalKind::EquipmentPurchase);
        assert!(
            signal.evidence.announced_out[0] >= 320_000.0 - 1.0,
            "{signal:?}"
        );
        // No bank data this month, no signal.
        f.balance[29] = f64::NAN;
        assert!(need_signal(&f.series(), month("2025-06-01"), Method::Mstl).is_none());
    }

    #[test]
    fn fixed_costs_ignore_one_off_payments() {
        let mut outflow = vec![100_000.0; 24];
        outflow[22] = 900_000.0;
        let fixed = fixed_costs(&outflow, &outflow).unwrap();
        assert!((fixed - 30_000.0).abs() < 1.0, "{fixed}");
    }
}
