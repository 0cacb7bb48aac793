//! Monthly series of every firm as of a date: the cash it collected and paid (from its bank
//! statements, loan proceeds apart), its month-end balance, the orders it won and placed, its
//! purchases on invoice and its R&D. Need signals forecast from these; like indicators, they
//! use only rows dated on or before the as-of date.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, Months, NaiveDate};

use crate::error::IndicatorError;
use crate::runner::{run, session};

/// The series one firm has, one value per month, oldest first (`NaN` where a source has
/// nothing for the month).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FirmSeries {
    /// The firm.
    pub uscc: String,
    /// Bank inflows other than loan proceeds: what customers paid.
    pub inflow: Vec<f64>,
    /// Bank outflows.
    pub outflow: Vec<f64>,
    /// Bank inflows from lenders (counterparty a bank).
    pub financing: Vec<f64>,
    /// Balance after the month's last transaction.
    pub balance: Vec<f64>,
    /// The largest single outflow (a deposit on a purchase shows here).
    pub largest_out: Vec<f64>,
    /// The largest single inflow other than loan proceeds (a customer's prepayment).
    pub largest_in: Vec<f64>,
    /// Value of orders won (the firm the seller).
    pub orders_won: Vec<f64>,
    /// The largest single order won.
    pub largest_order: Vec<f64>,
    /// Value of equipment ordered (the firm the buyer).
    pub equipment_ordered: Vec<f64>,
    /// Purchases on received invoices (payables).
    pub purchases: Vec<f64>,
    /// Sales on issued invoices, net of red-letter reversals (receivables).
    pub sales: Vec<f64>,
    /// R&D spending, each quarter's spread evenly over its months.
    pub rnd: Vec<f64>,
}

/// Every firm's series over the months up to the as-of date.
#[derive(Clone, Debug)]
pub struct MonthlySeries {
    /// The as-of date.
    pub as_of: NaiveDate,
    /// First day of each month, oldest first; the last is the as-of date's month.
    pub months: Vec<NaiveDate>,
    /// One entry per firm in the registry, by USCC.
    pub firms: Vec<FirmSeries>,
}

/// Where a query's value column goes in a firm's series.
type SeriesOf = fn(&mut FirmSeries) -> &mut Vec<f64>;

/// Counterparties that are lenders: their inflows are loan proceeds, not sales.
const LENDER: &str = "counterparty LIKE '%银行%' OR counterparty LIKE '%Bank%'";

