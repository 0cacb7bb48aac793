//! Canonical JSON, so that anyone can recompute an entry's hash from its fields.
//!
//! The rules are those of RFC 8785 (JCS) for the values entries hold: object keys sorted
//! by code point, no insignificant whitespace, strings escaped as JSON requires (`serde_json`
//! escaping, which agrees with JCS for these values), integral numbers without a fraction,
//! other numbers in shortest round-trip form.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::Value;

mod writer;

pub use writer::CanonicalError;

/// The canonical text of `value`.
pub fn canonical_json(value: &Value) -> String {
    canonical_json_of(value).expect("a JSON value has canonical JSON")
}

/// The canonical text of any serialisable value: the same text as [`canonical_json`] gives
/// for its `serde_json::Value`, written without building that value (an answer's hash is
/// taken on its typed form). Fails only where `serde_json::to_value` would: a map key that is
/// neither a string nor a number, or the value's own serialisation error.
pub fn canonical_json_of<T: Serialize + ?Sized>(value: &T) -> Result<String, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    value.serialize(&mut writer::Writer::new(&mut out))?;
    // Only JSON text, itself UTF-8, was written.
    Ok(String::from_utf8(out).expect("canonical JSON is UTF-8"))
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// The canonical form written the plain way, over a `Value`: what the typed writer must
    /// agree with.
    fn reference(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| key_order(a.0, b.0));
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push(':');
                    reference(v, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    reference(v, out);
                }
                out.push(']');
            }
            Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                    out.push_str(&(f as i64).to_string())
                }
                _ => out.push_str(&serde_json::to_string(n).unwrap()),
            },
            other => out.push_str(&other.to_string()),
        }
    }

    fn by_reference(value: &Value) -> String {
        let mut out = String::new();
        reference(value, &mut out);
        out
    }

    /// The typed writer's text equals the reference's on the value's `serde_json::Value`.
    fn agrees<T: Serialize>(typed: &T) -> String {
        let text = canonical_json_of(typed).unwrap();
        assert_eq!(text, by_reference(&serde_json::to_value(typed).unwrap()));
        text
    }

    #[derive(Serialize)]
    enum Kind {
        Plain,
        Wrapped(u8),
        Pair(i32, String),
        Shaped { zeta: bool, alpha: Option<f32> },
    }

    #[derive(Serialize)]
    struct Inner {
        z: f64,
        a: Vec<Kind>,
    }

    #[derive(Serialize)]
    struct Outer<'a> {
        zulu: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        none: Option<u8>,
        alpha: Inner,
        #[serde(flatten)]
        flat: BTreeMap<String, i64>,
        counts: HashMap<u32, &'a str>,
        big: u64,
        raw: Box<serde_json::value::RawValue>,
        mid: Value,
    }

    #[test]
    fn typed_values_are_written_as_their_json_value_would_be() {
        let text = agrees(&Outer {
            zulu: "中文\"\n",
            skipped: None,
            none: None,
            alpha: Inner {
                z: -0.0,
                a: vec![
                    Kind::Plain,
                    Kind::Wrapped(7),
                    Kind::Pair(-3, "x".into()),
                    Kind::Shaped {
                        zeta: true,
                        alpha: Some(0.1),
                    },
                ],
            },
            flat: BTreeMap::from([("beta".into(), 2), ("yankee".into(), -1)]),
            counts: HashMap::from([(10, "ten"), (9, "nine")]),
            big: u64::MAX,
            raw: serde_json::value::to_raw_value(&json!({"b": [1.0, 2.5], "a": null})).unwrap(),
            mid: json!({"\u{FF21}": 1, "\u{1F600}": f64::NAN}),
        });
        assert!(text.starts_with(r#"{"alpha":{"a":["Plain",{"Wrapped":7},{"Pair":[-3,"x"]},{"Shaped":{"alpha":0.10000000149011612,"zeta":true}}],"z":0},"beta":2,"big":18446744073709551615,"counts":{"10":"ten","9":"nine"},"mid":{"😀":null,"Ａ":1},"none":null,"raw":{"a":null,"b":[1,2.5]},"#), "{text}");
    }

    #[test]
    fn integers_beyond_64_bits_are_refused_as_serde_json_refuses_them() {
        assert_eq!(
            canonical_json_of(&(u64::MAX as u128)).unwrap(),
            u64::MAX.to_string()
        );
        assert_eq!(
            canonical_json_of(&(i64::MIN as i128)).unwrap(),
            i64::MIN.to_string()
        );
        assert!(canonical_json_of(&(u64::MAX as u128 + 1)).is_err());
        assert!(serde_json::to_value(u64::MAX as u128 + 1).is_err());
    }

    #[test]
    fn a_map_keyed_by_a_non_scalar_is_refused() {
        let bad = BTreeMap::from([((1, 2), "pair")]);
        assert!(canonical_json_of(&bad).is_err());
        assert!(serde_json::to_value(&bad).is_err());
    }

    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e20f64..1e20).prop_map(Value::from),
            (-1e6f64..1e6).prop_map(|f| Value::from(f.round())),
            "\\PC{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(
                    "[a-c\u{e9}\u{4e2d}\u{1F600}\u{FF21}]{0,3}",
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_value_is_written_as_the_reference_writes_it(v in any_value()) {
            prop_assert_eq!(canonical_json(&v), by_reference(&v));
        }

        #[test]
        fn members_out_of_order_are_put_in_order(
            pairs in prop::collection::vec(("[a-e]{1,2}", any::<i32>()), 0..12)
        ) {
            // A vector of pairs serialised as a map keeps their order (and repeats): the
            // writer must sort them and keep the last of equal keys, as a `Value` would.
            struct Pairs<'a>(&'a [(String, i32)]);
            impl Serialize for Pairs<'_> {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    use serde::ser::SerializeMap as _;
                    let mut m = s.serialize_map(Some(self.0.len()))?;
                    for (k, v) in self.0 {
                        m.serialize_entry(k, v)?;
                    }
                    m.end()
                }
            }
            let want: BTreeMap<&String, &i32> = pairs.iter().map(|(k, v)| (k, v)).collect();
            prop_assert_eq!(
                canonical_json_of(&Pairs(&pairs)).unwrap(),
                serde_json::to_string(&want).unwrap()
            );
        }
    }

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
