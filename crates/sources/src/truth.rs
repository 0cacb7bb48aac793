//! Reading the generator's truth files back (documented in `docs/truth.md`), and the label a
//! model is fitted to: default within a horizon after an as-of date.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

/// A truth file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    /// The file could not be opened or is not CSV.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A row is wrong.
    #[error("{path}: line {line}: {reason}")]
    Row {
        /// The file.
        path: String,
        /// Its line (the header is line 1).
        line: u64,
        /// Why.
        reason: String,
    },
}

fn reader(path: &Path) -> Result<csv::Reader<std::fs::File>, TruthError> {
    csv::Reader::from_path(path).map_err(|e| TruthError::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn row_error(path: &Path, line: u64, reason: impl Into<String>) -> TruthError {
    TruthError::Row {
        path: path.display().to_string(),
        line,
        reason: reason.into(),
    }
}

/// Each firm's default month (its first day), `None` for a firm that did not default, from
/// `truth.csv`.
pub fn default_months(path: &Path) -> Result<HashMap<String, Option<NaiveDate>>, TruthError> {
    let mut out = HashMap::new();
    let mut rdr = reader(path)?;
    for (i, record) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| row_error(path, line, e.to_string()))?;
        let (Some(uscc), Some(month)) = (record.get(0), record.get(1)) else {
            return Err(row_error(path, line, "expected uscc,default_month"));
        };
        let date = if month.is_empty() {
            None
        } else {
            Some(month_start(month).ok_or_else(|| {
                row_error(
                    path,
                    line,
                    format!("default_month {month:?} is not YYYY-MM"),
                )
            })?)
        };
        out.insert(uscc.to_string(), date);
    }
    Ok(out)
}

/// Each defaulted firm's default day, from `truth.csv` (`default_date`; the first day of
/// `default_month` in files written before days were recorded).
pub fn default_dates(path: &Path) -> Result<HashMap<String, NaiveDate>, TruthError> {
    let mut rdr = reader(path)?;
    let headers = rdr
        .headers()
        .map_err(|e| row_error(path, 1, e.to_string()))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(uscc), Some(month)) = (column("uscc"), column("default_month")) else {
        return Err(row_error(
            path,
            1,
            "expected uscc and default_month columns",
        ));
    };
    let day = column("default_date");
    let mut out = HashMap::new();
    for (i, record) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| row_error(path, line, e.to_string()))?;
        let field = |k: usize| record.get(k).unwrap_or("").trim();
        let date = match day.map(field).filter(|d| !d.is_empty()) {
            Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                row_error(path, line, format!("default_date {d:?} is not YYYY-MM-DD"))
            })?),
            None if field(month).is_empty() => None,
            None => Some(month_start(field(month)).ok_or_else(|| {
                row_error(
                    path,
                    line,
                    format!("default_month {:?} is not YYYY-MM", field(month)),
                )
            })?),
        };
        if let Some(date) = date {
            out.insert(field(uscc).to_string(), date);
        }
    }
    Ok(out)
}

/// Each firm's true 12-month PD at `month` (its first day), from `truth_pd.csv`.
pub fn pd_at(path: &Path, month: NaiveDate) -> Result<HashMap<String, f64>, TruthError> {
    let wanted = month.format("%Y-%m").to_string();
    let mut out = HashMap::new();
    let mut rdr = reader(path)?;
    for (i, record) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| row_error(path, line, e.to_string()))?;
        if record.get(1) != Some(wanted.as_str()) {
            continue;
        }
        let pd: f64 = record
            .get(2)
            .and_then(|p| p.parse().ok())
            .filter(|p: &f64| (0.0..=1.0).contains(p))
            .ok_or_else(|| row_error(path, line, "pd_12m is not a probability"))?;
        out.insert(record.get(0).unwrap_or_default().to_string(), pd);
    }
    Ok(out)
}

/// Every firm's true 12-month PD at every month end of `truth_pd.csv`, by (firm, `YYYY-MM`).
pub fn pd_by_month(path: &Path) -> Result<HashMap<(String, String), f64>, TruthError> {
    let mut out = HashMap::new();
    let mut rdr = reader(path)?;
    for (i, record) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| row_error(path, line, e.to_string()))?;
        let pd: f64 = record
            .get(2)
            .and_then(|p| p.parse().ok())
            .filter(|p: &f64| (0.0..=1.0).contains(p))
            .ok_or_else(|| row_error(path, line, "pd_12m is not a probability"))?;
        let month = record.get(1).unwrap_or_default();
        if month_start(month).is_none() {
            return Err(row_error(path, line, "month is not YYYY-MM"));
        }
        out.insert(
            (
                record.get(0).unwrap_or_default().to_string(),
                month.to_string(),
            ),
            pd,
        );
    }
    Ok(out)
}

fn month_start(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()
}

/// The modelling label of a firm as of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Defaulted after the as-of date, within the horizon.
    Bad,
    /// Did not default within the horizon.
    Good,
    /// Already in default at the as-of date: not a firm the model decides about.
    AlreadyDefaulted,
}

/// A firm's label: default in a month after `as_of` and no later than `months` months after
/// it is bad; default in or before the as-of month is "already defaulted".
pub fn label(default_month: Option<NaiveDate>, as_of: NaiveDate, months: u32) -> Label {
    let horizon = as_of
        .checked_add_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    match default_month {
        Some(d) if d <= as_of => Label::AlreadyDefaulted,
        Some(d) if d <= horizon => Label::Bad,
        _ => Label::Good,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn labels_follow_the_horizon() {
        let as_of = d("2024-06-30");
        assert_eq!(label(None, as_of, 12), Label::Good);
        assert_eq!(
            label(Some(d("2024-06-01")), as_of, 12),
            Label::AlreadyDefaulted
        );
        assert_eq!(label(Some(d("2024-07-01")), as_of, 12), Label::Bad);
        assert_eq!(label(Some(d("2025-06-01")), as_of, 12), Label::Bad);
        assert_eq!(label(Some(d("2025-07-01")), as_of, 12), Label::Good);
    }

    #[test]
    fn truth_files_read_back_and_bad_rows_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let truth = dir.path().join("truth.csv");
        std::fs::write(
            &truth,
            "uscc,default_month,health_level\nA,2024-03,0.1\nB,,0.5\n",
        )
        .unwrap();
        let months = default_months(&truth).unwrap();
        assert_eq!(months["A"], Some(d("2024-03-01")));
        assert_eq!(months["B"], None);
        std::fs::write(&truth, "uscc,default_month,health_level\nA,March,0.1\n").unwrap();
        let err = default_months(&truth).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("March"), "{err}");
        let pd = dir.path().join("truth_pd.csv");
        std::fs::write(
            &pd,
            "uscc,month,pd_12m\nA,2024-01,0.02\nA,2024-02,0.03\nB,2024-02,0.5\n",
        )
        .unwrap();
        let at = pd_at(&pd, d("2024-02-01")).unwrap();
        assert_eq!((at["A"], at["B"]), (0.03, 0.5));
    }
}
