//! Items → the payloads real tools send, as replay NDJSON, with the truth.
//!
//! Alertmanager groups by the suite's `group_by`, Grafana by folder and
//! alert name; a group notifies `group_wait` after its first alert and then
//! every `group_interval` while anything in it fires, each time with every
//! alert of the group (same fingerprints), and once more with the alerts
//! that resolved since. Datadog, PagerDuty and Opsgenie send one request
//! per transition ([`super::tools`]); Kubernetes Events are re-sent with a
//! growing `count`; a deploy is a GitHub `deployment_status`, a
//! configuration change a GitHub `push`.

use super::conventions::{Conventions, GroupBy};
use super::faults::{Alert, Scenario, Via};
use super::tools;
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

/// Milliseconds since the Unix epoch of suite second `t`.
pub fn millis(t: i64) -> i64 {
    (epoch() + Duration::seconds(t)).timestamp_millis()
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
    pub fn of(at: i64, source: &'static str, body: Value, cluster: &str) -> Line {
        Line {
            at,
            source,
            headers: None,
            body,
            clusters: vec![cluster.to_string()],
        }
    }
}

/// The labels of a Prometheus rule's alert under the suite's conventions.
pub fn labels(a: &Alert, world: &World, conv: &Conventions) -> BTreeMap<String, String> {
    let mut l = conv.subject_labels(a, world);
    l.insert("alertname".to_string(), conv.rule_name(a, world));
    let (key, word) = conv.severity_label(a.severity);
    l.insert(key.to_string(), word);
    l
}

/// The scenario as NDJSON (sorted by arrival) and its truth.
pub fn render(name: &str, world: &World, sc: &Scenario, rng: &mut Rng) -> (String, Truth) {
    let conv = &sc.conv;
    let mut lines = Vec::new();
    let am: Vec<&Alert> = sc
        .alerts
        .iter()
        .filter(|a| a.via == Via::Alertmanager)
        .collect();
    let group_key = |a: &Alert| {
        let l = labels(a, world, conv);
        let get = |k: &str| l.get(k).cloned().unwrap_or_default();
        match conv.group_by {
            GroupBy::Namespace => get("namespace"),
            GroupBy::AlertName => get("alertname"),
            GroupBy::AlertNameNamespace => format!("{}/{}", get("alertname"), get("namespace")),
            GroupBy::Each => format!("{l:?}"),
        }
    };
    for (at, items) in grouped(&am, group_key, conv.repeat) {
        lines.push(group_payload(false, world, conv, at, &items));
    }
    let gr: Vec<&Alert> = sc.alerts.iter().filter(|a| a.via == Via::Grafana).collect();
    let by_rule = |a: &Alert| conv.rule_name(a, world);
    for (at, items) in grouped(&gr, by_rule, 4 * 3600) {
        lines.push(group_payload(true, world, conv, at, &items));
    }
    for a in &sc.alerts {
        match a.via {
            Via::Datadog => lines.extend(tools::datadog(a, world, conv, rng)),
            Via::PagerDuty => lines.extend(tools::pagerduty(a, world, conv)),
            Via::PagerDutyIncident => lines.extend(tools::pagerduty_incident(a, rng)),
            Via::Opsgenie => lines.extend(tools::opsgenie(a, world, conv, rng)),
            _ => {}
        }
    }
    for e in &sc.events {
        for k in 0..e.repeats {
            let at = e.at + e.every * i64::from(k);
            let uid = short_hex(&[&e.name, &e.reason, &e.at.to_string()]);
            let mut involved =
                json!({"kind": e.kind, "name": e.name, "uid": short_hex(&[&e.name])});
            if let Some(n) = &e.namespace {
                involved["namespace"] = json!(n);
                involved["apiVersion"] = json!(match e.kind.as_str() {
                    "Pod" => "v1",
                    "Kustomization" => "kustomize.toolkit.fluxcd.io/v1",
                    _ => "apps/v1",
                });
            } else {
                involved["apiVersion"] = json!("v1");
            }
            let mut meta = json!({"name": format!("{}.{}", e.name, &uid[..12]), "namespace": e.namespace.as_deref().unwrap_or("default"), "uid": uid, "creationTimestamp": time(e.at)});
            if e.kind == "Kustomization" {
                let sha = short_hex(&[&e.message, "rev"]);
                meta["annotations"] =
                    json!({"kustomize.toolkit.fluxcd.io/revision": format!("main@sha1:{sha}")});
            }
            let body = json!({"apiVersion": "v1", "kind": "Event", "metadata": meta,
                "involvedObject": involved, "reason": e.reason, "message": e.message,
                "source": {"component": e.component},
                "reportingComponent": e.component,
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
    for p in &sc.pushes {
        lines.push(tools::push(p));
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

fn group_payload(
    grafana: bool,
    world: &World,
    conv: &Conventions,
    at: i64,
    items: &[(&Alert, bool)],
) -> Line {
    let mut alerts = Vec::new();
    let mut clusters = Vec::new();
    let mut common: Option<BTreeMap<String, String>> = None;
    for (a, resolved) in items {
        let mut labels = labels(a, world, conv);
        if grafana {
            labels.insert("grafana_folder".into(), world.name.clone());
        } else {
            labels.insert("prometheus".into(), "monitoring/k8s".into());
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
        let rule = labels["alertname"].clone();
        let (summary, description) = conv.annotations(a, &rule, &labels);
        let mut annotations = json!({"summary": summary,
            "runbook_url": format!("https://runbooks.prometheus-operator.dev/runbooks/{}", rule.to_lowercase())});
        if !description.is_empty() {
            annotations["description"] = json!(description);
        }
        let mut alert = json!({"status": if *resolved { "resolved" } else { "firing" },
            "labels": labels, "annotations": annotations,
            "startsAt": time(a.starts), "endsAt": ends,
            "generatorURL": format!("http://prometheus.monitoring:9090/graph?g0.expr={rule}"), "fingerprint": fingerprint});
        if grafana {
            alert["silenceURL"] = json!(format!("https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3D{rule}"));
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
    let get = |k: &str| common.get(k).cloned().unwrap_or_default();
    let (group_labels, group_key) = if grafana {
        let name = get("alertname");
        (json!({"alertname": name, "grafana_folder": world.name}), format!("{{}}/{{__grafana_autogenerated__=\"true\"}}/{{__grafana_receiver__=\"causeway\"}}:{{alertname=\"{name}\", grafana_folder=\"{}\"}}", world.name))
    } else {
        let group: BTreeMap<String, String> = match conv.group_by {
            GroupBy::Namespace => [("namespace", get("namespace"))].into(),
            GroupBy::AlertName => [("alertname", get("alertname"))].into(),
            GroupBy::AlertNameNamespace => [
                ("alertname", get("alertname")),
                ("namespace", get("namespace")),
            ]
            .into(),
            GroupBy::Each => common
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect::<Vec<_>>(),
        }
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let pairs: Vec<String> = group.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        (json!(group), format!("{{}}:{{{}}}", pairs.join(", ")))
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
