use super::k8s::service_hosts;
use super::*;
use petgraph::graph::NodeIndex;
use serde_json::{json, Value};

fn e(s: &str) -> Entity {
    Entity::parse(s).unwrap()
}

fn build(docs: &[Value]) -> (Topology, Vec<Skipped>) {
    let mut b = TopologyBuilder::new();
    let skipped = docs.iter().flat_map(|d| b.add_document(d)).collect();
    (b.build(), skipped)
}

fn names(es: &[Entity]) -> Vec<String> {
    es.iter().map(ToString::to_string).collect()
}

/// Objects from k9s' test data (Apache-2.0, see tests/fixtures/SOURCES.md).
fn k9s() -> Vec<Value> {
    [
        include_str!("../../../../tests/fixtures/topologies/k9s/render-po.json"),
        include_str!("../../../../tests/fixtures/topologies/k9s/render-no.json"),
        include_str!("../../../../tests/fixtures/topologies/k9s/render-rs.json"),
        include_str!("../../../../tests/fixtures/topologies/k9s/render-dp.json"),
        include_str!("../../../../tests/fixtures/topologies/k9s/render-ep.json"),
        include_str!("../../../../tests/fixtures/topologies/k9s/render-eps.json"),
    ]
    .iter()
    .map(|s| serde_json::from_str(s).unwrap())
    .collect()
}

fn pod(name: &str, app: &str, owner: Option<(&str, &str)>, node: &str) -> Value {
    let mut p = json!({
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": app}},
        "spec": {"nodeName": node, "containers": [{"name": "c"}]}
    });
    if let Some((kind, owner)) = owner {
        p["metadata"]["ownerReferences"] = json!([{"kind": kind, "name": owner}]);
    }
    p
}

fn deployment(name: &str, env: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "server", "env": env}]}
        }}
    })
}

fn service(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"selector": {"app": name}}})
}

/// A small shop: frontend → cart → redis (from env), pods on two nodes
/// listed as a typed PodList whose items carry no `kind`.
fn shop() -> Vec<Value> {
    vec![
        deployment(
            "frontend",
            json!([{"name": "CART_ADDR", "value": "cart:7070"}]),
        ),
        deployment(
            "cart",
            json!([{"name": "REDIS_URL", "value": "redis://redis.shop.svc.cluster.local:6379/0"}]),
        ),
        deployment("redis", json!([])),
        deployment("ads", json!([{"name": "PORT", "value": "frontend:80"}])),
        service("frontend"),
        service("cart"),
        service("redis"),
        service("ads"),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "cart-7d9f8b6c5", "namespace": "shop",
                "ownerReferences": [{"kind": "Deployment", "name": "cart"}]},
            "spec": {"template": {"metadata": {"labels": {"app": "cart"}}}}}),
        json!({"apiVersion": "v1", "kind": "PodList", "items": [
            pod("cart-7d9f8b6c5-x2b4k", "cart", Some(("ReplicaSet", "cart-7d9f8b6c5")), "node-1"),
            pod("cart-7d9f8b6c5-q8zrm", "cart", Some(("ReplicaSet", "cart-7d9f8b6c5")), "node-2"),
            pod("redis-0", "redis", None, "node-2"),
            pod("frontend-5c9d7f6b48-kp2vd", "frontend", None, "node-1"),
        ]}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-2"},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.12"}]}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "cart"}}),
    ]
}

#[test]
fn k9s_objects_give_owners_nodes_config_and_endpoints() {
    let (t, skipped) = build(&k9s());
    let pod = e("pod/default/nginx");
    assert!(t.has_edge(&pod, Relation::RunsOn, &e("node/minikube")));
    let secret = e("secret/default/default-token-9ph8s");
    assert!(t.has_edge(&pod, Relation::UsesConfig, &secret));
    let (rs, dp) = (
        e("replicaset/icx/icx-db-7d4b578979"),
        e("deployment/icx/icx-db"),
    );
    assert!(t.has_edge(&dp, Relation::Owns, &rs));
    assert_eq!(t.owner_chain(&rs), vec![rs.clone(), dp.clone()]);
    // Endpoints name their Service and target Pods (in the target's namespace).
    let blah = e("pod/blee/blah");
    assert!(t.has_edge(&e("service/ns-1/blee"), Relation::Selects, &blah));
    assert!(t.has_edge(&blah, Relation::RunsOn, &e("node/n-1")));
    // An EndpointSlice without its service-name label cannot be placed.
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].kind, "EndpointSlice");
    assert_eq!(skipped[0].name, "fred");
}

