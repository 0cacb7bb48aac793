//! Ingest: validation with quarantine, idempotence, Chinese headers in GBK, JSON Lines, and
//! proof that no raw personal data reaches the store.

use std::fs::File;
use std::path::Path;

use arrow_array::{Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use xinrong_sources::{
    Desensitiser, GenConfig, Ingest, SOURCES, UnknownFields, generate, ingest, ingest_with, source,
};

fn strings_in(parquet: &Path) -> Vec<String> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(parquet).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        for column in batch.columns() {
            if let Some(s) = column.as_any().downcast_ref::<StringArray>() {
                out.extend(
                    (0..s.len())
                        .filter(|&i| !s.is_null(i))
                        .map(|i| s.value(i).to_string()),
                );
            }
        }
    }
    out
}

#[test]
fn a_generated_portfolio_ingests_with_every_row_accounted_for_and_no_raw_pii() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let config = GenConfig {
        enterprises: 60,
        months: 6,
        ..GenConfig::default()
    };
    generate(&config, &raw, |_| {}).unwrap();
    let store = dir.path().join("store");
    let d = Desensitiser::new(b"test key");
    for s in SOURCES {
        let path = raw.join(format!("{}.csv", s.name));
        let report = ingest(s, &path, &store, &d).unwrap();
        assert_eq!(
            report.accepted + report.quarantined,
            report.rows,
            "{}: a row went missing",
            s.name
        );
        if let Some(q) = &report.quarantine {
            let lines = std::fs::read_to_string(q).unwrap().lines().count() as u64;
            assert!(
                lines > report.quarantined,
                "{}: every quarantined row has a reason line",
                s.name
            );
        }
        let again = ingest(s, &path, &store, &d).unwrap();
        assert!(
            again.already_ingested && again.stored.is_none(),
            "re-ingesting {} must change nothing",
            s.name
        );
    }
    // Raw personal data from the registry and bank files appears nowhere in the store.
    let mut pii = Vec::new();
    for (name, columns) in [("registry", vec![6, 7, 8]), ("bank_txn", vec![6])] {
        let mut rdr = csv::Reader::from_path(raw.join(format!("{name}.csv"))).unwrap();
        for cells in rdr.records().map(Result::unwrap) {
            pii.extend(columns.iter().map(|&c| cells[c].to_string()));
        }
    }
    assert!(pii.len() > 100);
    let pii: std::collections::HashSet<String> = pii.into_iter().collect();
    let mut stored_values = 0;
    for entry in walk(&store) {
        let values = if entry.extension().is_some_and(|e| e == "parquet") {
            strings_in(&entry)
        } else {
            // Text files and the catalogue database alike: no raw value may be in any byte.
            String::from_utf8_lossy(&std::fs::read(&entry).unwrap())
                .split([',', '\n', '"', '\0'])
                .map(str::to_string)
                .collect()
        };
        stored_values += values.len();
        for v in values {
            assert!(
                !pii.contains(&v),
                "raw personal data {v:?} reached {}",
                entry.display()
            );
        }
    }
    assert!(stored_values > 1000);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

#[test]
fn bad_rows_are_quarantined_with_line_field_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tax.csv");
    std::fs::write(
        &path,
        "uscc,period,tax_type,declared,paid,arrears,sales,credit_rating,filed_date\n\
         91350100M000100Y43,2026-01,vat,100,100,0,,A,2026-02-10\n\
         91350100M000100Y44,2026-01,vat,100,100,0,,A,2026-02-10\n\
         91350100M000100Y43,2026-13,vat,100,100,0,,A,2026-02-10\n\
         91350100M000100Y43,2026-02,vat,-5,100,0,,A,2026-03-10\n\
         91350100M000100Y43,2026-02,stamp,5,5,0,,A,2026-03-10\n\
         91350100M000100Y43,2026-03,vat,5,5,0,,Z,2026-04-10\n\
         91350100M000100Y43,2026-01,vat,100,100,0,,A,2026-02-10\n",
    )
    .unwrap();
    let store = dir.path().join("store");
    let report = ingest(
        source("tax").unwrap(),
        &path,
        &store,
        &Desensitiser::new(b"k"),
    )
    .unwrap();
    assert_eq!(
        (
            report.rows,
            report.accepted,
            report.quarantined,
            report.duplicates
        ),
        (7, 1, 6, 1)
    );
    let q = std::fs::read_to_string(report.quarantine.unwrap()).unwrap();
    for (line, field, reason) in [
        (3, "uscc", "fails its check"),
        (4, "period", "not a month"),
        (5, "declared", "outside"),
        (6, "tax_type", "not one of"),
        (7, "credit_rating", "not one of"),
        (8, "uscc+period+tax_type", "duplicate"),
    ] {
        assert!(
            q.lines()
                .any(|l| l.contains(&format!(",{line},{field},")) && l.contains(reason)),
            "line {line} field {field} ({reason}) missing from quarantine:\n{q}"
        );
    }
}

