//! Ingest: every row of a source file is validated against the source's schema; good rows are
//! desensitised and written to the governed store as Parquet, bad rows go to a quarantine
//! file that says which file, line and field and why. Nothing is dropped silently: fields the
//! source does not have are reported (or their rows quarantined, by request), rows about
//! another enterprise than an upload's are quarantined, and ingesting the same file twice
//! changes nothing.
//!
//! The pieces: `cells` checks one value against its field, `desensitise` keeps personal
//! data out, `readers` turns CSV, JSON Lines and Parquet into rows, and `sink` writes
//! Parquet and quarantine.

mod cells;
mod desensitise;
mod readers;
mod sink;

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use cells::arrow_type;
pub use desensitise::{Desensitiser, hmac_key};

use crate::schema::Source;
use sink::{Rules, Sink};

/// Most unknown field names listed in a report or an error.
pub(crate) const MAX_LISTED: usize = 50;

/// An ingest that could not run (as opposed to rows that were quarantined). `file` is the
/// input as named to the person who supplied it (a path on the command line, the upload's
/// name through the API); `path` is a file of the store, which only the operator sees.
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
        "{file}: header lacks required field(s) {missing} of source {source_name} (header: {header})"
    )]
    MissingFields {
        /// The input.
        file: String,
        /// The source.
        source_name: String,
        /// Required fields not found (by English or Chinese name).
        missing: String,
        /// The header found (escaped, and cut short when long).
        header: String,
    },
    /// The file is not CSV, JSON Lines or Parquet that can be read.
    #[error("{file}: {reason}")]
    Unreadable {
        /// The input.
        file: String,
        /// Why.
        reason: String,
    },
    /// The store's catalogue (its own SQLite file) failed: the store's fault, not the input's.
    #[error("store catalogue {path}: {reason}")]
    Store {
        /// The catalogue file.
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

/// What to do with a row that has values in fields its source does not have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownFields {
    /// Keep the row's known fields, and list the unknown ones in the report.
    #[default]
    Report,
    /// Quarantine the row, naming the unknown fields.
    Quarantine,
}

impl std::str::FromStr for UnknownFields {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "report" => Ok(UnknownFields::Report),
            "quarantine" => Ok(UnknownFields::Quarantine),
            other => Err(format!("'{other}' is neither report nor quarantine")),
        }
    }
}

/// The formats a source file may come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Delimited text, UTF-8 or GBK.
    Csv,
    /// One JSON object per line.
    JsonLines,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The format a file name's extension says (delimited text when it says nothing else).
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson") => Format::JsonLines,
            Some("parquet" | "pq") => Format::Parquet,
            _ => Format::Csv,
        }
    }
}

/// One file to ingest, and the rules it must follow beyond its source's schema.
#[derive(Clone, Debug)]
pub struct Ingest<'a> {
    /// The source the rows follow.
    pub source: &'a Source,
    /// The file.
    pub input: &'a Path,
    /// Its format (by default, from the extension).
    pub format: Format,
    /// The name errors and quarantine lines give the input (by default, its path).
    pub name: String,
    /// Who provided it (whose data quality is then tracked).
    pub provider: &'a str,
    /// When set, every row must be about this enterprise (its USCC): an upload for one
    /// enterprise; other rows are quarantined. Re-ingesting the same bytes is recognised per
    /// enterprise.
    pub enterprise: Option<&'a str>,
    /// What to do with values in fields the source does not have.
    pub unknown: UnknownFields,
}

impl<'a> Ingest<'a> {
    /// A file as given on the command line, from an unnamed provider.
    pub fn file(source: &'a Source, input: &'a Path) -> Ingest<'a> {
        Ingest {
            source,
            input,
            format: Format::of(input),
            name: input.display().to_string(),
            provider: "unspecified",
            enterprise: None,
            unknown: UnknownFields::Report,
        }
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
    /// Of the quarantined rows, how many were about another enterprise than the upload's.
    pub other_enterprise: u64,
    /// Fields of the file that the source does not have (at most 50 listed).
    pub unknown_fields: Vec<String>,
    /// Rows that held a value in such a field (kept or quarantined, as asked).
    pub rows_with_unknown: u64,
    /// Whether the file had been ingested before (then nothing was written).
    pub already_ingested: bool,
    /// The Parquet file written.
    pub stored: Option<PathBuf>,
    /// The quarantine file written, if any row was rejected.
    pub quarantine: Option<PathBuf>,
}

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
    /// The enterprise an upload was for (empty for a file of many enterprises).
    #[serde(default)]
    pub scope: String,
    /// Rows read.
    pub rows: u64,
    /// Rows stored.
    pub accepted: u64,
    /// Rows quarantined (duplicates included).
    pub quarantined: u64,
    /// Rows quarantined as duplicates of an earlier key.
    #[serde(default)]
    pub duplicates: u64,
    /// Fields the source does not have, as a JSON array of names (read with [`stored_fields`];
    /// catalogues written before held them comma-separated).
    #[serde(default)]
    pub unknown_fields: String,
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

