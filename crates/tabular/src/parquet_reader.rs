//! Parquet through Arrow: numeric types become `f64`, string types become text codes.

use crate::table::{CellPolicy, ColumnData, ColumnKind, TextBuilder, check_header};
use crate::{Column, ReadError, ReadOptions, Table};
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;

pub(crate) fn read(path: &Path, options: &ReadOptions) -> Result<Table, ReadError> {
    crate::guard::contain_panics(
        || read_unguarded(path, options),
        |message| ReadError::Parquet {
            path: path.into(),
            message,
        },
    )
}

fn read_unguarded(path: &Path, options: &ReadOptions) -> Result<Table, ReadError> {
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    let pq = |e: &dyn std::fmt::Display| ReadError::Parquet {
        path: path.into(),
        message: e.to_string(),
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| pq(&e))?;
    let schema = builder.schema().clone();
    let names: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().trim().to_string())
        .collect();
    check_header(path, &names)?;
    let picked: Vec<usize> = (0..names.len())
        .filter(|&i| options.keeps(&names[i]))
        .collect();
    let kinds: Vec<ColumnKind> = picked
        .iter()
        .map(|&i| {
            let f = &schema.fields()[i];
            kind_of(path, f.name(), f.data_type(), options)
        })
        .collect::<Result<_, _>>()?;
    let names: Vec<String> = picked.iter().map(|&i| names[i].clone()).collect();
    let mask =
        parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), picked.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(65_536)
        .build()
        .map_err(|e| pq(&e))?;

    let mut builders: Vec<(Vec<f64>, TextBuilder, usize)> = kinds
        .iter()
        .map(|_| (Vec::new(), TextBuilder::default(), 0))
        .collect();
    let mut n_rows = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| pq(&e))?;
        for (j, kind) in kinds.iter().enumerate() {
            let col = batch.column(j);
            let (nums, text, replaced) = &mut builders[j];
            match kind {
                ColumnKind::Numeric => {
                    let arr = cast(path, &names[j], col, &DataType::Float64)?;
                    let arr = arr.as_primitive::<Float64Type>();
                    for i in 0..arr.len() {
                        let v = if arr.is_null(i) {
                            f64::NAN
                        } else {
                            arr.value(i)
                        };
                        if !v.is_finite() && !arr.is_null(i) {
                            if options.non_finite == CellPolicy::Error {
                                return Err(ReadError::NonFinite {
                                    path: path.into(),
                                    line: (n_rows + i + 1) as u64,
                                    column: names[j].clone(),
                                    value: v.to_string(),
                                });
                            }
                            *replaced += 1;
                            nums.push(f64::NAN);
                        } else {
                            nums.push(v);
                        }
                    }
                }
                ColumnKind::Text => {
                    let arr = cast(path, &names[j], col, &DataType::Utf8)?;
                    let arr = arr.as_string::<i32>();
                    for i in 0..arr.len() {
                        let v = arr.is_valid(i).then(|| arr.value(i).trim());
                        text.push(v.filter(|s| !crate::table::is_missing_token(s)));
                    }
                }
            }
        }
        n_rows += batch.num_rows();
    }
    if n_rows == 0 {
        return Err(ReadError::Empty {
            path: path.into(),
            what: "the file has a schema but no rows",
        });
    }
    let mut notes = Vec::new();
    let columns = names
        .into_iter()
        .zip(kinds)
        .zip(builders)
        .map(|((name, kind), (nums, text, replaced))| {
            if replaced > 0 {
                notes.push(format!(
                    "column '{name}': {replaced} non-finite value(s) read as missing"
                ));
            }
            let data = match kind {
                ColumnKind::Numeric => ColumnData::Numeric(nums),
                ColumnKind::Text => text.finish(),
            };
            Column { name, data }
        })
        .collect();
    Ok(Table {
        source: path.into(),
        columns,
        n_rows,
        notes,
    })
}

fn kind_of(
    path: &Path,
    name: &str,
    dt: &DataType,
    options: &ReadOptions,
) -> Result<ColumnKind, ReadError> {
    let natural = match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(ColumnKind::Text),
        DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) => {
            Some(ColumnKind::Text)
        }
        d if d.is_numeric() || *d == DataType::Boolean => Some(ColumnKind::Numeric),
        _ => None,
    };
    match (options.declared(name), natural) {
        (Some(k), _) => Ok(k),
        (None, Some(k)) => Ok(k),
        (None, None) => Err(ReadError::UnsupportedType {
            path: path.into(),
            column: name.into(),
            data_type: dt.to_string(),
        }),
    }
}

fn cast(path: &Path, name: &str, col: &ArrayRef, to: &DataType) -> Result<ArrayRef, ReadError> {
    let options = arrow_cast::CastOptions {
        safe: false,
        ..Default::default()
    };
    arrow_cast::cast_with_options(col, to, &options).map_err(|e| ReadError::NonNumeric {
        path: path.into(),
        line: 0,
        column: name.into(),
        value: format!("cannot convert {} to {to}: {e}", col.data_type()),
    })
}
