//! Graylog: event notifications (3+) and legacy stream alert callbacks.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "alerta-notification.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Graylog stream test: MESSAGE_COUNT",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/127.0.0.1"),
        fingerprint: "graylog:stream:55f1509dbee8e2841898eb64:5e7a9c8d-9bb1-47b6-b8db-4a3a83a25e0c",
        correlation: "graylog:stream:55f1509dbee8e2841898eb64:5e7a9c8d-9bb1-47b6-b8db-4a3a83a25e0c",
        occurred: "2015-09-10T09:45:54.749+00:00",
        ended: None,
        url: None,
    },
    Expect {
        file: "causeway-event-notification.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "cartservice error logs spike",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("cartservice"),
        entity: Some("deployment/boutique/cartservice"),
        fingerprint: "graylog:6745a1f0c8e2b3d4e5f60718:cartservice",
        correlation: "graylog:6745a1f0c8e2b3d4e5f60718:cartservice",
        occurred: "2026-11-20T03:03:20+00:00",
        ended: None,
        url: None,
    },
];

#[test]
fn every_graylog_fixture_maps_to_the_expected_signals() {
    check("graylog", "GRAYLOG", EXPECTED);
}
