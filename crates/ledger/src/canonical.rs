//! Canonical JSON, so that anyone can recompute an entry's hash from its fields.
//!
//! The rules are those of RFC 8785 (JCS) for the values entries hold: object keys sorted
//! by code point, no insignificant whitespace, strings escaped as JSON requires (`serde_json`
//! escaping, which agrees with JCS for these values), integral numbers without a fraction,
//! other numbers in shortest round-trip form.

use std::cmp::Ordering;
use std::io::Write as _;

use serde_json::Value;

/// The canonical text of `value`.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out);
    // Only JSON text, itself UTF-8, was written.
    String::from_utf8(out).expect("canonical JSON is UTF-8")
}

/// JCS orders keys by UTF-16 code units; for ASCII keys (all that entries use) that is byte
/// order, compared without decoding.
fn key_order(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// A JSON string, escaped as `serde_json` escapes it, straight into the output.
fn string(s: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, s).expect("writing to memory");
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::String(s) => string(s, out),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                write!(out, "{}", f as i64).expect("writing to memory");
            }
            _ => serde_json::to_writer(&mut *out, n).expect("writing to memory"),
        },
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| key_order(a.0, b.0));
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(key, out);
                out.push(b':');
                write(value, out);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_whitespace_dropped() {
        let v = json!({"b": 1, "a": {"z": [1.5, 2.0, "x"], "y": null}, "c": "中文"});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"y":null,"z":[1.5,2,"x"]},"b":1,"c":"中文"}"#
        );
    }

    #[test]
    fn strings_are_escaped_and_non_ascii_keys_ordered_by_utf16() {
        // U+FF21 (one UTF-16 unit, 0xFF21) sorts after U+1F600 (surrogates 0xD83D…) in JCS,
        // though its code point is smaller.
        let v =
            json!({"\u{FF21}": 1, "\u{1F600}": 2, "a\"b\n": "tab\tNUL\u{0}", "n": -7, "f": 1e-7});
        assert_eq!(
            canonical_json(&v),
            "{\"a\\\"b\\n\":\"tab\\tNUL\\u0000\",\"f\":1e-7,\"n\":-7,\"\u{1F600}\":2,\"\u{FF21}\":1}"
        );
    }
}
