//! A firm's collections and payments over the next months, from how its own cash follows its
//! sales: customers pay the invoices of the last month or two (so next month's collections
//! are mostly already invoiced), and payments are fixed costs, plus a share of the month's
//! sales, plus the January bonus. The two relations are fitted on the firm's own history
//! (least squares); sales ahead come from the MSTL forecast. A firm without invoice data, or
//! with too short a history, gets the plain MSTL forecast of its inflows and outflows.

use crate::forecast::{Method, forecast};

/// Months a relation needs to be fitted.
const MIN_MONTHS: usize = 13;

/// What is forecast, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowForecast {
    /// Collections in each month ahead.
    pub inflow: Vec<f64>,
    /// Payments in each month ahead.
    pub outflow: Vec<f64>,
    /// Monthly fixed costs, where the payment relation was fitted.
    pub fixed: Option<f64>,
    /// Payments per yuan of sales (the variable cost ratio), where fitted.
    pub variable: Option<f64>,
    /// `sales` (the relations) or `mstl` (the flows' own forecast).
    pub method: &'static str,
}

/// Least squares of `y` on the columns of `x` (each row one observation).
fn least_squares(x: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let k = x.first()?.len();
    let mut a = vec![vec![0.0; k]; k];
    let mut b = vec![0.0; k];
    for (row, &yi) in x.iter().zip(y) {
        for i in 0..k {
            b[i] += row[i] * yi;
            for j in 0..k {
                a[i][j] += row[i] * row[j];
            }
        }
    }
    // Gaussian elimination with partial pivoting on the k × k normal equations.
    for c in 0..k {
        let pivot = (c..k).max_by(|&p, &q| a[p][c].abs().total_cmp(&a[q][c].abs()))?;
        if a[pivot][c].abs() < 1e-9 * (1.0 + a[c][c].abs()) {
            return None;
        }
        a.swap(c, pivot);
        b.swap(c, pivot);
        for r in c + 1..k {
            let f = a[r][c] / a[c][c];
            let pivot_row = a[c].clone();
            for (x, p) in a[r][c..k].iter_mut().zip(&pivot_row[c..k]) {
                *x -= f * p;
            }
            b[r] -= f * b[c];
        }
    }
    let mut beta = vec![0.0; k];
    for c in (0..k).rev() {
        let s: f64 = (c + 1..k).map(|j| a[c][j] * beta[j]).sum();
        beta[c] = (b[c] - s) / a[c][c];
    }
    beta.iter().all(|v| v.is_finite()).then_some(beta)
}

/// Forecasts `horizon` months of collections and payments. `months0[k]` is the 0-based month
/// of the year of series position `k`; the series end with the as-of month.
pub fn forecast_flows(
    inflow: &[f64],
    outflow: &[f64],
    sales: &[f64],
    months0: &[u32],
    horizon: usize,
    method: Method,
) -> FlowForecast {
    if method == Method::Mstl
        && let Some(f) = by_sales(inflow, outflow, sales, months0, horizon)
    {
        return f;
    }
    FlowForecast {
        inflow: forecast(inflow, horizon, method),
        outflow: forecast(outflow, horizon, method),
        fixed: None,
        variable: None,
        method: if method == Method::Mstl {
            "mstl"
        } else {
            "seasonal_naive"
        },
    }
}

