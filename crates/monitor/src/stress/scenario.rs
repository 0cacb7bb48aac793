//! A stress scenario as TOML: the copula, the shocks and the guarantors' caps.
//!
//! Unknown keys are refused (a misspelt shock must not silently do nothing); every probability,
//! weight and correlation is checked, and a correlation matrix must be symmetric with a unit
//! diagonal and positive semi-definite. Each refusal names the field.
//!
//! ```toml
//! name = "downturn"
//! seed = 7
//! draws = 1000000
//! levels = [0.99, 0.999]
//! [model]
//! rho = "basel_sme"            # or a number in [0, 1)
//! macro_weight = 0.6           # shares of the systematic variance; they add up to 1
//! industry_weight = 0.3
//! region_weight = 0.1
//! [shocks]
//! macro_shift = -1.5           # the macro factor's mean, in standard deviations
//! pd_multiplier = { "C38" = 1.8, "*" = 1.2 }
//! collateral_haircut = 0.3
//! [caps]
//! default = 0.05
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;

/// A scenario that cannot be run.
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// Not TOML, or an unknown or mistyped key (the parser's message names it).
    #[error("{0}")]
    Toml(String),
    /// A value out of its range.
    #[error("`{field}`: {reason}")]
    Field {
        /// Dotted path of the key.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> ScenarioError {
    ScenarioError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Asset correlation: one number for every loan, or the Basel IRB corporate formula with the
/// largest SME size adjustment (ρ from 0.08 at high PD to 0.20 at low PD).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Rho {
    /// The same ρ for every loan.
    Fixed(f64),
    /// By formula.
    Formula(RhoFormula),
}

/// Named correlation formulas.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RhoFormula {
    /// Basel II/III corporate correlation less the 0.04 SME adjustment (turnover ≤ €5m).
    BaselSme,
}

impl Rho {
    /// ρ for a loan of this PD.
    pub fn at(self, pd: f64) -> f64 {
        match self {
            Rho::Fixed(r) => r,
            Rho::Formula(RhoFormula::BaselSme) => {
                let w = (1.0 - (-50.0 * pd).exp()) / (1.0 - (-50.0f64).exp());
                0.12 * w + 0.24 * (1.0 - w) - 0.04
            }
        }
    }
}

/// Correlations between named factors (`macro`, `industry:<code prefix>`, `region:<prefix>`);
/// factors not named are independent of every other.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    /// The factors, in the matrix's order.
    pub factors: Vec<String>,
    /// The correlation matrix.
    pub matrix: Vec<Vec<f64>>,
}

/// The copula.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Model {
    /// Asset correlation.
    pub rho: Rho,
    /// Share of a loan's systematic variance from the macro factor.
    pub macro_weight: f64,
    /// Share from its industry's factor.
    pub industry_weight: f64,
    /// Share from its region's factor.
    pub region_weight: f64,
    /// Characters of the industry code that name its factor (GB/T 4754: 1 = section, 3 =
    /// major group).
    pub industry_prefix: usize,
    /// Characters of the region code that name its factor (GB/T 2260: 2 = province).
    pub region_prefix: usize,
    /// Correlated factors, if any.
    pub correlation: Option<Correlation>,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            rho: Rho::Formula(RhoFormula::BaselSme),
            macro_weight: 1.0,
            industry_weight: 0.0,
            region_weight: 0.0,
            industry_prefix: 3,
            region_prefix: 2,
            correlation: None,
        }
    }
}

/// What the scenario does to the portfolio.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Shocks {
    /// The macro factor's mean, in standard deviations (negative: a downturn).
    pub macro_shift: f64,
    /// Other factors' means by name (`industry:C38 = -1.0`).
    pub factor_shift: BTreeMap<String, f64>,
    /// PD multipliers by industry code prefix (the longest matching prefix wins; `*` for any
    /// other); a multiplied PD is capped at 1.
    pub pd_multiplier: BTreeMap<String, f64>,
    /// Share of every collateral value lost.
    pub collateral_haircut: f64,
    /// Added to every LGD (capped at 1).
    pub lgd_add: f64,
}

