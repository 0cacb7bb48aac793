//! Credit decisions: each bank's policy as a versioned decision flow (GoRules JDM, see
//! `xinrong-credit`), changed only by two people (the API key that submits a version cannot
//! approve it), made champion or challenger, replayed over the bank's recorded decisions
//! before it goes live; and decisions that rest on the champion model's PD, the financing
//! capability's eligibility, limit and price for the product, and the bank's flow, each logged
//! in the ledger with its digest and stored once per request key.
//!
//! A bank that has not put a flow live decides with the platform's built-in policy (version 0).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use sqlx::AnyPool;
use xinrong_core::{Purpose, Uscc};
use xinrong_credit::flow::{BUILTIN_FLOW, Status, Version};
use xinrong_credit::{Application, Diff, Flow, FlowError, Recorded, replay};
use xinrong_ledger::{Entry, Receipt};
use xinrong_lending::{Request, Status as OfferStatus, match_product};

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::group_commit::{GroupCommit, Row};
use crate::ids::{new_time_ordered_id, now_ms, rfc3339};
use crate::journal::beside_the_ledger;
use crate::platform::Platform;
use crate::queries::Answer;
use crate::request_keys::{RequestKeys, key_hash};

/// Most versions a bank may keep.
const MAX_VERSIONS: usize = 200;

/// What a bank asks to decide.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    /// The applicant.
    pub enterprise: Uscc,
    /// The purpose stated (and consented to): normally `pre_loan`.
    pub purpose: Purpose,
    /// Product id from the catalogue.
    pub product: String,
    /// Yuan sought.
    pub amount: Decimal,
    /// Term; the product's when absent.
    pub term_months: Option<u32>,
    /// The bank's key for this request: a retry with the same key gets the same decision.
    pub request_key: String,
    /// Also return the engine's trace.
    pub trace: bool,
}

/// A version of a bank's flow as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlowVersionView {
    /// 1, 2, …
    pub version: u32,
    /// SHA-256 of its rule text.
    pub sha256: String,
    /// The API key that submitted it.
    pub maker: String,
    /// The API key that approved it.
    pub checker: Option<String>,
    /// draft, approved, champion, challenger or retired.
    pub status: String,
    /// For the challenger, its share of applications (percent).
    pub share: u8,
}

/// A decision as stored, written in group commits.
struct StoredDecision {
    decision_id: String,
    institution: String,
    request_key: String,
    enterprise: String,
    product: String,
    flow_version: i64,
    outcome: &'static str,
    amount: String,
    decided_on: String,
    answer: String,
    digest: String,
    leaf_index: i64,
    created_ms: i64,
    /// The request key's lock, let go once the decision is committed.
    _key_lock: tokio::sync::OwnedMutexGuard<()>,
}

impl Row for StoredDecision {
    const INSERT: &'static str = "INSERT INTO credit_decisions (decision_id, institution, \
        request_key, enterprise, product, flow_version, outcome, amount, decided_on, answer, \
        digest, leaf_index, created_ms)";
    const COLUMNS: usize = 13;
    fn bind<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        q.bind(self.decision_id.clone())
            .bind(self.institution.clone())
            .bind(self.request_key.clone())
            .bind(self.enterprise.clone())
            .bind(self.product.clone())
            .bind(self.flow_version)
            .bind(self.outcome)
            .bind(self.amount.clone())
            .bind(self.decided_on.clone())
            .bind(self.answer.clone())
            .bind(self.digest.clone())
            .bind(self.leaf_index)
            .bind(self.created_ms)
    }
}

/// What a guarantee needs of a decision.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct Brief {
    pub(crate) outcome: String,
    pub(crate) amount: Decimal,
    pub(crate) application: Application,
}

/// Most decisions kept in [`Recent`].
const RECENT: usize = 100_000;

/// The briefs of the latest decisions made by this process, by id: a bank asks for a
/// guarantee right after its decision, and finding it here spares a read and the parse of the
/// whole stored answer. Older ones are read from the store.
#[derive(Default)]
struct Recent {
    by_id: HashMap<String, (String, Arc<Brief>)>,
    order: std::collections::VecDeque<String>,
}

impl Recent {
    fn insert(&mut self, id: String, bank: String, brief: Brief) {
        if self.order.len() == RECENT
            && let Some(old) = self.order.pop_front()
        {
            self.by_id.remove(&old);
        }
        self.order.push_back(id.clone());
        self.by_id.insert(id, (bank, Arc::new(brief)));
    }
}

