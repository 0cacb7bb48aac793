//! From log-odds to points, scores, PDs and grades.

use crate::config::ScalingConfig;
use serde::{Deserialize, Serialize};
use xinrong_core::Grade;

/// The linear map between bad log-odds and score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// Score at the base odds.
    pub base_score: f64,
    /// Good:bad odds at the base score.
    pub base_odds: f64,
    /// Points to double the good:bad odds.
    pub pdo: f64,
    /// `pdo / ln 2`.
    pub factor: f64,
    /// `base_score − factor × ln(base_odds)`: the score at even odds.
    pub offset: f64,
}

impl Scaling {
    /// The scaling a configuration asks for.
    pub fn new(c: &ScalingConfig) -> Self {
        let factor = c.pdo / std::f64::consts::LN_2;
        Scaling {
            base_score: c.base_score,
            base_odds: c.base_odds,
            pdo: c.pdo,
            factor,
            offset: c.base_score - factor * c.base_odds.ln(),
        }
    }

    /// Points for a bad log-odds contribution, rounded to hundredths so that every system that
    /// adds them up (SQL, PMML, spreadsheets) gets the same total.
    pub fn points(&self, log_odds: f64) -> f64 {
        round2(-self.factor * log_odds)
    }

    /// Probability of bad implied by a score.
    pub fn pd(&self, score: f64) -> f64 {
        1.0 / (1.0 + ((score - self.offset) / self.factor).exp())
    }
}

pub use xinrong_core::round2;

/// Score cut points of the seven grades.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeScale {
    /// Six descending scores: at or above `cuts[0]` is A, … below `cuts[5]` is F.
    pub cuts: Vec<f64>,
    /// How the cuts were chosen.
    pub method: String,
}

impl GradeScale {
    /// The scores of grade number `g` (0 = A … 6 = F) as text: `>= 600`, `[580, 600)`, `< 480`.
    pub fn range_label(&self, g: usize) -> String {
        let c = &self.cuts;
        match g {
            0 => format!(">= {}", c[0]),
            6 => format!("< {}", c[5]),
            _ => format!("[{}, {})", c[g], c[g - 1]),
        }
    }

    /// Grade of a score.
    pub fn grade(&self, score: f64) -> Grade {
        let k = self.cuts.iter().take_while(|&&c| score < c).count();
        Grade::ALL[k.min(6)]
    }
}

/// Shares of the training population per grade used for the default scale, best grade first.
pub const DEFAULT_GRADE_SHARES: [f64; 7] = [0.10, 0.15, 0.20, 0.20, 0.15, 0.12, 0.08];

/// Default grade cut points from training scores: integer scores at the cumulative
/// [`DEFAULT_GRADE_SHARES`]; if their bad rates do not rise from A to F, equal-width score
/// bands between the 2nd and 98th percentiles are tried; the first monotone scale wins.
pub fn default_grades(score: &[f64], y: &[u8]) -> (GradeScale, bool) {
    let mut sorted = score.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| sorted[((q * sorted.len() as f64) as usize).min(sorted.len() - 1)];
    let mut cum = 1.0;
    let quantile: Vec<f64> = DEFAULT_GRADE_SHARES[..6]
        .iter()
        .map(|s| {
            cum -= s;
            at(cum).round()
        })
        .collect();
    let (lo, hi) = (at(0.02), at(0.98));
    let width: Vec<f64> = (1..=6)
        .map(|k| (hi - (hi - lo) * k as f64 / 7.0).round())
        .collect();
    let candidates = [
        (
            strictly_descending(quantile),
            "training-score quantiles 10/15/20/20/15/12/8%",
        ),
        (
            strictly_descending(width),
            "equal-width score bands between the 2nd and 98th percentiles",
        ),
    ];
    for (cuts, method) in &candidates {
        let scale = GradeScale {
            cuts: cuts.clone(),
            method: method.to_string(),
        };
        if monotone_bad_rates(&scale, score, y) {
            return (scale, true);
        }
    }
    let (cuts, method) = &candidates[0];
    (
        GradeScale {
            cuts: cuts.clone(),
            method: format!("{method} (bad rates not monotone on training data)"),
        },
        false,
    )
}

/// Forces strictly descending cuts (ties from lumpy score distributions are spread by 1 point).
fn strictly_descending(mut cuts: Vec<f64>) -> Vec<f64> {
    for i in 1..cuts.len() {
        if cuts[i] >= cuts[i - 1] {
            cuts[i] = cuts[i - 1] - 1.0;
        }
    }
    cuts
}

/// True when bad rates of non-empty grades do not fall from A to F.
pub fn monotone_bad_rates(scale: &GradeScale, score: &[f64], y: &[u8]) -> bool {
    let mut counts = [(0u64, 0u64); 7];
    for (s, t) in score.iter().zip(y) {
        let g = scale.grade(*s).rank();
        counts[g].0 += 1;
        counts[g].1 += u64::from(*t);
    }
    let rates: Vec<f64> = counts
        .iter()
        .filter(|c| c.0 > 0)
        .map(|c| c.1 as f64 / c.0 as f64)
        .collect();
    rates.windows(2).all(|w| w[0] <= w[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_by_hand() {
        let s = Scaling::new(&ScalingConfig {
            base_score: 600.0,
            base_odds: 50.0,
            pdo: 20.0,
        });
        assert!((s.factor - 28.853_900_817_779_27).abs() < 1e-9);
        // At the base odds (bad odds 1/50) the score is 600 and PD 1/51.
        let score = s.offset + s.points((1.0f64 / 50.0).ln());
        assert!((score - 600.0).abs() < 0.01);
        assert!((s.pd(600.0) - 1.0 / 51.0).abs() < 1e-12);
        // Doubling the good odds adds pdo points.
        assert!((s.pd(620.0) - 1.0 / 101.0).abs() < 1e-12);
    }

    #[test]
    fn grades_from_cuts() {
        let g = GradeScale {
            cuts: vec![700.0, 650.0, 600.0, 550.0, 500.0, 450.0],
            method: String::new(),
        };
        assert_eq!(g.grade(700.0), Grade::A);
        assert_eq!(g.grade(699.99), Grade::B);
        assert_eq!(g.grade(500.0), Grade::C3);
        assert_eq!(g.grade(10.0), Grade::F);
    }

    #[test]
    fn default_grades_are_monotone_on_a_calibrated_score() {
        let score: Vec<f64> = (0..10_000).map(|i| 400.0 + (i as f64) * 0.03).collect();
        let s = Scaling::new(&ScalingConfig::default());
        // Deterministic targets whose frequency follows the PD.
        let mut acc = 0.0;
        let y: Vec<u8> = score
            .iter()
            .map(|&sc| {
                acc += s.pd(sc);
                if acc >= 1.0 {
                    acc -= 1.0;
                    1
                } else {
                    0
                }
            })
            .collect();
        let (scale, ok) = default_grades(&score, &y);
        assert!(ok, "{scale:?}");
        assert!(scale.cuts.windows(2).all(|w| w[0] > w[1]));
    }
}
