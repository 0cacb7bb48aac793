//! A JSON body extractor whose rejections are [`ApiError`]s naming the bad field.
//!
//! - not JSON, or an unknown, missing or mistyped field: 400 `bad_json`;
//! - a value its type refuses (a USCC that fails its check, an unknown purpose, a past date,
//!   any string holding a NUL character): 422 `invalid`, with the field's path;
//! - too large: 413 `too_large`; not declared as JSON: 415 `unsupported_media_type`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body of type `T` (unknown fields refused where `T` says so).
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime_type::Essence>().ok())
            .is_some_and(|m| m.is_json());
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| body_rejection(r.status(), r.body_text()))?;
        parse(&bytes).map(Body)
    }
}

/// A body that could not be read: too large, or cut off.
pub fn body_rejection(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "too_large",
            format!("the body is larger than this route accepts ({text})"),
        )
    } else {
        ApiError::bad_json(None, format!("the body could not be read: {text}"))
    }
}

/// Parses a JSON body into `T`, classifying every failure.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(path) = nul_in(bytes) {
        return Err(ApiError::field(
            &path,
            "text must not contain the NUL character (U+0000)",
        ));
    }
    // Every body of this API is an object; serde would also take its fields as an array.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_json(None, "the body must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(classify)?;
    de.end()
        .map_err(|e| ApiError::bad_json(None, format!("not JSON: {e}")))?;
    Ok(value)
}

fn classify(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let message = inner.to_string();
    if !inner.is_data() {
        return ApiError::bad_json(None, format!("not JSON: {message}"));
    }
    let named = |marker: &str| {
        message
            .split(marker)
            .nth(1)
            .and_then(|t| t.split('`').next())
            .map(str::to_string)
    };
    // Unknown and missing fields are named by the message; serde's path stops at the parent.
    if let Some(field) = named("unknown field `").or_else(|| named("missing field `")) {
        return ApiError::bad_json(Some(field.clone()), format!("{field}: {message}"));
    }
    let field = if path == "." { None } else { Some(path) };
    if message.starts_with("invalid type") || message.starts_with("invalid length") {
        let prefix = field
            .as_deref()
            .map(|f| format!("{f}: "))
            .unwrap_or_default();
        return ApiError::bad_json(field, format!("{prefix}{message}"));
    }
    match field {
        Some(f) => ApiError::field(&f, strip_position(&message)),
        None => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            strip_position(&message),
        ),
    }
}

/// serde_json appends " at line L column C" to data errors; the field's name says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// The path of the first string (or key) holding a NUL, if any. JSON can carry a NUL only as
/// the escape `\u0000`, so bodies without that escape are not walked at all.
fn nul_in(bytes: &[u8]) -> Option<String> {
    let escaped = bytes
        .windows(6)
        .any(|w| w[0] == b'\\' && w[1..].eq_ignore_ascii_case(b"u0000"));
    if !escaped {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    fn walk(v: &serde_json::Value, path: &mut Vec<String>) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                path.push(i.to_string());
                let found = walk(item, path);
                if !found {
                    path.pop();
                }
                found
            }),
            serde_json::Value::Object(map) => map.iter().any(|(k, item)| {
                path.push(k.escape_debug().to_string());
                let found = k.contains('\0') || walk(item, path);
                if !found {
                    path.pop();
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = Vec::new();
    walk(&value, &mut path).then(|| {
        if path.is_empty() {
            ".".to_string()
        } else {
            path.join(".")
        }
    })
}

/// Just enough of a media type to tell JSON from the rest, without another dependency.
mod mime_type {
    /// `type/subtype` of a Content-Type value, parameters dropped.
    pub struct Essence(String);

    impl std::str::FromStr for Essence {
        type Err = ();
        fn from_str(s: &str) -> Result<Essence, ()> {
            let essence = s.split(';').next().unwrap_or_default().trim();
            if essence.contains('/') {
                Ok(Essence(essence.to_ascii_lowercase()))
            } else {
                Err(())
            }
        }
    }

    impl Essence {
        /// `application/json` or any `application/…+json`.
        pub fn is_json(&self) -> bool {
            self.0 == "application/json"
                || (self.0.starts_with("application/") && self.0.ends_with("+json"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Req {
        enterprise: xinrong_core::Uscc,
        purpose: xinrong_core::Purpose,
        #[serde(default)]
        note: Option<String>,
    }

    fn err(body: &str) -> (u16, String, Option<String>) {
        let e = parse::<Req>(body.as_bytes()).unwrap_err();
        let v: serde_json::Value = serde_json::from_slice(&e.to_json()).unwrap();
        (
            e.status().as_u16(),
            v["error"]["code"].as_str().unwrap().to_string(),
            v["error"]["field"].as_str().map(str::to_string),
        )
    }

    #[test]
    fn every_failure_is_classified_and_names_its_field() {
        let ok = r#"{"enterprise":"91350100M000100Y43","purpose":"pre_loan"}"#;
        assert!(parse::<Req>(ok.as_bytes()).is_ok());
        let cases = [
            ("{not json", (400, "bad_json", None)),
            (
                r#"{"enterprise":"91350100M000100Y43","purpose":"pre_loan"} x"#,
                (400, "bad_json", None),
            ),
            (
                r#"{"purpose":"pre_loan"}"#,
                (400, "bad_json", Some("enterprise")),
            ),
            (
                r#"{"enterprise":"91350100M000100Y43","purpose":"pre_loan","x":1}"#,
                (400, "bad_json", Some("x")),
            ),
            (
                r#"{"enterprise":5,"purpose":"pre_loan"}"#,
                (400, "bad_json", Some("enterprise")),
            ),
            (
                r#"{"enterprise":"91350100M000100Y44","purpose":"pre_loan"}"#,
                (422, "invalid", Some("enterprise")),
            ),
            (
                r#"{"enterprise":"91350100M000100Y43","purpose":"fun"}"#,
                (422, "invalid", Some("purpose")),
            ),
            (
                r#"{"enterprise":"91350100M000100Y43","purpose":"pre_loan","note":"a\u0000b"}"#,
                (422, "invalid", Some("note")),
            ),
        ];
        for (body, (status, code, field)) in cases {
            assert_eq!(
                err(body),
                (status, code.to_string(), field.map(str::to_string)),
                "{body}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        /// Any body is a request or a 400/422 answer; never a panic.
        #[test]
        fn any_body_is_a_request_or_a_client_error(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            if let Err(e) = parse::<Req>(&body) {
                proptest::prop_assert!(matches!(e.status().as_u16(), 400 | 422));
            }
        }

        /// Bodies that are almost right, with a NUL or a wrong value anywhere.
        #[test]
        fn near_miss_bodies_are_classified(
            enterprise in "[0-9A-Z\\u{0}]{0,20}",
            purpose in "(pre_loan|in_loan|fun|)",
            note in proptest::option::of(".{0,10}"),
        ) {
            let body = serde_json::json!({"enterprise": enterprise, "purpose": purpose, "note": note});
            if let Err(e) = parse::<Req>(body.to_string().as_bytes()) {
                proptest::prop_assert!(matches!(e.status().as_u16(), 400 | 422));
            }
        }
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_not_a_nul() {
        let body = r#"{"enterprise":"91350100M000100Y43","purpose":"pre_loan","note":"C:\\u0000"}"#;
        assert!(parse::<Req>(body.as_bytes()).is_ok());
    }
}
