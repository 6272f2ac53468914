//! incident.io webhooks: a public incident fires while live and resolves once
//! closed, one fingerprint per incident across created, updated and
//! status-updated events; follow-ups, private and test incidents yield nothing.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-incident-created.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "INC-123: Our database is sad",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "incident-io:01FDAG4SAP5TYPT98WGR2N7W91",
        correlation: "incident-io:01FDAG4SAP5TYPT98WGR2N7W91",
        occurred: "2024-11-20T02:12:30.441+00:00",
        ended: None,
        url: Some("https://app.incident.io/incidents/123"),
    },
    Expect {
        file: "causeway-incident-status-closed.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "INC-123: Our database is sad",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "incident-io:01FDAG4SAP5TYPT98WGR2N7W91",
        correlation: "incident-io:01FDAG4SAP5TYPT98WGR2N7W91",
        occurred: "2024-11-20T02:12:30.441+00:00",
        ended: Some("2024-11-20T03:41:02.118+00:00"),
        url: Some("https://app.incident.io/incidents/123"),
    },
    Expect::nothing("causeway-incident-test-mode.json", &[]),
    Expect {
        file: "causeway-incident-updated-severity.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "INC-123: Our database is sad",
        severity: Severity::Critical,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "incident-io:01FDAG4SAP5TYPT98WGR2N7W91",
        correlation: "incident-io:01FDAG4SAP5TYPT98WGR2N7W91",
        occurred: "2024-11-20T02:12:30.441+00:00",
        ended: None,
        url: Some("https://app.incident.io/incidents/123"),
    },
    Expect::nothing("causeway-private-incident-created.json", &[]),
    Expect::nothing("docs-follow-up-updated-v2.json", &[]),
];

#[test]
fn every_incident_io_fixture_maps_to_the_expected_signals() {
    check("incident-io", "INCIDENT_IO", EXPECTED);
}
