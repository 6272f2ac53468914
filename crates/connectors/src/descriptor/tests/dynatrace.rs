//! Dynatrace custom-integration problem notifications: OPEN fires and
//! RESOLVED resolves the same PID; a HOST the problem impacts is the entity,
//! a SERVICE the service; the test notification yields nothing.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-host-availability-open.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Host or monitoring unavailable",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/db-01.prod.example.com"),
        fingerprint: "dynatrace:-3305481329488707413_1732075200000V2",
        correlation: "dynatrace:-3305481329488707413_1732075200000V2",
        occurred: "2024-11-20T04:00:00+00:00",
        ended: None,
        url: Some("https://abc12345.live.dynatrace.com/#problems/problemdetails;pid=-3305481329488707413_1732075200000V2"),
    },
    Expect {
        file: "causeway-problem-resolved.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Response time degradation",
        severity: Severity::Medium,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: Some("payment-service"),
        entity: None,
        fingerprint: "dynatrace:PID-F5D7459A6CD9842B",
        correlation: "dynatrace:PID-F5D7459A6CD9842B",
        occurred: "2024-11-20T03:00:00+00:00",
        ended: Some("2024-11-20T03:30:00+00:00"),
        url: Some("https://dynatrace.example.com/problems/PID-F5D7459A6CD9842B"),
    },
    Expect::nothing("causeway-test-notification.json", &[]),
    Expect {
        file: "harness-docs-problem-open.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Response time degradation",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("payment-service"),
        entity: None,
        fingerprint: "dynatrace:PID-F5D7459A6CD9842B",
        correlation: "dynatrace:PID-F5D7459A6CD9842B",
        occurred: "2026-11-20T03:00:00+00:00",
        ended: None,
        url: Some("https://dynatrace.example.com/problems/PID-F5D7459A6CD9842B"),
    },
];

#[test]
fn every_dynatrace_fixture_maps_to_the_expected_signals() {
    check("dynatrace", "DYNATRACE", EXPECTED);
}
