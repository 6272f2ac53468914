//! Better Stack Uptime incident webhooks: Started fires and Resolved resolves
//! the same incident; Acknowledged is taken without a signal.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-resolved.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Production API: down",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: Some("Production API"),
        entity: None,
        fingerprint: "betterstack:12345",
        correlation: "betterstack:12345",
        occurred: "2024-03-15T10:30:00+00:00",
        ended: Some("2024-03-15T10:52:40+00:00"),
        url: Some("https://api.example.com"),
    },
    Expect::nothing("causeway-started-acknowledged.json", &[]),
    Expect {
        file: "keep-betterstack-started.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Production API: down",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("Production API"),
        entity: None,
        fingerprint: "betterstack:12345",
        correlation: "betterstack:12345",
        occurred: "2024-03-15T10:30:00+00:00",
        ended: None,
        url: Some("https://api.example.com"),
    },
];

#[test]
fn every_betterstack_fixture_maps_to_the_expected_signals() {
    check("betterstack", "BETTERSTACK", EXPECTED);
}
