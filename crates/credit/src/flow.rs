//! Credit decision flows: a bank's policy as a GoRules JDM graph (a `collect` table whose rows
//! each decline or refer an application, with the rule, the reason in English and Chinese),
//! versioned, with maker-checker approval and a champion/challenger split.
//!
//! A decision records the flow and version that made it, the hash of the rule text, its
//! inputs, outcome and reasons, and a digest of all of that for the ledger: anyone holding the
//! decision can recompute the digest, and anyone holding the rule text can recompute the
//! decision. The engine's trace is kept when asked for; it is not in the digest, since the rule
//! text and the inputs reproduce it.
//!
//! A version's life: submitted as a draft by its maker, approved by a different person, then
//! made champion (the one that decides) or challenger (deciding a fixed share of applications,
//! chosen by a hash of the application id, so a retried application meets the same version).

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use xinrong_decisions::{RuleError, Rules};

/// The fields a decision flow may read.
pub const DECISION_FIELDS: [&str; 12] = [
    "pd",
    "score",
    "grade",
    "eligible",
    "overdue_days",
    "amount",
    "limit",
    "tax_rating",
    "product",
    "term_months",
    "industry",
    "region",
];

/// The built-in credit policy (`flows/credit_decision.json`).
pub const BUILTIN_FLOW: &str = include_str!("../flows/credit_decision.json");

/// An application as a decision sees it: the score, the financing capability's answer for the
/// product (eligible, limit, price) and the firm's facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// The application's id (also the key of the champion/challenger split).
    pub id: String,
    /// The enterprise.
    pub uscc: String,
    /// When it was decided.
    pub date: NaiveDate,
    /// Product id.
    pub product: String,
    /// Amount sought.
    pub amount: Decimal,
    /// Term.
    pub term_months: u32,
    /// The model's PD.
    pub pd: f64,
    /// The model's score.
    pub score: f64,
    /// The model's grade.
    pub grade: String,
    /// Whether the product's eligibility rules passed.
    pub eligible: bool,
    /// The product's limit for this enterprise.
    pub limit: Decimal,
    /// The product's risk-based rate.
    pub rate: Decimal,
    /// The product's LGD (for expected loss).
    pub lgd: Decimal,
    /// Days overdue on existing loans (None: unknown).
    pub overdue_days: Option<f64>,
    /// Tax credit rating (None: unknown).
    pub tax_rating: Option<String>,
    /// Industry code (empty: unknown).
    pub industry: String,
    /// Region code (empty: unknown).
    pub region: String,
}

impl Application {
    /// The inputs the rules see.
    pub fn to_json(&self) -> Value {
        let num = |d: Decimal| d.to_string().parse::<f64>().unwrap_or(f64::NAN);
        json!({
            "pd": self.pd,
            "score": self.score,
            "grade": self.grade,
            "eligible": self.eligible,
            "overdue_days": self.overdue_days,
            "amount": num(self.amount),
            "limit": num(self.limit),
            "tax_rating": self.tax_rating,
            "product": self.product,
            "term_months": self.term_months,
            "industry": Some(&self.industry).filter(|s| !s.is_empty()),
            "region": Some(&self.region).filter(|s| !s.is_empty()),
        })
    }

    /// Expected loss of lending `amount`: PD × LGD × amount.
    pub fn expected_loss(&self, amount: Decimal) -> Decimal {
        let pd = Decimal::try_from(self.pd).unwrap_or(Decimal::ONE);
        (pd * self.lgd * amount).round_dp(2)
    }
}

/// What a decision answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Approved (up to the limit).
    Approve,
    /// Sent to a person.
    Refer,
    /// Declined.
    Decline,
}

impl Outcome {
    /// The name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::Refer => "refer",
            Outcome::Decline => "decline",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "approve" => Ok(Outcome::Approve),
            "refer" => Ok(Outcome::Refer),
            "decline" => Ok(Outcome::Decline),
            other => Err(format!(
                "{other:?} is not an outcome (approve, refer, decline)"
            )),
        }
    }
}

/// A rule that declined or referred an application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The row's id.
    pub rule: String,
    /// What it does: decline or refer.
    pub outcome: Outcome,
    /// Why, in English.
    pub reason: String,
    /// Why, in Chinese.
    pub reason_zh: String,
}

