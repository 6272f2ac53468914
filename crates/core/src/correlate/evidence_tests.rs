//! Each rule of evidence, pinned by a time-scripted scenario: a signal
//! joins an incident only when the incident's cause explains it.

use super::*;
use crate::signal::SignalStatus;
use crate::topology::TopologyBuilder;
use crate::SignalKind;
use chrono::TimeZone;
use serde_json::{json, Value};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

fn at(secs: i64, mut s: Signal) -> Signal {
    s.occurred_at = t(secs);
    s.received_at = t(secs);
    s.id = format!("sig-{}-{secs}", s.fingerprint);
    s
}

/// An alert as Alertmanager sends it: labels, severity, title.
fn alert(fp: &str, labels: &[(&str, &str)], severity: Severity, title: &str) -> Signal {
    let mut s = crate::signal::test_alert(fp.into(), fp, None, title, t(0));
    s.severity = severity;
    for (k, v) in labels {
        s.tags.insert(k.to_string(), v.to_string());
    }
    s.entity = crate::conventions::Labels(&s.tags).entity();
    s.service = crate::conventions::Labels(&s.tags).service();
    s
}

/// A Kubernetes event about `kind/name` with its reason and message.
fn event(fp: &str, entity: &str, kind: &str, reason: &str, message: &str) -> Signal {
    let mut s = crate::signal::test_alert(fp.into(), fp, Some(entity), reason, t(0));
    s.source_type = "K8S_EVENT".into();
    s.title = format!("{reason}: {entity}");
    s.tags.insert("k8s.reason".into(), reason.into());
    s.description = Some(message.into());
    if kind == "Normal" {
        s.status = SignalStatus::Info;
        s.severity = Severity::Info;
        s.kind = SignalKind::Event;
    } else {
        s.severity = Severity::Medium;
    }
    s
}

fn resolved(mut s: Signal, secs: i64) -> Signal {
    s.status = SignalStatus::Resolved;
    s.ended_at = Some(t(secs));
    s.received_at = t(secs);
    s
}

fn deployment(name: &str, config: Option<&str>) -> Value {
    let mut spec = json!({"containers": [{"name": name}]});
    if let Some(c) = config {
        spec["volumes"] = json!([{"name": "cfg", "configMap": {"name": c}}]);
    }
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}})
}

/// frontend → cart → redis, checkout → payment → payment-gateway (an
/// ExternalName for api.pay.example), cart mounts ConfigMap cart-settings;
/// Pods on node-1 (frontend, cart), node-2 (redis), node-3 (checkout,
/// payment).
fn shop() -> Arc<Topology> {
    let mut docs = vec![
        deployment("frontend", None),
        deployment("cart", Some("cart-settings")),
        deployment("redis", None),
        deployment("checkout", None),
        deployment("payment", None),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cart-settings", "namespace": "shop"}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "payment-gateway", "namespace": "shop"},
            "spec": {"type": "ExternalName", "externalName": "api.pay.example"}}),
    ];
    for a in ["frontend", "cart", "redis", "checkout", "payment"] {
        docs.push(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": a, "namespace": "shop"}, "spec": {"selector": {"app": a}}}));
    }
    for (pod, app, node) in [
        ("frontend-5c9d7f6b48-kp2vd", "frontend", "node-1"),
        ("cart-7d9f8b6c5-x2b4k", "cart", "node-1"),
        ("redis-6f4d8c7b9-k2m4p", "redis", "node-2"),
        ("checkout-8f6d5c4b9-zz9q2", "checkout", "node-3"),
        ("payment-6b4f8d9c7-q8zrm", "payment", "node-3"),
    ] {
        docs.push(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": "shop", "labels": {"app": app}},
            "spec": {"nodeName": node, "containers": [{"name": app}]}}));
    }
    for n in ["node-1", "node-2", "node-3"] {
        docs.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}}));
    }
    docs.push(
        json!({"apiVersion": "causeway/v1", "kind": "ServiceGraph", "calls": [
            {"from": "frontend", "to": "cart", "namespace": "shop"},
            {"from": "cart", "to": "redis", "namespace": "shop"},
            {"from": "checkout", "to": "payment", "namespace": "shop"},
            {"from": "payment", "to": "payment-gateway", "namespace": "shop"},
        ]}),
    );
    let mut b = TopologyBuilder::new();
    for d in &docs {
        assert!(b.add_document(d).is_empty(), "{d}");
    }
    Arc::new(b.build())
}

