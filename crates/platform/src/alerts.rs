//! Early warnings as the platform serves them: the alerts `xinrong monitor warnings` raises,
//! routed when loaded to each institution holding a live post-loan monitoring consent from the
//! enterprise, as episodes (one open alert per institution, enterprise and signal: a signal
//! that keeps firing updates its alert instead of opening another). Each institution acts on
//! its own alerts: open → acknowledged → resolved with a note; another bank's notes and
//! actions are never shown to it, nor to the enterprise. Every change is a ledger entry
//! (through the outbox, committed with the change), so who knew what and when is auditable.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use xinrong_core::{Purpose, Uscc};
use xinrong_ledger::Entry;

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::fields::Id;
use crate::ids::{new_id, now_ms, rfc3339};
use crate::journal::{self, Action};
use crate::platform::Platform;

/// One alert of a batch, as `xinrong monitor warnings` writes `alerts.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RaisedAlert {
    /// Month end it fired.
    pub date: NaiveDate,
    /// The enterprise.
    pub uscc: Uscc,
    /// The signal.
    pub signal: String,
    /// `red`, `yellow` or `blue`.
    pub level: String,
    /// The rule's row id.
    pub rule: String,
    /// What the row says.
    pub description: String,
    /// The facts it tested, with values.
    pub evidence: String,
    /// Suggested action.
    pub action_en: String,
    /// Suggested action in Chinese.
    pub action_zh: String,
    /// SHA-256 of the rules.
    pub rules: String,
}

/// An alert as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    /// Platform id.
    pub alert_id: String,
    /// The institution it is routed to (empty: nobody monitors the enterprise).
    pub institution: String,
    /// The enterprise.
    pub enterprise: String,
    /// The signal (one open alert per enterprise and signal).
    pub signal: String,
    /// `red`, `yellow` or `blue` (the latest level while open).
    pub level: String,
    /// The rule that fired last.
    pub rule: String,
    /// What it means.
    pub description: String,
    /// The facts and their values (`field=value; …`).
    pub evidence: String,
    /// Suggested action.
    pub action_en: String,
    /// Suggested action in Chinese.
    pub action_zh: String,
    /// SHA-256 of the rules that raised it.
    pub rules: String,
    /// Month end it opened.
    pub opened: String,
    /// Last month end it fired.
    pub last_seen: String,
    /// `open`, `acknowledged` or `resolved`.
    pub status: String,
    /// The resolution note.
    pub note: String,
    /// Who changed it last.
    pub updated_by: String,
    /// When (RFC 3339).
    pub updated: String,
}

#[derive(sqlx::FromRow)]
struct AlertRow {
    alert_id: String,
    institution: String,
    enterprise: String,
    signal: String,
    level: String,
    rule: String,
    description: String,
    evidence: String,
    action_en: String,
    action_zh: String,
    rules: String,
    opened: String,
    last_seen: String,
    status: String,
    note: String,
    updated_by: String,
    updated_ms: i64,
}

const COLUMNS: &str = "alert_id, institution, enterprise, signal, level, rule, description, evidence, \
                       action_en, action_zh, rules, opened, last_seen, status, note, updated_by, updated_ms";

fn view(r: AlertRow) -> AlertView {
    AlertView {
        alert_id: r.alert_id,
        institution: r.institution,
        enterprise: r.enterprise,
        signal: r.signal,
        level: r.level,
        rule: r.rule,
        description: r.description,
        evidence: r.evidence,
        action_en: r.action_en,
        action_zh: r.action_zh,
        rules: r.rules,
        opened: r.opened,
        last_seen: r.last_seen,
        status: r.status,
        note: r.note,
        updated_by: r.updated_by,
        updated: rfc3339(r.updated_ms),
    }
}

/// What reading an alerts file gave.
#[derive(Debug, Default)]
pub struct AlertsFile {
    /// The alerts, in file order.
    pub alerts: Vec<RaisedAlert>,
    /// Rows refused, each with its line and why.
    pub rejected: Vec<String>,
}

/// Longest text of a loaded field.
const MAX_TEXT: usize = 2000;

