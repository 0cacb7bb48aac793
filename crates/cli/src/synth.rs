//! `xinrong synth`: a synthetic scorecard table with a known logistic truth.
//!
//! The truth is the one `../shared/bench/bench_binning.py` uses, so Xinrong and the Python
//! peers can be timed on tables of the same shape: standard-normal features `x00…`,
//! `logit = −2.5 + Σ βj xj + 0.4 (x00² − 1)` with `βj = 0.6` for j < 10, `0.3` for 10 ≤ j < 20,
//! 0 otherwise, and `bad ~ Bernoulli(sigmoid(logit))`.

use anyhow::{Context, Result};
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use clap::Args;
use indicatif::ProgressBar;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `xinrong synth`.
#[derive(Args)]
pub struct SynthArgs {
    /// Rows.
    #[arg(long, default_value_t = 200_000)]
    rows: usize,
    /// Feature columns.
    #[arg(long, default_value_t = 50)]
    cols: usize,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file: `.parquet` for Parquet, anything else CSV.
    #[arg(long, short)]
    out: PathBuf,
}

const BATCH: usize = 65_536;

fn beta(j: usize) -> f64 {
    match j {
        0..10 => 0.6,
        10..20 => 0.3,
        _ => 0.0,
    }
}

/// One batch of rows: feature columns and the target.
fn batch(rng: &mut StdRng, rows: usize, cols: usize) -> (Vec<Vec<f64>>, Vec<i64>) {
    let mut x = vec![Vec::with_capacity(rows); cols];
    let mut y = Vec::with_capacity(rows);
    for _ in 0..rows {
        let mut logit = -2.5;
        for (j, col) in x.iter_mut().enumerate() {
            let v: f64 = rng.sample(StandardNormal);
            logit += beta(j) * v;
            if j == 0 {
                logit += 0.4 * (v * v - 1.0);
            }
            col.push(v);
        }
        let p = 1.0 / (1.0 + (-logit).exp());
        y.push(i64::from(rng.random::<f64>() < p));
    }
    (x, y)
}

pub fn run(a: SynthArgs) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(a.seed);
    let names: Vec<String> = (0..a.cols).map(|j| format!("x{j:02}")).collect();
    let bar = ProgressBar::new(a.rows as u64);
    let parquet = a.out.extension().is_some_and(|e| e == "parquet");
    // Written to a temporary name and renamed at the end, so a crash never leaves half a table.
    let tmp = a.out.with_extension("tmp~");
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    if parquet {
        let mut fields: Vec<Field> = names
            .iter()
            .map(|n| Field::new(n, DataType::Float64, false))
            .collect();
        fields.push(Field::new("bad", DataType::Int64, false));
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
        let mut done = 0;
        while done < a.rows {
            let n = BATCH.min(a.rows - done);
            let (x, y) = batch(&mut rng, n, a.cols);
            let mut arrays: Vec<ArrayRef> = x
                .into_iter()
                .map(|c| Arc::new(Float64Array::from(c)) as ArrayRef)
                .collect();
            arrays.push(Arc::new(Int64Array::from(y)));
            w.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
            done += n;
            bar.inc(n as u64);
        }
        w.close()?;
    } else {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
        w.write_record(names.iter().map(String::as_str).chain(["bad"]))?;
        let mut done = 0;
        let mut row: Vec<String> = Vec::with_capacity(a.cols + 1);
        while done < a.rows {
            let n = BATCH.min(a.rows - done);
            let (x, y) = batch(&mut rng, n, a.cols);
            for (i, yi) in y.iter().enumerate() {
                row.clear();
                row.extend(x.iter().map(|col| col[i].to_string()));
                row.push(yi.to_string());
                w.write_record(&row)?;
            }
            done += n;
            bar.inc(n as u64);
        }
        w.flush()?;
    }
    bar.finish_and_clear();
    std::fs::rename(&tmp, &a.out)?;
    eprintln!(
        "{} rows × {} features → {}",
        a.rows,
        a.cols,
        a.out.display()
    );
    Ok(())
}
