//! `xinrong score`: id, score, PD, grade and reason codes for every row of a table.

use crate::data;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use xinrong_scorecard::Lang;
use xinrong_tabular::ColumnData;

#[derive(Clone, Copy, ValueEnum)]
enum LabelLang {
    /// Feature names as in the data.
    Code,
    /// English labels from the model's dictionary.
    En,
    /// Chinese labels from the model's dictionary.
    Zh,
}

/// Arguments of `xinrong score`.
#[derive(Args)]
pub struct ScoreArgs {
    /// Model file written by `xinrong fit`.
    #[arg(long)]
    model: PathBuf,
    /// Table to score (CSV or Parquet) holding the model's feature columns.
    #[arg(long)]
    data: PathBuf,
    /// Output CSV, or - for stdout.
    #[arg(long, short, default_value = "-")]
    out: PathBuf,
    /// Identifier column to copy to the output (default: the model's id column, if present).
    #[arg(long)]
    id: Option<String>,
    /// Reason codes per row (default: the model's setting, 4).
    #[arg(long)]
    reasons: Option<usize>,
    /// How reason codes are written.
    #[arg(long, value_enum, default_value = "code")]
    labels: LabelLang,
}

pub fn run(a: ScoreArgs) -> Result<()> {
    let model = data::load_model(&a.model)?;
    let id_col = a.id.clone().or_else(|| model.id_column.clone());
    let mut opts = data::model_columns(&model, &id_col.iter().cloned().collect::<Vec<_>>());
    if let Some(id) = &a.id {
        opts.required.push(id.clone());
    }
    if let Some(id) = &id_col {
        opts.text_columns.push(id.clone());
    }
    let table = data::load(&a.data, &opts)?;
    let n = table.n_rows;
    let by_name: HashMap<&str, _> = table
        .columns
        .iter()
        .map(|c| (c.name.as_str(), data::view_data(&c.data)))
        .collect();
    let top_n = a.reasons.unwrap_or(model.config.reasons.top_n);
    let scores = model
        .score(&by_name, n, top_n)
        .with_context(|| a.data.display().to_string())?;

    let id_values: Option<&ColumnData> = id_col
        .as_deref()
        .and_then(|c| table.column(c))
        .map(|c| &c.data);
    let names: Vec<String> = model
        .features
        .iter()
        .map(|f| match a.labels {
            LabelLang::Code => f.name.clone(),
            LabelLang::En => f.display(Lang::En).to_string(),
            LabelLang::Zh => f.display(Lang::Zh).to_string(),
        })
        .collect();
    let mut header: Vec<String> = Vec::new();
    if id_values.is_some() {
        header.push(id_col.clone().unwrap_or_default());
    }
    header.extend(["score", "pd", "grade"].map(String::from));
    header.extend((1..=top_n).map(|k| format!("reason_{k}")));
    let mut head = csv::Writer::from_writer(Vec::new());
    head.write_record(&header)?;
    let mut buf = head.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    // Rows are formatted on all cores in blocks and joined in order.
    const ROWS: usize = 65_536;
    let blocks: Vec<Vec<u8>> = (0..n.div_ceil(ROWS))
        .into_par_iter()
        .map(|b| -> Result<Vec<u8>> {
            let mut w = csv::Writer::from_writer(Vec::with_capacity(ROWS * 48));
            let mut cell = String::new();
            for i in b * ROWS..((b + 1) * ROWS).min(n) {
                match id_values {
                    Some(ColumnData::Text { codes, levels }) => {
                        w.write_field(levels.get(codes[i] as usize).map_or("", String::as_str))?
                    }
                    Some(ColumnData::Numeric(v)) if v[i].is_nan() => w.write_field("")?,
                    Some(ColumnData::Numeric(v)) => w.write_field(v[i].to_string())?,
                    None => {}
                }
                cell.clear();
                write!(cell, "{:.2}", scores.score[i])?;
                w.write_field(&cell)?;
                cell.clear();
                write!(cell, "{:.6}", scores.pd[i])?;
                w.write_field(&cell)?;
                w.write_field(scores.grade[i].as_str())?;
                for k in 0..top_n {
                    let r = scores.reasons[i * top_n + k];
                    w.write_field(if r == u16::MAX {
                        ""
                    } else {
                        names[r as usize].as_str()
                    })?;
                }
                w.write_record(None::<&[u8]>)?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
        })
        .collect::<Result<_>>()?;
    for b in blocks {
        buf.extend(b);
    }
    if data::write_output(&a.out, &buf)? {
        eprintln!("{n} rows scored → {}", a.out.display());
    }
    Ok(())
}
