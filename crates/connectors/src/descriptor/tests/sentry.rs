//! Sentry: issue webhooks, issue alerts (`event_alert`) and metric alerts.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect { file: "sentry-docs-event_alert-triggered.json", headers: &[], count: 1, index: 0, title: "ReferenceError: heck is not defined", severity: Severity::High, status: SignalStatus::Firing, kind: SignalKind::Alert, service: None, entity: None, fingerprint: "sentry:issue:1117540176", correlation: "sentry:issue:1117540176", occurred: "2019-08-19T21:06:17.677+00:00", ended: None, url: Some("https://sentry.io/organizations/test-org/issues/1117540176/events/e4874d664c3540c1a32eab185f12c5ab/") },
    Expect { file: "sentry-docs-metric_alert-resolved.json", headers: &[], count: 1, index: 0, title: "Too many errors", severity: Severity::High, status: SignalStatus::Resolved, kind: SignalKind::Alert, service: Some("bar"), entity: None, fingerprint: "sentry:metric:7", correlation: "sentry:metric-alert:4", occurred: "2020-09-13T12:26:40+00:00", ended: Some("2026-11-20T03:00:00+00:00"), url: Some("https://sentry.io/organizations/baz/alerts/1/") },
    Expect { file: "zulip-issue-created.json", headers: &[], count: 1, index: 0, title: "Exception: Custom exception!", severity: Severity::High, status: SignalStatus::Firing, kind: SignalKind::Alert, service: Some("zulip-integration-testing"), entity: None, fingerprint: "sentry:issue:1635244907", correlation: "sentry:issue:1635244907", occurred: "2020-04-28T13:56:05.903736+00:00", ended: None, url: None },
    Expect { file: "zulip-issue-resolved.json", headers: &[], count: 1, index: 0, title: "Exception: program has entered an invalid state.", severity: Severity::High, status: SignalStatus::Resolved, kind: SignalKind::Alert, service: Some("zulip-integration-testing"), entity: None, fingerprint: "sentry:issue:1638821441", correlation: "sentry:issue:1638821441", occurred: "2020-04-30T05:54:15.092476+00:00", ended: Some("2026-11-20T03:00:00+00:00"), url: None },
];

#[test]
fn every_sentry_fixture_maps_to_the_expected_signals() {
    check("sentry", "SENTRY", EXPECTED);
}
