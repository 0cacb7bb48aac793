//! Data governance: a quality assessment of every source and provider in the store
//! (completeness, validity, uniqueness, timeliness, cross-source consistency), a quality
//! score, and quality issues tracked from open to closed.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::IndicatorError;
use crate::runner::{query_numbers, session};

/// Weights of the five dimensions in the quality score (they sum to 1).
pub const WEIGHTS: [(&str, f64); 5] = [
    ("completeness", 0.25),
    ("validity", 0.30),
    ("uniqueness", 0.15),
    ("timeliness", 0.15),
    ("consistency", 0.15),
];

/// Below these, a dimension raises a quality issue.
pub const THRESHOLDS: [(&str, f64); 5] = [
    ("completeness", 0.95),
    ("validity", 0.995),
    ("uniqueness", 0.999),
    ("timeliness", 0.90),
    ("consistency", 0.90),
];

/// The assessment of one source from one provider.
#[derive(Clone, Debug, Serialize)]
pub struct SourceQuality {
    /// Source name.
    pub source: String,
    /// Data provider.
    pub provider: String,
    /// Rows received.
    pub rows: u64,
    /// Share of non-empty cells in the stored rows.
    pub completeness: f64,
    /// Share of received rows that passed validation.
    pub validity: f64,
    /// Share of received rows that were not duplicates.
    pub uniqueness: f64,
    /// Share of rows that arrived on time (filed by the deadline, or data not stale).
    pub timeliness: f64,
    /// Share of checks against another source that agree (1 when there is none).
    pub consistency: f64,
    /// Weighted score, 0–100.
    pub score: f64,
}

impl SourceQuality {
    fn value(&self, dimension: &str) -> f64 {
        match dimension {
            "completeness" => self.completeness,
            "validity" => self.validity,
            "uniqueness" => self.uniqueness,
            "timeliness" => self.timeliness,
            _ => self.consistency,
        }
    }
}

