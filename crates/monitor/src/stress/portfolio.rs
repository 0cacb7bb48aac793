//! The loans a stress test runs over, from CSV.
//!
//! Columns (header names, any order): `loan_id`, `exposure` (yuan), `pd` (12-month, the
//! champion model's), `lgd` (of the part not covered by collateral) are required;
//! `enterprise`, `industry` (GB/T 4754 code), `region` (GB/T 2260 code), `collateral` (yuan,
//! before the scenario's haircut), `guarantor` and `guaranteed_share` (the guarantor's share
//! of the exposure it compensates on default) are optional. A bad cell is refused with the
//! file, its line and the column; a repeated `loan_id` too.

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;
use thiserror::Error;

/// A portfolio that cannot be read.
#[derive(Debug, Error)]
pub enum PortfolioError {
    /// The file cannot be opened or is not CSV.
    #[error("{file}: {reason}")]
    File {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// A required column is absent.
    #[error("{file}: no `{column}` column (a portfolio has loan_id, exposure, pd, lgd)")]
    Column {
        /// The file.
        file: String,
        /// The column.
        column: &'static str,
    },
    /// A bad cell.
    #[error("{file}, line {line}, `{column}`: {reason}")]
    Cell {
        /// The file.
        file: String,
        /// Line in the file (the header is line 1).
        line: u64,
        /// The column.
        column: &'static str,
        /// Why.
        reason: String,
    },
    /// No loans.
    #[error("{file}: no loans")]
    Empty {
        /// The file.
        file: String,
    },
}

/// One loan.
#[derive(Debug, Clone, PartialEq)]
pub struct Loan {
    /// Its id.
    pub loan_id: String,
    /// The borrower.
    pub enterprise: String,
    /// GB/T 4754 industry code (empty if unknown).
    pub industry: String,
    /// GB/T 2260 region code (empty if unknown).
    pub region: String,
    /// Exposure at default (yuan).
    pub exposure: Decimal,
    /// Probability of default within the horizon.
    pub pd: f64,
    /// Loss given default of the uncollateralised part.
    pub lgd: f64,
    /// Collateral value before the scenario's haircut (yuan).
    pub collateral: Decimal,
    /// The guarantor, if guaranteed.
    pub guarantor: Option<String>,
    /// The guarantor's share of the exposure.
    pub guaranteed_share: Decimal,
}

/// The loans of a stress test.
#[derive(Debug, Clone, Default)]
pub struct Portfolio {
    /// The loans.
    pub loans: Vec<Loan>,
}

/// Largest exposure or collateral of one loan: 10 trillion yuan (so that sums in fen stay
/// inside 64 bits for any portfolio of up to ~900 such loans, and far beyond for real ones).
const MAX_YUAN: i64 = 10_000_000_000_000;

const COLUMNS: [&str; 10] = [
    "loan_id",
    "enterprise",
    "industry",
    "region",
    "exposure",
    "pd",
    "lgd",
    "collateral",
    "guarantor",
    "guaranteed_share",
];

impl Portfolio {
    /// Reads a portfolio file.
    pub fn read(path: &Path) -> Result<Portfolio, PortfolioError> {
        let file = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|e| PortfolioError::File {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        Portfolio::from_reader(f, &file)
    }

    /// Reads a portfolio from CSV text; `file` names it in errors.
    pub fn from_reader(r: impl std::io::Read, file: &str) -> Result<Portfolio, PortfolioError> {
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(r);
        let headers = rdr
            .headers()
            .map_err(|e| PortfolioError::File {
                file: file.into(),
                reason: e.to_string(),
            })?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h.trim() == name);
        let idx: Vec<Option<usize>> = COLUMNS.iter().map(|c| col(c)).collect();
        for (i, required) in [(0, "loan_id"), (4, "exposure"), (5, "pd"), (6, "lgd")] {
            if idx[i].is_none() {
                return Err(PortfolioError::Column {
                    file: file.into(),
                    column: required,
                });
            }
        }
        let mut loans = Vec::new();
        let mut seen = HashSet::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| PortfolioError::File {
                file: file.into(),
                reason: e.to_string(),
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            let cell = |k: usize| idx[k].and_then(|i| rec.get(i)).unwrap_or("").trim();
            let err = |k: usize, reason: String| PortfolioError::Cell {
                file: file.into(),
                line,
                column: COLUMNS[k],
                reason,
            };
            let money = |k: usize, required: bool| -> Result<Decimal, PortfolioError> {
                let t = cell(k);
                if t.is_empty() && !required {
                    return Ok(Decimal::ZERO);
                }
                let d = Decimal::from_str(t)
                    .map_err(|_| err(k, format!("{t:?} is not an amount of yuan")))?;
                if d.is_sign_negative() {
                    return Err(err(k, format!("{t} is negative")));
                }
                if d > Decimal::from(MAX_YUAN) {
                    return Err(err(k, format!("{t} is more than {MAX_YUAN} yuan")));
                }
                Ok(d)
            };
            let prob = |k: usize| -> Result<f64, PortfolioError> {
                let t = cell(k);
                match t.parse::<f64>() {
                    Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
                    _ => Err(err(k, format!("{t:?} is not a probability in [0, 1]"))),
                }
            };
            let loan_id = cell(0).to_string();
            if loan_id.is_empty() {
                return Err(err(0, "is empty".into()));
            }
            if !seen.insert(loan_id.clone()) {
                return Err(err(0, format!("{loan_id} appears twice")));
            }
            let guarantor = Some(cell(8).to_string()).filter(|g| !g.is_empty());
            let share = money(9, false)?;
            if share > Decimal::ONE {
                return Err(err(9, format!("{share} is more than the whole exposure")));
            }
            if guarantor.is_none() && !share.is_zero() {
                return Err(err(9, "a share without a guarantor".into()));
            }
            loans.push(Loan {
                enterprise: cell(1).to_string(),
                industry: cell(2).to_string(),
                region: cell(3).to_string(),
                exposure: money(4, true)?,
                pd: prob(5)?,
                lgd: prob(6)?,
                collateral: money(7, false)?,
                guarantor,
                guaranteed_share: share,
                loan_id,
            });
        }
        if loans.is_empty() {
            return Err(PortfolioError::Empty { file: file.into() });
        }
        Ok(Portfolio { loans })
    }

