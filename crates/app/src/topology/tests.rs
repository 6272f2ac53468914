//! The topology loader and queries over real manifests (see
//! tests/fixtures/SOURCES.md): Online Boutique, Sock Shop, and our own
//! Pod/Node list and service graph.

use super::*;
use causeway_core::{Entity, Relation};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/topologies"
);

fn file(rel: &str) -> (String, String) {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{rel}")).unwrap();
    (rel.rsplit('/').next().unwrap().to_string(), text)
}

fn e(s: &str) -> Entity {
    Entity::parse(s).unwrap()
}

fn names(es: &[Entity]) -> Vec<String> {
    es.iter().map(ToString::to_string).collect()
}

fn boutique() -> Loaded {
    load(&[file("online-boutique/kubernetes-manifests.yaml")])
}

#[test]
fn online_boutique_services_select_their_deployments() {
    let Loaded {
        topology: t,
        warnings,
        ..
    } = boutique();
    let deployments: Vec<&Entity> = t.entities().filter(|x| x.kind == "deployment").collect();
    assert_eq!(deployments.len(), 12);
    // No namespace in the manifests: `default`, as `kubectl apply` would.
    assert!(deployments
        .iter()
        .all(|d| d.namespace.as_deref() == Some("default")));
    for d in deployments {
        let svc = Entity::namespaced("service", "default", &d.name);
        // The load generator is a client only.
        assert_eq!(
            t.has_edge(&svc, Relation::Selects, d),
            d.name != "loadgenerator",
            "{d}"
        );
    }
    assert!(t.has_edge(
        &e("service/default/frontend-external"),
        Relation::Selects,
        &e("deployment/default/frontend")
    ));
    assert_eq!(
        warnings,
        ["kubernetes-manifests.yaml: skipped 11 ServiceAccount (frontend, adservice, currencyservice, … 8 more): kind is not part of the topology"]
    );
}

#[test]
fn online_boutique_calls_come_from_env_addresses() {
    let t = boutique().topology;
    let svc = |n: &str| Entity::namespaced("service", "default", n);
    assert!(t.has_edge(&svc("frontend"), Relation::Calls, &svc("cartservice")));
    assert!(t.has_edge(&svc("cartservice"), Relation::Calls, &svc("redis-cart")));
    let edges = t.edges();
    let callees: Vec<&str> = edges
        .iter()
        .filter(|x| x.relation == Relation::Calls && x.from == svc("frontend"))
        .map(|x| x.to.name.as_str())
        .collect();
    // shoppingassistantservice is named in env but has no Service.
    assert_eq!(
        callees,
        [
            "adservice",
            "cartservice",
            "checkoutservice",
            "currencyservice",
            "productcatalogservice",
            "recommendationservice",
            "shippingservice"
        ]
    );
    let calls: Vec<_> = edges
        .iter()
        .filter(|x| x.relation == Relation::Calls)
        .collect();
    assert!(calls.iter().all(|c| c.inferred));
    // No Service selects the load generator, so the Deployment is the caller.
    assert!(t.has_edge(
        &e("deployment/default/loadgenerator"),
        Relation::Calls,
        &svc("frontend")
    ));
    let p = t
        .path(&svc("frontend"), &e("deployment/default/redis-cart"), 4)
        .unwrap();
    let p: Vec<String> = p.iter().map(ToString::to_string).collect();
    assert_eq!(
        p,
        [
            "service/default/frontend calls service/default/cartservice",
            "service/default/cartservice calls service/default/redis-cart",
            "service/default/redis-cart selects deployment/default/redis-cart",
        ]
    );
}

