//! UptimeRobot webhook alert contacts: Down (1) fires, Up (2) resolves
//! the same monitor.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "zulip-monitor-down.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "ZUTesting is Down",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("ZUTesting"),
        entity: None,
        fingerprint: "uptimerobot:784350743",
        correlation: "uptimerobot:784350743",
        occurred: "2026-11-20T03:00:00+00:00",
        ended: None,
        url: Some("http://7d398dfc.ngrok.io"),
    },
    Expect {
        file: "zulip-monitor-up.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "ZUTesting is Up",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: Some("ZUTesting"),
        entity: None,
        fingerprint: "uptimerobot:784350743",
        correlation: "uptimerobot:784350743",
        occurred: "2026-11-20T03:00:00+00:00",
        ended: Some("2026-11-20T03:00:00+00:00"),
        url: Some("http://7d398dfc.ngrok.io"),
    },
];

#[test]
fn every_uptimerobot_fixture_maps_to_the_expected_signals() {
    check("uptimerobot", "UPTIMEROBOT", EXPECTED);
}