#[test]
fn chinese_headers_in_gbk_and_json_lines_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = "统一社会信用代码,企业名称,国民经济行业分类,行政区划代码,成立日期,注册资本（万元）,法定代表人姓名,高新技术企业,科技型中小企业,专精特新企业\n\
                91350100M000100Y43,福州华创科技有限公司,I6513,350100,2015-03-01,500,王伟,1,1,0\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let path = dir.path().join("registry.csv");
    std::fs::write(&path, &gbk).unwrap();
    let store = dir.path().join("store");
    let d = Desensitiser::new(b"k");
    let report = ingest(source("registry").unwrap(), &path, &store, &d).unwrap();
    assert_eq!((report.accepted, report.quarantined), (1, 0));
    let values = strings_in(report.stored.as_ref().unwrap());
    assert!(values.contains(&"福州华创科技有限公司".to_string()));
    assert!(!values.contains(&"王伟".to_string()) && values.iter().any(|v| v.starts_with("h:")));
    // A byte that is neither UTF-8 nor GB18030 is refused with its offset, never replaced.
    let mut broken = gbk.to_vec();
    let at = broken.len() - 1; // after the last ASCII digit, before the line end
    broken.insert(at, 0xFF);
    std::fs::write(&path, &broken).unwrap();
    let e = ingest(
        source("registry").unwrap(),
        &path,
        &dir.path().join("s2"),
        &d,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("byte {at} is neither UTF-8 nor GBK")),
        "{e}"
    );

    let jsonl = dir.path().join("utility.jsonl");
    std::fs::write(
        &jsonl,
        "{\"uscc\":\"91350100M000100Y43\",\"month\":\"2026-01\",\"electricity_kwh\":1200.5,\"water_t\":30}\n\
         not json\n\
         {\"uscc\":\"91350100M000100Y43\",\"month\":\"2026-02\"}\n",
    )
    .unwrap();
    let report = ingest(source("utility").unwrap(), &jsonl, &store, &d).unwrap();
    assert_eq!(
        (report.rows, report.accepted, report.quarantined),
        (3, 1, 2)
    );
}

#[test]
fn a_file_without_required_columns_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loan.csv");
    std::fs::write(&path, "uscc,month\n91350100M000100Y43,2026-01\n").unwrap();
    let error = ingest(
        source("loan").unwrap(),
        &path,
        &dir.path().join("s"),
        &Desensitiser::new(b"k"),
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("loan_id")
            && message.contains("outstanding")
            && message.contains("loan.csv"),
        "{message}"
    );
}

#[test]
fn parquet_input_is_validated_like_csv() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("social.parquet");
    let column = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        (
            "uscc",
            column(&[
                "91350100M000100Y43",
                "91350100M000100Y43",
                "91350100M000100Y43",
            ]),
        ),
        ("month", column(&["2026-01", "2026-02", "2026-02x"])),
        ("headcount", column(&["12", "13", "14"])),
    ])
    .unwrap();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), None)
            .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let report = ingest(
        source("social_insurance").unwrap(),
        &path,
        &dir.path().join("store"),
        &Desensitiser::new(b"k"),
    )
    .unwrap();
    assert_eq!(
        (report.rows, report.accepted, report.quarantined),
        (3, 2, 1)
    );
    let q = std::fs::read_to_string(report.quarantine.unwrap()).unwrap();
    assert!(q.contains(",3,month,2026-02x,"), "{q}");
}

