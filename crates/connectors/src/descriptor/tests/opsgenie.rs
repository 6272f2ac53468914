//! Opsgenie: outgoing webhook actions (Create, Acknowledge, Close…).

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "zulip-acknowledge.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "test alert",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "aliastest",
        correlation: "opsgenie:052652ac-5d1c-464a-812a-7dd18bbfba8c",
        occurred: "2015-01-05T10:03:11.104+00:00",
        ended: None,
        url: Some(
            "https://app.opsgenie.com/alert/detail/052652ac-5d1c-464a-812a-7dd18bbfba8c/details",
        ),
    },
    Expect {
        file: "zulip-close.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "test alert",
        severity: Severity::Medium,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "aliastest",
        correlation: "opsgenie:052652ac-5d1c-464a-812a-7dd18bbfba8c",
        occurred: "2015-01-05T10:03:11.104+00:00",
        ended: Some("2026-11-20T03:00:00+00:00"),
        url: Some(
            "https://app.opsgenie.com/alert/detail/052652ac-5d1c-464a-812a-7dd18bbfba8c/details",
        ),
    },
    Expect {
        file: "zulip-create.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "another alert",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("Server"),
        entity: None,
        fingerprint: "alert-alias",
        correlation: "opsgenie:ec03dad6-62c8-4c94-b38b-d88f398e900f",
        occurred: "2017-08-14T11:25:56.288+00:00",
        ended: None,
        url: Some(
            "https://app.opsgenie.com/alert/detail/ec03dad6-62c8-4c94-b38b-d88f398e900f/details",
        ),
    },
];

#[test]
fn every_opsgenie_fixture_maps_to_the_expected_signals() {
    check("opsgenie", "OPSGENIE", EXPECTED);
}
