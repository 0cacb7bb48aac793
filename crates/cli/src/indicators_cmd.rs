//! `xinrong indicators`: the indicator catalogue computed on DataFusion as of a date, with
//! an optional default label, ready for `xinrong fit`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Datelike as _;
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};
use xinrong_indicators::datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch};
use xinrong_indicators::datafusion::arrow::datatypes::{DataType, Field, Schema};
use xinrong_indicators::{Catalogue, DIMENSIONS, Direction, IndicatorError, compute};
use xinrong_sources::truth::{self, Label};

use crate::BadInput;
use crate::ledger_cmd::DataDir;

#[derive(Args)]
pub struct IndicatorsArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// Compute as of this date (YYYY-MM-DD): only rows dated on or before it are used.
    #[arg(long, required_unless_present = "list")]
    pub(crate) as_of: Option<String>,
    /// Output file: .parquet or .csv (one row per enterprise, one column per indicator).
    #[arg(long, required_unless_present = "list")]
    pub(crate) out: Option<PathBuf>,
    /// Your own indicators: .sql files, or directories of them (one read-only SELECT each,
    /// returning uscc and one value; metadata in `-- id:`, `-- en:`, `-- zh:` comments).
    #[arg(long = "sql")]
    pub(crate) sql: Vec<PathBuf>,
    /// Add a `bad` column: default within this many months after the as-of date, from the
    /// generator's truth file (`--truth`); enterprises already in default are left out.
    #[arg(long)]
    pub(crate) label_months: Option<u32>,
    /// The generator's truth.csv (default month per enterprise), for `--label-months`.
    #[arg(long)]
    pub(crate) truth: Option<PathBuf>,
    /// Also write a feature dictionary (feature,en,zh) for `xinrong fit --dictionary`, so
    /// that reason codes read as indicator names in English and Chinese.
    #[arg(long)]
    pub(crate) dictionary_out: Option<PathBuf>,
    /// Print the catalogue (id, names, dimension, view, unit, direction) and exit.
    #[arg(long)]
    pub(crate) list: bool,
}

pub(crate) fn catalogue(sql: &[PathBuf]) -> Result<Catalogue> {
    let mut catalogue = Catalogue::builtin()?;
    let mut files = Vec::new();
    for path in sql {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "sql"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| BadInput(format!("{}: {e}", file.display())))?;
        catalogue
            .add_sql(&file.display().to_string(), &text)
            .map_err(|e| BadInput(e.to_string()))?;
    }
    Ok(catalogue)
}

fn list(catalogue: &Catalogue) {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "id",
        "name",
        "名称",
        "dimension",
        "view",
        "unit",
        "direction",
    ]);
    for i in &catalogue.indicators {
        let direction = match i.direction {
            Direction::HigherBetter => "+",
            Direction::HigherWorse => "-",
            Direction::Neutral => "0",
        };
        table.add_row(vec![
            &i.id,
            &i.en,
            &i.zh,
            &i.dimension,
            &i.view,
            &i.unit,
            direction,
        ]);
    }
    println!("{table}");
    let mut counts = Table::new();
    counts.load_preset(UTF8_FULL_CONDENSED);
    counts.set_header(vec!["dimension", "维度", "indicators"]);
    for (id, en, zh) in DIMENSIONS {
        let n = catalogue
            .indicators
            .iter()
            .filter(|i| i.dimension == id)
            .count();
        counts.add_row(vec![en.to_string(), zh.to_string(), n.to_string()]);
    }
    println!("{counts}\n{} indicators", catalogue.indicators.len());
}

