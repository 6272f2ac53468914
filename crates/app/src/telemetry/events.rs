//! Every metric Causeway exposes, by name once, and the events that move
//! them. An event's `emit` logs (fields first) and counts, so a count and
//! its log line cannot drift apart, and a metric cannot be misspelt at a
//! call site (the model is Vector's `internal_events`).

use super::{label, Metrics};
use std::time::Duration;

/// A counter of `/metrics`. `/metrics` renders every one, with no series
/// until it first counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    EventsReceived,
    EventsNormalized,
    EventsDeadLettered,
    EventsRejected,
    Signals,
    CorrelationDecisions,
    IncidentsCreated,
    Polls,
    PollItems,
}

impl Counter {
    pub const ALL: [Counter; 9] = [
        Counter::EventsReceived,
        Counter::EventsNormalized,
        Counter::EventsDeadLettered,
        Counter::EventsRejected,
        Counter::Signals,
        Counter::CorrelationDecisions,
        Counter::IncidentsCreated,
        Counter::Polls,
        Counter::PollItems,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Counter::EventsReceived => "causeway_events_received_total",
            Counter::EventsNormalized => "causeway_events_normalized_total",
            Counter::EventsDeadLettered => "causeway_events_dead_lettered_total",
            Counter::EventsRejected => "causeway_events_rejected_total",
            Counter::Signals => "causeway_signals_total",
            Counter::CorrelationDecisions => "causeway_correlation_decisions_total",
            Counter::IncidentsCreated => "causeway_incidents_created_total",
            Counter::Polls => "causeway_polls_total",
            Counter::PollItems => "causeway_poll_items_total",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Counter::EventsReceived => "Payloads committed to the inbox, per connector.",
            Counter::EventsNormalized => "Payloads normalized into signals, per connector.",
            Counter::EventsDeadLettered => "Payloads kept in dead letters, per connector.",
            Counter::EventsRejected => "Requests refused (rate limit, signature), per connector.",
            Counter::Signals => "Signals produced by normalization, per connector.",
            Counter::CorrelationDecisions => {
                "Correlation decisions, per strategy (unassigned included)."
            }
            Counter::IncidentsCreated => "Incidents opened by the engine.",
            Counter::Polls => {
                "Polls per connector instance, by outcome (ok, retry, fail, needs_reauth)."
            }
            Counter::PollItems => {
                "Items polled per connector instance: fetched, published, skipped as unchanged."
            }
        }
    }
}

/// The poll-latency summary of `/metrics`.
pub const POLL_LATENCY: (&str, &str) = (
    "causeway_poll_latency_seconds",
    "Time a poll took, per connector instance.",
);

/// A gauge of `/metrics`: read from the store or the team when `/metrics`
/// is asked, not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gauge {
    ConnectorHealth,
    ConnectorConsecutiveFailures,
    ConnectorLastSuccess,
    ConnectorSignals24h,
    ConnectorSignals7d,
    ConnectorLastPoll,
    TeamMembers,
    TeamConnected,
    TeamMemberLag,
    TeamOutboxItems,
    TeamLeaseHeld,
    TeamClockOffset,
}

impl Gauge {
    pub fn name(self) -> &'static str {
        self.text().0
    }

    pub fn help(self) -> &'static str {
        self.text().1
    }

    fn text(self) -> (&'static str, &'static str) {
        match self {
            Gauge::ConnectorHealth => (
                "causeway_connector_health",
                "1 for the state each connector instance is in.",
            ),
            Gauge::ConnectorConsecutiveFailures => (
                "causeway_connector_consecutive_failures",
                "Failed polls in a row, per instance.",
            ),
            Gauge::ConnectorLastSuccess => (
                "causeway_connector_last_success_timestamp_seconds",
                "When the instance last polled (or received) successfully.",
            ),
            Gauge::ConnectorSignals24h => (
                "causeway_connector_signals_24h",
                "Signals from the instance in the last 24 hours.",
            ),
            Gauge::ConnectorSignals7d => (
                "causeway_connector_signals_7d",
                "Signals from the instance in the last 7 days.",
            ),
            Gauge::ConnectorLastPoll => (
                "causeway_connector_last_poll_timestamp_seconds",
                "When the instance last started a poll (or a stream connected).",
            ),
            Gauge::TeamMembers => (
                "causeway_team_members",
                "Members of the team heard from recently.",
            ),
            Gauge::TeamConnected => (
                "causeway_team_connected",
                "1 while this member reaches the team's Redis.",
            ),
            Gauge::TeamMemberLag => (
                "causeway_team_member_lag_entries",
                "Team log entries each member has not applied yet.",
            ),
            Gauge::TeamOutboxItems => (
                "causeway_team_outbox_items",
                "Items each member accepted that wait for the team log.",
            ),
            Gauge::TeamLeaseHeld => (
                "causeway_team_lease_held",
                "1 for the member holding each lease.",
            ),
            Gauge::TeamClockOffset => (
                "causeway_team_clock_offset_seconds",
                "Redis's clock minus each member's.",
            ),
        }
    }
}

