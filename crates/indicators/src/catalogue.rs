//! The indicator catalogue: families of SQL aggregate expressions over one source, expanded
//! over look-back windows, plus derived indicators that combine families. The built-in
//! catalogue lives in `catalogue/*.toml`; users add their own as SQL files.

use std::collections::HashSet;

use serde::Deserialize;

use crate::error::IndicatorError;

pub use xinrong_core::{DIMENSIONS, VIEWS};

const BUILTIN: [(&str, &str); 6] = [
    (
        "cash_flow.toml",
        include_str!("../catalogue/cash_flow.toml"),
    ),
    ("trade.toml", include_str!("../catalogue/trade.toml")),
    ("tax.toml", include_str!("../catalogue/tax.toml")),
    (
        "operations.toml",
        include_str!("../catalogue/operations.toml"),
    ),
    ("risk.toml", include_str!("../catalogue/risk.toml")),
    ("tech.toml", include_str!("../catalogue/tech.toml")),
];
const DERIVED: &str = include_str!("../catalogue/derived.toml");

/// Which way an indicator is expected to move with credit quality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Direction {
    /// Higher values mean lower risk.
    HigherBetter,
    /// Higher values mean higher risk.
    HigherWorse,
    /// No monotone expectation.
    Neutral,
}

/// One indicator with its metadata.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Indicator {
    /// Column name in the output.
    pub id: String,
    /// English name.
    pub en: String,
    /// Chinese name.
    pub zh: String,
    /// One of [`DIMENSIONS`].
    pub dimension: String,
    /// One of [`VIEWS`].
    pub view: String,
    /// Unit of the value.
    pub unit: String,
    /// Expected direction.
    pub direction: Direction,
    /// Where it comes from: `family:window`, `derived`, or the user's SQL file.
    pub origin: String,
    /// The SQL expression or query that computes it.
    pub sql: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    family: Vec<FamilyDef>,
    #[serde(default)]
    derived: Vec<DerivedDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyDef {
    id: String,
    source: String,
    dimension: String,
    view: String,
    date: Option<String>,
    windows: Vec<u32>,
    inner: Option<Inner>,
    indicators: Vec<TemplateDef>,
}

/// A first aggregation per enterprise and key (month, counterparty …) that a family's
/// expressions then aggregate again.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inner {
    /// The grouping key expression, available to the outer expressions as `k`.
    pub key: String,
    /// Aggregate columns of the first level, `expr AS name, …`.
    pub select: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateDef {
    id: String,
    en: String,
    zh: String,
    unit: String,
    direction: String,
    expr: String,
    dimension: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DerivedDef {
    id: String,
    en: String,
    zh: String,
    dimension: String,
    view: String,
    unit: String,
    direction: String,
    expr: String,
}

/// One query to run: a family at one window.
#[derive(Clone, Debug)]
pub struct Query {
    /// Family id.
    pub family: String,
    /// Source table.
    pub source: String,
    /// Column dating the rows.
    pub date: String,
    /// Months of look-back (0 = all history up to the as-of date).
    pub window: u32,
    /// Optional first-level aggregation.
    pub inner: Option<Inner>,
    /// Indices into [`Catalogue::indicators`] computed by this query.
    pub indicators: Vec<usize>,
}

/// The whole catalogue.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    /// Every indicator, in output order.
    pub indicators: Vec<Indicator>,
    /// Family queries.
    pub queries: Vec<Query>,
    /// Indices of derived indicators (computed last, from the others).
    pub derived: Vec<usize>,
    /// Indices of user SQL indicators (each its own query).
    pub user: Vec<usize>,
}

fn direction(text: &str, id: &str) -> Result<Direction, IndicatorError> {
    match text {
        "+" => Ok(Direction::HigherBetter),
        "-" => Ok(Direction::HigherWorse),
        "0" => Ok(Direction::Neutral),
        other => Err(IndicatorError::Catalogue(format!(
            "{id}: direction {other:?} is not +, - or 0"
        ))),
    }
}

fn check_dimension(dimension: &str, view: &str, id: &str) -> Result<(), IndicatorError> {
    if !DIMENSIONS.iter().any(|d| d.0 == dimension) {
        return Err(IndicatorError::Catalogue(format!(
            "{id}: unknown dimension {dimension:?}"
        )));
    }
    if !VIEWS.iter().any(|v| v.0 == view) {
        return Err(IndicatorError::Catalogue(format!(
            "{id}: unknown view {view:?}"
        )));
    }
    Ok(())
}

/// Fills `{w}` in names; window 0 means "to date".
fn name_for(template: &str, window: u32, en: bool) -> String {
    if window > 0 {
        return template.replace("{w}", &window.to_string());
    }
    if en {
        template
            .replace("last {w} months", "to date")
            .replace("{w} months", "all history")
    } else {
        template
            .replace("近{w}个月", "历史累计")
            .replace("{w}", "全部")
    }
}

impl Catalogue {
    /// Keeps only the queries that compute `needed` indicators (and the indicators the needed
    /// derived ones read); every other indicator stays in the output, missing. For a caller
    /// that needs a few indicators of the catalogue (a model's, the financing facts), so it
    /// does not pay for the rest.
    pub fn restrict(&mut self, needed: &[&str]) {
        let mut wanted: std::collections::HashSet<&str> = needed.iter().copied().collect();
        for &d in &self.derived {
            let derived = &self.indicators[d];
            if wanted.contains(derived.id.as_str()) {
                for token in derived
                    .sql
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                {
                    if let Some(i) = self.indicators.iter().find(|i| i.id == token) {
                        wanted.insert(i.id.as_str());
                    }
                }
            }
        }
        let keep = |i: &usize| wanted.contains(self.indicators[*i].id.as_str());
        let queries: Vec<Query> = self
            .queries
            .iter()
            .filter(|q| q.indicators.iter().any(keep))
            .cloned()
            .collect();
        let user: Vec<usize> = self.user.iter().copied().filter(keep).collect();
        self.queries = queries;
        self.user = user;
    }

