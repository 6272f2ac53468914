//! Time-scripted scenarios for the trace, topology and temporal stages, and
//! the analysis over the topology (root cause, impact, pattern, action).

use super::*;
use crate::entity::Entity;
use crate::signal::SignalStatus;
use crate::topology::TopologyBuilder;
use crate::SignalKind;
use chrono::TimeZone;
use serde_json::{json, Value};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

fn sig(fp: &str, entity: Option<&str>, title: &str, secs: i64) -> Signal {
    crate::signal::test_alert(format!("sig-{fp}-{secs}"), fp, entity, title, t(secs))
}

fn resolved(mut s: Signal, secs: i64) -> Signal {
    s.status = SignalStatus::Resolved;
    s.ended_at = Some(t(secs));
    s.received_at = t(secs);
    s
}

fn deployment(name: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}}}})
}

fn service(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"selector": {"app": name}}})
}

fn pod(name: &str, app: &str, node: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": app}},
        "spec": {"nodeName": node, "containers": [{"name": "c"}]}})
}

/// frontend → cartservice → redis-cart and checkoutservice → paymentservice,
/// one Pod each on three Nodes.
fn shop() -> Arc<Topology> {
    let apps = [
        "frontend",
        "cartservice",
        "redis-cart",
        "checkoutservice",
        "paymentservice",
    ];
    let mut docs: Vec<Value> = apps.iter().map(|a| deployment(a)).collect();
    docs.extend(apps.iter().map(|a| service(a)));
    docs.extend([
        pod("frontend-5c9d7f6b48-kp2vd", "frontend", "node-1"),
        pod("cartservice-7d9f8b6c5-x2b4k", "cartservice", "node-1"),
        pod("redis-cart-6f4d8c7b9-k2m4p", "redis-cart", "node-2"),
        pod(
            "checkoutservice-8f6d5c4b9-zz9q2",
            "checkoutservice",
            "node-3",
        ),
        pod("paymentservice-6b4f8d9c7-q8zrm", "paymentservice", "node-3"),
    ]);
    for n in ["node-1", "node-2", "node-3"] {
        docs.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}}));
    }
    docs.push(
        json!({"apiVersion": "causeway/v1", "kind": "ServiceGraph", "calls": [
            {"from": "frontend", "to": "cartservice", "namespace": "shop"},
            {"from": "cartservice", "to": "redis-cart", "namespace": "shop"},
            {"from": "checkoutservice", "to": "paymentservice", "namespace": "shop"},
        ]}),
    );
    let mut b = TopologyBuilder::new();
    for d in &docs {
        assert!(b.add_document(d).is_empty(), "{d}");
    }
    Arc::new(b.build())
}

/// Runs `signals` through `engine`: each decision's (incident, strategy,
/// confidence band, explanation), and each incident's signals.
type Run = (
    Vec<Option<(String, LinkStrategy, Confidence, String)>>,
    BTreeMap<String, Vec<Signal>>,
);

fn run(engine: &mut Engine, signals: &[Signal]) -> Run {
    let mut decisions = Vec::new();
    let mut members: BTreeMap<String, Vec<Signal>> = BTreeMap::new();
    for s in signals {
        match engine.observe(s) {
            Decision::Attach { link, .. } => {
                members
                    .entry(link.incident_id.clone())
                    .or_default()
                    .push(s.clone());
                decisions.push(Some((
                    link.incident_id,
                    link.strategy,
                    link.confidence,
                    link.explanation,
                )));
            }
            Decision::Unassigned { .. } => decisions.push(None),
        }
    }
    (decisions, members)
}

fn cascade() -> Vec<Signal> {
    vec![
        sig(
            "redis-oom",
            Some("pod/shop/redis-cart-6f4d8c7b9-k2m4p"),
            "OOMKilled",
            0,
        ),
        sig(
            "cart-err",
            Some("deployment/shop/cartservice"),
            "cartservice error rate high",
            40,
        ),
        sig(
            "pay-lat",
            Some("deployment/shop/paymentservice"),
            "paymentservice latency high",
            60,
        ),
        sig("fe-err", Some("service/shop/frontend"), "frontend 5xx", 90),
    ]
}

