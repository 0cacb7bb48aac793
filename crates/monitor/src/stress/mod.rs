//! Stress tests: a portfolio's loss distribution under a Gaussian factor copula.
//!
//! Each loan defaults when its latent variable `X = √ρ·Y + √(1−ρ)·ε` falls below `Φ⁻¹(PD)`,
//! where `Y` is the loan's systematic factor: a mix of a macro factor, its industry's factor and
//! its region's factor (weights and correlations from the scenario; macro only is Vasicek's
//! one-factor model). Given the factors, defaults are independent, which the sampler uses: loans
//! are grouped by factor mix and PD band, each band draws its candidates by geometric skipping
//! at the band's highest conditional PD and thins them to each loan's own, so a draw costs the
//! bands plus the defaults, not the loans. Losses are summed in fen (integers), so a draw's
//! loss is exact money.
//!
//! - [`scenario`]: the TOML scenario (model, shocks, caps), checked field by field.
//! - [`portfolio`]: the loans, read from CSV with the file, line and field of any error.
//! - [`engine`]: preparation and the Monte Carlo itself.
//! - [`vasicek`]: closed forms the simulation is checked against.

pub mod engine;
pub mod normal;
pub mod portfolio;
pub mod scenario;
pub mod vasicek;

pub use engine::{Driver, GuarantorRisk, LevelRisk, StressError, StressResult, run};
pub use portfolio::{Loan, Portfolio, PortfolioError};
pub use scenario::{Scenario, ScenarioError};
