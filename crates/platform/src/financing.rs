//! Financing answers: the products an enterprise qualifies for, a credit limit and its price,
//! its need signals, and offers pushed to the institutions it authorised. Each is checked like
//! a score query (a bank or guarantor needs a live consent for the purpose it states; an
//! enterprise may ask about itself), rests on the champion model's PD and the enterprise's
//! latest indicators, and is logged in the ledger and recorded as a query of its kind, so the
//! enterprise sees who looked and the caller holds a receipt.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use xinrong_core::{Purpose, Uscc};
use xinrong_ledger::{Entry, Receipt};
use xinrong_lending::{Catalogue, Facts, Match, Offer, Request, match_product, match_products};

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::ids::{new_time_ordered_id, now_ms, rfc3339};
use crate::platform::Platform;
use crate::queries::{Answer, QueryRecord};
use crate::registry::Published;
use crate::scoring::{Explained, explain};
use crate::signals::{self, StoredSignal};
use crate::snapshots::Snapshot;

/// The product catalogue: `catalogue/products.toml` in the data directory when the operator
/// put one there, else the built-in one. A catalogue that does not load stops the platform
/// with the product and rule named: no product is ever served from rules that were refused.
pub(crate) fn catalogue(data_dir: &Path) -> Result<Catalogue, PlatformError> {
    let dir = data_dir.join("catalogue");
    if dir.join("products.toml").exists() {
        Catalogue::load(&dir).map_err(|e| PlatformError::invalid("catalogue", e.to_string()))
    } else {
        Ok(Catalogue::builtin())
    }
}

/// The need an answer is for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Need {
    /// `working_capital`, `order_fulfilment`, `equipment` or `rnd`; all purposes when absent.
    pub purpose: Option<String>,
    /// Yuan sought; the limit when absent.
    pub amount: Option<Decimal>,
}

impl Need {
    /// A checked need: a known purpose and a positive amount of at most a billion yuan.
    pub fn new(purpose: Option<&str>, amount: Option<Decimal>) -> Result<Need, PlatformError> {
        if let Some(p) = purpose
            && !xinrong_lending::PURPOSES.contains(&p)
        {
            return Err(PlatformError::invalid(
                "need.purpose",
                format!(
                    "'{p}' is not a purpose; expected one of {}",
                    xinrong_lending::PURPOSES.join(", ")
                ),
            ));
        }
        if let Some(a) = amount
            && (a <= Decimal::ZERO || a > Decimal::from(1_000_000_000u64))
        {
            return Err(PlatformError::invalid(
                "need.amount",
                format!("{a} is not between 0 and 1,000,000,000 yuan"),
            ));
        }
        Ok(Need {
            purpose: purpose.map(str::to_string),
            amount,
        })
    }
}

/// Grounds kept per enterprise while its latest snapshot and the champion model stay the
/// same (the same shared values, so a rescoring, a snapshot load or a new champion is never
/// answered from what was kept): scoring and explaining a snapshot, and hashing its inputs,
/// were a fifteenth of a credit decision's CPU (bench/RESULTS.md).
#[derive(Default)]
pub(crate) struct KeptGrounds(Mutex<HashMap<Uscc, Kept>>);

struct Kept {
    model: Arc<Published>,
    snapshot: Arc<Snapshot>,
    grounds: Arc<Grounds>,
}

/// Most enterprises whose grounds are kept; past it, the store starts afresh.
const KEPT_GROUNDS: usize = 50_000;

impl KeptGrounds {
    fn get(
        &self,
        enterprise: &Uscc,
        model: &Arc<Published>,
        snapshot: &Arc<Snapshot>,
    ) -> Option<Arc<Grounds>> {
        let kept = self.0.lock().expect("kept grounds");
        kept.get(enterprise)
            .filter(|k| Arc::ptr_eq(&k.model, model) && Arc::ptr_eq(&k.snapshot, snapshot))
            .map(|k| Arc::clone(&k.grounds))
    }

