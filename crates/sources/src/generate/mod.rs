//! A portfolio generator whose data behaves like the real thing, with a known truth.
//!
//! Each enterprise has a latent financial health `h` that evolves month by month as an AR(1)
//! process around the firm's own level (set by its size, age, industry and region), with
//! industry-wide shocks. The monthly default hazard is `sigmoid(α + β·h)`; every source is
//! an imperfect, noisy view of `h` (revenue and cash flow, tax behaviour, invoices and their
//! cancellations, utilities, headcount, orders, equipment use, overdue loans, lawsuits) with
//! seasonality (the Spring Festival dip, the year-end peak). Sources are missing for some
//! firms, and quality faults are injected (duplicate rows, invalid codes, late filings,
//! out-of-range values) for governance to find.
//!
//! The truth is written beside the data: `truth.csv` (each firm's default month, if any),
//! `truth_pd.csv` (each firm's 12-month PD at every month-end, computed from the latent state
//! by the model that generated it), so a fitted model can be judged against the best AUC
//! achievable, and `faults.csv` (every quality fault injected, with where), so governance
//! checks are judged by their recall. `docs/sources.md` documents every file.
//!
//! Invoices and VAT returns agree as they do in life: a month's issued invoices add up, net of
//! red-letter reversals, to the invoiced sales the return declares; the return adds the small
//! uninvoiced remainder.

mod cash;
mod financing;
mod firm;
mod rows;
mod world;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::people;
use crate::schema::SOURCES;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Number of enterprises.
    pub enterprises: usize,
    /// Number of months of history.
    pub months: u32,
    /// Random seed: the same seed gives the same files.
    pub seed: u64,
    /// First month of history.
    pub start: chrono::NaiveDate,
    /// Inject quality faults (duplicates, bad codes, late files, out-of-range values, VAT
    /// returns that disagree with the invoices), each listed in `faults.csv`.
    pub faults: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            enterprises: 1000,
            months: 36,
            seed: 1,
            start: chrono::NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date"),
            faults: true,
        }
    }
}

/// What was generated.
#[derive(Clone, Debug, Default)]
pub struct GenSummary {
    /// Rows written per source, in [`SOURCES`] order.
    pub rows: Vec<(&'static str, u64)>,
    /// Enterprises that defaulted within the window.
    pub defaults: usize,
    /// Enterprises generated.
    pub enterprises: usize,
}

/// An error writing the generated files.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct GenError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    pub source: std::io::Error,
}

struct Writers {
    files: Vec<(PathBuf, BufWriter<File>, u64)>,
}

impl Writers {
    fn create(dir: &Path, names: &[(&str, Vec<&str>)]) -> Result<Writers, GenError> {
        let files = names
            .iter()
            .map(|(name, header)| {
                let path = dir.join(format!("{name}.csv"));
                let file = File::create(&path).map_err(|source| GenError {
                    path: path.clone(),
                    source,
                })?;
                let mut w = BufWriter::with_capacity(1 << 20, file);
                let mut head = rows::Rows::default();
                head.row(header);
                w.write_all(&head.into_bytes()).map_err(|source| GenError {
                    path: path.clone(),
                    source,
                })?;
                Ok((path, w, 0))
            })
            .collect::<Result<_, GenError>>()?;
        Ok(Writers { files })
    }

    fn write(&mut self, k: usize, text: rows::Rows) -> Result<(), GenError> {
        let (path, w, rows) = &mut self.files[k];
        *rows += text.count();
        w.write_all(&text.into_bytes()).map_err(|source| GenError {
            path: path.clone(),
            source,
        })
    }

    fn finish(self) -> Result<Vec<u64>, GenError> {
        self.files
            .into_iter()
            .map(|(path, mut w, rows)| {
                w.flush()
                    .map(|()| rows)
                    .map_err(|source| GenError { path, source })
            })
            .collect()
    }
}

/// Generates the portfolio into `dir` (one CSV per source plus the truth files), calling
/// `progress(firms_done)` as it goes.
pub fn generate(
    config: &GenConfig,
    dir: &Path,
    progress: impl Fn(usize) + Sync,
) -> Result<GenSummary, GenError> {
    std::fs::create_dir_all(dir).map_err(|source| GenError {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut names: Vec<(&str, Vec<&str>)> = SOURCES
        .iter()
        .map(|s| (s.name, s.fields.iter().map(|f| f.name).collect()))
        .collect();
    names.push((
        "truth",
        vec!["uscc", "default_month", "health_level", "default_date"],
    ));
    names.push(("truth_pd", vec!["uscc", "month", "pd_12m"]));
    names.push(("faults", vec!["source", "uscc", "key", "fault"]));
    names.push((
        "needs",
        vec![
            "uscc",
            "month",
            "amount",
            "purpose",
            "pd_12m",
            "best_product",
            "oracle_product",
        ],
    ));
    names.push((
        "need_oracle",
        vec!["uscc", "month", "shortfall", "first_month"],
    ));
    let mut writers = Writers::create(dir, &names)?;
    let shocks = world::industry_shocks(config.seed, config.months);
    let slots = firm::Slots::resolve();
    // Counterparties outside the portfolio: customers and suppliers.
    let mut pool_rng = StdRng::seed_from_u64(config.seed ^ 0xc0ffee);
    let pool: Vec<String> = (0..(config.enterprises * 3).max(50))
        .map(|_| {
            let region = world::REGIONS[pool_rng.random_range(0..world::REGIONS.len())].code;
            people::uscc(&mut pool_rng, region)
        })
        .collect();
    let mut defaults = 0;
    let chunk = 256;
    let mut done = 0;
    for start in (0..config.enterprises).step_by(chunk * rayon::current_num_threads().max(1) * 2) {
        let end = (start + chunk * rayon::current_num_threads().max(1) * 2).min(config.enterprises);
        let firms: Vec<firm::FirmRows> = (start..end)
            .into_par_iter()
            .map(|i| firm::firm(config, i, &shocks, &pool, slots))
            .collect();
        for f in firms {
            defaults += usize::from(f.defaulted.is_some());
            for (k, rows) in f.lines.into_iter().enumerate() {
                writers.write(k, rows)?;
            }
            writers.write(SOURCES.len(), f.truth)?;
            writers.write(SOURCES.len() + 1, f.truth_pd)?;
            writers.write(SOURCES.len() + 2, f.faults)?;
            writers.write(SOURCES.len() + 3, f.needs)?;
            writers.write(SOURCES.len() + 4, f.need_oracle)?;
        }
        done = end;
        progress(done);
    }
    let rows = writers.finish()?;
    Ok(GenSummary {
        rows: SOURCES.iter().map(|s| s.name).zip(rows).collect(),
        defaults,
        enterprises: done,
    })
}
