//! Stage 6 of a fit: each chosen characteristic's points per bin. By default the regression's
//! `β·WOE` contributions are refined bin by bin as far as the data support (see `refine`);
//! the scaling turns contributions into points.

use super::Progress;
use super::screen::Candidate;
use crate::binning::BinRule;
use crate::binning::optimal::Shape;
use crate::config::SelectionConfig;
use crate::design::WoeColumn;
use crate::logistic::LrFit;
use crate::model::{Label, ModelFeature};
use crate::refine::{RefineInput, prior_sd_by_evidence, refine};
use crate::scaling::Scaling;
use crate::screening::vif;

/// Log-odds contributions per bin of each chosen feature, and the intercept they go with.
pub(crate) fn contributions(
    chosen: &[Candidate<'_>],
    lr: &LrFit,
    y: &[u8],
    config: &SelectionConfig,
    notes: &mut Vec<String>,
    progress: &dyn Progress,
) -> (Vec<Vec<f64>>, f64) {
    if !config.refine_points {
        let contrib = chosen
            .iter()
            .enumerate()
            .map(|(j, c)| {
                c.binned
                    .binning
                    .bins
                    .iter()
                    .map(|b| lr.coef[j + 1] * b.woe)
                    .collect()
            })
            .collect();
        return (contrib, lr.coef[0]);
    }
    let inputs: Vec<RefineInput<'_>> = chosen
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let b = &c.binned.binning;
            RefineInput {
                slots: &c.binned.slots,
                bins: &b.bins,
                beta: lr.coef[j + 1],
                shape: Shape::of(
                    b.trend,
                    b.hand_set,
                    matches!(b.rule, BinRule::Categorical { .. }),
                ),
            }
        })
        .collect();
    progress.phase("refining points", 1);
    let sd = match config.refine_prior_sd {
        Some(sd) => sd,
        None => {
            let sd = prior_sd_by_evidence(&inputs, y, lr.coef[0]);
            notes.push(format!(
                "point refinement: prior sd {sd:.3} chosen by marginal likelihood"
            ));
            sd
        }
    };
    let r = refine(&inputs, y, lr.coef[0], sd);
    if r.ties > 0 {
        notes.push(format!(
            "point refinement tied {} pair(s) of neighbouring bins to keep their shapes",
            r.ties
        ));
    }
    (r.contrib, r.intercept)
}

/// The model's characteristics: bins, points, coefficient and its statistics, label.
pub(crate) fn model_features(
    chosen: &[Candidate<'_>],
    lr: &LrFit,
    contrib: &[Vec<f64>],
    scaling: &Scaling,
    labels: &std::collections::BTreeMap<String, Label>,
) -> Vec<ModelFeature> {
    let columns: Vec<WoeColumn<'_>> = chosen.iter().map(Candidate::column).collect();
    let vifs = vif(&columns);
    let p_values = lr.p_values();
    chosen
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let name = c.name().to_string();
            ModelFeature {
                label: labels.get(&name).cloned().unwrap_or_default(),
                name,
                coefficient: lr.coef[j + 1],
                std_err: lr.std_err[j + 1],
                p_value: p_values[j + 1],
                vif: vifs[j],
                points: contrib[j].iter().map(|c| scaling.points(*c)).collect(),
                binning: c.binned.binning.clone(),
            }
        })
        .collect()
}
