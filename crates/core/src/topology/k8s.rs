//! Kubernetes objects → entities and edges: what each kind contributes.
//!
//! Only the fields that tie objects together are read (ownerReferences,
//! nodeName, selectors, pod-template labels, volume and env references,
//! Endpoints targets, env vars naming Services). Secret *values* are never
//! looked at: a Secret is a node like any other.

use super::builder::{Labels, Skipped, TopologyBuilder};
use super::Relation;
use crate::entity::Entity;
use serde_json::Value;
use std::collections::BTreeSet;

/// Kinds with a pod template, and their entity kind.
const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// Env var name endings whose value may name a Service.
const ADDRESS_SUFFIXES: &[&str] = &["_ADDR", "_HOST", "_URL"];

impl TopologyBuilder {
    /// Adds a Kubernetes object, or every item of a `List` / `PodList` / ….
    /// Kinds that are not part of the topology (ServiceAccount, Namespace,
    /// Ingress, …) and objects without a name are returned as skipped.
    pub fn add_k8s_object(&mut self, v: &Value) -> Vec<Skipped> {
        let mut skipped = Vec::new();
        self.add_object(v, None, &mut skipped);
        skipped
    }

    fn add_object(&mut self, v: &Value, kind_hint: Option<&str>, skipped: &mut Vec<Skipped>) {
        let kind = v.get("kind").and_then(Value::as_str).or(kind_hint);
        let Some(kind) = kind else {
            skipped.push(Skipped {
                kind: "(no kind)".into(),
                name: String::new(),
                reason: "not a Kubernetes object".into(),
            });
            return;
        };
        if let Some(items) = v.get("items").and_then(Value::as_array) {
            if kind.ends_with("List") {
                // Typed lists from the API (`PodList`) leave `kind` off their items.
                let hint = kind.strip_suffix("List").filter(|k| !k.is_empty());
                for item in items {
                    self.add_object(item, hint, skipped);
                }
                return;
            }
        }
        let meta = v.get("metadata");
        let text = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
        let Some(name) = text("name").filter(|n| !n.is_empty()) else {
            skipped.push(Skipped {
                kind: kind.into(),
                name: String::new(),
                reason: "no metadata.name".into(),
            });
            return;
        };
        // Manifests often leave the namespace to `kubectl apply -n`.
        let ns = text("namespace")
            .filter(|n| !n.is_empty())
            .unwrap_or("default");
        let spec = v.get("spec").unwrap_or(&Value::Null);
        match kind {
            "Pod" => self.add_pod(v, ns, name, spec),
            k if WORKLOADS.contains(&k) => self.add_workload(v, k, ns, name, spec),
            "Service" => {
                let svc = Entity::namespaced("service", ns, name);
                self.declare(svc.clone());
                // An ExternalName Service stands for a host outside the
                // cluster: what callers' errors and synthetic checks name.
                if let Some(host) = spec.get("externalName").and_then(Value::as_str) {
                    let host = host.trim_end_matches('.').to_ascii_lowercase();
                    if !host.is_empty() {
                        self.external.entry(host).or_insert(svc.clone());
                    }
                }
                if let Some(sel) = spec.get("selector").map(labels) {
                    self.selectors.insert(svc, sel);
                }
            }
            "Endpoints" => self.add_endpoints(v, ns, name),
            "EndpointSlice" => {
                let labels = meta.and_then(|m| m.get("labels")).map(labels);
                match labels.and_then(|l| l.get("kubernetes.io/service-name").cloned()) {
                    Some(svc) => self.add_endpoints(v, ns, &svc),
                    None => skipped.push(Skipped {
                        kind: kind.into(),
                        name: name.into(),
                        reason: "no kubernetes.io/service-name label".into(),
                    }),
                }
            }
            "Node" => self.add_node(v, name),
            "ConfigMap" | "Secret" => self.declare(Entity::namespaced(kind, ns, name)),
            _ => skipped.push(Skipped {
                kind: kind.into(),
                name: name.into(),
                reason: "kind is not part of the topology".into(),
            }),
        }
    }

    fn add_pod(&mut self, v: &Value, ns: &str, name: &str, spec: &Value) {
        let pod = Entity::namespaced("pod", ns, name);
        self.declare(pod.clone());
        self.owners(v, ns, &pod);
        if let Some(node) = spec.get("nodeName").and_then(Value::as_str) {
            self.edge(
                pod.clone(),
                Relation::RunsOn,
                Entity::cluster("node", node),
                false,
            );
        }
        self.pod_spec(&pod, ns, spec, false);
        let l = v
            .pointer("/metadata/labels")
            .map(labels)
            .unwrap_or_default();
        self.pod_labels.insert(pod, l);
    }

    fn add_workload(&mut self, v: &Value, kind: &str, ns: &str, name: &str, spec: &Value) {
        let wl = Entity::namespaced(kind, ns, name);
        self.declare(wl.clone());
        self.owners(v, ns, &wl);
        let template = if kind == "CronJob" {
            spec.pointer("/jobTemplate/spec/template")
        } else {
            spec.get("template")
        };
        let Some(template) = template else { return };
        let l = template
            .pointer("/metadata/labels")
            .map(labels)
            .unwrap_or_default();
        self.template_labels.insert(wl.clone(), l);
        if let Some(pod_spec) = template.get("spec") {
            self.pod_spec(&wl, ns, pod_spec, true);
        }
    }

