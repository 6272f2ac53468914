//! Descriptor tests: loading and refusal here, one file per built-in source
//! with a table over every fixture in `tests/fixtures/webhooks/<source>/`.

mod azure_monitor;
mod betterstack;
mod checkly;
mod cloudwatch;
mod datadog;
mod dynatrace;
mod elastalert;
mod freshping;
mod gcp_pubsub;
mod github;
mod grafana;
mod graylog;
mod honeycomb;
mod icinga2;
mod incident_io;
mod kubernetes_events;
mod loading;
mod newrelic;
mod opsgenie;
mod pagerduty;
mod pingdom;
mod sentry;
mod splunk;
mod stackdriver;
mod uptime_kuma;
mod uptimerobot;
mod zabbix;

use crate::runtime::{Context, NormalizeError, Normalizer};
use causeway_core::{Severity, Signal, SignalKind, SignalStatus};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::BTreeMap;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/webhooks");

pub fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A descriptor's normalizer by id. These tests stay inside the descriptor
/// folder; a native connector's go through the registry (`registry::tests`).
pub fn normalizer(id: &str) -> Option<&'static dyn Normalizer> {
    crate::descriptor::normalizer(id).map(|n| n as &'static dyn Normalizer)
}

/// Parses a body with descriptor `id`: the registry's path for a descriptor.
pub fn normalize_bytes(
    id: &str,
    body: &[u8],
    ctx: &Context<'_>,
) -> Result<Vec<Signal>, NormalizeError> {
    normalizer(id)
        .ok_or_else(|| NormalizeError::UnknownSource(id.to_string()))?
        .normalize_bytes(body, ctx)
}

/// Normalizes a payload with the source's registered normalizer.
pub fn run(source: &str, body: &[u8], headers: &[(&str, &str)]) -> Vec<Signal> {
    let headers: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let ctx = Context {
        project: "default",
        instance: source,
        received_at: received(),
        raw_ref: "inbox:1",
        headers: &headers,
    };
    let n = normalizer(source).unwrap_or_else(|| {
        panic!(
            "no normalizer for {source}: {:?}",
            crate::descriptor::builtin_errors()
        )
    });
    let body: serde_json::Value = serde_json::from_slice(body).unwrap();
    n.normalize(&body, &ctx)
        .unwrap_or_else(|e| panic!("{source}: {e}"))
}

pub fn fixture(source: &str, file: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{source}/{file}")).unwrap()
}

/// What one signal of one fixture must look like. `ended`/`url`/`service`/
/// `entity` `None` mean the signal must have none.
pub struct Expect {
    pub file: &'static str,
    /// Request headers the provider sends with it (`x-github-event`).
    pub headers: &'static [(&'static str, &'static str)],
    /// Signals the payload yields (0: taken, but not an alert; the other
    /// fields are then not read).
    pub count: usize,
    pub index: usize,
    pub title: &'static str,
    pub severity: Severity,
    pub status: SignalStatus,
    pub kind: SignalKind,
    pub service: Option<&'static str>,
    pub entity: Option<&'static str>,
    pub fingerprint: &'static str,
    pub correlation: &'static str,
    pub occurred: &'static str,
    pub ended: Option<&'static str>,
    pub url: Option<&'static str>,
}

impl Expect {
    /// A payload that is taken but is not an alert (a ping, a test
    /// delivery, a check still running): it yields no signal.
    pub const fn nothing(
        file: &'static str,
        headers: &'static [(&'static str, &'static str)],
    ) -> Expect {
        Expect {
            file,
            headers,
            count: 0,
            index: 0,
            title: "",
            severity: Severity::Info,
            status: SignalStatus::Info,
            kind: SignalKind::Alert,
            service: None,
            entity: None,
            fingerprint: "",
            correlation: "",
            occurred: "",
            ended: None,
            url: None,
        }
    }
}

/// Checks every expectation, and that every file of the source's fixture
/// folder has at least one.
pub fn check(source: &str, source_type: &str, expected: &[Expect]) {
    for e in expected {
        let signals = run(source, &fixture(source, e.file), e.headers);
        let ctx = format!("{source}/{}[{}]", e.file, e.index);
        assert_eq!(signals.len(), e.count, "{ctx}: item count");
        // A delivery that is not an alert: taken, and nothing else to check.
        if e.count == 0 {
            continue;
        }
        let s = &signals[e.index];
        assert_eq!(s.title, e.title, "{ctx}");
        assert_eq!(s.severity, e.severity, "{ctx}");
        assert_eq!(s.status, e.status, "{ctx}");
        assert_eq!(s.kind, e.kind, "{ctx}");
        assert_eq!(s.source_type, source_type, "{ctx}");
        assert_eq!(s.service.as_deref(), e.service, "{ctx}");
        assert_eq!(
            s.entity.as_ref().map(ToString::to_string).as_deref(),
            e.entity,
            "{ctx}"
        );
        assert_eq!(s.fingerprint, e.fingerprint, "{ctx}");
        assert_eq!(s.correlation_key, e.correlation, "{ctx}");
        assert_eq!(s.occurred_at, at(e.occurred), "{ctx}");
        assert_eq!(s.ended_at, e.ended.map(at), "{ctx}");
        assert_eq!(s.external_url.as_deref(), e.url, "{ctx}");
        assert_eq!(s.received_at, received(), "{ctx}");
        assert_eq!(
            s.raw_ref.as_deref(),
            Some(format!("inbox:1#{}", e.index).as_str())
        );
        let n = normalizer(source).unwrap();
        if e.headers.is_empty() {
            let body: serde_json::Value = serde_json::from_slice(&fixture(source, e.file)).unwrap();
            assert_eq!(n.item_count(&body), e.count, "{ctx}: item_count");
        }
    }
    let dir = format!("{FIXTURES}/{source}");
    for f in std::fs::read_dir(&dir).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        assert!(
            expected.iter().any(|e| e.file == name),
            "{source}/{name} has no expectation"
        );
    }
}