/// `text` for `field`: at most `max` characters, no control characters but (in a note, where
/// several lines are usual) line ends and tabs; the message says what is wrong, not where.
fn check_text(field: &str, text: &str, max: usize) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("longer than {max} characters"));
    }
    let allowed = |c: char| field == "note" && matches!(c, '\n' | '\r' | '\t');
    if let Some(c) = text.chars().find(|c| c.is_control() && !allowed(*c)) {
        return Err(format!(
            "control character U+{:04X} is not allowed",
            c as u32
        ));
    }
    Ok(())
}

impl RaisedAlert {
    fn check(&self) -> Result<(), String> {
        if !["red", "yellow", "blue"].contains(&self.level.as_str()) {
            return Err(format!(
                "level: {:?} is not red, yellow or blue",
                self.level
            ));
        }
        if self.signal.is_empty()
            || self.signal.len() > 64
            || !self
                .signal
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!(
                "signal: {:?} is not 1–64 lowercase letters, digits or '_'",
                self.signal
            ));
        }
        for (f, t) in [
            ("rule", &self.rule),
            ("description", &self.description),
            ("evidence", &self.evidence),
            ("action_en", &self.action_en),
            ("action_zh", &self.action_zh),
            ("rules", &self.rules),
        ] {
            check_text(f, t, MAX_TEXT).map_err(|m| format!("{f}: {m}"))?;
        }
        Ok(())
    }
}

/// Reads the `alerts.csv` of `xinrong monitor warnings`; a bad row is refused with its line.
pub fn read_alerts(path: &Path) -> Result<AlertsFile, PlatformError> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| PlatformError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let headers = rdr
        .headers()
        .map_err(|e| PlatformError::invalid("file", format!("{}: {e}", path.display())))?;
    for column in [
        "date",
        "uscc",
        "signal",
        "level",
        "rule",
        "description",
        "evidence",
        "action_en",
        "action_zh",
        "rules",
    ] {
        if !headers.iter().any(|h| h == column) {
            return Err(PlatformError::invalid(
                "file",
                format!(
                    "{}: no `{column}` column (an alerts file is the alerts.csv of `xinrong monitor warnings`)",
                    path.display()
                ),
            ));
        }
    }
    let mut out = AlertsFile::default();
    for (i, row) in rdr.deserialize::<RaisedAlert>().enumerate() {
        let line = i + 2;
        match row
            .map_err(|e| e.to_string())
            .and_then(|a| a.check().map(|()| a))
        {
            Ok(a) => out.alerts.push(a),
            Err(e) => out
                .rejected
                .push(format!("{}, line {line}: {e}", path.display())),
        }
    }
    Ok(out)
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Loaded {
    /// Alerts opened (one per institution the enterprise's alert is routed to).
    pub opened: u64,
    /// Open alerts that fired again (level, evidence and last month updated).
    pub updated: u64,
    /// Rows that tell nothing new (older than their alert's last month, or the same row
    /// again), left as they are.
    pub unchanged: u64,
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Loads a batch of alerts: each is routed to every institution holding a live post-loan
/// consent from its enterprise (or kept unrouted, for the regulator, when none does) and opens
/// an alert there, or updates the open one of that institution, enterprise and signal; a row no
/// newer than the institution's resolved alert of the same signal changes nothing. Every
/// enterprise must be registered (else nothing is loaded). Each change is committed with its
/// ledger entry in the outbox.
pub async fn load(
    pool: &AnyPool,
    alerts: &[RaisedAlert],
    by: &str,
) -> Result<Loaded, PlatformError> {
    let known: HashSet<String> = sqlx::query_as::<_, (String,)>("SELECT uscc FROM enterprises")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
    if let Some(a) = alerts.iter().find(|a| !known.contains(a.uscc.as_str())) {
        return Err(PlatformError::invalid(
            "enterprise",
            format!(
                "{} (alert {} of {}) is not registered; nothing was loaded",
                a.uscc, a.signal, a.date
            ),
        ));
    }
    if let Some(e) = alerts.iter().find_map(|a| a.check().err()) {
        return Err(PlatformError::invalid("alerts", e));
    }
    let mut sorted: Vec<&RaisedAlert> = alerts.iter().collect();
    sorted.sort_by_key(|a| a.date);
    let mut done = Loaded::default();
    for chunk in sorted.chunks(500) {
        // A concurrent load may open the same alert first: the database refuses the second
        // (one open alert per enterprise and signal), and the chunk runs again, now finding
        // it. SQLite may also refuse a second writer outright (busy); it waits and retries.
        let mut attempts = 0u64;
        let counted = loop {
            attempts += 1;
            match load_chunk(pool, chunk, by).await {
                Err(PlatformError::Db(sqlx::Error::Database(e)))
                    if attempts < 20
                        && (e.is_unique_violation()
                            || matches!(e.code().as_deref(), Some("5" | "517"))) =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(10 * attempts)).await;
                }
                other => break other?,
            }
        };
        done.opened += counted.opened;
        done.updated += counted.updated;
        done.unchanged += counted.unchanged;
    }
    Ok(done)
}