/// A credit decision with everything needed to check it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    /// The application.
    pub application: String,
    /// The flow.
    pub flow: String,
    /// Its version.
    pub version: u32,
    /// SHA-256 of the version's rule text.
    pub rules_sha256: String,
    /// Approve, refer or decline.
    pub outcome: Outcome,
    /// Amount approved: the amount sought, held to the limit (zero unless approved).
    pub amount: Decimal,
    /// The rate, when approved.
    pub rate: Option<Decimal>,
    /// Rules that declined or referred it.
    pub findings: Vec<Finding>,
    /// Rules it passed.
    pub passed: Vec<String>,
    /// Inputs the rules read that were unknown (the decision is referred).
    pub missing: Vec<String>,
    /// The inputs.
    pub inputs: Value,
    /// The engine's trace.
    pub trace: Value,
    /// SHA-256 of the decision's content, for the ledger.
    pub digest: String,
}

/// Why a flow was refused or could not decide.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum FlowError {
    /// The rules are malformed or failed.
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// The checker is the maker.
    #[error("flow {flow} version {version}: {person} made it and cannot also approve it")]
    SamePerson {
        /// The flow.
        flow: String,
        /// The version.
        version: u32,
        /// Who.
        person: String,
    },
    /// The version is not in a state that allows the action.
    #[error("flow {flow} version {version} is {status}: cannot {action}")]
    Status {
        /// The flow.
        flow: String,
        /// The version.
        version: u32,
        /// Its status.
        status: &'static str,
        /// What was tried.
        action: &'static str,
    },
    /// No such version.
    #[error("flow {flow} has no version {version}")]
    Unknown {
        /// The flow.
        flow: String,
        /// The version.
        version: u32,
    },
    /// Nothing is live yet.
    #[error("flow {0} has no champion: approve a version and promote it first")]
    NoChampion(String),
    /// A challenger share outside 1..=50.
    #[error("challenger share {0}% is outside 1..=50")]
    Share(u8),
    /// A rule row's outcome is neither decline nor refer.
    #[error(
        "flow {flow}: row {row} outputs outcome {outcome:?}; expected \"decline\" or \"refer\""
    )]
    RowOutcome {
        /// The flow.
        flow: String,
        /// The row.
        row: String,
        /// What it says.
        outcome: String,
    },
}

/// Where a version is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Submitted, awaiting a second person.
    Draft,
    /// Approved, not deciding.
    Approved,
    /// Deciding.
    Champion,
    /// Deciding a share of applications.
    Challenger,
    /// Replaced.
    Retired,
}

impl Status {
    /// The name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Approved => "approved",
            Status::Champion => "champion",
            Status::Challenger => "challenger",
            Status::Retired => "retired",
        }
    }
}

/// One version of a flow, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Version {
    /// 1, 2, …
    pub version: u32,
    /// SHA-256 of its text.
    pub sha256: String,
    /// Who submitted it.
    pub maker: String,
    /// Who approved it.
    pub checker: Option<String>,
    /// Where it is.
    pub status: Status,
}

/// Checked rules of one version, ready to decide.
pub struct Policy {
    rules: Rules,
    outcomes: Vec<(String, Outcome)>,
}

impl Policy {
    /// Loads and checks a flow's rule text: the JDM checks of [`Rules::load`], and every row
    /// must say whether it declines or refers.
    pub fn load(flow: &str, text: &str) -> Result<Policy, FlowError> {
        let rules = Rules::load(flow, text, &DECISION_FIELDS[..])?;
        let mut outcomes = Vec::new();
        for row in rules.rows() {
            let said = row
                .outputs
                .iter()
                .find(|(f, _)| f == "outcome")
                .map(|(_, v)| v.trim_matches('"').to_string())
                .unwrap_or_default();
            let outcome = match said.as_str() {
                "decline" => Outcome::Decline,
                "refer" => Outcome::Refer,
                _ => {
                    return Err(FlowError::RowOutcome {
                        flow: flow.to_string(),
                        row: row.id.clone(),
                        outcome: said,
                    });
                }
            };
            outcomes.push((row.id.clone(), outcome));
        }
        Ok(Policy { rules, outcomes })
    }

    /// SHA-256 of the rule text.
    pub fn sha256(&self) -> &str {
        self.rules.sha256()
    }

    /// Decides `application` under version `version` of `flow`, with the engine's trace.
    pub fn decide(
        &self,
        flow: &str,
        version: u32,
        application: &Application,
    ) -> Result<Decision, FlowError> {
        self.decide_with(flow, version, application, true)
    }

