//! The catalogue on a generated, ingested portfolio: coverage, point-in-time correctness,
//! and the guard on user SQL.

use std::path::Path;

use chrono::NaiveDate;
use xinrong_indicators::{
    Catalogue, DIMENSIONS, IndicatorTable, PreparedCatalogue, StoreReader, VIEWS, compute,
};
use xinrong_sources::{Desensitiser, GenConfig, SOURCES, generate, ingest};

fn ingest_dir(raw: &Path, store: &Path, skip_registry: bool) {
    let d = Desensitiser::new(b"test");
    for s in SOURCES {
        if skip_registry && s.name == "registry" {
            continue;
        }
        ingest(s, &raw.join(format!("{}.csv", s.name)), store, &d).unwrap();
    }
}

fn portfolio(dir: &Path, start: NaiveDate) -> std::path::PathBuf {
    let raw = dir.join(format!("raw-{start}"));
    generate(
        &GenConfig {
            enterprises: 80,
            months: 14,
            seed: 5,
            start,
            faults: true,
        },
        &raw,
        |_| {},
    )
    .unwrap();
    raw
}

fn run(
    store: &Path,
    catalogue: &Catalogue,
    as_of: NaiveDate,
) -> Result<IndicatorTable, xinrong_indicators::IndicatorError> {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(compute(store, catalogue, as_of, |_, _| {}))
}

/// Equal up to the order of floating-point summation: DataFusion sums file partitions in
/// parallel, so adding files may reorder additions (differences ~1e-16 relative); a leaked
/// future row changes a value by far more than 1e-9.
fn same(a: &IndicatorTable, b: &IndicatorTable) -> Option<String> {
    if a.uscc != b.uscc {
        return Some("different enterprises".into());
    }
    for ((name, x), (_, y)) in a.columns.iter().zip(&b.columns) {
        for (r, (u, v)) in x.iter().zip(y).enumerate() {
            let close = u == v
                || (u.is_nan() && v.is_nan())
                || (u - v).abs() <= 1e-9 * u.abs().max(v.abs());
            if !close {
                return Some(format!("{name} of {} differs: {u} vs {v}", a.uscc[r]));
            }
        }
    }
    None
}

#[test]
fn the_catalogue_covers_every_dimension_and_view_with_over_300_indicators() {
    let c = Catalogue::builtin().unwrap();
    assert!(
        c.indicators.len() >= 300,
        "{} indicators",
        c.indicators.len()
    );
    assert_eq!(c.ids().len(), c.indicators.len());
    for (d, _, _) in DIMENSIONS {
        assert!(
            c.indicators.iter().filter(|i| i.dimension == d).count() >= 3,
            "dimension {d} is thin"
        );
    }
    for (v, _, _) in VIEWS {
        assert!(
            c.indicators.iter().any(|i| i.view == v),
            "view {v} is empty"
        );
    }
}

#[test]
fn indicators_as_of_a_date_ignore_everything_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let raw = portfolio(dir.path(), start);
    let store = dir.path().join("store");
    ingest_dir(&raw, &store, false);
    let catalogue = Catalogue::builtin().unwrap();
    let as_of = NaiveDate::from_ymd_opt(2023, 12, 31).unwrap();
    let before = run(&store, &catalogue, as_of).unwrap();
    assert!(before.uscc.len() >= 75, "{} enterprises", before.uscc.len());
    assert_eq!(before.columns.len(), catalogue.indicators.len());
    let filled = before
        .columns
        .iter()
        .filter(|(_, v)| v.iter().any(|x| !x.is_nan()))
        .count();
    assert!(filled >= 250, "only {filled} indicators have any value");

    // The same firms' next 14 months (plus late filings dated after the as-of date) land in
    // the store: nothing as of the earlier date may change.
    let future = portfolio(dir.path(), NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
    ingest_dir(&future, &store, true);
    let after = run(&store, &catalogue, as_of).unwrap();
    assert_eq!(
        same(&before, &after),
        None,
        "future rows leaked into indicators as of {as_of}"
    );
    // … while as of a later date they do count.
    let later = run(
        &store,
        &catalogue,
        NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
    )
    .unwrap();
    assert!(same(&before, &later).is_some());
    // Long after the data ends, windows are empty: their indicators are missing, not a crash.
    let long_after = run(
        &store,
        &catalogue,
        NaiveDate::from_ymd_opt(2031, 12, 31).unwrap(),
    )
    .unwrap();
    assert_eq!(long_after.uscc, later.uscc);
    let empty = long_after
        .columns
        .iter()
        .filter(|(_, v)| v.iter().all(|x| x.is_nan()))
        .count();
    assert!(empty > 50, "only {empty} indicators are missing everywhere");
}