    fn keep(
        &self,
        enterprise: &Uscc,
        model: Arc<Published>,
        snapshot: Arc<Snapshot>,
        grounds: Arc<Grounds>,
    ) {
        let mut kept = self.0.lock().expect("kept grounds");
        if kept.len() >= KEPT_GROUNDS {
            kept.clear();
        }
        kept.insert(
            enterprise.clone(),
            Kept {
                model,
                snapshot,
                grounds,
            },
        );
    }
}

/// What an answer rests on: the enterprise scored and its facts.
pub(crate) struct Grounds {
    pub(crate) explained: Explained,
    pub(crate) facts: Facts,
    /// Hash of every indicator value the answer read (the model's and the facts').
    inputs_hash: String,
}

/// Takes the rule engine's traces out of a match's offers (an answer keeps the rules' version
/// and the facts, which reproduce them), without copying them: a trace is most of an offer.
fn take_traces(answer: &mut Match) -> Vec<serde_json::Value> {
    answer
        .offers
        .iter_mut()
        .map(|o| std::mem::take(&mut o.trace))
        .collect()
}

impl Platform {
    /// Whether `by` may have a financing answer about `enterprise` for `purpose`: the id of
    /// the consent that allows it (`self` for an enterprise asking about itself).
    pub(crate) fn financing_consent(
        &self,
        by: &Institution,
        enterprise: &Uscc,
        purpose: Purpose,
    ) -> Result<String, PlatformError> {
        match by.kind {
            Kind::Enterprise if by.uscc.as_ref() == Some(enterprise) => Ok("self".into()),
            Kind::Enterprise => Err(PlatformError::role(
                "an enterprise asks about its own financing only",
            )),
            k if k.may_query_scores() => self.consents.check(enterprise, &by.id, purpose),
            _ => Err(PlatformError::role(format!(
                "{} may not ask for financing answers; banks, guarantors and the enterprise itself may",
                by.kind.with_article()
            ))),
        }
    }

    /// The enterprise scored by the champion model on its latest snapshot, and its facts;
    /// kept while both stay the same ([`KeptGrounds`]).
    pub(crate) async fn grounds(&self, enterprise: &Uscc) -> Result<Arc<Grounds>, PlatformError> {
        let model = self.registry.get(None)?;
        let snapshot = self.snapshots.latest(enterprise).await?.ok_or_else(|| {
            PlatformError::Unavailable(format!(
                "no indicators are loaded for enterprise {enterprise} yet"
            ))
        })?;
        if let Some(kept) = self.grounds.get(enterprise, &model, &snapshot) {
            return Ok(kept);
        }
        let grounds = Arc::new(Self::ground(&model, &snapshot)?);
        self.grounds
            .keep(enterprise, model, snapshot, Arc::clone(&grounds));
        Ok(grounds)
    }

    fn ground(model: &Published, snapshot: &Snapshot) -> Result<Grounds, PlatformError> {
        let explained = explain(model, snapshot)?;
        let value = |id: &str| snapshot.values.get(id).copied().flatten();
        let mut facts = Facts::from_indicators(value);
        facts.scored(explained.pd, explained.score, explained.grade.as_str());
        let mut names: Vec<&str> = model
            .model
            .features
            .iter()
            .map(|f| f.name.as_str())
            .chain(Facts::indicators())
            .collect();
        names.sort_unstable();
        names.dedup();
        let inputs_hash = snapshot.hash_of(names.into_iter());
        Ok(Grounds {
            explained,
            facts,
            inputs_hash,
        })
    }