#[test]
fn hosts_and_replaced_pods_resolve() {
    let (t, _) = build(&k9s());
    let node = t.resolve(&e("node/minikube"));
    assert!(node.is_some());
    for alias in [
        "host/192.168.64.107",
        "host/192.168.64.107:9100",
        "host/minikube:9100",
        "node/minikube.cluster.internal",
    ] {
        assert_eq!(t.resolve(&e(alias)), node, "{alias}");
    }
    assert_eq!(t.resolve(&e("host/192.168.64.1")), None);
    // A Pod gone from the cluster still resolves to its Deployment by name.
    let gone = e("pod/icx/icx-db-7d4b578979-zxcvb");
    assert_eq!(t.resolve_entity(&gone), Some(e("deployment/icx/icx-db")));
    assert_eq!(
        t.owner_chain(&gone),
        vec![gone.clone(), e("deployment/icx/icx-db")]
    );
    assert_eq!(t.resolve(&e("pod/icx/hand-made")), None);
    assert_eq!(
        t.owner_chain(&e("pod/icx/hand-made")),
        vec![e("pod/icx/hand-made")]
    );
}

#[test]
fn services_select_pods_and_workloads_and_env_gives_calls() {
    let (t, skipped) = build(&shop());
    let svc = |n: &str| Entity::namespaced("service", "shop", n);
    let dep = |n: &str| Entity::namespaced("deployment", "shop", n);
    assert!(t.has_edge(&svc("cart"), Relation::Selects, &dep("cart")));
    assert!(t.has_edge(
        &svc("cart"),
        Relation::Selects,
        &e("pod/shop/cart-7d9f8b6c5-x2b4k")
    ));
    // The ReplicaSet is owned, so the Service links to the Deployment only.
    assert!(!t.has_edge(
        &svc("cart"),
        Relation::Selects,
        &e("replicaset/shop/cart-7d9f8b6c5")
    ));
    assert!(!t.has_edge(&svc("cart"), Relation::Selects, &dep("frontend")));
    assert!(t.has_edge(&svc("frontend"), Relation::Calls, &svc("cart")));
    assert!(t.has_edge(&svc("cart"), Relation::Calls, &svc("redis")));
    // PORT does not end in _ADDR/_HOST/_URL.
    assert!(!t.has_edge(&svc("ads"), Relation::Calls, &svc("frontend")));
    let edges = t.edges();
    let calls: Vec<&Edge> = edges
        .iter()
        .filter(|x| x.relation == Relation::Calls)
        .collect();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.inferred));
    // A Pod without ownerReferences gets the listed workload its name names.
    let fe = e("pod/shop/frontend-5c9d7f6b48-kp2vd");
    assert_eq!(t.owner_chain(&fe), vec![fe.clone(), dep("frontend")]);
    let chain = t.owner_chain(&e("pod/shop/cart-7d9f8b6c5-q8zrm"));
    assert_eq!(
        names(&chain),
        [
            "pod/shop/cart-7d9f8b6c5-q8zrm",
            "replicaset/shop/cart-7d9f8b6c5",
            "deployment/shop/cart"
        ]
    );
    // No StatefulSet named redis is listed, so redis-0 stays ownerless.
    assert_eq!(t.owner_chain(&e("pod/shop/redis-0")).len(), 1);
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        skipped[0].to_string(),
        "ServiceAccount cart: kind is not part of the topology"
    );
}

