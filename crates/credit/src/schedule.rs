//! Repayment schedules: equal instalment (等额本息), equal principal (等额本金) and interest only
//! with the principal at maturity (先息后本). Interest is monthly at a twelfth of the annual
//! rate on the balance outstanding, each amount rounded to the fen half away from zero (how
//! banks round), and the last instalment takes whatever principal remains, so the principal of
//! a schedule always adds up to the loan exactly.

use chrono::{Months, NaiveDate};
use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How a loan is repaid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repayment {
    /// The same payment every month (principal and interest together, 等额本息).
    EqualInstalment,
    /// The same principal every month plus the interest on the balance (等额本金).
    EqualPrincipal,
    /// Interest every month, the principal at maturity (先息后本).
    InterestOnly,
}

impl Repayment {
    /// The name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Repayment::EqualInstalment => "equal_instalment",
            Repayment::EqualPrincipal => "equal_principal",
            Repayment::InterestOnly => "interest_only",
        }
    }
}

impl std::str::FromStr for Repayment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "equal_instalment" => Ok(Repayment::EqualInstalment),
            "equal_principal" => Ok(Repayment::EqualPrincipal),
            "interest_only" => Ok(Repayment::InterestOnly),
            other => Err(format!(
                "{other:?} is not a repayment kind (equal_instalment, equal_principal, interest_only)"
            )),
        }
    }
}

/// One instalment of a schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    /// 1-based.
    pub number: u32,
    /// When it falls due.
    pub due: NaiveDate,
    /// Principal due.
    pub principal: Decimal,
    /// Interest due.
    pub interest: Decimal,
}

impl Instalment {
    /// Principal and interest.
    pub fn total(&self) -> Decimal {
        self.principal + self.interest
    }
}

/// Why a schedule cannot be made.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ScheduleError {
    /// The principal is not positive.
    #[error("principal {0} is not a positive amount")]
    Principal(Decimal),
    /// The rate is negative or absurd (above 100% a year).
    #[error("annual rate {0} is outside 0..=1")]
    Rate(Decimal),
    /// No months, or more than 30 years of them.
    #[error("term of {0} months is outside 1..=360")]
    Term(u32),
    /// A due date beyond the calendar.
    #[error("a due date {0} months after {1} does not exist")]
    Date(u32, NaiveDate),
}

