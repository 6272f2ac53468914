//! Kubernetes core/v1 Events: involved object → entity, Warning → alert.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-backoff-warning.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "BackOff: Pod boutique/cartservice-7d9f8b6c5-x2b4k",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("cartservice"),
        entity: Some("pod/boutique/cartservice-7d9f8b6c5-x2b4k"),
        fingerprint: "ba7307ccfcd36693",
        correlation: "ba7307ccfcd36693",
        occurred: "2026-11-20T03:02:41+00:00",
        ended: None,
        url: None,
    },
    Expect {
        file: "causeway-node-notready.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "NodeNotReady: Node node-3",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("node/node-3"),
        fingerprint: "0da8f9dac817b408",
        correlation: "0da8f9dac817b408",
        occurred: "2026-11-20T03:01:05+00:00",
        ended: None,
        url: None,
    },
    Expect {
        file: "causeway-scaling-replicaset.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "ScalingReplicaSet: Deployment boutique/cartservice",
        severity: Severity::Info,
        status: SignalStatus::Info,
        kind: SignalKind::Change,
        service: Some("cartservice"),
        entity: Some("deployment/boutique/cartservice"),
        fingerprint: "c60ecd0c1eedf841",
        correlation: "c60ecd0c1eedf841",
        occurred: "2026-11-20T02:55:02+00:00",
        ended: None,
        url: None,
    },
    Expect {
        file: "k9s-event-Pulled.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Pulled: Pod default/hello-1567197780-mn4mv",
        severity: Severity::Info,
        status: SignalStatus::Info,
        kind: SignalKind::Event,
        service: None,
        entity: Some("pod/default/hello-1567197780-mn4mv"),
        fingerprint: "a2f3d68ea148ee35",
        correlation: "a2f3d68ea148ee35",
        occurred: "2019-08-30T20:43:05+00:00",
        ended: None,
        url: None,
    },
];

#[test]
fn every_kubernetes_events_fixture_maps_to_the_expected_signals() {
    check("kubernetes-events", "K8S_EVENT", EXPECTED);
}
