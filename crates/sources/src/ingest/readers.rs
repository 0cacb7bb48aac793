//! The three ways source rows arrive: delimited text (UTF-8 streamed, GBK decoded first),
//! JSON Lines and Parquet. Each maps the file's columns onto the source's fields by English
//! name or Chinese meaning, lists the columns the source does not have, and feeds every row
//! to the sink: nothing is skipped without a quarantine line.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use arrow_schema::DataType;
use xinrong_tabular::sniff;

use super::sink::{BATCH_ROWS, Sink};
use super::{IngestError, MAX_LISTED};
use crate::schema::Source;

/// Where each source field sits in the file, and the file's columns that are not fields.
struct Columns {
    position: Vec<Option<usize>>,
    unknown: Vec<(usize, String)>,
}

/// Shown form of a name the file supplied: escaped, and cut to a readable length.
pub(crate) fn shown(name: &str) -> String {
    let cut: String = name.chars().take(40).collect();
    let escaped = cut.escape_debug().to_string();
    if name.chars().count() > 40 {
        format!("{escaped}…")
    } else {
        escaped
    }
}

/// Columns of the source found in a header, by English name or Chinese meaning.
fn map_header(source: &Source, header: &[String], file: &str) -> Result<Columns, IngestError> {
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
        let mut found: Vec<String> = header.iter().take(MAX_LISTED).map(|h| shown(h)).collect();
        if header.len() > MAX_LISTED {
            found.push(format!("… {} more", header.len() - MAX_LISTED));
        }
        return Err(IngestError::MissingFields {
            file: file.to_string(),
            source_name: source.name.to_string(),
            missing: missing.join(", "),
            header: found.join(","),
        });
    }
    let unknown = header
        .iter()
        .enumerate()
        .filter(|(k, h)| !h.is_empty() && !position.contains(&Some(*k)))
        .map(|(k, h)| (k, h.clone()))
        .collect();
    Ok(Columns { position, unknown })
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

/// Feeds every row of a delimited text file into the sink.
pub(crate) fn read_csv(
    input: &Path,
    file_name: &str,
    sink: &mut Sink<'_>,
) -> Result<BTreeSet<String>, IngestError> {
    let io = |source| IngestError::Io {
        path: input.to_path_buf(),
        source,
    };
    let mut file = File::open(input).map_err(io)?;
    let mut head = vec![0u8; sniff::SAMPLE];
    let n = read_up_to(&mut file, &mut head).map_err(io)?;
    head.truncate(n);
    // UTF-8 streams (a bad byte further on makes its row bad); GB18030 is decoded whole and
    // strictly, so bytes of neither encoding are refused, not replaced.
    let (body, sample): (Box<dyn Read>, Vec<u8>) = match sniff::Encoding::detect(&head) {
        sniff::Encoding::Utf8 { bom } => {
            let sample = head[if bom { 3 } else { 0 }..].to_vec();
            (
                Box::new(std::io::Cursor::new(sample.clone()).chain(file)),
                sample,
            )
        }
        sniff::Encoding::Gb18030 => {
            let mut rest = Vec::new();
            file.read_to_end(&mut rest).map_err(io)?;
            head.extend(rest);
            let text = sniff::decode_gb18030(&head)
                .map_err(|offset| IngestError::Unreadable {
                    file: file_name.to_string(),
                    reason: format!(
                        "byte {offset} is neither UTF-8 nor GBK/GB18030; save the file as UTF-8 or GBK"
                    ),
                })?
                .into_bytes();
            let sample = text[..text.len().min(sniff::SAMPLE)].to_vec();
            (Box::new(std::io::Cursor::new(text)), sample)
        }
    };
    // The csv reader places each record of a CRLF file at the CR that ends the line before.
    let line_shift = u64::from(sniff::crlf(&sample));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff::delimiter(&sample))
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(body);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| IngestError::Unreadable {
            file: file_name.to_string(),
            reason: e.to_string(),
        })?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let columns = map_header(sink.source(), &header, file_name)?;
    // A column the source lacks is reported even when every cell of it is empty.
    let mut seen_unknown: BTreeSet<String> =
        columns.unknown.iter().map(|(_, n)| n.clone()).collect();
    let mut record = csv::ByteRecord::new();
    let mut extra: Vec<&str> = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line()) + line_shift;
                let text: Vec<&str> = record
                    .iter()
                    .map(|c| std::str::from_utf8(c).unwrap_or("\u{fffd}"))
                    .collect();
                extra.clear();
                for (k, name) in &columns.unknown {
                    if text.get(*k).is_some_and(|v| !v.trim().is_empty()) {
                        extra.push(name);
                    }
                }
                if text.len() > header.len()
                    && text[header.len()..].iter().any(|v| !v.trim().is_empty())
                {
                    extra.push("(cells beyond the header)");
                    seen_unknown.insert("(cells beyond the header)".to_string());
                }
                let position = &columns.position;
                sink.row(
                    line,
                    |i| position[i].and_then(|p| text.get(p).copied()).unwrap_or(""),
                    &extra,
                )?;
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line()) + line_shift;
                sink.unreadable(line, &format!("unreadable row: {e}"));
                if !matches!(
                    e.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                ) {
                    break;
                }
            }
        }
    }
    Ok(seen_unknown)
}

