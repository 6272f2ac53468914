//! Uptime Kuma webhook notifications: a DOWN heartbeat fires and UP resolves
//! the same monitor; the test notification (no heartbeat) yields nothing.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-http-down.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Shop frontend is down",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("Shop frontend"),
        entity: None,
        fingerprint: "uptime-kuma:7",
        correlation: "uptime-kuma:7",
        occurred: "2024-09-24T23:51:35.527+00:00",
        ended: None,
        url: Some("https://shop.example.com/health"),
    },
    Expect {
        file: "causeway-http-up.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Shop frontend is up",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: Some("Shop frontend"),
        entity: None,
        fingerprint: "uptime-kuma:7",
        correlation: "uptime-kuma:7",
        occurred: "2024-09-24T23:58:35.911+00:00",
        ended: Some("2024-09-24T23:58:35.911+00:00"),
        url: Some("https://shop.example.com/health"),
    },
    Expect {
        file: "causeway-port-down.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Postgres primary is down",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("Postgres primary"),
        entity: Some("host/db-01.internal"),
        fingerprint: "uptime-kuma:9",
        correlation: "uptime-kuma:9",
        occurred: "2024-09-25T02:10:04.002+00:00",
        ended: None,
        url: None,
    },
    Expect::nothing("causeway-test.json", &[]),
];

#[test]
fn every_uptime_kuma_fixture_maps_to_the_expected_signals() {
    check("uptime-kuma", "UPTIME_KUMA", EXPECTED);
}
