//! Scoring one row at a time, for online queries: no batch columns, no thread pool, the same
//! slots, points, rounding, PD, grade and reason codes as [`Scorecard::score`].

use xinrong_core::Grade;

use crate::binning::FeatureData;
use crate::error::ScorecardError;
use crate::model::Scorecard;

/// The points one characteristic gave one row.
#[derive(Debug, Clone, PartialEq)]
pub struct FeaturePoints {
    /// Index of the characteristic in [`Scorecard::features`].
    pub feature: usize,
    /// The bin slot the value fell in.
    pub slot: u8,
    /// Points of that bin.
    pub points: f64,
    /// Highest points the characteristic gives.
    pub max_points: f64,
}

/// The score of one row, with every characteristic's contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct RowScore {
    /// Total points (rounded as in batch scoring).
    pub score: f64,
    /// Probability of bad implied by the score.
    pub pd: f64,
    /// Grade.
    pub grade: Grade,
    /// Each characteristic's points, in model order.
    pub points: Vec<FeaturePoints>,
    /// Reason codes: indices of the characteristics that lost the most points, worst first.
    pub reasons: Vec<usize>,
}

impl Scorecard {
    /// Scores one row whose values `value(name)` gives (`None` or `NaN` = missing). Every
    /// model feature absent from the row (`value` gives `None` *and* `known(name)` is false)
    /// is listed in one error.
    pub fn score_one(
        &self,
        value: impl Fn(&str) -> Option<f64>,
        known: impl Fn(&str) -> bool,
        top_n: usize,
    ) -> Result<RowScore, ScorecardError> {
        let missing: Vec<String> = self
            .features
            .iter()
            .filter(|f| value(&f.name).is_none() && !known(&f.name))
            .map(|f| f.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(ScorecardError::MissingFeatures { features: missing });
        }
        let mut total = self.base_points;
        let mut points = Vec::with_capacity(self.features.len());
        for (j, f) in self.features.iter().enumerate() {
            let x = [value(&f.name).unwrap_or(f64::NAN)];
            let slot = f.binning.encoder(&FeatureData::Numeric(&x))?.slot(0);
            let p = f.points[slot as usize];
            total += p;
            points.push(FeaturePoints {
                feature: j,
                slot,
                points: p,
                max_points: f.max_points(),
            });
        }
        let score = crate::scaling::round2(total);
        let mut losses: Vec<(f64, usize)> = points
            .iter()
            .map(|p| (p.max_points - p.points, p.feature))
            .filter(|l| l.0 > 0.0)
            .collect();
        losses.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(RowScore {
            score,
            pd: self.scaling.pd(score),
            grade: self.grades.grade(score),
            points,
            reasons: losses.iter().take(top_n).map(|l| l.1).collect(),
        })
    }
}
