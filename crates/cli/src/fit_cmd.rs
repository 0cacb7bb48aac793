//! `xinrong fit`: read train (and test), fit, write the model, print the summary.

use crate::data::{self, InputConfig};
use crate::progress::Bars;
use crate::{BadInput, dictionary, report};
use anyhow::{Context, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use xinrong_scorecard::binning::BinRule;
use xinrong_scorecard::config::{
    BinningConfig, FeatureBinSpec, GradeConfig, ReasonConfig, ScalingConfig, ScreeningConfig,
    SelectionConfig,
};
use xinrong_scorecard::{Dataset, FitConfig, FitInput, fit};
use xinrong_tabular::{ColumnData, ReadOptions};

/// Arguments of `xinrong fit`.
#[derive(Args)]
pub struct FitArgs {
    /// Training table (CSV in UTF-8 or GBK with any common delimiter, or Parquet). Repeat it
    /// to pool tables of the same columns, e.g. indicators taken at several as-of dates.
    #[arg(long, required = true)]
    pub(crate) train: Vec<PathBuf>,
    /// Test table with the same columns, for out-of-sample metrics and PSI screening.
    #[arg(long)]
    pub(crate) test: Option<PathBuf>,
    /// Target column: 1 = bad, 0 = good.
    #[arg(long)]
    pub(crate) target: String,
    /// Row identifier column (kept out of the features, written by `score`).
    #[arg(long)]
    pub(crate) id: Option<String>,
    /// Model configuration (TOML): [binning], [screening], [selection], [scaling], [grades],
    /// [reasons], [input]. Every key is optional.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Hand-edited bins (TOML or JSON, as written by --write-bins) to use instead of fitting.
    #[arg(long)]
    pub(crate) bins: Option<PathBuf>,
    /// Write every candidate's fitted bins (TOML or JSON by extension) for hand editing.
    #[arg(long)]
    pub(crate) write_bins: Option<PathBuf>,
    /// Feature dictionary with English/Chinese names (CSV: feature,en,zh; or TOML).
    #[arg(long)]
    pub(crate) dictionary: Option<PathBuf>,
    /// Columns to leave out of the candidates (repeat or separate with commas).
    #[arg(long, value_delimiter = ',')]
    pub(crate) exclude: Vec<String>,
    /// Where to write the model (JSON).
    #[arg(long, short)]
    pub(crate) out: PathBuf,
    /// Print the fit summary as JSON on stdout instead of tables.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress bars.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// The `--config` file: the engine's sections plus how to read input cells.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    binning: BinningConfig,
    screening: ScreeningConfig,
    selection: SelectionConfig,
    scaling: ScalingConfig,
    grades: GradeConfig,
    reasons: ReasonConfig,
    input: InputConfig,
}

/// The bins file: per-feature hand-set bins.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BinsFile {
    pub features: BTreeMap<String, FeatureBinSpec>,
}

fn read_structured<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| BadInput(format!("{}: {e}", path.display())))?
    } else {
        toml::from_str(&text).map_err(|e| BadInput(format!("{}: {e}", path.display())))?
    };
    Ok(parsed)
}

pub fn run(a: FitArgs) -> Result<()> {
    let t0 = Instant::now();
    let file: ConfigFile = match &a.config {
        Some(p) => read_structured(p)?,
        None => ConfigFile::default(),
    };
    let mut config = FitConfig {
        binning: file.binning,
        screening: file.screening,
        selection: file.selection,
        scaling: file.scaling,
        grades: file.grades,
        reasons: file.reasons,
    };
    if let Some(p) = &a.bins {
        let bins: BinsFile = read_structured(p)?;
        for (name, spec) in bins.features {
            let e = config.binning.features.entry(name).or_default();
            e.cuts = spec.cuts.or(e.cuts.take());
            e.groups = spec.groups.or(e.groups.take());
            e.special_values = spec.special_values.or(e.special_values.take());
        }
    }
    for name in &a.exclude {
        config
            .binning
            .features
            .entry(name.clone())
            .or_default()
            .exclude = true;
    }
    config
        .validate()
        .map_err(|e| BadInput(format!("configuration: {e}")))?;
    let labels = match &a.dictionary {
        Some(p) => dictionary::load(p)?,
        None => BTreeMap::new(),
    };

    let bars = Bars::new(a.quiet || a.json);
    bars.start("reading train");
    let mut required = vec![a.target.clone()];
    required.extend(a.id.iter().cloned());
    let mut train = data::load(&a.train[0], &file.input.options(required.clone()))?;
    for more in &a.train[1..] {
        let table = data::load(
            more,
            &same_kinds(&train, file.input.options(required.clone())),
        )?;
        train.append(table).map_err(|e| BadInput(e.to_string()))?;
    }
    let mut skip: Vec<&str> = vec![a.target.as_str()];
    if let Some(id) = &a.id {
        skip.push(id);
    }
    let target = data::target(&train, &a.target)?;
    let test = match &a.test {
        Some(p) => {
            bars.start("reading test");
            Some(data::load(
                p,
                &same_kinds(&train, file.input.options(required)),
            )?)
        }
        None => None,
    };
    let test_set = match &test {
        Some(t) => Some(Dataset {
            features: data::views(t, &skip),
            target: data::target(t, &a.target)?,
        }),
        None => None,
    };
    let input = FitInput {
        train: Dataset {
            features: data::views(&train, &skip),
            target,
        },
        test: test_set,
        target_name: a.target.clone(),
        id_column: a.id.clone(),
        labels,
    };
    let mut model = fit(&input, &config, &bars)
        .with_context(|| format!("fitting on {}", train.source.display()))?;
    for n in train.notes.iter().chain(test.iter().flat_map(|t| &t.notes)) {
        model.notes.push(n.clone());
    }
    bars.start("writing model");
    write_atomic(&a.out, model.to_json().as_bytes())?;
    if let Some(p) = &a.write_bins {
        write_bins(p, &model)?;
    }
    let timings = bars.finish();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report::summary_json(&model, &timings))?
        );
    } else {
        report::print_fit_summary(&model, &timings, t0.elapsed());
        eprintln!("model written to {}", a.out.display());
    }
    Ok(())
}

/// Writes through a temporary file and a rename, so a crash never leaves half a model.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn write_bins(path: &Path, model: &xinrong_scorecard::Scorecard) -> Result<()> {
    let features = model
        .candidate_bins
        .iter()
        .map(|b| {
            let spec = match &b.rule {
                BinRule::Numeric {
                    cuts,
                    special_values,
                } => FeatureBinSpec {
                    cuts: Some(cuts.clone()),
                    special_values: (!special_values.is_empty()).then(|| special_values.clone()),
                    ..Default::default()
                },
                BinRule::Categorical { groups } => FeatureBinSpec {
                    groups: Some(groups.clone()),
                    ..Default::default()
                },
            };
            (b.feature.clone(), spec)
        })
        .collect();
    let file = BinsFile { features };
    let text = if path.extension().is_some_and(|e| e == "json") {
        serde_json::to_string_pretty(&file)? + "\n"
    } else {
        toml::to_string(&file)?
    };
    write_atomic(path, text.as_bytes())
}

/// `options` set to read every column of `first` as the kind it has there, so that a test file
/// or a further training file is read the same way.
fn same_kinds(first: &xinrong_tabular::Table, mut options: ReadOptions) -> ReadOptions {
    for c in &first.columns {
        match c.data {
            ColumnData::Text { .. } => options.text_columns.push(c.name.clone()),
            ColumnData::Numeric(_) => options.numeric_columns.push(c.name.clone()),
        }
    }
    options
}
