//! Institutions, their API keys and what each kind of institution may do.
//!
//! A key is `xr_<key id>.<secret>`. Only an Argon2id hash of the secret is stored. Argon2 is
//! deliberately slow (tens of milliseconds), so a key that verified is remembered by the
//! SHA-256 of the whole token. Every [`KEY_CACHE_TTL`] the key's row is looked at again (a
//! cheap query, not another Argon2 run, which under load would stall every request at once):
//! revoking a key in this process forgets it at once, and a revocation by another process
//! (the `admin` command) takes effect within the TTL.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::AnyPool;
use xinrong_core::{Industry, Uscc};

use xinrong_ledger::Entry;

use crate::error::PlatformError;
use crate::ids::{new_id, now_ms};
use crate::journal::{Action, enqueue};

/// The kinds of institution (机构类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The bureau or platform operator (征信机构/平台): registers enterprises and data.
    Operator,
    /// A bank (银行): queries scores under consent.
    Bank,
    /// A guarantor (担保机构): queries scores under consent.
    Guarantor,
    /// An enterprise (企业): grants and revokes consent, sees its own portrait.
    Enterprise,
    /// A regulator (监管): reads the query log of every institution.
    Regulator,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Operator,
        Kind::Bank,
        Kind::Guarantor,
        Kind::Enterprise,
        Kind::Regulator,
    ];

    /// The code used in APIs and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Operator => "operator",
            Kind::Bank => "bank",
            Kind::Guarantor => "guarantor",
            Kind::Enterprise => "enterprise",
            Kind::Regulator => "regulator",
        }
    }

    /// The kind with its article, for messages ("an operator", "a bank").
    pub fn with_article(self) -> &'static str {
        match self {
            Kind::Operator => "an operator",
            Kind::Bank => "a bank",
            Kind::Guarantor => "a guarantor",
            Kind::Enterprise => "an enterprise",
            Kind::Regulator => "a regulator",
        }
    }

    /// Whether this kind may ask for scores.
    pub fn may_query_scores(self) -> bool {
        matches!(self, Kind::Bank | Kind::Guarantor)
    }
}

impl FromStr for Kind {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Kind, PlatformError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                PlatformError::invalid(
                    "kind",
                    format!("'{s}' is not one of operator, bank, guarantor, enterprise, regulator"),
                )
            })
    }
}

/// An institution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Institution {
    /// Platform id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// For an enterprise, its USCC.
    #[schema(value_type = Option<String>)]
    pub uscc: Option<Uscc>,
    /// The API key the caller used (each officer holds their own): who made and who checked
    /// a decision flow's version.
    #[serde(skip)]
    pub key: Option<String>,
}

/// How long a verified key is trusted before its hash is checked again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(30);

/// The authenticated caller of a request.
pub type Principal = Arc<Institution>;

/// Institutions and keys.
pub struct Access {
    pool: AnyPool,
    verified: RwLock<HashMap<[u8; 32], Verified>>,
    /// One verification of a token at a time: the requests that arrive together with a token
    /// not yet verified (every client's first burst after a start) wait for one Argon2 run
    /// instead of each running their own (48 at once stalled a restart for over a second).
    verifying: crate::stripes::Stripes,
}

/// A token that verified, with its key id and when its key was last seen live.
#[derive(Clone)]
struct Verified {
    principal: Principal,
    key_id: String,
    checked: Instant,
}

/// A new key: the token is shown once and never stored.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedKey {
    /// The key's id (safe to log).
    pub key_id: String,
    /// The bearer token.
    pub token: String,
}

type InstitutionRow = (String, String, String, Option<String>);

fn institution(row: InstitutionRow) -> Result<Institution, PlatformError> {
    let (id, name, kind, uscc) = row;
    Ok(Institution {
        id,
        name,
        kind: kind.parse()?,
        uscc: uscc
            .map(|u| u.parse())
            .transpose()
            .map_err(|e| PlatformError::invalid("uscc", format!("{e}")))?,
        key: None,
    })
}

