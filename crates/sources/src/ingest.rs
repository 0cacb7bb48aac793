//! Ingest: every row of a source file is validated against the source's schema; good rows are
//! desensitised and written to the governed store as Parquet, bad rows go to a quarantine
//! file that says which file, line and field and why. Nothing is dropped silently, and
//! ingesting the same file twice changes nothing.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
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

/// The HMAC key for desensitisation: `$XINRONG_HMAC_KEY`, else `<data-dir>/hmac.key`
/// (created with a random key on first use, readable by its owner only). Every ingest of a
/// data directory, from the command line or the API, must use the same key, or the keyed
/// hashes of one person would not match across files.
pub fn hmac_key(data_dir: &Path) -> Result<Vec<u8>, IngestError> {
    if let Ok(key) = std::env::var("XINRONG_HMAC_KEY") {
        return Ok(key.into_bytes());
    }
    let path = data_dir.join("hmac.key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return hex::decode(key.trim()).map_err(|_| IngestError::Unreadable {
            path: path.clone(),
            reason: "not a hex key".into(),
        });
    }
    use rand::RngCore as _;
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(io(&path))?;
    file.write_all(hex::encode(key).as_bytes())
        .map_err(io(&path))?;
    Ok(key.to_vec())
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
    /// The keyed state, cloned per value so the key is absorbed once, not per row.
    mac: Hmac<Sha256>,
}

