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

/// What happened to an incident, in the decision ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LedgerAction {
    /// A signal opened it (with the rule that decided).
    Opened,
    /// A signal joined it (strategy and reason in the text).
    Attached,
    /// A signal that waited unassigned was pulled in when it opened.
    Adopted,
    SeverityRaised,
    /// Building → active: confirmed by a second alert or a critical one.
    Activated,
    /// Every alert resolved and the quiet period passed.
    Resolved,
    /// An alert of it fired again soon after it resolved.
    Reopened,
    /// A person moved a signal in or out.
    MovedIn,
    MovedOut,
    /// A person merged another incident into it, or it into another.
    Merged,
    /// A person split signals off it into a new incident, or this one off another.
    Split,
    /// A person set its status.
    StatusSet,
}

impl LedgerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerAction::Opened => "opened",
            LedgerAction::Attached => "attached",
            LedgerAction::Adopted => "adopted",
            LedgerAction::SeverityRaised => "severity_raised",
            LedgerAction::Activated => "activated",
            LedgerAction::Resolved => "resolved",
            LedgerAction::Reopened => "reopened",
            LedgerAction::MovedIn => "moved_in",
            LedgerAction::MovedOut => "moved_out",
            LedgerAction::Merged => "merged",
            LedgerAction::Split => "split",
            LedgerAction::StatusSet => "status_set",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Opened,
            Self::Attached,
            Self::Adopted,
            Self::SeverityRaised,
            Self::Activated,
            Self::Resolved,
            Self::Reopened,
            Self::MovedIn,
            Self::MovedOut,
            Self::Merged,
            Self::Split,
            Self::StatusSet,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One entry of an incident's decision ledger: every decision the engine or
/// a person made about it, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub incident_id: String,
    pub at: DateTime<Utc>,
    pub action: LedgerAction,
    /// The signal it is about, when there is one.
    pub signal_id: Option<String>,
    /// `engine` or `person`.
    pub actor: String,
    pub text: String,
}

impl LedgerEntry {
    pub fn engine(
        incident_id: &str,
        at: DateTime<Utc>,
        action: LedgerAction,
        signal_id: Option<&str>,
        text: String,
    ) -> Self {
        LedgerEntry {
            incident_id: incident_id.to_string(),
            at,
            action,
            signal_id: signal_id.map(str::to_string),
            actor: "engine".into(),
            text,
        }
    }

    pub fn person(
        incident_id: &str,
        at: DateTime<Utc>,
        action: LedgerAction,
        signal_id: Option<&str>,
        text: String,
    ) -> Self {
        LedgerEntry {
            actor: "person".into(),
            ..Self::engine(incident_id, at, action, signal_id, text)
        }
    }
}
