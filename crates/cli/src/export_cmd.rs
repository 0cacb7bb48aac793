//! `xinrong export`: the model in a form other systems run.

use crate::data;
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use xinrong_exports::{Dialect, pmml, sql, xlsx};

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// One SELECT computing points, score, PD and grade from the raw columns.
    Sql,
    /// PMML 4.4 Scorecard with reason codes, PD and grade outputs.
    Pmml,
    /// Excel workbook: scorecard, bins and metrics sheets.
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum)]
enum SqlDialect {
    Sqlite,
    Postgres,
    Datafusion,
}

/// Arguments of `xinrong export`.
#[derive(Args)]
pub struct ExportArgs {
    /// Model file written by `xinrong fit`.
    #[arg(long)]
    model: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "sql")]
    format: Format,
    /// SQL dialect.
    #[arg(long, value_enum, default_value = "sqlite")]
    dialect: SqlDialect,
    /// Table the SELECT reads from.
    #[arg(long, default_value = "applicants")]
    table: String,
    /// Identifier column to carry into the result as `id`.
    #[arg(long)]
    id: Option<String>,
    /// Output file, or - for stdout.
    #[arg(long, short, default_value = "-")]
    out: PathBuf,
}

pub fn run(a: ExportArgs) -> Result<()> {
    let model = data::load_model(&a.model)?;
    let dialect = match a.dialect {
        SqlDialect::Sqlite => Dialect::Sqlite,
        SqlDialect::Postgres => Dialect::Postgres,
        SqlDialect::Datafusion => Dialect::DataFusion,
    };
    let body = match a.format {
        Format::Pmml => pmml(&model, model.config.reasons.top_n).into_bytes(),
        Format::Xlsx => xlsx(&model)?,
        Format::Sql => (sql(
            &model,
            dialect,
            &a.table,
            a.id.as_deref().or(model.id_column.as_deref()),
        ) + ";\n")
            .into_bytes(),
    };
    if data::write_output(&a.out, &body)? {
        eprintln!("written to {}", a.out.display());
    }
    Ok(())
}