    /// Decides `application` as [`Policy::decide`] does, with the trace only when `keep_trace`
    /// (`Decision::trace` is null otherwise): the decision records its inputs and the rules'
    /// version, which reproduce the trace, and building it costs more than the rules.
    pub fn decide_with(
        &self,
        flow: &str,
        version: u32,
        application: &Application,
        keep_trace: bool,
    ) -> Result<Decision, FlowError> {
        let inputs = application.to_json();
        let missing: Vec<String> = self
            .rules
            .inputs()
            .iter()
            .filter(|f| inputs.get(f.as_str()).is_none_or(Value::is_null))
            .cloned()
            .collect();
        let outcome = match keep_trace {
            true => self.rules.evaluate(&inputs)?,
            false => self.rules.evaluate_untraced(&inputs)?,
        };
        let mut findings = Vec::new();
        let mut passed = Vec::new();
        for (row, (id, kind)) in self.rules.rows().iter().zip(&self.outcomes) {
            if outcome.matched.contains(id) {
                let out = |k: &str| {
                    row.outputs
                        .iter()
                        .find(|(f, _)| f == k)
                        .map(|(_, v)| v.trim_matches('"').to_string())
                        .unwrap_or_default()
                };
                findings.push(Finding {
                    rule: id.clone(),
                    outcome: *kind,
                    reason: out("reason"),
                    reason_zh: out("reason_zh"),
                });
            } else {
                passed.push(id.clone());
            }
        }
        // An approval of nothing is no approval: a person looks at it.
        if application.limit <= Decimal::ZERO
            && !findings.iter().any(|f| f.outcome == Outcome::Decline)
        {
            findings.push(Finding {
                rule: "no_limit".into(),
                outcome: Outcome::Refer,
                reason: "the product's limit for this enterprise is zero".into(),
                reason_zh: "该产品对该企业的额度为零".into(),
            });
        }
        let verdict = if findings.iter().any(|f| f.outcome == Outcome::Decline) {
            Outcome::Decline
        } else if !findings.is_empty() || !missing.is_empty() {
            Outcome::Refer
        } else {
            Outcome::Approve
        };
        let approved = verdict == Outcome::Approve;
        let amount = if approved {
            application.amount.min(application.limit)
        } else {
            Decimal::ZERO
        };
        let rate = approved.then_some(application.rate);
        let digest = digest(&json!({
            "application": application.id,
            "flow": flow,
            "version": version,
            "rules_sha256": self.rules.sha256(),
            "inputs": inputs,
            "outcome": verdict,
            "amount": amount,
            "rate": rate,
            "findings": findings,
            "missing": missing,
        }));
        Ok(Decision {
            application: application.id.clone(),
            flow: flow.to_string(),
            version,
            rules_sha256: self.rules.sha256().to_string(),
            outcome: verdict,
            amount,
            rate,
            findings,
            passed,
            missing,
            inputs,
            trace: outcome.trace,
            digest,
        })
    }
}