fn engine() -> Engine {
    Engine::with_topology(CorrelationConfig::default(), shop())
}

/// The incident a decision put the signal in.
fn into(d: Decision) -> Option<String> {
    incident_of(&d)
}

fn incident_of(d: &Decision) -> Option<String> {
    match d {
        Decision::Attach { link, .. } => Some(link.incident_id.clone()),
        Decision::Unassigned { .. } => None,
    }
}

fn why(d: &Decision) -> String {
    match d {
        Decision::Attach { link, .. } => link.explanation.clone(),
        Decision::Unassigned { reason } => reason.clone(),
    }
}

/// Asserts the decision put its signal into incident `id`.
fn assert_in(d: &Decision, id: &str) {
    assert_eq!(incident_of(d).as_deref(), Some(id), "{}", why(d));
}

/// A synthetic check of the outside payment API failing.
fn synthetic_check() -> Signal {
    at(
        0,
        alert(
            "synthetic",
            &[("alertname", "SyntheticCheckFailing")],
            Severity::High,
            "[Synthetics] api.pay.example health check is failing",
        ),
    )
}

fn node_down(secs: i64, node: &str) -> Signal {
    at(
        secs,
        alert(
            &format!("notready-{node}"),
            &[("alertname", "KubeNodeNotReady"), ("node", node)],
            Severity::High,
            &format!("{node} has been unready"),
        ),
    )
}

fn latency(fp: &str, service: &str, peer: Option<&str>, secs: i64) -> Signal {
    let mut labels = vec![
        ("alertname", "HighLatencyP99"),
        ("namespace", "shop"),
        ("service", service),
    ];
    if let Some(p) = peer {
        labels.push(("destination_service", p));
    }
    at(
        secs,
        alert(
            fp,
            &labels,
            Severity::Medium,
            &format!("{service} p99 latency above 2s"),
        ),
    )
}

#[test]
fn a_chronic_alert_that_began_before_a_node_failure_stays_apart() {
    let mut e = engine();
    // A frontend latency monitor flapping by itself every 30 minutes.
    let mut chronic = None;
    for k in 0..3 {
        let fire = latency("flap", "frontend", None, k * 1800);
        let d = e.observe(&fire);
        if k == 2 {
            assert!(
                why(&d).contains("came back by itself 3 times"),
                "{}",
                why(&d)
            );
            chronic = into(d);
        }
        e.observe(&resolved(fire, k * 1800 + 120));
    }
    let chronic = chronic.expect("the third episode is a chronic incident");
    // node-1 (frontend's and cart's Node) fails; the flap comes back then.
    let node = into(e.observe(&node_down(3 * 1800 + 60, "node-1"))).unwrap();
    let d = e.observe(&latency("flap", "frontend", None, 3 * 1800 + 90));
    assert_eq!(into(d).as_deref(), Some(chronic.as_str()));
    assert_ne!(chronic, node);
    // Nor does the chronic incident take a new fault next to it.
    let d = e.observe(&latency("cart-lat", "cart", None, 3 * 1800 + 100));
    assert_ne!(into(d).as_deref(), Some(chronic.as_str()));
}

#[test]
fn an_oom_on_a_failing_node_keeps_its_own_cause() {
    let mut e = engine();
    let node = into(e.observe(&node_down(0, "node-3"))).unwrap();
    // payment's Pod runs on node-3, and runs out of memory on its own.
    let oom = at(
        30,
        alert(
            "oom",
            &[
                ("alertname", "KubernetesContainerOomKiller"),
                ("namespace", "shop"),
                ("pod", "payment-6b4f8d9c7-q8zrm"),
            ],
            Severity::High,
            "Container payment has been OOMKilled",
        ),
    );
    let d = e.observe(&oom);
    assert_ne!(
        into(d).as_deref(),
        Some(node.as_str()),
        "an OOM is not what a Node failure produces"
    );
    // checkout's Pod, on the same Node, just becomes unavailable: the Node's.
    let notready = at(
        40,
        alert(
            "nr",
            &[
                ("alertname", "KubePodNotReady"),
                ("namespace", "shop"),
                ("pod", "checkout-8f6d5c4b9-zz9q2"),
            ],
            Severity::Medium,
            "Pod checkout has been in a non-ready state",
        ),
    );
    let d = e.observe(&notready);
    assert_in(&d, &node);
}

