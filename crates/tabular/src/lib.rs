//! One reader for the tables analysts bring: CSV (UTF-8 or GBK, delimiter detected, Chinese
//! headers fine) and Parquet, into typed, column-major storage.
//!
//! Every column comes back either numeric (`f64`, `NaN` = missing) or text (dictionary codes
//! into a level list, [`MISSING_CODE`] = missing). Errors name the file, the line or row, the
//! column and the cause, because the person reading them has to fix a file, not a program.
//!
//! This crate knows nothing of models; the scorecard engine knows nothing of files.
//!
//! ```no_run
//! use xinrong_tabular::{read_table, ReadOptions};
//! let table = read_table("train.csv".as_ref(), &ReadOptions::default()).unwrap();
//! println!("{} rows, {} columns", table.n_rows, table.columns.len());
//! ```
#![deny(missing_docs)]

mod csv_reader;
mod error;
mod guard;
mod parquet_reader;
pub mod sniff;
mod table;

pub use error::ReadError;
pub use guard::contain_panics;
pub use table::{CellPolicy, Column, ColumnData, ColumnKind, MISSING_CODE, ReadOptions, Table};

use std::path::Path;

/// Reads a CSV or Parquet file, chosen by its extension (`.parquet`/`.pq` are Parquet,
/// anything else is read as delimited text).
pub fn read_table(path: &Path, options: &ReadOptions) -> Result<Table, ReadError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let table = if ext == "parquet" || ext == "pq" {
        parquet_reader::read(path, options)?
    } else {
        csv_reader::read(path, options)?
    };
    table.check_required(options)?;
    Ok(table)
}
