//! What the UI and API clients see. These types cross to TypeScript through
//! ts-rs (`ui/src/bindings/`), and a test fails when the two drift apart.

use causeway_core::analysis::Graph;
use causeway_core::{
    CorrelationLink, Entity, IncidentStatus, LedgerEntry, RootCause, Severity, Signal,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One row of the incident list (`GET /api/incidents`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncidentSummary {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub pattern: Option<String>,
    pub root_cause: Option<RootCause>,
    pub signal_count: i64,
    pub opened_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
}

/// `GET /api/incidents/{id}`: the incident, its signals with the reason each
/// joined, a timeline, the causal graph and what the engine makes of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub summary: IncidentSummary,
    /// The first signals to join it (at most 500); `signalTotal` says how
    /// many it holds, `listIncidentSignals` pages through the rest.
    pub signals: Vec<SignalView>,
    pub signal_total: i64,
    pub timeline: Vec<TimelineEntry>,
    /// At most 300 entities; `graph.omitted` counts the rest.
    pub graph: Graph,
    /// At most 200; `impactedOmitted` counts the rest.
    pub impacted: Vec<Entity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub impacted_omitted: Option<u32>,
    /// Set when the incident is too big to analyse whole: how many of its
    /// signals (the first and the latest to join it) the analysis read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub signals_analysed: Option<u32>,
    pub insight: Option<String>,
    /// What to try first ("roll back deploy cartservice v1.4.2"), when a
    /// change on the root cause preceded the incident.
    pub suggested_action: Option<String>,
}

/// A page of an incident's signals (`ListIncidentSignals`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignalPage {
    pub incident_id: String,
    pub offset: i64,
    /// How many signals the incident holds.
    pub total: i64,
    pub signals: Vec<SignalView>,
}

/// A signal with its correlation link (or why it has none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignalView {
    #[serde(flatten)]
    pub signal: Signal,
    /// How many notifications were folded into this signal.
    pub notifications: i64,
    pub last_seen_at: String,
    pub link: Option<CorrelationLink>,
    pub unassigned_reason: Option<String>,
}

/// What happened, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub at: String,
    /// `opened`, `fired`, `resolved`, `evidence`.
    pub kind: String,
    pub signal_id: Option<String>,
    pub entity: Option<Entity>,
    pub text: String,
}

/// `GET /api/dead-letters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterView {
    pub id: i64,
    pub connector_id: String,
    pub project_id: String,
    pub received_at: String,
    pub error: String,
    /// The exact bytes received, base64.
    pub raw_base64: String,
    /// The same bytes as text (lossy, at most 4 KiB) for a quick look.
    pub preview: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncidentList {
    pub incidents: Vec<IncidentSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignalList {
    pub signals: Vec<SignalView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterList {
    pub dead_letters: Vec<DeadLetterView>,
}

/// Answer to a dead-letter re-play: the inbox row it went back into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Replayed {
    pub inbox_id: i64,
}

/// Pushed to the UI when stored data changes; the UI refetches what it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ChangeEvent {
    #[serde(rename_all = "camelCase")]
    IncidentsChanged {
        ids: Vec<String>,
    },
    SignalsChanged,
    DeadLettersChanged,
    /// Connector instances or their health changed.
    ConnectorsChanged,
    /// A project was created, renamed or deleted.
    ProjectsChanged,
}

/// An incident's decision ledger (`GetLedger`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerView {
    pub incident_id: String,
    pub entries: Vec<LedgerEntry>,
}