async fn load_chunk(
    pool: &AnyPool,
    chunk: &[&RaisedAlert],
    by: &str,
) -> Result<Loaded, PlatformError> {
    let mut done = Loaded::default();
    let today = chrono::Utc::now().date_naive().to_string();
    let mut tx = pool.begin().await?;
    for a in chunk {
        let mut holders: Vec<String> = sqlx::query_as::<_, (String,)>(
            "SELECT DISTINCT institution_id FROM consents WHERE uscc = $1 AND purpose = 'post_loan' \
             AND revoked_ms IS NULL AND expires >= $2",
        )
        .bind(a.uscc.as_str())
        .bind(&today)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
        if holders.is_empty() {
            holders.push(String::new());
        }
        for institution in &holders {
            match upsert(&mut tx, a, institution, by).await? {
                Upsert::Opened => done.opened += 1,
                Upsert::Updated => done.updated += 1,
                Upsert::Unchanged => done.unchanged += 1,
            }
        }
    }
    tx.commit().await?;
    Ok(done)
}

enum Upsert {
    Opened,
    Updated,
    Unchanged,
}

async fn upsert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    a: &RaisedAlert,
    institution: &str,
    by: &str,
) -> Result<Upsert, PlatformError> {
    let key = format!("{institution}|{}|{}", a.uscc, a.signal);
    let date = a.date.to_string();
    // Resolved is final: a row no newer than the institution's last resolved alert of the same
    // signal (a file loaded again, an overlapping period) opens nothing.
    let (resolved_until,): (Option<String>,) = sqlx::query_as(
        "SELECT MAX(last_seen) FROM alerts WHERE institution = $1 AND enterprise = $2 \
         AND signal = $3 AND status = 'resolved'",
    )
    .bind(institution)
    .bind(a.uscc.as_str())
    .bind(&a.signal)
    .fetch_one(&mut **tx)
    .await?;
    if resolved_until.is_some_and(|r| r >= date) {
        return Ok(Upsert::Unchanged);
    }
    let now = now_ms();
    let (alert_id, action) = loop {
        let existing: Option<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT alert_id, last_seen, level, rule, evidence FROM alerts WHERE open_key = $1",
        )
        .bind(&key)
        .fetch_optional(&mut **tx)
        .await?;
        match existing {
            Some((_, last, ..)) if last.as_str() > date.as_str() => return Ok(Upsert::Unchanged),
            Some((_, last, level, rule, evidence))
                if last == date && level == a.level && rule == a.rule && evidence == a.evidence =>
            {
                return Ok(Upsert::Unchanged);
            }
            Some((id, ..)) => {
                // Only while it is still open: an alert resolved meanwhile stays as resolved,
                // and the loop opens a new one.
                let changed = sqlx::query(
                    "UPDATE alerts SET level = $1, rule = $2, description = $3, evidence = $4, \
                     action_en = $5, action_zh = $6, rules = $7, last_seen = $8, updated_by = $9, \
                     updated_ms = $10 WHERE alert_id = $11 AND open_key = $12",
                )
                .bind(&a.level)
                .bind(&a.rule)
                .bind(&a.description)
                .bind(&a.evidence)
                .bind(&a.action_en)
                .bind(&a.action_zh)
                .bind(&a.rules)
                .bind(&date)
                .bind(by)
                .bind(now)
                .bind(&id)
                .bind(&key)
                .execute(&mut **tx)
                .await?
                .rows_affected();
                if changed == 1 {
                    break (id, "updated");
                }
            }
            None => {
                let id = new_id("al");
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO alerts ({COLUMNS}, open_key) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                     $8, $9, $10, $11, $12, $13, 'open', '', $14, $15, $16)"
                )))
                .bind(&id)
                .bind(institution)
                .bind(a.uscc.as_str())
                .bind(&a.signal)
                .bind(&a.level)
                .bind(&a.rule)
                .bind(&a.description)
                .bind(&a.evidence)
                .bind(&a.action_en)
                .bind(&a.action_zh)
                .bind(&a.rules)
                .bind(&date)
                .bind(&date)
                .bind(by)
                .bind(now)
                .bind(&key)
                .execute(&mut **tx)
                .await?;
                break (id, "raised");
            }
        }
    };
    let (action_id, time) = Action::stamp();
    journal::enqueue(
        tx,
        &Action {
            action_id,
            kind: "alert",
            by: by.to_string(),
            entry: Entry::AlertAction {
                alert_id,
                institution: institution.to_string(),
                enterprise: a.uscc.clone(),
                signal: a.signal.clone(),
                level: a.level.clone(),
                action: action.into(),
                by: by.to_string(),
                detail_sha256: digest(&[&a.rule, &a.evidence, &a.rules, &date]),
                time,
            },
        },
    )
    .await?;
    Ok(if action == "raised" {
        Upsert::Opened
    } else {
        Upsert::Updated
    })
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertFilter {
    /// Only this enterprise.
    pub enterprise: Option<String>,
    /// `open`, `acknowledged` or `resolved` (default: all but resolved).
    pub status: Option<String>,
    /// `red`, `yellow` or `blue`.
    pub level: Option<String>,
    /// At most this many, newest change first (1–500, default 100).
    pub limit: Option<i64>,
    /// After skipping this many (0–10,000, default 0): the console's pages.
    pub offset: Option<i64>,
}