/// The settings with link scores as the strategies state them (the
/// calibration that maps them to probabilities has tests of its own).
fn raw() -> CorrelationConfig {
    CorrelationConfig {
        calibration: Vec::new(),
        ..CorrelationConfig::default()
    }
}

fn names(es: &[Entity]) -> Vec<String> {
    es.iter().map(ToString::to_string).collect()
}

#[test]
fn a_cascade_joins_over_the_call_graph_and_the_callee_is_the_root() {
    let mut e = Engine::with_topology(raw(), shop());
    let (d, members) = run(&mut e, &cascade());
    let redis = d[0].clone().unwrap().0;
    let cart = d[1].clone().unwrap();
    assert_eq!(cart.0, redis);
    assert_eq!(cart.1, LinkStrategy::Topology);
    assert_eq!(cart.2, Confidence::Medium);
    assert_eq!(cart.3, "cartservice calls redis-cart, 40 s apart");
    let fe = d[3].clone().unwrap();
    assert_eq!(fe.0, redis);
    assert_eq!(fe.1, LinkStrategy::Topology);
    assert_eq!(fe.3, "frontend calls cartservice, 50 s apart");
    // The unrelated service alerting at the same time opens its own.
    let pay = d[2].clone().unwrap();
    assert_ne!(pay.0, redis);
    assert_eq!(pay.1, LinkStrategy::Rule);

    let a = e.analyse(&members[&redis]);
    let root = a.root_cause.unwrap();
    assert_eq!(root.entity.to_string(), "deployment/shop/redis-cart");
    assert!(
        root.explanation.starts_with(
            "most upstream: cartservice and frontend depend on it; earliest onset, 40 s before the next; out of memory (\"OOMKilled\")"
        ),
        "{}",
        root.explanation
    );
    assert!(root.confidence > 0.8, "{}", root.confidence);
    assert_eq!(
        names(&a.impacted),
        ["service/shop/cartservice", "service/shop/frontend"]
    );
    assert_eq!(
        a.insight.as_deref(),
        Some("Root cause: redis-cart out of memory, affecting cartservice, frontend")
    );
    assert_eq!(a.pattern.as_deref(), Some("cascading_failure"));
    assert_eq!(a.action, None);
    let calls: Vec<_> = a
        .graph
        .edges
        .iter()
        .filter(|x| x.relation == "calls")
        .collect();
    assert_eq!(calls.len(), 2, "{:?}", a.graph.edges);
}

#[test]
fn outside_the_topology_window_opens_a_new_incident() {
    let mut e = Engine::with_topology(raw(), shop());
    let (d, _) = run(
        &mut e,
        &[
            sig(
                "redis-oom",
                Some("deployment/shop/redis-cart"),
                "OOMKilled",
                0,
            ),
            sig(
                "cart-err",
                Some("deployment/shop/cartservice"),
                "errors",
                16 * 60,
            ),
        ],
    );
    let (first, second) = (d[0].clone().unwrap(), d[1].clone().unwrap());
    assert_ne!(first.0, second.0);
    assert_eq!(second.1, LinkStrategy::Rule);
    // Without a topology the engine groups as before: by workload only.
    let mut plain = Engine::default();
    let (d, _) = run(&mut plain, &cascade());
    assert!(d
        .iter()
        .all(|x| x.as_ref().unwrap().1 == LinkStrategy::Rule));
}