/// Compensation-rate caps by guarantor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Caps {
    /// The cap of a guarantor not listed (the seeds' raised tolerance: 5%).
    pub default: f64,
    /// Caps by guarantor id.
    pub guarantors: BTreeMap<String, f64>,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            default: 0.05,
            guarantors: BTreeMap::new(),
        }
    }
}

impl Caps {
    /// The cap of `guarantor`.
    pub fn of(&self, guarantor: &str) -> f64 {
        self.guarantors
            .get(guarantor)
            .copied()
            .unwrap_or(self.default)
    }
}

/// A stress scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its name, shown in every output.
    pub name: String,
    /// What it stands for.
    #[serde(default)]
    pub description: String,
    /// Random seed: the same seed, portfolio and scenario give the same numbers.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated scenarios (draws of the factors and defaults).
    #[serde(default = "default_draws")]
    pub draws: u64,
    /// Confidence levels of VaR and expected shortfall.
    #[serde(default = "default_levels")]
    pub levels: Vec<f64>,
    /// Loans listed as tail drivers.
    #[serde(default = "default_drivers")]
    pub tail_drivers: usize,
    /// The copula.
    #[serde(default)]
    pub model: Model,
    /// The shocks.
    #[serde(default)]
    pub shocks: Shocks,
    /// Guarantors' caps.
    #[serde(default)]
    pub caps: Caps,
}

fn default_seed() -> u64 {
    1
}
fn default_draws() -> u64 {
    100_000
}
fn default_levels() -> Vec<f64> {
    vec![0.99, 0.999]
}
fn default_drivers() -> usize {
    20
}

/// The baseline scenario: Vasicek's one factor with Basel SME correlations, no shocks.
pub const BASELINE: &str = include_str!("../../scenarios/baseline.toml");

/// Most draws a scenario may ask for (each keeps its loss in memory).
pub const MAX_DRAWS: u64 = 50_000_000;

impl Scenario {
    /// Parses and checks a scenario.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let s: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Toml(e.to_string()))?;
        s.check()?;
        Ok(s)
    }

    /// Checks every value (again, after a caller changed the draws or the seed).
    pub fn check(&self) -> Result<(), ScenarioError> {
        if self.name.trim().is_empty() {
            return Err(bad("name", "is empty"));
        }
        if self.draws == 0 || self.draws > MAX_DRAWS {
            return Err(bad("draws", format!("must be 1..={MAX_DRAWS}")));
        }
        if self.levels.is_empty() {
            return Err(bad("levels", "name at least one confidence level"));
        }
        for (i, l) in self.levels.iter().enumerate() {
            if !(*l > 0.0 && *l < 1.0) {
                return Err(bad(format!("levels[{i}]"), format!("{l} is not in (0, 1)")));
            }
            if (1.0 - l) * (self.draws as f64) < 1.0 {
                return Err(bad(
                    format!("levels[{i}]"),
                    format!(
                        "{l} needs at least {:.0} draws to leave one beyond it",
                        (1.0 / (1.0 - l)).ceil()
                    ),
                ));
            }
        }
        let m = &self.model;
        if let Rho::Fixed(r) = m.rho
            && !(0.0..1.0).contains(&r)
        {
            return Err(bad("model.rho", format!("{r} is not in [0, 1)")));
        }
        for (field, w) in [
            ("model.macro_weight", m.macro_weight),
            ("model.industry_weight", m.industry_weight),
            ("model.region_weight", m.region_weight),
        ] {
            unit(field, w)?;
        }
        let total = m.macro_weight + m.industry_weight + m.region_weight;
        if (total - 1.0).abs() > 1e-9 {
            return Err(bad(
                "model",
                format!("macro_weight + industry_weight + region_weight is {total}, not 1"),
            ));
        }
        if m.industry_prefix == 0 || m.region_prefix == 0 {
            return Err(bad(
                "model",
                "industry_prefix and region_prefix are at least 1",
            ));
        }
        if let Some(c) = &m.correlation {
            check_correlation(c)?;
        }
        let s = &self.shocks;
        finite("shocks.macro_shift", s.macro_shift, 10.0)?;
        for (name, v) in &s.factor_shift {
            factor_name(&format!("shocks.factor_shift.{name}"), name)?;
            finite(&format!("shocks.factor_shift.{name}"), *v, 10.0)?;
        }
        for (prefix, v) in &s.pd_multiplier {
            let field = format!("shocks.pd_multiplier.{prefix}");
            if !(v.is_finite() && *v >= 0.0 && *v <= 100.0) {
                return Err(bad(field, format!("{v} is not a multiplier in [0, 100]")));
            }
        }
        unit("shocks.collateral_haircut", s.collateral_haircut)?;
        unit("shocks.lgd_add", s.lgd_add)?;
        unit("caps.default", self.caps.default)?;
        for (g, cap) in &self.caps.guarantors {
            unit(&format!("caps.guarantors.{g}"), *cap)?;
        }
        Ok(())
    }

    /// The PD multiplier of an industry: the longest matching prefix, else `*`, else 1.
    pub fn multiplier(&self, industry: &str) -> f64 {
        self.shocks
            .pd_multiplier
            .iter()
            .filter(|(p, _)| p.as_str() != "*" && industry.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
            .or_else(|| self.shocks.pd_multiplier.get_key_value("*"))
            .map_or(1.0, |(_, m)| *m)
    }
}

