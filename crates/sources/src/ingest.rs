//! Ingest: every row of a source file is validated against the source's schema; good rows are
//! desensitised and written to the governed store as Parquet, bad rows go to a quarantine
//! file that says which file, line and field and why. Nothing is dropped silently, and
//! ingesting the same file twice changes nothing.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Date32Builder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field as ArrowField, Schema};
use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};
use xinrong_core::Uscc;

use crate::schema::{Field, Kind, Pii, Source};

/// An ingest that could not run (as opposed to rows that were quarantined).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file's header lacks required fields of the source.
    #[error(
        "{path}: header lacks required field(s) {missing} of source {source_name} (header: {header})"
    )]
    MissingFields {
        /// The file.
        path: PathBuf,
        /// The source.
        source_name: String,
        /// Required fields not found (by English or Chinese name).
        missing: String,
        /// The header found.
        header: String,
    },
    /// The file is not CSV or JSON Lines that can be read.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Writing Parquet failed.
    #[error("{path}: {reason}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The outcome of one ingest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IngestReport {
    /// Rows read.
    pub rows: u64,
    /// Rows stored.
    pub accepted: u64,
    /// Rows quarantined, with their reasons in the quarantine file.
    pub quarantined: u64,
    /// Of the quarantined rows, how many were duplicates of an earlier row's key.
    pub duplicates: u64,
    /// Whether the file had been ingested before (then nothing was written).
    pub already_ingested: bool,
    /// The Parquet file written.
    pub stored: Option<PathBuf>,
    /// The quarantine file written, if any row was rejected.
    pub quarantine: Option<PathBuf>,
}

/// How field values are desensitised.
#[derive(Clone)]
pub struct Desensitiser {
    key: Vec<u8>,
}

impl Desensitiser {
    /// A desensitiser with the HMAC key from configuration.
    pub fn new(key: &[u8]) -> Desensitiser {
        Desensitiser { key: key.to_vec() }
    }

    /// The stored form of `value` under `rule`.
    pub fn apply(&self, rule: Pii, value: &str) -> String {
        match rule {
            Pii::None => value.to_string(),
            Pii::Hmac => {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
                mac.update(value.as_bytes());
                format!("h:{}", &hex::encode(mac.finalize().into_bytes())[..32])
            }
            Pii::Mask => {
                let chars: Vec<char> = value.chars().collect();
                if chars.len() <= 4 {
                    "*".repeat(chars.len())
                } else {
                    let keep_tail = 4.min(chars.len() / 3);
                    let keep_head = 3.min(chars.len() - keep_tail - 1);
                    let mut out: String = chars[..keep_head].iter().collect();
                    out.push_str(&"*".repeat(chars.len() - keep_head - keep_tail));
                    out.extend(&chars[chars.len() - keep_tail..]);
                    out
                }
            }
        }
    }
}

/// A parsed, valid cell.
enum Value {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    Date(i32),
}

fn days(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
        - NaiveDate::from_ymd_opt(1970, 1, 1)
            .expect("epoch")
            .num_days_from_ce()
}