fn by_sales(
    inflow: &[f64],
    outflow: &[f64],
    sales: &[f64],
    months0: &[u32],
    horizon: usize,
) -> Option<FlowForecast> {
    let n = sales.len();
    if n < MIN_MONTHS + 2 || !sales[n - 1].is_finite() || !sales[n - 2].is_finite() {
        return None;
    }
    // Collections: a·sales[t-1] + b·sales[t-2].
    let (mut xc, mut yc) = (Vec::new(), Vec::new());
    // Payments: f + v·sales[t] + j·[January].
    let (mut xp, mut yp) = (Vec::new(), Vec::new());
    for t in 2..n {
        let (s0, s1, s2) = (sales[t], sales[t - 1], sales[t - 2]);
        if inflow[t].is_finite() && s1.is_finite() && s2.is_finite() {
            xc.push(vec![s1, s2]);
            yc.push(inflow[t]);
        }
        if outflow[t].is_finite() && s0.is_finite() {
            xp.push(vec![1.0, s0, f64::from(u8::from(months0[t] == 0))]);
            yp.push(outflow[t]);
        }
    }
    if xc.len() < MIN_MONTHS || xp.len() < MIN_MONTHS {
        return None;
    }
    let c = least_squares(&xc, &yc)?;
    let p = least_squares(&xp, &yp)?;
    if c.iter().any(|v| *v < 0.0) || p[1] < 0.0 {
        return None;
    }
    let ahead = forecast(sales, horizon, Method::Mstl);
    // Sales by position: history, then the forecast.
    let sale = |i: usize| if i < n { sales[i] } else { ahead[i - n] };
    let collected = |i: usize| c[0] * sale(i - 1) + c[1] * sale(i - 2);
    let paid = |i: usize, january: bool| p[0] + p[1] * sale(i) + if january { p[2] } else { 0.0 };
    // What the relations miss persists for a while (a payment term stretched, an R&D ramp):
    // the last month's miss carries into the next months at its own autocorrelation.
    let in_miss: Vec<f64> = (2..n).map(|t| inflow[t] - collected(t)).collect();
    let out_miss: Vec<f64> = (2..n)
        .map(|t| outflow[t] - paid(t, months0[t] == 0))
        .collect();
    let (rho_in, last_in) = persistence(&in_miss);
    let (rho_out, last_out) = persistence(&out_miss);
    let mut inflow_ahead = Vec::with_capacity(horizon);
    let mut outflow_ahead = Vec::with_capacity(horizon);
    for k in 0..horizon {
        let i = n + k;
        let carry = |rho: f64, last: f64| rho.powi(k as i32 + 1) * last;
        inflow_ahead.push(collected(i) + carry(rho_in, last_in));
        let january = (months0[n - 1] as usize + 1 + k).is_multiple_of(12);
        outflow_ahead.push(paid(i, january) + carry(rho_out, last_out));
    }
    if inflow_ahead
        .iter()
        .chain(&outflow_ahead)
        .any(|v| !v.is_finite())
    {
        return None;
    }
    Some(FlowForecast {
        inflow: inflow_ahead,
        outflow: outflow_ahead,
        fixed: Some(p[0]),
        variable: Some(p[1]),
        method: "sales",
    })
}

/// The lag-1 autocorrelation of a series of misses (kept within 0–0.9) and its last value.
fn persistence(misses: &[f64]) -> (f64, f64) {
    let m: Vec<f64> = misses.iter().copied().filter(|v| v.is_finite()).collect();
    let last = misses
        .last()
        .copied()
        .filter(|v| v.is_finite())
        .unwrap_or(0.0);
    if m.len() < 6 {
        return (0.0, last);
    }
    let mean = m.iter().sum::<f64>() / m.len() as f64;
    let var: f64 = m.iter().map(|v| (v - mean).powi(2)).sum();
    let cov: f64 = m.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
    let rho = if var > 0.0 { cov / var } else { 0.0 };
    (rho.clamp(0.0, 0.9), last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_follow_invoiced_sales_and_payments_follow_sales() {
        let months0: Vec<u32> = (0..30).map(|t| t % 12).collect();
        let sales: Vec<f64> = (0..30)
            .map(|t| 100_000.0 * (1.0 + 0.2 * ((t * 7) % 5) as f64 / 5.0))
            .collect();
        let inflow: Vec<f64> = (0..30)
            .map(|t| {
                if t < 2 {
                    100_000.0
                } else {
                    0.7 * sales[t - 1] + 0.3 * sales[t - 2]
                }
            })
            .collect();
        let outflow: Vec<f64> = (0..30)
            .map(|t| 28_000.0 + 0.62 * sales[t] + if months0[t] == 0 { 28_000.0 } else { 0.0 })
            .collect();
        let f = forecast_flows(&inflow, &outflow, &sales, &months0, 3, Method::Mstl);
        assert_eq!(f.method, "sales");
        assert!((f.fixed.unwrap() - 28_000.0).abs() < 1.0, "{f:?}");
        assert!((f.variable.unwrap() - 0.62).abs() < 1e-6);
        let expected = 0.7 * sales[29] + 0.3 * sales[28];
        assert!((f.inflow[0] - expected).abs() < 1.0, "{f:?}");
        // Without invoices, the flows' own forecast.
        let none = vec![f64::NAN; 30];
        let g = forecast_flows(&inflow, &outflow, &none, &months0, 3, Method::Mstl);
        assert_eq!(g.method, "mstl");
    }
}
