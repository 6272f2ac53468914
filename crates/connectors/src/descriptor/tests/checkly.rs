//! Checkly webhook alert channel: ALERT_FAILURE fires, ALERT_DEGRADED fires
//! lower, ALERT_RECOVERY resolves the same check (one fingerprint per check).

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-degraded.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "API Check #1 is degraded",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("API Check #1"),
        entity: None,
        fingerprint: "checkly:927a2982-1007-4b81-b383-eae8bf717e61",
        correlation: "checkly:927a2982-1007-4b81-b383-eae8bf717e61",
        occurred: "2025-01-26T10:59:40.002+00:00",
        ended: None,
        url: Some("https://app.checklyhq.com/checks/927a2982-1007-4b81-b383-eae8bf717e61/check-sessions/478cacb1-c40f-4675-89d7-a4e3ecaafb7b"),
    },
    Expect {
        file: "causeway-failure.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "API Check #1 has failed",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("API Check #1"),
        entity: None,
        fingerprint: "checkly:927a2982-1007-4b81-b383-eae8bf717e61",
        correlation: "checkly:927a2982-1007-4b81-b383-eae8bf717e61",
        occurred: "2025-01-26T11:09:40.131+00:00",
        ended: None,
        url: Some("https://app.checklyhq.com/checks/927a2982-1007-4b81-b383-eae8bf717e61/check-sessions/478cacb1-c40f-4675-89d7-a4e3ecaafb7b"),
    },
    Expect {
        file: "keep-checkly-recovery.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "API Check #1 has recovered",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: Some("API Check #1"),
        entity: None,
        fingerprint: "checkly:927a2982-1007-4b81-b383-eae8bf717e61",
        correlation: "checkly:927a2982-1007-4b81-b383-eae8bf717e61",
        occurred: "2025-01-26T11:19:40.544+00:00",
        ended: Some("2025-01-26T11:19:40.544+00:00"),
        url: Some("https://app.checklyhq.com/checks/927a2982-1007-4b81-b383-eae8bf717e61/check-sessions/478cacb1-c40f-4675-89d7-a4e3ecaafb7b"),
    },
];

#[test]
fn every_checkly_fixture_maps_to_the_expected_signals() {
    check("checkly", "CHECKLY", EXPECTED);
}
