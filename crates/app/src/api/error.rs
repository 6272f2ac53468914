//! Errors as they cross to the UI and API clients: `{code, message}`, never a
//! bare string, never a payload or a secret.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every error code Causeway answers with, once. The HTTP API's list of
/// codes (docs/http-api.md, "Error codes") is generated from this enum, and
/// a test fails when the two drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    UnsupportedMediaType,
    BodyRejected,
    RateLimited,
    Locked,
    TeamPending,
    Kubeconfig,
    Keychain,
    KeychainUnavailable,
    Storage,
    Internal,
}

impl Code {
    pub const ALL: [Code; 15] = [
        Code::BadRequest,
        Code::Unauthorized,
        Code::Forbidden,
        Code::NotFound,
        Code::Conflict,
        Code::UnsupportedMediaType,
        Code::BodyRejected,
        Code::RateLimited,
        Code::Locked,
        Code::TeamPending,
        Code::Kubeconfig,
        Code::Keychain,
        Code::KeychainUnavailable,
        Code::Storage,
        Code::Internal,
    ];

    /// As it appears in `{"code": …}`.
    pub fn as_str(self) -> &'static str {
        self.text().0
    }

    /// What it means, for the documentation.
    pub fn meaning(self) -> &'static str {
        self.text().1
    }

    fn text(self) -> (&'static str, &'static str) {
        match self {
            Code::BadRequest => ("bad_request", "the request is malformed or asks for something that makes no sense; the message says what and where"),
            Code::Unauthorized => ("unauthorized", "no session or token, or an unknown or revoked one"),
            Code::Forbidden => ("forbidden", "the caller may not do this (a token's scope, a request from a web page, a Host the server does not answer to)"),
            Code::NotFound => ("not_found", "no such incident, signal, instance or dead letter; for a webhook, no enabled connector instance at that URL"),
            Code::Conflict => ("conflict", "it clashes with what exists: an id already taken, or a project that cannot go (`default`)"),
            Code::UnsupportedMediaType => ("unsupported_media_type", "the body is not `application/json`"),
            Code::BodyRejected => ("body_rejected", "the body is over the size limit, arrived too slowly, or could not be read"),
            Code::RateLimited => ("rate_limited", "over a rate limit; `Retry-After` says when to try again"),
            Code::Locked => ("locked", "another Causeway already uses this data folder"),
            Code::TeamPending => ("team_pending", "the team log did not answer in time; the change is kept and applies once it is on the log"),
            Code::Kubeconfig => ("kubeconfig", "the kubeconfig cannot be read or has no such context"),
            Code::Keychain => ("keychain", "the OS keychain refused to store or read a secret"),
            Code::KeychainUnavailable => ("keychain_unavailable", "no OS keychain answers (no Secret Service on this session)"),
            Code::Storage => ("storage", "the database or a file could not be read or written"),
            Code::Internal => ("internal", "something that should not happen did; the message and the log say what"),
        }
    }

    /// The HTTP status that fits it, where the caller does not choose one.
    pub fn http_status(self) -> u16 {
        match self {
            Code::NotFound => 404,
            Code::Conflict => 409,
            Code::BadRequest | Code::BodyRejected => 400,
            Code::Unauthorized => 401,
            Code::Forbidden => 403,
            Code::UnsupportedMediaType => 415,
            Code::RateLimited => 429,
            Code::Locked
            | Code::TeamPending
            | Code::Kubeconfig
            | Code::Keychain
            | Code::KeychainUnavailable
            | Code::Storage
            | Code::Internal => 500,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// Stable and machine-readable.
    pub code: Code,
    /// For a person: what went wrong and, where it can, what to do.
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Code::BadRequest, message)
    }
    /// The HTTP status that fits the code.
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
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
        ApiError::new(Code::Storage, e.to_string())
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