#[test]
fn same_trace_joins_with_high_confidence() {
    let mut e = Engine::with_topology(raw(), shop());
    let mut a = sig(
        "checkout",
        Some("deployment/shop/checkoutservice"),
        "checkout failed",
        0,
    );
    a.trace_id = Some("4bf92f3577b34da6a3ce929d0e0e4736".into());
    let mut b = sig("gw", None, "gateway 502", 20 * 60);
    b.trace_id = a.trace_id.clone();
    let (d, _) = run(&mut e, &[a, b]);
    let (first, second) = (d[0].clone().unwrap(), d[1].clone().unwrap());
    assert_eq!(first.0, second.0);
    assert_eq!(second.1, LinkStrategy::Trace);
    assert_eq!(second.2, Confidence::High);
    assert_eq!(second.3, "same trace 4bf92f35… as 'checkout failed'");
}

#[test]
fn a_trace_match_names_its_signal_after_a_person_reopens_the_incident() {
    let mut e = Engine::with_topology(raw(), shop());
    let mut a = sig(
        "checkout",
        Some("deployment/shop/checkoutservice"),
        "checkout failed",
        0,
    );
    a.trace_id = Some("4bf92f3577b34da6a3ce929d0e0e4736".into());
    let mut b = sig("gw", None, "gateway 502", 20 * 60);
    b.trace_id = a.trace_id.clone();
    let (d, _) = run(&mut e, &[a.clone(), resolved(a, 60)]);
    let id = d[0].clone().unwrap().0;
    // It resolves and leaves the indexes; a person opens it again.
    e.advance(t(19 * 60));
    assert_eq!(e.incident(&id).unwrap().status, IncidentStatus::Resolved);
    assert!(e.set_status(&id, IncidentStatus::Active, t(19 * 60)));
    let (d, _) = run(&mut e, &[b]);
    let b = d[0].clone().unwrap();
    assert_eq!((b.0.as_str(), b.1), (id.as_str(), LinkStrategy::Trace));
    assert_eq!(b.3, "same trace 4bf92f35… as 'checkout failed'");
}

#[test]
fn a_node_failure_groups_its_pods_under_the_node() {
    let mut e = Engine::with_topology(raw(), shop());
    let (d, members) = run(
        &mut e,
        &[
            sig("nn", Some("node/node-3"), "KubeNodeNotReady", 0),
            sig(
                "pay",
                Some("pod/shop/paymentservice-6b4f8d9c7-q8zrm"),
                "pod not ready",
                30,
            ),
            sig(
                "co",
                Some("pod/shop/checkoutservice-8f6d5c4b9-zz9q2"),
                "pod not ready",
                45,
            ),
        ],
    );
    let id = d[0].clone().unwrap().0;
    let pay = d[1].clone().unwrap();
    assert_eq!(pay.0, id);
    assert_eq!(
        pay.3,
        "pod paymentservice-6b4f8d9c7-q8zrm runs on node-3, 30 s apart"
    );
    assert_eq!(d[2].clone().unwrap().0, id);
    let a = e.analyse(&members[&id]);
    let root = a.root_cause.unwrap();
    assert_eq!(root.entity.to_string(), "node/node-3");
    assert!(
        root.explanation.contains("node not ready"),
        "{}",
        root.explanation
    );
    assert_eq!(a.pattern.as_deref(), Some("node_failure"));
    assert!(a.impacted.iter().any(|x| x.name == "paymentservice"));
    assert!(a
        .insight
        .unwrap()
        .starts_with("Root cause: node-3 node not ready, affecting"));
}

#[test]
fn a_deploy_then_errors_is_a_regression_with_a_rollback() {
    let mut e = Engine::with_topology(raw(), shop());
    let mut deploy = sig(
        "deploy",
        Some("deployment/shop/checkoutservice"),
        "deploy checkoutservice v2.3.1",
        0,
    );
    deploy.kind = SignalKind::Change;
    deploy.status = SignalStatus::Info;
    deploy.severity = Severity::Info;
    let (d, members) = run(
        &mut e,
        &[
            deploy,
            sig(
                "co-err",
                Some("pod/shop/checkoutservice-8f6d5c4b9-zz9q2"),
                "checkout error rate high",
                180,
            ),
        ],
    );
    assert!(d[0].is_none(), "a change alone is not an incident");
    let id = d[1].clone().unwrap().0;
    let a = e.analyse(&members[&id]);
    let root = a.root_cause.unwrap();
    assert_eq!(root.entity.to_string(), "deployment/shop/checkoutservice");
    assert!(
        root.explanation
            .contains("\"deploy checkoutservice v2.3.1\", 3 min before the first alert"),
        "{}",
        root.explanation
    );
    assert_eq!(a.pattern.as_deref(), Some("deployment_regression"));
    assert_eq!(
        a.action.as_deref(),
        Some("roll back deploy checkoutservice v2.3.1")
    );
    assert_eq!(
        a.insight.as_deref(),
        Some("Root cause: checkoutservice after \"deploy checkoutservice v2.3.1\"")
    );
}