fn unit(field: &str, v: f64) -> Result<(), ScenarioError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(bad(field, format!("{v} is not in [0, 1]")))
    }
}

fn finite(field: &str, v: f64, bound: f64) -> Result<(), ScenarioError> {
    if v.is_finite() && v.abs() <= bound {
        Ok(())
    } else {
        Err(bad(field, format!("{v} is not within ±{bound}")))
    }
}

fn factor_name(field: &str, name: &str) -> Result<(), ScenarioError> {
    let ok = name == "macro"
        || name
            .strip_prefix("industry:")
            .or_else(|| name.strip_prefix("region:"))
            .is_some_and(|rest| !rest.is_empty());
    if ok {
        Ok(())
    } else {
        Err(bad(
            field,
            format!("{name:?} is not a factor (macro, industry:<code>, region:<code>)"),
        ))
    }
}

fn check_correlation(c: &Correlation) -> Result<(), ScenarioError> {
    let n = c.factors.len();
    for (i, f) in c.factors.iter().enumerate() {
        factor_name(&format!("model.correlation.factors[{i}]"), f)?;
        if c.factors[..i].contains(f) {
            return Err(bad(
                format!("model.correlation.factors[{i}]"),
                format!("{f} is listed twice"),
            ));
        }
    }
    if c.matrix.len() != n || c.matrix.iter().any(|r| r.len() != n) {
        return Err(bad(
            "model.correlation.matrix",
            format!("must be {n} × {n}, one row and column per factor"),
        ));
    }
    for i in 0..n {
        for j in 0..n {
            let v = c.matrix[i][j];
            let field = format!("model.correlation.matrix[{i}][{j}]");
            if !(-1.0..=1.0).contains(&v) {
                return Err(bad(field, format!("{v} is not a correlation")));
            }
            if i == j && (v - 1.0).abs() > 1e-12 {
                return Err(bad(field, "the diagonal is 1"));
            }
            if (v - c.matrix[j][i]).abs() > 1e-9 {
                return Err(bad(
                    field,
                    format!("differs from [{j}][{i}]: not symmetric"),
                ));
            }
        }
    }
    cholesky(&c.matrix).map(|_| ()).map_err(|k| {
        bad(
            "model.correlation.matrix",
            format!(
                "is not positive semi-definite (it fails at factor {})",
                c.factors[k]
            ),
        )
    })
}

