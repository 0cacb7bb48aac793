//! Where validated rows go: good rows, desensitised, into Parquet row groups of bounded size;
//! bad rows into an in-memory quarantine table that says which file, line and field and why.

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::{Date32Builder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field as ArrowField, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::cells::{Value, arrow_type, parse};
use super::desensitise::mask;
use super::{Desensitiser, IngestError, IngestReport, UnknownFields};
use crate::schema::{Kind, Pii, Source};

/// Rows per Parquet row group (and per in-memory batch): memory stays bounded by this,
/// not by the size of the file.
pub(crate) const BATCH_ROWS: usize = 65_536;

/// Rows per data page at most.
const PAGE_ROWS: usize = 4_096;

/// Largest dictionary page of a column chunk.
const DICTIONARY_BYTES: usize = 64 * 1024;

/// Enterprises a row group's bloom filter is sized for (about 6 KB at a 5% false-positive
/// rate); a group with more still answers correctly, with more false positives.
const USCCS_PER_GROUP: u64 = 8_192;

/// Longest value shown in a quarantine line: enough to recognise it, never a whole blob.
const SHOWN_CHARS: usize = 80;

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

/// What a row must satisfy beyond its source's schema.
pub(crate) struct Rules<'s> {
    /// Rows must be about this enterprise (an upload for one enterprise).
    pub enterprise: Option<&'s str>,
    /// What to do with a row that has values in fields the source does not have.
    pub unknown: UnknownFields,
}

/// Validates rows and accumulates the good ones into Parquet, the bad ones into quarantine.
pub(crate) struct Sink<'s> {
    source: &'s Source,
    desensitiser: &'s Desensitiser,
    rules: Rules<'s>,
    file_name: String,
    builders: Vec<Builder>,
    pending: usize,
    schema: Arc<Schema>,
    writer: ArrowWriter<File>,
    temp: PathBuf,
    quarantine: csv::Writer<Vec<u8>>,
    key_positions: Vec<usize>,
    uscc_position: Option<usize>,
    seen: HashSet<Vec<u8>, foldhash::fast::RandomState>,
    pub(crate) report: IngestReport,
    masked: String,
}

impl<'s> Sink<'s> {
    pub(crate) fn new(
        source: &'s Source,
        desensitiser: &'s Desensitiser,
        rules: Rules<'s>,
        file_name: String,
        temp: PathBuf,
    ) -> Result<Sink<'s>, IngestError> {
        let schema = Arc::new(Schema::new(
            source
                .fields
                .iter()
                .map(|f| ArrowField::new(f.name, arrow_type(f.kind), true))
                .collect::<Vec<_>>(),
        ));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(BATCH_ROWS))
            // One enterprise's rows are found without reading every row group: rescoring
            // after an upload reads only the groups whose filter admits the enterprise.
            .set_column_bloom_filter_enabled(ColumnPath::from("uscc"), true)
            .set_column_bloom_filter_max_ndv(ColumnPath::from("uscc"), USCCS_PER_GROUP)
            // Small pages: with the page index, reading one enterprise's rows decompresses
            // the pages that hold them, not the whole row group.
            .set_data_page_row_count_limit(PAGE_ROWS)
            // A small dictionary: a column of identifiers falls back to plain pages early
            // instead of every read of a page decoding a megabyte of dictionary first.
            .set_dictionary_page_size_limit(DICTIONARY_BYTES)
            .build();
        let parquet = |e: &dyn std::fmt::Display| IngestError::Parquet {
            path: temp.clone(),
            reason: e.to_string(),
        };
        let file = File::create(&temp).map_err(|source| IngestError::Io {
            path: temp.clone(),
            source,
        })?;
        let writer =
            ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| parquet(&e))?;
        let mut quarantine = csv::Writer::from_writer(Vec::new());
        quarantine
            .write_record(["file", "line", "field", "value", "reason"])
            .expect("in memory");
        let position = |name: &str| source.fields.iter().position(|f| f.name == name);
        Ok(Sink {
            source,
            desensitiser,
            rules,
            file_name,
            builders: source.fields.iter().map(|f| Builder::new(f.kind)).collect(),
            pending: 0,
            schema,
            writer,
            temp,
            quarantine,
            key_positions: source
                .key
                .iter()
                .map(|k| position(k).expect("a key is a field"))
                .collect(),
            uscc_position: source
                .fields
                .iter()
                .position(|f| f.name == "uscc" && f.kind == Kind::Uscc),
            seen: HashSet::with_hasher(foldhash::fast::RandomState::default()),
            report: IngestReport::default(),
            masked: String::new(),
        })
    }

    pub(crate) fn source(&self) -> &'s Source {
        self.source
    }

    /// Records a row that could not be read at all.
    pub(crate) fn unreadable(&mut self, line: u64, reason: &str) {
        self.report.rows += 1;
        self.reject(line, "", "", reason);
    }

    fn reject(&mut self, line: u64, field: &str, value: &str, reason: &str) {
        let value: String = value.chars().take(SHOWN_CHARS).collect();
        self.quarantine
            .write_record([
                self.file_name.as_str(),
                &line.to_string(),
                field,
                &value,
                reason,
            ])
            .expect("in memory");
        self.report.quarantined += 1;
    }

    /// One row: `cell(i)` is the raw text of source field `i` (empty when absent); `extra`
    /// names the fields of the row that the source does not have and that hold a value.
    pub(crate) fn row<'r>(
        &mut self,
        line: u64,
        cell: impl Fn(usize) -> &'r str,
        extra: &[&str],
    ) -> Result<(), IngestError> {
        self.report.rows += 1;
        let source = self.source;
        if !extra.is_empty() {
            self.report.rows_with_unknown += 1;
            if self.rules.unknown == UnknownFields::Quarantine {
                let reason = format!(
                    "has a value in {}, which source {} does not have",
                    extra.join(", "),
                    source.name
                );
                self.reject(line, extra[0], "", &reason);
                return Ok(());
            }
        }
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
                        mask(raw)
                    };
                    self.reject(line, field.name, &shown, &reason);
                    return Ok(());
                }
            }
        }
        if let (Some(expected), Some(at)) = (self.rules.enterprise, self.uscc_position)
            && let Value::Text(found) = values[at]
            && found != expected
        {
            let reason = format!("row is for enterprise {found}; this upload is for {expected}");
            self.reject(line, "uscc", found, &reason);
            self.report.other_enterprise += 1;
            return Ok(());
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

    /// Writes the rows held in memory as a row group.
    pub(crate) fn flush(&mut self) -> Result<(), IngestError> {
        if self.pending == 0 {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let parquet = |e: &dyn std::fmt::Display| IngestError::Parquet {
            path: self.temp.clone(),
            reason: e.to_string(),
        };
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| parquet(&e))?;
        let batch = match self.uscc_position {
            Some(at) => by_enterprise(&batch, at).map_err(|e| parquet(&e))?,
            None => batch,
        };
        self.writer.write(&batch).map_err(|e| parquet(&e))?;
        self.pending = 0;
        Ok(())
    }

    /// Closes the Parquet file (synced) and hands back the report and the quarantine table.
    pub(crate) fn finish(mut self) -> Result<(IngestReport, Vec<u8>), IngestError> {
        self.flush()?;
        let temp = self.temp.clone();
        let file = self.writer.into_inner().map_err(|e| IngestError::Parquet {
            path: temp.clone(),
            reason: e.to_string(),
        })?;
        file.sync_all()
            .map_err(|source| IngestError::Io { path: temp, source })?;
        Ok((
            self.report,
            self.quarantine.into_inner().expect("in memory"),
        ))
    }
}