/// Most alerts skipped to reach a page.
pub const MAX_OFFSET: i64 = 10_000;

/// What may be done to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAct {
    /// Seen and being handled.
    Acknowledge,
    /// Closed, with a note saying how.
    Resolve,
}

/// Whose alerts a caller sees.
enum Scope {
    /// Every institution's (the operator, the regulator).
    All,
    /// Its own, about the enterprises that gave it a live post-loan consent.
    Mine {
        institution: String,
        enterprises: HashSet<String>,
    },
}

impl Scope {
    /// The institution the alerts must be routed to and the enterprises they may be about
    /// (none: any), as [`alert_clauses`] takes them.
    fn parts(self) -> (Option<String>, Option<Vec<String>>) {
        match self {
            Scope::All => (None, None),
            Scope::Mine {
                institution,
                enterprises,
            } => (Some(institution), Some(enterprises.into_iter().collect())),
        }
    }
}

impl Platform {
    /// The regulator and the operator see every alert; a bank or guarantor its own, of the
    /// enterprises that (still) give it a live post-loan monitoring consent. An enterprise
    /// does not read the alerts about it: they carry lenders' actions and notes.
    fn alert_scope(&self, by: &Institution) -> Result<Scope, PlatformError> {
        match by.kind {
            Kind::Operator | Kind::Regulator => Ok(Scope::All),
            Kind::Enterprise => Err(PlatformError::role(
                "early warnings are for the institutions monitoring an enterprise; an enterprise sees who queried it at /v1/portrait/queries",
            )),
            Kind::Bank | Kind::Guarantor => {
                let today = chrono::Utc::now().date_naive();
                let mut enterprises = std::collections::HashSet::new();
                self.consents.for_each_live(&by.id, today, |c| {
                    if c.purpose == Purpose::PostLoan {
                        enterprises.insert(c.enterprise.to_string());
                    }
                });
                Ok(Scope::Mine {
                    institution: by.id.clone(),
                    enterprises,
                })
            }
        }
    }