/// The banks' flows in memory, rebuilt from the store at start and after every change.
pub(crate) struct Flows {
    /// Decisions, stored in group commits.
    log: GroupCommit<StoredDecision>,
    /// Request keys decided, and their locks.
    keys: RequestKeys,
    recent: std::sync::Mutex<Recent>,
    by_bank: RwLock<HashMap<String, Arc<Flow>>>,
    builtin: Arc<Flow>,
    /// Flow changes, one at a time.
    admin: tokio::sync::Mutex<()>,
}

type VersionRow = (
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
);

fn status_of(s: &str) -> Status {
    match s {
        "approved" => Status::Approved,
        "champion" => Status::Champion,
        "challenger" => Status::Challenger,
        "retired" => Status::Retired,
        _ => Status::Draft,
    }
}

fn flow_error(e: FlowError) -> PlatformError {
    match e {
        FlowError::SamePerson { .. } | FlowError::Status { .. } | FlowError::NoChampion(_) => {
            PlatformError::Conflict(e.to_string())
        }
        FlowError::Unknown { flow, version } => {
            PlatformError::NotFound(format!("version {version} of {flow}"))
        }
        e => PlatformError::invalid("rules", e.to_string()),
    }
}

impl Flows {
    pub(crate) async fn load(pool: &AnyPool) -> Result<Flows, PlatformError> {
        let mut builtin = Flow::new("platform/credit_decision");
        let v = builtin
            .submit(BUILTIN_FLOW, "platform")
            .map_err(flow_error)?;
        builtin.approve(v, "platform-review").map_err(flow_error)?;
        builtin.promote(v).map_err(flow_error)?;
        let rows: Vec<VersionRow> = sqlx::query_as(
            "SELECT institution, version, rules, sha256, maker, checker, status, share \
             FROM credit_flow_versions ORDER BY institution, version",
        )
        .fetch_all(pool)
        .await?;
        let mut grouped: HashMap<String, Vec<VersionRow>> = HashMap::new();
        for r in rows {
            grouped.entry(r.0.clone()).or_default().push(r);
        }
        let mut by_bank = HashMap::new();
        for (bank, rows) in grouped {
            by_bank.insert(bank.clone(), Arc::new(restore(&bank, rows)?));
        }
        let keys: Vec<(String, String)> =
            sqlx::query_as("SELECT institution, request_key FROM credit_decisions")
                .fetch_all(pool)
                .await?;
        Ok(Flows {
            log: GroupCommit::start(pool.clone(), "decision"),
            keys: RequestKeys::new(keys.iter().map(|(b, k)| (b.as_str(), k.as_str()))),
            recent: Default::default(),
            by_bank: RwLock::new(by_bank),
            builtin: Arc::new(builtin),
            admin: tokio::sync::Mutex::new(()),
        })
    }

    /// The flow that decides for `bank`: its own once one of its versions is live.
    fn deciding(&self, bank: &str) -> (Arc<Flow>, bool) {
        let own = self.by_bank.read().expect("flows").get(bank).cloned();
        match own {
            Some(f) if f.route("").is_ok() => (f, true),
            _ => (Arc::clone(&self.builtin), false),
        }
    }

    fn own(&self, bank: &str) -> Option<Arc<Flow>> {
        self.by_bank.read().expect("flows").get(bank).cloned()
    }
}

fn restore(bank: &str, rows: Vec<VersionRow>) -> Result<Flow, PlatformError> {
    let share = rows
        .iter()
        .find(|r| r.6 == "challenger")
        .map_or(0, |r| r.7.clamp(0, 50) as u8);
    let versions = rows
        .into_iter()
        .map(|(_, version, rules, sha256, maker, checker, status, _)| {
            (
                Version {
                    version: version as u32,
                    sha256,
                    maker,
                    checker,
                    status: status_of(&status),
                },
                rules,
            )
        })
        .collect();
    Flow::restore(format!("{bank}/credit_decision"), versions, share).map_err(|e| {
        PlatformError::Unavailable(format!(
            "the stored decision flow of {bank} no longer loads: {e}"
        ))
    })
}