impl Desensitiser {
    /// A desensitiser with the HMAC key from configuration.
    pub fn new(key: &[u8]) -> Desensitiser {
        Desensitiser {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    /// The stored form of `value` under `rule`.
    pub fn apply(&self, rule: Pii, value: &str) -> String {
        match rule {
            Pii::None => value.to_string(),
            Pii::Hmac => {
                let mut mac = self.mac.clone();
                mac.update(value.as_bytes());
                let digest = mac.finalize().into_bytes();
                let mut text = [0u8; 34];
                text[..2].copy_from_slice(b"h:");
                hex::encode_to_slice(&digest[..16], &mut text[2..]).expect("32 hex digits fit");
                String::from_utf8(text.to_vec()).expect("ASCII")
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

/// A parsed, valid cell, borrowing text from the input row.
enum Value<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Real(f64),
    Date(i32),
}

const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// `YYYY-MM-DD` (or with slashes) without a general-purpose date parser: ingest reads
/// millions of dates.
fn parse_date(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    if b.len() != 10 || b[7] != b[4] {
        return None;
    }
    NaiveDate::from_ymd_opt(
        parse_month(&raw[..7])?.year(),
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )
}

/// `YYYY-MM` (or with a slash) as the first day of the month.
fn parse_month(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    if b.len() != 7 || !matches!(b[4], b'-' | b'/') {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(&b[..4])? as i32, digits(&b[5..7])?, 1)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn days(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

fn valid_uscc(raw: &str) -> Result<(), String> {
    if raw.len() == 18
        && Uscc::check_char(&raw[..17]).is_some_and(|c| raw.as_bytes()[17] == c as u8)
    {
        return Ok(());
    }
    raw.parse::<Uscc>()
        .map(|_| ())
        .map_err(|e| e.to_string())
        .and_then(|()| Err(format!("{raw:?} must be written in capitals")))
}

/// Validates one cell against its field.
fn parse<'a>(field: &Field, raw: &'a str) -> Result<Value<'a>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return if field.required {
            Err("required, but empty".into())
        } else {
            Ok(Value::Null)
        };
    }
    match field.kind {
        Kind::Uscc => valid_uscc(raw).map(|()| Value::Text(raw)),
        Kind::Text => Ok(Value::Text(raw)),
        Kind::Date => parse_date(raw)
            .map(|d| Value::Date(days(d)))
            .ok_or_else(|| format!("{raw:?} is not a date (YYYY-MM-DD)")),
        Kind::Month => parse_month(raw)
            .map(|d| Value::Date(days(d)))
            .ok_or_else(|| format!("{raw:?} is not a month (YYYY-MM)")),
        Kind::Int(lo, hi) => match raw.parse::<i64>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(Value::Int(v)),
            Ok(v) => Err(format!("{v} is outside {lo}..{hi}")),
            Err(_) => Err(format!("{raw:?} is not a whole number")),
        },
        Kind::Decimal(lo, hi) => {
            let parsed = if raw.contains(',') {
                raw.replace(',', "").parse::<f64>()
            } else {
                raw.parse::<f64>()
            };
            match parsed {
                Ok(v) if v.is_finite() && v >= lo && v <= hi => Ok(Value::Real(v)),
                Ok(v) => Err(format!("{v} is outside {lo}..{hi}")),
                Err(_) => Err(format!("{raw:?} is not a number")),
            }
        }
        Kind::Code(codes) => {
            if codes.contains(&raw) {
                Ok(Value::Text(raw))
            } else {
                Err(format!("{raw:?} is not one of {}", codes.join("/")))
            }
        }
        Kind::Industry => {
            let b = raw.as_bytes();
            let ok = (2..=5).contains(&b.len())
                && (b'A'..=b'T').contains(&b[0])
                && b[1..].iter().all(u8::is_ascii_digit);
            if ok {
                Ok(Value::Text(raw))
            } else {
                Err(format!(
                    "{raw:?} is not a GB/T 4754 class (A..T and digits)"
                ))
            }
        }
        Kind::Region => {
            let b = raw.as_bytes();
            if b.len() == 6
                && b.iter().all(u8::is_ascii_digit)
                && (11..=82).contains(&raw[..2].parse::<u32>().unwrap_or(0))
            {
                Ok(Value::Text(raw))
            } else {
                Err(format!("{raw:?} is not a six-digit GB/T 2260 region code"))
            }
        }
    }
}

/// The Arrow type a field is stored as: dates and months as `Date32` (a month as its
/// first day), whole numbers as `Int64`, decimals as `Float64`, the rest as text.
pub fn arrow_type(kind: Kind) -> DataType {
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

    fn push(&mut self, value: Value<'_>) {
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

/// Rows per Parquet row group (and per in-memory batch): memory stays bounded by this,
/// not by the size of the file.
const BATCH_ROWS: usize = 65_536;

/// The file, in the store directory, that lists every ingested file.
/// One ingested file, as recorded (last, after its data is durable) in the store's
/// catalogue ([`crate::Catalog`]).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ManifestEntry {
    /// Source name.
    pub source: String,
    /// Who provided the file.
    #[serde(default = "unspecified")]
    pub provider: String,
    /// The file as given.
    pub file: String,
    /// SHA-256 of its bytes: the same file is never ingested twice.
    pub sha256: String,
    /// Rows read.
    pub rows: u64,
    /// Rows stored.
    pub accepted: u64,
    /// Rows quarantined (duplicates included).
    pub quarantined: u64,
    /// Rows quarantined as duplicates of an earlier key.
    #[serde(default)]
    pub duplicates: u64,
    /// The Parquet part written.
    pub part: Option<String>,
    /// When (RFC 3339).
    pub time: String,
}

fn unspecified() -> String {
    "unspecified".to_string()
}

/// Every file ingested into the store so far (none if nothing has been).
pub fn read_manifest(store: &Path) -> Result<Vec<ManifestEntry>, IngestError> {
    if !store.is_dir() {
        return Ok(Vec::new());
    }
    crate::catalog::Catalog::open(store)?.entries()
}

/// Where ingested data lives: `<store>/<source>/part-<hash>.parquet`, and the quarantine
/// directory (the catalogue of ingested files is [`crate::Catalog`]).
pub fn store_paths(store: &Path, source: &Source) -> (PathBuf, PathBuf) {
    (store.join(source.name), store.join("quarantine"))
}

/// Validates rows and accumulates the good ones into Parquet, the bad ones into quarantine.
struct Sink<'s> {
    source: &'s Source,
    desensitiser: &'s Desensitiser,
    file_name: String,
    builders: Vec<Builder>,
    pending: usize,
    schema: Arc<Schema>,
    writer: ArrowWriter<File>,
    temp: PathBuf,
    quarantine: csv::Writer<Vec<u8>>,
    key_positions: Vec<usize>,
    seen: HashSet<Vec<u8>, foldhash::fast::RandomState>,
    report: IngestReport,
    masked: String,
}

impl<'s> Sink<'s> {
    fn new(
        source: &'s Source,
        desensitiser: &'s Desensitiser,
        input: &Path,
        temp: PathBuf,
    ) -> Result<Sink<'s>, IngestError> {
        let schema = Arc::new(Schema::new(
            source
                .fields
                .iter()
                .map(|f| ArrowField::new(f.name, arrow_type(f.kind), true))
                .collect::<Vec<_>>(),
        ));
        let file = File::create(&temp).map_err(io(&temp))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(BATCH_ROWS))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| {
            IngestError::Parquet {
                path: temp.clone(),
                reason: e.to_string(),
            }
        })?;
        let mut quarantine = csv::Writer::from_writer(Vec::new());
        quarantine
            .write_record(["file", "line", "field", "value", "reason"])
            .expect("in memory");
        Ok(Sink {
            source,
            desensitiser,
            file_name: input.display().to_string(),
            builders: source.fields.iter().map(|f| Builder::new(f.kind)).collect(),
            pending: 0,
            schema,
            writer,
            temp,
            quarantine,
            key_positions: source
                .key
                .iter()
                .map(|k| {
                    source
                        .fields
                        .iter()
                        .position(|f| f.name == *k)
                        .expect("key is a field")
                })
                .collect(),
            seen: HashSet::with_hasher(foldhash::fast::RandomState::default()),
            report: IngestReport::default(),
            masked: String::new(),
        })
    }

    fn reject(&mut self, line: u64, field: &str, value: &str, reason: &str) {
        self.quarantine
            .write_record([
                self.file_name.as_str(),
                &line.to_string(),
                field,
                value,
                reason,
            ])
            .expect("in memory");
        self.report.quarantined += 1;
    }

    /// One row: `cell(i)` is the raw text of source field `i` (empty when absent).
    fn row<'r>(&mut self, line: u64, cell: impl Fn(usize) -> &'r str) -> Result<(), IngestError> {
        self.report.rows += 1;
        let source = self.source;
        let mut values: Vec<Value<'r>> = Vec::with_capacity(source.fields.len());
        for (i, field) in source.fields.iter().enumerate() {
            let raw = cell(i);
            match parse(field, raw) {
                Ok(v) => values.push(v),
                Err(reason) => {
                    // Personal data never reaches the quarantine file either.
                    let shown = if field.pii == Pii::None {
                        raw.to_string()
                    } else {
                        self.desensitiser.apply(Pii::Mask, raw)
                    };
                    self.reject(line, field.name, &shown, &reason);
                    return Ok(());
                }
            }
        }
        let mut key = Vec::with_capacity(48);
        for &k in &self.key_positions {
            match &values[k] {
                Value::Text(s) => key.extend_from_slice(s.as_bytes()),
                Value::Int(i) => key.extend_from_slice(&i.to_le_bytes()),
                Value::Real(r) => key.extend_from_slice(&r.to_le_bytes()),
                Value::Date(d) => key.extend_from_slice(&d.to_le_bytes()),
                Value::Null => {}
            }
            key.push(0x1f);
        }
        if !self.seen.insert(key) {
            let shown: Vec<&str> = self.key_positions.iter().map(|&k| cell(k)).collect();
            self.reject(
                line,
                &source.key.join("+"),
                &shown.join("+"),
                "duplicate of an earlier row's key",
            );
            self.report.duplicates += 1;
            return Ok(());
        }
        for ((builder, field), value) in self.builders.iter_mut().zip(source.fields).zip(values) {
            match (field.pii, value) {
                (Pii::None, v) => builder.push(v),
                (rule, Value::Text(s)) => {
                    self.masked = self.desensitiser.apply(rule, s);
                    builder.push(Value::Text(&self.masked));
                }
                (_, v) => builder.push(v),
            }
        }
        self.report.accepted += 1;
        self.pending += 1;
        if self.pending == BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IngestError> {
        if self.pending == 0 {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| {
            IngestError::Parquet {
                path: self.temp.clone(),
                reason: e.to_string(),
            }
        })?;
        self.writer
            .write(&batch)
            .map_err(|e| IngestError::Parquet {
                path: self.temp.clone(),
                reason: e.to_string(),
            })?;
        self.pending = 0;
        Ok(())
    }
}