    /// Writes the portfolio as CSV (the columns above).
    pub fn write(&self, w: impl std::io::Write) -> Result<(), csv::Error> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(COLUMNS)?;
        for l in &self.loans {
            out.write_record([
                l.loan_id.as_str(),
                &l.enterprise,
                &l.industry,
                &l.region,
                &l.exposure.to_string(),
                &l.pd.to_string(),
                &l.lgd.to_string(),
                &l.collateral.to_string(),
                l.guarantor.as_deref().unwrap_or(""),
                &l.guaranteed_share.to_string(),
            ])?;
        }
        out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Portfolio, PortfolioError> {
        Portfolio::from_reader(text.as_bytes(), "p.csv")
    }

    #[test]
    fn reads_and_writes_back() {
        let p = read(
            "loan_id,enterprise,industry,region,exposure,pd,lgd,collateral,guarantor,guaranteed_share\n\
             L1,E1,C3841,310115,1000000.00,0.02,0.45,200000,G1,0.8\n\
             L2,E2,I6513,440305,500000,0.05,0.6,,,\n",
        )
        .unwrap();
        assert_eq!(p.loans.len(), 2);
        assert_eq!(p.loans[0].guarantor.as_deref(), Some("G1"));
        assert_eq!(p.loans[1].collateral, Decimal::ZERO);
        let mut buf = Vec::new();
        p.write(&mut buf).unwrap();
        let again = read(std::str::from_utf8(&buf).unwrap()).unwrap();
        assert_eq!(again.loans, p.loans);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = read("loan_id,exposure,pd,lgd\nL1,100,0.1,0.4\nL2,100,1.2,0.4\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.csv, line 3, `pd`: \"1.2\" is not a probability in [0, 1]"
        );
        let e = read("loan_id,exposure,pd,lgd\nL1,-5,0.1,0.4\n").unwrap_err();
        assert!(e.to_string().contains("line 2, `exposure`"), "{e}");
        let e = read("loan_id,exposure,pd,lgd\nL1,5,0.1,0.4\nL1,5,0.1,0.4\n").unwrap_err();
        assert!(e.to_string().contains("appears twice"), "{e}");
        let e = read("loan_id,exposure,lgd\nL1,5,0.4\n").unwrap_err();
        assert!(e.to_string().contains("no `pd` column"), "{e}");
        let e = read("loan_id,exposure,pd,lgd,guaranteed_share\nL1,5,0.1,0.4,0.5\n").unwrap_err();
        assert!(e.to_string().contains("without a guarantor"), "{e}");
        assert!(matches!(
            read("loan_id,exposure,pd,lgd\n"),
            Err(PortfolioError::Empty { .. })
        ));
    }
}
