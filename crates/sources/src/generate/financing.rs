//! The financing product that truly fits a need: decided from the latent state (the firm's true
//! 12-month PD when the need arises, its granted patents, its certifications, its age, its
//! carbon allowances) and the need's driver, never from what the data show. Kinds are listed
//! cheapest first for each purpose; the best is the first the firm truly qualifies for. A
//! small share of firms prefer their second choice (a relationship bank, a faster process):
//! that noise is what no matcher, not even the oracle, can foresee.

use rand::Rng;

use super::cash::Driver;

/// Share of needs whose firm prefers its second-best product.
pub const PREFERENCE_NOISE: f64 = 0.03;

/// What decides the best product for one need.
#[derive(Clone, Copy, Debug)]
pub struct BestProduct {
    pub driver: Driver,
    /// True probability of default within 12 months.
    pub pd: f64,
    /// Patents and other IP granted by the need's month.
    pub patents: usize,
    /// Certified "specialised and sophisticated" (专精特新).
    pub specialised: bool,
    /// Certified high-tech enterprise.
    pub high_tech: bool,
    /// Under three years old.
    pub young: bool,
    /// Holds carbon-emission allowances.
    pub carbon: bool,
}

impl BestProduct {
    /// Whether the firm truly qualifies for a kind of product.
    fn qualifies(&self, kind: &str) -> bool {
        let pd = self.pd;
        match kind {
            "order_financing" => self.driver == Driver::Order && pd <= 0.15,
            "equipment_leasing" => self.driver == Driver::Equipment && pd <= 0.15,
            "ip_pledge" => self.patents >= 2 && pd <= 0.10,
            "credit_loan" => pd <= 0.02,
            "carbon_pledge" => self.carbon && pd <= 0.06,
            "guaranteed_loan" => pd <= 0.06,
            "risk_compensation_loan" => self.specialised && pd <= 0.12,
            "equity_referral" => self.high_tech && self.young && pd <= 0.30,
            _ => false,
        }
    }

    /// The kinds suited to the need's purpose, cheapest first.
    fn ladder(&self) -> &'static [&'static str] {
        match self.driver {
            Driver::Order => &[
                "order_financing",
                "credit_loan",
                "guaranteed_loan",
                "risk_compensation_loan",
            ],
            Driver::Equipment => &[
                "equipment_leasing",
                "credit_loan",
                "guaranteed_loan",
                "risk_compensation_loan",
            ],
            Driver::Rnd => &[
                "ip_pledge",
                "credit_loan",
                "guaranteed_loan",
                "risk_compensation_loan",
                "equity_referral",
            ],
            Driver::Season | Driver::Burn => &[
                "credit_loan",
                "carbon_pledge",
                "guaranteed_loan",
                "risk_compensation_loan",
                "equity_referral",
            ],
        }
    }

    /// The best kind (`none` when nothing fits): what an advisor who saw the latent state
    /// would offer.
    pub fn kind(&self) -> &'static str {
        self.ladder()
            .iter()
            .copied()
            .find(|k| self.qualifies(k))
            .unwrap_or("none")
    }

    /// The kind the firm takes: the best, or for [`PREFERENCE_NOISE`] of firms the second.
    pub fn with_preference(&self, rng: &mut impl Rng) -> &'static str {
        let mut fits = self.ladder().iter().copied().filter(|k| self.qualifies(k));
        let best = fits.next().unwrap_or("none");
        if rng.random::<f64>() < PREFERENCE_NOISE {
            fits.next().unwrap_or(best)
        } else {
            best
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(driver: Driver, pd: f64) -> BestProduct {
        BestProduct {
            driver,
            pd,
            patents: 0,
            specialised: false,
            high_tech: false,
            young: false,
            carbon: false,
        }
    }

    #[test]
    fn the_cheapest_kind_the_firm_truly_qualifies_for() {
        assert_eq!(need(Driver::Season, 0.01).kind(), "credit_loan");
        assert_eq!(need(Driver::Season, 0.04).kind(), "guaranteed_loan");
        assert_eq!(need(Driver::Order, 0.04).kind(), "order_financing");
        assert_eq!(need(Driver::Equipment, 0.2).kind(), "none");
        let rnd = BestProduct {
            patents: 3,
            ..need(Driver::Rnd, 0.05)
        };
        assert_eq!(rnd.kind(), "ip_pledge");
        let special = BestProduct {
            specialised: true,
            ..need(Driver::Burn, 0.09)
        };
        assert_eq!(special.kind(), "risk_compensation_loan");
        assert_eq!(need(Driver::Burn, 0.5).kind(), "none");
    }
}
