//! Icinga 2 notification-command JSON: CRITICAL and WARNING fire, OK resolves
//! the same host!service; an acknowledged problem yields nothing.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-service-critical.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "HTTP on web-01 is CRITICAL",
        severity: Severity::Critical,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("http"),
        entity: Some("host/web-01.example.com"),
        fingerprint: "icinga2:web-01.example.com!http",
        correlation: "icinga2:web-01.example.com!http",
        occurred: "2024-11-20T03:00:00.403+00:00",
        ended: None,
        url: None,
    },
    Expect {
        file: "causeway-service-ok.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "HTTP on web-01 is OK",
        severity: Severity::Info,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: Some("http"),
        entity: Some("host/web-01.example.com"),
        fingerprint: "icinga2:web-01.example.com!http",
        correlation: "icinga2:web-01.example.com!http",
        occurred: "2024-11-20T03:15:00.119+00:00",
        ended: Some("2024-11-20T03:15:00.119+00:00"),
        url: None,
    },
    Expect::nothing("causeway-service-problem-acknowledged.json", &[]),
    Expect {
        file: "causeway-service-warning.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Disk /var on db-01 is WARNING",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("disk /var"),
        entity: Some("host/db-01.example.com"),
        fingerprint: "icinga2:db-01.example.com!disk /var",
        correlation: "icinga2:db-01.example.com!disk /var",
        occurred: "2024-11-20T03:40:00+00:00",
        ended: None,
        url: None,
    },
];

#[test]
fn every_icinga2_fixture_maps_to_the_expected_signals() {
    check("icinga2", "ICINGA2", EXPECTED);
}
