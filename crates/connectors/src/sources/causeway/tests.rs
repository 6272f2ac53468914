//! The ingest schema: valid requests map, invalid ones list every bad field.

use super::*;
use crate::runtime::{Context, Normalizer};
use causeway_core::{Severity, SignalStatus};
use chrono::{TimeZone, Utc};
use serde_json::json;

static NO_HEADERS: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();

fn ctx() -> Context<'static> {
    Context {
        project: "default",
        instance: "default-causeway",
        received_at: Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap(),
        raw_ref: "inbox:9",
        headers: &NO_HEADERS,
    }
}

fn full() -> serde_json::Value {
    json!({
        "sourceType": "DATADOG",
        "sourceRef": "dd-monitor-12345-2026-11-20",
        "title": "checkout p99 latency above 2 s",
        "description": "Monitor 12345 crossed its threshold",
        "severity": "high",
        "timeline": {"start": "2026-11-20T02:58:00Z", "detectedAt": "2026-11-20T02:59:00Z"},
        "metadata": {"service": "checkout", "region": "eu-west-1", "environment": "production", "team": "payments",
                     "tags": {"namespace": "shop", "deployment": "checkout"}, "customFields": {"monitorId": 12345}},
        "evidenceLite": {
            "metrics": [{"name": "p99_latency_ms", "value": 2300.5, "timestamp": "2026-11-20T02:58:30Z", "labels": {"route": "/checkout"}}],
            "logs": [{"message": "upstream timeout", "level": "error", "timestamp": "2026-11-20T02:58:10Z", "service": "checkout"}],
            "traces": [{"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b7", "service": "checkout", "operation": "POST /checkout", "duration": 2310, "timestamp": "2026-11-20T02:58:05Z"}],
            "events": [{"type": "deploy", "description": "checkout v2.3.1 rolled out", "timestamp": "2026-11-20T02:50:00Z"}]
        },
        "sourcePayload": {"anything": ["goes"]},
        "collectionContext": {"windowMinutesBefore": 30, "windowMinutesAfter": 10, "forceCollect": false}
    })
}

#[test]
fn a_full_request_maps_to_one_signal() {
    let body = serde_json::to_vec(&full()).unwrap();
    let s = &Causeway.normalize_bytes(&body, &ctx()).unwrap()[0];
    assert_eq!(s.title, "checkout p99 latency above 2 s");
    assert_eq!(s.severity, Severity::High);
    assert_eq!(s.status, SignalStatus::Firing);
    assert_eq!(s.source_type, "INGEST_DATADOG");
    assert_eq!(s.source_ref.as_deref(), Some("dd-monitor-12345-2026-11-20"));
    assert_eq!(s.service.as_deref(), Some("checkout"));
    assert_eq!(s.region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        s.entity.as_ref().unwrap().to_string(),
        "deployment/shop/checkout"
    );
    assert_eq!(s.tags["custom.monitorId"], "12345");
    assert_eq!(
        s.trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(
        s.occurred_at,
        Utc.with_ymd_and_hms(2026, 11, 20, 2, 58, 0).unwrap()
    );
    assert_eq!(
        s.correlation_key,
        "ingest:DATADOG:dd-monitor-12345-2026-11-20"
    );
    // The same (sourceType, sourceRef) always gives the same fingerprint.
    let again = &Causeway.normalize_bytes(&body, &ctx()).unwrap()[0];
    assert_eq!(again.fingerprint, s.fingerprint);
}

#[test]
fn minimal_and_resolved_requests() {
    let body = json!({"sourceType": "CUSTOM", "sourceRef": "x", "title": "t",
                      "timeline": {"start": "2026-11-20T02:58:00Z", "end": "2026-11-20T03:10:00+01:00"}});
    let s = &Causeway
        .normalize_bytes(&serde_json::to_vec(&body).unwrap(), &ctx())
        .unwrap()[0];
    assert_eq!(s.severity, Severity::Medium);
    assert_eq!(s.status, SignalStatus::Resolved);
    assert_eq!(
        s.ended_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 20, 2, 10, 0).unwrap())
    );
    assert_eq!(s.entity, None);
}

#[test]
fn every_bad_field_is_listed() {
    let body = json!({
        "sourceType": "NAGIOS",
        "sourceRef": "x".repeat(513),
        "title": "",
        "description": 7,
        "severity": "urgent",
        "timeline": {"start": "yesterday", "end": "2026-13-01T00:00:00Z"},
        "metadata": {"tags": {"a": 1}, "service": ["x"]},
        "evidenceLite": {"metrics": [{"name": "m", "value": "high", "timestamp": "2026-11-20T02:58:30Z"}, 3],
                         "traces": [{"traceId": "t"}]},
        "collectionContext": {"windowMinutesBefore": 0, "windowMinutesAfter": 121, "forceCollect": "yes"}
    });
    let errors = validate(&body);
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for want in [
        "sourceType",
        "sourceRef",
        "title",
        "description",
        "severity",
        "timeline.start",
        "timeline.end",
        "metadata.service",
        "metadata.tags.a",
        "evidenceLite.metrics[0].value",
        "evidenceLite.metrics[1]",
        "evidenceLite.traces[0].spanId",
        "evidenceLite.traces[0].timestamp",
        "collectionContext.windowMinutesBefore",
        "collectionContext.windowMinutesAfter",
        "collectionContext.forceCollect",
    ] {
        assert!(fields.contains(&want), "{want} missing from {fields:?}");
    }
    assert!(errors.iter().all(|e| !e.message.is_empty()));
    let missing = validate(&json!({}));
    let fields: Vec<&str> = missing.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["sourceType", "sourceRef", "title", "timeline"]);
    assert_eq!(validate(&json!([1]))[0].field, "body");
    assert!(validate(&full()).is_empty());
    // In replay or the pipeline, an invalid body is a clear error, not a panic.
    let err = Causeway
        .normalize_bytes(br#"{"title":""}"#, &ctx())
        .unwrap_err();
    assert!(err.to_string().contains("sourceType is required"), "{err}");
}