#[test]
fn an_eviction_joins_the_failing_node_of_its_pod() {
    let mut e = engine();
    let node = into(e.observe(&node_down(0, "node-1"))).unwrap();
    let evicted = at(
        90,
        event(
            "evict-cart",
            "pod/shop/cart-7d9f8b6c5-x2b4k",
            "Normal",
            "TaintManagerEviction",
            "Marking for deletion Pod shop/cart-7d9f8b6c5-x2b4k",
        ),
    );
    let d = e.observe(&evicted);
    assert!(why(&d).contains("evicted from node-1"), "{}", why(&d));
    assert_eq!(into(d).as_deref(), Some(node.as_str()));
}

#[test]
fn the_configmap_whose_change_preceded_the_errors_is_the_root() {
    let mut e = engine();
    let applied = at(
        0,
        event(
            "flux",
            "kustomization/flux-system/apps",
            "Normal",
            "Progressing",
            "ConfigMap/shop/cart-settings configured",
        ),
    );
    assert!(
        into(e.observe(&applied)).is_none(),
        "a change alone opens nothing"
    );
    let crash = at(
        60,
        alert(
            "crash",
            &[
                ("alertname", "KubePodCrashLooping"),
                ("namespace", "shop"),
                ("pod", "cart-7d9f8b6c5-x2b4k"),
            ],
            Severity::High,
            "Pod shop/cart is crash looping",
        ),
    );
    let inc = into(e.observe(&crash)).unwrap();
    let errors = latency("fe", "frontend", Some("cart"), 90);
    assert_eq!(into(e.observe(&errors)).as_deref(), Some(inc.as_str()));
    let a = e.analyse(&[applied, crash, errors]);
    let root = a.root_cause.unwrap();
    assert_eq!(root.entity.to_string(), "configmap/shop/cart-settings");
    assert!(
        root.explanation
            .contains("uses ConfigMap shop/cart-settings"),
        "{}",
        root.explanation
    );
}

#[test]
fn a_callers_symptom_goes_to_the_failure_its_peer_leads_to() {
    let mut e = engine();
    let redis = at(
        0,
        alert(
            "redis-oom",
            &[
                ("alertname", "KubernetesContainerOomKiller"),
                ("namespace", "shop"),
                ("pod", "redis-6f4d8c7b9-k2m4p"),
            ],
            Severity::High,
            "redis OOMKilled",
        ),
    );
    let payment = at(
        10,
        alert(
            "pay-crash",
            &[
                ("alertname", "KubePodCrashLooping"),
                ("namespace", "shop"),
                ("pod", "payment-6b4f8d9c7-q8zrm"),
            ],
            Severity::High,
            "payment crash looping",
        ),
    );
    let r = into(e.observe(&redis)).unwrap();
    let p = into(e.observe(&payment)).unwrap();
    // frontend's errors are of calls to cart, which calls redis.
    let d = e.observe(&latency(
        "fe",
        "frontend",
        Some("cart.shop.svc.cluster.local"),
        60,
    ));
    assert_eq!(
        into(d).as_deref(),
        Some(r.as_str()),
        "{}",
        e.effects().ledger.len()
    );
    let d = e.observe(&latency("co", "checkout", Some("payment"), 60));
    assert_eq!(into(d).as_deref(), Some(p.as_str()));
}

#[test]
fn related_warnings_together_open_an_incident_and_a_lone_one_waits() {
    let mut e = engine();
    let lone = latency("lone", "checkout", None, 0);
    assert!(into(e.observe(&lone)).is_none(), "one warning alone waits");
    let throttled = at(
        600 + 600,
        alert(
            "thr",
            &[
                ("alertname", "CPUThrottlingHigh"),
                ("namespace", "shop"),
                ("pod", "cart-7d9f8b6c5-x2b4k"),
            ],
            Severity::Info,
            "68% throttling of CPU",
        ),
    );
    assert!(into(e.observe(&throttled)).is_none());
    let slow = latency("cart-lat", "cart", None, 1230);
    let d = e.observe(&slow);
    assert!(why(&d).contains("related alerts together"), "{}", why(&d));
    let inc = into(d).unwrap();
    let adopted: Vec<&str> = e
        .effects()
        .adopted
        .iter()
        .map(|l| l.signal_id.as_str())
        .collect();
    assert_eq!(adopted, [throttled.id.as_str()]);
    assert_eq!(e.incident(&inc).unwrap().severity, Severity::Medium);
    let root = e.analyse(&[throttled, slow]).root_cause.unwrap();
    assert_eq!(root.entity.to_string(), "deployment/shop/cart");
}

