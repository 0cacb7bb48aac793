//! Runs the catalogue on DataFusion over the governed store, as of a date.
//!
//! Point in time: each source is registered only as a view of its rows dated on or before
//! the as-of date (by the source's date field, e.g. a tax return by its filing date), and no
//! other table is visible to any query, built-in or user-written. Nothing after the as-of
//! date can influence an indicator.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use datafusion::arrow::array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::execution::options::ParquetReadOptions;
use datafusion::prelude::{DataFrame, SQLOptions, SessionConfig, SessionContext, col, lit};
use datafusion::scalar::ScalarValue;

use crate::catalogue::{Catalogue, Query};
use crate::error::IndicatorError;

/// Indicators of every enterprise in the registry as of a date.
#[derive(Clone, Debug)]
pub struct IndicatorTable {
    /// The date the values are as of.
    pub as_of: NaiveDate,
    /// Enterprises, in output order.
    pub uscc: Vec<String>,
    /// One column per indicator, in catalogue order (`NaN` where a source has no rows).
    pub columns: Vec<(String, Vec<f64>)>,
}

impl IndicatorTable {
    /// The table as one Arrow batch (`uscc` then one `Float64` column per indicator).
    pub fn to_batch(&self) -> RecordBatch {
        let mut fields = vec![Field::new("uscc", DataType::Utf8, false)];
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(&self.uscc))];
        for (name, values) in &self.columns {
            fields.push(Field::new(name, DataType::Float64, true));
            arrays.push(Arc::new(Float64Array::from_iter(
                values.iter().map(|v| (!v.is_nan()).then_some(*v)),
            )));
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .expect("columns match the schema")
    }
}

/// Days since 1970-01-01, as Arrow's `Date32` counts them.
pub(crate) fn epoch_days(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn date_sql(date: NaiveDate) -> String {
    format!("DATE '{date}'")
}

pub(crate) fn engine(
    context: impl Into<String>,
) -> impl FnOnce(datafusion::error::DataFusionError) -> IndicatorError {
    let context = context.into();
    move |source| IndicatorError::Engine { context, source }
}

/// A DataFusion session whose only tables are the sources as of `as_of`.
pub async fn session(store: &Path, as_of: NaiveDate) -> Result<SessionContext, IndicatorError> {
    let config = SessionConfig::new()
        .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()));
    let ctx = SessionContext::new_with_config(config);
    for source in xinrong_sources::SOURCES {
        let df = stored(&ctx, store, source).await?;
        register_as_of(&ctx, source, df, as_of)?;
    }
    Ok(ctx)
}

/// A source's rows in the store, or an empty table of its schema when nobody has supplied it
/// (its indicators are then missing, not an error).
async fn stored(
    ctx: &SessionContext,
    store: &Path,
    source: &xinrong_sources::Source,
) -> Result<DataFrame, IndicatorError> {
    let dir = store.join(source.name);
    let has_parts = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "parquet"))
        })
        .unwrap_or(false);
    if has_parts {
        ctx.read_parquet(
            dir.to_string_lossy().as_ref(),
            ParquetReadOptions::default(),
        )
        .await
        .map_err(engine(format!("reading {}", dir.display())))
    } else {
        let table =
            MemTable::try_new(source_schema(source), vec![vec![]]).map_err(engine(source.name))?;
        ctx.read_table(Arc::new(table)).map_err(engine(source.name))
    }
}

/// A source's schema as the store writes it.
pub(crate) fn source_schema(source: &xinrong_sources::Source) -> Arc<Schema> {
    Arc::new(Schema::new(
        source
            .fields
            .iter()
            .map(|f| Field::new(f.name, xinrong_sources::arrow_type(f.kind), true))
            .collect::<Vec<_>>(),
    ))
}

/// Registers `df` as the source's table, limited to rows dated on or before `as_of`.
fn register_as_of(
    ctx: &SessionContext,
    source: &xinrong_sources::Source,
    df: DataFrame,
    as_of: NaiveDate,
) -> Result<(), IndicatorError> {
    let days = epoch_days(as_of);
    let df = with_every_field(df, source)?;
    let visible = df
        .filter(col(source.date_field).lt_eq(lit(ScalarValue::Date32(Some(days)))))
        .map_err(engine(source.name))?;
    ctx.register_table(source.name, visible.into_view())
        .map_err(engine(source.name))?;
    Ok(())
}

