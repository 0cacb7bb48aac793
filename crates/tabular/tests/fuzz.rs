//! The table reader behind `fit` and `score`, fuzzed (proptest): any bytes, CSV or Parquet,
//! whole or damaged, UTF-8 or GBK, give a table or a typed error naming the file; never a
//! panic.

use std::io::Write as _;

use proptest::prelude::*;
use xinrong_tabular::{CellPolicy, ReadOptions, read_table};

fn file(bytes: &[u8], suffix: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    f.write_all(bytes).unwrap();
    f
}

fn read_both_ways(f: &tempfile::NamedTempFile) -> Result<(), TestCaseError> {
    for options in [
        ReadOptions::default(),
        ReadOptions {
            non_numeric: CellPolicy::Missing,
            non_finite: CellPolicy::Missing,
            ..ReadOptions::default()
        },
    ] {
        match read_table(f.path(), &options) {
            Ok(t) => {
                for c in &t.columns {
                    let n = match &c.data {
                        xinrong_tabular::ColumnData::Numeric(v) => v.len(),
                        xinrong_tabular::ColumnData::Text { codes, .. } => codes.len(),
                    };
                    prop_assert_eq!(n, t.n_rows);
                }
            }
            Err(e) => {
                let message = e.to_string();
                let name = f.path().file_name().unwrap().to_string_lossy().to_string();
                prop_assert!(message.contains(&name), "{}", message);
            }
        }
    }
    Ok(())
}

/// Cells a spreadsheet may hold: numbers, text, Chinese, quotes, delimiters, line ends.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("NA".to_string()),
        Just("\"quoted, with comma\"".to_string()),
        Just("\"unterminated".to_string()),
        Just("a\"b".to_string()),
        Just("1e400".to_string()),
        Just("-0".to_string()),
        Just("inf".to_string()),
        Just("企业".to_string()),
        Just("\r".to_string()),
        Just("\t".to_string()),
        Just(";".to_string()),
        any::<i32>().prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        "[a-z]{1,6}",
    ]
}

fn table_text() -> impl Strategy<Value = (String, bool, bool)> {
    (
        proptest::collection::vec(proptest::collection::vec(cell(), 1..5), 1..40),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(rows, crlf, gbk)| {
            let end = if crlf { "\r\n" } else { "\n" };
            let text: String = rows.iter().map(|r| r.join(",") + end).collect();
            (text, crlf, gbk)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_as_csv_are_a_table_or_a_typed_error(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        read_both_ways(&file(&bytes, ".csv"))?;
    }

    #[test]
    fn spreadsheet_like_text_in_utf8_or_gbk_is_read_or_refused((text, _crlf, gbk) in table_text()) {
        let bytes = if gbk {
            encoding_rs::GBK.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        read_both_ways(&file(&bytes, ".csv"))?;
    }

    #[test]
    fn a_damaged_parquet_file_is_refused_or_read(cut in 0usize..2000, flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4)) {
        static GOOD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let good = GOOD.get_or_init(parquet_bytes);
        let mut bytes = good.clone();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        if cut < bytes.len() && cut % 3 == 0 {
            bytes.truncate(cut);
        }
        read_both_ways(&file(&bytes, ".parquet"))?;
    }
}

/// A small Parquet file with a number, a text and a nullable column.
fn parquet_bytes() -> Vec<u8> {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let x: ArrayRef = Arc::new(Float64Array::from(
        (0..50)
            .map(|i| (i % 7 != 0).then_some(i as f64 * 0.5))
            .collect::<Vec<_>>(),
    ));
    let s: ArrayRef = Arc::new(StringArray::from(
        (0..50)
            .map(|i| (i % 5 != 0).then(|| format!("v{}", i % 4)))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_from_iter([("x", x), ("s", s)]).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}
