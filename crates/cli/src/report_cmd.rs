//! `xinrong report`: the model as one self-contained HTML file.

use crate::data;
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use xinrong_scorecard::Lang;

#[derive(Clone, Copy, ValueEnum)]
enum ReportLang {
    /// English.
    En,
    /// Chinese (feature names from the model's dictionary where it has them).
    Zh,
}

/// Arguments of `xinrong report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Model file written by `xinrong fit`.
    #[arg(long)]
    model: PathBuf,
    /// Language of the labels.
    #[arg(long, value_enum, default_value = "en")]
    lang: ReportLang,
    /// Output HTML file, or - for stdout.
    #[arg(long, short, default_value = "report.html")]
    out: PathBuf,
}

pub fn run(a: ReportArgs) -> Result<()> {
    let model = data::load_model(&a.model)?;
    let lang = match a.lang {
        ReportLang::En => Lang::En,
        ReportLang::Zh => Lang::Zh,
    };
    let html = xinrong_exports::report(&model, lang);
    if data::write_output(&a.out, html.as_bytes())? {
        eprintln!("report written to {}", a.out.display());
    }
    Ok(())
}