#[test]
fn redis_cart_failing_impacts_cart_and_its_callers_only() {
    let t = boutique().topology;
    let impact = t.impact(&e("deployment/default/redis-cart"));
    let got = names(&impact.impacted);
    for must in [
        "service/default/redis-cart",
        "service/default/cartservice",
        "service/default/frontend",
        "service/default/frontend-external",
        "service/default/checkoutservice",
        "deployment/default/loadgenerator",
    ] {
        assert!(got.contains(&must.to_string()), "{must} not in {got:?}");
    }
    for not in [
        "service/default/adservice",
        "service/default/paymentservice",
    ] {
        assert!(!got.contains(&not.to_string()), "{not} in {got:?}");
    }
    assert_eq!(got[0], "service/default/redis-cart", "nearest first");
    assert_eq!(impact.paths.len(), got.len());
    // A Pod the manifests never list still resolves to its Deployment.
    let pod = e("pod/default/cartservice-7d9f8b6c5-x2b4k");
    assert_eq!(
        t.resolve_entity(&pod),
        Some(e("deployment/default/cartservice"))
    );
}

#[test]
fn a_node_going_down_impacts_the_pods_on_it_and_upwards() {
    let t = load(&[
        file("online-boutique/kubernetes-manifests.yaml"),
        file("online-boutique/cluster.json"),
    ])
    .topology;
    // node-3 as Prometheus names it, by its InternalIP and exporter port.
    let impact = t.impact(&e("host/10.0.0.13:9100"));
    let got = names(&impact.impacted);
    assert_eq!(
        got[..2],
        [
            "pod/default/cartservice-7d9f8b6c5-q8zrm",
            "pod/default/redis-cart-6f4d8c7b9-wz5tn"
        ]
    );
    for must in [
        "replicaset/default/cartservice-7d9f8b6c5",
        "deployment/default/cartservice",
        "deployment/default/redis-cart",
        "service/default/cartservice",
        "service/default/frontend",
    ] {
        assert!(got.contains(&must.to_string()), "{must} not in {got:?}");
    }
    // Pods on the other nodes are not impacted, nor what they alone serve.
    for not in [
        "pod/default/cartservice-7d9f8b6c5-x2b4k",
        "pod/default/frontend-5c9d7f6b48-kp2vd",
        "deployment/default/adservice",
        "service/default/adservice",
    ] {
        assert!(!got.contains(&not.to_string()), "{not} in {got:?}");
    }
    // The unlisted ReplicaSet was tied to its Deployment by name.
    let chain = t.owner_chain(&e("pod/default/redis-cart-6f4d8c7b9-wz5tn"));
    assert_eq!(
        names(&chain),
        [
            "pod/default/redis-cart-6f4d8c7b9-wz5tn",
            "replicaset/default/redis-cart-6f4d8c7b9",
            "deployment/default/redis-cart"
        ]
    );
    assert!(t.has_edge(
        &e("pod/default/cartservice-7d9f8b6c5-q8zrm"),
        Relation::UsesConfig,
        &e("configmap/default/cart-settings")
    ));
}

#[test]
fn sock_shop_with_a_declared_service_graph() {
    let Loaded {
        topology: t,
        warnings,
        ..
    } = load(&[
        file("sock-shop/complete-demo.yaml"),
        file("sock-shop/service-graph.json"),
    ]);
    assert_eq!(
        warnings,
        ["complete-demo.yaml: skipped 1 Namespace (sock-shop): kind is not part of the topology"]
    );
    let svc = |n: &str| Entity::namespaced("service", "sock-shop", n);
    let selected = t
        .edges()
        .into_iter()
        .filter(|x| x.relation == Relation::Selects && x.to.kind == "deployment")
        .count();
    assert_eq!(selected, 14);
    // Stated, not inferred; "orders" → "carts" had no namespace and found the one carts.
    let edges = t.edges();
    let calls: Vec<_> = edges
        .iter()
        .filter(|x| x.relation == Relation::Calls)
        .collect();
    assert_eq!(calls.len(), 14);
    assert!(calls.iter().all(|c| !c.inferred));
    assert!(t.has_edge(&svc("orders"), Relation::Calls, &svc("carts")));
    let got = names(&t.impact(&svc("carts-db")).impacted);
    assert_eq!(
        got,
        [
            "service/sock-shop/carts",
            "service/sock-shop/front-end",
            "service/sock-shop/orders"
        ]
    );
}