    /// `ownerReferences` → `owner owns e`. A mirror Pod's Node "owner" is
    /// left out: `runs-on` already says it, and a Pod failing must not make
    /// its Node look impacted.
    fn owners(&mut self, v: &Value, ns: &str, e: &Entity) {
        let Some(refs) = v
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
        else {
            return;
        };
        for r in refs {
            let (Some(kind), Some(name)) = (
                r.get("kind").and_then(Value::as_str),
                r.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            if kind == "Node" || name.is_empty() {
                continue;
            }
            let owner = Entity::namespaced(kind, ns, name);
            self.owned.insert(e.clone());
            self.edge(owner, Relation::Owns, e.clone(), false);
        }
    }

    /// ConfigMaps and Secrets a pod spec mounts or reads, and (for workloads)
    /// the env values that may name the Services it calls.
    fn pod_spec(&mut self, from: &Entity, ns: &str, spec: &Value, workload: bool) {
        let mut refs: BTreeSet<Entity> = BTreeSet::new();
        let mut add = |kind: &str, name: Option<&Value>| {
            if let Some(n) = name.and_then(Value::as_str).filter(|n| !n.is_empty()) {
                refs.insert(Entity::namespaced(kind, ns, n));
            }
        };
        for vol in array(spec.get("volumes")) {
            add("configmap", vol.pointer("/configMap/name"));
            add("secret", vol.pointer("/secret/secretName"));
            for src in array(vol.pointer("/projected/sources")) {
                add("configmap", src.pointer("/configMap/name"));
                add("secret", src.pointer("/secret/name"));
            }
        }
        let containers = array(spec.get("containers")).chain(array(spec.get("initContainers")));
        let mut addresses = BTreeSet::new();
        for c in containers {
            for env in array(c.get("env")) {
                add("configmap", env.pointer("/valueFrom/configMapKeyRef/name"));
                add("secret", env.pointer("/valueFrom/secretKeyRef/name"));
                let var = env.get("name").and_then(Value::as_str).unwrap_or("");
                if let Some(value) = env.get("value").and_then(Value::as_str) {
                    if ADDRESS_SUFFIXES.iter().any(|s| var.ends_with(s)) {
                        addresses.insert(value.to_string());
                    }
                }
            }
            for from in array(c.get("envFrom")) {
                add("configmap", from.pointer("/configMapRef/name"));
                add("secret", from.pointer("/secretRef/name"));
            }
        }
        for r in refs {
            self.edge(from.clone(), Relation::UsesConfig, r, false);
        }
        if workload && !addresses.is_empty() {
            self.addresses
                .entry(from.clone())
                .or_default()
                .extend(addresses);
        }
    }

    /// Endpoints / EndpointSlice targets: the Service selects each target
    /// Pod, which runs on the address's Node when one is given.
    fn add_endpoints(&mut self, v: &Value, ns: &str, service: &str) {
        let svc = Entity::namespaced("service", ns, service);
        self.nodes.insert(svc.clone());
        let mut addresses: Vec<&Value> = Vec::new();
        for subset in array(v.get("subsets")) {
            addresses.extend(array(subset.get("addresses")));
            addresses.extend(array(subset.get("notReadyAddresses")));
        }
        addresses.extend(array(v.get("endpoints")));
        for a in addresses {
            let Some(target) = a.get("targetRef") else {
                continue;
            };
            if target.get("kind").and_then(Value::as_str) != Some("Pod") {
                continue;
            }
            let Some(name) = target.get("name").and_then(Value::as_str) else {
                continue;
            };
            let pod_ns = target
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or(ns);
            let pod = Entity::namespaced("pod", pod_ns, name);
            if let Some(node) = a.get("nodeName").and_then(Value::as_str) {
                self.edge(
                    pod.clone(),
                    Relation::RunsOn,
                    Entity::cluster("node", node),
                    false,
                );
            }
            self.edge(svc.clone(), Relation::Selects, pod, false);
        }
    }

    /// A Node, findable later by its addresses and hostname label too.
    fn add_node(&mut self, v: &Value, name: &str) {
        let node = Entity::cluster("node", name);
        self.declare(node.clone());
        let hostname = v.pointer("/metadata/labels/kubernetes.io~1hostname");
        let addresses = array(v.pointer("/status/addresses")).filter_map(|a| a.get("address"));
        for host in addresses.chain(hostname).filter_map(Value::as_str) {
            if host != name && !host.is_empty() {
                self.hosts.entry(host.to_string()).or_insert(node.clone());
            }
        }
    }
}

fn array(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

/// A label map; non-string values are written as JSON (`true`, `3`).
fn labels(v: &Value) -> Labels {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let s = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            (k.clone(), s)
        })
        .collect()
}

/// The Services an env value names: `(name, namespace if written)` for each
/// comma- or space-separated `svc`, `svc:port`, `scheme://svc:port/path`,
/// `svc.ns`, `svc.ns.svc` or `svc.ns.svc.cluster.local`. Anything else
/// (an IP, an external host, a plain word with a dot) names none.
pub(super) fn service_hosts(value: &str) -> Vec<(String, Option<String>)> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter_map(service_host)
        .collect()
}

fn service_host(value: &str) -> Option<(String, Option<String>)> {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        Some(_) => return None,
        None => authority,
    };
    let parts: Vec<&str> = host.split('.').collect();
    let ns = match parts.as_slice() {
        [_] => None,
        [_, ns] | [_, ns, "svc"] | [_, ns, "svc", "cluster", "local"] => Some(ns.to_string()),
        _ => return None,
    };
    let dns_label = |s: &str| {
        !s.is_empty()
            && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    (dns_label(parts[0]) && ns.as_deref().is_none_or(dns_label)).then(|| (parts[0].to_string(), ns))
}