#[test]
fn a_nodes_impact_is_its_pods_their_workloads_services_and_callers() {
    let (t, _) = build(&shop());
    let impact = t.impact(&e("host/10.0.0.12:9100"));
    assert_eq!(impact.entity, e("host/10.0.0.12:9100"));
    assert_eq!(
        names(&impact.impacted),
        [
            // Nearest first, then in entity order.
            "pod/shop/cart-7d9f8b6c5-q8zrm",
            "pod/shop/redis-0",
            "replicaset/shop/cart-7d9f8b6c5",
            "service/shop/cart",
            "service/shop/redis",
            "deployment/shop/cart",
            "service/shop/frontend",
        ]
    );
    // The pod on node-1 and the unrelated ads service stay up.
    assert!(!impact
        .impacted
        .contains(&e("pod/shop/cart-7d9f8b6c5-x2b4k")));
    assert!(!impact.impacted.contains(&e("service/shop/ads")));
    let i = impact
        .impacted
        .iter()
        .position(|x| *x == e("service/shop/frontend"))
        .unwrap();
    let why: Vec<String> = impact.paths[i].iter().map(ToString::to_string).collect();
    assert_eq!(
        why,
        [
            "service/shop/frontend calls service/shop/cart",
            "service/shop/cart selects pod/shop/cart-7d9f8b6c5-q8zrm",
            "pod/shop/cart-7d9f8b6c5-q8zrm runs-on node/node-2",
        ]
    );
    assert_eq!(impact.paths.len(), impact.impacted.len());
}

#[test]
fn a_missing_pods_impact_starts_at_its_workload() {
    let (t, _) = build(&shop());
    // No `web` workload is listed: nothing to resolve to.
    assert_eq!(t.resolve(&e("pod/shop/web-5d8c9f7b46-xxxxx")), None);
    let gone = e("pod/shop/cart-6b8c9d7f45-zzzzz");
    let impact = t.impact(&gone);
    assert_eq!(
        names(&impact.impacted),
        [
            "deployment/shop/cart",
            "service/shop/cart",
            "service/shop/frontend"
        ]
    );
    assert_eq!(
        impact.paths[0][0].to_string(),
        format!("deployment/shop/cart owns {gone}")
    );
    assert!(impact.paths[0][0].inferred);
    assert_eq!(impact.paths[2].len(), 3);
    // Unknown entities impact nothing rather than failing.
    assert!(t.impact(&e("service/other/x")).impacted.is_empty());
}

#[test]
fn paths_are_shortest_either_way_and_bounded() {
    let (t, _) = build(&shop());
    let p = t
        .path(&e("service/shop/frontend"), &e("deployment/shop/redis"), 5)
        .unwrap();
    let p: Vec<String> = p.iter().map(ToString::to_string).collect();
    assert_eq!(
        p,
        [
            "service/shop/frontend calls service/shop/cart",
            "service/shop/cart calls service/shop/redis",
            "service/shop/redis selects deployment/shop/redis",
        ]
    );
    // Against the edge directions: a pod to the other pod on its node.
    let p = t
        .path(
            &e("pod/shop/redis-0"),
            &e("pod/shop/cart-7d9f8b6c5-q8zrm"),
            2,
        )
        .unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].to, e("node/node-2"));
    assert_eq!(
        t.path(&e("service/shop/frontend"), &e("deployment/shop/redis"), 2),
        None
    );
    assert_eq!(
        t.path(&e("service/shop/ads"), &e("service/shop/ads"), 0),
        Some(vec![])
    );
    assert_eq!(
        t.path(&e("service/shop/ads"), &e("service/nowhere/x"), 9),
        None
    );
    let near = t.neighbours_within(&e("service/shop/redis"), 1);
    assert_eq!(
        names(&near),
        [
            "deployment/shop/redis",
            "pod/shop/redis-0",
            "service/shop/cart"
        ]
    );
    assert!(!near.contains(&e("service/shop/redis")));
}

