//! Datadog: the Webhooks integration's default payload and a richer one with `$TAGS` ("k:v,k:v") and `$ALERT_TRANSITION`.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "causeway-default-template-triggered.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Cart error rate high",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: None,
        fingerprint: "dd:Cart error rate high",
        correlation: "dd:Cart error rate high",
        occurred: "2026-11-20T02:58:00+00:00",
        ended: None,
        url: None,
    },
    Expect {
        file: "causeway-rich-template-recovered.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Redis memory high",
        severity: Severity::Critical,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: Some("redis-cart"),
        entity: Some("deployment/boutique/redis-cart"),
        fingerprint: "dd:98765432:kube_namespace:boutique,kube_deployment:redis-cart",
        correlation: "dd:monitor:98765432",
        occurred: "2026-11-20T03:10:00+00:00",
        ended: Some("2026-11-20T03:10:00+00:00"),
        url: Some("https://app.datadoghq.com/event/event?id=7512298043811254002"),
    },
    Expect {
        file: "causeway-rich-template-triggered.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Redis memory high",
        severity: Severity::Critical,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: Some("redis-cart"),
        entity: Some("pod/boutique/redis-cart-5d7f9c8b6-qwz4p"),
        fingerprint: "dd:98765432:kube_namespace:boutique,kube_deployment:redis-cart",
        correlation: "dd:monitor:98765432",
        occurred: "2026-11-20T02:55:00+00:00",
        ended: None,
        url: Some("https://app.datadoghq.com/event/event?id=7512298043811254001"),
    },
];

#[test]
fn every_datadog_fixture_maps_to_the_expected_signals() {
    check("datadog", "DATADOG_ALERT", EXPECTED);
}
