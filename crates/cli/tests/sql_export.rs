//! The SQL export, run in SQLite, PostgreSQL and DataFusion, gives exactly the scores of the
//! engine, row for row.

mod common;

use common::{fit_on, views};
use rusqlite::{Connection, params_from_iter, types::Value};
use std::collections::HashMap;
use std::path::PathBuf;
use xinrong_exports::{Dialect, sql};
use xinrong_scorecard::{FeatureData, FitConfig, Scorecard};
use xinrong_tabular::{ColumnData, ReadOptions, Table, read_table};

/// `CREATE TABLE` for `t` with a leading row number, in the given column types.
fn create_table(t: &Table, name: &str, temp: &str, int: &str, real: &str, text: &str) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            format!(
                "\"{}\" {}",
                c.name,
                if matches!(c.data, ColumnData::Numeric(_)) {
                    real
                } else {
                    text
                }
            )
        })
        .collect();
    format!(
        "CREATE {temp} TABLE {name} (rowno {int}, {})",
        cols.join(", ")
    )
}

/// A cell of row `i`: `None` when missing.
enum Cell {
    Real(f64),
    Text(String),
}

fn cell(data: &ColumnData, i: usize) -> Option<Cell> {
    match data {
        ColumnData::Numeric(v) => (!v[i].is_nan()).then_some(Cell::Real(v[i])),
        ColumnData::Text { codes, levels } => (codes[i] != xinrong_tabular::MISSING_CODE)
            .then(|| Cell::Text(levels[codes[i] as usize].clone())),
    }
}

/// The database's `(id, score, pd, grade)` rows against the engine's scores of `t`.
/// Scores must be equal bit for bit when `exact` (SQLite adds and rounds as the engine does),
/// else within 1e-9 (PostgreSQL rounds through NUMERIC).
fn compare(
    model: &Scorecard,
    t: &Table,
    rows: &[(i64, f64, f64, String)],
    engine_name: &str,
    exact: bool,
) {
    let data: HashMap<&str, FeatureData<'_>> =
        views(t).into_iter().map(|v| (v.name, v.data)).collect();
    let engine = model.score(&data, t.n_rows, 0).unwrap();
    assert_eq!(rows.len(), t.n_rows);
    for (i, (id, score, pd, grade)) in rows.iter().enumerate() {
        assert_eq!(*id as usize, i);
        let close = if exact {
            *score == engine.score[i]
        } else {
            (score - engine.score[i]).abs() < 1e-9
        };
        assert!(
            close,
            "row {i}: {engine_name} score {score} vs engine {}",
            engine.score[i]
        );
        assert!(
            (pd - engine.pd[i]).abs() <= 1e-12 * engine.pd[i].max(1e-300),
            "row {i}: pd {pd} vs {}",
            engine.pd[i]
        );
        assert_eq!(grade, engine.grade[i].as_str(), "row {i}");
    }
}

/// Loads `t` into SQLite table `t` (NULL for missing cells) with a row number.
fn load(conn: &Connection, t: &Table) {
    conn.execute(&create_table(t, "t", "", "INTEGER", "REAL", "TEXT"), [])
        .unwrap();
    let marks = vec!["?"; t.columns.len() + 1].join(", ");
    let mut stmt = conn
        .prepare(&format!("INSERT INTO t VALUES ({marks})"))
        .unwrap();
    for i in 0..t.n_rows {
        let mut row = vec![Value::Integer(i as i64)];
        row.extend(t.columns.iter().map(|c| match cell(&c.data, i) {
            None => Value::Null,
            Some(Cell::Real(x)) => Value::Real(x),
            Some(Cell::Text(x)) => Value::Text(x),
        }));
        stmt.execute(params_from_iter(row)).unwrap();
    }
}

