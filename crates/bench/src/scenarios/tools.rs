//! The payloads of tools that send one request per transition: Datadog
//! monitors, PagerDuty (Events API v2 and v3 incident webhooks), Opsgenie
//! alerts, and GitHub pushes.

use super::conventions::{priority, Conventions};
use super::emit::{labels, millis, time, Line};
use super::faults::{Alert, On, Peer, Push};
use super::world::World;
use super::Rng;
use causeway_core::hash::{fnv1a, short_hex};
use serde_json::json;

/// Datadog's tags for what an alert is about: `(scope, extra tags)`.
fn datadog_tags(a: &Alert, world: &World) -> (String, Vec<String>) {
    let ns = world.namespace.as_str();
    let kind = |w: &str| {
        if world
            .workloads
            .get(w)
            .is_some_and(|x| x.kind == "statefulset")
        {
            "kube_stateful_set"
        } else {
            "kube_deployment"
        }
    };
    let (scope, mut tags) = match &a.on {
        On::Pod(w, p) => (
            format!("kube_namespace:{ns},pod_name:{p}"),
            vec![format!("{}:{w}", kind(w)), format!("service:{w}")],
        ),
        On::Workload(w) => (
            format!("kube_namespace:{ns},{}:{w}", kind(w)),
            vec![format!("service:{w}")],
        ),
        On::Service(s) => (
            format!("kube_namespace:{ns},kube_service:{s}"),
            vec![format!("service:{s}")],
        ),
        On::Node(n) => (format!("host:{n}"), vec![format!("kube_node:{n}")]),
        On::Url(u) => (
            String::new(),
            vec!["check_type:http".into(), format!("url:{u}")],
        ),
        On::Nothing => (String::new(), Vec::new()),
    };
    match &a.peer {
        Some(Peer::Service(s)) => tags.push(format!("peer.service:{s}")),
        Some(Peer::Host(h)) => tags.push(format!("out.host:{h}")),
        None => {}
    }
    (scope, tags)
}

pub fn datadog(a: &Alert, world: &World, conv: &Conventions, rng: &mut Rng) -> Vec<Line> {
    let (scopes, extra) = datadog_tags(a, world);
    let name = conv.monitor_name(a, &world.namespace);
    let monitor = fnv1a(&[&name]) % 100_000_000;
    let mut tags = vec!["env:prod".to_string()];
    tags.extend(
        scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from),
    );
    tags.extend(extra);
    let tags = tags.join(",");
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
    let p = priority(a.severity);
    for (at, transition) in transitions {
        let ms = millis(at).to_string();
        let shown = if transition == "Renotify" {
            "Triggered"
        } else {
            transition
        };
        let on = if scopes.is_empty() {
            String::new()
        } else {
            format!(" on {{{scopes}}}")
        };
        let body = json!({"body": format!("%%%\n{}\n%%%", a.summary), "last_updated": ms, "event_type": "query_alert_monitor",
            "title": format!("[{p}] [{shown}{on}] {name}"), "severity": p,
            "alert_type": if transition == "Recovered" { "success" } else { kind },
            "alert_transition": transition, "date": ms, "scopes": scopes, "org": {"id": "123456", "name": "Acme"},
            "url": format!("https://app.datadoghq.com/monitors/{monitor}"), "tags": format!("{tags},monitor"),
            "id": (rng.next_u64() % 9_000_000_000_000_000_000).to_string(), "monitor_id": monitor.to_string()});
        out.push(Line::of(at, "datadog", body, &a.cluster));
    }
    out
}

/// What a paging integration names as the alert's source and component.
fn source_of(a: &Alert) -> (String, String) {
    match &a.on {
        On::Pod(w, p) => (p.clone(), w.clone()),
        On::Workload(w) | On::Service(w) => (w.clone(), w.clone()),
        On::Node(n) => (n.clone(), n.clone()),
        On::Url(u) => {
            let host = u
                .split("://")
                .nth(1)
                .unwrap_or(u)
                .split('/')
                .next()
                .unwrap_or(u);
            (host.to_string(), u.clone())
        }
        On::Nothing => ("monitor".into(), "monitor".into()),
    }
}

