//! Need signals as the platform serves them: the file `xinrong signals` writes, loaded one row
//! per enterprise and month-end, so that an online answer reads a stored signal instead of
//! forecasting from raw bank statements. A projected shortfall is also what the platform
//! pushes as offers to the institutions an enterprise has authorised.

use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use xinrong_core::Uscc;

use crate::error::PlatformError;
use crate::ids::now_ms;
use crate::registry::bump;

/// One enterprise's need signal as of a month-end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredSignal {
    /// The enterprise.
    #[schema(value_type = String)]
    pub enterprise: Uscc,
    /// Month-end the signal is as of (YYYY-MM-DD).
    pub as_of: String,
    /// `shortfall`, `order_won`, `equipment_purchase`, `payables_peak` or `rnd_ramp`.
    pub kind: String,
    /// What the money would be for: `working_capital`, `order_fulfilment`, `equipment`, `rnd`.
    pub purpose: String,
    /// How far below the buffer the balance is projected to fall, as a share of the buffer;
    /// above 0 is a projected shortfall.
    pub severity: f64,
    /// Yuan that would restore one and a half buffers (a decimal string).
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// First month projected below the buffer (YYYY-MM), empty when none.
    pub from: String,
    /// Last month looked at (YYYY-MM).
    pub to: String,
    /// The numbers it rests on: balance, buffer, projected balances, data sources.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
}

impl StoredSignal {
    /// Whether it projects a shortfall.
    pub fn is_shortfall(&self) -> bool {
        self.severity > 0.0
    }
}

/// Columns of the file `xinrong signals` writes (and this module reads back).
pub const COLUMNS: [&str; 15] = [
    "uscc",
    "as_of",
    "signal",
    "kind",
    "purpose",
    "severity",
    "amount",
    "from",
    "to",
    "balance",
    "buffer",
    "projected_1",
    "projected_2",
    "projected_3",
    "sources",
];

/// What reading a signals file gave.
#[derive(Debug, Default)]
pub struct SignalsFile {
    /// The signals.
    pub signals: Vec<StoredSignal>,
    /// Enterprises without the data to signal (`no_data` rows): kept out, counted.
    pub no_data: usize,
    /// Rows refused, each with its line, field and why.
    pub rejected: Vec<String>,
}

/// Reads a signals file; a row that does not parse is refused with its line and field, and
/// the rest are read.
pub fn read_signals(path: &Path) -> Result<SignalsFile, PlatformError> {
    let io = |e: std::io::Error| PlatformError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(e) => io(e),
        other => PlatformError::invalid("file", format!("{}: {other:?}", path.display())),
    })?;
    let headers = reader
        .headers()
        .map_err(|e| PlatformError::invalid("file", format!("{}: {e}", path.display())))?
        .clone();
    let mut at = [0usize; COLUMNS.len()];
    for (k, name) in COLUMNS.iter().enumerate() {
        at[k] = headers.iter().position(|h| h == *name).ok_or_else(|| {
            PlatformError::invalid(
                "file",
                format!(
                    "{}: no `{name}` column; expected the file `xinrong signals --out` writes",
                    path.display()
                ),
            )
        })?;
    }
    let mut out = SignalsFile::default();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.rejected.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let get = |k: usize| record.get(at[k]).unwrap_or("");
        if get(2) == "no_data" {
            out.no_data += 1;
            continue;
        }
        match parse_row(&get) {
            Ok(s) => out.signals.push(s),
            Err((field, why)) => out.rejected.push(format!("line {line}, {field}: {why}")),
        }
    }
    Ok(out)
}

fn parse_row<'a>(get: &impl Fn(usize) -> &'a str) -> Result<StoredSignal, (&'static str, String)> {
    let enterprise: Uscc = get(0).parse().map_err(|e| ("uscc", format!("{e}")))?;
    let as_of = chrono::NaiveDate::parse_from_str(get(1), "%Y-%m-%d")
        .map_err(|_| ("as_of", format!("{:?} is not a date", get(1))))?;
    let number = |k: usize, field: &'static str| -> Result<f64, (&'static str, String)> {
        get(k)
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or((field, format!("{:?} is not a number", get(k))))
    };
    let severity = number(5, "severity")?;
    let amount: Decimal = get(6)
        .parse()
        .ok()
        .filter(|a: &Decimal| !a.is_sign_negative())
        .ok_or(("amount", format!("{:?} is not an amount of yuan", get(6))))?;
    let word = |k: usize, field: &'static str| -> Result<String, (&'static str, String)> {
        let v = get(k);
        if v.is_empty() || v.len() > 40 || !v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err((field, format!("{v:?} is not a code")));
        }
        Ok(v.to_string())
    };
    let month = |k: usize, field: &'static str, empty_ok: bool| {
        let v = get(k);
        let ok = (empty_ok && v.is_empty())
            || chrono::NaiveDate::parse_from_str(&format!("{v}-01"), "%Y-%m-%d").is_ok();
        if ok {
            Ok(v.to_string())
        } else {
            Err((field, format!("{v:?} is not YYYY-MM")))
        }
    };
    let projected: Vec<f64> = (11..14).filter_map(|k| get(k).parse().ok()).collect();
    Ok(StoredSignal {
        enterprise,
        as_of: as_of.to_string(),
        kind: word(3, "kind")?,
        purpose: word(4, "purpose")?,
        severity,
        amount,
        from: month(7, "from", true)?,
        to: month(8, "to", false)?,
        evidence: serde_json::json!({
            "balance": number(9, "balance")?,
            "buffer": number(10, "buffer")?,
            "projected": projected,
            "sources": get(14).split('+').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
        }),
    })
}

