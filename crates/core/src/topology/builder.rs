//! Collects objects in any order, then builds the graph in one go.
//!
//! Two reasons not to add edges straight into petgraph: a Service's selector
//! and an env var naming a Service can only be matched once every object has
//! been seen (files come in any order), and node indices must follow sorted
//! entity order so that the same input always yields the same graph.

use super::{Relation, Topology};
use crate::entity::Entity;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub(super) type Labels = BTreeMap<String, String>;

/// An object (or ServiceGraph entry) left out of the topology, and why. The
/// caller shows these as warnings; nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub kind: String,
    pub name: String,
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "{}: {}", self.kind, self.reason)
        } else {
            write!(f, "{} {}: {}", self.kind, self.name, self.reason)
        }
    }
}

/// Accumulates Kubernetes objects and service graphs; [`TopologyBuilder::build`]
/// turns them into a [`Topology`].
#[derive(Debug, Clone, Default)]
pub struct TopologyBuilder {
    /// Every entity mentioned, declared or only referred to.
    pub(super) nodes: BTreeSet<Entity>,
    /// Entities an object of their own declared.
    pub(super) declared: BTreeSet<Entity>,
    /// `(from, relation, to)` → inferred. Stated beats inferred.
    pub(super) edges: BTreeMap<(Entity, Relation, Entity), bool>,
    /// Entities that name an owner in `ownerReferences`.
    pub(super) owned: BTreeSet<Entity>,
    /// Pod labels, matched against Service selectors.
    pub(super) pod_labels: BTreeMap<Entity, Labels>,
    /// Workloads' pod-template labels: manifests rarely hold Pods, so a
    /// Service is also linked to the workload whose Pods it would select.
    pub(super) template_labels: BTreeMap<Entity, Labels>,
    /// Service → its selector (`spec.selector`).
    pub(super) selectors: BTreeMap<Entity, Labels>,
    /// Workload → values of its `*_ADDR`/`*_HOST`/`*_URL` env vars.
    pub(super) addresses: BTreeMap<Entity, BTreeSet<String>>,
    /// ServiceGraph calls without a namespace, placed once all Services are known.
    pub(super) unscoped_calls: BTreeSet<(String, String)>,
    /// Node addresses and hostnames → the Node.
    pub(super) hosts: BTreeMap<String, Entity>,
    /// Outside hosts → the ExternalName Service standing for them.
    pub(super) external: BTreeMap<String, Entity>,
}

