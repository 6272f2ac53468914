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

impl From<causeway_store::StoreError> for ApiError {
    fn from(e: causeway_store::StoreError) -> Self {
        tracing::error!(error = %e, "storage error");
        ApiError::new("storage", e.to_string())
    }
}
