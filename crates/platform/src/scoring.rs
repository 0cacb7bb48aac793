//! Scoring an enterprise: the champion (or a named) model applied to the enterprise's latest
//! indicator snapshot, explained by reason codes and by sub-scores of the ten dimensions and
//! the three-dimension view.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xinrong_core::{DIMENSIONS, Grade, Uscc, VIEWS, group_labels, round2};
use xinrong_scorecard::{Lang, RowScore};

use crate::error::PlatformError;
use crate::registry::Published;
use crate::snapshots::Snapshot;

/// Reason codes per answer.
pub const REASONS: usize = 4;

/// One characteristic where the enterprise lost points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    /// Indicator id.
    pub feature: String,
    /// English label.
    pub en: String,
    /// Chinese label.
    pub zh: String,
    /// The enterprise's value (`null` = missing).
    pub value: Option<f64>,
    /// Points it earned.
    pub points: f64,
    /// Points the best bin gives: the gap is what improving this indicator could add.
    pub max_points: f64,
}

/// The score's share from one group of characteristics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupScore {
    /// Dimension or view code.
    pub code: String,
    /// English name.
    pub en: String,
    /// Chinese name.
    pub zh: String,
    /// Points earned by the group's characteristics.
    pub points: f64,
    /// Fewest and most points the group can give.
    pub min_points: f64,
    /// Most points the group can give.
    pub max_points: f64,
    /// Where the enterprise sits between the least and the most, 0–100; `null` when no
    /// characteristic of the model falls in the group.
    pub level: Option<f64>,
    /// Characteristics in the group.
    pub features: usize,
}

/// A scored enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Explained {
    /// Score points.
    pub score: f64,
    /// Probability of default implied by the score.
    pub pd: f64,
    /// Grade: A, B, C1, C2, C3, D or F.
    #[schema(value_type = String)]
    pub grade: Grade,
    /// Model version used.
    pub model_version: String,
    /// Date of the indicator snapshot scored.
    pub snapshot_as_of: String,
    /// Hash binding the answer to the indicator values used.
    pub inputs_hash: String,
    /// Where the most points were lost, worst first.
    pub reasons: Vec<Reason>,
    /// Sub-scores of the ten dimensions (all ten, in the reference model's order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<GroupScore>,
    /// Sub-scores of the three-dimension view (all three).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<GroupScore>,
    /// Where the enterprise earned the most of what it could (its strengths).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strengths: Vec<Reason>,
}

impl Explained {
    /// What a query record keeps: the answer's figures and reasons. The sub-scores and
    /// strengths follow from the model version and the inputs (both bound by the ledger
    /// entry's hash) and would triple the size of every record, so they are not stored.
    pub fn for_the_record(&self) -> Explained {
        Explained {
            dimensions: Vec::new(),
            views: Vec::new(),
            strengths: Vec::new(),
            ..self.clone()
        }
    }
}

/// Scores `snapshot` with `model`.
pub fn explain(model: &Published, snapshot: &Snapshot) -> Result<Explained, PlatformError> {
    let card = &model.model;
    let value = |name: &str| snapshot.values.get(name).copied().flatten();
    let row: RowScore =
        card.score_one(value, |name| snapshot.values.contains_key(name), REASONS)?;
    let reason = |j: usize| {
        let f = &card.features[j];
        let p = &row.points[j];
        Reason {
            feature: f.name.clone(),
            en: f.display(Lang::En).to_string(),
            zh: f.display(Lang::Zh).to_string(),
            value: value(&f.name),
            points: p.points,
            max_points: p.max_points,
        }
    };
    let mut best: Vec<(f64, usize)> = row
        .points
        .iter()
        .filter(|p| (p.max_points - p.points).abs() < 1e-9)
        .map(|p| (p.max_points, p.feature))
        .collect();
    best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let names = card.features.iter().map(|f| f.name.as_str());
    Ok(Explained {
        score: row.score,
        pd: row.pd,
        grade: row.grade,
        model_version: model.version.clone(),
        snapshot_as_of: snapshot.as_of.to_string(),
        inputs_hash: snapshot.hash_of(names),
        reasons: row.reasons.iter().map(|&j| reason(j)).collect(),
        dimensions: groups(model, &row, &DIMENSIONS, |g| &g.dimension),
        views: groups(model, &row, &VIEWS, |g| &g.view),
        strengths: best.iter().take(REASONS).map(|b| reason(b.1)).collect(),
    })
}

/// Sub-scores of every group of `codes` (in that order, uncovered ones with no level), then
/// of any group the model uses that is not among them (such as `other`).
fn groups(
    model: &Published,
    row: &RowScore,
    codes: &[(&str, &str, &str)],
    pick: impl Fn(&crate::registry::FeatureGroups) -> &String,
) -> Vec<GroupScore> {
    let mut acc: BTreeMap<&str, (f64, f64, f64, usize)> = BTreeMap::new();
    for (f, p) in model.model.features.iter().zip(&row.points) {
        let code = model
            .groups
            .get(&f.name)
            .map(|g| pick(g).as_str())
            .unwrap_or("other");
        let min = f.points.iter().copied().fold(f64::INFINITY, f64::min);
        let e = acc.entry(code).or_insert((0.0, 0.0, 0.0, 0));
        e.0 += p.points;
        e.1 += min;
        e.2 += p.max_points;
        e.3 += 1;
    }
    let known = codes.iter().map(|c| c.0);
    let extra: Vec<&str> = acc
        .keys()
        .copied()
        .filter(|k| !codes.iter().any(|c| c.0 == *k))
        .collect();
    known
        .chain(extra)
        .map(|code| {
            let (points, min, max, n) = acc.get(code).copied().unwrap_or((0.0, 0.0, 0.0, 0));
            let (en, zh) = group_labels(code);
            GroupScore {
                code: code.to_string(),
                en: en.to_string(),
                zh: zh.to_string(),
                points: round2(points),
                min_points: round2(min),
                max_points: round2(max),
                level: match n {
                    0 => None,
                    _ if max > min => Some(round2(100.0 * (points - min) / (max - min))),
                    _ => Some(100.0),
                },
                features: n,
            }
        })
        .collect()
}

/// The enterprise's USCC from a request field, with the field named on error.
pub fn parse_uscc(field: &str, text: &str) -> Result<Uscc, PlatformError> {
    text.parse()
        .map_err(|e| PlatformError::invalid(field, format!("{e}")))
}