/// A field the schema has gained since the store was written (or an optional one a provider
/// never sent) reads as nulls, so its indicators are missing, not an error.
fn with_every_field(
    mut df: DataFrame,
    source: &xinrong_sources::Source,
) -> Result<DataFrame, IndicatorError> {
    for field in source.fields {
        if df.schema().field_with_unqualified_name(field.name).is_err() {
            let null = ScalarValue::try_from(&xinrong_sources::arrow_type(field.kind))
                .map_err(engine(source.name))?;
            df = df
                .with_column(field.name, lit(null))
                .map_err(engine(source.name))?;
        }
    }
    Ok(df)
}

/// How a family query names its dates: as literals of one as-of date (the store-wide run,
/// where literals let DataFusion prune Parquet row groups), or as the columns of a one-row
/// table `__dates_{w}` joined in, so that one plan serves every as-of date (see
/// [`crate::PreparedCatalogue`]).
pub(crate) enum DateTerms {
    Literal(NaiveDate),
    Joined,
}

/// The dates a family query of `window` months reads, as of `as_of`: the window's start, its
/// middle and the first day of the as-of month.
pub(crate) struct WindowDates {
    pub start: NaiveDate,
    pub mid: NaiveDate,
    pub month: NaiveDate,
}

impl WindowDates {
    pub(crate) fn new(as_of: NaiveDate, window: u32) -> WindowDates {
        WindowDates {
            start: as_of
                .checked_sub_months(Months::new(window))
                .unwrap_or(as_of),
            mid: as_of
                .checked_sub_months(Months::new(window / 2))
                .unwrap_or(as_of),
            month: as_of.with_day0(0).expect("first of month"),
        }
    }
}

/// The one-row table of a window's dates in [`DateTerms::Joined`] queries.
pub(crate) fn dates_table(window: u32) -> String {
    format!("__dates_{window}")
}

/// The columns of [`dates_table`], in order.
pub(crate) const DATE_COLUMNS: [&str; 4] = ["__as_of", "__start", "__mid", "__month"];

/// The SQL of one family query.
pub(crate) fn family_sql(query: &Query, catalogue: &Catalogue, dates: &DateTerms) -> String {
    let [as_of, start, mid, month] = match dates {
        DateTerms::Literal(as_of) => {
            let w = WindowDates::new(*as_of, query.window);
            [*as_of, w.start, w.mid, w.month].map(date_sql)
        }
        DateTerms::Joined => DATE_COLUMNS.map(str::to_string),
    };
    let join = match dates {
        DateTerms::Literal(_) => String::new(),
        DateTerms::Joined => format!(" CROSS JOIN {}", dates_table(query.window)),
    };
    let fill = |expr: &str| {
        expr.replace("{as_of}", &as_of)
            .replace("{mid}", &mid)
            .replace("{month}", &month)
            .replace("{w}", &query.window.to_string())
    };
    let select = select_list(catalogue, &query.indicators, fill);
    let filter = if query.window > 0 {
        format!("WHERE {} > {start}", query.date)
    } else {
        String::new()
    };
    match &query.inner {
        None => format!(
            "SELECT uscc, {select} FROM {}{join} {filter} GROUP BY uscc",
            query.source
        ),
        Some(inner) => format!(
            "WITH g AS (SELECT uscc, {key} AS k, {inner_select} FROM {source}{join} {filter} GROUP BY uscc, {key}) \
             SELECT uscc, {select} FROM g{join} GROUP BY uscc",
            key = inner.key,
            inner_select = fill(&inner.select),
            source = query.source
        ),
    }
}

/// The SQL of the derived indicators, over the table `indicators` of the others.
pub(crate) fn derived_sql(catalogue: &Catalogue) -> String {
    let select = select_list(catalogue, &catalogue.derived, |sql| sql.to_string());
    format!("SELECT uscc, {select} FROM indicators")
}

