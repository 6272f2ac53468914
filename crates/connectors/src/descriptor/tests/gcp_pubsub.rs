//! Google Cloud Monitoring incidents through a Pub/Sub push subscription:
//! the envelope's base64 data decoded, mapped as the webhook channel's, with
//! the same fingerprints.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "pubsub-incident-closed.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "CPU usage",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/webserver-85"),
        fingerprint: "gcm:f2e08c333dc64cb09f75eaab355393bz",
        correlation: "gcm-policy:i-4a266a2d:Webserver Health",
        occurred: "2017-07-06T19:10:14+00:00",
        ended: Some("2017-07-06T19:20:36+00:00"),
        url: Some("https://app.stackdriver.com/incidents/f2e08c333dc64cb09f75eaab355393bz"),
    },
    Expect {
        file: "pubsub-incident-open.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "CPU usage",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/webserver-85"),
        fingerprint: "gcm:f2e08c333dc64cb09f75eaab355393bz",
        correlation: "gcm-policy:i-4a266a2d:Webserver Health",
        occurred: "2017-07-06T19:10:14+00:00",
        ended: None,
        url: Some("https://app.stackdriver.com/incidents/f2e08c333dc64cb09f75eaab355393bz"),
    },
];

#[test]
fn every_pubsub_fixture_maps_to_the_expected_signals() {
    check("gcp-pubsub", "STACKDRIVER", EXPECTED);
}