    /// Logs an answer, records it, and returns the record with its receipt.
    #[allow(clippy::too_many_arguments)]
    async fn record_answer(
        &self,
        institution: &str,
        enterprise: &Uscc,
        purpose: Purpose,
        consent_id: String,
        kind: &str,
        grounds: &Grounds,
        financing: Answer,
    ) -> Result<(QueryRecord, Receipt), PlatformError> {
        self.writable()?;
        let query_id = new_time_ordered_id("q");
        let created_ms = now_ms();
        let time = rfc3339(created_ms);
        let entry = Entry::FinancingQuery {
            query_id: query_id.clone(),
            institution: institution.to_string(),
            enterprise: enterprise.clone(),
            answer: kind.to_string(),
            purpose: purpose.as_str().to_string(),
            model_version: grounds.explained.model_version.clone(),
            catalogue_version: self.catalogue.version.clone(),
            inputs_hash: grounds.inputs_hash.clone(),
            answer_hash: financing.sha256(),
            time: time.clone(),
        };
        let pending = self.ledger.submit(entry.to_canonical())?;
        let record = QueryRecord {
            query_id,
            institution: institution.to_string(),
            enterprise: enterprise.to_string(),
            purpose: purpose.as_str().to_string(),
            consent_id,
            time,
            leaf_index: pending.index(),
            kind: kind.to_string(),
            result: grounds.explained.for_the_record(),
            financing: Some(financing),
        };
        let receipt = self.queries.record(&record, created_ms, pending).await?;
        Ok((record, receipt))
    }

    /// The products an enterprise qualifies for, best first, each with its amount, price and
    /// reasons; with `trace`, the answer also carries each product's rule-engine trace (the
    /// record keeps the rules' version and the facts, which reproduce it).
    pub async fn match_financing(
        &self,
        by: &Institution,
        enterprise: &Uscc,
        purpose: Purpose,
        need: &Need,
        trace: bool,
    ) -> Result<(QueryRecord, Receipt), PlatformError> {
        let consent_id = self.financing_consent(by, enterprise, purpose)?;
        let grounds = self.grounds(enterprise).await?;
        let mut answer = match_products(
            &self.catalogue,
            &grounds.facts,
            &Request {
                purpose: need.purpose.clone(),
                amount: need.amount,
                trace,
            },
        );
        let traces = take_traces(&mut answer);
        let stored = Answer::of(&MatchAnswer::new(&answer, &grounds.facts, need));
        let (mut record, receipt) = self
            .record_answer(
                &by.id, enterprise, purpose, consent_id, "match", &grounds, stored,
            )
            .await?;
        if trace {
            for (offer, trace) in answer.offers.iter_mut().zip(traces) {
                offer.trace = trace;
            }
            record.financing = Some(Answer::of(&MatchAnswer::new(&answer, &grounds.facts, need)));
        }
        Ok((record, receipt))
    }

