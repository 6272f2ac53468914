//! Freshping check state changes: Reporting Error fires and Available
//! resolves the same check at the time of the request that saw it; the
//! integration's test delivery is taken and yields nothing. Insping, whose
//! body is the same, names no check: the title falls back to its URL.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "zulip-check-unreachable.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Test Check is Reporting Error",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("Test Check"),
        entity: None,
        fingerprint: "freshping:585767",
        correlation: "freshping:585767",
        occurred: "2021-04-15T19:46:47.644166+00:00",
        ended: None,
        url: Some("https://example.com"),
    },
    Expect {
        file: "zulip-check-reachable.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Test Check is Available",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: Some("Test Check"),
        entity: None,
        fingerprint: "freshping:585767",
        correlation: "freshping:585767",
        occurred: "2021-04-15T19:57:32.607484+00:00",
        ended: Some("2021-04-15T19:57:32.607484+00:00"),
        url: Some("https://example.com"),
    },
    Expect::nothing("zulip-check-test.json", &[]),
    Expect {
        file: "zulip-insping-not-responding.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "http://privisus.zulipdev.org:9991 is Not Responding",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "freshping:5630",
        correlation: "freshping:5630",
        occurred: "2017-12-29T17:13:46.788129+00:00",
        ended: None,
        url: Some("http://privisus.zulipdev.org:9991"),
    },
    Expect {
        file: "zulip-insping-available.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "http://privisus.zulipdev.org:9991 is Available",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "freshping:5630",
        correlation: "freshping:5630",
        occurred: "2017-12-29T17:23:46.457990+00:00",
        ended: Some("2017-12-29T17:23:46.457990+00:00"),
        url: Some("http://privisus.zulipdev.org:9991"),
    },
];

#[test]
fn every_freshping_fixture_maps_to_the_expected_signals() {
    check("freshping", "FRESHPING", EXPECTED);
}
