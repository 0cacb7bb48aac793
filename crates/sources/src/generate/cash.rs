//! A firm's cash: what it collects (sales of earlier months), what it pays (variable and fixed
//! costs, the year-end bonus, the outlays of events), its bank balance, and the financing needs
//! that follow when the balance falls below the firm's buffer.
//!
//! Events are what a firm plans a month ahead: a **large order** won (materials paid the month
//! after, the customer paying three months after), an **equipment** expansion (paid the month
//! after the purchase order), an **R&D ramp** (four months of extra spending). A need starts in
//! the month the balance ends below one month of fixed costs; the firm is then financed back
//! to one and a half months (by someone: the truth does not say by whom), so needs are
//! episodes, not every month of a slump. Each need's purpose is the driver that drained the
//! cash most.

use super::world::{RHO, season};

/// Share of a large order the customer pays when it is placed (预付款).
pub const ORDER_PREPAYMENT: f64 = 0.1;

/// Share of an equipment purchase paid as a deposit when it is ordered (定金).
pub const EQUIPMENT_DEPOSIT: f64 = 0.2;

/// What drained a firm's cash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// The seasons: the Spring Festival dip in sales and the January bonus.
    Season,
    /// Costs running above sales, month after month.
    Burn,
    /// Materials for a large order won, paid before the customer pays.
    Order,
    /// An equipment purchase.
    Equipment,
    /// A ramp-up of R&D spending.
    Rnd,
}

impl Driver {
    /// The purpose code of a need with this driver.
    pub fn purpose(self) -> &'static str {
        match self {
            Driver::Season | Driver::Burn => "working_capital",
            Driver::Order => "order_fulfilment",
            Driver::Equipment => "equipment",
            Driver::Rnd => "rnd",
        }
    }
}

/// A flow planned for a later month.
#[derive(Clone, Copy, Debug)]
struct Planned {
    month: u32,
    inflow: f64,
    outflow: f64,
    driver: Driver,
}

/// One month's cash.
#[derive(Clone, Debug, Default)]
pub struct MonthCash {
    /// Collected from customers in the course of business.
    pub collections: f64,
    /// Paid out in the course of business (costs, the bonus).
    pub payments: f64,
    /// Receipts of events, each one transfer (a prepayment, a large customer's settlement).
    pub event_in: Vec<f64>,
    /// Outlays of events, each one transfer (a deposit, materials, equipment, R&D).
    pub event_out: Vec<f64>,
    /// Financing received at the month's end, if a need arose.
    pub financed: f64,
    /// Balance at the month's end, after any financing.
    pub closing: f64,
    /// The need that arose this month.
    pub need: Option<(f64, Driver)>,
}

/// The cash state of a firm.
pub struct Cash {
    balance: f64,
    /// Monthly fixed costs (wages, rent): the buffer a firm keeps is one month of them.
    fixed: f64,
    /// Variable costs per yuan of sales, at health 0.
    variable: f64,
    /// Sales of the last two months, newest first, for collections.
    sales: [f64; 2],
    planned: Vec<Planned>,
}

impl Cash {
    /// A firm with mean monthly sales `mean_sales` and `months_of_cash` of costs in the bank.
    pub fn new(mean_sales: f64, months_of_cash: f64) -> Cash {
        let fixed = 0.28 * mean_sales;
        let variable = 0.62;
        Cash {
            balance: months_of_cash * (fixed + variable * mean_sales),
            fixed,
            variable,
            sales: [mean_sales, mean_sales],
            planned: Vec::new(),
        }
    }

    /// The buffer a firm keeps: one month of fixed costs.
    pub fn buffer(&self) -> f64 {
        self.fixed
    }

    /// The balance now.
    pub fn balance(&self) -> f64 {
        self.balance
    }

    /// Variable cost ratio at health `h` (margins thin as health falls): what purchases and
    /// direct costs take of each yuan of sales.
    pub fn variable_ratio(&self, h: f64) -> f64 {
        (self.variable - 0.06 * h).clamp(0.45, 1.05)
    }

    /// Fixed costs of a month (0-based month of the year): the January bonus doubles them.
    fn fixed_in(&self, month0: u32) -> f64 {
        if month0 == 0 {
            2.0 * self.fixed
        } else {
            self.fixed
        }
    }

    /// Plans a large order of `value` won in month `t` at health `h`: the customer prepays a
    /// tenth at once, the cost of fulfilling it (the firm's variable cost ratio of the value) is
    /// paid in `t + 1`, the customer pays the rest in `t + 3`.
    pub fn order_won(&mut self, t: u32, value: f64, h: f64) {
        self.plan(t, ORDER_PREPAYMENT * value, 0.0, Driver::Order);
        self.plan(t + 1, 0.0, self.variable_ratio(h) * value, Driver::Order);
        self.plan(t + 3, (1.0 - ORDER_PREPAYMENT) * value, 0.0, Driver::Order);
    }

    /// Plans an equipment purchase ordered in month `t`: a deposit at once, the rest paid in
    /// `t + 1`.
    pub fn equipment_ordered(&mut self, t: u32, price: f64) {
        self.plan(t, 0.0, EQUIPMENT_DEPOSIT * price, Driver::Equipment);
        self.plan(
            t + 1,
            0.0,
            (1.0 - EQUIPMENT_DEPOSIT) * price,
            Driver::Equipment,
        );
    }

    /// Plans four months of extra R&D spending from `t + 1`.
    pub fn rnd_ramp(&mut self, t: u32, monthly: f64) {
        for k in 1..=4 {
            self.plan(t + k, 0.0, monthly, Driver::Rnd);
        }
    }

