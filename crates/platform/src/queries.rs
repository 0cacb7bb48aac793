//! The durable record of score queries, written in group commits ([`crate::group_commit`]):
//! a query is answered only after its record is committed.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest as _, Sha256};
use sqlx::AnyPool;
use xinrong_ledger::{Pending, Receipt, canonical_json_of};

use crate::error::PlatformError;
use crate::group_commit::{GroupCommit, Row as GroupRow};
use crate::ids::rfc3339;
use crate::journal::beside_the_ledger;
use crate::scoring::Explained;

/// A query as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueryRecord {
    /// Platform id of the query.
    pub query_id: String,
    /// The institution that asked.
    pub institution: String,
    /// The enterprise scored.
    pub enterprise: String,
    /// The purpose stated.
    pub purpose: String,
    /// The consent that allowed it.
    pub consent_id: String,
    /// When (RFC 3339).
    pub time: String,
    /// Ledger leaf of the query entry.
    pub leaf_index: u64,
    /// What was asked: `score`, or a financing answer: `match`, `limit`, `signals`, `offer`.
    #[serde(default = "score_kind")]
    pub kind: String,
    /// The score (for a financing answer, the score its PD came from).
    #[serde(flatten)]
    pub result: Explained,
    /// The financing answer, for kinds other than `score`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub financing: Option<Answer>,
}

/// A financing answer as the ledger hashed it: its canonical JSON text, which is stored and
/// answered byte for byte, so that anyone can hash what they received and find the ledger's
/// `answer_hash`, and so that an answer is written once rather than rebuilt for each use.
#[derive(Debug, Clone)]
pub struct Answer(Box<RawValue>);

impl Answer {
    /// The canonical JSON of `value`.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Answer {
        let text = canonical_json_of(value).expect("answers have canonical JSON");
        Answer(RawValue::from_string(text).expect("canonical JSON is JSON"))
    }

    /// The canonical text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The canonical text, owned.
    pub fn into_text(self) -> String {
        Box::<str>::from(self.0).into()
    }

    /// An answer stored as its canonical text, read back as it is (not rewritten).
    pub fn stored(text: String) -> Result<Answer, serde_json::Error> {
        RawValue::from_string(text).map(Answer)
    }

    /// The answer as a JSON value, for those that read it field by field.
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(self.text()).expect("canonical JSON is JSON")
    }

    /// `sha256:` and the hex SHA-256 of the canonical text: the ledger entry's `answer_hash`.
    pub fn sha256(&self) -> String {
        tagged_sha256(self.text())
    }
}

/// `sha256:` and the hex SHA-256 of a canonical text, as ledger entries name the hash of an
/// answer, a rule trace or a set of terms.
pub(crate) fn tagged_sha256(canonical: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

impl PartialEq for Answer {
    fn eq(&self, other: &Answer) -> bool {
        self.text() == other.text()
    }
}

impl Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Read as any JSON and put back in canonical form (a record is read from a client's copy or
/// from the store inside a flattened map, where raw text cannot be borrowed).
impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Answer, D::Error> {
        serde_json::Value::deserialize(d).map(|v| Answer::of(&v))
    }
}

fn score_kind() -> String {
    "score".into()
}

/// A record as it is stored: one row's values, prepared by the caller's task so that the one
/// writer task only binds and commits.
struct StoredRow {
    id: String,
    institution: String,
    uscc: String,
    purpose: String,
    consent_id: String,
    model_version: String,
    as_of: String,
    score: f64,
    pd: f64,
    grade: String,
    result: String,
    leaf: i64,
    created_ms: i64,
    kind: String,
}

impl GroupRow for StoredRow {
    const INSERT: &'static str = "INSERT INTO score_queries (id, institution_id, uscc, purpose, \
        consent_id, model_version, as_of, score, pd, grade, result, leaf, created_ms, kind)";
    const COLUMNS: usize = 14;
    fn bind<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        q.bind(self.id.clone())
            .bind(self.institution.clone())
            .bind(self.uscc.clone())
            .bind(self.purpose.clone())
            .bind(self.consent_id.clone())
            .bind(self.model_version.clone())
            .bind(self.as_of.clone())
            .bind(self.score)
            .bind(self.pd)
            .bind(self.grade.clone())
            .bind(self.result.clone())
            .bind(self.leaf)
            .bind(self.created_ms)
            .bind(self.kind.clone())
    }
}

/// Handle of the writer task.
#[derive(Clone)]
pub struct QueryLog {
    pool: AnyPool,
    log: GroupCommit<StoredRow>,
}

impl QueryLog {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(pool: AnyPool) -> QueryLog {
        QueryLog {
            log: GroupCommit::start(pool.clone(), "query"),
            pool,
        }
    }

    /// Stores a query's record while its ledger entry (`pending`, whose index the record
    /// carries) is made durable; returns the entry's receipt once both are done. See the
    /// journal's note on records written beside their entry.
    pub async fn record(
        &self,
        r: &QueryRecord,
        created_ms: i64,
        pending: Pending,
    ) -> Result<Receipt, PlatformError> {
        let row = StoredRow {
            id: r.query_id.clone(),
            institution: r.institution.clone(),
            uscc: r.enterprise.clone(),
            purpose: r.purpose.clone(),
            consent_id: r.consent_id.clone(),
            model_version: r.result.model_version.clone(),
            as_of: r.result.snapshot_as_of.clone(),
            score: r.result.score,
            pd: r.result.pd,
            grade: r.result.grade.to_string(),
            result: stored_result(r),
            leaf: r.leaf_index as i64,
            created_ms,
            kind: r.kind.clone(),
        };
        beside_the_ledger(pending, self.log.write(row)).await
    }

