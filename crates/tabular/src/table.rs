//! The in-memory table and the options that shape how cells are read.

use crate::ReadError;
use std::collections::HashMap;
use std::path::PathBuf;

/// Code of a missing cell in a text column.
pub use xinrong_core::MISSING_CODE;

/// A column's values, stored contiguously for fast column scans.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numbers; `NaN` marks a missing cell.
    Numeric(Vec<f64>),
    /// Text as codes into `levels`; [`MISSING_CODE`] marks a missing cell.
    Text {
        /// One code per row.
        codes: Vec<u32>,
        /// Distinct values in order of first appearance.
        levels: Vec<String>,
    },
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name as written in the file (trimmed).
    pub name: String,
    /// Values.
    pub data: ColumnData,
}

/// The kind a column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Read as numbers.
    Numeric,
    /// Read as text categories.
    Text,
}

/// What to do with a cell that cannot be read as the column's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellPolicy {
    /// Stop with an error naming file, line and column (the default: nothing is hidden).
    #[default]
    Error,
    /// Read the cell as missing and count it in the table's notes.
    Missing,
}

/// How to read a table.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Text in a numeric column.
    pub non_numeric: CellPolicy,
    /// NaN or infinities in a numeric column.
    pub non_finite: CellPolicy,
    /// Columns to read as text whatever they look like (e.g. codes such as "01").
    pub text_columns: Vec<String>,
    /// Columns to read as numbers whatever they look like.
    pub numeric_columns: Vec<String>,
    /// Columns that must be present; all absent ones are listed in one error.
    pub required: Vec<String>,
    /// Read only these columns (others are skipped, not parsed); `None` reads all.
    pub select: Option<Vec<String>>,
}

impl ReadOptions {
    /// True when column `name` is to be read.
    pub(crate) fn keeps(&self, name: &str) -> bool {
        self.select
            .as_ref()
            .is_none_or(|s| s.iter().any(|c| c == name))
    }

    /// The kind the caller declared for `name`, if any.
    pub(crate) fn declared(&self, name: &str) -> Option<ColumnKind> {
        if self.text_columns.iter().any(|c| c == name) {
            Some(ColumnKind::Text)
        } else if self.numeric_columns.iter().any(|c| c == name) {
            Some(ColumnKind::Numeric)
        } else {
            None
        }
    }
}

/// A table read from one file.
#[derive(Debug, Clone)]
pub struct Table {
    /// Where it came from.
    pub source: PathBuf,
    /// Columns in file order.
    pub columns: Vec<Column>,
    /// Number of data rows.
    pub n_rows: usize,
    /// Things the reader did that the user should know (cells read as missing, encoding).
    pub notes: Vec<String>,
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Index of the column called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Appends the rows of `other`, a table of the same columns read with the same kinds
    /// (read it with this table's kinds as `text_columns` / `numeric_columns`): pooling, for
    /// example, development samples taken at several observation dates. Columns are matched
    /// by name; text codes are mapped onto this table's levels, new values added.
    pub fn append(&mut self, other: Table) -> Result<(), ReadError> {
        let absent = |from: &Table, of: &Table| -> Vec<String> {
            of.columns
                .iter()
                .filter(|c| from.column(&c.name).is_none())
                .map(|c| c.name.clone())
                .collect()
        };
        let (missing, extra) = (absent(&other, self), absent(self, &other));
        if !missing.is_empty() || !extra.is_empty() {
            return Err(ReadError::ColumnsDiffer {
                path: other.source,
                first: self.source.clone(),
                missing,
                extra,
            });
        }
        let Table {
            source,
            mut columns,
            n_rows,
            notes,
        } = other;
        let mut incoming = Vec::with_capacity(self.columns.len());
        for col in &self.columns {
            let at = columns
                .iter()
                .position(|c| c.name == col.name)
                .expect("checked above");
            let data = std::mem::replace(&mut columns[at].data, ColumnData::Numeric(Vec::new()));
            if matches!(col.data, ColumnData::Numeric(_)) != matches!(data, ColumnData::Numeric(_))
            {
                return Err(ReadError::KindDiffers {
                    path: source,
                    first: self.source.clone(),
                    column: col.name.clone(),
                });
            }
            incoming.push(data);
        }
        for (col, data) in self.columns.iter_mut().zip(incoming) {
            match (&mut col.data, data) {
                (ColumnData::Numeric(a), ColumnData::Numeric(b)) => a.extend(b),
                (
                    ColumnData::Text { codes, levels },
                    ColumnData::Text {
                        codes: more,
                        levels: theirs,
                    },
                ) => {
                    let mut index: HashMap<String, u32> = levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.clone(), i as u32))
                        .collect();
                    let map: Vec<u32> = theirs
                        .into_iter()
                        .map(|l| {
                            *index.entry(l.clone()).or_insert_with(|| {
                                levels.push(l);
                                (levels.len() - 1) as u32
                            })
                        })
                        .collect();
                    codes.extend(more.into_iter().map(|c| {
                        if c == MISSING_CODE {
                            MISSING_CODE
                        } else {
                            map[c as usize]
                        }
                    }));
                }
                _ => unreachable!("kinds checked above"),
            }
        }
        self.n_rows += n_rows;
        self.notes.extend(notes);
        Ok(())
    }

    pub(crate) fn check_required(&self, options: &ReadOptions) -> Result<(), ReadError> {
        let missing: Vec<String> = options
            .required
            .iter()
            .filter(|r| self.column(r).is_none())
            .cloned()
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ReadError::MissingColumns {
                path: self.source.clone(),
                columns: missing,
            })
        }
    }
}

