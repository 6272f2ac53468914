//! Honeycomb trigger webhooks: TRIGGERED fires and OK resolves the same
//! trigger; the sample carries no time, so the arrival time stands.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-ok.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Resolved: trig on ttt",
        severity: Severity::Medium,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "honeycomb:trig on ttt",
        correlation: "honeycomb:trig on ttt",
        occurred: "2026-11-20T03:00:00+00:00",
        ended: Some("2026-11-20T03:00:00+00:00"),
        url: Some("https://ui.honeycomb.io/myteam/datasets/mydataset/result/2Xv7Q9fJ3kA"),
    },
    Expect {
        file: "honeycomb-examples-triggered.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Triggered: trig on ttt",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "honeycomb:trig on ttt",
        correlation: "honeycomb:trig on ttt",
        occurred: "2026-11-20T03:00:00+00:00",
        ended: None,
        url: None,
    },
];

#[test]
fn every_honeycomb_fixture_maps_to_the_expected_signals() {
    check("honeycomb", "HONEYCOMB", EXPECTED);
}
