//! Incidents and the links that say why each signal belongs to one.

use crate::entity::Entity;
use crate::signal::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Life of an incident. The engine moves it building → active → resolved;
/// people set acknowledged and investigating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Opened by a single signal; more may join before it is confirmed.
    #[default]
    Building,
    /// Confirmed: several signals, or one critical.
    Active,
    Acknowledged,
    Investigating,
    Resolved,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Building => "building",
            IncidentStatus::Active => "active",
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Building,
            Self::Active,
            Self::Acknowledged,
            Self::Investigating,
            Self::Resolved,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
    pub fn is_open(self) -> bool {
        self != IncidentStatus::Resolved
    }
}

/// Which strategy tied a signal to its incident, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LinkStrategy {
    /// Same correlation key or fingerprint.
    Key,
    /// Same trace id.
    Trace,
    /// Same entity or owner chain.
    Resource,
    /// A path in the topology graph.
    Topology,
    /// Close in time and text.
    Temporal,
    /// An auto-incident rule opened the incident with this signal.
    Rule,
    /// A person put it there.
    Manual,
}

impl LinkStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStrategy::Key => "key",
            LinkStrategy::Trace => "trace",
            LinkStrategy::Resource => "resource",
            LinkStrategy::Topology => "topology",
            LinkStrategy::Temporal => "temporal",
            LinkStrategy::Rule => "rule",
            LinkStrategy::Manual => "manual",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Key,
            Self::Trace,
            Self::Resource,
            Self::Topology,
            Self::Temporal,
            Self::Rule,
            Self::Manual,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// Coarse confidence band shown next to the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    /// Bands: ≥ 0.8 high, ≥ 0.5 medium, else low.
    pub fn from_score(score: f64) -> Self {
        if score >= 0.8 {
            Confidence::High
        } else if score >= 0.5 {
            Confidence::Medium
        } else {
            Confidence::Low
        }
    }
}

/// Why a signal belongs to an incident. Every decision is recorded and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CorrelationLink {
    pub incident_id: String,
    pub signal_id: String,
    pub strategy: LinkStrategy,
    pub confidence: Confidence,
    /// 0.0..=1.0
    pub score: f64,
    /// A sentence a person can read: "same Deployment shop/cart via Pod cart-7d9f-x".
    pub explanation: String,
    pub decided_at: DateTime<Utc>,
}

/// The engine's best guess at what broke, with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RootCause {
    pub entity: Entity,
    pub confidence: f64,
    pub explanation: String,
}

/// A group of signals that share one cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub id: String,
    pub project: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub runbook: Option<String>,
    /// A pattern name from the library (`cascading_failure`...), when one fits.
    pub pattern: Option<String>,
    pub root_cause: Option<RootCause>,
    pub impacted: Vec<Entity>,
    /// The grouping key that opened it (a workload entity or a fingerprint).
    pub group_key: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}