    /// Alerts `by` may see, newest change first.
    pub async fn alerts(
        &self,
        by: &Institution,
        filter: &AlertFilter,
    ) -> Result<Vec<AlertView>, PlatformError> {
        // Who may look comes first: an enterprise learns nothing from its query's errors.
        let scope = self.alert_scope(by)?;
        let limit = filter.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(PlatformError::invalid(
                "limit",
                format!("{limit} is not 1–500"),
            ));
        }
        let offset = filter.offset.unwrap_or(0);
        if !(0..=MAX_OFFSET).contains(&offset) {
            return Err(PlatformError::invalid(
                "offset",
                format!("{offset} is not 0–{MAX_OFFSET}"),
            ));
        }
        let status = match filter.status.as_deref() {
            None => None,
            Some(s @ ("open" | "acknowledged" | "resolved")) => Some(s),
            Some(s) => {
                return Err(PlatformError::invalid(
                    "status",
                    format!(
                        "{} is not open, acknowledged or resolved",
                        crate::fields::shown(s)
                    ),
                ));
            }
        };
        if let Some(l) = filter.level.as_deref()
            && !["red", "yellow", "blue"].contains(&l)
        {
            return Err(PlatformError::invalid(
                "level",
                format!("{} is not red, yellow or blue", crate::fields::shown(l)),
            ));
        }
        let enterprise = filter
            .enterprise
            .as_deref()
            .map(|e| crate::scoring::parse_uscc("enterprise", e))
            .transpose()?;
        let (mine, mut wanted) = scope.parts();
        if let Some(e) = &enterprise {
            wanted = Some(match wanted {
                Some(w) if !w.iter().any(|x| x == e.as_str()) => Vec::new(),
                _ => vec![e.to_string()],
            });
        }
        let mut out = Vec::new();
        // Each chunk gives its first `offset + limit`; the page is cut from their merge.
        let wanted_rows = offset + limit;
        for (clause, binds) in alert_clauses(status, filter.level.as_deref(), mine, wanted) {
            let sql = format!(
                "SELECT {COLUMNS} FROM alerts WHERE {clause} \
                 ORDER BY updated_ms DESC, alert_id DESC LIMIT {wanted_rows}"
            );
            let mut q = sqlx::query_as::<_, AlertRow>(sqlx::AssertSqlSafe(sql));
            for b in binds {
                q = q.bind(b);
            }
            out.extend(q.fetch_all(&self.pool).await?.into_iter().map(view));
        }
        out.sort_by(|a, b| b.updated.cmp(&a.updated).then(b.alert_id.cmp(&a.alert_id)));
        Ok(out
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect())
    }

    /// Open alerts the caller may see, counted by level (all of them, not a page).
    pub async fn open_alert_counts(
        &self,
        by: &Institution,
    ) -> Result<std::collections::BTreeMap<String, u64>, PlatformError> {
        let (mine, wanted) = self.alert_scope(by)?.parts();
        let mut counts = std::collections::BTreeMap::new();
        for (clause, binds) in alert_clauses(Some("open"), None, mine, wanted) {
            let sql = format!("SELECT level, COUNT(*) FROM alerts WHERE {clause} GROUP BY level");
            let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
            for b in binds {
                q = q.bind(b);
            }
            for (level, n) in q.fetch_all(&self.pool).await? {
                *counts.entry(level).or_insert(0) += n as u64;
            }
        }
        Ok(counts)
    }

    /// Acknowledges or resolves an alert. Only the bank or guarantor it is routed to acts on
    /// it, while its post-loan consent is live (for another bank or guarantor it does not
    /// exist: 404; other roles are refused: 403); resolving needs a note; a resolved alert is
    /// final.
    pub async fn act_on_alert(
        &self,
        by: &Institution,
        alert_id: &Id,
        act: AlertAct,
        note: &str,
    ) -> Result<AlertView, PlatformError> {
        self.writable()?;
        if !matches!(by.kind, Kind::Bank | Kind::Guarantor) {
            return Err(PlatformError::role(format!(
                "{} may not act on alerts; the bank or guarantor monitoring the enterprise does",
                by.kind.with_article()
            )));
        }
        check_text("note", note, MAX_TEXT).map_err(|m| PlatformError::invalid("note", m))?;
        if act == AlertAct::Resolve && note.trim().is_empty() {
            return Err(PlatformError::invalid(
                "note",
                "resolving an alert needs a note saying how it was resolved",
            ));
        }
        let not_found = || PlatformError::NotFound(format!("alert {alert_id}"));
        let row: AlertRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM alerts WHERE alert_id = $1"
        )))
        .bind(alert_id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(not_found)?;
        let current = view(row);
        match self.alert_scope(by)? {
            Scope::Mine {
                institution,
                enterprises,
            } if institution == current.institution
                && enterprises.contains(&current.enterprise) => {}
            _ => return Err(not_found()),
        }
        let (from, to, action): (&[&str], &str, &str) = match act {
            AlertAct::Acknowledge => (&["open"], "acknowledged", "acknowledged"),
            AlertAct::Resolve => (&["open", "acknowledged"], "resolved", "resolved"),
        };
        if !from.contains(&current.status.as_str()) {
            return Err(PlatformError::Conflict(format!(
                "alert {alert_id} is {}; it cannot be {action}",
                current.status
            )));
        }
        let enterprise: Uscc = current
            .enterprise
            .parse()
            .map_err(|_| PlatformError::Unavailable("a stored alert names a bad USCC".into()))?;
        let mut tx = self.pool.begin().await?;
        let clear_key = if to == "resolved" {
            ", open_key = NULL"
        } else {
            ""
        };
        // The consent is checked again in the same statement: a revocation committed since the
        // check above stops the action.
        let changed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE alerts SET status = $1, note = $2, updated_by = $3, updated_ms = $4{clear_key} \
             WHERE alert_id = $5 AND status = $6 AND EXISTS (SELECT 1 FROM consents WHERE \
             consents.uscc = alerts.enterprise AND consents.institution_id = $3 AND \
             consents.purpose = 'post_loan' AND consents.revoked_ms IS NULL AND consents.expires >= $7)"
        )))
        .bind(to)
        .bind(note)
        .bind(&by.id)
        .bind(now_ms())
        .bind(alert_id.as_str())
        .bind(&current.status)
        .bind(chrono::Utc::now().date_naive().to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            let (status,): (String,) =
                sqlx::query_as("SELECT status FROM alerts WHERE alert_id = $1")
                    .bind(alert_id.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
            return Err(if status == current.status {
                not_found() // the consent went meanwhile
            } else {
                PlatformError::Conflict(format!(
                    "alert {alert_id} changed meanwhile; read it again"
                ))
            });
        }
        let (action_id, time) = Action::stamp();
        journal::enqueue(
            &mut tx,
            &Action {
                action_id,
                kind: "alert",
                by: by.id.clone(),
                entry: Entry::AlertAction {
                    alert_id: alert_id.to_string(),
                    institution: by.id.clone(),
                    enterprise,
                    signal: current.signal.clone(),
                    level: current.level.clone(),
                    action: action.into(),
                    by: by.id.clone(),
                    detail_sha256: digest(&[note]),
                    time,
                },
            },
        )
        .await?;
        tx.commit().await?;
        self.append_admin_actions().await?;
        let row: AlertRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM alerts WHERE alert_id = $1"
        )))
        .bind(alert_id.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(view(row))
    }
}

