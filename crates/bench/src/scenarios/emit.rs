//! Items → the payloads real tools send, as replay NDJSON, with the truth.
//!
//! Alertmanager and Grafana group: Alertmanager by `namespace` (so one
//! notification carries the alerts of every incident in that namespace),
//! Grafana by folder and alert name; a group notifies `group_wait` after its
//! first alert and then every `group_interval` while anything in it fires,
//! each time with every alert of the group (same fingerprints), and once
//! more with the alerts that resolved since. Datadog and PagerDuty send one
//! request per transition; Kubernetes Events are re-sent with a growing
//! `count`; a deploy is a GitHub `deployment_status`.

use super::faults::{Alert, On, Scenario, Via};
use super::world::World;
use super::{Rng, Truth};
use causeway_core::hash::{fnv1a, short_hex};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const GROUP_WAIT: i64 = 30;
const GROUP_INTERVAL: i64 = 300;

/// Second 0 of every suite.
pub fn epoch() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .expect("valid")
        .with_timezone(&Utc)
}

pub fn time(t: i64) -> String {
    (epoch() + Duration::seconds(t)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One NDJSON line before numbering: when, what, and the cluster of each item.
pub struct Line {
    pub at: i64,
    pub source: &'static str,
    pub headers: Option<Value>,
    pub body: Value,
    pub clusters: Vec<String>,
}

impl Line {
    /// A payload without headers that belongs to one cluster.
    fn of(at: i64, source: &'static str, body: Value, cluster: &str) -> Line {
        Line {
            at,
            source,
            headers: None,
            body,
            clusters: vec![cluster.to_string()],
        }
    }
}

/// The scenario as NDJSON (sorted by arrival) and its truth.
pub fn render(name: &str, world: &World, sc: &Scenario, rng: &mut Rng) -> (String, Truth) {
    let mut lines = Vec::new();
    let ns = world.namespace.as_str();
    let am: Vec<&Alert> = sc
        .alerts
        .iter()
        .filter(|a| a.via == Via::Alertmanager)
        .collect();
    let by_ns = |a: &Alert| {
        am_labels(a, ns)
            .get("namespace")
            .cloned()
            .unwrap_or_default()
    };
    // Alertmanager's default repeat_interval is 4 h; many set 1 h.
    let repeat = if rng.chance(50) { 3600 } else { 4 * 3600 };
    for (at, items) in grouped(&am, by_ns, repeat) {
        lines.push(group_payload(false, world, at, &items, ns));
    }
    let gr: Vec<&Alert> = sc.alerts.iter().filter(|a| a.via == Via::Grafana).collect();
    for (at, items) in grouped(&gr, |a: &Alert| a.name.clone(), 4 * 3600) {
        lines.push(group_payload(true, world, at, &items, ns));
    }
    for a in &sc.alerts {
        match a.via {
            Via::Datadog => lines.extend(datadog(a, ns, rng)),
            Via::PagerDuty => lines.extend(pagerduty(a, ns)),
            Via::PagerDutyIncident => lines.extend(pagerduty_incident(a, rng)),
            _ => {}
        }
    }
    for e in &sc.events {
        for k in 0..e.repeats {
            let at = e.at + 60 * i64::from(k);
            let uid = short_hex(&[&e.name, &e.reason, &e.at.to_string()]);
            let mut involved =
                json!({"kind": e.kind, "name": e.name, "uid": short_hex(&[&e.name])});
            if let Some(n) = &e.namespace {
                involved["namespace"] = json!(n);
                involved["apiVersion"] = json!(if e.kind == "Pod" { "v1" } else { "apps/v1" });
            }
            let body = json!({"apiVersion": "v1", "kind": "Event",
                "metadata": {"name": format!("{}.{}", e.name, &uid[..12]), "namespace": e.namespace.as_deref().unwrap_or("default"), "uid": uid, "creationTimestamp": time(e.at)},
                "involvedObject": involved, "reason": e.reason, "message": e.message,
                "source": {"component": if e.kind == "Node" { "node-controller" } else if e.kind == "Deployment" { "deployment-controller" } else { "kubelet" }},
                "firstTimestamp": time(e.at), "lastTimestamp": time(at), "count": k + 1,
                "type": if e.warning { "Warning" } else { "Normal" }});
            lines.push(Line::of(at, "kubernetes-events", body, &e.cluster));
        }
    }
    for d in &sc.deploys {
        let id = fnv1a(&[&d.service, &d.at.to_string()]) % 1_000_000_000;
        let sha = short_hex(&[&d.service, "sha", &d.at.to_string()]);
        let body = json!({"action": "created",
            "deployment_status": {"id": id + 1, "state": "success", "environment": "production", "description": "Deployment finished successfully.",
                "target_url": format!("https://github.com/acme/{}/actions/runs/{id}", d.service), "created_at": time(d.at), "updated_at": time(d.at)},
            "deployment": {"id": id, "sha": sha, "ref": "main", "task": "deploy", "environment": "production", "created_at": time(d.at - 240)},
            "repository": {"name": d.service, "full_name": format!("acme/{}", d.service), "html_url": format!("https://github.com/acme/{}", d.service)},
            "sender": {"login": "release-bot"}});
        lines.push(Line {
            at: d.at,
            source: "github",
            headers: Some(json!({"X-GitHub-Event": "deployment_status"})),
            body,
            clusters: vec![d.cluster.clone()],
        });
    }
    // Stable: ties keep generation order.
    lines.sort_by_key(|l| l.at);
    let mut out = String::new();
    let mut truth = Truth {
        scenario: name.to_string(),
        topology: world.name.clone(),
        clusters: sc.clusters.clone(),
        refs: BTreeMap::new(),
    };
    for (n, l) in lines.iter().enumerate() {
        let mut v = Map::new();
        v.insert("at".into(), json!(time(l.at)));
        v.insert("source".into(), json!(l.source));
        if let Some(h) = &l.headers {
            v.insert("headers".into(), h.clone());
        }
        v.insert("body".into(), l.body.clone());
        out.push_str(&Value::Object(v).to_string());
        out.push('\n');
        for (i, c) in l.clusters.iter().enumerate() {
            truth.refs.insert(format!("{n}:{i}"), c.clone());
        }
    }
    (out, truth)
}

/// Alertmanager's dispatch, per group: the first notification
/// `group_wait` after the group's first alert; then, every
/// `group_interval`, a notification only if the group changed (an alert
/// fired or resolved) or `repeat` passed since the last one. A resolved
/// alert is sent once, then dropped; an empty group is gone, and the next
/// alert starts a new one. Each notification carries the whole group.
fn grouped<'a>(
    alerts: &[&'a Alert],
    key: impl Fn(&Alert) -> String,
    repeat: i64,
) -> Vec<(i64, Vec<(&'a Alert, bool)>)> {
    let mut groups: BTreeMap<String, Vec<&'a Alert>> = BTreeMap::new();
    for a in alerts {
        groups.entry(key(a)).or_default().push(a);
    }
    let mut out = Vec::new();
    for members in groups.into_values() {
        // alert index → whether it was last sent resolved.
        let mut sent: BTreeMap<usize, bool> = BTreeMap::new();
        let mut last: Option<i64> = None;
        let Some(mut t) = members
            .iter()
            .map(|a| a.starts)
            .min()
            .map(|s| s + GROUP_WAIT)
        else {
            continue;
        };
        loop {
            let items: Vec<(usize, &Alert, bool)> = members
                .iter()
                .enumerate()
                .filter(|(i, a)| a.starts <= t && sent.get(i) != Some(&true))
                .map(|(i, a)| (i, *a, a.ends <= t))
                .collect();
            if items.is_empty() {
                // Quiet: the group is gone; the next alert starts a new one.
                match members.iter().map(|a| a.starts).filter(|&s| s > t).min() {
                    Some(s) => {
                        t = s + GROUP_WAIT;
                        last = None;
                    }
                    None => break,
                }
                continue;
            }
            let changed = items.iter().any(|(i, _, r)| sent.get(i) != Some(r));
            let repeat_due = last.is_none_or(|l| t - l >= repeat);
            if changed || repeat_due {
                for (i, _, r) in &items {
                    sent.insert(*i, *r);
                }
                out.push((t, items.into_iter().map(|(_, a, r)| (a, r)).collect()));
                last = Some(t);
            }
            t += GROUP_INTERVAL;
        }
    }
    out
}

fn am_labels(a: &Alert, ns: &str) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert("alertname".to_string(), a.name.clone());
    l.insert("severity".into(), a.severity.into());
    l.insert("prometheus".into(), "monitoring/k8s".into());
    let mut put = |k: &str, v: &str| l.insert(k.to_string(), v.to_string());
    match &a.on {
        On::Pod(w, p) => {
            put("namespace", ns);
            put("pod", p);
            put("container", w);
        }
        On::Workload(w) => {
            put("namespace", ns);
            put("deployment", w);
        }
        On::Service(s) => {
            put("namespace", ns);
            put("service", s);
            put("job", s);
        }
        On::Node(n) => {
            put("namespace", "monitoring");
            put("node", n);
            put("instance", &format!("{n}:9100"));
            put("job", "node-exporter");
        }
        On::Nothing => match &a.job {
            Some(job) => {
                put("namespace", ns);
                put("job_name", job);
                put("job", "kube-state-metrics");
            }
            None => {
                put("namespace", "monitoring");
            }
        },
    }
    l
}

fn group_payload(
    grafana: bool,
    world: &World,
    at: i64,
    items: &[(&Alert, bool)],
    ns: &str,
) -> Line {
    let mut alerts = Vec::new();
    let mut clusters = Vec::new();
    let mut common: Option<BTreeMap<String, String>> = None;
    for (a, resolved) in items {
        let mut labels = am_labels(a, ns);
        if grafana {
            labels.insert("grafana_folder".into(), world.name.clone());
        }
        let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let fingerprint = short_hex(&parts);
        common = Some(match common {
            None => labels.clone(),
            Some(c) => c
                .into_iter()
                .filter(|(k, v)| labels.get(k) == Some(v))
                .collect(),
        });
        let ends = if *resolved {
            time(a.ends)
        } else {
            "0001-01-01T00:00:00Z".into()
        };
        let mut alert = json!({"status": if *resolved { "resolved" } else { "firing" },
            "labels": labels, "annotations": {"summary": a.summary, "runbook_url": format!("https://runbooks.prometheus-operator.dev/runbooks/{}", a.name.to_lowercase())},
            "startsAt": time(a.starts), "endsAt": ends,
            "generatorURL": format!("http://prometheus.monitoring:9090/graph?g0.expr={}", a.name), "fingerprint": fingerprint});
        if grafana {
            alert["silenceURL"] = json!(format!("https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3D{}", a.name));
            alert["dashboardURL"] = json!("");
            alert["panelURL"] = json!("");
            alert["generatorURL"] = json!(format!(
                "https://grafana.example.com/alerting/grafana/{}/view",
                &fingerprint[..9]
            ));
        }
        alerts.push(alert);
        clusters.push(a.cluster.clone());
    }
    let firing = items.iter().any(|(_, r)| !r);
    let status = if firing { "firing" } else { "resolved" };
    let common = common.unwrap_or_default();
    let (group_labels, group_key) = if grafana {
        let name = common.get("alertname").cloned().unwrap_or_default();
        (json!({"alertname": name, "grafana_folder": world.name}), format!("{{}}/{{__grafana_autogenerated__=\"true\"}}/{{__grafana_receiver__=\"causeway\"}}:{{alertname=\"{name}\", grafana_folder=\"{}\"}}", world.name))
    } else {
        let n = common.get("namespace").cloned().unwrap_or_default();
        (
            json!({"namespace": n}),
            format!("{{}}:{{namespace=\"{n}\"}}"),
        )
    };
    let mut body = json!({"receiver": "causeway", "status": status, "alerts": alerts, "groupLabels": group_labels,
        "commonLabels": common, "commonAnnotations": {}, "externalURL": if grafana { "https://grafana.example.com/" } else { "http://alertmanager.monitoring:9093" },
        "version": if grafana { "1" } else { "4" }, "groupKey": group_key, "truncatedAlerts": 0});
    if grafana {
        body["orgId"] = json!(1);
        body["state"] = json!(if firing { "alerting" } else { "ok" });
        body["title"] = json!(format!(
            "[{}] {}",
            status.to_uppercase(),
            group_labels["alertname"].as_str().unwrap_or_default()
        ));
        body["message"] = json!("");
    }
    Line {
        at,
        source: if grafana { "grafana" } else { "alertmanager" },
        headers: None,
        body,
        clusters,
    }
}

fn datadog(a: &Alert, ns: &str, rng: &mut Rng) -> Vec<Line> {
    let (scopes, svc) = match &a.on {
        On::Pod(w, p) => (format!("kube_namespace:{ns},pod_name:{p}"), Some(w)),
        On::Workload(w) => (format!("kube_namespace:{ns},kube_deployment:{w}"), Some(w)),
        On::Service(s) => (format!("kube_namespace:{ns},kube_service:{s}"), Some(s)),
        On::Node(n) => (format!("host:{n}"), None),
        On::Nothing => (String::new(), None),
    };
    let monitor = fnv1a(&[&a.name]) % 100_000_000;
    let mut tags = format!("env:prod,{scopes}");
    if let Some(s) = svc {
        tags.push_str(&format!(",service:{s}"));
    }
    let priority = match a.severity {
        "critical" => "P1",
        "warning" => "P3",
        _ => "P5",
    };
    let kind = if a.severity == "critical" {
        "error"
    } else {
        "warning"
    };
    let mut out = Vec::new();
    // Half the monitors renotify every 15 minutes while they stay triggered.
    let mut transitions = vec![(a.starts, "Triggered")];
    if rng.chance(50) {
        let mut at = a.starts + 900;
        while at < a.ends {
            transitions.push((at, "Renotify"));
            at += 900;
        }
    }
    transitions.push((a.ends, "Recovered"));
    for (at, transition) in transitions {
        let ms = (epoch() + Duration::seconds(at))
            .timestamp_millis()
            .to_string();
        let body = json!({"body": format!("%%%\n{}\n%%%", a.summary), "last_updated": ms, "event_type": "query_alert_monitor",
            "title": format!("[{priority}] [{} on {{{scopes}}}] {}", if transition == "Renotify" { "Triggered" } else { transition }, a.name), "severity": priority,
            "alert_type": if transition == "Recovered" { "success" } else { kind },
            "alert_transition": transition, "date": ms, "scopes": scopes, "org": {"id": "123456", "name": "Acme"},
            "url": format!("https://app.datadoghq.com/monitors/{monitor}"), "tags": format!("{tags},monitor"),
            "id": (rng.next_u64() % 9_000_000_000_000_000_000).to_string(), "monitor_id": monitor.to_string()});
        out.push(Line::of(at, "datadog", body, &a.cluster));
    }
    out
}

fn pagerduty(a: &Alert, ns: &str) -> Vec<Line> {
    let (source, component, details) = match &a.on {
        On::Pod(w, p) => (p.clone(), w.clone(), json!({"namespace": ns, "pod": p})),
        On::Workload(w) => (
            w.clone(),
            w.clone(),
            json!({"namespace": ns, "deployment": w}),
        ),
        On::Service(s) => (
            s.clone(),
            s.clone(),
            json!({"namespace": ns, "kube_service": s}),
        ),
        On::Node(n) => (n.clone(), n.clone(), json!({"node": n})),
        On::Nothing => ("monitor".into(), "monitor".into(), json!({})),
    };
    let dedup = format!("{ns}/{source}/{}", a.name);
    let severity = match a.severity {
        "critical" => "critical",
        "warning" => "warning",
        _ => "info",
    };
    let routing = "R0123456789ABCDEF0123456789ABCDE";
    let trigger = json!({"routing_key": routing, "event_action": "trigger", "dedup_key": dedup, "client": "Synthetic monitoring",
        "client_url": format!("https://monitor.example.com/checks/{component}"),
        "payload": {"summary": a.summary, "source": source, "severity": severity, "timestamp": time(a.starts),
            "component": component, "group": ns, "class": a.name, "custom_details": details}});
    let resolve = json!({"routing_key": routing, "event_action": "resolve", "dedup_key": dedup});
    [(a.starts, trigger), (a.ends, resolve)]
        .into_iter()
        .map(|(at, body)| Line::of(at, "pagerduty", body, &a.cluster))
        .collect()
}

/// A PagerDuty incident as its v3 webhooks tell it: triggered, sometimes
/// acknowledged by the on-call a few minutes later, then resolved. PagerDuty
/// knows its own service (named after the application's service here), not
/// the Kubernetes object.
fn pagerduty_incident(a: &Alert, rng: &mut Rng) -> Vec<Line> {
    let service = match &a.on {
        On::Pod(w, _) | On::Workload(w) | On::Service(w) => w.clone(),
        On::Node(n) => n.clone(),
        On::Nothing => "monitoring".into(),
    };
    let id = format!(
        "Q{}",
        &short_hex(&[&a.name, &service, &a.starts.to_string()])[..6]
    )
    .to_uppercase();
    let number = fnv1a(&[&id]) % 10_000;
    let svc_id = format!("P{}", &short_hex(&[&service])[..6]).to_uppercase();
    let urgency = if a.severity == "critical" {
        "high"
    } else {
        "low"
    };
    let mut steps = vec![(a.starts, "incident.triggered", "triggered")];
    if rng.chance(50) {
        steps.push((
            a.starts + rng.range(60, 300),
            "incident.acknowledged",
            "acknowledged",
        ));
    }
    steps.push((a.ends, "incident.resolved", "resolved"));
    steps
        .into_iter()
        .map(|(at, event_type, status)| {
            let body = json!({"event": {"id": short_hex(&[&id, event_type]).to_uppercase(), "event_type": event_type,
                "resource_type": "incident", "occurred_at": time(at),
                "agent": {"id": "PAGENT1", "summary": "Alertmanager", "type": "service_reference"},
                "client": null,
                "data": {"id": id, "type": "incident", "self": format!("https://api.pagerduty.com/incidents/{id}"),
                    "html_url": format!("https://acme.pagerduty.com/incidents/{id}"), "number": number,
                    "status": status, "title": a.summary, "created_at": time(a.starts),
                    "service": {"id": svc_id, "summary": service, "type": "service_reference",
                        "html_url": format!("https://acme.pagerduty.com/services/{svc_id}")},
                    "assignees": [{"id": "PUSER01", "summary": "On-call SRE", "type": "user_reference"}],
                    "escalation_policy": {"id": "PESC001", "summary": "Default", "type": "escalation_policy_reference"},
                    "teams": [], "priority": null, "urgency": urgency, "conference_bridge": null, "resolve_reason": null}}});
            Line::of(at, "pagerduty", body, &a.cluster)
        })
        .collect()
}
