//! Conventional labels and tags → entity, shared by every Prometheus-style source.

use causeway_core::hash::short_hex;
use causeway_core::Entity;
use std::collections::BTreeMap;

/// Workload kinds in the order the most specific wins: an alert that names a
/// Pod is about that Pod even if it also names its Deployment.
/// Datadog (`kube_*`, `pod_name`) and OpenTelemetry (`k8s.*`) spellings sit
/// beside kube-state-metrics' so every source reads the same way.
const NAMESPACED: &[(&str, &str)] = &[
    ("pod", "pod"),
    ("pod_name", "pod"),
    ("k8s.pod.name", "pod"),
    ("deployment", "deployment"),
    ("kube_deployment", "deployment"),
    ("k8s.deployment.name", "deployment"),
    ("statefulset", "statefulset"),
    ("kube_stateful_set", "statefulset"),
    ("k8s.statefulset.name", "statefulset"),
    ("daemonset", "daemonset"),
    ("kube_daemon_set", "daemonset"),
    ("k8s.daemonset.name", "daemonset"),
    ("replicaset", "replicaset"),
    ("kube_replica_set", "replicaset"),
    ("job_name", "job"),
    ("kube_job", "job"),
    ("cronjob", "cronjob"),
    ("kube_cronjob", "cronjob"),
    ("persistentvolumeclaim", "persistentvolumeclaim"),
    ("kube_service", "service"),
];

/// Where the namespace is spelled, in the same three conventions.
const NAMESPACE: &[&str] = &["namespace", "kube_namespace", "k8s.namespace.name"];
const NODE: &[&str] = &["node", "kube_node", "k8s.node.name"];

/// Reads the entity an alert is about from kube-state-metrics /
/// kube-prometheus conventions: `namespace` + `pod` | `deployment` | ... ,
/// else `node`, else a host (`host`, or `instance` without its port).
/// Names that cannot be Kubernetes names (containing `/` or spaces) are
/// ignored rather than producing an entity that does not parse.
pub fn entity_from_labels(labels: &BTreeMap<String, String>) -> Option<Entity> {
    let get = |k: &str| labels.get(k).map(String::as_str).filter(|v| valid(v));
    if let Some(ns) = NAMESPACE.iter().find_map(|k| get(k)) {
        for (label, kind) in NAMESPACED {
            if let Some(name) = get(label) {
                return Some(Entity::namespaced(kind, ns, name));
            }
        }
    }
    if let Some(node) = NODE.iter().find_map(|k| get(k)) {
        return Some(Entity::cluster("node", node));
    }
    if let Some(host) = get("host").or_else(|| get("hostname")) {
        return Some(Entity::cluster("host", host));
    }
    let instance = labels.get("instance")?;
    let host = instance
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(instance.as_str(), |(h, _)| h);
    valid(host).then(|| Entity::cluster("host", host))
}

fn valid(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 253
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// A stable fingerprint of a label set, for sources that send none.
pub fn label_fingerprint(labels: &BTreeMap<String, String>) -> String {
    let joined: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let parts: Vec<&str> = joined.iter().map(String::as_str).collect();
    short_hex(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn most_specific_label_wins() {
        let l = labels(&[
            ("namespace", "shop"),
            ("pod", "cart-7d9f8b6c5-x2b4k"),
            ("deployment", "cart"),
            ("node", "n1"),
        ]);
        assert_eq!(
            entity_from_labels(&l).unwrap().to_string(),
            "pod/shop/cart-7d9f8b6c5-x2b4k"
        );
        let l = labels(&[("namespace", "shop"), ("deployment", "cart")]);
        assert_eq!(
            entity_from_labels(&l).unwrap().to_string(),
            "deployment/shop/cart"
        );
        let l = labels(&[("node", "node-3"), ("instance", "10.0.0.1:9100")]);
        assert_eq!(entity_from_labels(&l).unwrap().to_string(), "node/node-3");
        // Datadog and OpenTelemetry spellings.
        let l = labels(&[
            ("kube_namespace", "shop"),
            ("kube_deployment", "cart"),
            ("host", "i-0abc"),
        ]);
        assert_eq!(
            entity_from_labels(&l).unwrap().to_string(),
            "deployment/shop/cart"
        );
        let l = labels(&[("k8s.namespace.name", "shop"), ("k8s.pod.name", "cart-0")]);
        assert_eq!(
            entity_from_labels(&l).unwrap().to_string(),
            "pod/shop/cart-0"
        );
        let l = labels(&[("kube_namespace", "shop"), ("kube_service", "cart")]);
        assert_eq!(
            entity_from_labels(&l).unwrap().to_string(),
            "service/shop/cart"
        );
        let l = labels(&[("instance", "db-1.example:9100")]);
        assert_eq!(
            entity_from_labels(&l).unwrap().to_string(),
            "host/db-1.example"
        );
        // A namespace that is not a Kubernetes name yields nothing, not a broken entity.
        let l = labels(&[("namespace", "whatever/promstack"), ("pod", "x")]);
        assert_eq!(entity_from_labels(&l), None);
    }

    #[test]
    fn fingerprint_ignores_label_order() {
        let a = labels(&[("a", "1"), ("b", "2")]);
        let mut b = BTreeMap::new();
        b.insert("b".to_string(), "2".to_string());
        b.insert("a".to_string(), "1".to_string());
        assert_eq!(label_fingerprint(&a), label_fingerprint(&b));
        assert_ne!(
            label_fingerprint(&a),
            label_fingerprint(&labels(&[("a", "1")]))
        );
    }
}
