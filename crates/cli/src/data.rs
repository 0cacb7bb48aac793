//! Reading input tables and turning their columns into engine views.

use crate::BadInput;
use anyhow::{Context, Result};
use std::path::Path;
use xinrong_scorecard::{FeatureData, FeatureView, target_from_numeric};
use xinrong_tabular::{CellPolicy, ColumnData, ReadOptions, Table, read_table};

/// Cell policies a model config may set under `[input]`.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct InputConfig {
    /// "error" (default) or "missing": text in a numeric column.
    pub non_numeric: Policy,
    /// "error" (default) or "missing": NaN or infinities.
    pub non_finite: Policy,
    /// Columns to read as text.
    pub text_columns: Vec<String>,
    /// Columns to read as numbers.
    pub numeric_columns: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, serde::Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    #[default]
    Error,
    Missing,
}

impl InputConfig {
    pub fn options(&self, required: Vec<String>) -> ReadOptions {
        let p = |x: Policy| {
            if x == Policy::Missing {
                CellPolicy::Missing
            } else {
                CellPolicy::Error
            }
        };
        ReadOptions {
            non_numeric: p(self.non_numeric),
            non_finite: p(self.non_finite),
            text_columns: self.text_columns.clone(),
            numeric_columns: self.numeric_columns.clone(),
            required,
            select: None,
        }
    }
}

/// Reads a model file, naming the file in any error.
pub fn load_model(path: &Path) -> Result<xinrong_scorecard::Scorecard> {
    let text =
        std::fs::read_to_string(path).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    xinrong_scorecard::Scorecard::from_json(&text).with_context(|| path.display().to_string())
}

/// Writes `bytes` to stdout when `out` is `-`, else atomically to the file; true for a file.
pub fn write_output(out: &Path, bytes: &[u8]) -> Result<bool> {
    use std::io::Write;
    if out.as_os_str() == "-" {
        std::io::stdout().lock().write_all(bytes)?;
        Ok(false)
    } else {
        crate::fit_cmd::write_atomic(out, bytes)?;
        Ok(true)
    }
}

/// Options that read a model's feature columns, each typed as its bins expect (numbers or
/// text), and nothing else but `extra` (an id, a target); a missing feature is an error.
pub fn model_columns(model: &xinrong_scorecard::Scorecard, extra: &[String]) -> ReadOptions {
    use xinrong_scorecard::binning::BinRule;
    let mut opts = ReadOptions {
        required: model
            .feature_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..Default::default()
    };
    for f in &model.features {
        match f.binning.rule {
            BinRule::Numeric { .. } => opts.numeric_columns.push(f.name.clone()),
            BinRule::Categorical { .. } => opts.text_columns.push(f.name.clone()),
        }
    }
    let mut select = opts.required.clone();
    select.extend(extra.iter().cloned());
    opts.select = Some(select);
    opts
}

/// Writes serialisable rows as `dir/name` (CSV with a header from the field names).
pub fn write_rows<T: serde::Serialize>(dir: &Path, name: &str, rows: &[T]) -> Result<()> {
    let path = dir.join(name);
    let mut w = csv::Writer::from_path(&path).with_context(|| path.display().to_string())?;
    for r in rows {
        w.serialize(r)?;
    }
    w.flush()?;
    Ok(())
}

pub fn load(path: &Path, options: &ReadOptions) -> Result<Table> {
    if !path.exists() {
        return Err(BadInput(format!("{}: no such file", path.display())).into());
    }
    Ok(read_table(path, options)?)
}

/// Feature views of every column except the excluded ones.
pub fn views<'a>(table: &'a Table, exclude: &[&str]) -> Vec<FeatureView<'a>> {
    table
        .columns
        .iter()
        .filter(|c| !exclude.contains(&c.name.as_str()))
        .map(|c| FeatureView {
            name: &c.name,
            data: view_data(&c.data),
        })
        .collect()
}

pub fn view_data(d: &ColumnData) -> FeatureData<'_> {
    match d {
        ColumnData::Numeric(v) => FeatureData::Numeric(v),
        ColumnData::Text { codes, levels } => FeatureData::Categorical { codes, levels },
    }
}

/// The 0/1 target of a table, with the file named in any error.
pub fn target(table: &Table, name: &str) -> Result<Vec<u8>> {
    let col = table.column(name).ok_or_else(|| {
        BadInput(format!(
            "{}: no target column '{name}'",
            table.source.display()
        ))
    })?;
    let values = match &col.data {
        ColumnData::Numeric(v) => v.clone(),
        ColumnData::Text { codes, levels } => {
            // "0"/"1" stored as text (e.g. declared text) still work; anything else is refused.
            let mut out = Vec::with_capacity(codes.len());
            for (i, &c) in codes.iter().enumerate() {
                let v = if c == xinrong_tabular::MISSING_CODE {
                    f64::NAN
                } else {
                    levels[c as usize].trim().parse::<f64>().unwrap_or(-1.0)
                };
                if v != 0.0 && v != 1.0 && !v.is_nan() {
                    return Err(BadInput(format!(
                        "{}: target '{name}': data row {} holds '{}'; the target must be 0 (good) or 1 (bad)",
                        table.source.display(),
                        i + 1,
                        levels[c as usize]
                    ))
                    .into());
                }
                out.push(v);
            }
            out
        }
    };
    target_from_numeric(name, &values).with_context(|| table.source.display().to_string())
}
