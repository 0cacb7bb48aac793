//! One cell checked against its field: the source schema's types are the validation, and a
//! refusal says why in words a data provider can act on.

use arrow_schema::DataType;
use chrono::{Datelike, NaiveDate};
use xinrong_core::Uscc;

use crate::schema::{Field, Kind};

/// A parsed, valid cell, borrowing text from the input row.
pub(crate) enum Value<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Real(f64),
    Date(i32),
}

const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// `YYYY-MM-DD` (or with slashes) without a general-purpose date parser: ingest reads
/// millions of dates.
fn parse_date(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    if b.len() != 10 || b[7] != b[4] {
        return None;
    }
    NaiveDate::from_ymd_opt(
        parse_month(&raw[..7])?.year(),
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )
}

/// `YYYY-MM` (or with a slash) as the first day of the month.
fn parse_month(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    if b.len() != 7 || !matches!(b[4], b'-' | b'/') {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(&b[..4])? as i32, digits(&b[5..7])?, 1)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn days(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

fn valid_uscc(raw: &str) -> Result<(), String> {
    if raw.len() == 18
        && Uscc::check_char(&raw[..17]).is_some_and(|c| raw.as_bytes()[17] == c as u8)
    {
        return Ok(());
    }
    raw.parse::<Uscc>()
        .map(|_| ())
        .map_err(|e| e.to_string())
        .and_then(|()| Err(format!("{raw:?} must be written in capitals")))
}

/// Validates one cell against its field.
pub(crate) fn parse<'a>(field: &Field, raw: &'a str) -> Result<Value<'a>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return if field.required {
            Err("required, but empty".into())
        } else {
            Ok(Value::Null)
        };
    }
    match field.kind {
        Kind::Uscc => valid_uscc(raw).map(|()| Value::Text(raw)),
        Kind::Text => Ok(Value::Text(raw)),
        Kind::Date => parse_date(raw)
            .map(|d| Value::Date(days(d)))
            .ok_or_else(|| format!("{raw:?} is not a date (YYYY-MM-DD)")),
        Kind::Month => parse_month(raw)
            .map(|d| Value::Date(days(d)))
            .ok_or_else(|| format!("{raw:?} is not a month (YYYY-MM)")),
        Kind::Int(lo, hi) => match raw.parse::<i64>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(Value::Int(v)),
            Ok(v) => Err(format!("{v} is outside {lo}..{hi}")),
            Err(_) => Err(format!("{raw:?} is not a whole number")),
        },
        Kind::Decimal(lo, hi) => {
            let parsed = if raw.contains(',') {
                raw.replace(',', "").parse::<f64>()
            } else {
                raw.parse::<f64>()
            };
            match parsed {
                Ok(v) if v.is_finite() && v >= lo && v <= hi => Ok(Value::Real(v)),
                Ok(v) => Err(format!("{v} is outside {lo}..{hi}")),
                Err(_) => Err(format!("{raw:?} is not a number")),
            }
        }
        Kind::Code(codes) => {
            if codes.contains(&raw) {
                Ok(Value::Text(raw))
            } else {
                Err(format!("{raw:?} is not one of {}", codes.join("/")))
            }
        }
        Kind::Industry => match raw.parse::<xinrong_core::Industry>() {
            Ok(_) => Ok(Value::Text(raw)),
            Err(e) => Err(e.to_string()),
        },
        Kind::Region => {
            let b = raw.as_bytes();
            if b.len() == 6
                && b.iter().all(u8::is_ascii_digit)
                && (11..=82).contains(&raw[..2].parse::<u32>().unwrap_or(0))
            {
                Ok(Value::Text(raw))
            } else {
                Err(format!("{raw:?} is not a six-digit GB/T 2260 region code"))
            }
        }
    }
}

/// The Arrow type a field is stored as: dates and months as `Date32` (a month as its
/// first day), whole numbers as `Int64`, decimals as `Float64`, the rest as text.
pub fn arrow_type(kind: Kind) -> DataType {
    match kind {
        Kind::Date | Kind::Month => DataType::Date32,
        Kind::Int(..) => DataType::Int64,
        Kind::Decimal(..) => DataType::Float64,
        _ => DataType::Utf8,
    }
}