/// `expression AS "id", …` of the `indicators` of the catalogue, each expression through
/// `fill`.
fn select_list(
    catalogue: &Catalogue,
    indicators: &[usize],
    fill: impl Fn(&str) -> String,
) -> String {
    indicators
        .iter()
        .map(|&i| {
            let indicator = &catalogue.indicators[i];
            format!("{} AS \"{}\"", fill(&indicator.sql), indicator.id)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a family query is named in errors.
pub(crate) fn family_context(query: &Query) -> String {
    format!("family {} ({} months)", query.family, query.window)
}

/// Read-only SQL: no DDL, no DML, no statements that change the session.
pub(crate) fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// Runs `sql` and returns `(uscc, [values per output column])`.
pub(crate) async fn run(
    ctx: &SessionContext,
    sql: &str,
    context: &str,
) -> Result<(Vec<String>, Vec<Vec<f64>>), IndicatorError> {
    let df = ctx
        .sql_with_options(sql, read_only())
        .await
        .map_err(engine(context))?;
    let columns = df.schema().fields().len();
    let batches = df.collect().await.map_err(engine(context))?;
    values_of(batches, columns, context)
}

/// A result of `uscc` and value columns as `(uscc, [values per value column])`. Every value
/// column is present even when the query returns no rows (a window after the data ends): each
/// enterprise's indicators are then missing, not an error.
pub(crate) fn values_of(
    batches: Vec<RecordBatch>,
    columns: usize,
    context: &str,
) -> Result<(Vec<String>, Vec<Vec<f64>>), IndicatorError> {
    let columns = columns.saturating_sub(1);
    let mut uscc = Vec::new();
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); columns];
    for batch in batches {
        let ids = cast(batch.column(0), &DataType::Utf8).map_err(|e| engine(context)(e.into()))?;
        let ids = ids
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("cast to Utf8");
        uscc.extend((0..ids.len()).map(|i| ids.value(i).to_string()));
        values.resize(batch.num_columns() - 1, Vec::new());
        for (c, column) in batch.columns().iter().skip(1).enumerate() {
            values[c].extend(numbers(column, context)?);
        }
    }
    Ok((uscc, values))
}

/// Runs a read-only query to completion.
async fn collect(
    ctx: &SessionContext,
    sql: &str,
    context: &str,
) -> Result<Vec<RecordBatch>, IndicatorError> {
    let df = ctx
        .sql_with_options(sql, read_only())
        .await
        .map_err(engine(context))?;
    df.collect().await.map_err(engine(context))
}

/// A column as numbers, `NaN` for null.
fn numbers(column: &ArrayRef, context: &str) -> Result<Vec<f64>, IndicatorError> {
    let column = cast(column, &DataType::Float64).map_err(|e| engine(context)(e.into()))?;
    let column = column
        .as_any()
        .downcast_ref::<Float64Array>()
        .expect("cast to Float64");
    Ok((0..column.len())
        .map(|i| {
            if column.is_null(i) {
                f64::NAN
            } else {
                column.value(i)
            }
        })
        .collect())
}

/// The first row of a query's result, every column as a number (`NaN` for null).
pub(crate) async fn query_numbers(
    ctx: &SessionContext,
    sql: &str,
) -> Result<Vec<f64>, IndicatorError> {
    let batches = collect(ctx, sql, sql).await?;
    let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(Vec::new());
    };
    batch
        .columns()
        .iter()
        .map(|c| Ok(numbers(c, sql)?[0]))
        .collect()
}

/// Computes every indicator of the catalogue for every enterprise registered by `as_of`.
/// `progress(done, total)` is called after each query.
pub async fn compute(
    store: &Path,
    catalogue: &Catalogue,
    as_of: NaiveDate,
    progress: impl Fn(usize, usize),
) -> Result<IndicatorTable, IndicatorError> {
    let ctx = session(store, as_of).await?;
    let (population, _) = run(
        &ctx,
        "SELECT DISTINCT uscc FROM registry ORDER BY uscc",
        "population",
    )
    .await?;
    if population.is_empty() {
        return Err(IndicatorError::Store(format!(
            "{}: no enterprise registered on or before {as_of} (ingest the registry first)",
            store.display()
        )));
    }
    let queries = SqlQueries {
        ctx: &ctx,
        catalogue,
        as_of,
    };
    compute_in(&queries, catalogue, as_of, population, progress).await
}

/// A query's result: the enterprises it has rows for, and one column of values per output
/// column after `uscc`.
pub(crate) type Values = (Vec<String>, Vec<Vec<f64>>);

/// Where the catalogue's queries run: SQL planned on each call over the store's tables, or
/// plans prepared once and run over one enterprise's rows ([`crate::PreparedCatalogue`]).
pub(crate) trait Queries {
    /// The family query `q` of the catalogue.
    async fn family(&self, q: usize) -> Result<Values, IndicatorError>;
    /// The user SQL indicator `u` (an index into [`Catalogue::user`]).
    async fn user(&self, u: usize) -> Result<Values, IndicatorError>;
    /// The derived indicators over `base`, the table of all the others.
    async fn derived(&self, base: RecordBatch) -> Result<Values, IndicatorError>;
}

