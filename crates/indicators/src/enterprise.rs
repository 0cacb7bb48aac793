//! One enterprise's rows of every source, read straight from the store's Parquet files, so
//! that its indicators can be recomputed after an upload in milliseconds instead of scanning
//! the whole store.
//!
//! The store's files keep a bloom filter of `uscc` in every row group, so a read opens each
//! file's footer (parsed once and kept while the file is unchanged), asks each row group's
//! filter whether the enterprise may be there, and decodes only the groups that say yes,
//! keeping the rows whose `uscc` matches.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, Date32Array, RecordBatch, StringArray, new_null_array};
use datafusion::arrow::compute::kernels::cmp::eq;
use datafusion::arrow::compute::{cast, max};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    RowFilter, RowSelection, RowSelector,
};
use datafusion::parquet::bloom_filter::Sbbf;
use datafusion::parquet::file::metadata::PageIndexPolicy;
use datafusion::parquet::file::page_index::column_index::ColumnIndexMetaData;

use crate::error::IndicatorError;
use crate::runner::source_schema;

/// One source's rows of an enterprise, in the source's schema (every field nullable).
pub(crate) type SourceRows = (
    &'static xinrong_sources::Source,
    SchemaRef,
    Vec<RecordBatch>,
);

/// One enterprise's rows of every source.
#[derive(Debug, Clone)]
pub struct EnterpriseData {
    /// The enterprise (its USCC as stored).
    pub uscc: String,
    pub(crate) tables: Vec<SourceRows>,
}

impl EnterpriseData {
    /// Reads the enterprise's rows of every source; [`StoreReader::read`] on a reader kept
    /// open is faster when many enterprises are read.
    pub fn read(store: &Path, uscc: &str) -> Result<EnterpriseData, IndicatorError> {
        StoreReader::open(store).read(uscc)
    }

    /// Rows held, all sources together.
    pub fn rows(&self) -> usize {
        self.tables
            .iter()
            .flat_map(|(_, _, b)| b.iter().map(RecordBatch::num_rows))
            .sum()
    }

    /// The newest date among the enterprise's rows of `source` (by the source's date field).
    pub fn newest(&self, source: &str) -> Option<NaiveDate> {
        let (src, _, batches) = self.tables.iter().find(|(s, _, _)| s.name == source)?;
        let newest = batches
            .iter()
            .filter_map(|b| {
                let column = b.column_by_name(src.date_field)?;
                max(column.as_any().downcast_ref::<Date32Array>()?)
            })
            .max()?;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        epoch.checked_add_signed(chrono::Duration::days(i64::from(newest)))
    }
}

/// The store opened for reading one enterprise at a time. Footers are kept between reads;
/// each source's files are listed afresh on every read, so the part file written by the last
/// upload is read by the next.
#[derive(Debug)]
pub struct StoreReader {
    store: PathBuf,
    footers: Mutex<HashMap<PathBuf, Arc<Footer>>>,
}

impl StoreReader {
    /// Opens `store` (nothing is read until [`StoreReader::read`]).
    pub fn open(store: &Path) -> StoreReader {
        StoreReader {
            store: store.to_path_buf(),
            footers: Mutex::new(HashMap::new()),
        }
    }

    /// The store this reads.
    pub fn store(&self) -> &Path {
        &self.store
    }

    /// Reads the enterprise's rows of every source, half of the sources on a second thread
    /// (blocking file reads: call it from a blocking task in async code).
    pub fn read(&self, uscc: &str) -> Result<EnterpriseData, IndicatorError> {
        let sources = xinrong_sources::SOURCES;
        let read_every_other = |first: usize| -> Result<Vec<SourceRows>, IndicatorError> {
            sources
                .iter()
                .skip(first)
                .step_by(2)
                .map(|source| self.read_source(source, uscc))
                .collect()
        };
        let (even, odd) = std::thread::scope(|scope| {
            let even = scope.spawn(|| read_every_other(0));
            let odd = read_every_other(1);
            (even.join(), odd)
        });
        let even = even.map_err(|_| {
            IndicatorError::Store(format!("reading {uscc}: a reading thread panicked"))
        })??;
        let mut odd = odd?.into_iter();
        let mut tables = Vec::with_capacity(sources.len());
        for table in even {
            tables.push(table);
            tables.extend(odd.next());
        }
        Ok(EnterpriseData {
            uscc: uscc.to_string(),
            tables,
        })
    }

    fn read_source(
        &self,
        source: &'static xinrong_sources::Source,
        uscc: &str,
    ) -> Result<SourceRows, IndicatorError> {
        let schema = nullable(&source_schema(source));
        let dir = self.store.join(source.name);
        let mut files = Vec::new();
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.extension().is_some_and(|x| x == "parquet") {
                        let stat = entry.metadata().map_err(|e| store_error(&path, e))?;
                        files.push((path, Stamp(stat.len(), stat.modified().ok())));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(store_error(&dir, e)),
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut batches = Vec::new();
        for (path, stamp) in files {
            batches.extend(self.read_file(&path, stamp, &schema, uscc)?);
        }
        Ok((source, schema, batches))
    }

    /// The enterprise's rows of one file, in `schema`. The file is opened only when one of
    /// its row groups may hold the enterprise.
    fn read_file(
        &self,
        path: &Path,
        stamp: Stamp,
        schema: &SchemaRef,
        uscc: &str,
    ) -> Result<Vec<RecordBatch>, IndicatorError> {
        let fail = |e: &dyn std::fmt::Display| store_error(path, e);
        let footer = self.footer(path, stamp)?;
        let (groups, selection) = footer.rows_of(uscc);
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let file = File::open(path).map_err(|e| fail(&e))?;
        let builder =
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, footer.metadata.clone());
        let wanted = StringArray::new_scalar(uscc);
        let mask = ProjectionMask::leaves(builder.parquet_schema(), [footer.column]);
        let matches = ArrowPredicateFn::new(mask, move |batch| {
            eq(&cast(batch.column(0), &DataType::Utf8)?, &wanted)
        });
        let reader = builder
            .with_row_groups(groups)
            .with_row_selection(selection)
            .with_row_filter(RowFilter::new(vec![Box::new(matches)]))
            .build()
            .map_err(|e| fail(&e))?;
        reader
            .map(|batch| {
                let batch = batch.map_err(|e| fail(&e))?;
                conform(&batch, schema).map_err(|e| fail(&e))
            })
            .filter(|b| b.as_ref().map_or(true, |b| b.num_rows() > 0))
            .collect()
    }

