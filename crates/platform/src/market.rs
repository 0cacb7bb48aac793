//! The market in aggregate, for the regulator and the operator: every enterprise with
//! indicators, scored by the champion on its latest snapshot, counted by grade and cut by
//! province (the region its code carries) and by industry section (from its registration).
//! Only counts and means: no enterprise is named, so no consent is needed, and nothing is
//! logged as a query.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use xinrong_core::{Grade, Uscc, province_name, section_name};

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::platform::Platform;
use crate::portfolio::GradeCount;

/// The market in aggregate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Market {
    /// The champion that scored the enterprises (none published yet: nothing is scored).
    pub model_version: Option<String>,
    /// Enterprises with indicators loaded.
    pub enterprises: usize,
    /// Of them, those the champion scored.
    pub scored: usize,
    /// Mean PD of the scored enterprises.
    pub mean_pd: Option<f64>,
    /// Scored enterprises by grade, best first.
    pub by_grade: Vec<GradeCount>,
    /// By province (GB/T 2260 first two digits of the code's region), most enterprises first.
    pub by_region: Vec<Segment>,
    /// By industry section (GB/T 4754 letter), most enterprises first; code `""` gathers the
    /// enterprises whose industry the registry does not give.
    pub by_industry: Vec<Segment>,
}

/// One cut of the market.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Segment {
    /// Province code (`35`) or industry section (`I`); `""` when unknown.
    pub code: String,
    /// Name in English.
    pub en: String,
    /// Name in Chinese.
    pub zh: String,
    /// Enterprises with indicators.
    pub enterprises: usize,
    /// Of them, scored.
    pub scored: usize,
    /// Mean PD of the scored ones.
    pub mean_pd: Option<f64>,
    /// Scored enterprises by grade, in the order of `Market::by_grade`.
    pub by_grade: Vec<usize>,
    /// Share of the scored ones in the two weakest grades (D and F).
    pub weak_share: Option<f64>,
}

/// Running sums of one segment.
#[derive(Default)]
struct Sums {
    enterprises: usize,
    scored: usize,
    pd: f64,
    by_grade: [usize; Grade::ALL.len()],
}

impl Sums {
    fn add(&mut self, scored: Option<&crate::snapshots::Scored>) {
        self.enterprises += 1;
        if let Some(s) = scored {
            self.scored += 1;
            self.pd += s.pd;
            self.by_grade[s.grade.rank()] += 1;
        }
    }

    fn mean_pd(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.pd / self.scored as f64)
    }

    fn segment(&self, code: String, names: Option<(&str, &str)>) -> Segment {
        let (en, zh) = names.unwrap_or(("Unknown", "未知"));
        let weak = self.by_grade[Grade::D.rank()] + self.by_grade[Grade::F.rank()];
        Segment {
            code,
            en: en.to_string(),
            zh: zh.to_string(),
            enterprises: self.enterprises,
            scored: self.scored,
            mean_pd: self.mean_pd(),
            by_grade: self.by_grade.to_vec(),
            weak_share: (self.scored > 0).then(|| weak as f64 / self.scored as f64),
        }
    }
}

/// Segments largest first, ties by code.
fn ranked(
    sums: BTreeMap<String, Sums>,
    name: impl Fn(&str) -> Option<(&'static str, &'static str)>,
) -> Vec<Segment> {
    let mut out: Vec<Segment> = sums
        .iter()
        .map(|(code, s)| s.segment(code.clone(), name(code)))
        .collect();
    out.sort_by(|a, b| b.enterprises.cmp(&a.enterprises).then(a.code.cmp(&b.code)));
    out
}

/// What the aggregates were computed from: the snapshots' version, the registry's size and
/// newest registration (enterprises are only ever added), and the champion.
type Basis = ((i64, u64), (i64, i64), Option<String>);

/// The last aggregates computed, kept until their basis changes: at 100,000 enterprises, reading
/// every code and industry costs far more than a page may take.
#[derive(Default)]
pub(crate) struct Kept(std::sync::Mutex<Option<(Basis, Market)>>);

impl Platform {
    /// The market in aggregate (regulators and the operator).
    pub async fn market(&self, by: &Institution) -> Result<Market, PlatformError> {
        if !matches!(by.kind, Kind::Regulator | Kind::Operator) {
            return Err(PlatformError::role(format!(
                "{} may not read market aggregates; regulators and the operator may",
                by.kind.with_article()
            )));
        }
        let champion = self.registry.get(None).ok();
        let registered: (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(created_ms), 0) FROM enterprises")
                .fetch_one(&self.pool)
                .await?;
        let basis: Basis = (
            self.snapshots.version(),
            registered,
            champion.as_ref().map(|m| m.version.clone()),
        );
        if let Some((kept, market)) = &*self.market.0.lock().expect("market cache")
            && *kept == basis
        {
            return Ok(market.clone());
        }
        let market = self.aggregate(champion).await?;
        *self.market.0.lock().expect("market cache") = Some((basis, market.clone()));
        Ok(market)
    }

    async fn aggregate(
        &self,
        champion: Option<Arc<crate::registry::Published>>,
    ) -> Result<Market, PlatformError> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT uscc FROM snapshots")
            .fetch_all(&self.pool)
            .await?;
        let mut enterprises: Vec<Uscc> =
            rows.into_iter().filter_map(|(u,)| u.parse().ok()).collect();
        enterprises.sort_unstable();
        let industries: HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
            "SELECT uscc, industry FROM enterprises WHERE industry IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .collect();
        let scores = match &champion {
            Some(model) => self.snapshots.latest_scores(&enterprises, model).await?,
            None => vec![None; enterprises.len()],
        };
        let mut all = Sums::default();
        let mut regions: BTreeMap<String, Sums> = BTreeMap::new();
        let mut sections: BTreeMap<String, Sums> = BTreeMap::new();
        for (e, scored) in enterprises.iter().zip(&scores) {
            let scored = scored.as_ref();
            all.add(scored);
            let province = e.province();
            let province = if province_name(province).is_some() {
                province
            } else {
                ""
            };
            regions.entry(province.to_string()).or_default().add(scored);
            let section = industries
                .get(e.as_str())
                .and_then(|i| i.chars().next())
                .filter(|c| section_name(*c).is_some())
                .map(String::from)
                .unwrap_or_default();
            sections.entry(section).or_default().add(scored);
        }
        Ok(Market {
            model_version: champion.map(|m| m.version.clone()),
            enterprises: all.enterprises,
            scored: all.scored,
            mean_pd: all.mean_pd(),
            by_grade: Grade::ALL
                .iter()
                .map(|g| GradeCount {
                    grade: g.to_string(),
                    count: all.by_grade[g.rank()],
                })
                .collect(),
            by_region: ranked(regions, province_name),
            by_industry: ranked(sections, |s| s.chars().next().and_then(section_name)),
        })
    }
}