/// The catalogue's SQL planned and run over a session whose tables are the sources as of
/// `as_of`.
struct SqlQueries<'a> {
    ctx: &'a SessionContext,
    catalogue: &'a Catalogue,
    as_of: NaiveDate,
}

impl Queries for SqlQueries<'_> {
    async fn family(&self, q: usize) -> Result<Values, IndicatorError> {
        let query = &self.catalogue.queries[q];
        let sql = family_sql(query, self.catalogue, &DateTerms::Literal(self.as_of));
        run(self.ctx, &sql, &family_context(query)).await
    }

    async fn user(&self, u: usize) -> Result<Values, IndicatorError> {
        let meta = &self.catalogue.indicators[self.catalogue.user[u]];
        run(self.ctx, &meta.sql, &user_context(meta)).await
    }

    async fn derived(&self, base: RecordBatch) -> Result<Values, IndicatorError> {
        let mem = MemTable::try_new(base.schema(), vec![vec![base]]).map_err(engine("derived"))?;
        let derived_ctx = SessionContext::new();
        derived_ctx
            .register_table("indicators", Arc::new(mem))
            .map_err(engine("derived"))?;
        run(
            &derived_ctx,
            &derived_sql(self.catalogue),
            "derived indicators",
        )
        .await
    }
}

/// How a user indicator is named in errors.
pub(crate) fn user_context(meta: &crate::Indicator) -> String {
    format!("user indicator {} ({})", meta.id, meta.origin)
}

/// A user indicator's SQL error, saying which file and what such SQL may read.
pub(crate) fn user_error(meta: &crate::Indicator, e: IndicatorError) -> IndicatorError {
    IndicatorError::UserSql {
        file: meta.origin.clone(),
        reason: format!(
            "{e} (a user indicator is one read-only SELECT over the source tables: {})",
            source_names()
        ),
    }
}

/// The catalogue run by `queries`, one row per enterprise of `population`.
pub(crate) async fn compute_in(
    queries: &impl Queries,
    catalogue: &Catalogue,
    as_of: NaiveDate,
    population: Vec<String>,
    progress: impl Fn(usize, usize),
) -> Result<IndicatorTable, IndicatorError> {
    let row: HashMap<&str, usize> = population
        .iter()
        .enumerate()
        .map(|(i, u)| (u.as_str(), i))
        .collect();
    let mut columns: Vec<Vec<f64>> =
        vec![vec![f64::NAN; population.len()]; catalogue.indicators.len()];
    let total = catalogue.queries.len() + catalogue.user.len() + 1;
    for (q, query) in catalogue.queries.iter().enumerate() {
        let (ids, values) = queries.family(q).await?;
        for (k, &indicator) in query.indicators.iter().enumerate() {
            for (id, v) in ids.iter().zip(&values[k]) {
                if let Some(&r) = row.get(id.as_str()) {
                    columns[indicator][r] = *v;
                }
            }
        }
        progress(q + 1, total);
    }
    for (u, &indicator) in catalogue.user.iter().enumerate() {
        let meta = &catalogue.indicators[indicator];
        let (ids, values) = queries.user(u).await.map_err(|e| user_error(meta, e))?;
        if values.len() != 1 {
            return Err(IndicatorError::UserSql {
                file: meta.origin.clone(),
                reason: format!(
                    "must return exactly two columns, uscc and the value; it returns {}",
                    values.len() + 1
                ),
            });
        }
        for (id, v) in ids.iter().zip(&values[0]) {
            if let Some(&r) = row.get(id.as_str()) {
                columns[indicator][r] = *v;
            }
        }
        progress(catalogue.queries.len() + u + 1, total);
    }
    let mut table = IndicatorTable {
        as_of,
        uscc: population,
        columns: catalogue
            .indicators
            .iter()
            .map(|i| i.id.clone())
            .zip(columns)
            .collect(),
    };
    if !catalogue.derived.is_empty() {
        let (ids, values) = queries.derived(table.to_batch()).await?;
        let order: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, u)| (u.as_str(), i))
            .collect();
        for (k, &indicator) in catalogue.derived.iter().enumerate() {
            let column = &mut table.columns[indicator].1;
            for (r, u) in table.uscc.iter().enumerate() {
                column[r] = order.get(u.as_str()).map_or(f64::NAN, |&i| values[k][i]);
            }
        }
    }
    progress(total, total);
    Ok(table)
}

fn source_names() -> String {
    xinrong_sources::SOURCES
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}