fn view(flow: &Flow) -> Vec<FlowVersionView> {
    flow.versions()
        .map(|v| FlowVersionView {
            version: v.version,
            sha256: v.sha256.clone(),
            maker: v.maker.clone(),
            checker: v.checker.clone(),
            status: v.status.as_str().to_string(),
            share: if v.status == Status::Challenger {
                flow.challenger_share()
            } else {
                0
            },
        })
        .collect()
}

fn bank_only(by: &Institution, what: &str) -> Result<(), PlatformError> {
    if by.kind == Kind::Bank {
        Ok(())
    } else {
        Err(PlatformError::role(format!(
            "{} may not {what}; banks may",
            by.kind.with_article()
        )))
    }
}

fn key_of(by: &Institution) -> String {
    by.key.clone().unwrap_or_else(|| by.id.clone())
}

/// A decision as stored and answered (the trace only when asked for).
#[derive(Serialize)]
struct DecisionRecord<'a> {
    decision_id: &'a str,
    institution: &'a str,
    enterprise: &'a Uscc,
    request_key: &'a str,
    time: &'a str,
    leaf_index: u64,
    product: &'a str,
    purpose: &'a str,
    flow_version: u32,
    rules_sha256: &'a str,
    outcome: &'a xinrong_credit::Outcome,
    amount: Decimal,
    rate: Option<Decimal>,
    term_months: u32,
    findings: &'a [xinrong_credit::flow::Finding],
    passed: &'a [String],
    missing: &'a [String],
    model_version: &'a str,
    catalogue: &'a str,
    offer_status: &'a OfferStatus,
    application: &'a Application,
    digest: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<&'a Value>,
}

/// A stored decision: the answer as returned, with its receipt's leaf.
type DecisionRow = (String, i64);

