//! Stage 5 of a fit: stepwise selection among the candidates that passed the screens, on
//! cross-fitted WOE when bads are scarce for the number of candidates (see `crossfit`).

use super::Progress;
use super::screen::Candidate;
use crate::ScorecardError;
use crate::config::SelectionConfig;
use crate::crossfit::{self, CrossFitted};
use crate::design::WoeColumn;
use crate::screening::ScreenRecord;
use crate::stepwise::{Selection, select};

/// The selection and the candidates it chose, in the model's order.
pub(crate) struct Chosen<'a> {
    /// The stepwise selection (its fit, log and chosen positions).
    pub selection: Selection,
    /// The chosen candidates.
    pub features: Vec<Candidate<'a>>,
}

/// Runs stepwise selection over `survivors`, updating the screening log's reasons.
pub(crate) fn choose<'a>(
    survivors: &[Candidate<'a>],
    y: &[u8],
    config: &SelectionConfig,
    records: &mut [ScreenRecord],
    notes: &mut Vec<String>,
    progress: &dyn Progress,
) -> Result<Chosen<'a>, ScorecardError> {
    let bads = y.iter().filter(|&&t| t == 1).count();
    let cross = crossfit::applies(config, bads, survivors.len());
    let crossed: Vec<Option<CrossFitted>> = if cross {
        let binned: Vec<_> = survivors.iter().map(|c| c.binned).collect();
        crossfit::cross_fit_all(&binned, y)
    } else {
        survivors.iter().map(|_| None).collect()
    };
    if cross {
        let fallback = crossed.iter().filter(|x| x.is_none()).count();
        notes.push(format!(
            "selection and coefficients used {}-fold cross-fitted WOE ({bads} bads for {} candidates){}",
            crossfit::FOLDS,
            survivors.len(),
            if fallback > 0 {
                format!("; {fallback} feature(s) with too many bins kept in-sample WOE")
            } else {
                String::new()
            }
        ));
    }
    let columns: Vec<WoeColumn<'_>> = survivors
        .iter()
        .zip(&crossed)
        .map(|(c, x)| match x {
            Some(x) => WoeColumn {
                slots: &x.slots,
                woe: &x.woe,
            },
            None => c.column(),
        })
        .collect();
    let names: Vec<String> = survivors.iter().map(|c| c.name().to_string()).collect();
    progress.phase(
        "stepwise regression",
        config.max_features.min(survivors.len()) as u64,
    );
    let last = std::sync::atomic::AtomicU64::new(0);
    let tick = |k: usize| {
        let prev = last.swap(k as u64, std::sync::atomic::Ordering::Relaxed);
        if k as u64 > prev {
            progress.inc(k as u64 - prev);
        }
    };
    let selection = select(&columns, &names, y, config, &tick);
    if selection.selected.is_empty() {
        return Err(ScorecardError::NothingSelected(
            "no feature improved the criterion".into(),
        ));
    }
    if config.l2.is_none() {
        notes.push(format!(
            "regression: L2 penalty {:.2} chosen by marginal likelihood",
            selection.l2
        ));
    }
    for r in records.iter_mut().filter(|r| r.kept) {
        r.reason = if selection.selected.iter().any(|&s| names[s] == r.feature) {
            "in the model".into()
        } else {
            "screened in; not chosen by stepwise selection".into()
        };
    }
    if !selection.fit.converged {
        notes.push(
            "the regression reached its iteration limit before converging (quasi-separation?)"
                .into(),
        );
    }
    let features = selection.selected.iter().map(|&s| survivors[s]).collect();
    Ok(Chosen {
        selection,
        features,
    })
}