/// Checks header names: none blank, none repeated.
pub(crate) fn check_header(path: &std::path::Path, names: &[String]) -> Result<(), ReadError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err(ReadError::EmptyColumnName {
                path: path.to_path_buf(),
                position: i + 1,
            });
        }
        if let Some(first) = seen.insert(n.as_str(), i + 1) {
            return Err(ReadError::DuplicateColumn {
                path: path.to_path_buf(),
                name: n.clone(),
                first,
                second: i + 1,
            });
        }
    }
    Ok(())
}

/// Builds a text column by interning values.
#[derive(Default)]
pub(crate) struct TextBuilder {
    codes: Vec<u32>,
    levels: Vec<String>,
    index: HashMap<String, u32>,
}

impl TextBuilder {
    pub(crate) fn push(&mut self, value: Option<&str>) {
        let code = match value {
            None => MISSING_CODE,
            Some(v) => match self.index.get(v) {
                Some(&c) => c,
                None => {
                    let c = self.levels.len() as u32;
                    self.levels.push(v.to_string());
                    self.index.insert(v.to_string(), c);
                    c
                }
            },
        };
        self.codes.push(code);
    }

    /// Appends a builder of later rows, mapping its codes into this dictionary; levels keep
    /// their order of first appearance over the whole column.
    pub(crate) fn append(&mut self, other: TextBuilder) {
        let remap: Vec<u32> = other
            .levels
            .into_iter()
            .map(|l| match self.index.get(&l) {
                Some(&c) => c,
                None => {
                    let c = self.levels.len() as u32;
                    self.index.insert(l.clone(), c);
                    self.levels.push(l);
                    c
                }
            })
            .collect();
        self.codes.extend(other.codes.into_iter().map(|c| {
            if c == MISSING_CODE {
                c
            } else {
                remap[c as usize]
            }
        }));
    }

    pub(crate) fn finish(self) -> ColumnData {
        ColumnData::Text {
            codes: self.codes,
            levels: self.levels,
        }
    }
}

/// Cells that mean "no value" in the files analysts exchange.
pub(crate) fn is_missing_token(s: &str) -> bool {
    matches!(s, "" | "NA" | "N/A" | "NULL" | "null" | "None" | "#N/A")
}

/// Outcome of reading one numeric cell.
pub(crate) enum NumCell {
    Value(f64),
    Missing,
    NonFinite,
    NotANumber,
}

pub(crate) fn parse_num(s: &str) -> NumCell {
    if is_missing_token(s) {
        return NumCell::Missing;
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => NumCell::Value(v),
        Ok(_) => NumCell::NonFinite,
        Err(_) => NumCell::NotANumber,
    }
}