#[test]
fn similar_titles_in_one_service_join_with_low_confidence() {
    let mut e = Engine::default();
    let with_service = |fp: &str, title: &str, secs: i64| {
        let mut s = sig(fp, None, title, secs);
        s.service = Some("billing".into());
        s
    };
    let (d, _) = run(
        &mut e,
        &[
            with_service("a", "High error rate billing API", 0),
            with_service("b", "High error rate billing worker", 60),
            with_service("c", "Certificate expires soon", 90),
            with_service("d", "High error rate billing API v2", 10 * 60),
        ],
    );
    let first = d[0].clone().unwrap();
    let b = d[1].clone().unwrap();
    assert_eq!(b.0, first.0);
    assert_eq!(b.1, LinkStrategy::Temporal);
    assert_eq!(b.2, Confidence::Low);
    assert_eq!(
        b.3,
        "same service billing, title like 'High error rate billing API' (67 % of words shared), 1 min apart"
    );
    // A certificate expiring is a forecast, not a failure: it joins
    // nothing and opens nothing. The same title much later is another
    // incident.
    assert_eq!(d[2], None);
    assert_ne!(d[3].clone().unwrap().0, first.0);
}

#[test]
fn an_alert_coming_back_by_itself_becomes_one_recurring_incident() {
    // Chronic from the third episode on (the default, chosen by
    // cross-validation, is the second).
    let config = CorrelationConfig {
        chronic_min_episodes: 3,
        ..raw()
    };
    let mut e = Engine::with_topology(config, shop());
    let mut ids = Vec::new();
    let mut members: BTreeMap<String, Vec<Signal>> = BTreeMap::new();
    for k in 0..4 {
        let start = k * 3600;
        let fire = sig(
            "disk",
            Some("deployment/shop/paymentservice"),
            "disk almost full",
            start,
        );
        let (d, m) = run(&mut e, std::slice::from_ref(&fire));
        let (id, strategy, _, why) = d[0].clone().unwrap();
        if k == 2 {
            assert_eq!(strategy, LinkStrategy::Key);
            assert!(why.contains("came back by itself 3 times"), "{why}");
        }
        ids.push(id.clone());
        for (i, s) in m {
            members.entry(i).or_default().extend(s);
        }
        if k == 0 {
            assert_eq!(
                e.analyse(&members[&id]).pattern.as_deref(),
                Some("resource_exhaustion")
            );
        }
        run(&mut e, &[resolved(fire, start + 300)]);
    }
    // Twice it could be a fault of its own; the third time by itself it is
    // a known, recurring condition: one incident from then on.
    assert_ne!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_eq!(ids[2], ids[3]);
    assert_eq!(
        e.analyse(&members[&ids[3]]).pattern.as_deref(),
        Some("recurring_failure")
    );
    let r = e.recurrence("disk").unwrap();
    assert_eq!((r.repeats, r.period_secs), (3, 3600));
}

