//! A bank's or guarantor's portfolio at a glance: the enterprises it holds a live consent for,
//! counted by the champion's grade on their latest snapshots, with their mean PD, and the
//! riskiest of those it monitors. Only what the institution's live consents let it see: the
//! counts cover every consent held, while an enterprise is named with its score only under a
//! live post-loan monitoring consent (the consent that routes early warnings to the lender;
//! any other look at one enterprise's score is a score query, logged and receipted). Scores come from the snapshot store's compact per-enterprise answers
//! (computed in bulk once, then kept until the enterprise is rescored or the model changes),
//! so the overview stays fast for a portfolio of a hundred thousand firms.

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
        let mut monitored: Vec<bool> = Vec::new();
        self.consents
            .for_each_holding(&by.id, today, |enterprise, consents| {
                held.push(enterprise.clone());
                monitored.push(
                    consents
                        .iter()
                        .any(|c| c.purpose == Purpose::PostLoan && c.is_live(today)),
                );
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
        let (mut pd_sum, mut scored) = (0.0, 0);
        // Only the riskiest few become rows: (PD, enterprise index) for the monitored ones.
        let mut watched: Vec<(f64, usize)> = Vec::new();
        for (i, (found, monitored)) in scores.iter().zip(&monitored).enumerate() {
            let Some(s) = found else { continue };
            by_grade[s.grade.rank()].count += 1;
            pd_sum += s.pd;
            scored += 1;
            if *monitored {
                watched.push((s.pd, i));
            }
        }
        let riskiest_first = |a: &(f64, usize), b: &(f64, usize)| {
            b.0.total_cmp(&a.0).then(held[a.1].cmp(&held[b.1]))
        };
        if watched.len() > RISKIEST {
            watched.select_nth_unstable_by(RISKIEST - 1, riskiest_first);
            watched.truncate(RISKIEST);
        }
        watched.sort_by(riskiest_first);
        let holdings: Vec<Holding> = watched
            .iter()
            .filter_map(|&(_, i)| {
                let s = scores[i]?;
                Some(Holding {
                    enterprise: held[i].to_string(),
                    purpose: Purpose::PostLoan.as_str().to_string(),
                    as_of: s.as_of.to_string(),
                    score: s.score,
                    grade: s.grade.to_string(),
                    pd: s.pd,
                })
            })
            .collect();
        Ok(Portfolio {
            enterprises: held.len(),
            scored,
            by_grade,
            mean_pd: (scored > 0).then(|| pd_sum / scored as f64),
            riskiest: holdings,
            model_version: Some(model.version.clone()),
        })
    }

    /// Computes and keeps the champion's answer for every enterprise under a live consent, so
    /// that the first overview after a start is as fast as the next (`xinrong serve` runs it
    /// in the background at start); how many were scored.
    pub async fn warm_portfolio_scores(&self) -> Result<usize, PlatformError> {
        let Ok(model) = self.registry.get(None) else {
            return Ok(0);
        };
        let enterprises = self.consents.live_enterprises(crate::today());
        let scores = self.snapshots.latest_scores(&enterprises, &model).await?;
        Ok(scores.iter().flatten().count())
    }
}