/// The `WHERE` clauses (one per chunk of enterprises, as a bound list has a size limit) and
/// their values: alerts of `status` (all unresolved when none), of `level`, routed to `mine`,
/// about the `wanted` enterprises (none: every enterprise; empty: nothing at all).
fn alert_clauses(
    status: Option<&str>,
    level: Option<&str>,
    mine: Option<String>,
    wanted: Option<Vec<String>>,
) -> Vec<(String, Vec<String>)> {
    let lists: Vec<Option<Vec<String>>> = match wanted {
        None => vec![None],
        Some(w) if w.is_empty() => return Vec::new(),
        Some(w) => w.chunks(400).map(|c| Some(c.to_vec())).collect(),
    };
    lists
        .into_iter()
        .map(|list| {
            let mut binds = Vec::new();
            let mut mark = |v: String| {
                binds.push(v);
                format!("${}", binds.len())
            };
            let mut sql = match status {
                Some(s) => format!("status = {}", mark(s.to_string())),
                None => "status <> 'resolved'".to_string(),
            };
            if let Some(l) = level {
                sql.push_str(&format!(" AND level = {}", mark(l.to_string())));
            }
            if let Some(m) = &mine {
                sql.push_str(&format!(" AND institution = {}", mark(m.clone())));
            }
            if let Some(l) = list {
                let marks: Vec<String> = l.into_iter().map(&mut mark).collect();
                sql.push_str(&format!(" AND enterprise IN ({})", marks.join(", ")));
            }
            (sql, binds)
        })
        .collect()
}