#[test]
fn decisions_are_deterministic_and_survive_a_save_and_load() {
    let topo = shop();
    let signals = cascade();
    let mut a = Engine::with_topology(raw(), topo.clone());
    let mut b = Engine::with_topology(raw(), topo.clone());
    let (da, ma) = run(&mut a, &signals);
    let (db, _) = run(&mut b, &signals);
    assert_eq!(da, db);

    let mut c = Engine::with_topology(raw(), topo.clone());
    let (mut dc, _) = run(&mut c, &signals[..2]);
    let saved = serde_json::to_string(&c).unwrap();
    assert!(!saved.contains("topology\""), "the graph is not state");
    let mut loaded: Engine = serde_json::from_str(&saved).unwrap();
    loaded.set_topology(Some(topo));
    let (rest, _) = run(&mut loaded, &signals[2..]);
    dc.extend(rest);
    assert_eq!(da, dc);
    let id = da[0].clone().unwrap().0;
    assert_eq!(a.analyse(&ma[&id]), loaded.analyse(&ma[&id]));
}

#[test]
fn a_silent_service_between_two_alerting_ones_is_inferred_not_dropped() {
    let mut e = Engine::with_topology(raw(), shop());
    let (d, members) = run(
        &mut e,
        &[
            sig(
                "redis-oom",
                Some("deployment/shop/redis-cart"),
                "OOMKilled",
                0,
            ),
            sig(
                "fe-err",
                Some("deployment/shop/frontend"),
                "frontend 5xx",
                30,
            ),
        ],
    );
    let id = d[0].clone().unwrap().0;
    let fe = d[1].clone().unwrap();
    assert_eq!(fe.0, id);
    assert_eq!(
        fe.3,
        "frontend calls cartservice, cartservice calls redis-cart, 30 s apart"
    );
    assert_eq!(fe.2, Confidence::Medium);
    let a = e.analyse(&members[&id]);
    assert_eq!(
        a.root_cause.unwrap().entity.to_string(),
        "deployment/shop/redis-cart"
    );
    let cart = a
        .graph
        .nodes
        .iter()
        .find(|n| n.id.to_string() == "service/shop/cartservice")
        .expect("the silent cartservice is in the graph");
    assert!(cart.inferred && cart.signal_count == 0);
}

#[test]
fn connection_failures_across_services_without_an_upstream_are_a_partition() {
    let mut e = Engine::with_topology(raw(), shop());
    let (d, members) = run(
        &mut e,
        &[
            sig(
                "c",
                Some("deployment/shop/cartservice"),
                "cartservice connection refused",
                0,
            ),
            sig(
                "p",
                Some("deployment/shop/paymentservice"),
                "paymentservice connection refused",
                20,
            ),
        ],
    );
    let (first, second) = (d[0].clone().unwrap(), d[1].clone().unwrap());
    assert_eq!(second.0, first.0);
    assert_eq!(second.1, LinkStrategy::Temporal);
    let a = e.analyse(&members[&first.0]);
    assert_eq!(a.pattern.as_deref(), Some("network_partition"));
}

#[test]
fn the_same_rule_firing_on_many_unknown_places_at_once_is_one_incident() {
    // No topology: 40 Nodes the engine knows nothing of lose their kubelet
    // within two minutes — one incident, as Alertmanager's group_by would.
    let mut e = Engine::new(raw());
    let mut ids = BTreeMap::new();
    for n in 0..40 {
        let mut s = sig(
            &format!("kubelet-{n}"),
            Some(&format!("node/worker-{n}")),
            "Target disappeared from Prometheus target discovery.",
            n * 3,
        );
        s.tags.insert("alertname".into(), "KubeletDown".into());
        s.severity = Severity::Critical;
        if let Decision::Attach { link, .. } = e.observe(&s) {
            *ids.entry(link.incident_id).or_insert(0) += 1;
        }
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    // A different rule at the same time is not that incident.
    let mut other = sig("disk", Some("node/worker-1"), "Disk is full", 60);
    other
        .tags
        .insert("alertname".into(), "NodeFilesystemAlmostOutOfSpace".into());
    other.severity = Severity::Critical;
    let Decision::Attach { link, .. } = e.observe(&other) else {
        panic!("a critical alert opens or joins");
    };
    assert!(!ids.contains_key(&link.incident_id));
}