fn digest(content: &Value) -> String {
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// A flow and its versions.
pub struct Flow {
    name: String,
    versions: Vec<(Version, Arc<Policy>)>,
    challenger_share: u8,
}

impl Flow {
    /// A flow with no versions.
    pub fn new(name: impl Into<String>) -> Flow {
        Flow {
            name: name.into(),
            versions: Vec::new(),
            challenger_share: 0,
        }
    }

    /// A flow rebuilt from its stored versions (`(version record, rule text)`, oldest first)
    /// and challenger share; every text is checked again, so a stored version that no longer
    /// loads stops the caller instead of deciding.
    pub fn restore(
        name: impl Into<String>,
        versions: Vec<(Version, String)>,
        challenger_share: u8,
    ) -> Result<Flow, FlowError> {
        let name = name.into();
        let mut out = Vec::with_capacity(versions.len());
        for (v, text) in versions {
            let policy = Policy::load(&name, &text)?;
            out.push((v, Arc::new(policy)));
        }
        Ok(Flow {
            name,
            versions: out,
            challenger_share,
        })
    }

    /// The flow's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> impl Iterator<Item = &Version> {
        self.versions.iter().map(|(v, _)| v)
    }

    /// The challenger's share of applications, in percent.
    pub fn challenger_share(&self) -> u8 {
        self.challenger_share
    }

    fn slot(&mut self, version: u32) -> Result<&mut (Version, Arc<Policy>), FlowError> {
        let name = self.name.clone();
        self.versions
            .iter_mut()
            .find(|(v, _)| v.version == version)
            .ok_or(FlowError::Unknown {
                flow: name,
                version,
            })
    }

    fn status_error(&self, v: &Version, action: &'static str) -> FlowError {
        FlowError::Status {
            flow: self.name.clone(),
            version: v.version,
            status: v.status.as_str(),
            action,
        }
    }

    /// Submits rule text as a new draft version (checked now); returns its number.
    pub fn submit(&mut self, text: &str, maker: &str) -> Result<u32, FlowError> {
        let policy = Policy::load(&self.name, text)?;
        let version = self.versions.len() as u32 + 1;
        self.versions.push((
            Version {
                version,
                sha256: policy.sha256().to_string(),
                maker: maker.to_string(),
                checker: None,
                status: Status::Draft,
            },
            Arc::new(policy),
        ));
        Ok(version)
    }

    /// A second person approves a draft.
    pub fn approve(&mut self, version: u32, checker: &str) -> Result<(), FlowError> {
        let name = self.name.clone();
        let (v, _) = self.slot(version)?;
        if v.status != Status::Draft {
            let v = v.clone();
            return Err(self.status_error(&v, "approve"));
        }
        if v.maker == checker {
            return Err(FlowError::SamePerson {
                flow: name,
                version,
                person: checker.to_string(),
            });
        }
        v.status = Status::Approved;
        v.checker = Some(checker.to_string());
        Ok(())
    }

    /// Makes an approved version (or the challenger) the champion; the old champion retires.
    pub fn promote(&mut self, version: u32) -> Result<(), FlowError> {
        let (v, _) = self.slot(version)?;
        if !matches!(v.status, Status::Approved | Status::Challenger) {
            let v = v.clone();
            return Err(self.status_error(&v, "promote"));
        }
        if v.status == Status::Challenger {
            self.challenger_share = 0;
        }
        for (other, _) in &mut self.versions {
            if other.status == Status::Champion {
                other.status = Status::Retired;
            }
        }
        self.slot(version)?.0.status = Status::Champion;
        Ok(())
    }

    /// Lets an approved version decide `share` percent of applications beside the champion.
    pub fn challenge(&mut self, version: u32, share: u8) -> Result<(), FlowError> {
        if !(1..=50).contains(&share) {
            return Err(FlowError::Share(share));
        }
        let (v, _) = self.slot(version)?;
        if v.status != Status::Approved {
            let v = v.clone();
            return Err(self.status_error(&v, "challenge"));
        }
        for (other, _) in &mut self.versions {
            if other.status == Status::Challenger {
                other.status = Status::Approved;
            }
        }
        self.slot(version)?.0.status = Status::Challenger;
        self.challenger_share = share;
        Ok(())
    }

    /// The version that decides application `id`: the challenger for its share (by a hash of
    /// the id, stable across retries), else the champion.
    pub fn route(&self, id: &str) -> Result<(u32, &Policy), FlowError> {
        let find = |s: Status| self.versions.iter().find(|(v, _)| v.status == s);
        let champion =
            find(Status::Champion).ok_or_else(|| FlowError::NoChampion(self.name.clone()))?;
        if let Some((v, p)) = find(Status::Challenger) {
            let h = Sha256::digest(id.as_bytes());
            let bucket = u16::from_be_bytes([h[0], h[1]]) % 100;
            if bucket < u16::from(self.challenger_share) {
                return Ok((v.version, p));
            }
        }
        Ok((champion.0.version, &champion.1))
    }

    /// The policy of a version (any status: replay runs drafts).
    pub fn policy(&self, version: u32) -> Option<Arc<Policy>> {
        self.versions
            .iter()
            .find(|(v, _)| v.version == version)
            .map(|(_, p)| p.clone())
    }

    /// Decides `application` with the version its id routes to, with the engine's trace.
    pub fn decide(&self, application: &Application) -> Result<Decision, FlowError> {
        self.decide_with(application, true)
    }

    /// Decides `application` with the version its id routes to; the trace only when
    /// `keep_trace` (see [`Policy::decide_with`]).
    pub fn decide_with(
        &self,
        application: &Application,
        keep_trace: bool,
    ) -> Result<Decision, FlowError> {
        let (version, policy) = self.route(&application.id)?;
        policy.decide_with(&self.name, version, application, keep_trace)
    }
}
