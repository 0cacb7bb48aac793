//! A bank's or guarantor's portfolio at a glance: the enterprises it holds a live consent for,
//! counted by the champion's grade on their latest snapshots, with their mean PD and the
//! riskiest of them. The same access rule as a score query: only what the institution's live
//! consents let it see. Scores come from the snapshot store's compact per-enterprise answers
//! (computed in bulk once, then kept until the enterprise is rescored or the model changes),
//! so the overview stays fast for a portfolio of a hundred thousand firms.

use std::collections::BTreeSet;

use serde::Serialize;
use xinrong_core::{Grade, Uscc};

use crate::access::Institution;
use crate::error::PlatformError;
use crate::platform::Platform;

/// How many of the riskiest enterprises a portfolio lists.
pub const RISKIEST: usize = 10;

/// A portfolio in aggregate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Portfolio {
    /// Enterprises with a live consent held by the institution.
    pub enterprises: usize,
    /// Of them, those with a snapshot the champion scored.
    pub scored: usize,
    /// Enterprises by grade, best first (every grade listed, zero included).
    pub by_grade: Vec<GradeCount>,
    /// Mean PD of the scored enterprises.
    pub mean_pd: Option<f64>,
    /// The riskiest scored enterprises, highest PD first.
    pub riskiest: Vec<Holding>,
    /// The champion that scored them.
    pub model_version: Option<String>,
}

/// Enterprises of one grade.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GradeCount {
    /// Grade.
    pub grade: String,
    /// Enterprises.
    pub count: usize,
}

/// One enterprise of a portfolio.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Holding {
    /// The enterprise.
    pub enterprise: String,
    /// A purpose the institution holds a live consent for (to open its page).
    pub purpose: String,
    /// Snapshot date.
    pub as_of: String,
    /// Score.
    pub score: f64,
    /// Grade.
    pub grade: String,
    /// PD.
    pub pd: f64,
}

impl Platform {
    /// The calling bank's or guarantor's portfolio.
    pub async fn portfolio(&self, by: &Institution) -> Result<Portfolio, PlatformError> {
        if !by.kind.may_query_scores() {
            return Err(PlatformError::role(format!(
                "{} has no portfolio; banks and guarantors do",
                by.kind.with_article()
            )));
        }
        let today = crate::today();
        let mut held: Vec<(Uscc, String)> = Vec::new();
        let mut seen: BTreeSet<Uscc> = BTreeSet::new();
        for c in self.consents.of_institution(&by.id) {
            if c.is_live(today) && seen.insert(c.enterprise.clone()) {
                held.push((c.enterprise.clone(), c.purpose.as_str().to_string()));
            }
        }
        let champion = self.registry.get(None).ok();
        let mut by_grade: Vec<GradeCount> = Grade::ALL
            .iter()
            .map(|g| GradeCount {
                grade: g.to_string(),
                count: 0,
            })
            .collect();
        let Some(model) = champion else {
            return Ok(Portfolio {
                enterprises: held.len(),
                scored: 0,
                by_grade,
                mean_pd: None,
                riskiest: Vec::new(),
                model_version: None,
            });
        };
        let enterprises: Vec<Uscc> = held.iter().map(|h| h.0.clone()).collect();
        let scores = self.snapshots.latest_scores(&enterprises, &model).await?;
        let mut holdings: Vec<Holding> = Vec::new();
        let mut pd_sum = 0.0;
        for ((enterprise, purpose), scored) in held.iter().zip(&scores) {
            let Some(s) = scored else { continue };
            by_grade[s.grade.rank()].count += 1;
            pd_sum += s.pd;
            holdings.push(Holding {
                enterprise: enterprise.to_string(),
                purpose: purpose.clone(),
                as_of: s.as_of.to_string(),
                score: s.score,
                grade: s.grade.to_string(),
                pd: s.pd,
            });
        }
        let scored = holdings.len();
        holdings.sort_by(|a, b| b.pd.total_cmp(&a.pd).then(a.enterprise.cmp(&b.enterprise)));
        holdings.truncate(RISKIEST);
        Ok(Portfolio {
            enterprises: held.len(),
            scored,
            by_grade,
            mean_pd: (scored > 0).then(|| pd_sum / scored as f64),
            riskiest: holdings,
            model_version: Some(model.version.clone()),
        })
    }
}