/// Assesses every source in the store.
pub async fn assess(store: &Path) -> Result<Vec<SourceQuality>, IndicatorError> {
    let manifest =
        xinrong_sources::read_manifest(store).map_err(|e| IndicatorError::Store(e.to_string()))?;
    if manifest.is_empty() {
        return Err(IndicatorError::Store(format!(
            "{}: nothing ingested yet",
            store.display()
        )));
    }
    let mut received: BTreeMap<(String, String), (u64, u64, u64)> = BTreeMap::new();
    for m in manifest {
        let entry = received.entry((m.source, m.provider)).or_default();
        entry.0 += m.rows;
        entry.1 += m.accepted;
        entry.2 += m.duplicates;
    }
    let far = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid");
    let ctx = session(store, far).await?;
    // The latest date seen anywhere: what "now" is for this store.
    let mut latest_overall = f64::NEG_INFINITY;
    let mut latest = BTreeMap::new();
    let mut completeness = BTreeMap::new();
    for source in xinrong_sources::SOURCES {
        let counts: Vec<String> = source
            .fields
            .iter()
            .map(|f| format!("CAST(COUNT({}) AS DOUBLE)", f.name))
            .collect();
        let sql = format!(
            "SELECT CAST(COUNT(*) AS DOUBLE), CAST(MAX({date}) - DATE '1970-01-01' AS DOUBLE), {} FROM {}",
            counts.join(", "),
            source.name,
            date = source.date_field
        );
        let row = query_numbers(&ctx, &sql).await?;
        let n = row[0];
        if n > 0.0 {
            let filled: f64 = row[2..].iter().sum::<f64>() / (n * source.fields.len() as f64);
            completeness.insert(source.name, filled);
            latest.insert(source.name, row[1]);
            if source.name != "registry" && source.name != "ip" {
                latest_overall = latest_overall.max(row[1]);
            }
        }
    }
    let tax_late = first(&ctx,
        "SELECT AVG(CASE WHEN filed_date > period + INTERVAL '1 month' + INTERVAL '15 days' THEN 1.0 ELSE 0.0 END) FROM tax",
    )
    .await?;
    let rnd_late = first(&ctx,
        "SELECT AVG(CASE WHEN report_date > make_date(CAST(year AS INT), CASE quarter WHEN 'Q1' THEN 3 WHEN 'Q2' THEN 6 WHEN 'Q3' THEN 9 ELSE 12 END, 1) + INTERVAL '2 months' THEN 1.0 ELSE 0.0 END) FROM rnd",
    )
    .await?;
    let checks = invoice_vat_checks_in(&ctx).await?;
    let consistent = if checks.is_empty() {
        f64::NAN
    } else {
        checks.iter().filter(|c| c.consistent).count() as f64 / checks.len() as f64
    };
    let mut out = Vec::new();
    for ((source, provider), (rows, accepted, duplicates)) in received {
        let name = source.as_str();
        let timeliness = match name {
            "tax" => 1.0 - nan_to(tax_late, 0.0),
            "rnd" => 1.0 - nan_to(rnd_late, 0.0),
            "registry" | "ip" => 1.0,
            _ => latest.get(name).map_or(0.0, |&d: &f64| {
                (1.0 - ((latest_overall - d) - 31.0).max(0.0) / 365.0).clamp(0.0, 1.0)
            }),
        };
        let consistency = if matches!(name, "invoice" | "tax") {
            nan_to(consistent, 1.0)
        } else {
            1.0
        };
        let mut q = SourceQuality {
            completeness: completeness.get(name).copied().unwrap_or(0.0),
            validity: if rows > 0 {
                accepted as f64 / rows as f64
            } else {
                0.0
            },
            uniqueness: if rows > 0 {
                1.0 - duplicates as f64 / rows as f64
            } else {
                0.0
            },
            timeliness,
            consistency,
            score: 0.0,
            rows,
            source,
            provider,
        };
        q.score = 100.0 * WEIGHTS.iter().map(|(d, w)| w * q.value(d)).sum::<f64>();
        out.push(q);
    }
    Ok(out)
}

/// How far invoiced sales may stray from declared VAT sales in a firm-month before the two
/// sources are taken to disagree: a return also declares uninvoiced sales (a few per cent for a
/// firm that invoices its business customers), so exact equality is not expected.
pub const INVOICE_VAT_TOLERANCE: f64 = 0.10;

/// One firm-month in which both e-invoices and a VAT return exist.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InvoiceVatCheck {
    /// The enterprise.
    pub uscc: String,
    /// The month (its first day).
    pub month: NaiveDate,
    /// Issued invoices, net of red-letter reversals.
    pub invoiced: f64,
    /// Sales declared on the VAT return.
    pub declared: f64,
    /// Whether they agree within [`INVOICE_VAT_TOLERANCE`] of the declared sales.
    pub consistent: bool,
}

/// Invoices against VAT returns, firm-month by firm-month: the cross-source consistency check
/// of the invoice and tax sources.
pub async fn invoice_vat_checks(store: &Path) -> Result<Vec<InvoiceVatCheck>, IndicatorError> {
    let far = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid");
    invoice_vat_checks_in(&session(store, far).await?).await
}

