//! Rate limits, so that a leaked or guessed key cannot scrape or brute-force at line rate:
//!
//! - **per institution and route**: each institution has its own budget on each route
//!   (a GCRA token bucket: a sustained rate and a burst); over it, 429 with `Retry-After`;
//! - **failed authentications per client address**: after too many requests with a missing or
//!   wrong key, the address is refused (429) without the key even being checked, until its
//!   budget refills. Argon2 makes each check expensive on purpose; this keeps it from being a
//!   lever against the server.
//!
//! Limits are configuration ([`Limits`], `xinrong serve --rate-limit`): the defaults are sized
//! to one server's capacity, so they stop runaway clients without getting in the way of a
//! bank's normal traffic; a deployment sets contract-level limits per route.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// A sustained rate and a burst, per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per second, sustained.
    pub per_second: NonZeroU32,
    /// Requests allowed at once before the rate applies.
    pub burst: NonZeroU32,
}

impl Rate {
    /// `per_second` sustained with a burst of twice that.
    pub fn per_second(n: u32) -> Rate {
        let n = NonZeroU32::new(n.max(1)).expect("at least 1");
        Rate {
            per_second: n,
            burst: n.saturating_mul(NonZeroU32::new(2).expect("2")),
        }
    }

    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

impl std::str::FromStr for Rate {
    type Err = String;
    /// `N` or `N/BURST`, requests per second.
    fn from_str(s: &str) -> Result<Rate, String> {
        let bad = || format!("'{s}' is not RATE or RATE/BURST (whole requests per second, > 0)");
        let (rate, burst) = match s.split_once('/') {
            Some((r, b)) => (r, Some(b)),
            None => (s, None),
        };
        let per_second: NonZeroU32 = rate.trim().parse().map_err(|_| bad())?;
        let burst = match burst {
            Some(b) => b.trim().parse().map_err(|_| bad())?,
            None => per_second.saturating_mul(NonZeroU32::new(2).expect("2")),
        };
        Ok(Rate { per_second, burst })
    }
}

/// Which limits apply.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Per route template (`POST /v1/scores`), per institution; `None` turns a route's limit
    /// off. Routes not named get `default`.
    pub routes: HashMap<String, Option<Rate>>,
    /// Per institution on routes not named in `routes`; `None` = unlimited.
    pub default: Option<Rate>,
    /// Failed authentications per client address; `None` = unlimited.
    pub auth_failures: Option<Rate>,
}

impl Default for Limits {
    /// Sized to one server on this class of machine: score queries up to its capacity, lists
    /// and writes well below, uploads and publications rarely; 60 failed keys a minute from
    /// one address (a burst of 30).
    fn default() -> Limits {
        let routes = [
            ("POST /v1/scores", Rate::per_second(12_000)),
            ("POST /v1/matches", Rate::per_second(8_000)),
            ("POST /v1/limits", Rate::per_second(8_000)),
            ("POST /v1/decisions", Rate::per_second(8_000)),
            (
                "POST /v1/enterprises/{uscc}/data/{source}",
                Rate::per_second(20),
            ),
            ("POST /v1/models", Rate::per_second(5)),
        ]
        .into_iter()
        .map(|(r, q)| (r.to_string(), Some(q)))
        .collect();
        Limits {
            routes,
            default: Some(Rate::per_second(2_000)),
            auth_failures: Some(Rate {
                per_second: NonZeroU32::new(1).expect("1"),
                burst: NonZeroU32::new(30).expect("30"),
            }),
        }
    }
}

impl Limits {
    /// No limits at all (benchmarks of raw capacity).
    pub fn off() -> Limits {
        Limits {
            routes: HashMap::new(),
            default: None,
            auth_failures: None,
        }
    }

    /// Applies `ROUTE=RATE[/BURST]`, `ROUTE=off`, `default=…` or `auth_failures=…`
    /// (`auth_failures` counts per second; `60/30` is one a second with a burst of 30).
    pub fn set(&mut self, setting: &str) -> Result<(), String> {
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("'{setting}' is not NAME=RATE[/BURST] or NAME=off"))?;
        let rate = match value.trim() {
            "off" => None,
            v => Some(v.parse::<Rate>()?),
        };
        match name.trim() {
            "default" => self.default = rate,
            "auth_failures" => self.auth_failures = rate,
            route if route.contains(" /") => {
                self.routes.insert(route.to_string(), rate);
            }
            other => {
                return Err(format!(
                    "'{other}' is not `default`, `auth_failures` or a route such as 'POST /v1/scores'"
                ));
            }
        }
        Ok(())
    }
}

