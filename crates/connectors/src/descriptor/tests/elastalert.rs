//! ElastAlert 2 HTTP POST alerter: each match fires; the host is read whether
//! the index nests it (ECS `host.name`) or keeps it flat (`host`).

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-flat-document.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "ssh-bruteforce",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/bastion-02"),
        fingerprint: "elastalert:ssh-bruteforce:bastion-02",
        correlation: "elastalert:ssh-bruteforce:bastion-02",
        occurred: "2024-02-03T08:15:27.412+00:00",
        ended: None,
        url: None,
    },
    Expect {
        file: "keep-docs-http-post.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "High HTTP 5xx error rate",
        severity: Severity::Critical,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/web-server-01"),
        fingerprint: "elastalert:high-error-rate:web-server-01",
        correlation: "elastalert:high-error-rate:web-server-01",
        occurred: "2024-01-15T14:30:00+00:00",
        ended: None,
        url: None,
    },
];

#[test]
fn every_elastalert_fixture_maps_to_the_expected_signals() {
    check("elastalert", "ELASTALERT", EXPECTED);
}