impl TopologyBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one parsed document: a Kubernetes object or list, or a
    /// `causeway/v1` ServiceGraph. Returns what was skipped; a YAML document
    /// that is empty (`null`) is neither added nor skipped.
    pub fn add_document(&mut self, v: &Value) -> Vec<Skipped> {
        if v.is_null() {
            return Vec::new();
        }
        let kind = v.get("kind").and_then(Value::as_str);
        let api = v.get("apiVersion").and_then(Value::as_str);
        if v.get("resourceSpans").is_some() {
            return match self.add_spans(v) {
                Ok(_) => Vec::new(),
                Err(reason) => vec![Skipped {
                    kind: "OTLP traces".into(),
                    name: String::new(),
                    reason,
                }],
            };
        }
        if kind == Some("ServiceGraph") || api == Some("causeway/v1") {
            return match self.add_service_graph(v) {
                Ok(_) => Vec::new(),
                Err(reason) => vec![Skipped {
                    kind: kind.unwrap_or("(no kind)").to_string(),
                    name: String::new(),
                    reason,
                }],
            };
        }
        self.add_k8s_object(v)
    }

    /// Adds `{"apiVersion": "causeway/v1", "kind": "ServiceGraph", "calls":
    /// [{"from", "to", "namespace"?}]}`: `from` calls (depends on) `to`.
    ///
    /// Names may be plain (`cartservice`) or entities (`service/shop/cart`).
    /// Without a namespace, a name goes to the one Service of that name if
    /// there is exactly one, else to `default`. All or nothing: one bad entry
    /// rejects the document. Returns the number of calls added.
    pub fn add_service_graph(&mut self, v: &Value) -> Result<usize, String> {
        if v.get("apiVersion").and_then(Value::as_str) != Some("causeway/v1")
            || v.get("kind").and_then(Value::as_str) != Some("ServiceGraph")
        {
            return Err("not a causeway/v1 ServiceGraph".into());
        }
        let calls = v
            .get("calls")
            .and_then(Value::as_array)
            .ok_or("'calls' must be an array")?;
        let mut scoped = Vec::new();
        let mut unscoped = Vec::new();
        for (i, c) in calls.iter().enumerate() {
            let field = |k: &str| {
                c.get(k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .map(str::trim)
                    .ok_or_else(|| format!("calls[{i}].{k} must be a non-empty string"))
            };
            let (from, to) = (field("from")?, field("to")?);
            let ns = match c.get("namespace") {
                None | Some(Value::Null) => None,
                Some(_) => Some(field("namespace")?),
            };
            match (service_ref(from, ns), service_ref(to, ns)) {
                (Ok(Some(a)), Ok(Some(b))) => scoped.push((a, b)),
                (Ok(_), Ok(_)) => unscoped.push((from.to_string(), to.to_string())),
                (Err(e), _) | (_, Err(e)) => return Err(format!("calls[{i}]: {e}")),
            }
        }
        let n = scoped.len() + unscoped.len();
        for (a, b) in scoped {
            self.edge(a, Relation::Calls, b, false);
        }
        self.unscoped_calls.extend(unscoped);
        Ok(n)
    }

    /// Adds the calls that OpenTelemetry trace spans show (an OTLP JSON
    /// export, `{"resourceSpans": [...]}`): a span whose parent ran in
    /// another service means the parent's service calls the span's.
    /// Services are named by `service.name` (in `k8s.namespace.name` when
    /// given, else placed by name like a ServiceGraph's). Returns the number
    /// of distinct calls found.
    pub fn add_spans(&mut self, v: &Value) -> Result<usize, String> {
        let resources = v
            .get("resourceSpans")
            .and_then(Value::as_array)
            .ok_or("'resourceSpans' must be an array")?;
        // span id → (service, namespace); then every (parent, child) pair.
        let mut owner: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
        let mut parents: Vec<(String, String)> = Vec::new();
        for r in resources {
            let attr = |k: &str| {
                r.pointer("/resource/attributes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|a| a.get("key").and_then(Value::as_str) == Some(k))
                    .and_then(|a| a.pointer("/value/stringValue"))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let Some(service) = attr("service.name") else {
                continue;
            };
            let ns = attr("k8s.namespace.name");
            let scopes = r
                .get("scopeSpans")
                .or_else(|| r.get("instrumentationLibrarySpans"))
                .and_then(Value::as_array);
            for scope in scopes.into_iter().flatten() {
                for span in scope
                    .get("spans")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(id) = span.get("spanId").and_then(Value::as_str) else {
                        continue;
                    };
                    owner.insert(id.to_string(), (service.clone(), ns.clone()));
                    if let Some(p) = span
                        .get("parentSpanId")
                        .and_then(Value::as_str)
                        .filter(|p| !p.is_empty())
                    {
                        parents.push((p.to_string(), id.to_string()));
                    }
                }
            }
        }
        let mut calls: BTreeSet<(String, Option<String>, String, Option<String>)> = BTreeSet::new();
        for (parent, child) in parents {
            let (Some(a), Some(b)) = (owner.get(&parent), owner.get(&child)) else {
                continue;
            };
            if a.0 != b.0 {
                calls.insert((a.0.clone(), a.1.clone(), b.0.clone(), b.1.clone()));
            }
        }
        let n = calls.len();
        for (from, from_ns, to, to_ns) in calls {
            match (from_ns, to_ns) {
                (Some(fa), Some(fb)) => self.edge(
                    Entity::namespaced("service", &fa, &from),
                    Relation::Calls,
                    Entity::namespaced("service", &fb, &to),
                    false,
                ),
                _ => {
                    self.unscoped_calls.insert((from, to));
                }
            }
        }
        Ok(n)
    }

    /// Records an entity an object declares.
    pub(super) fn declare(&mut self, e: Entity) {
        self.nodes.insert(e.clone());
        self.declared.insert(e);
    }

    /// Records an edge (and its ends). A stated edge wins over an inferred one.
    pub(super) fn edge(&mut self, from: Entity, relation: Relation, to: Entity, inferred: bool) {
        if from == to {
            return;
        }
        self.nodes.insert(from.clone());
        self.nodes.insert(to.clone());
        self.edges
            .entry((from, relation, to))
            .and_modify(|i| *i &= inferred)
            .or_insert(inferred);
    }

    /// Matches selectors, derives owners and calls, and builds the graph.
    pub fn build(mut self) -> Topology {
        self.match_selectors();
        self.infer_owners();
        self.derive_calls();
        self.place_unscoped_calls();
        let mut t = Topology::from_parts(std::mem::take(&mut self.nodes), &self.edges, &self.hosts);
        for (host, svc) in &self.external {
            if let Some(&i) = t.index.get(svc) {
                t.external.insert(host.clone(), i);
            }
        }
        t
    }

    /// Service → Pod by labels, and Service → top-level workload by its
    /// pod-template labels. An empty selector selects nothing (Kubernetes
    /// leaves such Services to hand-made Endpoints).
    fn match_selectors(&mut self) {
        // By namespace first: a Service selects only in its own, and
        // matching every Service against every Pod of a big cluster was
        // quadratic (seconds at 10,000 Services).
        let mut in_ns: BTreeMap<Option<&str>, Vec<(&Entity, &Labels)>> = BTreeMap::new();
        for (pod, labels) in &self.pod_labels {
            in_ns
                .entry(pod.namespace.as_deref())
                .or_default()
                .push((pod, labels));
        }
        for (wl, labels) in &self.template_labels {
            if !self.owned.contains(wl) {
                in_ns
                    .entry(wl.namespace.as_deref())
                    .or_default()
                    .push((wl, labels));
            }
        }
        let mut found = Vec::new();
        for (svc, sel) in &self.selectors {
            if sel.is_empty() {
                continue;
            }
            for (target, labels) in in_ns.get(&svc.namespace.as_deref()).into_iter().flatten() {
                if sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                    found.push((svc.clone(), (*target).clone()));
                }
            }
        }
        for (svc, target) in found {
            self.edge(svc, Relation::Selects, target, false);
        }
    }

    /// A Pod or ReplicaSet with no known owner is given the workload its
    /// generated name points to, when that workload is in the graph (never a
    /// new workload made up from a name alone).
    fn infer_owners(&mut self) {
        let has_owner: BTreeSet<&Entity> = self
            .edges
            .keys()
            .filter(|(_, r, _)| *r == Relation::Owns)
            .map(|(_, _, to)| to)
            .collect();
        let found: Vec<(Entity, Entity)> = self
            .nodes
            .iter()
            .filter(|e| matches!(e.kind.as_str(), "pod" | "replicaset"))
            .filter(|e| !has_owner.contains(e))
            .filter_map(|e| Some((e.inferred_owner()?, e.clone())))
            .filter(|(owner, _)| self.nodes.contains(owner))
            .collect();
        for (owner, e) in found {
            self.edge(owner, Relation::Owns, e, true);
        }
    }

    /// `calls` edges from env vars that name a Service (`cartservice:7070`,
    /// `http://frontend:80`): the caller is every Service selecting the
    /// workload, or the workload itself when no Service does (a load
    /// generator). Marked inferred: an env var is a strong hint, not a trace.
    fn derive_calls(&mut self) {
        let mut selecting: BTreeMap<&Entity, Vec<&Entity>> = BTreeMap::new();
        for (from, r, to) in self.edges.keys() {
            if *r == Relation::Selects {
                selecting.entry(to).or_default().push(from);
            }
        }
        let mut found = Vec::new();
        for (wl, values) in &self.addresses {
            for value in values {
                for (name, ns) in super::k8s::service_hosts(value) {
                    let Some(ns) = ns.or_else(|| wl.namespace.clone()) else {
                        continue;
                    };
                    let target = Entity::namespaced("service", &ns, &name);
                    if !self.declared.contains(&target) {
                        continue;
                    }
                    match selecting.get(wl) {
                        Some(callers) => {
                            for c in callers {
                                found.push(((*c).clone(), target.clone()));
                            }
                        }
                        None => found.push((wl.clone(), target.clone())),
                    }
                }
            }
        }
        for (caller, target) in found {
            self.edge(caller, Relation::Calls, target, true);
        }
    }

    fn place_unscoped_calls(&mut self) {
        let mut by_name: BTreeMap<&str, Vec<&Entity>> = BTreeMap::new();
        for e in self.declared.iter().filter(|e| e.kind == "service") {
            by_name.entry(e.name.as_str()).or_default().push(e);
        }
        let place = |name: &str| match by_name.get(name).map(Vec::as_slice) {
            _ if name.contains('/') => Entity::parse(name).ok(),
            Some([one]) => Some((*one).clone()),
            _ => Some(Entity::namespaced("service", "default", name)),
        };
        let found: Vec<(Entity, Entity)> = self
            .unscoped_calls
            .iter()
            .filter_map(|(a, b)| Some((place(a)?, place(b)?)))
            .collect();
        for (a, b) in found {
            self.edge(a, Relation::Calls, b, false);
        }
    }
}

/// A ServiceGraph name: an entity (`service/shop/cart`), a service in the
/// given namespace, or `None` when the namespace is still to be found.
fn service_ref(name: &str, ns: Option<&str>) -> Result<Option<Entity>, String> {
    if name.contains('/') {
        return Entity::parse(name).map(Some);
    }
    Ok(ns.map(|ns| Entity::namespaced("service", ns, name)))
}