#[test]
fn user_sql_runs_read_only_over_known_tables_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let raw = portfolio(dir.path(), NaiveDate::from_ymd_opt(2023, 1, 1).unwrap());
    let store = dir.path().join("store");
    ingest_dir(&raw, &store, false);
    let as_of = NaiveDate::from_ymd_opt(2023, 12, 31).unwrap();

    let mut c = Catalogue::default();
    c.add_sql(
        "mine.sql",
        "-- id: my_vat_share\n-- en: VAT share of tax\n-- zh: 增值税占比\n-- dimension: tax\n-- view: financial_health\n\
         SELECT uscc, SUM(CASE WHEN tax_type = 'vat' THEN declared END) / SUM(declared) FROM tax GROUP BY uscc",
    )
    .unwrap();
    let table = run(&store, &c, as_of).unwrap();
    assert!(table.columns[0].1.iter().any(|v| (0.0..=1.0).contains(v)));

    for (sql, why) in [
        ("DROP TABLE tax", "DDL"),
        ("INSERT INTO tax SELECT * FROM tax", "DML"),
        ("CREATE TABLE x AS SELECT 1", "DDL"),
        ("SELECT uscc, 1.0 FROM raw_tax", "unknown table"),
        ("SELECT uscc, declared, paid FROM tax", "three columns"),
    ] {
        let mut c = Catalogue::default();
        c.add_sql("bad.sql", &format!("-- id: bad\n{sql}")).unwrap();
        let error = run(&store, &c, as_of)
            .err()
            .unwrap_or_else(|| panic!("{why}: `{sql}` was accepted"));
        assert!(error.to_string().contains("bad.sql"), "{why}: {error}");
    }
    // Prepared once for rescoring, the same SQL is refused when it is planned, naming its file.
    let rt = tokio::runtime::Runtime::new().unwrap();
    for sql in ["DROP TABLE tax", "SELECT uscc, 1.0 FROM raw_tax"] {
        let mut c = Catalogue::default();
        c.add_sql("bad.sql", &format!("-- id: bad\n{sql}")).unwrap();
        let error = rt.block_on(PreparedCatalogue::new(c)).unwrap_err();
        assert!(error.to_string().contains("bad.sql"), "{sql}: {error}");
    }
    assert!(
        Catalogue::default().add_sql("x.sql", "SELECT 1").is_err(),
        "an indicator needs an id"
    );
}

#[test]
fn a_restricted_catalogue_runs_only_what_the_needed_indicators_read() {
    let mut c = Catalogue::builtin().unwrap();
    let all = c.indicators.len();
    c.restrict(&["rnd_intensity_12m", "reg_age_years"]);
    assert_eq!(c.indicators.len(), all, "the output keeps every column");
    let mut kept: Vec<(String, u32)> = c
        .queries
        .iter()
        .map(|q| (q.family.clone(), q.window))
        .collect();
    kept.sort();
    // The derived indicator reads R&D expense and declared sales over 12 months.
    assert_eq!(
        kept,
        [
            ("registry".to_string(), 0),
            ("rnd".to_string(), 12),
            ("tax".to_string(), 12)
        ]
    );
}

