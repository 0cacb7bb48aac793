//! The one error type of the crate; every variant says where the problem is.

use std::path::PathBuf;

/// Why a table could not be read. Lines are physical 1-based line numbers of the file (the
/// header is line 1); Parquet rows are 1-based data rows.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Neither valid UTF-8 nor valid GBK/GB18030.
    #[error(
        "{path}: the text is neither UTF-8 nor GBK/GB18030 (first bad byte near offset {offset})"
    )]
    Encoding {
        /// File.
        path: PathBuf,
        /// Byte offset of the first undecodable byte.
        offset: usize,
    },
    /// No header, or a header with no data rows.
    #[error("{path}: {what}")]
    Empty {
        /// File.
        path: PathBuf,
        /// What is missing.
        what: &'static str,
    },
    /// Two columns share a name.
    #[error(
        "{path}: column name '{name}' appears twice (columns {first} and {second}); rename one"
    )]
    DuplicateColumn {
        /// File.
        path: PathBuf,
        /// The repeated name.
        name: String,
        /// 1-based position of the first.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// A header cell is blank.
    #[error("{path}: column {position} has an empty name")]
    EmptyColumnName {
        /// File.
        path: PathBuf,
        /// 1-based position.
        position: usize,
    },
    /// A record has the wrong number of fields or is not valid CSV.
    #[error("{path}: line {line}: {message}")]
    Malformed {
        /// File.
        path: PathBuf,
        /// Line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// Text in a column read as numeric.
    #[error(
        "{path}: line {line}, column '{column}': '{value}' is not a number; fix the cell, declare \
         the column as text, or set non_numeric = \"missing\" to read such cells as missing"
    )]
    NonNumeric {
        /// File.
        path: PathBuf,
        /// Line (CSV) or row (Parquet).
        line: u64,
        /// Column name.
        column: String,
        /// The cell as written.
        value: String,
    },
    /// NaN or an infinity in a numeric column.
    #[error(
        "{path}: line {line}, column '{column}': '{value}' is not a finite number; fix the cell or \
         set non_finite = \"missing\" to read such cells as missing"
    )]
    NonFinite {
        /// File.
        path: PathBuf,
        /// Line (CSV) or row (Parquet).
        line: u64,
        /// Column name.
        column: String,
        /// The value as written.
        value: String,
    },
    /// Columns the caller needs are absent.
    #[error("{path}: missing column(s): {}", .columns.join(", "))]
    MissingColumns {
        /// File.
        path: PathBuf,
        /// All the absent names.
        columns: Vec<String>,
    },
    /// A Parquet column type that has no numeric or text meaning here.
    #[error(
        "{path}: column '{column}' has Parquet/Arrow type {data_type}, which is neither numeric nor text"
    )]
    UnsupportedType {
        /// File.
        path: PathBuf,
        /// Column name.
        column: String,
        /// The Arrow type.
        data_type: String,
    },
    /// A file to be stacked under another does not have the same columns.
    #[error(
        "{path}: cannot stack under {first}: {}{}",
        if .missing.is_empty() { String::new() } else { format!("missing column(s) {}", .missing.join(", ")) },
        if .extra.is_empty() { String::new() } else { format!("{}extra column(s) {}", if .missing.is_empty() { "" } else { "; " }, .extra.join(", ")) }
    )]
    ColumnsDiffer {
        /// The file being stacked.
        path: PathBuf,
        /// The file it is stacked under.
        first: PathBuf,
        /// Columns of the first file absent here.
        missing: Vec<String>,
        /// Columns here absent from the first file.
        extra: Vec<String>,
    },
    /// A column to be stacked is numeric in one file and text in the other.
    #[error("{path}: column '{column}' is not of the same kind as in {first}")]
    KindDiffers {
        /// The file being stacked.
        path: PathBuf,
        /// The file it is stacked under.
        first: PathBuf,
        /// Column name.
        column: String,
    },
    /// The Parquet library refused the file.
    #[error("{path}: not a readable Parquet file: {message}")]
    Parquet {
        /// File.
        path: PathBuf,
        /// Library message.
        message: String,
    },
}