/// The batch's rows ordered by enterprise, each enterprise's rows in the file's order, so
/// that the page index's minimum and maximum `uscc` of each page narrow one enterprise's rows
/// down to a page or two of its row group. Source files usually hold an enterprise's rows
/// together: the runs of one enterprise are ordered, not the rows (a stable sort of runs is a
/// stable sort of rows), and a batch already in order is written as it is.
fn by_enterprise(
    batch: &RecordBatch,
    uscc: usize,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let Some(ids) = batch
        .column(uscc)
        .as_any()
        .downcast_ref::<arrow_array::StringArray>()
    else {
        return Ok(batch.clone());
    };
    let id = |i: usize| ids.is_valid(i).then(|| ids.value(i));
    // (enterprise, first row, rows) of each run of rows about one enterprise.
    let mut runs: Vec<(Option<&str>, u32, u32)> = Vec::new();
    for i in 0..batch.num_rows() {
        match runs.last_mut() {
            Some((key, _, len)) if *key == id(i) => *len += 1,
            _ => runs.push((id(i), i as u32, 1)),
        }
    }
    if runs.windows(2).all(|w| w[0].0 <= w[1].0) {
        return Ok(batch.clone());
    }
    runs.sort_by_key(|run| run.0);
    let order: arrow_array::UInt32Array = runs
        .iter()
        .flat_map(|&(_, first, len)| first..first + len)
        .collect();
    arrow_select::take::take_record_batch(batch, &order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, StringArray};

    fn batch(ids: &[Option<&str>]) -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "uscc",
                Arc::new(StringArray::from(ids.to_vec())) as ArrayRef,
            ),
            (
                "line",
                Arc::new(Int64Array::from_iter_values(0..ids.len() as i64)) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    fn lines(batch: &RecordBatch) -> Vec<i64> {
        let lines = batch
            .column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        lines.values().to_vec()
    }

    #[test]
    fn rows_are_ordered_by_enterprise_each_keeping_the_files_order() {
        let rows = batch(&[
            Some("B"),
            Some("B"),
            Some("A"),
            None,
            Some("C"),
            Some("A"),
            Some("B"),
        ]);
        let ordered = by_enterprise(&rows, 0).unwrap();
        // Rows without an enterprise first, then A's, B's and C's rows, each in file order.
        assert_eq!(lines(&ordered), [3, 2, 5, 0, 1, 6, 4]);
        // Already in order: written as it is.
        let sorted = batch(&[Some("A"), Some("A"), Some("B")]);
        assert_eq!(lines(&by_enterprise(&sorted, 0).unwrap()), [0, 1, 2]);
    }
}
