//! Ingest of untrusted files, fuzzed (proptest): any bytes, as CSV, JSON Lines or Parquet, for
//! any source, are ingested with every row accounted for, or refused with a typed error;
//! never a panic.

use std::io::Write as _;

use proptest::prelude::*;
use xinrong_sources::{Desensitiser, Format, Ingest, SOURCES, UnknownFields, ingest_with};

fn run(
    bytes: &[u8],
    format: Format,
    source: usize,
    scoped: bool,
    strict: bool,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    let job = Ingest {
        format,
        enterprise: scoped.then_some("91350100M000100Y43"),
        unknown: if strict {
            UnknownFields::Quarantine
        } else {
            UnknownFields::Report
        },
        ..Ingest::file(&SOURCES[source % SOURCES.len()], &path)
    };
    if let Ok(report) = ingest_with(&job, &dir.path().join("store"), &Desensitiser::new(b"k")) {
        prop_assert_eq!(report.accepted + report.quarantined, report.rows);
    }
    Ok(())
}

/// Lines that look like source rows: real field names in the header, values of every kind.
fn rows() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        Just("uscc,month,headcount,payroll"),
        Just("uscc,period,tax_type,declared,paid,arrears,sales,credit_rating,filed_date,extra"),
        Just("统一社会信用代码,月份,参保人数"),
        Just("uscc\tmonth\theadcount"),
        Just(""),
    ];
    let cell = prop_oneof![
        Just("91350100M000100Y43"),
        Just("91350100m000100y43"),
        Just("2026-01"),
        Just("2026-13"),
        Just("12"),
        Just("-1"),
        Just("1e999"),
        Just("\"a,b\""),
        Just("\""),
        Just(""),
        Just("vat"),
        Just("A"),
        Just("2026-02-30"),
        Just("１２"),
        Just("\u{feff}"),
    ];
    (
        header,
        proptest::collection::vec(proptest::collection::vec(cell, 0..11), 0..30),
    )
        .prop_map(|(h, rows)| {
            let mut text = format!("{h}\n");
            for r in rows {
                text.push_str(&r.join(","));
                text.push('\n');
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_in_any_format_are_ingested_or_refused(
        bytes in proptest::collection::vec(any::<u8>(), 0..1500),
        format in prop_oneof![Just(Format::Csv), Just(Format::JsonLines), Just(Format::Parquet)],
        source in 0usize..12, scoped in any::<bool>(), strict in any::<bool>(),
    ) {
        run(&bytes, format, source, scoped, strict)?;
    }

    #[test]
    fn row_like_text_is_ingested_with_every_row_accounted_for(
        text in rows(), source in 0usize..12, scoped in any::<bool>(), strict in any::<bool>(), gbk in any::<bool>(),
    ) {
        let bytes = if gbk { encoding_rs::GBK.encode(&text).0.into_owned() } else { text.into_bytes() };
        run(&bytes, Format::Csv, source, scoped, strict)?;
    }

    #[test]
    fn json_lines_of_any_shape_are_ingested_or_refused(
        lines in proptest::collection::vec(prop_oneof![
            Just("{\"uscc\":\"91350100M000100Y43\",\"month\":\"2026-01\",\"headcount\":3}".to_string()),
            Just("{\"uscc\":null,\"month\":[1,2],\"headcount\":{\"a\":1}}".to_string()),
            Just("[1,2,3]".to_string()),
            Just("{\"unknown\":\"\\u0000\"}".to_string()),
            Just("{".to_string()),
            ".{0,40}",
        ], 0..20),
        source in 0usize..12,
    ) {
        run(lines.join("\n").as_bytes(), Format::JsonLines, source, false, false)?;
    }
}

/// A small valid Parquet file of the social-insurance source.
fn parquet_bytes() -> Vec<u8> {
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let uscc: ArrayRef = Arc::new(StringArray::from(vec!["91350100M000100Y43"; 40]));
    let month: ArrayRef = Arc::new(StringArray::from(
        (0..40)
            .map(|i| format!("20{:02}-{:02}", 20 + i / 12, 1 + i % 12))
            .collect::<Vec<_>>(),
    ));
    let heads: ArrayRef = Arc::new(Int64Array::from(
        (0..40)
            .map(|i| (i % 9 != 0).then_some(i))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_from_iter([("uscc", uscc), ("month", month), ("headcount", heads)])
            .unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn a_damaged_parquet_upload_is_refused_or_ingested(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        static GOOD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let mut bytes = GOOD.get_or_init(parquet_bytes).clone();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let social = SOURCES.iter().position(|s| s.name == "social_insurance").unwrap();
        run(&bytes, Format::Parquet, social, true, false)?;
    }
}