#[test]
fn the_end_of_an_unassigned_alert_waits_and_follows_its_firing() {
    let mut e = engine();
    let fire = latency("dd", "checkout", None, 0);
    assert!(into(e.observe(&fire)).is_none());
    // Datadog's [Recovered] is a notification of its own (another id).
    let mut end = resolved(fire.clone(), 60);
    end.id = "sig-dd-recovered".into();
    let d = e.observe(&end);
    assert!(into(d).is_none(), "the end of an alert starts nothing");
    // A failure at checkout opens an incident and adopts what waited
    // there: the firing, and its end with it.
    let crash = at(
        120,
        alert(
            "co-crash",
            &[
                ("alertname", "KubePodCrashLooping"),
                ("namespace", "shop"),
                ("pod", "checkout-8f6d5c4b9-zz9q2"),
            ],
            Severity::High,
            "checkout crash looping",
        ),
    );
    let inc = into(e.observe(&crash)).unwrap();
    let adopted: Vec<(&str, &str)> = e
        .effects()
        .adopted
        .iter()
        .map(|l| (l.signal_id.as_str(), l.incident_id.as_str()))
        .collect();
    assert!(
        adopted.contains(&(fire.id.as_str(), inc.as_str())),
        "{adopted:?}"
    );
    assert!(
        adopted.contains(&("sig-dd-recovered", inc.as_str())),
        "{adopted:?}"
    );
}

#[test]
fn an_outside_dependency_failing_is_named_by_its_externalname_service() {
    let mut e = engine();
    let check = synthetic_check();
    let inc = into(e.observe(&check)).unwrap();
    let mut errors = latency("pay-err", "payment", Some("api.pay.example"), 30);
    errors.title = "payment 5xx ratio above 5%".into();
    let d = e.observe(&errors);
    assert_in(&d, &inc);
    let root = e.analyse(&[check, errors]).root_cause.unwrap();
    assert_eq!(root.entity.to_string(), "service/shop/payment-gateway");
}

#[test]
fn a_silent_service_every_erroring_caller_names_is_the_inferred_root() {
    let mut e = engine();
    let mut fe = latency("fe", "frontend", Some("cart"), 0);
    fe.severity = Severity::Critical;
    fe.title = "frontend 5xx ratio above 5%: dial tcp cart: i/o timeout".into();
    let inc = into(e.observe(&fe)).unwrap();
    let root = e.analyse(&[fe]).root_cause.unwrap();
    assert_eq!(
        root.entity.to_string(),
        "deployment/shop/cart",
        "{}",
        root.explanation
    );
    assert!(
        root.explanation.contains("are of calls to it"),
        "{}",
        root.explanation
    );
    assert!(e.incident(&inc).is_some());
}

#[test]
fn a_links_confidence_is_its_calibrated_chance_of_being_right() {
    let mut e = engine();
    let redis = at(
        0,
        alert(
            "redis-oom",
            &[
                ("alertname", "KubernetesContainerOomKiller"),
                ("namespace", "shop"),
                ("pod", "redis-6f4d8c7b9-k2m4p"),
            ],
            Severity::High,
            "redis OOMKilled",
        ),
    );
    e.observe(&redis);
    let d = e.observe(&latency("cart", "cart", Some("redis"), 30));
    let Decision::Attach { link, .. } = d else {
        panic!("{}", why(&d));
    };
    // The peer strategy's raw score, mapped through the shipped knots.
    let want = calibration::calibrate(calibration::DEFAULT, 0.9);
    assert_eq!(link.score, (want * 1000.0).round() / 1000.0);
    assert_eq!(link.confidence, Confidence::from_score(want));
}