pub fn pagerduty(a: &Alert, world: &World, conv: &Conventions) -> Vec<Line> {
    let ns = world.namespace.as_str();
    let (source, component) = source_of(a);
    let mut details = json!(labels(a, world, conv));
    if let On::Url(u) = &a.on {
        details["url"] = json!(u);
    }
    let dedup = format!("{ns}/{source}/{}", a.name);
    let severity = match a.severity {
        "critical" => "critical",
        "warning" => "warning",
        _ => "info",
    };
    let routing = "R0123456789ABCDEF0123456789ABCDE";
    let trigger = json!({"routing_key": routing, "event_action": "trigger", "dedup_key": dedup, "client": "Synthetic monitoring",
        "client_url": format!("https://monitor.example.com/checks/{}", short_hex(&[&component])),
        "payload": {"summary": a.summary, "source": source, "severity": severity, "timestamp": time(a.starts),
            "component": component, "group": ns, "class": conv.rule_name(a, world), "custom_details": details}});
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
pub fn pagerduty_incident(a: &Alert, rng: &mut Rng) -> Vec<Line> {
    let service = match &a.on {
        On::Pod(w, _) | On::Workload(w) | On::Service(w) => w.clone(),
        On::Node(n) => n.clone(),
        On::Url(_) => source_of(a).0,
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

/// An Opsgenie alert as its outgoing webhook tells it: created from the
/// Prometheus integration (the labels as details, the subject line
/// Alertmanager's), sometimes acknowledged, then closed. Priorities are
/// Opsgenie's `P1`–`P5`.
pub fn opsgenie(a: &Alert, world: &World, conv: &Conventions, rng: &mut Rng) -> Vec<Line> {
    let l = labels(a, world, conv);
    let rule = l["alertname"].clone();
    let values: Vec<&str> = l
        .iter()
        .filter(|(k, _)| k.as_str() != "alertname")
        .map(|(_, v)| v.as_str())
        .collect();
    let message = format!("[FIRING:1] {rule} ({})", values.join(" "));
    let alias = short_hex(&[&rule, &values.join(",")]);
    let alert_id = {
        let h = short_hex(&[&alias, &a.starts.to_string(), "og"]);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[0..4],
            &short_hex(&[&h])[..12]
        )
    };
    let tiny = (fnv1a(&[&alert_id]) % 9000 + 100).to_string();
    let tags: Vec<String> = ["namespace", "severity", "priority"]
        .iter()
        .filter_map(|k| l.get(*k).map(|v| format!("{k}:{v}")))
        .collect();
    let (entity, _) = source_of(a);
    let mut steps = vec![(a.starts, "Create")];
    if rng.chance(40) {
        steps.push((a.starts + rng.range(120, 600), "Acknowledge"));
    }
    steps.push((a.ends, "Close"));
    steps
        .into_iter()
        .map(|(at, action)| {
            let body = json!({"action": action,
                "alert": {"alertId": alert_id, "message": message, "tags": tags, "tinyId": tiny,
                    "entity": entity, "alias": alias, "createdAt": millis(a.starts), "updatedAt": millis(at) * 1_000_000,
                    "username": if action == "Acknowledge" { "oncall@acme.example" } else { "System" },
                    "description": a.summary, "priority": priority(a.severity), "source": "Prometheus",
                    "details": l, "teams": ["sre"]},
                "source": {"name": "Prometheus", "type": "API"},
                "integrationId": short_hex(&["opsgenie-prometheus"]), "integrationName": "Prometheus",
                "integrationType": "Prometheus"});
            Line::of(at, "opsgenie", body, &a.cluster)
        })
        .collect()
}

/// A GitHub `push` of one commit.
pub fn push(p: &Push) -> Line {
    let before = short_hex(&[&p.repo, &p.at.to_string(), "before"]);
    let after = short_hex(&[&p.repo, &p.at.to_string(), &p.message]);
    let sha = |h: &str| format!("{h}{}", &short_hex(&[h, "more"])[..8]);
    let (before, after) = (sha(&before), sha(&after));
    let person = json!({"name": p.author, "email": format!("{}@acme.example", p.author), "username": p.author});
    let commit = json!({"id": after, "tree_id": sha(&short_hex(&[&after, "tree"])), "distinct": true,
        "message": p.message, "timestamp": time(p.at),
        "url": format!("https://github.com/{}/commit/{after}", p.repo),
        "author": person, "committer": person, "added": [], "removed": [], "modified": p.modified});
    let name = p.repo.rsplit('/').next().unwrap_or(&p.repo);
    let body = json!({"ref": "refs/heads/main", "before": before, "after": after,
        "created": false, "deleted": false, "forced": false, "base_ref": null,
        "compare": format!("https://github.com/{}/compare/{}...{}", p.repo, &before[..12], &after[..12]),
        "commits": [commit], "head_commit": commit,
        "repository": {"id": fnv1a(&[&p.repo]) % 900_000_000, "name": name, "full_name": p.repo, "private": true,
            "html_url": format!("https://github.com/{}", p.repo), "default_branch": "main",
            "pushed_at": millis(p.at) / 1000},
        "pusher": {"name": p.author, "email": format!("{}@acme.example", p.author)},
        "sender": {"login": p.author, "type": "User"}});
    Line {
        at: p.at,
        source: "github",
        headers: Some(json!({"X-GitHub-Event": "push"})),
        body,
        clusters: vec![p.cluster.clone()],
    }
}