impl Access {
    /// Access control over `pool`.
    pub fn new(pool: AnyPool) -> Access {
        Access {
            pool,
            verified: RwLock::new(HashMap::new()),
            verifying: crate::stripes::Stripes::default(),
        }
    }

    /// Registers an institution, `by` an operator (its id) or the admin command
    /// (`cli:<user>`). An enterprise must name its USCC; no other kind may. The action is
    /// logged in the ledger through the outbox ([`crate::journal`]).
    pub async fn add_institution(
        &self,
        name: &str,
        kind: Kind,
        uscc: Option<Uscc>,
        by: &str,
    ) -> Result<Institution, PlatformError> {
        let name = crate::fields::Name::parse("name", name)?;
        match (kind, &uscc) {
            (Kind::Enterprise, None) => {
                return Err(PlatformError::invalid(
                    "uscc",
                    "an enterprise needs its USCC",
                ));
            }
            (k, Some(_)) if k != Kind::Enterprise => {
                return Err(PlatformError::invalid(
                    "uscc",
                    "only an enterprise has a USCC",
                ));
            }
            _ => {}
        }
        let id = new_id(kind.as_str());
        let (action_id, time) = Action::stamp();
        let action = Action {
            kind: "institution_added",
            by: by.to_string(),
            entry: Entry::InstitutionAdded {
                action_id: action_id.clone(),
                institution: id.clone(),
                institution_kind: kind.as_str().to_string(),
                enterprise: uscc.clone(),
                by: by.to_string(),
                time,
            },
            action_id,
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO institutions (id, name, kind, uscc, created_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(name.as_str())
        .bind(kind.as_str())
        .bind(uscc.as_ref().map(|u| u.as_str().to_string()))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if let Some(u) = &uscc {
            // An enterprise that signs up is registered as an enterprise too.
            insert_enterprise(&mut *tx, u, name.as_str(), None, &id).await?;
        }
        enqueue(&mut tx, &action).await?;
        tx.commit().await?;
        Ok(Institution {
            id,
            name: name.as_str().to_string(),
            kind,
            uscc,
            key: None,
        })
    }

    /// The institution with this id.
    pub async fn institution(&self, id: &str) -> Result<Institution, PlatformError> {
        if !crate::fields::is_id(id) {
            return Err(PlatformError::NotFound(format!(
                "institution {}",
                crate::fields::shown(id)
            )));
        }
        let row: Option<InstitutionRow> =
            sqlx::query_as("SELECT id, name, kind, uscc FROM institutions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        institution(row.ok_or_else(|| PlatformError::NotFound(format!("institution {id}")))?)
    }

    /// Every institution, by id.
    pub async fn institutions(&self) -> Result<Vec<Institution>, PlatformError> {
        let rows: Vec<InstitutionRow> =
            sqlx::query_as("SELECT id, name, kind, uscc FROM institutions ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(institution).collect()
    }

    /// Issues a new key for an institution, `by` whom (see [`Access::add_institution`]).
    pub async fn issue_key(
        &self,
        institution_id: &str,
        by: &str,
    ) -> Result<IssuedKey, PlatformError> {
        self.institution(institution_id).await?;
        let key_id = new_id("k");
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let secret = hex::encode(secret);
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
        let phc = Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .expect("argon2 with default parameters hashes any input")
            .to_string();
        let (action_id, time) = Action::stamp();
        let action = Action {
            kind: "key_issued",
            by: by.to_string(),
            entry: Entry::KeyIssued {
                action_id: action_id.clone(),
                key_id: key_id.clone(),
                institution: institution_id.to_string(),
                by: by.to_string(),
                time,
            },
            action_id,
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_keys (key_id, institution_id, phc, created_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(&key_id)
        .bind(institution_id)
        .bind(phc)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        enqueue(&mut tx, &action).await?;
        tx.commit().await?;
        Ok(IssuedKey {
            token: format!("xr_{key_id}.{secret}"),
            key_id,
        })
    }

    /// Revokes a key, `by` whom; requests with it fail from now on (in this process at once,
    /// in a server running beside within [`KEY_CACHE_TTL`]).
    pub async fn revoke_key(&self, key_id: &str, by: &str) -> Result<(), PlatformError> {
        if !crate::fields::is_id(key_id) {
            return Err(PlatformError::NotFound(format!(
                "live key {}",
                crate::fields::shown(key_id)
            )));
        }
        let owner: Option<(String,)> = sqlx::query_as(
            "SELECT institution_id FROM api_keys WHERE key_id = $1 AND revoked_ms IS NULL",
        )
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((institution,)) = owner else {
            return Err(PlatformError::NotFound(format!("live key {key_id}")));
        };
        let (action_id, time) = Action::stamp();
        let action = Action {
            kind: "key_revoked",
            by: by.to_string(),
            entry: Entry::KeyRevoked {
                action_id: action_id.clone(),
                key_id: key_id.to_string(),
                institution,
                by: by.to_string(),
                time,
            },
            action_id,
        };
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_ms = $1 WHERE key_id = $2 AND revoked_ms IS NULL",
        )
        .bind(now_ms())
        .bind(key_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(PlatformError::NotFound(format!("live key {key_id}")));
        }
        enqueue(&mut tx, &action).await?;
        tx.commit().await?;
        // Forget every verified token: cheaper than tracking which token had this id.
        self.verified.write().expect("key cache").clear();
        Ok(())
    }

    /// The institution a bearer token belongs to.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, PlatformError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let cached = || {
            self.verified
                .read()
                .expect("key cache")
                .get(&digest)
                .cloned()
        };
        let mut found = cached();
        let _one_at_a_time = if found.is_none() {
            let stripe = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
            let guard = self.verifying.lock(stripe).await;
            found = cached();
            Some(guard)
        } else {
            None
        };
        if let Some(v) = found {
            if v.checked.elapsed() < KEY_CACHE_TTL {
                return Ok(v.principal);
            }
            let live: Option<(String,)> = sqlx::query_as(
                "SELECT key_id FROM api_keys WHERE key_id = $1 AND revoked_ms IS NULL",
            )
            .bind(&v.key_id)
            .fetch_optional(&self.pool)
            .await?;
            let mut cache = self.verified.write().expect("key cache");
            if live.is_none() {
                cache.remove(&digest);
                return Err(PlatformError::Unauthorized);
            }
            cache.insert(
                digest,
                Verified {
                    checked: Instant::now(),
                    ..v.clone()
                },
            );
            return Ok(v.principal);
        }
        let (key_id, secret) = token
            .strip_prefix("xr_")
            .and_then(|t| t.split_once('.'))
            .filter(|(id, secret)| crate::fields::is_id(id) && !secret.contains('\0'))
            .ok_or(PlatformError::Unauthorized)?;
        let row: Option<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT k.phc, i.id, i.name, i.kind, i.uscc FROM api_keys k \
             JOIN institutions i ON i.id = k.institution_id \
             WHERE k.key_id = $1 AND k.revoked_ms IS NULL",
        )
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?;
        let (phc, id, name, kind, uscc) = row.ok_or(PlatformError::Unauthorized)?;
        let secret = secret.to_string();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&phc)
                .map(|h| {
                    Argon2::default()
                        .verify_password(secret.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        if !ok {
            return Err(PlatformError::Unauthorized);
        }
        let principal = Arc::new(Institution {
            key: Some(key_id.to_string()),
            ..institution((id, name, kind, uscc))?
        });
        self.verified.write().expect("key cache").insert(
            digest,
            Verified {
                principal: Arc::clone(&principal),
                key_id: key_id.to_string(),
                checked: Instant::now(),
            },
        );
        Ok(principal)
    }
}

/// Registers an enterprise unless it already is; says whether it was new.
pub(crate) async fn insert_enterprise(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    uscc: &Uscc,
    name: &str,
    industry: Option<&Industry>,
    registered_by: &str,
) -> Result<bool, PlatformError> {
    let done = sqlx::query(
        "INSERT INTO enterprises (uscc, name, industry, registered_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (uscc) DO NOTHING",
    )
    .bind(uscc.as_str())
    .bind(name)
    .bind(industry.map(Industry::as_str))
    .bind(registered_by)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}