/// Columns of the source found in a header, by English name or Chinese meaning.
fn map_header(
    source: &Source,
    header: &[String],
    input: &Path,
) -> Result<Vec<Option<usize>>, IngestError> {
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
    if missing.is_empty() {
        Ok(position)
    } else {
        Err(IngestError::MissingFields {
            path: input.to_path_buf(),
            source_name: source.name.to_string(),
            missing: missing.join(", "),
            header: header.join(","),
        })
    }
}

/// Feeds every row of a CSV (UTF-8 streamed; GBK decoded first) into the sink.
fn read_csv(input: &Path, sink: &mut Sink<'_>) -> Result<(), IngestError> {
    let mut file = File::open(input).map_err(io(input))?;
    let mut head = vec![0u8; 64 * 1024];
    let n = read_up_to(&mut file, &mut head).map_err(io(input))?;
    head.truncate(n);
    let utf8 = match std::str::from_utf8(&head) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) => e.error_len().is_none(),
    };
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.contains(&b'\t') && !first_line.contains(&b',') {
        b'\t'
    } else {
        b','
    };
    let body: Box<dyn Read> = if utf8 {
        let skip = if head.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            0
        };
        Box::new(std::io::Cursor::new(head[skip..].to_vec()).chain(file))
    } else {
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).map_err(io(input))?;
        head.extend(rest);
        Box::new(std::io::Cursor::new(
            encoding_rs::GB18030
                .decode(&head)
                .0
                .into_owned()
                .into_bytes(),
        ))
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(body);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| IngestError::Unreadable {
            path: input.to_path_buf(),
            reason: e.to_string(),
        })?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let position = map_header(sink.source, &header, input)?;
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                let text: Vec<&str> = record
                    .iter()
                    .map(|c| std::str::from_utf8(c).unwrap_or("\u{fffd}"))
                    .collect();
                sink.row(line, |i| {
                    position[i].and_then(|p| text.get(p).copied()).unwrap_or("")
                })?;
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                sink.report.rows += 1;
                sink.reject(line, "", "", &format!("unreadable row: {e}"));
                if !matches!(
                    e.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                ) {
                    break;
                }
            }
        }
    }
    Ok(())
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Feeds every line of a JSON Lines file into the sink.
fn read_jsonl(input: &Path, sink: &mut Sink<'_>) -> Result<(), IngestError> {
    let reader = BufReader::new(File::open(input).map_err(io(input))?);
    let names: Vec<&str> = sink.source.fields.iter().map(|f| f.name).collect();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(io(input))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&line) {
            Ok(map) => {
                let cells: Vec<String> = names
                    .iter()
                    .map(|h| match map.get(*h) {
                        None | Some(serde_json::Value::Null) => String::new(),
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                    })
                    .collect();
                sink.row(i as u64 + 1, |k| cells[k].as_str())?;
            }
            Err(e) => {
                sink.report.rows += 1;
                sink.reject(i as u64 + 1, "", "", &format!("not a JSON object: {e}"));
            }
        }
    }
    Ok(())
}

