//! The scorecard as one SQL `SELECT`.

use std::fmt::Write;
use xinrong_core::Grade;
use xinrong_scorecard::binning::{BinKind, BinRule};
use xinrong_scorecard::{ModelFeature, Scorecard};

/// SQL dialects the export targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.35 or later (with its math functions, for `EXP`).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// Apache DataFusion.
    DataFusion,
}

impl Dialect {
    fn quote_ident(self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// Cast to double so that integer columns compare and add as the engine does.
    fn as_double(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("CAST({expr} AS REAL)"),
            Dialect::Postgres => format!("CAST({expr} AS DOUBLE PRECISION)"),
            Dialect::DataFusion => format!("CAST({expr} AS DOUBLE)"),
        }
    }

    /// `expr` rounded to hundredths, as a double (PostgreSQL rounds only NUMERIC).
    fn round2(self, expr: &str) -> String {
        match self {
            Dialect::Postgres => {
                format!("CAST(ROUND(CAST({expr} AS NUMERIC), 2) AS DOUBLE PRECISION)")
            }
            Dialect::Sqlite | Dialect::DataFusion => format!("ROUND({expr}, 2)"),
        }
    }

    fn as_text(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite | Dialect::Postgres => format!("CAST({expr} AS TEXT)"),
            Dialect::DataFusion => format!("CAST({expr} AS VARCHAR)"),
        }
    }
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A float literal that reads back as the same number.
fn number(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// `CASE` giving the points of one characteristic.
fn points_case(f: &ModelFeature, d: Dialect) -> String {
    let col = d.quote_ident(&f.name);
    let bins = &f.binning.bins;
    let points_of = |kind: BinKind| {
        bins.iter()
            .position(|b| b.kind == kind)
            .map(|i| f.points[i])
    };
    let mut s = String::from("CASE");
    match &f.binning.rule {
        BinRule::Numeric {
            cuts,
            special_values,
        } => {
            let x = d.as_double(&col);
            let _ = write!(
                s,
                " WHEN {col} IS NULL THEN {}",
                number(points_of(BinKind::Missing).unwrap_or(0.0))
            );
            for (k, v) in special_values.iter().enumerate() {
                let _ = write!(
                    s,
                    " WHEN {x} = {} THEN {}",
                    number(*v),
                    number(f.points[cuts.len() + 1 + k])
                );
            }
            for (i, c) in cuts.iter().enumerate() {
                let _ = write!(s, " WHEN {x} < {} THEN {}", number(*c), number(f.points[i]));
            }
            let _ = write!(s, " ELSE {} END", number(f.points[cuts.len()]));
        }
        BinRule::Categorical { groups } => {
            let x = d.as_text(&col);
            let _ = write!(
                s,
                " WHEN {col} IS NULL THEN {}",
                number(points_of(BinKind::Missing).unwrap_or(0.0))
            );
            for (g, members) in groups.iter().enumerate() {
                let list: Vec<String> = members.iter().map(|m| literal(m)).collect();
                let _ = write!(
                    s,
                    " WHEN {x} IN ({}) THEN {}",
                    list.join(", "),
                    number(f.points[g])
                );
            }
            let _ = write!(
                s,
                " ELSE {} END",
                number(points_of(BinKind::Unseen).unwrap_or(0.0))
            );
        }
    }
    s
}

/// A `SELECT` over `table` returning `id` (when `id` is given), each characteristic's points as
/// `points_<name>`, `score`, `pd` and `grade`: the same values `xinrong score` writes.
///
/// Missing values are SQL `NULL`; text cells of numeric characteristics must already be
/// numbers. The score is the base points plus each characteristic's points in model order,
/// rounded to hundredths; PD is `1 / (1 + exp((score − offset) / factor))`.
pub fn sql(model: &Scorecard, dialect: Dialect, table: &str, id: Option<&str>) -> String {
    let d = dialect;
    let mut inner: Vec<String> = Vec::new();
    if let Some(id) = id {
        inner.push(format!("{} AS id", d.quote_ident(id)));
    }
    for f in &model.features {
        inner.push(format!(
            "{} AS {}",
            points_case(f, d),
            d.quote_ident(&format!("points_{}", f.name))
        ));
    }
    let sum: Vec<String> = std::iter::once(number(model.base_points))
        .chain(
            model
                .features
                .iter()
                .map(|f| d.quote_ident(&format!("points_{}", f.name))),
        )
        .collect();
    let score = d.round2(&sum.join(" + "));
    let mut grade = String::from("CASE");
    for (g, cut) in Grade::ALL.iter().zip(&model.grades.cuts) {
        let _ = write!(grade, " WHEN score >= {} THEN '{}'", number(*cut), g);
    }
    let _ = write!(grade, " ELSE 'F' END");
    let pd = format!(
        "1.0 / (1.0 + EXP((score - {}) / {}))",
        number(model.scaling.offset),
        number(model.scaling.factor)
    );
    let id_col = if id.is_some() { "id, " } else { "" };
    let points_cols: Vec<String> = model
        .features
        .iter()
        .map(|f| d.quote_ident(&format!("points_{}", f.name)))
        .collect();
    format!(
        "-- Scorecard {} ({} characteristics), generated by xinrong\n\
         SELECT {id_col}{points}, score, {pd} AS pd, {grade} AS grade\n\
         FROM (\n  SELECT {id_col}{points}, {score} AS score\n  FROM (\n    SELECT {inner}\n    FROM {table}\n  ) AS points\n) AS scored",
        model.data.train_sha256.get(..12).unwrap_or(""),
        model.features.len(),
        points = points_cols.join(", "),
        inner = inner.join(",\n           "),
        table = d.quote_ident(table),
    )
}
