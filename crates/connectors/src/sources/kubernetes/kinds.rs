//! What the connector watches, and what it keeps of each object.
//!
//! The topology needs only the fields that tie objects together (see
//! `causeway_core::topology`): names, labels, owners, node placement,
//! selectors, pod templates, endpoint targets, Node addresses. Everything
//! else (managed fields, annotations such as `last-applied-configuration`,
//! container statuses, ConfigMap data) is dropped as an object arrives, so a
//! large cluster costs little memory and no configuration value is held.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Event, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::ApiResource;
use kube::core::DynamicObject;
use serde_json::Value;

/// One kind the connector lists and watches.
#[derive(Debug, Clone)]
pub(crate) struct Kind {
    pub resource: ApiResource,
    /// Nodes are cluster-scoped: watched once, whatever the namespaces.
    pub namespaced: bool,
    /// Events become signals; every other kind feeds the topology.
    pub is_event: bool,
}

fn kind<K>(namespaced: bool, is_event: bool) -> Kind
where
    K: kube::Resource<DynamicType = ()>,
{
    Kind {
        resource: ApiResource::erase::<K>(&()),
        namespaced,
        is_event,
    }
}

/// Every kind watched, topology kinds first. core/v1 Events only: the
/// events.k8s.io/v1 API serves the very same objects, so watching both
/// would bring each event twice.
pub(crate) fn watched() -> Vec<Kind> {
    vec![
        kind::<Deployment>(true, false),
        kind::<ReplicaSet>(true, false),
        kind::<StatefulSet>(true, false),
        kind::<DaemonSet>(true, false),
        kind::<Pod>(true, false),
        kind::<Service>(true, false),
        kind::<EndpointSlice>(true, false),
        kind::<Node>(false, false),
        kind::<ConfigMap>(true, false),
        kind::<Event>(true, true),
    ]
}

/// Where one watch looks: a kind in one namespace, or in all of them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Scope {
    pub kind: String,
    pub plural: String,
    /// `None`: every namespace (or a cluster-scoped kind).
    pub namespace: Option<String>,
}

impl Scope {
    /// "pods in namespace shop", "nodes", "services in all namespaces".
    pub fn describe(&self, namespaced: bool) -> String {
        match (&self.namespace, namespaced) {
            (Some(ns), _) => format!("{} in namespace {ns}", self.plural),
            (None, true) => format!("{} in all namespaces", self.plural),
            (None, false) => self.plural.clone(),
        }
    }
}

/// The object as JSON with its `kind` and `apiVersion` set (list items come
/// without them).
pub(crate) fn to_json(obj: DynamicObject, resource: &ApiResource) -> Value {
    let mut v = serde_json::to_value(obj).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.insert("kind".into(), resource.kind.clone().into());
        m.insert("apiVersion".into(), resource.api_version.clone().into());
    }
    v
}

/// Drops what the topology never reads. Node `status.addresses` is kept (a
/// host named by an `instance` label resolves to its Node); every other
/// `status`, ConfigMap `data`, and the metadata that changes on every write
/// (`resourceVersion`, `managedFields`) go — so a Pod's status update leaves
/// its pruned form unchanged and does not make the graph rebuild.
pub(crate) fn prune(mut v: Value) -> Value {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(m) = v.as_object_mut() else {
        return v;
    };
    if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.retain(|k, _| {
            matches!(
                k.as_str(),
                "name" | "namespace" | "labels" | "ownerReferences"
            )
        });
    }
    match kind.as_str() {
        "Node" => {
            let addresses = m.get("status").and_then(|s| s.get("addresses")).cloned();
            m.remove("spec");
            m.remove("status");
            if let Some(a) = addresses {
                m.insert("status".into(), serde_json::json!({ "addresses": a }));
            }
        }
        "ConfigMap" => {
            m.remove("data");
            m.remove("binaryData");
        }
        _ => {
            m.remove("status");
        }
    }
    v
}

/// `(namespace, name)` of an object, for the store.
pub(crate) fn key(v: &Value) -> (String, String) {
    let text = |k: &str| {
        v.pointer(&format!("/metadata/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (text("namespace"), text("name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pruning_keeps_what_ties_objects_together_and_drops_config_values() {
        let cm = prune(json!({
            "kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "app", "namespace": "shop", "annotations": {"a": "b"}, "managedFields": []},
            "data": {"DB_PASSWORD": "hunter2"}
        }));
        assert_eq!(
            cm,
            json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "app", "namespace": "shop"}})
        );
        let node = prune(json!({
            "kind": "Node", "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}},
            "spec": {"podCIDR": "10.0.0.0/24"},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.5"}], "images": [1, 2]}
        }));
        assert_eq!(
            node["status"],
            json!({"addresses": [{"type": "InternalIP", "address": "10.0.0.5"}]})
        );
        assert!(node.get("spec").is_none());
        let pod = prune(json!({
            "kind": "Pod", "metadata": {"name": "p", "ownerReferences": [{"kind": "ReplicaSet", "name": "r"}]},
            "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}
        }));
        assert_eq!(pod["spec"]["nodeName"], "n1");
        assert_eq!(pod["metadata"]["ownerReferences"][0]["name"], "r");
        assert!(pod.get("status").is_none());
    }

    #[test]
    fn every_watched_kind_has_its_api_path() {
        let kinds = watched();
        let plural: Vec<(&str, &str)> = kinds
            .iter()
            .map(|k| (k.resource.api_version.as_str(), k.resource.plural.as_str()))
            .collect();
        assert!(plural.contains(&("apps/v1", "replicasets")));
        assert!(plural.contains(&("discovery.k8s.io/v1", "endpointslices")));
        assert!(plural.contains(&("v1", "nodes")));
        assert_eq!(kinds.iter().filter(|k| k.is_event).count(), 1);
        assert_eq!(kinds.iter().filter(|k| !k.namespaced).count(), 1);
    }
}