/// Rows per insert statement when loading.
const LOAD_CHUNK: usize = 100;

/// Stores signals (replacing any for the same enterprise and month-end, which are then pushed
/// again) in one transaction; signals of enterprises not registered are refused, named.
pub async fn load(pool: &AnyPool, signals: &[StoredSignal]) -> Result<u64, PlatformError> {
    let known: std::collections::HashSet<String> =
        sqlx::query_as::<_, (String,)>("SELECT uscc FROM enterprises")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect();
    if let Some(s) = signals
        .iter()
        .find(|s| !known.contains(s.enterprise.as_str()))
    {
        return Err(PlatformError::invalid(
            "enterprise",
            format!(
                "{} (signalled as of {}) is not registered; nothing was loaded",
                s.enterprise, s.as_of
            ),
        ));
    }
    let loaded = now_ms();
    let mut tx = pool.begin().await?;
    for chunk in signals.chunks(LOAD_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO need_signals (uscc, as_of, kind, purpose, severity, amount, from_month, \
             to_month, evidence, loaded_ms) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let p: Vec<String> = (1..=10).map(|c| format!("${}", 10 * i + c)).collect();
            sql.push_str(&format!("({})", p.join(", ")));
        }
        sql.push_str(
            " ON CONFLICT (uscc, as_of) DO UPDATE SET kind = excluded.kind, \
             purpose = excluded.purpose, severity = excluded.severity, amount = excluded.amount, \
             from_month = excluded.from_month, to_month = excluded.to_month, \
             evidence = excluded.evidence, loaded_ms = excluded.loaded_ms, pushed_ms = NULL",
        );
        // Built from constants and numbered placeholders only: no value is spliced in.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in chunk {
            q = q
                .bind(s.enterprise.as_str())
                .bind(s.as_of.clone())
                .bind(s.kind.clone())
                .bind(s.purpose.clone())
                .bind(s.severity)
                .bind(s.amount.to_string())
                .bind(s.from.clone())
                .bind(s.to.clone())
                .bind(s.evidence.to_string())
                .bind(loaded);
        }
        q.execute(&mut *tx).await?;
    }
    bump(&mut tx, "signals").await?;
    tx.commit().await?;
    Ok(signals.len() as u64)
}

type Row = (
    String,
    String,
    String,
    String,
    f64,
    String,
    String,
    String,
    String,
);

const SELECT: &str = "SELECT uscc, as_of, kind, purpose, severity, amount, from_month, to_month, \
                      evidence FROM need_signals";

fn signal(row: Row) -> Result<StoredSignal, PlatformError> {
    let (uscc, as_of, kind, purpose, severity, amount, from, to, evidence) = row;
    let broken =
        |what: &str| PlatformError::Conflict(format!("stored signal {uscc} {as_of}: {what}"));
    Ok(StoredSignal {
        enterprise: uscc.parse().map_err(|_| broken("uscc"))?,
        amount: amount.parse().map_err(|_| broken("amount"))?,
        evidence: serde_json::from_str(&evidence).map_err(|_| broken("evidence"))?,
        as_of,
        kind,
        purpose,
        severity,
        from,
        to,
    })
}

/// An enterprise's latest signals, newest first (`limit` month-ends at most).
pub async fn latest(
    pool: &AnyPool,
    enterprise: &Uscc,
    limit: i64,
) -> Result<Vec<StoredSignal>, PlatformError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE uscc = $1 ORDER BY as_of DESC LIMIT $2"
    )))
    .bind(enterprise.as_str())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(signal).collect()
}

/// Projected shortfalls not yet pushed as offers, oldest month-end first.
pub async fn to_push(pool: &AnyPool, limit: i64) -> Result<Vec<StoredSignal>, PlatformError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE pushed_ms IS NULL AND severity > 0 ORDER BY as_of, uscc LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(signal).collect()
}

/// Marks a signal pushed.
pub async fn mark_pushed(pool: &AnyPool, s: &StoredSignal) -> Result<(), PlatformError> {
    sqlx::query("UPDATE need_signals SET pushed_ms = $1 WHERE uscc = $2 AND as_of = $3")
        .bind(now_ms())
        .bind(s.enterprise.as_str())
        .bind(s.as_of.clone())
        .execute(pool)
        .await?;
    Ok(())
}