/// SHA-256 of a file's bytes, in hex.
pub fn file_sha256(path: &Path) -> Result<String, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut hasher = Sha256::new();
    let mut file = fs::File::open(path).map_err(io)?;
    std::io::copy(&mut file, &mut hasher).map_err(io)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Ingests `input` as `source` into the store directory, from an unnamed provider.
pub fn ingest(
    source: &Source,
    input: &Path,
    store: &Path,
    desensitiser: &Desensitiser,
) -> Result<IngestReport, IngestError> {
    ingest_with(&Ingest::file(source, input), store, desensitiser)
}

/// Ingests one file into the store directory.
pub fn ingest_with(
    job: &Ingest<'_>,
    store: &Path,
    desensitiser: &Desensitiser,
) -> Result<IngestReport, IngestError> {
    let source = job.source;
    let (table_dir, quarantine_dir) = store_paths(store, source);
    let digest = file_sha256(job.input)?;
    let scope = job.enterprise.unwrap_or_default();
    // Parts and quarantine files are named by what was ingested: the bytes, and for an
    // upload the enterprise it was for.
    let part_id = if scope.is_empty() {
        digest[..16].to_string()
    } else {
        hex::encode(&Sha256::digest(format!("{scope}\n{digest}"))[..8])
    };
    let catalog = crate::catalog::Catalog::open(store)?;
    if let Some(earlier) = catalog.find(source.name, &digest, scope)? {
        return Ok(IngestReport {
            rows: earlier.rows,
            accepted: earlier.accepted,
            quarantined: earlier.quarantined,
            duplicates: earlier.duplicates,
            unknown_fields: stored_fields(&earlier.unknown_fields),
            already_ingested: true,
            ..IngestReport::default()
        });
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IngestError::Io { path, source }
    };
    fs::create_dir_all(&table_dir).map_err(io(&table_dir))?;
    let stored = table_dir.join(format!("part-{part_id}.parquet"));
    let temp = table_dir.join(format!(".part-{part_id}.tmp"));
    let rules = Rules {
        enterprise: job.enterprise,
        unknown: job.unknown,
    };
    let mut sink = Sink::new(source, desensitiser, rules, job.name.clone(), temp.clone())?;
    let read = match job.format {
        Format::JsonLines => readers::read_jsonl(job.input, &mut sink),
        Format::Parquet => readers::read_parquet(job.input, &job.name, &mut sink),
        Format::Csv => readers::read_csv(job.input, &job.name, &mut sink),
    };
    let finished = read.and_then(|unknown| sink.finish().map(|(r, q)| (unknown, r, q)));
    let (unknown, mut report, quarantine) = match finished {
        Ok(done) => done,
        Err(e) => {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
    };
    report.unknown_fields = unknown.into_iter().take(MAX_LISTED).collect();
    fs::rename(&temp, &stored).map_err(io(&stored))?;
    if report.quarantined > 0 {
        fs::create_dir_all(&quarantine_dir).map_err(io(&quarantine_dir))?;
        let path = quarantine_dir.join(format!("{}-{part_id}.csv", source.name));
        fs::write(&path, quarantine).map_err(io(&path))?;
        report.quarantine = Some(path);
    }
    // The catalogue record is written last: a crash before it leaves a Parquet part that the
    // next ingest of the same file overwrites, never a half-recorded ingest.
    let entry = ManifestEntry {
        source: source.name.to_string(),
        provider: job.provider.to_string(),
        file: job.name.clone(),
        sha256: digest,
        scope: scope.to_string(),
        rows: report.rows,
        accepted: report.accepted,
        quarantined: report.quarantined,
        duplicates: report.duplicates,
        unknown_fields: serde_json::to_string(&report.unknown_fields)
            .expect("a list of strings serialises"),
        part: stored.file_name().map(|n| n.to_string_lossy().into_owned()),
        time: chrono::Utc::now().to_rfc3339(),
    };
    catalog.record(&entry)?;
    report.stored = Some(stored);
    Ok(report)
}

/// The unknown fields a catalogue entry lists: a JSON array (catalogues written before it was
/// one hold the names joined by commas, which no header name of theirs contained).
pub fn stored_fields(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    serde_json::from_str(text).unwrap_or_else(|_| {
        text.split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect()
    })
}