/// Rounds money to the fen, half away from zero.
pub fn fen(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The schedule of `principal` lent on `start` at `annual_rate` for `months`, the first
/// instalment a month after `start`.
pub fn schedule(
    principal: Decimal,
    annual_rate: Decimal,
    months: u32,
    start: NaiveDate,
    kind: Repayment,
) -> Result<Vec<Instalment>, ScheduleError> {
    if principal <= Decimal::ZERO {
        return Err(ScheduleError::Principal(principal));
    }
    if annual_rate < Decimal::ZERO || annual_rate > Decimal::ONE {
        return Err(ScheduleError::Rate(annual_rate));
    }
    if months == 0 || months > 360 {
        return Err(ScheduleError::Term(months));
    }
    let r = annual_rate / Decimal::from(12);
    let n = Decimal::from(months);
    let payment = match kind {
        Repayment::EqualInstalment if r.is_zero() => fen(principal / n),
        Repayment::EqualInstalment => {
            let growth = (Decimal::ONE + r).powu(u64::from(months));
            fen(principal * r * growth / (growth - Decimal::ONE))
        }
        _ => Decimal::ZERO,
    };
    let mut balance = principal;
    let mut out = Vec::with_capacity(months as usize);
    for k in 1..=months {
        let due = start
            .checked_add_months(Months::new(k))
            .ok_or(ScheduleError::Date(k, start))?;
        let interest = fen(balance * r);
        let principal_due = if k == months {
            balance
        } else {
            match kind {
                Repayment::EqualInstalment => (payment - interest).max(Decimal::ZERO).min(balance),
                Repayment::EqualPrincipal => fen(principal / n).min(balance),
                Repayment::InterestOnly => Decimal::ZERO,
            }
        };
        balance -= principal_due;
        out.push(Instalment {
            number: k,
            due,
            principal: principal_due,
            interest,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::dec;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn equal_instalment_matches_the_textbook_annuity() {
        // 1,000,000 at 4.35% over 12 months: the annuity is 85,309.90 a month.
        let s = schedule(
            dec!(1000000),
            dec!(0.0435),
            12,
            day(2025, 1, 15),
            Repayment::EqualInstalment,
        )
        .unwrap();
        assert_eq!(s.len(), 12);
        assert_eq!(s[0].total(), dec!(85309.90));
        assert_eq!(s[0].interest, dec!(3625.00));
        assert_eq!(s[0].due, day(2025, 2, 15));
        assert_eq!(s[11].due, day(2026, 1, 15));
        // Every instalment but the last (which takes the rounding) is the annuity.
        assert!(s[..11].iter().all(|i| i.total() == dec!(85309.90)));
        assert!((s[11].total() - dec!(85309.90)).abs() < dec!(0.10));
    }

    #[test]
    fn equal_principal_pays_the_same_principal_and_falling_interest() {
        let s = schedule(
            dec!(120000),
            dec!(0.06),
            12,
            day(2025, 1, 31),
            Repayment::EqualPrincipal,
        )
        .unwrap();
        assert!(s.iter().all(|i| i.principal == dec!(10000)));
        assert_eq!(s[0].interest, dec!(600.00));
        assert_eq!(s[11].interest, dec!(50.00));
        // Month ends stay month ends where the month is shorter.
        assert_eq!(s[0].due, day(2025, 2, 28));
    }

    #[test]
    fn interest_only_repays_the_principal_at_maturity() {
        let s = schedule(
            dec!(500000),
            dec!(0.048),
            6,
            day(2025, 3, 1),
            Repayment::InterestOnly,
        )
        .unwrap();
        assert!(
            s[..5]
                .iter()
                .all(|i| i.principal.is_zero() && i.interest == dec!(2000.00))
        );
        assert_eq!(s[5].principal, dec!(500000));
    }

    #[test]
    fn nonsense_terms_are_refused() {
        let d = day(2025, 1, 1);
        let r = Repayment::EqualInstalment;
        assert_eq!(
            schedule(dec!(0), dec!(0.04), 12, d, r),
            Err(ScheduleError::Principal(dec!(0)))
        );
        assert_eq!(
            schedule(dec!(1), dec!(-0.01), 12, d, r),
            Err(ScheduleError::Rate(dec!(-0.01)))
        );
        assert_eq!(
            schedule(dec!(1), dec!(0.04), 0, d, r),
            Err(ScheduleError::Term(0))
        );
        let zero = schedule(dec!(1200), dec!(0), 12, d, r).unwrap();
        assert!(
            zero.iter()
                .all(|i| i.total() == dec!(100) && i.interest.is_zero())
        );
    }

    proptest! {
        #[test]
        fn principal_always_adds_up_and_never_goes_negative(
            cents in 1_000i64..10_000_000_000,
            bp in 0u32..2_400,
            months in 1u32..120,
            kind in 0usize..3,
        ) {
            let kind = [Repayment::EqualInstalment, Repayment::EqualPrincipal, Repayment::InterestOnly][kind];
            let principal = Decimal::new(cents, 2);
            let rate = Decimal::new(i64::from(bp), 4);
            let s = schedule(principal, rate, months, day(2025, 1, 31), kind).unwrap();
            prop_assert_eq!(s.iter().map(|i| i.principal).sum::<Decimal>(), principal);
            prop_assert!(s.iter().all(|i| i.principal >= Decimal::ZERO && i.interest >= Decimal::ZERO));
            prop_assert!(s.iter().all(|i| i.principal.scale() <= 2 && i.interest.scale() <= 2));
        }
    }
}