#[test]
fn the_same_files_in_any_order_give_the_same_answers() {
    let files = vec![
        file("online-boutique/kubernetes-manifests.yaml"),
        file("online-boutique/cluster.json"),
        file("sock-shop/complete-demo.yaml"),
    ];
    let a = load(&files);
    let mut reversed = files.clone();
    reversed.reverse();
    let b = load(&reversed);
    assert_eq!(a.topology.edges(), b.topology.edges());
    assert_eq!(a.warnings, b.warnings);
    let names_a: Vec<&Entity> = a.topology.entities().collect();
    let names_b: Vec<&Entity> = b.topology.entities().collect();
    assert_eq!(names_a, names_b);
    let node = e("node/node-3");
    assert_eq!(a.topology.impact(&node), b.topology.impact(&node));
}

#[test]
fn unusable_files_and_documents_are_warnings() {
    let loaded = load(&[
        ("b.yaml".into(), "kind: [unclosed".into()),
        ("a.json".into(), "{\"name\": \"dependencies\"}".into()),
        (
            "c.yml".into(),
            "---\n---\nkind: ConfigMap\nmetadata: {name: x}\n".into(),
        ),
    ]);
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].starts_with("a.json: skipped 1 (no kind)"));
    assert!(loaded.warnings[1].starts_with("b.yaml: skipped: not YAML"));
    assert!(loaded.topology.contains(&e("configmap/default/x")));
    assert!(is_topology_file("x.YAML") && is_topology_file("y.json"));
    assert!(!is_topology_file("notes.txt") && !is_topology_file("yaml"));
}

#[test]
fn replay_reports_the_topology_impact_of_the_root() {
    // Online Boutique applied with `-n boutique`, as the demo storm assumes.
    let mut b = TopologyBuilder::new();
    let (_, text) = file("online-boutique/kubernetes-manifests.yaml");
    for mut doc in documents("m.yaml", &text).unwrap() {
        if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("namespace".into(), "boutique".into());
        }
        b.add_document(&doc);
    }
    let t = b.build();
    let config = causeway_core::CorrelationConfig::default();
    let with = crate::history::replay::replay(crate::demo::STORM, config.clone(), Some(&t));
    let without = crate::history::replay::replay(crate::demo::STORM, config, None);
    let redis = with
        .incidents
        .iter()
        .find(|i| i.title.contains("redis-cart"))
        .unwrap();
    let root = &redis.root_cause.as_ref().unwrap().entity;
    assert_eq!(root.to_string(), "deployment/boutique/redis-cart");
    // The Service selecting the root is part of it, not impacted by it.
    let mut expected = names(&t.impact(root).impacted);
    expected.retain(|e| e != "service/boutique/redis-cart");
    assert_eq!(redis.impacted, expected);
    assert!(redis
        .impacted
        .contains(&"service/boutique/frontend".to_string()));
    // With a topology, the storm's alerts join over the call graph.
    let groups = |r: &crate::history::replay::Report| {
        r.incidents
            .iter()
            .map(|i| i.signals.clone())
            .collect::<Vec<_>>()
    };
    // Without a topology: redis-cart's alerts, and cartservice's, apart;
    // the frontend's latency warning (6:0) waits unassigned. With one, the
    // cart errors (5:x) and the frontend latency join the redis-cart
    // incident over the call graph: one cascade. The info-level
    // KubeCPUOvercommit (1:0) matches nothing either way.
    assert_eq!(groups(&without).len(), 2);
    assert_eq!(without.unassigned, ["1:0", "6:0"]);
    let mut all: Vec<String> = groups(&without).concat();
    all.push("6:0".into());
    all.sort();
    let mut one = groups(&with).concat();
    one.sort();
    assert_eq!((groups(&with).len(), one), (1, all));
    assert_eq!(with.unassigned, ["1:0"]);
    assert_eq!(redis.pattern.as_deref(), Some("cascading_failure"));
    assert_eq!(
        crate::history::replay::to_json(&with),
        crate::history::replay::to_json(&crate::history::replay::replay(
            crate::demo::STORM,
            Default::default(),
            Some(&t)
        ))
    );
}