#[test]
fn same_objects_in_any_order_give_the_same_graph() {
    let docs = shop();
    let (a, _) = build(&docs);
    let mut reversed = docs.clone();
    reversed.reverse();
    let (b, _) = build(&reversed);
    assert_eq!(a.edges(), b.edges());
    assert_eq!(a.node_count(), b.node_count());
    for i in 0..a.node_count() {
        assert_eq!(a.entity(NodeIndex::new(i)), b.entity(NodeIndex::new(i)));
    }
    // Node indices follow sorted entity order.
    let order: Vec<&Entity> = (0..a.node_count())
        .map(|i| a.entity(NodeIndex::new(i)))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    let x = e("node/node-2");
    assert_eq!(a.impact(&x), b.impact(&x));
}

#[test]
fn service_graphs_add_calls_and_reject_bad_entries_whole() {
    let mut docs = shop();
    docs.push(
        json!({"apiVersion": "causeway/v1", "kind": "ServiceGraph", "calls": [
            {"from": "ads", "to": "redis"},
            {"from": "checkout", "to": "cart", "namespace": "shop"},
            {"from": "service/shop/frontend", "to": "ads"}
        ]}),
    );
    let (t, skipped) = build(&docs);
    assert_eq!(skipped.len(), 1);
    let svc = |n: &str| Entity::namespaced("service", "shop", n);
    // Without a namespace, a name goes to the one Service called so.
    assert!(t.has_edge(&svc("ads"), Relation::Calls, &svc("redis")));
    assert!(t.has_edge(&svc("checkout"), Relation::Calls, &svc("cart")));
    assert!(t.has_edge(&svc("frontend"), Relation::Calls, &svc("ads")));
    let stated = t
        .edges()
        .into_iter()
        .find(|x| x.from == svc("ads") && x.relation == Relation::Calls)
        .unwrap();
    assert!(!stated.inferred);
    assert!(t.impact(&svc("redis")).impacted.contains(&svc("ads")));

    let mut b = TopologyBuilder::new();
    let bad = json!({"apiVersion": "causeway/v1", "kind": "ServiceGraph", "calls": [
        {"from": "a", "to": "b"}, {"from": "a"}
    ]});
    assert_eq!(
        b.add_service_graph(&bad),
        Err("calls[1].to must be a non-empty string".into())
    );
    let skipped = b.add_document(&bad);
    assert_eq!(skipped.len(), 1);
    assert!(b.build().is_empty());
}

#[test]
fn a_stated_edge_wins_over_an_inferred_one() {
    let mut docs = shop();
    docs.push(json!({"apiVersion": "causeway/v1", "kind": "ServiceGraph",
        "calls": [{"from": "frontend", "to": "cart", "namespace": "shop"}]}));
    let (t, _) = build(&docs);
    let edge = t
        .edges()
        .into_iter()
        .find(|x| x.relation == Relation::Calls && x.to == e("service/shop/cart"))
        .unwrap();
    assert!(!edge.inferred);
}

#[test]
fn env_values_name_services_only_when_they_look_like_one() {
    let got = |v: &str| service_hosts(v);
    assert_eq!(got("cartservice:7070"), [("cartservice".into(), None)]);
    assert_eq!(got("http://frontend:80/x?y"), [("frontend".into(), None)]);
    assert_eq!(
        got("redis://u:p@redis.cache.svc.cluster.local:6379"),
        [("redis".into(), Some("cache".into()))]
    );
    assert_eq!(got("a:1, b:2").len(), 2);
    for none in [
        "10.0.0.1:80",
        "api.example.com",
        "Frontend:80",
        "x:port",
        "",
        "-a:1",
    ] {
        assert!(got(none).is_empty(), "{none}");
    }
}