    /// The credit limit and price of one product for an enterprise, every number with its
    /// inputs, and whether the product's rules allow it.
    pub async fn credit_limit(
        &self,
        by: &Institution,
        enterprise: &Uscc,
        purpose: Purpose,
        product: &str,
        amount: Option<Decimal>,
    ) -> Result<(QueryRecord, Receipt), PlatformError> {
        if !self.catalogue.products.iter().any(|(p, _)| p.id == product) {
            return Err(PlatformError::invalid(
                "product",
                format!(
                    "'{product}' is not in catalogue {}; products: {}",
                    self.catalogue.version,
                    self.catalogue
                        .products
                        .iter()
                        .map(|(p, _)| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let consent_id = self.financing_consent(by, enterprise, purpose)?;
        let grounds = self.grounds(enterprise).await?;
        let request = Request {
            purpose: None,
            amount,
            trace: false,
        };
        let offer = match_product(&self.catalogue, &grounds.facts, &request, product)
            .expect("the product was checked above");
        let stored = Answer::of(&json!({
            "catalogue": self.catalogue.version,
            "amount_sought": amount,
            "offer": offer,
            "facts": grounds.facts,
        }));
        self.record_answer(
            &by.id, enterprise, purpose, consent_id, "limit", &grounds, stored,
        )
        .await
    }

    /// An enterprise's latest need signals (the last `months` month-ends loaded).
    pub async fn need_signals(
        &self,
        by: &Institution,
        enterprise: &Uscc,
        purpose: Purpose,
        months: i64,
    ) -> Result<(QueryRecord, Receipt), PlatformError> {
        let consent_id = self.financing_consent(by, enterprise, purpose)?;
        let grounds = self.grounds(enterprise).await?;
        let signals = signals::latest(&self.pool, enterprise, months).await?;
        let stored = Answer::of(&json!({ "signals": signals }));
        self.record_answer(
            &by.id, enterprise, purpose, consent_id, "signals", &grounds, stored,
        )
        .await
    }

    /// Pushes offers for projected shortfalls loaded and not yet pushed: each institution
    /// holding a live consent (pre-loan for banks, guarantee for guarantors) gets the match for
    /// the signal's purpose and amount as a query record of kind `offer`, with its ledger
    /// entry; the enterprise sees it among the queries about it. At most `limit` signals per
    /// call; the number of offers made.
    pub async fn push_offers(&self, limit: i64) -> Result<usize, PlatformError> {
        let mut made = 0;
        for signal in signals::to_push(&self.pool, limit).await? {
            made += self.push_one(&signal).await?;
            signals::mark_pushed(&self.pool, &signal).await?;
        }
        Ok(made)
    }

    async fn push_one(&self, signal: &StoredSignal) -> Result<usize, PlatformError> {
        let holders = self.consents.live_holders(&signal.enterprise);
        if holders.is_empty() {
            return Ok(0);
        }
        let grounds = match self.grounds(&signal.enterprise).await {
            Ok(g) => Arc::new(g),
            // No model or no indicators yet: nothing to offer on; the signal stays served.
            Err(PlatformError::Unavailable(_)) => return Ok(0),
            Err(e) => return Err(e),
        };
        let need = Need {
            purpose: Some(signal.purpose.clone()),
            amount: Some(signal.amount).filter(|a| *a > Decimal::ZERO),
        };
        let answer = match_products(
            &self.catalogue,
            &grounds.facts,
            &Request {
                purpose: need.purpose.clone(),
                amount: need.amount,
                trace: false,
            },
        );
        if answer.best().is_none() {
            return Ok(0);
        }
        let mut made = 0;
        for (institution, purpose, consent_id) in holders {
            let stored = MatchAnswer {
                signal: Some(signal),
                ..MatchAnswer::new(&answer, &grounds.facts, &need)
            };
            self.record_answer(
                &institution,
                &signal.enterprise,
                purpose,
                consent_id,
                "offer",
                &grounds,
                Answer::of(&stored),
            )
            .await?;
            made += 1;
        }
        Ok(made)
    }
}

/// A match as answered: the need, the facts it rests on, the recommended product and every
/// product tried (and, for an offer pushed, the signal it answers). Typed, so that its
/// canonical JSON is written straight from the match.
#[derive(Serialize)]
struct MatchAnswer<'a> {
    catalogue: &'a str,
    need: NeedAsked<'a>,
    best: Option<&'a str>,
    offers: &'a [Offer],
    facts: &'a Facts,
    declared: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<&'a StoredSignal>,
}

#[derive(Serialize)]
struct NeedAsked<'a> {
    purpose: Option<&'a str>,
    amount: Option<Decimal>,
}

impl<'a> MatchAnswer<'a> {
    fn new(answer: &'a Match, facts: &'a Facts, need: &'a Need) -> Self {
        MatchAnswer {
            catalogue: &answer.catalogue,
            need: NeedAsked {
                purpose: need.purpose.as_deref(),
                amount: need.amount,
            },
            best: answer.best().map(|o| o.product.as_str()),
            offers: &answer.offers,
            facts,
            declared: &answer.declared,
            signal: None,
        }
    }
}