/// Validates one cell against its field.
fn parse(field: &Field, raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return if field.required {
            Err("required, but empty".into())
        } else {
            Ok(Value::Null)
        };
    }
    match field.kind {
        Kind::Uscc => raw
            .parse::<Uscc>()
            .map(|u| Value::Text(u.as_str().to_string()))
            .map_err(|e| e.to_string()),
        Kind::Text => Ok(Value::Text(raw.to_string())),
        Kind::Date => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(raw, "%Y/%m/%d"))
            .map(|d| Value::Date(days(d)))
            .map_err(|_| format!("{raw:?} is not a date (YYYY-MM-DD)")),
        Kind::Month => NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d")
            .map(|d| Value::Date(days(d)))
            .map_err(|_| format!("{raw:?} is not a month (YYYY-MM)")),
        Kind::Int(lo, hi) => match raw.parse::<i64>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(Value::Int(v)),
            Ok(v) => Err(format!("{v} is outside {lo}..{hi}")),
            Err(_) => Err(format!("{raw:?} is not a whole number")),
        },
        Kind::Decimal(lo, hi) => match raw.replace(',', "").parse::<f64>() {
            Ok(v) if v.is_finite() && v >= lo && v <= hi => Ok(Value::Real(v)),
            Ok(v) => Err(format!("{v} is outside {lo}..{hi}")),
            Err(_) => Err(format!("{raw:?} is not a number")),
        },
        Kind::Code(codes) => {
            if codes.contains(&raw) {
                Ok(Value::Text(raw.to_string()))
            } else {
                Err(format!("{raw:?} is not one of {}", codes.join("/")))
            }
        }
        Kind::Industry => {
            let ok = raw.len() >= 2
                && raw.len() <= 5
                && raw.as_bytes()[0].is_ascii_uppercase()
                && (b'A'..=b'T').contains(&raw.as_bytes()[0])
                && raw[1..].bytes().all(|b| b.is_ascii_digit());
            if ok {
                Ok(Value::Text(raw.to_string()))
            } else {
                Err(format!(
                    "{raw:?} is not a GB/T 4754 class (A..T and digits)"
                ))
            }
        }
        Kind::Region => {
            if raw.len() == 6
                && raw.bytes().all(|b| b.is_ascii_digit())
                && (11..=82).contains(&raw[..2].parse::<u32>().unwrap_or(0))
            {
                Ok(Value::Text(raw.to_string()))
            } else {
                Err(format!("{raw:?} is not a six-digit GB/T 2260 region code"))
            }
        }
    }
}

fn arrow_type(kind: Kind) -> DataType {
    match kind {
        Kind::Date | Kind::Month => DataType::Date32,
        Kind::Int(..) => DataType::Int64,
        Kind::Decimal(..) => DataType::Float64,
        _ => DataType::Utf8,
    }
}

/// Column builders for one source.
enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    Real(Float64Builder),
    Date(Date32Builder),
}

impl Builder {
    fn new(kind: Kind) -> Builder {
        match arrow_type(kind) {
            DataType::Date32 => Builder::Date(Date32Builder::new()),
            DataType::Int64 => Builder::Int(Int64Builder::new()),
            DataType::Float64 => Builder::Real(Float64Builder::new()),
            _ => Builder::Text(StringBuilder::new()),
        }
    }

    fn push(&mut self, value: Value) {
        match (self, value) {
            (Builder::Text(b), Value::Text(v)) => b.append_value(v),
            (Builder::Int(b), Value::Int(v)) => b.append_value(v),
            (Builder::Real(b), Value::Real(v)) => b.append_value(v),
            (Builder::Date(b), Value::Date(v)) => b.append_value(v),
            (Builder::Text(b), _) => b.append_null(),
            (Builder::Int(b), _) => b.append_null(),
            (Builder::Real(b), _) => b.append_null(),
            (Builder::Date(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Real(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
        }
    }
}

/// Decodes a file's bytes: UTF-8 (with or without BOM), else GBK/GB18030.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// Rows of a file as `(line number, field name → raw text)`, whatever its format.
fn read_rows(
    path: &Path,
    source: &Source,
) -> Result<(Vec<String>, Vec<(u64, Vec<String>)>), IngestError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io(path))?;
    let text = decode(&bytes);
    let is_jsonl = path
        .extension()
        .is_some_and(|e| e == "jsonl" || e == "ndjson");
    if is_jsonl {
        let header: Vec<String> = source.fields.iter().map(|f| f.name.to_string()).collect();
        let mut rows = Vec::new();
        for (i, line) in BufReader::new(text.as_bytes()).lines().enumerate() {
            let line = line.map_err(io(path))?;
            if line.trim().is_empty() {
                continue;
            }
            let cells =
                match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&line) {
                    Ok(map) => header
                        .iter()
                        .map(|h| match map.get(h) {
                            None | Some(serde_json::Value::Null) => String::new(),
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(other) => other.to_string(),
                        })
                        .collect(),
                    // A line that is not a JSON object is kept as one unparseable row.
                    Err(e) => vec![format!("\u{0}{e}")],
                };
            rows.push((i as u64 + 1, cells));
        }
        return Ok((header, rows));
    }
    let delimiter = if text
        .lines()
        .next()
        .is_some_and(|l| l.contains('\t') && !l.contains(','))
    {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| IngestError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => rows.push((
                r.position().map_or(0, |p| p.line()),
                r.iter().map(str::to_string).collect(),
            )),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push((line, vec![format!("\u{0}{e}")]));
            }
        }
    }
    Ok((header, rows))
}