    /// The built-in catalogue.
    pub fn builtin() -> Result<Catalogue, IndicatorError> {
        let mut catalogue = Catalogue::default();
        for (name, text) in BUILTIN {
            catalogue.add_toml(name, text)?;
        }
        catalogue.add_toml("derived.toml", DERIVED)?;
        Ok(catalogue)
    }

    /// Adds the families and derived indicators of one TOML catalogue file.
    pub fn add_toml(&mut self, name: &str, text: &str) -> Result<(), IndicatorError> {
        let file: File =
            toml::from_str(text).map_err(|e| IndicatorError::Catalogue(format!("{name}: {e}")))?;
        for family in file.family {
            let source = xinrong_sources::source(&family.source).ok_or_else(|| {
                IndicatorError::Catalogue(format!(
                    "{name}: family {}: unknown source {}",
                    family.id, family.source
                ))
            })?;
            let date = family
                .date
                .clone()
                .unwrap_or_else(|| source.date_field.to_string());
            for &window in &family.windows {
                let mut query = Query {
                    family: family.id.clone(),
                    source: family.source.clone(),
                    date: date.clone(),
                    window,
                    inner: family.inner.clone(),
                    indicators: Vec::new(),
                };
                for t in &family.indicators {
                    let id = if window > 0 {
                        t.id.replace("{w}", &window.to_string())
                    } else {
                        t.id.replace("_{w}m", "_all")
                    };
                    let dimension = t
                        .dimension
                        .clone()
                        .unwrap_or_else(|| family.dimension.clone());
                    check_dimension(&dimension, &family.view, &id)?;
                    query.indicators.push(self.push(Indicator {
                        en: name_for(&t.en, window, true),
                        zh: name_for(&t.zh, window, false),
                        dimension,
                        view: family.view.clone(),
                        unit: t.unit.clone(),
                        direction: direction(&t.direction, &id)?,
                        origin: format!("{}:{window}", family.id),
                        sql: t.expr.clone(),
                        id,
                    })?);
                }
                self.queries.push(query);
            }
        }
        for d in file.derived {
            check_dimension(&d.dimension, &d.view, &d.id)?;
            let index = self.push(Indicator {
                direction: direction(&d.direction, &d.id)?,
                id: d.id,
                en: d.en,
                zh: d.zh,
                dimension: d.dimension,
                view: d.view,
                unit: d.unit,
                origin: "derived".into(),
                sql: d.expr,
            })?;
            self.derived.push(index);
        }
        Ok(())
    }

    /// Adds a user indicator from a SQL file: a read-only query returning `uscc` and one
    /// value, with metadata in leading comments (`-- id: …`, `-- en: …`, `-- zh: …`,
    /// `-- dimension: …`, `-- view: …`, `-- unit: …`, `-- direction: +|-|0`). Whether the
    /// query is read-only and touches only known tables is checked when it is planned.
    pub fn add_sql(&mut self, name: &str, text: &str) -> Result<(), IndicatorError> {
        let meta = |key: &str| {
            text.lines()
                .filter_map(|l| l.trim().strip_prefix("--"))
                .filter_map(|l| {
                    l.trim()
                        .strip_prefix(key)?
                        .trim()
                        .strip_prefix(':')
                        .map(|v| v.trim().to_string())
                })
                .next()
        };
        let id = meta("id").ok_or_else(|| IndicatorError::UserSql {
            file: name.into(),
            reason: "no `-- id: …` line".into(),
        })?;
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(IndicatorError::UserSql {
                file: name.into(),
                reason: format!("id {id:?} must be letters, digits and _"),
            });
        }
        let dimension = meta("dimension").unwrap_or_else(|| "operations".into());
        let view = meta("view").unwrap_or_else(|| "business_activity".into());
        check_dimension(&dimension, &view, &id).map_err(|e| IndicatorError::UserSql {
            file: name.into(),
            reason: e.to_string(),
        })?;
        let index = self.push(Indicator {
            en: meta("en").unwrap_or_else(|| id.clone()),
            zh: meta("zh").unwrap_or_else(|| id.clone()),
            dimension,
            view,
            unit: meta("unit").unwrap_or_default(),
            direction: direction(&meta("direction").unwrap_or_else(|| "0".into()), &id)?,
            origin: name.to_string(),
            sql: text.to_string(),
            id,
        })?;
        self.user.push(index);
        Ok(())
    }

    fn push(&mut self, indicator: Indicator) -> Result<usize, IndicatorError> {
        if self.indicators.iter().any(|i| i.id == indicator.id) {
            return Err(IndicatorError::Catalogue(format!(
                "indicator id {} defined twice",
                indicator.id
            )));
        }
        self.indicators.push(indicator);
        Ok(self.indicators.len() - 1)
    }

    /// Ids of every indicator, checked unique.
    pub fn ids(&self) -> HashSet<&str> {
        self.indicators.iter().map(|i| i.id.as_str()).collect()
    }
}
