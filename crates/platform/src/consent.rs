//! Consents: an enterprise authorises one institution for one purpose until a date, and may
//! revoke at any time. Grants and revocations are logged in the ledger before they are
//! stored, and kept in memory (this process is the only writer of its data directory, as the
//! ledger's lock guarantees) so that the check on every score query costs no database trip.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::AnyPool;
use xinrong_core::{Purpose, Uscc};
use xinrong_ledger::{Entry, Ledger, Receipt};

use crate::access::{Institution, Kind};
use crate::error::PlatformError;
use crate::ids::{new_id, now_ms, rfc3339, today};

/// Longest a consent may run.
pub const MAX_CONSENT_DAYS: i64 = 3 * 366;

/// One consent.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Consent {
    /// Platform id.
    pub id: String,
    /// The enterprise.
    #[schema(value_type = String, example = "91350100M000100Y43")]
    pub enterprise: Uscc,
    /// The institution authorised.
    pub institution: String,
    /// The purpose.
    #[schema(value_type = String, example = "pre_loan")]
    pub purpose: Purpose,
    /// Last day it is valid.
    #[schema(value_type = String, format = Date)]
    pub expires: NaiveDate,
    /// When it was granted (RFC 3339).
    pub granted: String,
    /// When it was revoked, if it was.
    pub revoked: Option<String>,
    /// Ledger leaf of the grant.
    pub grant_leaf: u64,
    /// Ledger leaf of the revocation.
    pub revoke_leaf: Option<u64>,
}

impl Consent {
    /// Whether it allows queries today.
    pub fn is_live(&self, today: NaiveDate) -> bool {
        self.revoked.is_none() && self.expires >= today
    }
}

/// Consents by institution, then enterprise: an institution's whole book is one lookup (a
/// lender holds tens of thousands, institutions are few), a pair two.
#[derive(Default)]
struct Index(HashMap<String, HashMap<Uscc, Vec<Consent>>>);

impl Index {
    /// The consents from `enterprise` to `institution`, oldest first.
    fn pair(&self, enterprise: &Uscc, institution: &str) -> &[Consent] {
        self.0
            .get(institution)
            .and_then(|m| m.get(enterprise))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn add(&mut self, c: Consent) {
        self.0
            .entry(c.institution.clone())
            .or_default()
            .entry(c.enterprise.clone())
            .or_default()
            .push(c);
    }

    /// Each institution with the consents `enterprise` gave it.
    fn of_enterprise<'a>(
        &'a self,
        enterprise: &'a Uscc,
    ) -> impl Iterator<Item = (&'a String, &'a Vec<Consent>)> + 'a {
        self.0
            .iter()
            .filter_map(move |(i, m)| m.get(enterprise).map(|list| (i, list)))
    }
}

/// Every consent, indexed by institution and enterprise.
pub struct Consents {
    pool: AnyPool,
    ledger: Arc<Ledger>,
    by_pair: RwLock<Index>,
    /// Consents being revoked right now: a second, concurrent revocation is a conflict, so a
    /// consent is revoked (and logged) once.
    revoking: std::sync::Mutex<std::collections::HashSet<String>>,
}

type ConsentRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

fn consent(row: ConsentRow) -> Result<Consent, PlatformError> {
    let (id, uscc, institution, purpose, expires, granted, grant_leaf, revoked, revoke_leaf) = row;
    let bad = |what: &str| PlatformError::Conflict(format!("stored consent {id} has a bad {what}"));
    Ok(Consent {
        enterprise: uscc.parse().map_err(|_| bad("USCC"))?,
        purpose: purpose.parse().map_err(|_| bad("purpose"))?,
        expires: expires.parse().map_err(|_| bad("expiry"))?,
        granted: rfc3339(granted),
        revoked: revoked.map(rfc3339),
        grant_leaf: grant_leaf as u64,
        revoke_leaf: revoke_leaf.map(|l| l as u64),
        id,
        institution,
    })
}

impl Consents {
    /// Loads every consent.
    pub async fn load(pool: AnyPool, ledger: Arc<Ledger>) -> Result<Consents, PlatformError> {
        let rows: Vec<ConsentRow> = sqlx::query_as(
            "SELECT id, uscc, institution_id, purpose, expires, granted_ms, grant_leaf, revoked_ms, revoke_leaf \
             FROM consents ORDER BY granted_ms",
        )
        .fetch_all(&pool)
        .await?;
        let mut by_pair = Index::default();
        for row in rows {
            by_pair.add(consent(row)?);
        }
        Ok(Consents {
            pool,
            ledger,
            by_pair: RwLock::new(by_pair),
            revoking: std::sync::Mutex::new(std::collections::HashSet::new()),
        })
    }

