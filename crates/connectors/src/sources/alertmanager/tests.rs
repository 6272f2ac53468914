//! Every Alertmanager fixture in `tests/fixtures/webhooks/alertmanager/`
//! normalizes to the signals a person would expect.

use super::Alertmanager;
use crate::runtime::{Context, NormalizeError, Normalizer};
use causeway_core::{Severity, Signal, SignalKind, SignalStatus};
use chrono::{DateTime, TimeZone, Utc};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/webhooks/alertmanager"
);

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn load(file: &str) -> Vec<Signal> {
    let body = std::fs::read(format!("{DIR}/{file}")).unwrap();
    let ctx = Context {
        project: "default",
        instance: "default-alertmanager",
        received_at: received(),
        raw_ref: "inbox:1",
        headers: &std::collections::BTreeMap::new(),
    };
    Alertmanager.normalize_bytes(&body, &ctx).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// (file, index, title, severity, status, service, entity, fingerprint, occurred, ended, url prefix)
type Expect = (
    &'static str,
    usize,
    &'static str,
    Severity,
    SignalStatus,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    &'static str,
);

const EXPECTED: &[Expect] = &[
    (
        "alerta-webhook-v3.json",
        0,
        "Connect fail",
        Severity::Critical,
        SignalStatus::Firing,
        Some("System"),
        Some("host/host2"),
        None,
        "2016-08-01T13:27:08.008+03:00",
        None,
        "http://prometheus.host:9090/",
    ),
    (
        "alerta-webhook-v4.json",
        0,
        "No things for over 10 minutes",
        Severity::Critical,
        SignalStatus::Firing,
        None,
        None,
        None,
        "2017-08-03T15:17:37.804-04:00",
        None,
        "http://somehost:9090/graph",
    ),
    (
        "alertmanager-bot-firing.json",
        0,
        "Fire",
        Severity::Critical,
        SignalStatus::Firing,
        None,
        None,
        None,
        "2018-11-04T22:43:58.283995108+01:00",
        None,
        "http://localhost:9090/graph",
    ),
    (
        "alertmanager-bot-resolved.json",
        0,
        "Fire",
        Severity::Critical,
        SignalStatus::Resolved,
        None,
        None,
        None,
        "2018-11-04T22:43:58.283995108+01:00",
        Some("2018-11-04T22:48:13.283995108+01:00"),
        "http://localhost:9090/graph",
    ),
    (
        "msteams-multi-alert-group-firing.json",
        0,
        "Ratio(Max(Working Set, RSS) / Reservation) [5m Avg] < 40 %",
        Severity::Info,
        SignalStatus::Firing,
        None,
        None,
        Some("ff6a7a0f5f1c1309"),
        "2020-10-11T14:34:11.279383004Z",
        None,
        "https://domain.com/promstack/prometheus/graph",
    ),
    (
        "msteams-multi-alert-group-firing.json",
        2,
        "Ratio(Max(Working Set, RSS) / Reservation) [5m Avg] < 40 %",
        Severity::Info,
        SignalStatus::Firing,
        None,
        None,
        Some("911c76f0240f015b"),
        "2020-10-11T14:34:11.279383004Z",
        None,
        "https://domain.com/promstack/prometheus/graph",
    ),
    (
        "msteams-prom_post_request.json",
        0,
        "Server High Memory usage",
        Severity::Medium,
        SignalStatus::Firing,
        Some("docker_nodes"),
        Some("host/instance-with-hyphen_and_underscore"),
        None,
        "2018-03-07T06:33:21.873077559-05:00",
        None,
        "http://docker.for.mac.host.internal:9093",
    ),
    (
        "zulip-firing-2alerts.json",
        0,
        "High CPU core temperature",
        Severity::Critical,
        SignalStatus::Firing,
        None,
        Some("host/andromeda"),
        Some("a1bc48475b20e73d"),
        "2020-02-06T00:17:58.432911368Z",
        None,
        "http://cobalt:9090/graph",
    ),
    (
        "zulip-firing-2alerts.json",
        1,
        "High CPU core temperature",
        Severity::Critical,
        SignalStatus::Firing,
        None,
        Some("host/andromeda"),
        Some("c2ea85182f28cbd9"),
        "2020-02-06T00:17:58.432911368Z",
        None,
        "http://cobalt:9090/graph",
    ),
];

#[test]
fn every_fixture_maps_to_the_expected_signal() {
    for (file, i, title, sev, status, service, entity, fp, occurred, ended, url) in EXPECTED {
        let signals = load(file);
        let s = &signals[*i];
        let ctx = format!("{file}[{i}]");
        assert_eq!(s.title, *title, "{ctx}");
        assert_eq!(s.severity, *sev, "{ctx}");
        assert_eq!(s.status, *status, "{ctx}");
        assert_eq!(s.kind, SignalKind::Alert, "{ctx}");
        assert_eq!(s.source_type, "ALERTMANAGER", "{ctx}");
        assert_eq!(s.service.as_deref(), *service, "{ctx}");
        assert_eq!(
            s.entity.as_ref().map(ToString::to_string).as_deref(),
            *entity,
            "{ctx}"
        );
        if let Some(fp) = fp {
            assert_eq!(s.fingerprint, *fp, "{ctx}");
            assert_eq!(s.external_id.as_deref(), Some(*fp), "{ctx}");
        } else {
            assert_eq!(s.fingerprint.len(), 16, "{ctx}: derived fingerprint");
        }
        assert!(!s.correlation_key.is_empty(), "{ctx}");
        assert_eq!(s.occurred_at, at(occurred), "{ctx}");
        assert_eq!(s.ended_at, ended.map(at), "{ctx}");
        assert!(
            s.external_url.as_deref().unwrap_or("").starts_with(url),
            "{ctx}: {:?}",
            s.external_url
        );
        assert_eq!(s.received_at, received(), "{ctx}");
        assert_eq!(
            s.raw_ref.as_deref(),
            Some(format!("inbox:1#{i}").as_str()),
            "{ctx}"
        );
    }
}

#[test]
fn every_file_in_the_folder_is_covered_and_yields_one_signal_per_alert() {
    let mut files: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files.len(), 7);
    for f in &files {
        assert!(EXPECTED.iter().any(|e| e.0 == f), "{f} has no expectation");
        let body: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("{DIR}/{f}")).unwrap()).unwrap();
        let n = body["alerts"].as_array().unwrap().len();
        assert_eq!(load(f).len(), n, "{f}");
        assert_eq!(Alertmanager.item_count(&body), n, "{f}");
    }
}