    /// The file's footer and `uscc` bloom filters, read once while the file keeps its length
    /// and modification time.
    fn footer(&self, path: &Path, stamp: Stamp) -> Result<Arc<Footer>, IndicatorError> {
        if let Some(footer) = self
            .footers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
            .filter(|f| f.stamp == stamp)
        {
            return Ok(Arc::clone(footer));
        }
        let footer = Arc::new(Footer::load(path, stamp)?);
        self.footers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_path_buf(), Arc::clone(&footer));
        Ok(footer)
    }
}

/// A file's length and modification time: a footer read earlier is valid while both hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp(u64, Option<SystemTime>);

/// What is kept of a file between reads: its parsed footer (with the page index) and each
/// row group's bloom filter of `uscc`.
struct Footer {
    stamp: Stamp,
    metadata: ArrowReaderMetadata,
    /// The leaf column of `uscc`.
    column: usize,
    blooms: Vec<Option<Sbbf>>,
}

impl std::fmt::Debug for Footer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Footer")
            .field("stamp", &self.stamp)
            .finish()
    }
}

impl Footer {
    fn load(path: &Path, stamp: Stamp) -> Result<Footer, IndicatorError> {
        let fail = |e: &dyn std::fmt::Display| store_error(path, e);
        let file = File::open(path).map_err(|e| fail(&e))?;
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
        let metadata = ArrowReaderMetadata::load(&file, options).map_err(|e| fail(&e))?;
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone());
        let Some(column) = builder
            .parquet_schema()
            .columns()
            .iter()
            .position(|c| c.path().string() == "uscc")
        else {
            return Err(fail(&"the file has no uscc column"));
        };
        let blooms = (0..builder.metadata().num_row_groups())
            .map(|g| builder.get_row_group_column_bloom_filter(g, column))
            .collect::<Result<_, _>>()
            .map_err(|e| fail(&e))?;
        Ok(Footer {
            stamp,
            metadata,
            column,
            blooms,
        })
    }

    /// The row groups that may hold `uscc` (by their statistics and bloom filters) and,
    /// within them, the rows of the pages that may (by the page index's minimum and maximum):
    /// the store is written enterprise by enterprise, so those are a page or two a group.
    fn rows_of(&self, uscc: &str) -> (Vec<usize>, RowSelection) {
        let parquet = self.metadata.metadata();
        let wanted = uscc.as_bytes();
        let within = |min: Option<&[u8]>, max: Option<&[u8]>| {
            min.is_none_or(|m| m <= wanted) && max.is_none_or(|m| wanted <= m)
        };
        let mut groups = Vec::new();
        let mut selectors = Vec::new();
        for (g, group) in parquet.row_groups().iter().enumerate() {
            let stats = group.column(self.column).statistics();
            let in_range = stats.is_none_or(|s| within(s.min_bytes_opt(), s.max_bytes_opt()));
            let admitted = self.blooms[g].as_ref().is_none_or(|b| b.check(uscc));
            if !(in_range && admitted) {
                continue;
            }
            groups.push(g);
            let rows = group.num_rows() as usize;
            let pages = parquet
                .offset_index()
                .map(|o| o[g][self.column].page_locations());
            let index = parquet.column_index().map(|c| &c[g][self.column]);
            match (pages, index) {
                (Some(pages), Some(ColumnIndexMetaData::BYTE_ARRAY(index))) => {
                    for (p, page) in pages.iter().enumerate() {
                        let first = page.first_row_index as usize;
                        let end = pages
                            .get(p + 1)
                            .map_or(rows, |n| n.first_row_index as usize);
                        let keep = !index.is_null_page(p)
                            && within(index.min_value(p), index.max_value(p));
                        selectors.push(if keep {
                            RowSelector::select(end - first)
                        } else {
                            RowSelector::skip(end - first)
                        });
                    }
                }
                _ => selectors.push(RowSelector::select(rows)),
            }
        }
        (groups, RowSelection::from(selectors))
    }
}

fn store_error(path: &Path, e: impl std::fmt::Display) -> IndicatorError {
    IndicatorError::Store(format!("{}: {e}", path.display()))
}

/// A schema with every field nullable (rows of any file of the source fit it).
pub(crate) fn nullable(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ))
}

/// A file's rows in the source's schema: a field the file was written without (the schema
/// has gained it since, or a provider never sent it) reads as nulls.
fn conform(
    batch: &RecordBatch,
    schema: &SchemaRef,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) => cast(column, field.data_type()),
            None => Ok(new_null_array(field.data_type(), batch.num_rows())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::clone(schema), columns)
}