#[test]
fn an_explanation_never_lists_nothing() {
    // Two namespaces run a "cart"; one calls the other. The root's reasons
    // name what depends on it, never an empty list ("most upstream:
    // depends on it").
    let mut docs = Vec::new();
    for ns in ["edge", "core"] {
        docs.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "cart", "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": "cart"}},
                "template": {"metadata": {"labels": {"app": "cart"}}}}}));
        docs.push(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "cart", "namespace": ns}, "spec": {"selector": {"app": "cart"}}}));
    }
    docs.push(json!({"apiVersion": "causeway/v1", "kind": "ServiceGraph",
        "calls": [{"from": "service/edge/cart", "to": "service/core/cart"}]}));
    let mut b = TopologyBuilder::new();
    for d in &docs {
        b.add_document(d);
    }
    let mut e = Engine::with_topology(CorrelationConfig::default(), Arc::new(b.build()));
    let db = at(
        0,
        alert(
            "core-oom",
            &[
                ("alertname", "KubernetesContainerOomKiller"),
                ("namespace", "core"),
                ("deployment", "cart"),
            ],
            Severity::High,
            "cart OOMKilled",
        ),
    );
    let edge = at(
        30,
        alert(
            "edge-err",
            &[
                ("alertname", "HighErrorRate"),
                ("namespace", "edge"),
                ("deployment", "cart"),
            ],
            Severity::High,
            "cart 5xx ratio above 5%",
        ),
    );
    e.observe(&db);
    e.observe(&edge);
    let root = e.analyse(&[db, edge]).root_cause.unwrap();
    assert_eq!(root.entity.to_string(), "deployment/core/cart");
    assert!(!root.explanation.contains(":  "), "{}", root.explanation);
    assert!(
        !root.explanation.contains("upstream:  "),
        "{}",
        root.explanation
    );
}

#[test]
fn a_teams_own_words_change_what_its_alerts_mean() {
    let backlog = |secs| {
        at(
            secs,
            alert(
                "backlog",
                &[
                    ("alertname", "QueueBacklogGrowing"),
                    ("namespace", "shop"),
                    ("service", "cart"),
                    ("destination_service", "redis"),
                ],
                Severity::High,
                "QueueBacklogGrowing",
            ),
        )
    };
    let redis = at(
        0,
        alert(
            "redis-oom",
            &[
                ("alertname", "KubernetesContainerOomKiller"),
                ("namespace", "shop"),
                ("pod", "redis-6f4d8c7b9-k2m4p"),
            ],
            Severity::High,
            "redis OOMKilled",
        ),
    );
    // Built-in words: the team's alert name means nothing, so it is no
    // symptom of redis failing.
    let mut plain = engine();
    let r = into(plain.observe(&redis)).unwrap();
    assert_ne!(
        into(plain.observe(&backlog(30))).as_deref(),
        Some(r.as_str())
    );
    // Taught that a growing backlog is a symptom, the engine follows its peer.
    let config = CorrelationConfig {
        vocabulary: vec![crate::vocabulary::Words {
            reading: crate::vocabulary::Reading::Symptom,
            phrases: vec!["backlog & growing".into()],
        }],
        ..CorrelationConfig::default()
    };
    let mut taught = Engine::with_topology(config, shop());
    let r = into(taught.observe(&redis)).unwrap();
    let d = taught.observe(&backlog(30));
    assert_in(&d, &r);
}

#[test]
fn a_nodes_own_alerts_together_are_one_incident() {
    // Known to the graph or not, a Node that stops being ready while its
    // disk fills is one failure: the full disk is a cause at that Node.
    for mut e in [engine(), Engine::new(CorrelationConfig::default())] {
        let down = into(e.observe(&node_down(0, "node-9"))).unwrap();
        let disk = at(
            0,
            alert(
                "disk-node-9",
                &[
                    ("alertname", "NodeFilesystemAlmostOutOfSpace"),
                    ("node", "node-9"),
                ],
                Severity::High,
                "Filesystem on node-9 is 97% full",
            ),
        );
        let d = e.observe(&disk);
        assert_in(&d, &down);
    }
}

#[test]
fn a_crash_loop_where_an_outage_is_only_felt_is_not_adopted_by_it() {
    let mut e = engine();
    let check = synthetic_check();
    let outage = into(e.observe(&check)).unwrap();
    // payment's Pod crash-loops for a reason of its own: it waits.
    let backoff = at(
        10,
        event(
            "backoff-payment",
            "pod/shop/payment-6b4f8d9c7-q8zrm",
            "Warning",
            "BackOff",
            "Back-off restarting failed container payment in pod payment-6b4f8d9c7-q8zrm",
        ),
    );
    assert_eq!(into(e.observe(&backoff)), None);
    // payment's calls to the outside fail: the outage's, felt at payment.
    let mut errors = latency("pay-err", "payment", Some("api.pay.example"), 20);
    errors.title = "payment 5xx ratio above 5%".into();
    let d = e.observe(&errors);
    assert_in(&d, &outage);
    assert!(
        e.effects.adopted.iter().all(|l| l.signal_id != backoff.id),
        "the crash loop has a cause of its own: {:?}",
        e.effects.adopted
    );
}