    /// Institutions holding a live consent from `enterprise` under which an offer may be
    /// pushed to them (pre-loan assessment or guarantee), one consent each (pre-loan first):
    /// (institution, purpose, consent id).
    pub fn live_holders(&self, enterprise: &Uscc) -> Vec<(String, Purpose, String)> {
        let today = today();
        let map = self.by_pair.read().expect("consent index");
        let mut out: Vec<(String, Purpose, String)> = map
            .of_enterprise(enterprise)
            .filter_map(|(institution, list)| {
                [Purpose::PreLoan, Purpose::Guarantee].iter().find_map(|p| {
                    list.iter()
                        .find(|c| c.purpose == *p && c.is_live(today))
                        .map(|c| (institution.clone(), *p, c.id.clone()))
                })
            })
            .collect();
        out.sort();
        out
    }

    /// The live consent that lets `institution` query `enterprise` for `purpose`, or the
    /// reason there is none. An unregistered enterprise gets the same answer as one that gave
    /// no consent, so a refusal reveals nothing about who is registered.
    pub fn check(
        &self,
        enterprise: &Uscc,
        institution: &str,
        purpose: Purpose,
    ) -> Result<String, PlatformError> {
        let today = today();
        let map = self.by_pair.read().expect("consent index");
        let list = map.pair(enterprise, institution);
        if let Some(c) = list
            .iter()
            .find(|c| c.purpose == purpose && c.is_live(today))
        {
            return Ok(c.id.clone());
        }
        let same: Vec<&Consent> = list.iter().filter(|c| c.purpose == purpose).collect();
        let refuse = |code, message| Err(PlatformError::Forbidden { code, message });
        if let Some(c) = same.iter().rev().find(|c| c.revoked.is_some()) {
            return refuse(
                "consent_revoked",
                format!(
                    "enterprise {enterprise} revoked consent {} for {purpose} at {}",
                    c.id,
                    c.revoked.as_deref().unwrap_or_default()
                ),
            );
        }
        if let Some(c) = same.last() {
            return refuse(
                "consent_expired",
                format!(
                    "consent {} of enterprise {enterprise} for {purpose} expired on {}",
                    c.id, c.expires
                ),
            );
        }
        let live: Vec<&str> = list
            .iter()
            .filter(|c| c.is_live(today))
            .map(|c| c.purpose.as_str())
            .collect();
        if !live.is_empty() {
            return refuse(
                "wrong_purpose",
                format!(
                    "enterprise {enterprise} consented to {} only, not {purpose}",
                    live.join(", ")
                ),
            );
        }
        refuse(
            "no_consent",
            format!(
                "no consent from enterprise {enterprise} for {purpose}: ask the enterprise to grant one"
            ),
        )
    }

    /// An enterprise grants `institution` access for `purpose` until `expires`.
    pub async fn grant(
        &self,
        by: &Institution,
        institution: &Institution,
        purpose: Purpose,
        expires: NaiveDate,
    ) -> Result<(Consent, Receipt), PlatformError> {
        let enterprise = enterprise_of(by)?;
        if !institution.kind.may_query_scores() {
            return Err(PlatformError::invalid(
                "institution",
                format!(
                    "{} is a {}; consent goes to a bank or a guarantor",
                    institution.id,
                    institution.kind.as_str()
                ),
            ));
        }
        let today = today();
        if expires < today {
            return Err(PlatformError::invalid(
                "expires",
                format!("{expires} is in the past"),
            ));
        }
        if (expires - today).num_days() > MAX_CONSENT_DAYS {
            return Err(PlatformError::invalid(
                "expires",
                format!("{expires} is more than {MAX_CONSENT_DAYS} days away"),
            ));
        }
        let id = new_id("c");
        let granted_ms = now_ms();
        let entry = Entry::ConsentGranted {
            consent_id: id.clone(),
            enterprise: enterprise.clone(),
            institution: institution.id.clone(),
            purpose: purpose.as_str().to_string(),
            expires: expires.to_string(),
            time: rfc3339(granted_ms),
        };
        let receipt = self.ledger.submit(entry.to_canonical())?.receipt().await?;
        sqlx::query(
            "INSERT INTO consents (id, uscc, institution_id, purpose, expires, granted_ms, grant_leaf) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(enterprise.as_str())
        .bind(&institution.id)
        .bind(purpose.as_str())
        .bind(expires.to_string())
        .bind(granted_ms)
        .bind(receipt.leaf_index as i64)
        .execute(&self.pool)
        .await?;
        let c = Consent {
            id,
            enterprise: enterprise.clone(),
            institution: institution.id.clone(),
            purpose,
            expires,
            granted: rfc3339(granted_ms),
            revoked: None,
            grant_leaf: receipt.leaf_index,
            revoke_leaf: None,
        };
        self.by_pair.write().expect("consent index").add(c.clone());
        Ok((c, receipt))
    }

    /// The enterprise `by` revokes its consent `id`.
    pub async fn revoke(
        &self,
        by: &Institution,
        id: &str,
    ) -> Result<(Consent, Receipt), PlatformError> {
        let enterprise = enterprise_of(by)?;
        let found = self
            .of_enterprise(enterprise)
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| PlatformError::NotFound(format!("consent {id}")))?;
        let already = || PlatformError::Conflict(format!("consent {id} is already revoked"));
        if found.revoked.is_some() {
            return Err(already());
        }
        if !self
            .revoking
            .lock()
            .expect("revoking")
            .insert(id.to_string())
        {
            return Err(already());
        }
        let outcome = self.log_revocation(enterprise, &found).await;
        self.revoking.lock().expect("revoking").remove(id);
        outcome
    }

