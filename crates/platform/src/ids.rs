//! Identifiers and clocks.

use rand::RngCore as _;

/// A fresh identifier: `prefix` and 16 random hex digits (64 bits), unguessable so that
/// an id reveals nothing about how many records exist.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// A fresh identifier that sorts by creation time: `prefix`, 12 hex digits of milliseconds
/// and 16 random hex digits. Records keyed by it are appended at the end of the primary-key
/// index instead of splitting pages all over it, which keeps high-rate inserts cheap.
pub fn new_time_ordered_id(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_{:012x}{}", now_ms().max(0), hex::encode(bytes))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Today's date (UTC).
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// RFC 3339 text of a millisecond time.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