#[test]
fn firing_and_resolved_notifications_of_one_alert_share_identity() {
    let firing = &load("alertmanager-bot-firing.json")[0];
    let resolved = &load("alertmanager-bot-resolved.json")[0];
    assert_eq!(firing.fingerprint, resolved.fingerprint);
    assert_eq!(
        firing.id, resolved.id,
        "same alert, same startsAt → same signal"
    );
    // Two alerts of one group differ.
    let z = load("zulip-firing-2alerts.json");
    assert_ne!(z[0].id, z[1].id);
    // The payload's groupKey is the correlation key, whatever its JSON type.
    assert_eq!(z[0].correlation_key, "am:{}/{}:{}");
    assert_eq!(
        load("alerta-webhook-v3.json")[0].correlation_key,
        "am:5615590933959184469"
    );
}

#[test]
fn kubernetes_labels_give_entity_and_service() {
    let body = br#"{"version":"4","status":"firing","alerts":[{"status":"firing",
      "labels":{"alertname":"KubePodCrashLooping","namespace":"shop","pod":"cart-7d9f8b6c5-x2b4k",
                "service":"kube-state-metrics","job":"kube-state-metrics","severity":"warning"},
      "annotations":{"description":"Pod shop/cart is crash looping"},
      "startsAt":"2026-11-20T03:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}"#;
    let ctx = Context {
        project: "p",
        instance: "i",
        received_at: received(),
        raw_ref: "line:0",
        headers: &std::collections::BTreeMap::new(),
    };
    let s = &Alertmanager.normalize_bytes(body, &ctx).unwrap()[0];
    assert_eq!(
        s.entity.as_ref().unwrap().to_string(),
        "pod/shop/cart-7d9f8b6c5-x2b4k"
    );
    // The scraping job's `service` label does not hide the workload.
    assert_eq!(s.service.as_deref(), Some("cart"));
    assert_eq!(s.title, "KubePodCrashLooping");
    assert_eq!(s.severity, Severity::Medium);
    assert_eq!(
        s.description.as_deref(),
        Some("Pod shop/cart is crash looping")
    );
}

#[test]
fn bad_payloads_are_clear_errors_not_panics() {
    let ctx = Context {
        project: "p",
        instance: "i",
        received_at: received(),
        raw_ref: "x",
        headers: &std::collections::BTreeMap::new(),
    };
    let cases: &[(&[u8], &str)] = &[
        (b"not json", "not JSON"),
        (b"[]", "must be a JSON object"),
        (b"{\"version\":\"4\"}", "no 'alerts' array"),
        (b"{\"alerts\":[1]}", "alerts[0] is not an object"),
    ];
    for (body, want) in cases {
        let err = Alertmanager.normalize_bytes(body, &ctx).unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
    }
    // Odd but valid: labels with non-string values, no times at all.
    let s = &Alertmanager
        .normalize_bytes(br#"{"alerts":[{"labels":{"alertname":"X","n":3}}]}"#, &ctx)
        .unwrap()[0];
    assert_eq!(s.tags.get("n").map(String::as_str), Some("3"));
    assert_eq!(s.occurred_at, received());
}

#[test]
fn the_fast_count_agrees_with_the_document_and_refuses_what_is_not_json() {
    for entry in std::fs::read_dir(DIR).unwrap() {
        let body = std::fs::read(entry.unwrap().path()).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            Alertmanager.count_items(&body).unwrap(),
            Alertmanager.item_count(&doc)
        );
    }
    // Shapes the fast path does not take still count the general way.
    assert_eq!(Alertmanager.count_items(br#"{"alerts": 3}"#).unwrap(), 0);
    assert_eq!(Alertmanager.count_items(br#"[1, 2]"#).unwrap(), 0);
    // An array is not read as the object it could be deserialized into.
    assert_eq!(Alertmanager.count_items(br#"[[1, 2]]"#).unwrap(), 0);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(Alertmanager.count_items(deep.as_bytes()).is_err());
    // What is not JSON is refused, even when `alerts` reads fine.
    for bad in [
        &br#"{"alerts": [], "x": }"#[..],
        br#"{"alerts": []} trailing"#,
        b"\xff",
    ] {
        assert!(matches!(
            Alertmanager.count_items(bad),
            Err(NormalizeError::NotJson(_))
        ));
    }
}