/// Payloads committed to the inbox (a webhook, a poll, a stream, the team
/// log, the ingest API).
pub struct PayloadsReceived<'a> {
    pub connector: &'a str,
    pub count: u64,
}

impl PayloadsReceived<'_> {
    pub fn emit(self, m: &Metrics) {
        tracing::trace!(
            connector = self.connector,
            count = self.count,
            "payloads received"
        );
        m.add(
            Counter::EventsReceived,
            &label("connector", self.connector),
            self.count,
        );
    }
}

/// A request refused before it reached the inbox. `connector` is as the
/// sender named it (a URL segment): only a known id becomes a label.
pub struct RequestRejected<'a> {
    pub connector: &'a str,
    pub reason: &'a str,
}

impl RequestRejected<'_> {
    pub fn emit(self, m: &Metrics) {
        let connector = super::connector_label(self.connector);
        tracing::debug!(%connector, reason = self.reason, "request rejected");
        m.add(Counter::EventsRejected, &connector, 1);
    }
}

/// A payload kept in dead letters with its raw bytes.
pub struct PayloadDeadLettered<'a> {
    pub connector: &'a str,
    pub inbox_id: Option<i64>,
    pub error: &'a str,
}

impl PayloadDeadLettered<'_> {
    pub fn emit(self, m: &Metrics) {
        tracing::warn!(
            connector = self.connector,
            inbox_id = self.inbox_id,
            error = self.error,
            "payload dead-lettered"
        );
        m.add(
            Counter::EventsDeadLettered,
            &label("connector", self.connector),
            1,
        );
    }
}

/// A payload normalized into `signals` signals.
pub struct PayloadNormalized<'a> {
    pub connector: &'a str,
    pub signals: usize,
}

impl PayloadNormalized<'_> {
    pub fn emit(self, m: &Metrics) {
        tracing::trace!(
            connector = self.connector,
            signals = self.signals,
            "payload normalized"
        );
        let connector = label("connector", self.connector);
        m.add(Counter::EventsNormalized, &connector, 1);
        m.add(Counter::Signals, &connector, self.signals as u64);
    }
}

/// The engine placed a signal: by `strategy`, or `unassigned`; `opened`
/// when that opened an incident.
pub struct SignalCorrelated<'a> {
    pub strategy: &'a str,
    pub opened: bool,
}

impl SignalCorrelated<'_> {
    pub fn emit(self, m: &Metrics) {
        tracing::trace!(
            strategy = self.strategy,
            opened = self.opened,
            "signal correlated"
        );
        m.add(
            Counter::CorrelationDecisions,
            &label("strategy", self.strategy),
            1,
        );
        if self.opened {
            m.add(Counter::IncidentsCreated, "", 1);
        }
    }
}

/// One poll of a connector instance ended: `outcome` is `ok` or the
/// failure's class; `items` (fetched, published, skipped) when it succeeded.
pub struct PollFinished<'a> {
    pub instance: &'a str,
    pub outcome: &'a str,
    pub latency: Option<Duration>,
    pub items: Option<(u64, u64, u64)>,
}

impl PollFinished<'_> {
    pub fn emit(self, m: &Metrics) {
        tracing::debug!(
            instance = self.instance,
            outcome = self.outcome,
            latency_ms = self.latency.map(|l| l.as_millis() as u64),
            "poll finished"
        );
        let inst = label("instance", self.instance);
        m.add(
            Counter::Polls,
            &format!("{inst},{}", label("outcome", self.outcome)),
            1,
        );
        if let Some((fetched, published, skipped)) = self.items {
            for (what, n) in [
                ("fetched", fetched),
                ("published", published),
                ("skipped", skipped),
            ] {
                m.add(
                    Counter::PollItems,
                    &format!("{inst},{}", label("what", what)),
                    n,
                );
            }
        }
        if let Some(l) = self.latency {
            m.observe_latency(&inst, l.as_secs_f64());
        }
    }
}
