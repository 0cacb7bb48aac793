//! A bank's or guarantor's portfolio at a glance: the enterprises it holds a live consent for,
//! counted by the champion's grade on their latest snapshots, with their mean PD, and the
//! riskiest of those it monitors. Only what the institution's live consents let it see: the
//! counts cover every consent held, while an enterprise is named with its score only under a
//! live post-loan monitoring consent (the consent that routes early warnings to the lender;
//! any other look at one enterprise's score is a score query, logged and receipted). Scores come from the snapshot store's compact per-enterprise answers
//! (computed in bulk once, then kept until the enterprise is rescored or the model changes),
//! so the overview stays fast for a portfolio of a hundred thousand firms.

use std::collections::BTreeSet;

use serde::Serialize;
use xinrong_core::{Grade, Purpose, Uscc};

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
    /// The riskiest scored enterprises under a live post-loan monitoring consent, highest PD
    /// first.
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
    /// The purpose it is monitored under (`post_loan`).
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
        let mut held: Vec<Uscc> = Vec::new();
        let mut seen: BTreeSet<Uscc> = BTreeSet::new();
        let mut monitored: BTreeSet<Uscc> = BTreeSet::new();
        self.consents.for_each_live(&by.id, today, |c| {
            if c.purpose == Purpose::PostLoan {
                monitored.insert(c.enterprise.clone());
            }
            if seen.insert(c.enterprise.clone()) {
                held.push(c.enterprise.clone());
            }
        });
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
        let scores = self.snapshots.latest_scores(&held, &model).await?;
        let mut holdings: Vec<Holding> = Vec::new();
        let (mut pd_sum, mut scored) = (0.0, 0);
        for (enterprise, found) in held.iter().zip(&scores) {
            let Some(s) = found else { continue };
            by_grade[s.grade.rank()].count += 1;
            pd_sum += s.pd;
            scored += 1;
            if monitored.contains(enterprise) {
                holdings.push(Holding {
                    enterprise: enterprise.to_string(),
                    purpose: Purpose::PostLoan.as_str().to_string(),
                    as_of: s.as_of.to_string(),
                    score: s.score,
                    grade: s.grade.to_string(),
                    pd: s.pd,
                });
            }
        }
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