/// Where ingested data lives: `<store>/<source>/part-<hash>.parquet`, plus a manifest of
/// ingested files and the quarantine directory.
pub fn store_paths(store: &Path, source: &Source) -> (PathBuf, PathBuf, PathBuf) {
    (
        store.join(source.name),
        store.join("manifest.jsonl"),
        store.join("quarantine"),
    )
}

/// Ingests `input` as `source` into the store directory.
pub fn ingest(
    source: &Source,
    input: &Path,
    store: &Path,
    desensitiser: &Desensitiser,
) -> Result<IngestReport, IngestError> {
    let (table_dir, manifest, quarantine_dir) = store_paths(store, source);
    let content = fs::read(input).map_err(io(input))?;
    let digest = hex::encode(Sha256::digest(&content));
    let manifest_text = fs::read_to_string(&manifest).unwrap_or_default();
    if manifest_text.lines().any(|l| {
        l.contains(&format!("\"sha256\":\"{digest}\""))
            && l.contains(&format!("\"source\":\"{}\"", source.name))
    }) {
        return Ok(IngestReport {
            already_ingested: true,
            ..IngestReport::default()
        });
    }
    let (header, rows) = read_rows(input, source)?;
    // Columns by English name or Chinese meaning.
    let position: Vec<Option<usize>> = source
        .fields
        .iter()
        .map(|f| header.iter().position(|h| h == f.name || h == f.zh))
        .collect();
    let missing: Vec<&str> = source
        .fields
        .iter()
        .zip(&position)
        .filter(|(f, p)| f.required && p.is_none())
        .map(|(f, _)| f.name)
        .collect();
    if !missing.is_empty() {
        return Err(IngestError::MissingFields {
            path: input.to_path_buf(),
            source_name: source.name.to_string(),
            missing: missing.join(", "),
            header: header.join(","),
        });
    }
    let mut builders: Vec<Builder> = source.fields.iter().map(|f| Builder::new(f.kind)).collect();
    let mut quarantine = csv::Writer::from_writer(Vec::new());
    quarantine
        .write_record(["file", "line", "field", "value", "reason"])
        .expect("in memory");
    let key_positions: Vec<usize> = source
        .key
        .iter()
        .map(|k| {
            source
                .fields
                .iter()
                .position(|f| f.name == *k)
                .expect("key is a field")
        })
        .collect();
    let mut seen = HashSet::new();
    let mut report = IngestReport {
        rows: rows.len() as u64,
        ..IngestReport::default()
    };
    let file_name = input.display().to_string();
    'rows: for (line, cells) in rows {
        if let Some(error) = cells.first().and_then(|c| c.strip_prefix('\u{0}')) {
            quarantine
                .write_record([
                    &file_name,
                    &line.to_string(),
                    "",
                    "",
                    &format!("unreadable row: {error}"),
                ])
                .expect("in memory");
            report.quarantined += 1;
            continue;
        }
        let mut values = Vec::with_capacity(source.fields.len());
        for (field, pos) in source.fields.iter().zip(&position) {
            let raw = pos.and_then(|p| cells.get(p)).map_or("", String::as_str);
            match parse(field, raw) {
                Ok(v) => values.push(v),
                Err(reason) => {
                    // Personal data never reaches the quarantine file either.
                    let shown = if field.pii == Pii::None {
                        raw.to_string()
                    } else {
                        desensitiser.apply(Pii::Mask, raw)
                    };
                    quarantine
                        .write_record([&file_name, &line.to_string(), field.name, &shown, &reason])
                        .expect("in memory");
                    report.quarantined += 1;
                    continue 'rows;
                }
            }
        }
        let key: Vec<String> = key_positions
            .iter()
            .map(|&k| match &values[k] {
                Value::Text(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Real(r) => r.to_string(),
                Value::Date(d) => d.to_string(),
                Value::Null => String::new(),
            })
            .collect();
        if !seen.insert(key.join("\u{1}")) {
            quarantine
                .write_record([
                    &file_name,
                    &line.to_string(),
                    &source.key.join("+"),
                    &key.join("+"),
                    "duplicate of an earlier row's key",
                ])
                .expect("in memory");
            report.quarantined += 1;
            report.duplicates += 1;
            continue;
        }
        for ((builder, field), value) in builders.iter_mut().zip(source.fields).zip(values) {
            let value = match (field.pii, value) {
                (Pii::None, v) => v,
                (rule, Value::Text(s)) => Value::Text(desensitiser.apply(rule, &s)),
                (_, v) => v,
            };
            builder.push(value);
        }
        report.accepted += 1;
    }

    fs::create_dir_all(&table_dir).map_err(io(&table_dir))?;
    let schema = Arc::new(Schema::new(
        source
            .fields
            .iter()
            .map(|f| ArrowField::new(f.name, arrow_type(f.kind), true))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = builders.iter_mut().map(Builder::finish).collect();
    let batch =
        RecordBatch::try_new(schema.clone(), columns).map_err(|e| IngestError::Parquet {
            path: table_dir.clone(),
            reason: e.to_string(),
        })?;
    let stored = table_dir.join(format!("part-{}.parquet", &digest[..16]));
    let temp = table_dir.join(format!(".part-{}.tmp", &digest[..16]));
    {
        let file = File::create(&temp).map_err(io(&temp))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let mut writer =
            ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| IngestError::Parquet {
                path: temp.clone(),
                reason: e.to_string(),
            })?;
        writer.write(&batch).map_err(|e| IngestError::Parquet {
            path: temp.clone(),
            reason: e.to_string(),
        })?;
        let file = writer.into_inner().map_err(|e| IngestError::Parquet {
            path: temp.clone(),
            reason: e.to_string(),
        })?;
        file.sync_all().map_err(io(&temp))?;
    }
    fs::rename(&temp, &stored).map_err(io(&stored))?;
    if report.quarantined > 0 {
        fs::create_dir_all(&quarantine_dir).map_err(io(&quarantine_dir))?;
        let path = quarantine_dir.join(format!("{}-{}.csv", source.name, &digest[..16]));
        fs::write(&path, quarantine.into_inner().expect("in memory")).map_err(io(&path))?;
        report.quarantine = Some(path);
    }
    // The manifest line is written last: a crash before it leaves a Parquet part that the
    // next ingest of the same file overwrites, never a half-recorded ingest.
    let line = serde_json::json!({
        "source": source.name, "file": file_name, "sha256": digest, "rows": report.rows,
        "accepted": report.accepted, "quarantined": report.quarantined, "part": stored.file_name().map(|n| n.to_string_lossy().into_owned()),
        "time": chrono::Utc::now().to_rfc3339(),
    });
    let mut m = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&manifest)
        .map_err(io(&manifest))?;
    m.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| m.sync_all())
        .map_err(io(&manifest))?;
    report.stored = Some(stored);
    Ok(report)
}