/// Feeds every line of a JSON Lines file into the sink.
pub(crate) fn read_jsonl(
    input: &Path,
    sink: &mut Sink<'_>,
) -> Result<BTreeSet<String>, IngestError> {
    let io = |source| IngestError::Io {
        path: input.to_path_buf(),
        source,
    };
    let reader = BufReader::new(File::open(input).map_err(io)?);
    let names: Vec<&str> = sink.source().fields.iter().map(|f| f.name).collect();
    let mut seen_unknown = BTreeSet::new();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(io)?;
        let number = i as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&line) {
            Ok(map) => {
                let cells: Vec<String> = names
                    .iter()
                    .map(|h| match map.get(*h) {
                        None | Some(serde_json::Value::Null) => String::new(),
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                    })
                    .collect();
                let extra: Vec<&str> = map
                    .iter()
                    .filter(|(k, v)| !names.contains(&k.as_str()) && !v.is_null())
                    .map(|(k, _)| k.as_str())
                    .collect();
                for k in &extra {
                    if seen_unknown.len() < MAX_LISTED {
                        seen_unknown.insert(shown(k));
                    }
                }
                sink.row(number, |k| cells[k].as_str(), &extra)?;
            }
            Err(e) => sink.unreadable(number, &format!("not a JSON object: {e}")),
        }
    }
    Ok(seen_unknown)
}

/// Feeds every row of a Parquet file into the sink, columns matched by name (English or
/// Chinese) and read as text, so that the same validation applies as for CSV.
pub(crate) fn read_parquet(
    input: &Path,
    file_name: &str,
    sink: &mut Sink<'_>,
) -> Result<BTreeSet<String>, IngestError> {
    // The Parquet decoder panics on some damaged files: such a file is refused, not a crash.
    xinrong_tabular::contain_panics(
        || read_parquet_unguarded(input, file_name, sink),
        |reason| IngestError::Unreadable {
            file: file_name.to_string(),
            reason,
        },
    )
}

fn read_parquet_unguarded(
    input: &Path,
    file_name: &str,
    sink: &mut Sink<'_>,
) -> Result<BTreeSet<String>, IngestError> {
    use arrow_array::{Array, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let unreadable = |e: &dyn std::fmt::Display| IngestError::Unreadable {
        file: file_name.to_string(),
        reason: e.to_string(),
    };
    let file = File::open(input).map_err(|source| IngestError::Io {
        path: input.to_path_buf(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(&e))?;
    let header: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let columns = map_header(sink.source(), &header, file_name)?;
    let reader = builder
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| unreadable(&e))?;
    let mut line = 0u64;
    let seen_unknown: BTreeSet<String> = columns.unknown.iter().map(|(_, n)| n.clone()).collect();
    let mut extra: Vec<&str> = Vec::new();
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
            extra.clear();
            for (k, name) in &columns.unknown {
                if !text[*k].is_null(r) && !text[*k].value(r).trim().is_empty() {
                    extra.push(name);
                }
            }
            let position = &columns.position;
            sink.row(
                line,
                |i| {
                    position[i]
                        .map(|p| &text[p])
                        .filter(|a| !a.is_null(r))
                        .map_or("", |a| a.value(r))
                },
                &extra,
            )?;
        }
    }
    Ok(seen_unknown)
}
