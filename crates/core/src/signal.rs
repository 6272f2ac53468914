//! The Signal: one normalized observation from any source.
//!
//! Every connector maps its payloads into this one shape, so correlation, the
//! store and the UI never need to know where a signal came from.

use crate::entity::Entity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// How bad it is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Maps the words sources use (Alertmanager's `severity` label, PagerDuty's
    /// urgency, Datadog's priority...) onto the five levels. Unknown words are
    /// `None` so the caller can decide the default and say so.
    pub fn from_word(word: &str) -> Option<Severity> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" | "fatal" | "emergency" | "page" | "disaster" | "p1" | "sev1" => {
                Severity::Critical
            }
            "high" | "error" | "err" | "major" | "p2" | "sev2" => Severity::High,
            "warning" | "warn" | "medium" | "average" | "p3" | "sev3" => Severity::Medium,
            "low" | "minor" | "p4" | "sev4" => Severity::Low,
            "info" | "informational" | "none" | "notice" | "debug" | "ok" | "p5" | "sev5" => {
                Severity::Info
            }
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        [
            Self::Info,
            Self::Low,
            Self::Medium,
            Self::High,
            Self::Critical,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// Whether the observed condition holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum SignalStatus {
    #[default]
    Firing,
    Resolved,
    /// A point-in-time event with no firing/resolved life (a deploy, a k8s event).
    Info,
}

impl SignalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SignalStatus::Firing => "firing",
            SignalStatus::Resolved => "resolved",
            SignalStatus::Info => "info",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Firing, Self::Resolved, Self::Info]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// What sort of observation it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    #[default]
    Alert,
    Metric,
    Log,
    Trace,
    Event,
    /// A deploy, rollout, config change: a candidate cause.
    Change,
}

impl SignalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::Alert => "alert",
            SignalKind::Metric => "metric",
            SignalKind::Log => "log",
            SignalKind::Trace => "trace",
            SignalKind::Event => "event",
            SignalKind::Change => "change",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Alert,
            Self::Metric,
            Self::Log,
            Self::Trace,
            Self::Event,
            Self::Change,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One normalized observation.
///
/// `id` is derived from (project, source, fingerprint, start), so a repeated
/// notification of the same alert maps to the same signal and dedupes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Signal {
    pub id: String,
    pub project: String,
    /// The connector instance it came through.
    pub connector_instance: String,
    /// Source type, upper snake case: `ALERTMANAGER`, `GRAFANA_ALERT`, `K8S_EVENT`...
    pub source_type: String,
    /// The provider's own id for the item, when it has one.
    pub external_id: Option<String>,
    /// The provider's stable reference (the ingest API's `sourceRef`).
    pub source_ref: Option<String>,
    pub kind: SignalKind,
    pub status: SignalStatus,
    pub severity: Severity,
    pub title: String,
    pub description: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub region: Option<String>,
    pub team: Option<String>,
    pub entity: Option<Entity>,
    /// Always set: the provider's grouping key, else a derived fingerprint.
    pub correlation_key: String,
    /// Identity of the alert across notifications (dedupe).
    pub fingerprint: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub request_id: Option<String>,
    /// Labels and tags as the source gave them (sorted, so output is stable).
    pub tags: BTreeMap<String, String>,
    /// When the condition began (Alertmanager's `startsAt`).
    pub occurred_at: DateTime<Utc>,
    /// When Causeway received it; in a replay, the line's `at`.
    pub received_at: DateTime<Utc>,
    /// When the condition ended, for a resolved signal.
    pub ended_at: Option<DateTime<Utc>>,
    pub external_url: Option<String>,
    /// The raw inbox row it was normalized from (`inbox:42`), or a replay line.
    pub raw_ref: Option<String>,
}

impl Signal {
    /// The time the engine reasons with: the later of onset and receipt for a
    /// resolve (the moment it was known to end), else the onset.
    pub fn event_time(&self) -> DateTime<Utc> {
        match self.status {
            SignalStatus::Resolved => self.ended_at.unwrap_or(self.received_at),
            _ => self.occurred_at,
        }
    }
}

/// A firing high-severity Alertmanager alert for the engine's tests, so each
/// test sets only the fields its scenario is about.
#[cfg(test)]
pub(crate) fn test_alert(
    id: String,
    fingerprint: &str,
    entity: Option<&str>,
    title: &str,
    at: DateTime<Utc>,
) -> Signal {
    Signal {
        id,
        project: "default".into(),
        connector_instance: "alertmanager".into(),
        source_type: "ALERTMANAGER".into(),
        external_id: None,
        source_ref: None,
        kind: SignalKind::Alert,
        status: SignalStatus::Firing,
        severity: Severity::High,
        title: title.into(),
        description: None,
        service: None,
        environment: None,
        region: None,
        team: None,
        entity: entity.map(|e| Entity::parse(e).expect("a test entity parses")),
        correlation_key: fingerprint.into(),
        fingerprint: fingerprint.into(),
        trace_id: None,
        span_id: None,
        request_id: None,
        tags: Default::default(),
        occurred_at: at,
        received_at: at,
        ended_at: None,
        external_url: None,
        raw_ref: None,
    }
}