fn check(model: &Scorecard, test: &Table) {
    let conn = Connection::open_in_memory().unwrap();
    load(&conn, test);
    let query = sql(model, Dialect::Sqlite, "t", Some("rowno"));
    let mut stmt = conn
        .prepare(&format!(
            "SELECT id, score, pd, grade FROM ({query}) ORDER BY id"
        ))
        .unwrap();
    let rows: Vec<(i64, f64, f64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    compare(model, test, &rows, "SQLite", true);
}

/// Generated data with a categorical column, missing values and a special value.
#[test]
fn generated_data_with_categories_missing_and_specials() {
    let dir = tempfile_dir();
    let mut rows = String::from("region,income,age,bad\n");
    for i in 0..3000u32 {
        let region = ["north", "south", "east", "west", "far"][(i % 5) as usize];
        let income = if i % 13 == 0 {
            String::new()
        } else if i % 29 == 0 {
            "-999".into()
        } else {
            format!("{}", i * 37 % 1000)
        };
        let age = 20 + (i * 7919 % 45);
        let bad = (i * 37 % 1000 < 300 && i % 3 != 0)
            || (region == "east" && i % 4 == 0)
            || (i % 13 == 0 && i % 2 == 0);
        rows.push_str(&format!("{region},{income},{age},{}\n", u8::from(bad)));
    }
    let path = dir.join("g.csv");
    std::fs::write(&path, rows).unwrap();
    let t = read_table(&path, &ReadOptions::default()).unwrap();
    let mut config = FitConfig::default();
    config.binning.special_values = vec![-999.0];
    let model = fit_on(&t, &t, &config);
    assert!(model.features.len() >= 2);
    // Score a table that also holds a category never seen in training.
    let unseen = dir.join("u.csv");
    std::fs::write(
        &unseen,
        "region,income,age,bad\nmars,500,30,0\nnorth,,40,1\nsouth,-999,50,0\n",
    )
    .unwrap();
    let u = read_table(
        &unseen,
        &ReadOptions {
            text_columns: vec!["region".into()],
            ..Default::default()
        },
    )
    .unwrap();
    check(&model, &t);
    check(&model, &u);
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("xinrong-sql-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Fits the default model on each shared data set's training part and hands it, with the
/// test part, to `check` (nothing, with a note, when the shared data are absent).
fn each_shared_model(mut check: impl FnMut(&Scorecard, &Table)) {
    let Some(dir) = common::shared_data() else {
        return;
    };
    for name in ["german_credit", "taiwan_default"] {
        let (train, test) = common::split(&dir, name);
        let model = fit_on(&train, &test, &FitConfig::default());
        check(&model, &test);
    }
}

/// The shared public data sets, fixed split.
#[test]
fn shared_data_sets_match_row_for_row() {
    each_shared_model(check);
}

/// The PostgreSQL URL for tests, or `None` with a note that the test was skipped.
fn pg_url() -> Option<String> {
    let url = std::env::var("XINRONG_TEST_PG_URL").ok();
    if url.is_none() {
        common::skipped(
            "SKIPPED: XINRONG_TEST_PG_URL is not set; the PostgreSQL run of the SQL export did not run",
        );
    }
    url
}

/// Loads `t` into a temporary PostgreSQL table and checks the export against the engine.
fn check_postgres(client: &mut postgres::Client, model: &Scorecard, t: &Table) {
    use postgres::types::ToSql;
    client
        .batch_execute("DROP TABLE IF EXISTS xr_scored")
        .unwrap();
    client
        .batch_execute(&create_table(
            t,
            "xr_scored",
            "TEMP",
            "BIGINT",
            "DOUBLE PRECISION",
            "TEXT",
        ))
        .unwrap();
    let width = t.columns.len() + 1;
    for chunk in (0..t.n_rows).collect::<Vec<_>>().chunks(500) {
        let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        let mut tuples = Vec::new();
        for (k, &i) in chunk.iter().enumerate() {
            tuples.push(format!(
                "({})",
                (1..=width)
                    .map(|j| format!("${}", k * width + j))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            values.push(Box::new(i as i64));
            for c in &t.columns {
                values.push(match (cell(&c.data, i), &c.data) {
                    (None, ColumnData::Numeric(_)) => Box::new(None::<f64>),
                    (None, ColumnData::Text { .. }) => Box::new(None::<String>),
                    (Some(Cell::Real(x)), _) => Box::new(Some(x)),
                    (Some(Cell::Text(x)), _) => Box::new(Some(x)),
                });
            }
        }
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|b| b.as_ref()).collect();
        client
            .execute(
                &format!("INSERT INTO xr_scored VALUES {}", tuples.join(", ")),
                &refs,
            )
            .unwrap();
    }
    let query = sql(model, Dialect::Postgres, "xr_scored", Some("rowno"));
    let rows: Vec<(i64, f64, f64, String)> = client
        .query(
            &format!("SELECT id, score, pd, grade FROM ({query}) AS q ORDER BY id"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    compare(model, t, &rows, "PostgreSQL", false);
}

#[test]
fn postgres_runs_the_export_like_the_engine() {
    let Some(url) = pg_url() else { return };
    let mut client = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to XINRONG_TEST_PG_URL ({url}): {e}"));
    each_shared_model(|model, test| check_postgres(&mut client, model, test));
}

/// Runs the DataFusion dialect of the export over `t` held as an Arrow table.
fn check_datafusion(model: &Scorecard, t: &Table) {
    use xinrong_indicators::datafusion::arrow::array::{
        Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray,
    };
    use xinrong_indicators::datafusion::arrow::compute::cast;
    use xinrong_indicators::datafusion::arrow::datatypes::{DataType, Field, Schema};
    use xinrong_indicators::datafusion::datasource::MemTable;
    use xinrong_indicators::datafusion::prelude::SessionContext;

    let mut fields = vec![Field::new("rowno", DataType::Int64, false)];
    let mut arrays: Vec<ArrayRef> = vec![std::sync::Arc::new(Int64Array::from_iter_values(
        0..t.n_rows as i64,
    ))];
    for c in &t.columns {
        match &c.data {
            ColumnData::Numeric(v) => {
                fields.push(Field::new(&c.name, DataType::Float64, true));
                arrays.push(std::sync::Arc::new(Float64Array::from_iter(
                    v.iter().map(|x| (!x.is_nan()).then_some(*x)),
                )));
            }
            ColumnData::Text { codes, levels } => {
                fields.push(Field::new(&c.name, DataType::Utf8, true));
                arrays.push(std::sync::Arc::new(StringArray::from_iter(
                    codes.iter().map(|&k| {
                        (k != xinrong_tabular::MISSING_CODE).then(|| levels[k as usize].as_str())
                    }),
                )));
            }
        }
    }
    let schema = std::sync::Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let ctx = SessionContext::new();
    ctx.register_table(
        "t",
        std::sync::Arc::new(MemTable::try_new(schema, vec![vec![batch]]).unwrap()),
    )
    .unwrap();
    let query = sql(model, Dialect::DataFusion, "t", Some("rowno"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let batches = runtime
        .block_on(async {
            ctx.sql(&format!(
                "SELECT id, score, pd, grade FROM ({query}) AS q ORDER BY id"
            ))
            .await?
            .collect()
            .await
        })
        .unwrap_or_else(|e| panic!("DataFusion refused the export: {e}\n{query}"));
    let mut rows = Vec::new();
    for b in &batches {
        let column = |i: usize, to: &DataType| cast(b.column(i), to).unwrap();
        let (id, score, pd, grade) = (
            column(0, &DataType::Int64),
            column(1, &DataType::Float64),
            column(2, &DataType::Float64),
            column(3, &DataType::Utf8),
        );
        let id = id.as_any().downcast_ref::<Int64Array>().unwrap();
        let score = score.as_any().downcast_ref::<Float64Array>().unwrap();
        let pd = pd.as_any().downcast_ref::<Float64Array>().unwrap();
        let grade = grade.as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..b.num_rows() {
            assert!(
                !score.is_null(i),
                "row {}: DataFusion gave no score",
                id.value(i)
            );
            rows.push((
                id.value(i),
                score.value(i),
                pd.value(i),
                grade.value(i).to_string(),
            ));
        }
    }
    compare(model, t, &rows, "DataFusion", true);
}

#[test]
fn datafusion_runs_the_export_like_the_engine() {
    each_shared_model(check_datafusion);
}
