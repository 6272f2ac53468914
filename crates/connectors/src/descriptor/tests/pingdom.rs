//! Pingdom check state changes: DOWN fires, UP resolves.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "alerta-down.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Alerta API on OpenShift is DOWN",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("Alerta API on OpenShift"),
        entity: Some("host/api.alerta.io"),
        fingerprint: "pingdom:803318",
        correlation: "pingdom:803318",
        occurred: "2017-06-30T22:25:43+00:00",
        ended: None,
        url: Some("http://api.alerta.io/"),
    },
    Expect {
        file: "alerta-up.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Alerta API on OpenShift is UP",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: Some("Alerta API on OpenShift"),
        entity: Some("host/api.alerta.io"),
        fingerprint: "pingdom:803318",
        correlation: "pingdom:803318",
        occurred: "2017-06-30T22:30:43+00:00",
        ended: Some("2017-06-30T22:30:43+00:00"),
        url: Some("http://api.alerta.io/"),
    },
];

#[test]
fn every_pingdom_fixture_maps_to_the_expected_signals() {
    check("pingdom", "PINGDOM", EXPECTED);
}