/// Feeds every row of a Parquet file into the sink, columns matched by name (English or
/// Chinese) and read as text, so that the same validation applies as for CSV.
fn read_parquet(input: &Path, sink: &mut Sink<'_>) -> Result<(), IngestError> {
    use arrow_array::{Array, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let unreadable = |e: &dyn std::fmt::Display| IngestError::Unreadable {
        path: input.to_path_buf(),
        reason: e.to_string(),
    };
    let file = File::open(input).map_err(io(input))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(&e))?;
    let header: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let position = map_header(sink.source, &header, input)?;
    let reader = builder
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| unreadable(&e))?;
    let mut line = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(&e))?;
        let text: Vec<StringArray> = batch
            .columns()
            .iter()
            .map(|c| {
                let c = arrow_cast::cast(c, &DataType::Utf8).map_err(|e| unreadable(&e))?;
                Ok(c.as_any()
                    .downcast_ref::<StringArray>()
                    .expect("cast to Utf8")
                    .clone())
            })
            .collect::<Result<_, IngestError>>()?;
        for r in 0..batch.num_rows() {
            line += 1;
            sink.row(line, |i| {
                position[i]
                    .map(|p| &text[p])
                    .filter(|a| !a.is_null(r))
                    .map_or("", |a| a.value(r))
            })?;
        }
    }
    Ok(())
}

