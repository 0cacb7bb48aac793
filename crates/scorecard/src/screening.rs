//! Screening: which candidates reach the regression, and why the others do not.

use crate::config::ScreeningConfig;
use crate::counts::Counts;
use crate::design::{WoeColumn, correlation};
use crate::linalg::{inverse_from_cholesky, robust_cholesky};
use serde::{Deserialize, Serialize};

/// The fate of one candidate feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenRecord {
    /// Feature name.
    pub feature: String,
    /// Information value (0 when it could not be binned).
    pub iv: f64,
    /// Share of missing values.
    pub missing_rate: f64,
    /// Share of the most frequent value.
    pub single_value_rate: f64,
    /// PSI of its bins, train vs test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psi: Option<f64>,
    /// True when it reached the regression.
    pub kept: bool,
    /// Why it was dropped (or a note on why it was kept).
    pub reason: String,
}

/// p-value of the likelihood-ratio (G) test that a feature's bins and the target are
/// independent: `G = 2 Σ O ln(O/E)` over the populated bins' goods and bads, against a
/// chi-square with one degree of freedom per populated bin beyond the first. The bins were
/// chosen to separate the classes, so the p-value is optimistic; callers use a strict level.
pub fn association_p_value(bins: &[crate::binning::Bin]) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let used: Vec<Counts> = bins
        .iter()
        .map(|b| b.counts)
        .filter(|c| c.n() > 0)
        .collect();
    let total = used.iter().fold(Counts::default(), |a, &c| a + c);
    if used.len() < 2 || total.bad == 0 || total.good == 0 {
        return 1.0;
    }
    let n = total.n() as f64;
    let term = |o: u64, e: f64| {
        if o == 0 {
            0.0
        } else {
            o as f64 * (o as f64 / e).ln()
        }
    };
    let g: f64 = 2.0
        * used
            .iter()
            .map(|c| {
                let share = c.n() as f64 / n;
                term(c.bad, share * total.bad as f64) + term(c.good, share * total.good as f64)
            })
            .sum::<f64>();
    ChiSquared::new((used.len() - 1) as f64).map_or(1.0, |d| d.sf(g.max(0.0)))
}

impl ScreenRecord {
    /// The record as table cells: feature, IV, missing rate, PSI (`-` when unmeasured) and the
    /// outcome, with `dropped` (e.g. "dropped" or "剔除") before the reason of a dropped one.
    pub fn cells(&self, dropped: &str) -> Vec<String> {
        vec![
            self.feature.clone(),
            format!("{:.4}", self.iv),
            format!("{:.3}", self.missing_rate),
            self.psi.map_or_else(|| "-".into(), |p| format!("{p:.4}")),
            if self.kept {
                self.reason.clone()
            } else {
                format!("{dropped}: {}", self.reason)
            },
        ]
    }
}

/// Drops, among `kept` (indices into `cols`, any order), every feature correlated above the
/// threshold with a feature of higher IV; returns the survivors by descending IV and, for each
/// dropped index, the reason.
pub(crate) fn by_correlation(
    cols: &[WoeColumn<'_>],
    names: &[String],
    iv: &[f64],
    kept: &[usize],
    config: &ScreeningConfig,
) -> (Vec<usize>, Vec<(usize, String)>) {
    let mut order = kept.to_vec();
    order.sort_by(|&a, &b| iv[b].total_cmp(&iv[a]).then(a.cmp(&b)));
    let sub: Vec<WoeColumn<'_>> = order.iter().map(|&i| cols[i]).collect();
    let corr = correlation(&sub);
    let m = order.len();
    let mut survivors: Vec<usize> = Vec::new();
    let mut dropped = Vec::new();
    for a in 0..m {
        let clash = survivors
            .iter()
            .find(|&&b| corr[a * m + b].abs() > config.max_correlation);
        match clash {
            Some(&b) => dropped.push((
                order[a],
                format!(
                    "correlation {:.3} with '{}' (IV {:.4} > {:.4})",
                    corr[a * m + b],
                    names[order[b]],
                    iv[order[b]],
                    iv[order[a]]
                ),
            )),
            None => survivors.push(a),
        }
    }
    (survivors.into_iter().map(|a| order[a]).collect(), dropped)
}

/// Variance inflation factors of the columns: the diagonal of the inverse correlation matrix.
pub(crate) fn vif(cols: &[WoeColumn<'_>]) -> Vec<f64> {
    let m = cols.len();
    if m < 2 {
        return vec![1.0; m];
    }
    let corr = correlation(cols);
    let l = robust_cholesky(&corr, m);
    let inv = inverse_from_cholesky(&l, m);
    (0..m).map(|i| inv[i * m + i]).collect()
}

/// Drops, one at a time, the feature with the highest VIF while it exceeds the threshold.
pub(crate) fn by_vif(
    cols: &[WoeColumn<'_>],
    kept: &[usize],
    config: &ScreeningConfig,
) -> (Vec<usize>, Vec<(usize, String)>) {
    let mut kept = kept.to_vec();
    let mut dropped = Vec::new();
    loop {
        let sub: Vec<WoeColumn<'_>> = kept.iter().map(|&i| cols[i]).collect();
        let v = vif(&sub);
        let Some((k, worst)) = v
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
        else {
            break;
        };
        if worst <= config.max_vif {
            break;
        }
        dropped.push((
            kept.remove(k),
            format!("VIF {worst:.1} above {}", config.max_vif),
        ));
    }
    (kept, dropped)
}