/// Lower-triangular `L` with `L·Lᵀ = a` for a positive semi-definite `a` (zero pivots allowed),
/// or the index where `a` is found indefinite.
pub fn cholesky(a: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, usize> {
    const TOL: f64 = 1e-10;
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for j in 0..n {
        let d = a[j][j] - (0..j).map(|k| l[j][k] * l[j][k]).sum::<f64>();
        if d < -TOL {
            return Err(j);
        }
        let d = d.max(0.0).sqrt();
        l[j][j] = d;
        for i in j + 1..n {
            let s = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if d <= TOL {
                if s.abs() > 1e-8 {
                    return Err(j);
                }
                l[i][j] = 0.0;
            } else {
                l[i][j] = s / d;
            }
        }
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(text: &str) -> String {
        match Scenario::parse(text) {
            Err(ScenarioError::Field { field, .. }) => field,
            Err(ScenarioError::Toml(m)) => format!("toml: {m}"),
            Ok(_) => "accepted".into(),
        }
    }

    #[test]
    fn the_baseline_parses() {
        let s = Scenario::parse(BASELINE).unwrap();
        assert_eq!(s.model.rho, Rho::Formula(RhoFormula::BaselSme));
        assert!((s.model.rho.at(0.0) - 0.20).abs() < 1e-12);
        assert!((s.model.rho.at(1.0) - 0.08).abs() < 1e-9);
    }

    #[test]
    fn refusals_name_the_field() {
        assert!(field_of("name = \"x\"\nshockz = 1").contains("unknown field `shockz`"));
        assert!(field_of("name = \"x\"\n[shocks]\nmacro_shfit = 1").contains("macro_shfit"));
        assert_eq!(field_of("name = \"x\"\nlevels = [1.5]"), "levels[0]");
        assert_eq!(field_of("name = \"x\"\n[model]\nrho = 1.2"), "model.rho");
        assert_eq!(
            field_of("name = \"x\"\n[model]\nmacro_weight = 0.5"),
            "model"
        );
        assert_eq!(
            field_of("name = \"x\"\n[shocks]\ncollateral_haircut = -0.1"),
            "shocks.collateral_haircut"
        );
        assert_eq!(
            field_of("name = \"x\"\n[caps]\nguarantors = { G1 = 2 }"),
            "caps.guarantors.G1"
        );
        assert_eq!(
            field_of("name = \"x\"\n[shocks]\npd_multiplier = { C = nan }"),
            "shocks.pd_multiplier.C"
        );
        assert_eq!(
            field_of("name = \"x\"\ndraws = 100\nlevels = [0.999]"),
            "levels[0]"
        );
    }

    #[test]
    fn a_correlation_matrix_must_be_positive_semi_definite() {
        let text = |m: &str| {
            format!(
                "name = \"x\"\n[model]\nmacro_weight = 0.5\nindustry_weight = 0.5\n\
                 [model.correlation]\nfactors = [\"industry:C\", \"industry:I\", \"industry:M\"]\nmatrix = {m}"
            )
        };
        // Pairwise fine, jointly impossible: x, y, z with corr(x,y) = corr(y,z) = 0.9 and
        // corr(x,z) = −0.9.
        let bad = text("[[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]");
        assert_eq!(field_of(&bad), "model.correlation.matrix");
        let asym = text("[[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]]");
        assert_eq!(field_of(&asym), "model.correlation.matrix[0][1]");
        // Singular but semi-definite: two factors that are one.
        let singular = text("[[1, 1, 0], [1, 1, 0], [0, 0, 1]]");
        assert_eq!(field_of(&singular), "accepted");
        assert_eq!(
            field_of(&text("[[1, 0], [0, 1]]")),
            "model.correlation.matrix"
        );
    }

    #[test]
    fn multipliers_take_the_longest_prefix() {
        let s = Scenario::parse(
            "name = \"x\"\n[shocks]\npd_multiplier = { C = 1.5, C38 = 2.0, \"*\" = 1.1 }",
        )
        .unwrap();
        assert_eq!(s.multiplier("C3841"), 2.0);
        assert_eq!(s.multiplier("C3973"), 1.5);
        assert_eq!(s.multiplier("I6513"), 1.1);
    }
}
