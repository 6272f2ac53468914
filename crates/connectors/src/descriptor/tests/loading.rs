//! Descriptors load, validate, and are refused with the file and path at fault;
//! the engine's own rules (event types, strict templates, bad input) hold.

use super::{fixture, received, run};
use super::{normalize_bytes, normalizer};
use crate::descriptor::{
    builtin_descriptors, builtin_errors, catalogue, load_user_descriptors, parse_descriptor,
    DescriptorKind, DescriptorNormalizer, SCHEMA,
};
use crate::runtime::{Context, NormalizeError};
use causeway_core::{SignalKind, SignalStatus};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../descriptors");

fn files() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "schema.json")
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_descriptor_file_is_built_in_and_valid() {
    assert!(builtin_errors().is_empty(), "{:?}", builtin_errors());
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let all = files();
    assert_eq!(all.len(), 42, "descriptor files");
    assert_eq!(
        builtin_descriptors().count(),
        all.len(),
        "each file is embedded"
    );
    for (name, text) in &all {
        let v: Value = serde_json::from_str(text).unwrap();
        assert!(validator.is_valid(&v), "{name} fails schema.json");
        let d = parse_descriptor(name, text).unwrap();
        assert_eq!(format!("{}.json", d.id), *name, "file named after its id");
        assert!(
            builtin_descriptors().any(|b| *b == d),
            "{name} is not built in"
        );
        assert_eq!(
            d.kind == DescriptorKind::Native,
            d.mapping.is_none() && d.polling.is_none(),
            "{name}"
        );
        // A connector that only polls is covered by its recorded API answers
        // (tests/catalogue_polling.rs); the Prometheus poller by a real one.
        // The others map a fixture through the registry (registry::tests).
        if d.ingestion.mode == crate::descriptor::IngestionMode::Polling {
            assert!(
                d.polling.is_some() || d.kind == DescriptorKind::Native,
                "{name}: polls without a polling section"
            );
        }
    }
}

#[test]
fn catalogue_lists_every_connector_with_its_form() {
    let c = catalogue();
    let ids: Vec<&str> = c.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids[0], "alertmanager");
    for id in [
        "grafana",
        "pagerduty",
        "github",
        "kubernetes-events",
        "cloudwatch",
    ] {
        assert!(ids.contains(&id), "{id} missing from the catalogue");
    }
    let gh = c.iter().find(|s| s.id == "github").unwrap();
    let v = serde_json::to_value(gh).unwrap();
    assert_eq!(v["category"], "Code & DevOps");
    assert_eq!(v["auth"]["type"], "webhook_secret");
    assert_eq!(v["ingestion"]["eventTypeHeader"], "x-github-event");
    assert_eq!(
        v["configSchema"]["properties"]["webhookSecret"]["x-secret"],
        true
    );
    let am = c.iter().find(|s| s.id == "alertmanager").unwrap();
    assert_eq!(serde_json::to_value(am).unwrap()["kind"], "native");
}

fn minimal() -> Value {
    json!({
        "id": "acme", "name": "Acme", "description": "Acme alerts", "category": "Custom",
        "icon": "acme", "kind": "generic", "version": "1.0.0",
        "auth": {"type": "none"}, "ingestion": {"mode": "webhook"},
        "mapping": {"sourceType": "ACME", "title": "{{ root.name }}"},
        "configSchema": {"type": "object"}
    })
}

fn refused(name: &str, v: &Value) -> (String, String) {
    let e = parse_descriptor(name, &v.to_string())
        .and_then(|d| DescriptorNormalizer::new(name, d).map(|_| ()))
        .unwrap_err();
    assert_eq!(e.file, name);
    assert!(e.to_string().contains(name), "{e}");
    (e.path, e.message)
}