#[test]
fn ingests_are_recorded_in_the_catalogue_and_a_legacy_manifest_is_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let config = GenConfig {
        enterprises: 20,
        months: 3,
        ..GenConfig::default()
    };
    generate(&config, &raw, |_| {}).unwrap();
    let store = dir.path().join("store");
    let d = Desensitiser::new(b"k");
    let tax = xinrong_sources::source("tax").unwrap();
    let report = ingest(tax, &raw.join("tax.csv"), &store, &d).unwrap();
    assert!(
        store.join("catalog.db").is_file(),
        "metadata lives in the embedded database"
    );
    let entries = xinrong_sources::read_manifest(&store).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].source, "tax");
    assert_eq!(entries[0].rows, report.rows);
    assert_eq!(entries[0].accepted, report.accepted);
    // A store from an earlier version: its manifest.jsonl lines move into the catalogue.
    let mut old = entries[0].clone();
    old.source = "loan".into();
    old.sha256 = "0".repeat(64);
    std::fs::write(
        store.join("manifest.jsonl"),
        format!("{}\n", serde_json::to_string(&old).unwrap()),
    )
    .unwrap();
    let entries = xinrong_sources::read_manifest(&store).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].source, "loan");
    assert!(!store.join("manifest.jsonl").exists());
    assert!(store.join("manifest.jsonl.imported").exists());
    assert_eq!(
        xinrong_sources::read_manifest(&store).unwrap().len(),
        2,
        "imported once"
    );
    // A corrupt legacy line is an error naming the file and line, and nothing is imported.
    std::fs::write(store.join("manifest.jsonl"), "{not json\n").unwrap();
    let err = xinrong_sources::read_manifest(&store)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("manifest.jsonl") && err.contains("line 1"),
        "{err}"
    );
}

const TAX_HEADER: &str =
    "uscc,period,tax_type,declared,paid,arrears,sales,credit_rating,filed_date";

#[test]
fn an_upload_for_one_enterprise_quarantines_rows_about_another() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tax.csv");
    let b17 = "91350200791234567";
    let b = format!("{b17}{}", xinrong_core::Uscc::check_char(b17).unwrap());
    let (a, b) = ("91350100M000100Y43", b.as_str());
    std::fs::write(
        &path,
        format!(
            "{TAX_HEADER}\n{a},2026-01,vat,100,100,0,,A,2026-02-10\n{b},2026-01,vat,9,9,0,,A,2026-02-10\n"
        ),
    )
    .unwrap();
    let store = dir.path().join("store");
    let d = Desensitiser::new(b"k");
    let job = Ingest {
        enterprise: Some(a),
        name: "upload d_1 (tax)".into(),
        ..Ingest::file(source("tax").unwrap(), &path)
    };
    let report = ingest_with(&job, &store, &d).unwrap();
    assert_eq!(
        (report.rows, report.accepted, report.other_enterprise),
        (2, 1, 1)
    );
    let q = std::fs::read_to_string(report.quarantine.unwrap()).unwrap();
    assert!(
        q.contains(&format!(
            "upload d_1 (tax),3,uscc,{b},row is for enterprise {b}"
        )),
        "{q}"
    );
    assert!(
        !q.contains(&dir.path().display().to_string()),
        "no server path: {q}"
    );
    // The same bytes for the other enterprise are a different ingest (its own row is kept)…
    let for_b = Ingest {
        enterprise: Some(b),
        ..job.clone()
    };
    let report = ingest_with(&for_b, &store, &d).unwrap();
    assert!(!report.already_ingested);
    assert_eq!((report.accepted, report.other_enterprise), (1, 1));
    // …and the same bytes for the same enterprise again change nothing.
    assert!(ingest_with(&job, &store, &d).unwrap().already_ingested);
}