impl Platform {
    /// A bank's credit decision on an application: consent-checked like a score query, decided
    /// by the bank's flow on the champion model's PD and the product's eligibility, limit and
    /// price; logged, stored once per request key.
    pub async fn decide(
        &self,
        by: &Institution,
        req: &DecisionRequest,
    ) -> Result<(Answer, Receipt), PlatformError> {
        bank_only(by, "ask for credit decisions")?;
        crate::fields::check_request_key("request_key", &req.request_key)?;
        let product = self
            .catalogue
            .product(&req.product)
            .map(|(p, _)| p.clone())
            .ok_or_else(|| {
                PlatformError::invalid(
                    "product",
                    format!(
                        "'{}' is not in catalogue {}",
                        req.product, self.catalogue.version
                    ),
                )
            })?;
        if req.amount <= Decimal::ZERO || req.amount > Decimal::from(1_000_000_000u64) {
            return Err(PlatformError::invalid(
                "amount",
                format!("{} is not between 0 and 1,000,000,000 yuan", req.amount),
            ));
        }
        let term = req.term_months.unwrap_or(product.term_months);
        if !(1..=360).contains(&term) {
            return Err(PlatformError::invalid(
                "term_months",
                format!("{term} is not 1–360"),
            ));
        }
        let key_hash = key_hash(&by.id, &req.request_key);
        let key_lock = self.flows.keys.lock(key_hash).await;
        // Only a key seen before can have a decision: a new key costs no lookup. A retry is
        // answered from the store even when nothing more can be written.
        if self.flows.keys.known(key_hash)
            && let Some(done) = self.stored_decision(&by.id, &req.request_key).await?
        {
            return Ok(done);
        }
        self.writable()?;
        self.financing_consent(by, &req.enterprise, req.purpose)?;
        let grounds = self.grounds(&req.enterprise).await?;
        let offer = match_product(
            &self.catalogue,
            &grounds.facts,
            &Request {
                purpose: None,
                amount: Some(req.amount),
                trace: false,
            },
            &product.id,
        )
        .expect("the product is in the catalogue");
        let decision_id = new_time_ordered_id("d");
        let created_ms = now_ms();
        let time = rfc3339(created_ms);
        let today = NaiveDate::parse_from_str(&time[..10], "%Y-%m-%d").unwrap_or_default();
        let application = Application {
            id: format!("{}:{}", by.id, req.request_key),
            uscc: req.enterprise.to_string(),
            date: today,
            product: product.id.clone(),
            amount: req.amount,
            term_months: term,
            pd: grounds.explained.pd,
            score: grounds.explained.score,
            grade: grounds.explained.grade.as_str().to_string(),
            eligible: offer.status == OfferStatus::Eligible,
            limit: offer.limit.as_ref().map_or(Decimal::ZERO, |l| l.amount),
            rate: offer.price.as_ref().map_or(Decimal::ZERO, |p| p.rate),
            lgd: product.lgd,
            overdue_days: grounds.facts.number("overdue_days"),
            tax_rating: grounds.facts.tax_rating.clone(),
            industry: String::new(),
            region: String::new(),
        };
        let (flow, own) = self.flows.deciding(&by.id);
        let decision = flow
            .decide_with(&application, req.trace)
            .map_err(flow_error)?;
        let version = if own { decision.version } else { 0 };
        let entry = Entry::CreditDecision {
            decision_id: decision_id.clone(),
            institution: by.id.clone(),
            enterprise: req.enterprise.clone(),
            product: product.id.clone(),
            flow_version: version,
            rules_sha256: decision.rules_sha256.clone(),
            outcome: decision.outcome.as_str().to_string(),
            amount: decision.amount.to_string(),
            digest: decision.digest.clone(),
            time: time.clone(),
        };
        let pending = self.ledger.submit(entry.to_canonical())?;
        let leaf_index = pending.index();
        // Written once as canonical JSON: stored without the trace (the rules' version and the
        // application reproduce it), answered with it when asked.
        let (stored_answer, answer) = {
            let mut record = DecisionRecord {
                decision_id: &decision_id,
                institution: &by.id,
                enterprise: &req.enterprise,
                request_key: &req.request_key,
                time: &time,
                leaf_index,
                product: &product.id,
                purpose: req.purpose.as_str(),
                flow_version: version,
                rules_sha256: &decision.rules_sha256,
                outcome: &decision.outcome,
                amount: decision.amount,
                rate: decision.rate,
                term_months: term,
                findings: &decision.findings,
                passed: &decision.passed,
                missing: &decision.missing,
                model_version: &grounds.explained.model_version,
                catalogue: &self.catalogue.version,
                offer_status: &offer.status,
                application: &application,
                digest: &decision.digest,
                trace: None,
            };
            let stored = Answer::of(&record);
            let answer = if req.trace {
                record.trace = Some(&decision.trace);
                Answer::of(&record)
            } else {
                stored.clone()
            };
            (stored, answer)
        };
        self.flows.keys.remember(key_hash);
        let brief = Brief {
            outcome: decision.outcome.as_str().to_string(),
            amount: decision.amount,
            application,
        };
        let stored = self.flows.log.write(StoredDecision {
            decision_id: decision_id.clone(),
            institution: by.id.clone(),
            request_key: req.request_key.clone(),
            enterprise: req.enterprise.to_string(),
            product: product.id.clone(),
            flow_version: i64::from(version),
            outcome: decision.outcome.as_str(),
            amount: decision.amount.to_string(),
            decided_on: today.to_string(),
            answer: stored_answer.into_text(),
            digest: decision.digest.clone(),
            leaf_index: leaf_index as i64,
            created_ms,
            _key_lock: key_lock,
        });
        let receipt = beside_the_ledger(pending, stored).await?;
        self.flows.recent.lock().expect("recent decisions").insert(
            decision_id,
            by.id.clone(),
            brief,
        );
        Ok((answer, receipt))
    }