/// Ingests `input` as `source` into the store directory, from an unnamed provider.
pub fn ingest(
    source: &Source,
    input: &Path,
    store: &Path,
    desensitiser: &Desensitiser,
) -> Result<IngestReport, IngestError> {
    ingest_from(source, input, store, desensitiser, "unspecified")
}

/// Ingests `input` as `source` from `provider` (whose data quality is then tracked).
pub fn ingest_from(
    source: &Source,
    input: &Path,
    store: &Path,
    desensitiser: &Desensitiser,
    provider: &str,
) -> Result<IngestReport, IngestError> {
    let (table_dir, quarantine_dir) = store_paths(store, source);
    let digest = {
        let mut hasher = Sha256::new();
        let mut file = File::open(input).map_err(io(input))?;
        std::io::copy(&mut file, &mut hasher).map_err(io(input))?;
        hex::encode(hasher.finalize())
    };
    let catalog = crate::catalog::Catalog::open(store)?;
    if catalog.contains(source.name, &digest)? {
        return Ok(IngestReport {
            already_ingested: true,
            ..IngestReport::default()
        });
    }
    fs::create_dir_all(&table_dir).map_err(io(&table_dir))?;
    let stored = table_dir.join(format!("part-{}.parquet", &digest[..16]));
    let temp = table_dir.join(format!(".part-{}.tmp", &digest[..16]));
    let mut sink = Sink::new(source, desensitiser, input, temp.clone())?;
    let is_jsonl = input
        .extension()
        .is_some_and(|e| e == "jsonl" || e == "ndjson");
    let is_parquet = input.extension().is_some_and(|e| e == "parquet");
    let read = if is_jsonl {
        read_jsonl(input, &mut sink)
    } else if is_parquet {
        read_parquet(input, &mut sink)
    } else {
        read_csv(input, &mut sink)
    };
    if let Err(e) = read.and_then(|()| sink.flush()) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    let Sink {
        writer,
        quarantine,
        mut report,
        file_name,
        ..
    } = sink;
    let file = writer.into_inner().map_err(|e| IngestError::Parquet {
        path: temp.clone(),
        reason: e.to_string(),
    })?;
    file.sync_all().map_err(io(&temp))?;
    fs::rename(&temp, &stored).map_err(io(&stored))?;
    if report.quarantined > 0 {
        fs::create_dir_all(&quarantine_dir).map_err(io(&quarantine_dir))?;
        let path = quarantine_dir.join(format!("{}-{}.csv", source.name, &digest[..16]));
        fs::write(&path, quarantine.into_inner().expect("in memory")).map_err(io(&path))?;
        report.quarantine = Some(path);
    }
    // The catalogue record is written last: a crash before it leaves a Parquet part that the
    // next ingest of the same file overwrites, never a half-recorded ingest.
    let entry = ManifestEntry {
        source: source.name.to_string(),
        provider: provider.to_string(),
        file: file_name,
        sha256: digest,
        rows: report.rows,
        accepted: report.accepted,
        quarantined: report.quarantined,
        duplicates: report.duplicates,
        part: stored.file_name().map(|n| n.to_string_lossy().into_owned()),
        time: chrono::Utc::now().to_rfc3339(),
    };
    catalog.record(&entry)?;
    report.stored = Some(stored);
    Ok(report)
}
