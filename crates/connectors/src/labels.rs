//! Conventional labels and tags → entity, shared by every Prometheus-style source.

use causeway_core::conventions::Labels;
use causeway_core::hash::short_hex;
use causeway_core::Entity;
use std::collections::BTreeMap;

/// Reads the entity an alert is about by the label conventions of
/// [`causeway_core::conventions`] (kube-state-metrics, Datadog,
/// OpenTelemetry, the older `kubernetes_sd` relabelling): the most specific
/// namespaced object, else a Node, else a host. Names that cannot be
/// Kubernetes names are ignored rather than producing an entity that does
/// not parse.
pub fn entity_from_labels(labels: &BTreeMap<String, String>) -> Option<Entity> {
    Labels(labels).entity()
}

/// The service name the labels give (`service`, `app.kubernetes.io/name`,
/// `app`, a PodMonitor's `namespace/name` job...), the monitoring stack's
/// own jobs skipped.
pub fn service_from_labels(labels: &BTreeMap<String, String>) -> Option<String> {
    Labels(labels).service()
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