#[test]
fn a_broken_descriptor_is_refused_naming_file_and_path() {
    parse_descriptor("ok.json", &minimal().to_string()).unwrap();
    let mut v = minimal();
    v["category"] = json!("Toys");
    assert_eq!(refused("cat.json", &v).0, "/category");
    let mut v = minimal();
    v["mapping"]["severity"] = json!({"path": "level", "default": "medium"});
    assert_eq!(refused("sev.json", &v).0, "/mapping/severity/path");
    let mut v = minimal();
    v["mapping"]["titel"] = json!("typo");
    let (path, msg) = refused("typo.json", &v);
    assert_eq!(path, "/mapping");
    assert!(msg.contains("titel"), "{msg}");
    let mut v = minimal();
    v["mapping"]["variants"] = json!([{"when": {"path": "$.root.x"}, "kind": "alarm"}]);
    assert_eq!(refused("kind.json", &v).0, "/mapping/variants/0/kind");
    // Checks beyond the schema, at compile: JSONPath, templates, regexes, words.
    let mut v = minimal();
    v["mapping"]["idPath"] = json!("$.root[");
    assert_eq!(refused("path.json", &v).0, "/mapping/idPath");
    let mut v = minimal();
    v["mapping"]["title"] = json!("{{ root.name ");
    assert_eq!(refused("tpl.json", &v).0, "/mapping/title");
    let mut v = minimal();
    v["mapping"]["kind"] =
        json!([{"when": {"path": "$.root.a", "matches": "("}, "then": "change"}]);
    assert_eq!(refused("re.json", &v).0, "/mapping/kind/0/when/matches");
    let mut v = minimal();
    v["mapping"]["status"] = json!({"path": "$.root.s", "map": {"up": "fine"}});
    assert_eq!(refused("map.json", &v).0, "/mapping/status/map/up");
    let mut v = minimal();
    v["configSchema"] = json!({"type": "object", "properties": {"a": {"type": "nonsense"}}});
    assert_eq!(refused("cfg.json", &v).0, "/configSchema/properties/a/type");
    let mut v = minimal();
    v.as_object_mut().unwrap().remove("mapping");
    assert_eq!(refused("nomap.json", &v).0, "/mapping");
    let e = parse_descriptor("junk.json", "{not json").unwrap_err();
    assert!(e.to_string().starts_with("descriptor junk.json"), "{e}");
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "causeway-descriptors-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn user_descriptors_are_added_but_never_shadow() {
    let dir = temp_dir("ok");
    let mut v = minimal();
    v["id"] = json!("acme-user");
    std::fs::write(dir.join("acme.json"), v.to_string()).unwrap();
    assert_eq!(load_user_descriptors(&dir).unwrap(), vec!["acme-user"]);
    let s = run("acme-user", br#"{"name": "disk full"}"#, &[]);
    assert_eq!(s[0].title, "disk full");
    assert!(catalogue().iter().any(|c| c.id == "acme-user"));
    // Loading it again would silently replace it: refused.
    let e = load_user_descriptors(&dir).unwrap_err();
    assert!(
        e.to_string().contains("acme.json") && e.path == "/id",
        "{e}"
    );

    let dir = temp_dir("shadow");
    let mut v = minimal();
    v["id"] = json!("grafana");
    std::fs::write(dir.join("mine.json"), v.to_string()).unwrap();
    let e = load_user_descriptors(&dir).unwrap_err();
    assert!(e.file.ends_with("mine.json"), "{e}");
    assert!(e.message.contains("built-in"), "{e}");
    assert_eq!(normalizer("grafana").unwrap().id(), "grafana");

    let dir = temp_dir("broken");
    std::fs::write(dir.join("bad.json"), "{\"id\": 3}").unwrap();
    let e = load_user_descriptors(&dir).unwrap_err();
    assert!(e.file.ends_with("bad.json"), "{e}");
}

#[test]
fn event_types_steer_and_unknown_ones_are_refused() {
    let body = fixture("github", "push.payload.json");
    let s = run("github", &body, &[("x-github-event", "push")]);
    assert_eq!(s[0].kind, SignalKind::Change);
    // No header: still one signal, a plain event.
    let s = run("github", &body, &[]);
    assert_eq!(
        (s[0].kind, s[0].status),
        (SignalKind::Event, SignalStatus::Info)
    );
    assert_eq!(s[0].title, "GitHub event in Codertocat/Hello-World");
    let headers: BTreeMap<String, String> =
        [("x-github-event".to_string(), "star".to_string())].into();
    let ctx = Context {
        project: "p",
        instance: "i",
        received_at: received(),
        raw_ref: "x",
        headers: &headers,
    };
    let e = normalize_bytes("github", &body, &ctx).unwrap_err();
    assert!(e.to_string().contains("event type 'star'"), "{e}");
}

#[test]
fn bad_payloads_are_clear_errors_not_panics() {
    let ctx = Context {
        project: "p",
        instance: "i",
        received_at: received(),
        raw_ref: "x",
        headers: &BTreeMap::new(),
    };
    for id in [
        "grafana",
        "pagerduty",
        "datadog",
        "sentry",
        "github",
        "kubernetes-events",
        "opsgenie",
        "newrelic",
        "cloudwatch",
        "stackdriver",
        "pingdom",
        "graylog",
        "azure-monitor",
        "zabbix",
        "uptimerobot",
        "splunk",
        "gcp-pubsub",
        "freshping",
        "uptime-kuma",
        "betterstack",
        "checkly",
        "honeycomb",
        "dynatrace",
        "icinga2",
        "elastalert",
        "incident-io",
    ] {
        for body in [
            &b"[]"[..],
            b"{}",
            b"null",
            b"{\"alerts\": [1, null]}",
            b"{\"Message\": \"{\"}",
        ] {
            // Any outcome but a panic; an error names no payload value.
            if let Err(e) = normalize_bytes(id, body, &ctx) {
                assert!(!e.to_string().is_empty());
            }
        }
        assert!(matches!(
            normalize_bytes(id, b"not json", &ctx),
            Err(NormalizeError::NotJson(_))
        ));
    }
    // Sparse but plausible payloads still map (no strict-template trap).
    let sparse: &[(&str, Value)] = &[
        ("grafana", json!({"title": "x", "state": "alerting"})),
        (
            "pagerduty",
            json!({"event": {"event_type": "incident.triggered"}}),
        ),
        (
            "sentry",
            json!({"action": "created", "data": {"issue": {"id": "1"}}}),
        ),
        (
            "kubernetes-events",
            json!({"involvedObject": {"kind": "Node", "name": "n1"}}),
        ),
        (
            "cloudwatch",
            json!({"Type": "Notification", "Message": "{\"AlarmName\": \"a\"}"}),
        ),
        ("graylog", json!({"event": {"message": "m"}})),
    ];
    for (id, body) in sparse {
        let s = normalize_bytes(id, body.to_string().as_bytes(), &ctx)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(s.len(), 1, "{id}");
    }
    // A template naming a field the sender left out yields nothing, and the
    // field falls back — never a dead letter (issue 15): the title to a
    // generic one, the fingerprint to a derived hash, not half a value.
    let mut v = minimal();
    v["mapping"]["title"] = json!("{{ root.secret.token }}");
    v["mapping"]["fingerprint"] = json!("acme:{{ root.id }}");
    v["mapping"]["correlationKey"] = json!({"template": "k:{{ root.key }}", "default": "k"});
    let d = parse_descriptor("t.json", &v.to_string()).unwrap();
    let n = DescriptorNormalizer::new("t.json", d).unwrap();
    let s = crate::runtime::Normalizer::normalize(&n, &json!({"name": "x"}), &ctx).unwrap();
    assert_eq!(s[0].title, "acme signal");
    assert_eq!(s[0].fingerprint.len(), 16, "derived, not 'acme:'");
    assert_eq!(s[0].correlation_key, "k");
    let s = crate::runtime::Normalizer::normalize(&n, &json!({"id": 7, "key": "a"}), &ctx).unwrap();
    assert_eq!(
        (s[0].fingerprint.as_str(), s[0].correlation_key.as_str()),
        ("acme:7", "k:a")
    );
    // The `default` filter is the way out.
    let mut v = minimal();
    v["mapping"]["title"] = json!("{{ root.title | default('untitled') }}");
    let n = DescriptorNormalizer::new(
        "t.json",
        parse_descriptor("t.json", &v.to_string()).unwrap(),
    )
    .unwrap();
    let s = crate::runtime::Normalizer::normalize(&n, &json!({}), &ctx).unwrap();
    assert_eq!(s[0].title, "untitled");
    assert_eq!(s[0].occurred_at, received());
    assert_eq!(s[0].fingerprint.len(), 16, "derived fingerprint");
    assert_eq!(s[0].correlation_key, s[0].fingerprint);
}

#[test]
fn resolve_and_firing_notifications_share_identity() {
    // Grafana: the same alert firing then resolved keeps its id.
    let dd_fire = &run(
        "datadog",
        &fixture("datadog", "causeway-rich-template-triggered.json"),
        &[],
    )[0];
    let dd_ok = &run(
        "datadog",
        &fixture("datadog", "causeway-rich-template-recovered.json"),
        &[],
    )[0];
    assert_eq!(dd_fire.fingerprint, dd_ok.fingerprint);
    assert_eq!(dd_fire.correlation_key, dd_ok.correlation_key);
    let pd_fire = &run(
        "pagerduty",
        &fixture("pagerduty", "causeway-events-v2-trigger.json"),
        &[],
    )[0];
    let pd_ok = &run(
        "pagerduty",
        &fixture("pagerduty", "causeway-events-v2-resolve.json"),
        &[],
    )[0];
    assert_eq!(pd_fire.fingerprint, pd_ok.fingerprint);
    let up = &run("pingdom", &fixture("pingdom", "alerta-up.json"), &[])[0];
    let down = &run("pingdom", &fixture("pingdom", "alerta-down.json"), &[])[0];
    assert_eq!(up.correlation_key, down.correlation_key);
    // The SNS subscription is not fetched: its URL is only offered.
    let confirm = &run(
        "cloudwatch",
        &fixture("cloudwatch", "alerta-sns-subscription-confirmation.json"),
        &[],
    )[0];
    assert!(confirm
        .external_url
        .as_deref()
        .unwrap()
        .contains("Action=ConfirmSubscription"));
    assert_eq!(confirm.kind, SignalKind::Event);
}

/// The setup form and the webhook gateway agree on where a connector that
/// verifies with a shared secret keeps it: `webhookSecret`, marked secret.
/// (`google_oidc` checks Google's signed tokens and keeps none.)
#[test]
fn every_verifying_descriptor_asks_for_webhook_secret() {
    for d in crate::descriptor::catalogue() {
        let verifies = d
            .auth
            .scheme
            .as_ref()
            .is_some_and(crate::verify::Scheme::needs_secret);
        let field = &d.config_schema["properties"]["webhookSecret"];
        if verifies {
            assert_eq!(
                field["x-secret"], true,
                "{} verifies webhooks but its form has no secret webhookSecret",
                d.id
            );
            assert!(
                field["description"].as_str().is_some_and(|s| s.len() > 10),
                "{}: say where the secret comes from",
                d.id
            );
        } else {
            assert!(
                field.is_null(),
                "{} asks for a secret it never checks",
                d.id
            );
        }
    }
}

#[test]
fn deliveries_that_are_not_alerts_are_taken_and_yield_nothing() {
    let mut v = minimal();
    v["ingestion"] = json!({"mode": "webhook", "eventTypePath": "$.root.action",
        "eventTypes": ["create", "close"], "ignoredEventTypes": ["AddNote"]});
    v["mapping"]["itemsPath"] = json!("$.root.checks[*]");
    v["mapping"]["title"] = json!("{{ item.name }}");
    v["mapping"]["onlyWhen"] =
        json!({"path": "$.item.conclusion", "matches": "^(failure|timed_out)$"});
    v["mapping"]["skipWhen"] = json!([[{"path": "$.item.name", "equals": "flaky"}, {"path": "$.item.conclusion", "equals": "timed_out"}]]);
    let n = DescriptorNormalizer::new(
        "t.json",
        parse_descriptor("t.json", &v.to_string()).unwrap(),
    )
    .unwrap();
    let ctx = Context {
        project: "p",
        instance: "i",
        received_at: received(),
        raw_ref: "x",
        headers: &BTreeMap::new(),
    };
    let body = json!({"action": "create", "checks": [
        {"name": "lint", "conclusion": "success"},
        {"name": "test", "conclusion": "failure"},
        {"name": "build"},
        {"name": "flaky", "conclusion": "timed_out"},
        {"name": "e2e", "conclusion": "timed_out"}]});
    let s = crate::runtime::Normalizer::normalize(&n, &body, &ctx).unwrap();
    let titles: Vec<&str> = s.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["test", "e2e"]);
    // Each keeps its place in the payload.
    assert_eq!(s[1].raw_ref.as_deref(), Some("x#4"));
    // An ignored event type is taken (no error) and says nothing, whatever
    // its case; an unknown one is still refused.
    for action in ["AddNote", "addnote"] {
        let body = json!({"action": action, "checks": [{"name": "t", "conclusion": "failure"}]});
        assert!(crate::runtime::Normalizer::normalize(&n, &body, &ctx)
            .unwrap()
            .is_empty());
    }
    let body = json!({"action": "star", "checks": []});
    assert!(crate::runtime::Normalizer::normalize(&n, &body, &ctx).is_err());
    // GitHub: a ping, a queued and a successful check are taken and dropped;
    // a failed one fires.
    let github = |event: &str, body: Value| {
        let headers: BTreeMap<String, String> =
            [("x-github-event".to_string(), event.to_string())].into();
        let ctx = Context {
            headers: &headers,
            ..ctx.clone()
        };
        normalize_bytes("github", body.to_string().as_bytes(), &ctx).unwrap()
    };
    assert!(github("ping", json!({"zen": "Design for failure."})).is_empty());
    let run = |status: &str, conclusion: Value| {
        json!({"action": "completed", "check_run": {"id": 1, "name": "ci", "status": status,
            "conclusion": conclusion}, "repository": {"name": "r", "full_name": "o/r"}})
    };
    assert!(github("check_run", run("queued", Value::Null)).is_empty());
    assert!(github("check_run", run("completed", json!("success"))).is_empty());
    let failed = github("check_run", run("completed", json!("failure")));
    assert_eq!(
        (failed[0].status, failed[0].kind, failed[0].title.as_str()),
        (SignalStatus::Firing, SignalKind::Alert, "Check ci failure")
    );
}
