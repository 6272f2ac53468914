//! Prometheus, pulled: its firing alerts (`/api/v1/alerts`) and alerting
//! rules (`/api/v1/rules`) become signals — a rule that fails to evaluate is
//! a signal too — and range queries (`/api/v1/query_range`) collect
//! evidence over an incident's window.
//!
//! Alerts are committed in Alertmanager's webhook shape (see
//! [`crate::sources::alertmanager::pull`]), so one normalizer reads both, with
//! source type `PROMETHEUS`.

mod evidence;
mod pull;

pub use evidence::{collect_evidence, Evidence};
pub use pull::{rule_list, PrometheusPoller};

use crate::runtime::{Context, NormalizeError, Normalizer};
use crate::sources::alertmanager::normalize_as;
use causeway_core::Signal;
use serde_json::Value;

pub const ID: &str = "prometheus";

/// The normalizer for committed Prometheus payloads.
pub struct Prometheus;

impl Normalizer for Prometheus {
    fn id(&self) -> &str {
        ID
    }

    fn item_count(&self, body: &Value) -> usize {
        body["alerts"].as_array().map_or(0, Vec::len)
    }

    fn normalize(&self, body: &Value, ctx: &Context<'_>) -> Result<Vec<Signal>, NormalizeError> {
        normalize_as(body, ctx, ID, "PROMETHEUS")
    }
}