/// Reads `months` months of series ending with the as-of date's month.
pub async fn monthly_series(
    store: &Path,
    as_of: NaiveDate,
    months: u32,
) -> Result<MonthlySeries, IndicatorError> {
    let ctx = session(store, as_of).await?;
    let last = as_of.with_day(1).expect("day 1");
    let first = last
        .checked_sub_months(Months::new(months.saturating_sub(1)))
        .unwrap_or(last);
    let month_list: Vec<NaiveDate> = (0..months)
        .filter_map(|k| first.checked_add_months(Months::new(k)))
        .collect();
    let index = |days: f64| {
        let date =
            NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Days::new(days as u64);
        let k = (date.year() - first.year()) * 12 + date.month() as i32 - first.month() as i32;
        (0..months as i32).contains(&k).then_some(k as usize)
    };
    let (population, _) = run(
        &ctx,
        "SELECT DISTINCT uscc FROM registry ORDER BY uscc",
        "population",
    )
    .await?;
    let mut firms: Vec<FirmSeries> = population
        .iter()
        .map(|u| {
            let empty = vec![f64::NAN; month_list.len()];
            FirmSeries {
                uscc: u.clone(),
                inflow: empty.clone(),
                outflow: empty.clone(),
                financing: empty.clone(),
                balance: empty.clone(),
                largest_out: empty.clone(),
                largest_in: empty.clone(),
                orders_won: empty.clone(),
                largest_order: empty.clone(),
                equipment_ordered: empty.clone(),
                purchases: empty.clone(),
                sales: empty.clone(),
                rnd: empty,
            }
        })
        .collect();
    let row: HashMap<String, usize> = population
        .into_iter()
        .enumerate()
        .map(|(i, u)| (u, i))
        .collect();
    let from = format!("DATE '{first}'");
    let month_of = |col: &str| {
        format!("CAST(CAST(date_trunc('month', {col}) AS DATE) - DATE '1970-01-01' AS DOUBLE)")
    };
    let queries: Vec<(String, Vec<SeriesOf>)> = vec![
        (
            format!(
                "SELECT uscc, {m}, \
                   SUM(CASE WHEN direction = 'in' AND NOT ({LENDER}) THEN amount ELSE 0 END), \
                   SUM(CASE WHEN direction = 'out' THEN amount ELSE 0 END), \
                   SUM(CASE WHEN direction = 'in' AND ({LENDER}) THEN amount ELSE 0 END), \
                   last_value(balance ORDER BY date, txn_id), \
                   MAX(CASE WHEN direction = 'out' THEN amount ELSE 0 END), \
                   MAX(CASE WHEN direction = 'in' AND NOT ({LENDER}) THEN amount ELSE 0 END) \
                 FROM bank_txn WHERE date >= {from} GROUP BY 1, 2",
                m = month_of("date")
            ),
            vec![
                |f| &mut f.inflow,
                |f| &mut f.outflow,
                |f| &mut f.financing,
                |f| &mut f.balance,
                |f| &mut f.largest_out,
                |f| &mut f.largest_in,
            ],
        ),
        (
            format!(
                "SELECT uscc, {m}, \
                   SUM(CASE WHEN role = 'seller' THEN amount ELSE 0 END), \
                   MAX(CASE WHEN role = 'seller' THEN amount ELSE 0 END), \
                   SUM(CASE WHEN role = 'buyer' AND category = 'equipment' THEN amount ELSE 0 END) \
                 FROM orders WHERE date >= {from} GROUP BY 1, 2",
                m = month_of("date")
            ),
            vec![|f| &mut f.orders_won, |f| &mut f.largest_order, |f| {
                &mut f.equipment_ordered
            }],
        ),
        (
            format!(
                "SELECT uscc, {m}, \
                   SUM(CASE WHEN direction = 'received' THEN amount ELSE 0 END), \
                   SUM(CASE WHEN direction = 'issued' THEN amount ELSE 0 END) \
                 FROM invoice WHERE date >= {from} GROUP BY 1, 2",
                m = month_of("date")
            ),
            vec![|f| &mut f.purchases, |f| &mut f.sales],
        ),
    ];
    for (sql, targets) in queries {
        let (ids, values) = run(&ctx, &sql, "monthly series").await?;
        for (r, id) in ids.iter().enumerate() {
            let (Some(&firm), Some(k)) = (row.get(id), index(values[0][r])) else {
                continue;
            };
            for (target, column) in targets.iter().zip(&values[1..]) {
                target(&mut firms[firm])[k] = column[r];
            }
        }
    }
    // R&D is reported by quarter: each quarter's spending is spread over its three months.
    let sql = "SELECT uscc, CAST(year AS DOUBLE), \
                 CAST(CASE quarter WHEN 'Q1' THEN 1 WHEN 'Q2' THEN 2 WHEN 'Q3' THEN 3 ELSE 4 END AS DOUBLE), \
                 SUM(rnd_expense) FROM rnd GROUP BY 1, 2, 3";
    let (ids, values) = run(&ctx, sql, "R&D series").await?;
    for (r, id) in ids.iter().enumerate() {
        let Some(&firm) = row.get(id) else { continue };
        let (year, quarter) = (values[0][r] as i32, values[1][r] as u32);
        for m in 0..3 {
            let Some(date) = NaiveDate::from_ymd_opt(year, 3 * (quarter - 1) + 1 + m, 1) else {
                continue;
            };
            let k = (date.year() - first.year()) * 12 + date.month() as i32 - first.month() as i32;
            if (0..months as i32).contains(&k) && date <= as_of {
                firms[firm].rnd[k as usize] = values[2][r] / 3.0;
            }
        }
    }
    Ok(MonthlySeries {
        as_of,
        months: month_list,
        firms,
    })
}