    fn plan(&mut self, month: u32, inflow: f64, outflow: f64, driver: Driver) {
        self.planned.push(Planned {
            month,
            inflow,
            outflow,
            driver,
        });
    }

    /// Extra R&D spending planned for month `t` (for the R&D source).
    pub fn rnd_extra(&self, t: u32) -> f64 {
        self.planned
            .iter()
            .filter(|p| p.month == t && p.driver == Driver::Rnd)
            .map(|p| p.outflow)
            .sum()
    }

    /// Runs month `t` (0-based month of the year `month0`) with `sales` and latent health `h`.
    pub fn month(&mut self, t: u32, month0: u32, sales: f64, h: f64) -> MonthCash {
        let collections = 0.7 * self.sales[0] + 0.3 * self.sales[1];
        self.sales = [sales, self.sales[0]];
        let variable = self.variable_ratio(h) * sales;
        let fixed = self.fixed_in(month0);
        let mut drains = [
            (Driver::Season, fixed - self.fixed),
            (Driver::Burn, (variable + self.fixed - collections).max(0.0)),
            (Driver::Order, 0.0),
            (Driver::Equipment, 0.0),
            (Driver::Rnd, 0.0),
        ];
        let (mut event_in, mut event_out) = (Vec::new(), Vec::new());
        for p in self.planned.iter().filter(|p| p.month == t) {
            if p.inflow > 0.0 {
                event_in.push(p.inflow);
            }
            if p.outflow > 0.0 {
                event_out.push(p.outflow);
            }
            if let Some(d) = drains.iter_mut().find(|d| d.0 == p.driver) {
                d.1 += p.outflow - p.inflow;
            }
        }
        self.planned.retain(|p| p.month > t);
        let payments = variable + fixed;
        self.balance +=
            collections + event_in.iter().sum::<f64>() - payments - event_out.iter().sum::<f64>();
        let mut out = MonthCash {
            collections,
            payments,
            event_in,
            event_out,
            ..MonthCash::default()
        };
        if self.balance < self.buffer() {
            let amount = ((1.5 * self.buffer() - self.balance) / 10_000.0).ceil() * 10_000.0;
            let driver = drains
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|d| d.0)
                .expect("five drivers");
            self.balance += amount;
            out.financed = amount;
            out.need = Some((amount, driver));
        }
        out.closing = self.balance;
        out
    }

    /// How far below its buffer the balance is expected to fall in the next three months, as a
    /// share of the buffer (negative: it is expected to stay above), and the first month it
    /// falls below; from the latent state: health `h` now and its long-run `level`, the
    /// seasons from 0-based month of the year `month0` (of month `t`, now ending), sales scale
    /// `mean_sales`, and the events already planned. This is the oracle a need signal is
    /// judged against: it knows what the data only hint at, but not the future's noise.
    pub fn expected_shortfall(
        &self,
        t: u32,
        month0: u32,
        h: f64,
        level: f64,
        mean_sales: f64,
    ) -> (f64, Option<u32>) {
        let mut balance = self.balance;
        let mut sales = self.sales;
        let mut worst = f64::NEG_INFINITY;
        let mut first = None;
        for k in 1..=3u32 {
            let hk = RHO.powi(k as i32) * h + (1.0 - RHO.powi(k as i32)) * level;
            let m0 = (month0 + k) % 12;
            let s = mean_sales * (0.35 * hk + season(m0)).exp();
            let collections = 0.7 * sales[0] + 0.3 * sales[1];
            sales = [s, sales[0]];
            let (mut ein, mut eout) = (0.0, 0.0);
            for p in self.planned.iter().filter(|p| p.month == t + k) {
                ein += p.inflow;
                eout += p.outflow;
            }
            balance += collections + ein - self.variable_ratio(hk) * s - self.fixed_in(m0) - eout;
            let gap = (self.buffer() - balance) / self.buffer();
            if gap > 0.0 && first.is_none() {
                first = Some(t + k);
            }
            worst = worst.max(gap);
        }
        (worst, first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_order_drains_cash_the_month_after_and_comes_back_later() {
        let mut cash = Cash::new(100_000.0, 0.4);
        let start = cash.balance();
        cash.order_won(0, 600_000.0, 0.5);
        let m0 = cash.month(0, 3, 100_000.0, 0.5);
        assert!(m0.need.is_none());
        let m1 = cash.month(1, 4, 100_000.0, 0.5);
        let (amount, driver) = m1.need.expect("materials drain the cash");
        assert_eq!(driver, Driver::Order);
        assert!(amount > 0.0 && amount % 10_000.0 == 0.0);
        assert!(m1.closing >= cash.buffer());
        cash.month(2, 5, 100_000.0, 0.5);
        let m3 = cash.month(3, 6, 100_000.0, 0.5);
        assert_eq!(m3.event_in, vec![540_000.0], "the customer pays the rest");
        assert!(cash.balance() > start);
    }

    #[test]
    fn the_oracle_sees_a_planned_outlay_coming() {
        let mut cash = Cash::new(100_000.0, 0.6);
        let (calm, _) = cash.expected_shortfall(0, 3, 0.5, 0.5, 100_000.0);
        cash.equipment_ordered(0, 500_000.0);
        let (gap, first) = cash.expected_shortfall(0, 3, 0.5, 0.5, 100_000.0);
        assert!(gap > 0.0 && gap > calm, "{gap} vs {calm}");
        assert_eq!(first, Some(1));
    }
}
