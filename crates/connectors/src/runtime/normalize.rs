//! How a provider's payload becomes signals: the [`Normalizer`] every
//! connector implements, the [`Context`] it is given, and its errors.
//!
//! A webhook body is first committed raw to the inbox; normalization happens
//! afterwards, and a payload that fails it goes to dead letters with its
//! error, so nothing accepted is lost. Normalizers never panic on input.

use causeway_core::Signal;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// Where and when a payload arrived; everything a normalizer may not invent.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub project: &'a str,
    pub instance: &'a str,
    /// Arrival time (a replay line's `at`): the fallback when the payload has none.
    pub received_at: DateTime<Utc>,
    /// Reference to the raw payload (`inbox:42`, `line:7`); `#i` is appended per item.
    pub raw_ref: &'a str,
    /// Request headers, names lower-cased (some sources put the event type
    /// in a header, e.g. `x-github-event`). Empty when unknown.
    pub headers: &'a BTreeMap<String, String>,
}

/// Headers as stored with a payload (a JSON object) → the lower-cased map a
/// [`Context`] carries. Non-string values and other shapes are skipped.
pub fn headers_from_json(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Why a payload could not be normalized. Safe to show: it names fields, not values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NormalizeError {
    #[error("body is not JSON: {0}")]
    NotJson(String),
    #[error("{0}")]
    Shape(String),
    #[error("no normalizer for source '{0}' yet")]
    UnknownSource(String),
}

/// Turns one provider's payloads into signals.
pub trait Normalizer: Send + Sync {
    /// The connector id used in webhook routes and replay lines.
    fn id(&self) -> &str;
    /// How many items the payload carries (the webhook's `{"accepted": N}`).
    fn item_count(&self, body: &Value) -> usize;
    /// The same from the raw bytes, refusing a body that is not JSON. The
    /// webhook gateway answers with it before anything is normalized, so a
    /// normalizer with a hot path may count without building the document.
    fn count_items(&self, body: &[u8]) -> Result<usize, NormalizeError> {
        Ok(self.item_count(&parse_json(body)?))
    }
    /// Whether each payload is an incident in its own right (the ingest API):
    /// its signal opens an incident when nothing else claims it.
    fn declares_incidents(&self) -> bool {
        false
    }
    /// One signal per item, in payload order.
    fn normalize(&self, body: &Value, ctx: &Context<'_>) -> Result<Vec<Signal>, NormalizeError>;
    /// The same from the raw bytes: the whole path from a body to signals.
    fn normalize_bytes(
        &self,
        body: &[u8],
        ctx: &Context<'_>,
    ) -> Result<Vec<Signal>, NormalizeError> {
        self.normalize(&parse_json(body)?, ctx)
    }
}

/// Parses a body as JSON, with an error that says where it broke.
pub fn parse_json(body: &[u8]) -> Result<Value, NormalizeError> {
    serde_json::from_slice(body).map_err(|e| NormalizeError::NotJson(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::headers_from_json;
    use serde_json::json;

    #[test]
    fn stored_headers_become_lower_cased_strings() {
        let h = headers_from_json(&json!({"X-GitHub-Event": "push", "Content-Length": 12}));
        assert_eq!(h.get("x-github-event").map(String::as_str), Some("push"));
        assert_eq!(h.len(), 1, "non-string values are skipped");
        assert!(headers_from_json(&json!("nope")).is_empty());
    }
}