async fn invoice_vat_checks_in(
    ctx: &datafusion::prelude::SessionContext,
) -> Result<Vec<InvoiceVatCheck>, IndicatorError> {
    let sql = "WITH i AS (SELECT uscc, CAST(date_trunc('month', date) AS DATE) AS m, SUM(amount) AS invoiced \
                 FROM invoice WHERE direction = 'issued' GROUP BY 1, 2), \
              t AS (SELECT uscc, period AS m, SUM(sales) AS declared FROM tax WHERE tax_type = 'vat' GROUP BY 1, 2) \
         SELECT i.uscc, CAST(i.m - DATE '1970-01-01' AS DOUBLE), i.invoiced, t.declared \
         FROM i JOIN t ON i.uscc = t.uscc AND i.m = t.m WHERE t.declared > 0 ORDER BY 1, 2";
    let (uscc, values) = crate::runner::run(ctx, sql, "invoice-VAT consistency").await?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    Ok(uscc
        .into_iter()
        .enumerate()
        .map(|(r, uscc)| {
            let (invoiced, declared) = (values[1][r], values[2][r]);
            InvoiceVatCheck {
                uscc,
                month: epoch + chrono::Days::new(values[0][r] as u64),
                invoiced,
                declared,
                consistent: (invoiced - declared).abs() <= INVOICE_VAT_TOLERANCE * declared,
            }
        })
        .collect())
}

async fn first(
    ctx: &datafusion::prelude::SessionContext,
    sql: &str,
) -> Result<f64, IndicatorError> {
    Ok(query_numbers(ctx, sql)
        .await?
        .first()
        .copied()
        .unwrap_or(f64::NAN))
}

fn nan_to(x: f64, default: f64) -> f64 {
    if x.is_nan() { default } else { x }
}

/// Where a quality issue stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    /// Found, provider not yet told.
    Open,
    /// The provider has been told.
    Notified,
    /// The provider fixed it (a re-assessment no longer finds it).
    Fixed,
    /// Accepted as is, with a reason.
    Accepted,
}

/// A quality problem of one source from one provider, tracked to closure.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QualityIssue {
    /// Stable id.
    pub id: u32,
    /// Source.
    pub source: String,
    /// Provider to tell.
    pub provider: String,
    /// The dimension below its threshold.
    pub check: String,
    /// The value found when last assessed.
    pub value: f64,
    /// Current status.
    pub status: IssueStatus,
    /// Status changes with notes, oldest first.
    pub history: Vec<String>,
}

/// Opens issues for dimensions below threshold that have no live issue yet, and records the
/// latest value on existing ones. Returns the issues that were opened now.
pub fn raise_issues(
    issues: &mut Vec<QualityIssue>,
    assessment: &[SourceQuality],
    now: &str,
) -> Vec<u32> {
    let mut opened = Vec::new();
    for q in assessment {
        for (check, threshold) in THRESHOLDS {
            let value = q.value(check);
            let live = issues.iter_mut().find(|i| {
                i.source == q.source
                    && i.provider == q.provider
                    && i.check == check
                    && matches!(i.status, IssueStatus::Open | IssueStatus::Notified)
            });
            match live {
                Some(issue) => issue.value = value,
                None if value < threshold => {
                    let id = issues.iter().map(|i| i.id).max().unwrap_or(0) + 1;
                    issues.push(QualityIssue {
                        id,
                        source: q.source.clone(),
                        provider: q.provider.clone(),
                        check: check.to_string(),
                        value,
                        status: IssueStatus::Open,
                        history: vec![format!("{now} open: {check} {value:.4} below {threshold}")],
                    });
                    opened.push(id);
                }
                None => {}
            }
        }
    }
    opened
}

/// Moves an issue to a new status; only the transitions open → notified → fixed/accepted
/// (and open → fixed/accepted) are allowed.
pub fn transition(
    issue: &mut QualityIssue,
    to: IssueStatus,
    note: &str,
    now: &str,
) -> Result<(), String> {
    use IssueStatus::*;
    let allowed = matches!(
        (issue.status, to),
        (Open, Notified) | (Open | Notified, Fixed | Accepted)
    );
    if !allowed {
        return Err(format!(
            "issue {} is {:?}; it cannot become {:?}",
            issue.id, issue.status, to
        ));
    }
    if to == Accepted && note.trim().is_empty() {
        return Err("accepting an issue needs a reason (--note)".into());
    }
    issue
        .history
        .push(format!("{now} {to:?}: {note}").to_lowercase());
    issue.status = to;
    Ok(())
}