    /// One query, if `institution` may see it (`None` = any institution, for regulators).
    pub async fn get(
        &self,
        id: &str,
        institution: Option<&str>,
    ) -> Result<QueryRecord, PlatformError> {
        let row: Option<Row> = sqlx::query_as(SELECT_ONE)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) if institution.is_none_or(|i| i == r.1) => record(r),
            _ => Err(PlatformError::NotFound(format!("query {id}"))),
        }
    }

    /// Queries in `scope`, newest first, `limit` at most, older than the query `before` (the
    /// last id of the previous page) when given. The cursor must itself be in `scope`, so a
    /// cursor reveals nothing about other institutions' queries. Only queries whose ledger
    /// entry is below `durable` (the ledger's durable size) are listed: a record is committed
    /// while its entry is made durable, and one whose entry a crash lost was never answered.
    pub async fn list(
        &self,
        scope: Scope<'_>,
        before: Option<&str>,
        limit: i64,
        durable: u64,
    ) -> Result<Vec<QueryRecord>, PlatformError> {
        let (column, value) = match scope {
            Scope::All => (None, None),
            Scope::Institution(i) => (Some("institution_id"), Some(i)),
            Scope::Enterprise(u) => (Some("uscc"), Some(u)),
        };
        let cursor = match before {
            None => None,
            Some(id) => {
                let row: Option<(i64, String, String)> = sqlx::query_as(
                    "SELECT created_ms, institution_id, uscc FROM score_queries WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let in_scope = row.filter(|(_, inst, uscc)| match scope {
                    Scope::All => true,
                    Scope::Institution(i) => inst == i,
                    Scope::Enterprise(u) => uscc == u,
                });
                let (ms, _, _) = in_scope.ok_or_else(|| {
                    PlatformError::invalid("before", format!("'{id}' is not one of your queries"))
                })?;
                Some((ms, id.to_string()))
            }
        };
        let mut clauses = Vec::new();
        let mut n = 0;
        if let Some(c) = column {
            n += 1;
            clauses.push(format!("{c} = ${n}"));
        }
        if cursor.is_some() {
            clauses.push(format!(
                "(created_ms < ${a} OR (created_ms = ${a} AND id < ${b}))",
                a = n + 1,
                b = n + 2
            ));
            n += 2;
        }
        n += 1;
        clauses.push(format!("leaf < ${n}"));
        let mut sql = String::from(SELECT_BASE);
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
        sql.push_str(&format!(
            " ORDER BY created_ms DESC, id DESC LIMIT ${}",
            n + 1
        ));
        // Built from constants, column names chosen above and numbered placeholders only.
        let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
        if let Some(v) = value {
            q = q.bind(v.to_string());
        }
        if let Some((ms, id)) = cursor {
            q = q.bind(ms).bind(id);
        }
        let rows = q
            .bind(durable as i64)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(record).collect()
    }
}

/// The answer as stored: the score's figures and reasons, and the financing answer if any.
fn stored_result(r: &QueryRecord) -> String {
    /// The score's figures with the financing answer beside them, written without copying the
    /// answer (most of a match's bytes).
    #[derive(Serialize)]
    struct Stored<'a> {
        #[serde(flatten)]
        result: Explained,
        #[serde(skip_serializing_if = "Option::is_none")]
        financing: Option<&'a Answer>,
    }
    serde_json::to_string(&Stored {
        result: r.result.for_the_record(),
        financing: r.financing.as_ref(),
    })
    .expect("results serialise")
}

/// Whose queries a list shows.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every institution's (regulators).
    All,
    /// Those an institution made.
    Institution(&'a str),
    /// Those about an enterprise (its USCC).
    Enterprise(&'a str),
}

macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT id, institution_id, uscc, purpose, consent_id, created_ms, leaf, result, kind \
             FROM score_queries ",
            $tail
        )
    };
}
const SELECT_ONE: &str = select!("WHERE id = $1");
const SELECT_BASE: &str = select!("");

type Row = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
);

fn record(row: Row) -> Result<QueryRecord, PlatformError> {
    let (query_id, institution, enterprise, purpose, consent_id, created_ms, leaf, result, kind) =
        row;
    let broken =
        |e: serde_json::Error| PlatformError::Conflict(format!("stored query {query_id}: {e}"));
    let mut value: serde_json::Value = serde_json::from_str(&result).map_err(broken)?;
    let financing = value
        .as_object_mut()
        .and_then(|m| m.remove("financing"))
        .map(|f| Answer::of(&f));
    let result = serde_json::from_value(value).map_err(broken)?;
    Ok(QueryRecord {
        query_id,
        institution,
        enterprise,
        purpose,
        consent_id,
        time: rfc3339(created_ms),
        leaf_index: leaf as u64,
        kind,
        result,
        financing,
    })
}
