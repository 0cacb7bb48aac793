//! Console sessions. An institution's API key is typed once at sign-in and exchanged for a
//! random session id carried in an HttpOnly, SameSite=Strict cookie (Secure behind TLS); the
//! key itself stays in the server's memory, so every page is checked by the same
//! authentication as the API (a revoked key ends its sessions at once). Each session has its
//! own CSRF token, which every form must send back. Sessions end at sign-out, after an idle
//! period and after an absolute lifetime; they live in memory, so a restart signs everyone out
//! (nothing about a session is ever written to disk).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "xr_session";
/// Name of the language cookie (`zh` or `en`, remembered for a year).
pub const LANG_COOKIE: &str = "xr_lang";
/// Most open sessions per key: the oldest is closed when a new one would pass it, so repeated
/// sign-ins cannot fill the server's memory (nor close the sessions of another officer's key).
const MAX_PER_KEY: usize = 32;
/// A session ends this long after it was opened, however active.
const MAX_AGE: Duration = Duration::from_secs(12 * 3600);

/// What a session holds.
#[derive(Clone)]
pub struct Session {
    /// The API key given at sign-in (memory only).
    pub key: String,
    /// The token every form of this session must carry.
    pub csrf: String,
    opened: Instant,
    seen: Instant,
}

/// The open sessions, by SHA-256 of their id (a lookup never compares secrets directly).
pub struct Sessions {
    open: Mutex<HashMap<[u8; 32], Session>>,
    idle: Duration,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// Equality that takes the same time wherever the strings differ (for CSRF tokens).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Sessions {
    /// Sessions that end after `idle` without a request.
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            open: Mutex::new(HashMap::new()),
            idle,
        }
    }

    fn live(&self, s: &Session, now: Instant) -> bool {
        now.duration_since(s.seen) < self.idle && now.duration_since(s.opened) < MAX_AGE
    }

    /// Opens a session for a key that authenticated; returns its id (for the cookie).
    pub fn open(&self, key: String) -> String {
        let id = random_token();
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, s| self.live(s, now));
        let mut mine: Vec<([u8; 32], Instant)> = open
            .iter()
            .filter(|(_, s)| s.key == key)
            .map(|(k, s)| (*k, s.opened))
            .collect();
        if mine.len() >= MAX_PER_KEY {
            mine.sort_by_key(|(_, opened)| *opened);
            for (k, _) in &mine[..=mine.len() - MAX_PER_KEY] {
                open.remove(k);
            }
        }
        open.insert(
            digest(&id),
            Session {
                key,
                csrf: random_token(),
                opened: now,
                seen: now,
            },
        );
        id
    }

    /// The live session of a cookie's id, marked as seen now; an expired one is closed.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let k = digest(id);
        let session = open.get_mut(&k)?;
        if !self.live(session, now) {
            open.remove(&k);
            return None;
        }
        session.seen = now;
        Some(session.clone())
    }

    /// Closes a session (sign-out).
    pub fn close(&self, id: &str) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.remove(&digest(id));
    }

    /// Drops expired sessions (called now and then by the server's janitor).
    pub fn forget_idle(&self) {
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, s| self.live(s, now));
    }
}

/// The value of cookie `name` in a request's `Cookie` headers; none when the name comes twice
/// (a cookie planted for a narrower path or by a sibling host must not pick the session).
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// A `Set-Cookie` value for the session id (`None` clears it).
pub fn session_cookie(id: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match id {
        Some(id) => {
            format!("{SESSION_COOKIE}={id}; Path=/console; HttpOnly; SameSite=Strict{secure}")
        }
        None => format!(
            "{SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_when_idle_and_at_sign_out() {
        let sessions = Sessions::new(Duration::from_millis(50));
        let id = sessions.open("key".into());
        let s = sessions.get(&id).expect("open");
        assert_eq!(s.key, "key");
        assert_eq!(s.csrf.len(), 64);
        std::thread::sleep(Duration::from_millis(80));
        assert!(sessions.get(&id).is_none(), "idle past the timeout");
        let id = sessions.open("key".into());
        sessions.close(&id);
        assert!(sessions.get(&id).is_none(), "signed out");
        assert!(sessions.get("not-an-id").is_none());
    }

    #[test]
    fn repeated_sign_ins_keep_at_most_the_newest_sessions_of_a_key() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let colleague = sessions.open("k2".into());
        let ids: Vec<String> = (0..MAX_PER_KEY + 5)
            .map(|_| sessions.open("k".into()))
            .collect();
        let live = ids.iter().filter(|id| sessions.get(id).is_some()).count();
        assert_eq!(live, MAX_PER_KEY);
        assert!(
            sessions.get(ids.last().unwrap()).is_some(),
            "the newest stays"
        );
        assert!(sessions.get(&ids[0]).is_none(), "the oldest went");
        assert!(
            sessions.get(&colleague).is_some(),
            "another officer's key keeps its session"
        );
    }

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut h = axum::http::HeaderMap::new();
        h.append("cookie", "a=1; xr_lang=en".parse().unwrap());
        h.append("cookie", "xr_session=abc".parse().unwrap());
        assert_eq!(cookie(&h, LANG_COOKIE), Some("en"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        h.append("cookie", "xr_session=planted".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), None, "twice: neither");
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