pub fn run(args: IndicatorsArgs) -> Result<()> {
    let catalogue = catalogue(&args.sql)?;
    if args.list {
        list(&catalogue);
        return Ok(());
    }
    let as_of_text = args.as_of.as_deref().unwrap_or_default();
    let as_of = chrono::NaiveDate::parse_from_str(as_of_text, "%Y-%m-%d")
        .map_err(|_| BadInput(format!("--as-of {as_of_text:?}: expected YYYY-MM-DD")))?;
    let out = args.out.clone().expect("required by clap");
    let store = args.dir.data_dir.join("store");
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} queries ({elapsed})")?
            .progress_chars("=> "),
    );
    bar.set_message("indicators");
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let table = runtime
        .block_on(compute(&store, &catalogue, as_of, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }))
        .map_err(|e| match e {
            IndicatorError::UserSql { .. } | IndicatorError::Store(_) => {
                anyhow::Error::new(BadInput(e.to_string()))
            }
            other => anyhow::Error::new(other),
        })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let mut batch = table.to_batch();
    let mut note = String::new();
    if let Some(months) = args.label_months {
        let truth_file = args
            .truth
            .as_ref()
            .context("--label-months needs --truth truth.csv")?;
        let truth = truth::default_months(truth_file).map_err(|e| BadInput(e.to_string()))?;
        let mut keep = Vec::new();
        let mut bad = Vec::new();
        let (mut in_default, mut unknown) = (0, 0);
        for (i, uscc) in table.uscc.iter().enumerate() {
            match truth.get(uscc).map(|d| truth::label(*d, as_of, months)) {
                Some(Label::AlreadyDefaulted) => in_default += 1,
                Some(label) => {
                    keep.push(i as u32);
                    bad.push(if label == Label::Bad { 1.0 } else { 0.0 });
                }
                None => unknown += 1,
            }
        }
        let indices = xinrong_indicators::datafusion::arrow::array::UInt32Array::from(keep);
        let mut fields: Vec<Field> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        let mut columns: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|c| xinrong_indicators::datafusion::arrow::compute::take(c, &indices, None))
            .collect::<Result<_, _>>()?;
        fields.push(Field::new("bad", DataType::Float64, false));
        let rate = bad.iter().sum::<f64>() / bad.len().max(1) as f64;
        note = format!(
            "; label `bad` = default within {months} months: {} enterprises, bad rate {:.2}% \
             (left out: {in_default} already in default, {unknown} not in the truth file)",
            bad.len(),
            100.0 * rate
        );
        let truth_pd = args
            .truth
            .as_ref()
            .and_then(|t| t.parent())
            .map(|d| d.join("truth_pd.csv"));
        if let Some(path) = truth_pd.filter(|p| p.is_file()) {
            let ids: Vec<&str> = indices
                .values()
                .iter()
                .map(|&i| table.uscc[i as usize].as_str())
                .collect();
            if let Some(auc) = oracle_auc(&path, as_of, &ids, &bad)? {
                note.push_str(&format!(
                    "; oracle AUC (the generator's own 12-month PD) {auc:.4}"
                ));
            }
        }
        columns.push(std::sync::Arc::new(Float64Array::from(bad)));
        batch = RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), columns)?;
    }
    write(&out, &batch)?;
    if let Some(path) = &args.dictionary_out {
        let mut w = csv::Writer::from_path(path)?;
        w.write_record(["feature", "en", "zh"])?;
        for i in &catalogue.indicators {
            w.write_record([&i.id, &i.en, &i.zh])?;
        }
        w.flush()?;
    }
    println!(
        "{} indicators for {} enterprises as of {as_of} in {elapsed:.1} s → {}{note}",
        table.columns.len(),
        table.uscc.len(),
        out.display()
    );
    Ok(())
}

/// AUC of the generator's true 12-month PD at the as-of month against the label: the best
/// any model of these data can hope for.
fn oracle_auc(
    path: &Path,
    as_of: chrono::NaiveDate,
    ids: &[&str],
    bad: &[f64],
) -> Result<Option<f64>> {
    let month = as_of.with_day(1).expect("day 1 exists");
    let pd = truth::pd_at(path, month).map_err(|e| BadInput(e.to_string()))?;
    let (mut risk, mut y) = (Vec::new(), Vec::new());
    for (id, b) in ids.iter().zip(bad) {
        if let Some(p) = pd.get(*id) {
            risk.push(*p);
            y.push(*b as u8);
        }
    }
    if y.iter().all(|&v| v == 0) || y.iter().all(|&v| v == 1) {
        return Ok(None);
    }
    Ok(Some(xinrong_scorecard::metrics::auc(&risk, &y)))
}

fn write(out: &Path, batch: &RecordBatch) -> Result<()> {
    use xinrong_indicators::datafusion::parquet::arrow::ArrowWriter;
    let temp = out.with_extension("tmp");
    let file = std::fs::File::create(&temp).with_context(|| format!("{}", temp.display()))?;
    if out.extension().is_some_and(|e| e == "csv") {
        use xinrong_indicators::datafusion::arrow::array::{Array, StringArray};
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
        w.write_record(batch.schema().fields().iter().map(|f| f.name().as_str()))?;
        let ids = batch
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .context("uscc column")?;
        let values: Vec<&Float64Array> = batch.columns()[1..]
            .iter()
            .map(|c| {
                c.as_any()
                    .downcast_ref::<Float64Array>()
                    .context("numeric column")
            })
            .collect::<Result<_>>()?;
        let mut record = Vec::with_capacity(values.len() + 1);
        for r in 0..batch.num_rows() {
            record.clear();
            record.push(ids.value(r).to_string());
            record.extend(values.iter().map(|v| {
                if v.is_null(r) {
                    String::new()
                } else {
                    v.value(r).to_string()
                }
            }));
            w.write_record(&record)?;
        }
        w.flush()?;
    } else {
        let mut writer = ArrowWriter::try_new(file, batch.schema(), None)?;
        writer.write(batch)?;
        writer.close()?;
    }
    std::fs::rename(&temp, out)?;
    Ok(())
}