    async fn stored_decision(
        &self,
        bank: &str,
        key: &str,
    ) -> Result<Option<(Answer, Receipt)>, PlatformError> {
        let row: Option<DecisionRow> = sqlx::query_as(
            "SELECT answer, leaf_index FROM credit_decisions WHERE institution = $1 AND request_key = $2",
        )
        .bind(bank)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => self.with_receipt(row).await.map(Some),
            None => Ok(None),
        }
    }

    /// What a guarantee needs of a bank's own decision (`None`: not the bank's, or none).
    pub(crate) async fn decision_brief(
        &self,
        bank: &str,
        decision_id: &str,
    ) -> Result<Option<Arc<Brief>>, PlatformError> {
        if let Some((owner, brief)) = self
            .flows
            .recent
            .lock()
            .expect("recent decisions")
            .by_id
            .get(decision_id)
        {
            return Ok((owner == bank).then(|| Arc::clone(brief)));
        }
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT answer FROM credit_decisions WHERE decision_id = $1 AND institution = $2",
        )
        .bind(decision_id)
        .bind(bank)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(a,)| {
            serde_json::from_str(&a).map(Arc::new).map_err(|e| {
                PlatformError::Unavailable(format!("a stored decision does not parse: {e}"))
            })
        })
        .transpose()
    }

    async fn with_receipt(
        &self,
        (answer, leaf): DecisionRow,
    ) -> Result<(Answer, Receipt), PlatformError> {
        let value = Answer::stored(answer).map_err(|e| {
            PlatformError::Unavailable(format!("a stored decision does not parse: {e}"))
        })?;
        let receipt = crate::journal::receipt_beside(&self.ledger, leaf as u64).await?;
        Ok((value, receipt))
    }

    /// A decision with a fresh receipt: the bank's own, or any for a regulator.
    pub async fn decision(
        &self,
        by: &Institution,
        decision_id: &str,
    ) -> Result<(Answer, Receipt), PlatformError> {
        if !matches!(by.kind, Kind::Bank | Kind::Regulator) {
            return Err(PlatformError::role(format!(
                "{} may not read credit decisions; banks and regulators may",
                by.kind.with_article()
            )));
        }
        crate::fields::Id::parse("decision_id", decision_id)?;
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT institution, answer, leaf_index FROM credit_decisions WHERE decision_id = $1",
        )
        .bind(decision_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((bank, answer, leaf)) if bank == by.id || by.kind == Kind::Regulator => {
                self.with_receipt((answer, leaf)).await
            }
            _ => Err(PlatformError::NotFound(format!("decision {decision_id}"))),
        }
    }

    /// The versions of the caller's (a bank's) flow.
    pub fn flow_versions(&self, by: &Institution) -> Result<Vec<FlowVersionView>, PlatformError> {
        bank_only(by, "have decision flows")?;
        Ok(self.flows.own(&by.id).map(|f| view(&f)).unwrap_or_default())
    }

    /// Submits a new version of the caller's flow (checked now; a draft until another key
    /// approves it).
    pub async fn submit_flow(
        &self,
        by: &Institution,
        rules: &str,
    ) -> Result<(FlowVersionView, Receipt), PlatformError> {
        bank_only(by, "submit decision flows")?;
        self.change_flow(by, "submitted", Some(rules), |flow| {
            if flow.versions().count() >= MAX_VERSIONS {
                return Err(PlatformError::Conflict(format!(
                    "a flow keeps at most {MAX_VERSIONS} versions"
                )));
            }
            flow.submit(rules, &key_of(by)).map_err(flow_error)
        })
        .await
    }

    /// Another key of the bank approves a draft.
    pub async fn approve_flow(
        &self,
        by: &Institution,
        version: u32,
    ) -> Result<(FlowVersionView, Receipt), PlatformError> {
        bank_only(by, "approve decision flows")?;
        self.change_flow(by, "approved", None, |flow| {
            flow.approve(version, &key_of(by)).map_err(flow_error)?;
            Ok(version)
        })
        .await
    }

    /// Puts an approved version live: champion, or challenger for `share` percent.
    pub async fn promote_flow(
        &self,
        by: &Institution,
        version: u32,
        share: Option<u8>,
    ) -> Result<(FlowVersionView, Receipt), PlatformError> {
        bank_only(by, "put decision flows live")?;
        let action = if share.is_some() {
            "challenger"
        } else {
            "champion"
        };
        self.change_flow(by, action, None, |flow| {
            match share {
                Some(s) => flow.challenge(version, s).map_err(|e| match e {
                    FlowError::Share(s) => {
                        PlatformError::invalid("share", format!("{s}% is outside 1–50"))
                    }
                    e => flow_error(e),
                })?,
                None => flow.promote(version).map_err(flow_error)?,
            }
            Ok(version)
        })
        .await
    }

    /// Applies a change to the caller's flow, stores every version's status, logs it, and
    /// swaps the flow in memory. One change at a time.
    async fn change_flow(
        &self,
        by: &Institution,
        action: &str,
        new_rules: Option<&str>,
        change: impl FnOnce(&mut Flow) -> Result<u32, PlatformError>,
    ) -> Result<(FlowVersionView, Receipt), PlatformError> {
        self.writable()?;
        let _one = self.flows.admin.lock().await;
        let rows: Vec<VersionRow> = sqlx::query_as(
            "SELECT institution, version, rules, sha256, maker, checker, status, share \
             FROM credit_flow_versions WHERE institution = $1 ORDER BY version",
        )
        .bind(&by.id)
        .fetch_all(&self.pool)
        .await?;
        let texts: HashMap<i64, String> = rows.iter().map(|r| (r.1, r.2.clone())).collect();
        let mut flow = restore(&by.id, rows)?;
        let version = change(&mut flow)?;
        let views = view(&flow);
        let changed = views
            .iter()
            .find(|v| v.version == version)
            .cloned()
            .expect("the version changed exists");
        let entry = Entry::FlowVersion {
            institution: by.id.clone(),
            version,
            action: action.to_string(),
            by: key_of(by),
            rules_sha256: changed.sha256.clone(),
            time: rfc3339(now_ms()),
        };
        let receipt = self.ledger.submit(entry.to_canonical())?.receipt().await?;
        // Stored and swapped in by a task of its own: a caller that goes away (a timeout, a
        // closed connection) cannot leave a committed change out of the flow in memory.
        let (pool, flows, bank) = (self.pool.clone(), Arc::clone(&self.flows), by.id.clone());
        let new_rules = new_rules.map(str::to_string);
        let stored = tokio::spawn(async move {
            let mut tx = pool.begin().await?;
            for v in &views {
                match texts.get(&i64::from(v.version)) {
                    Some(_) => {
                        sqlx::query(
                            "UPDATE credit_flow_versions SET checker = $1, status = $2, share = $3 \
                             WHERE institution = $4 AND version = $5",
                        )
                        .bind(&v.checker)
                        .bind(&v.status)
                        .bind(i64::from(v.share))
                        .bind(&bank)
                        .bind(i64::from(v.version))
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query(
                            "INSERT INTO credit_flow_versions (institution, version, rules, \
                             sha256, maker, checker, status, share, created_ms) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        )
                        .bind(&bank)
                        .bind(i64::from(v.version))
                        .bind(new_rules.clone().unwrap_or_default())
                        .bind(&v.sha256)
                        .bind(&v.maker)
                        .bind(&v.checker)
                        .bind(&v.status)
                        .bind(i64::from(v.share))
                        .bind(now_ms())
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            flows
                .by_bank
                .write()
                .expect("flows")
                .insert(bank, Arc::new(flow));
            Ok::<(), PlatformError>(())
        });
        stored
            .await
            .map_err(|e| PlatformError::Unavailable(format!("storing the flow change: {e}")))??;
        Ok((changed, receipt))
    }

    /// What a version (a draft, typically) would have changed over the caller's decisions of
    /// a period: approvals gained and lost, by grade, with amounts and expected loss. Reads
    /// the recorded decisions; changes nothing.
    pub async fn replay_flow(
        &self,
        by: &Institution,
        version: u32,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Diff, PlatformError> {
        bank_only(by, "replay decision flows")?;
        let flow = self
            .flows
            .own(&by.id)
            .ok_or_else(|| PlatformError::NotFound(format!("version {version} of the flow")))?;
        let policy = flow
            .policy(version)
            .ok_or_else(|| PlatformError::NotFound(format!("version {version} of the flow")))?;
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT answer FROM credit_decisions WHERE institution = $1 \
             AND decided_on >= $2 AND decided_on <= $3",
        )
        .bind(&by.id)
        .bind(from.map_or_else(|| "0000-01-01".to_string(), |d| d.to_string()))
        .bind(to.map_or_else(|| "9999-12-31".to_string(), |d| d.to_string()))
        .fetch_all(&self.pool)
        .await?;
        let recorded: Vec<Recorded> = rows
            .iter()
            .filter_map(|(answer,)| {
                let v: Value = serde_json::from_str(answer).ok()?;
                Some(Recorded {
                    application: serde_json::from_value(v["application"].clone()).ok()?,
                    outcome: serde_json::from_value(v["outcome"].clone()).ok()?,
                    amount: serde_json::from_value(v["amount"].clone()).ok()?,
                })
            })
            .collect();
        let name = flow.name().to_string();
        tokio::task::spawn_blocking(move || replay(&policy, &name, version, &recorded, from, to))
            .await
            .map_err(|e| PlatformError::Unavailable(format!("replay: {e}")))?
            .map_err(flow_error)
    }
}