    async fn log_revocation(
        &self,
        enterprise: &Uscc,
        found: &Consent,
    ) -> Result<(Consent, Receipt), PlatformError> {
        let id = found.id.as_str();
        let revoked_ms = now_ms();
        let entry = Entry::ConsentRevoked {
            consent_id: id.to_string(),
            enterprise: enterprise.clone(),
            institution: found.institution.clone(),
            purpose: found.purpose.as_str().to_string(),
            time: rfc3339(revoked_ms),
        };
        let receipt = self.ledger.submit(entry.to_canonical())?.receipt().await?;
        sqlx::query("UPDATE consents SET revoked_ms = $1, revoke_leaf = $2 WHERE id = $3")
            .bind(revoked_ms)
            .bind(receipt.leaf_index as i64)
            .bind(id)
            .execute(&self.pool)
            .await?;
        let mut map = self.by_pair.write().expect("consent index");
        let list = map
            .0
            .get_mut(&found.institution)
            .and_then(|m| m.get_mut(enterprise))
            .expect("the consent was found in this list");
        let c = list.iter_mut().find(|c| c.id == id).expect("found above");
        c.revoked = Some(rfc3339(revoked_ms));
        c.revoke_leaf = Some(receipt.leaf_index);
        Ok((c.clone(), receipt))
    }

    /// Every consent an enterprise gave.
    pub fn of_enterprise(&self, enterprise: &Uscc) -> Vec<Consent> {
        let map = self.by_pair.read().expect("consent index");
        let mut out: Vec<Consent> = map
            .of_enterprise(enterprise)
            .flat_map(|(_, v)| v.iter().cloned())
            .collect();
        out.sort_by(|a, b| a.granted.cmp(&b.granted).then(a.id.cmp(&b.id)));
        out
    }

    /// Calls `f` with each consent an institution holds that allows queries `today`, without
    /// copying them (a lender's portfolio holds tens of thousands).
    pub fn for_each_live(&self, institution: &str, today: NaiveDate, mut f: impl FnMut(&Consent)) {
        let map = self.by_pair.read().expect("consent index");
        for list in map.0.get(institution).into_iter().flat_map(HashMap::values) {
            list.iter().filter(|c| c.is_live(today)).for_each(&mut f);
        }
    }

    /// Calls `f` once for each enterprise from which an institution holds a consent that
    /// allows queries `today`, with all of that enterprise's consents to it.
    pub fn for_each_holding(
        &self,
        institution: &str,
        today: NaiveDate,
        mut f: impl FnMut(&Uscc, &[Consent]),
    ) {
        let map = self.by_pair.read().expect("consent index");
        for (enterprise, list) in map.0.get(institution).into_iter().flatten() {
            if list.iter().any(|c| c.is_live(today)) {
                f(enterprise, list);
            }
        }
    }

    /// Every enterprise from which some institution holds a consent that allows queries
    /// `today`, once each.
    pub fn live_enterprises(&self, today: NaiveDate) -> Vec<Uscc> {
        let map = self.by_pair.read().expect("consent index");
        let mut out: std::collections::HashSet<&Uscc> = std::collections::HashSet::new();
        for book in map.0.values() {
            for (enterprise, list) in book {
                if list.iter().any(|c| c.is_live(today)) {
                    out.insert(enterprise);
                }
            }
        }
        out.into_iter().cloned().collect()
    }

    /// The consents from one enterprise to one institution that allow queries `today`.
    pub fn live_between(
        &self,
        enterprise: &Uscc,
        institution: &str,
        today: NaiveDate,
    ) -> Vec<Consent> {
        let map = self.by_pair.read().expect("consent index");
        map.pair(enterprise, institution)
            .iter()
            .filter(|c| c.is_live(today))
            .cloned()
            .collect()
    }

    /// Every consent an institution holds.
    pub fn of_institution(&self, institution: &str) -> Vec<Consent> {
        let map = self.by_pair.read().expect("consent index");
        let mut out: Vec<Consent> = map
            .0
            .get(institution)
            .into_iter()
            .flat_map(HashMap::values)
            .flat_map(|v| v.iter().cloned())
            .collect();
        out.sort_by(|a, b| a.granted.cmp(&b.granted).then(a.id.cmp(&b.id)));
        out
    }
}

/// The USCC of an enterprise caller; other kinds may not manage consents.
pub fn enterprise_of(by: &Institution) -> Result<&Uscc, PlatformError> {
    match (&by.kind, &by.uscc) {
        (Kind::Enterprise, Some(u)) => Ok(u),
        _ => Err(PlatformError::role(
            "only an enterprise manages its consents and portrait",
        )),
    }
}