/// The limiters of a running server.
pub struct Throttle {
    routes: HashMap<String, Option<DefaultKeyedRateLimiter<String>>>,
    default: Option<DefaultKeyedRateLimiter<String>>,
    failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses refused until a moment, after too many failed authentications.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl Throttle {
    /// Limiters for `limits`.
    pub fn new(limits: &Limits) -> Throttle {
        Throttle {
            routes: limits
                .routes
                .iter()
                .map(|(r, q)| (r.clone(), q.map(|q| RateLimiter::keyed(q.quota()))))
                .collect(),
            default: limits.default.map(|q| RateLimiter::keyed(q.quota())),
            failures: limits.auth_failures.map(|q| RateLimiter::keyed(q.quota())),
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `institution` on `route` (`METHOD /template`).
    pub fn request(&self, institution: &str, route: &str) -> Result<(), ApiError> {
        let limiter = match self.routes.get(route) {
            Some(configured) => configured.as_ref(),
            None => self.default.as_ref(),
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        let key = institution.to_string();
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::too_many(
                format!(
                    "rate limit of {route} for your institution reached; retry after the \
                     Retry-After seconds"
                ),
                wait.as_secs_f64().ceil() as u64,
            )
        })
    }

    /// Refuses an address that failed to authenticate too often, before its key is checked.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), ApiError> {
        let mut blocked = self.blocked.lock().expect("blocked addresses");
        match blocked.get(&ip) {
            Some(&until) if until > Instant::now() => Err(refused(until)),
            Some(_) => {
                blocked.remove(&ip);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failed authentication from `ip`; once over budget, the address is refused
    /// until the budget refills.
    pub fn failed(&self, ip: IpAddr) {
        let Some(failures) = &self.failures else {
            return;
        };
        if let Err(not_until) = failures.check_key(&ip) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let until = Instant::now() + wait.max(Duration::from_secs(1));
            let mut blocked = self.blocked.lock().expect("blocked addresses");
            if blocked.len() > 100_000 {
                let now = Instant::now();
                blocked.retain(|_, u| *u > now);
            }
            blocked.insert(ip, until);
        }
    }

    /// Forgets the state of keys that have not been seen lately (called now and then, so a
    /// scan from many addresses cannot grow memory without bound).
    pub fn forget_idle(&self) {
        for limiter in self.routes.values().flatten().chain(&self.default) {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(f) = &self.failures {
            f.retain_recent();
            f.shrink_to_fit();
        }
        let now = Instant::now();
        self.blocked
            .lock()
            .expect("blocked addresses")
            .retain(|_, u| *u > now);
    }
}

fn refused(until: Instant) -> ApiError {
    ApiError::too_many(
        "too many failed authentications from this address; retry after the Retry-After seconds",
        until
            .saturating_duration_since(Instant::now())
            .as_secs_f64()
            .ceil() as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_refuse_nonsense() {
        let mut l = Limits::default();
        l.set("POST /v1/scores=100/5").unwrap();
        assert_eq!(
            l.routes["POST /v1/scores"],
            Some(Rate {
                per_second: NonZeroU32::new(100).unwrap(),
                burst: NonZeroU32::new(5).unwrap()
            })
        );
        l.set("default=off").unwrap();
        assert_eq!(l.default, None);
        for bad in [
            "scores=10",
            "default=0",
            "default=x",
            "default",
            "auth_failures=1/0",
        ] {
            assert!(l.set(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_burst_then_refusal_with_a_wait() {
        let mut l = Limits::off();
        l.set("GET /v1/me=1/3").unwrap();
        let t = Throttle::new(&l);
        for _ in 0..3 {
            t.request("bank_01", "GET /v1/me").unwrap();
        }
        let e = t.request("bank_01", "GET /v1/me").unwrap_err();
        assert_eq!(e.status().as_u16(), 429);
        // Another institution has its own budget; an unnamed route has none here.
        t.request("bank_02", "GET /v1/me").unwrap();
        for _ in 0..100 {
            t.request("bank_01", "GET /v1/queries").unwrap();
        }
    }

    #[test]
    fn failed_authentications_block_the_address() {
        let mut l = Limits::off();
        l.set("auth_failures=1/2").unwrap();
        let t = Throttle::new(&l);
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        t.failed(ip);
        t.failed(ip);
        assert!(t.check_address(ip).is_ok());
        t.failed(ip);
        assert_eq!(t.check_address(ip).unwrap_err().status().as_u16(), 429);
        assert!(t.check_address("10.0.0.8".parse().unwrap()).is_ok());
    }
}