/// An enterprise's row of a store-wide table.
fn row_of(whole: &IndicatorTable, r: usize) -> IndicatorTable {
    IndicatorTable {
        as_of: whole.as_of,
        uscc: vec![whole.uscc[r].clone()],
        columns: whole
            .columns
            .iter()
            .map(|(n, v)| (n.clone(), vec![v[r]]))
            .collect(),
    }
}

#[test]
fn one_enterprise_computed_from_its_own_rows_equals_its_row_of_the_whole_store() {
    let dir = tempfile::tempdir().unwrap();
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let raw = portfolio(dir.path(), start);
    let store = dir.path().join("store");
    ingest_dir(&raw, &store, false);
    let catalogue = Catalogue::builtin().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let prepared = rt
        .block_on(PreparedCatalogue::new(catalogue.clone()))
        .unwrap();
    let reader = StoreReader::open(&store);
    // A month end and a mid-month date: the prepared plans take every date (windows, their
    // middles, the as-of month) at run time, so one plan serves both.
    for as_of in [
        NaiveDate::from_ymd_opt(2023, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(2023, 8, 17).unwrap(),
    ] {
        let whole = run(&store, &catalogue, as_of).unwrap();
        for r in [0, 17, whole.uscc.len() - 1] {
            let uscc = &whole.uscc[r];
            let data = reader.read(uscc).unwrap();
            assert!(data.rows() > 0, "{uscc} has rows");
            assert!(data.newest("bank_txn").unwrap() <= start + chrono::Months::new(14));
            let fast = rt.block_on(prepared.compute(&data, as_of)).unwrap();
            assert_eq!(fast.uscc, std::slice::from_ref(uscc));
            assert_eq!(
                same(&row_of(&whole, r), &fast),
                None,
                "{uscc} as of {as_of}"
            );
            let present = fast.columns.iter().filter(|(_, v)| !v[0].is_nan()).count();
            assert!(present > 100, "{uscc}: only {present} indicators present");
        }
    }
    // An enterprise the store has never seen has rows nowhere.
    let nobody = reader.read("91110000000000000X").unwrap();
    assert_eq!(nobody.rows(), 0);
    assert_eq!(nobody.newest("bank_txn"), None);
}

#[test]
fn a_reader_kept_open_sees_the_rows_of_the_next_upload() {
    let dir = tempfile::tempdir().unwrap();
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let raw = portfolio(dir.path(), start);
    let store = dir.path().join("store");
    ingest_dir(&raw, &store, false);
    let reader = StoreReader::open(&store);
    let enterprises = run(
        &store,
        &Catalogue::builtin().unwrap(),
        start + chrono::Months::new(12),
    )
    .unwrap()
    .uscc;
    let (uscc, other) = (&enterprises[3], &enterprises[4]);
    let before = reader.read(uscc).unwrap();
    // An upload of three bank transactions dated after everything else: a new part file.
    let upload = dir.path().join("bank_txn.csv");
    std::fs::write(
        &upload,
        format!(
            "uscc,txn_id,date,amount,direction,channel\n\
             {uscc},up-1,2024-06-03,1000.00,in,transfer\n\
             {uscc},up-2,2024-06-04,2000.00,out,transfer\n\
             {uscc},up-3,2024-06-05,3000.00,in,transfer\n"
        ),
    )
    .unwrap();
    let bank = SOURCES.iter().find(|s| s.name == "bank_txn").unwrap();
    ingest(bank, &upload, &store, &Desensitiser::new(b"test")).unwrap();
    let after = reader.read(uscc).unwrap();
    assert_eq!(after.rows(), before.rows() + 3);
    assert_eq!(
        after.newest("bank_txn"),
        NaiveDate::from_ymd_opt(2024, 6, 5)
    );
    // Another enterprise's rows are untouched by it.
    assert_eq!(
        reader.read(other).unwrap().rows(),
        StoreReader::open(&store).read(other).unwrap().rows()
    );
}
