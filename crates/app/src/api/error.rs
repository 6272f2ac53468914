//! Errors as they cross to the UI and API clients: `{code, message}`, never a
//! bare string, never a payload or a secret.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// Stable, machine-readable: `not_found`, `bad_request`, `unauthorized`,
    /// `forbidden`, `storage`, `internal`.
    pub code: String,
    /// For a person: what went wrong and, where it can, what to do.
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("not_found", message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new("bad_request", message)
    }
    /// The HTTP status that fits the code.
    pub fn http_status(&self) -> u16 {
        match self.code.as_str() {
            "not_found" => 404,
            "bad_request" => 400,
            "unauthorized" => 401,
            "forbidden" => 403,
            _ => 500,
        }
    }
}

/// Parses a request's JSON into `T`; the error names where it failed (the
/// field path, and line and column for text), never the value found there:
/// serde would quote it (`invalid type: integer `987…``), and the value may
/// be a secret on its way to the keychain.
pub fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    let position = |e: &serde_json::Error| {
        if e.line() > 0 {
            format!(" (line {} column {})", e.line(), e.column())
        } else {
            String::new()
        }
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        ApiError::bad_request(format!(
            "{what}: {}{}{}",
            without_values(&e.inner().to_string()),
            at(e.path()),
            position(e.inner())
        ))
    })?;
    de.end().map_err(|e| {
        ApiError::bad_request(format!(
            "{what}: {}{}",
            without_values(&e.to_string()),
            position(&e)
        ))
    })?;
    Ok(value)
}

/// [`from_json`] for a value already parsed (a transport's JSON).
pub fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    what: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        ApiError::bad_request(format!(
            "{what}: {}{}",
            without_values(&e.inner().to_string()),
            at(e.path())
        ))
    })
}

/// ` at a.b[2]`, or nothing where the path is not known (inside a tagged
/// enum serde buffers the content and the path is lost).
fn at(path: &serde_path_to_error::Path) -> String {
    let p = path.to_string();
    if p == "." {
        String::new()
    } else {
        format!(" at {p}")
    }
}

/// A serde error message with the input it quotes taken out: what kind of
/// problem, and what was expected (which comes from the type, not the input).
fn without_values(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message).trim();
    if message.starts_with("missing field") || message.starts_with("invalid length") {
        return message.to_string();
    }
    let kind = message
        .split([':', '`', '"'])
        .next()
        .unwrap_or_default()
        .trim();
    let kind = if kind.is_empty() {
        "invalid value"
    } else {
        kind
    };
    match message.rsplit_once(", expected ") {
        Some((_, expected)) => format!("{kind}, expected {expected}"),
        None => kind.to_string(),
    }
}

impl From<causeway_store::StoreError> for ApiError {
    fn from(e: causeway_store::StoreError) -> Self {
        tracing::error!(error = %e, "storage error");
        ApiError::new("storage", e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use causeway_core::Sensitive;
    use std::collections::BTreeMap;

    #[derive(Debug, serde::Deserialize)]
    struct Form {
        #[allow(dead_code)]
        secrets: BTreeMap<String, Sensitive<String>>,
    }

    #[test]
    fn parse_errors_say_where_never_what() {
        let body = br#"{"secrets": {"webhookSecret": 987654321987}}"#;
        let e = from_json::<Form>(body, "not an instance").unwrap_err();
        assert!(!e.message.contains("987654321987"), "{e:?}");
        assert!(e.message.contains("secrets.webhookSecret"), "{e:?}");
        assert!(e.message.contains("expected a string"), "{e:?}");
        let e = from_value::<Form>(
            serde_json::json!({"secrets": {"token": ["hunter2-secret"]}}),
            "not a command",
        )
        .unwrap_err();
        assert!(!e.message.contains("hunter2"), "{e:?}");
        assert!(e.message.contains("secrets.token"), "{e:?}");
        let e = from_json::<Form>(br#"{"secrets": {"a": "b"}} zzz9"#, "x").unwrap_err();
        assert!(!e.message.contains("zzz9"), "{e:?}");
        assert_eq!(
            without_values("missing field `name`"),
            "missing field `name`"
        );
        assert_eq!(
            without_values("unknown variant `s3cret`, expected `a` or `b`"),
            "unknown variant, expected `a` or `b`"
        );
    }
}