#[test]
fn fields_the_source_lacks_are_reported_or_quarantined_never_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let d = Desensitiser::new(b"k");
    let csv = dir.path().join("tax.csv");
    std::fs::write(
        &csv,
        format!(
            "{TAX_HEADER},note\n\
             91350100M000100Y43,2026-01,vat,100,100,0,,A,2026-02-10,paid late\n\
             91350100M000100Y43,2026-02,vat,100,100,0,,A,2026-03-10,\n"
        ),
    )
    .unwrap();
    let tax = source("tax").unwrap();
    let report = ingest(tax, &csv, &store, &d).unwrap();
    assert_eq!(report.unknown_fields, ["note"]);
    assert_eq!((report.accepted, report.rows_with_unknown), (2, 1));
    let entry = xinrong_sources::read_manifest(&store)
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        xinrong_sources::stored_fields(&entry.unknown_fields),
        ["note"],
        "the catalogue keeps them too"
    );

    let strict = Ingest {
        unknown: UnknownFields::Quarantine,
        ..Ingest::file(tax, &csv)
    };
    let report = ingest_with(&strict, &dir.path().join("strict"), &d).unwrap();
    assert_eq!((report.accepted, report.quarantined), (1, 1));
    let q = std::fs::read_to_string(report.quarantine.unwrap()).unwrap();
    assert!(
        q.contains(",2,note,,") && q.contains("has a value in note"),
        "{q}"
    );

    let jsonl = dir.path().join("utility.jsonl");
    std::fs::write(
        &jsonl,
        "{\"uscc\":\"91350100M000100Y43\",\"month\":\"2026-01\",\"electricity_kwh\":1,\"meter\":\"M7\"}\n\
         {\"uscc\":\"91350100M000100Y43\",\"month\":\"2026-02\",\"electricity_kwh\":2,\"meter\":null}\n",
    )
    .unwrap();
    let report = ingest(source("utility").unwrap(), &jsonl, &store, &d).unwrap();
    assert_eq!(report.unknown_fields, ["meter"]);
    assert_eq!((report.accepted, report.rows_with_unknown), (2, 1));
}

#[test]
fn quarantine_lines_are_the_files_lines_with_crlf_endings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tax.csv");
    let good = "91350100M000100Y43,2026-0M,vat,100,100,0,,A,2026-02-10";
    let rows: Vec<String> = (1..=4)
        .map(|m| good.replace("0M", &format!("{m:02}")))
        .collect();
    std::fs::write(
        &path,
        format!(
            "{TAX_HEADER}\r\n{}\r\n91350100M000100Y43,2026-13,vat,1,1,0,,A,2026-02-10\r\n",
            rows.join("\r\n")
        ),
    )
    .unwrap();
    let report = ingest(
        source("tax").unwrap(),
        &path,
        &dir.path().join("store"),
        &Desensitiser::new(b"k"),
    )
    .unwrap();
    let q = std::fs::read_to_string(report.quarantine.unwrap()).unwrap();
    assert!(q.contains(",6,period,2026-13,"), "{q}");
}

#[test]
fn a_catalogue_of_the_earlier_layout_is_upgraded_keeping_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let conn = rusqlite::Connection::open(store.join("catalog.db")).unwrap();
    conn.execute_batch(
        "CREATE TABLE ingests (seq INTEGER PRIMARY KEY, source TEXT NOT NULL, provider TEXT NOT NULL, \
         file TEXT NOT NULL, sha256 TEXT NOT NULL, rows_read INTEGER NOT NULL, accepted INTEGER NOT NULL, \
         quarantined INTEGER NOT NULL, duplicates INTEGER NOT NULL, part TEXT, time TEXT NOT NULL, \
         UNIQUE (source, sha256));
         INSERT INTO ingests VALUES (1, 'tax', 'p', 'tax.csv', 'abc', 3, 2, 1, 0, 'part-abc.parquet', 't');",
    )
    .unwrap();
    drop(conn);
    let entries = xinrong_sources::read_manifest(&store).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].rows, entries[0].scope.as_str()), (3, ""));
    assert_eq!(xinrong_sources::read_manifest(&store).unwrap().len(), 1);
}