#[test]
fn documents_that_are_not_objects_are_reported() {
    let mut b = TopologyBuilder::new();
    assert!(b.add_document(&Value::Null).is_empty());
    assert_eq!(
        b.add_document(&json!({"services": {}}))[0].kind,
        "(no kind)"
    );
    assert_eq!(
        b.add_document(&json!({"kind": "Pod"}))[0].reason,
        "no metadata.name"
    );
    // A plain List recurses, items keep their own kinds.
    let list = json!({"kind": "List", "items": [
        {"kind": "ConfigMap", "metadata": {"name": "cfg"}},
        {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"volumes": [
            {"projected": {"sources": [{"configMap": {"name": "cfg"}}, {"secret": {"name": "s"}}]}}
        ], "containers": [{"env": [{"valueFrom": {"secretKeyRef": {"name": "s2"}}}]}]}}
    ]});
    assert!(b.add_document(&list).is_empty());
    let t = b.build();
    let p = e("pod/default/p");
    for cfg in [
        "configmap/default/cfg",
        "secret/default/s",
        "secret/default/s2",
    ] {
        assert!(t.has_edge(&p, Relation::UsesConfig, &e(cfg)), "{cfg}");
    }
    assert_eq!(
        names(&t.impact(&e("configmap/default/cfg")).impacted),
        ["pod/default/p"]
    );
}

#[test]
fn anchors_are_one_place_and_near_follows_only_failure_relations() {
    let (t, _) = build(&shop());
    let pod = e("pod/shop/cart-7d9f8b6c5-x2b4k");
    assert_eq!(
        names(&t.anchors(&pod)),
        [
            "pod/shop/cart-7d9f8b6c5-x2b4k",
            "replicaset/shop/cart-7d9f8b6c5",
            "deployment/shop/cart",
            "service/shop/cart",
        ]
    );
    assert!(t.anchors(&e("deployment/shop/unknown")).is_empty());
    let near = t.near(&t.anchors(&e("deployment/shop/cart")), 1, Relation::FAILURE);
    let found: Vec<String> = near.iter().map(|(x, _)| x.to_string()).collect();
    // The starts first, with no hops; then one hop away, in entity order.
    assert_eq!(found[..2], ["deployment/shop/cart", "service/shop/cart"]);
    assert!(near[0].1.is_empty());
    let redis = near
        .iter()
        .find(|(x, _)| x.to_string() == "service/shop/redis")
        .unwrap();
    assert_eq!(redis.1.len(), 1);
    assert_eq!(
        redis.1[0].to_string(),
        "service/shop/cart calls service/shop/redis"
    );
    // Only the named relations are walked.
    let owns_only = t.near(&[e("deployment/shop/cart")], 3, &[Relation::Owns]);
    assert!(owns_only
        .iter()
        .all(|(x, _)| x.kind != "service" && x.kind != "node"));
}

#[test]
fn trace_spans_crossing_services_are_calls() {
    let span = |id: &str, parent: &str| json!({"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": id, "parentSpanId": parent, "name": "op"});
    let resource = |svc: &str, spans: Vec<Value>| {
        json!({"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": svc}},
            {"key": "k8s.namespace.name", "value": {"stringValue": "shop"}}]},
        "scopeSpans": [{"scope": {"name": "otel"}, "spans": spans}]})
    };
    let otlp = json!({"resourceSpans": [
        resource("frontend", vec![span("a1", ""), span("a2", "a1")]),
        resource("cartservice", vec![span("b1", "a2"), span("b2", "b1")]),
        resource("redis-cart", vec![span("c1", "b2")]),
    ]});
    let mut docs = shop();
    docs.push(otlp);
    let (t, skipped) = build(&docs);
    assert!(
        skipped.iter().all(|s| s.kind != "OTLP traces"),
        "{skipped:?}"
    );
    assert!(t.has_edge(
        &e("service/shop/cartservice"),
        Relation::Calls,
        &e("service/shop/redis-cart")
    ));
    assert!(t.has_edge(
        &e("service/shop/frontend"),
        Relation::Calls,
        &e("service/shop/cartservice")
    ));
    // A span within one service is not a call.
    assert!(!t.has_edge(
        &e("service/shop/frontend"),
        Relation::Calls,
        &e("service/shop/frontend")
    ));
    let bad = json!({"resourceSpans": "nope"});
    let (_, skipped) = build(&[bad]);
    assert_eq!(skipped[0].kind, "OTLP traces");
}
