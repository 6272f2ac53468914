//! A real application (manifests from the repo's fixtures) running on a
//! generated cluster: Nodes, one ReplicaSet per Deployment and its Pods
//! (`<deploy>-<hash>-<5>`) placed on the Nodes, plus the topology built from
//! both exactly as `causeway replay --topology` would.

use super::Rng;
use causeway_app::topology::{documents, load};
use causeway_core::{Entity, Relation, Topology};
use serde_json::json;
use std::collections::BTreeMap;

const BOUTIQUE: &str =
    include_str!("../../../../tests/fixtures/topologies/online-boutique/kubernetes-manifests.yaml");
const SOCK_SHOP: &str =
    include_str!("../../../../tests/fixtures/topologies/sock-shop/complete-demo.yaml");
const SOCK_SHOP_GRAPH: &str =
    include_str!("../../../../tests/fixtures/topologies/sock-shop/service-graph.json");

/// One running Pod.
#[derive(Debug, Clone)]
pub struct Pod {
    pub name: String,
    pub node: String,
}

/// A Deployment or StatefulSet and what runs for it.
#[derive(Debug, Clone)]
pub struct Workload {
    pub kind: String,
    pub name: String,
    pub replicaset: String,
    pub pods: Vec<Pod>,
}

/// An application on a cluster.
#[derive(Debug, Clone)]
pub struct World {
    /// `online-boutique`, `sock-shop`.
    pub name: String,
    pub namespace: String,
    /// The topology folder's files: manifests, service graph, `cluster.json`.
    pub files: Vec<(String, String)>,
    pub topology: Topology,
    pub nodes: Vec<String>,
    /// Workloads behind a Service, by name (the Service has the same name).
    pub workloads: BTreeMap<String, Workload>,
    /// Service → the services it calls.
    pub calls: BTreeMap<String, Vec<String>>,
    /// Service → the services calling it.
    pub callers: BTreeMap<String, Vec<String>>,
}

impl World {
    /// Both real applications, each on its own generated cluster.
    pub fn all(seed: u64) -> Vec<World> {
        vec![
            World::build(
                "online-boutique",
                vec![("kubernetes-manifests.yaml".into(), BOUTIQUE.into())],
                4,
                &mut Rng::new(seed ^ 0xb0),
            ),
            World::build(
                "sock-shop",
                vec![
                    ("complete-demo.yaml".into(), SOCK_SHOP.into()),
                    ("service-graph.json".into(), SOCK_SHOP_GRAPH.into()),
                ],
                5,
                &mut Rng::new(seed ^ 0x50c),
            ),
        ]
    }

    fn build(name: &str, mut files: Vec<(String, String)>, nodes: usize, rng: &mut Rng) -> World {
        let nodes: Vec<String> = (1..=nodes).map(|i| format!("{name}-node-{i}")).collect();
        let mut objects = Vec::new();
        for n in &nodes {
            objects.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n, "labels": {"kubernetes.io/hostname": n}}}));
        }
        let mut specs = Vec::new();
        for (file, text) in &files {
            for doc in documents(file, text).unwrap_or_default() {
                let kind = doc["kind"].as_str().unwrap_or_default();
                if kind == "Deployment" || kind == "StatefulSet" {
                    specs.push(doc);
                }
            }
        }
        let mut all_workloads = BTreeMap::new();
        let mut namespace = "default".to_string();
        for d in &specs {
            let wname = d["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let ns = d["metadata"]["namespace"].as_str().unwrap_or("default");
            namespace = ns.to_string();
            let labels = d["spec"]["template"]["metadata"]["labels"].clone();
            let kind = d["kind"].as_str().unwrap_or_default().to_string();
            let replicas = rng.range(1, 3) as usize;
            let rs = format!("{wname}-{}", rng.k8s_suffix(9));
            if kind == "Deployment" {
                objects.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": rs, "namespace": ns, "labels": labels,
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": wname, "controller": true}]}}));
            }
            let mut pods = Vec::new();
            for i in 0..replicas {
                let (pod, owner_kind, owner) = if kind == "Deployment" {
                    (
                        format!("{rs}-{}", rng.k8s_suffix(5)),
                        "ReplicaSet",
                        rs.clone(),
                    )
                } else {
                    (format!("{wname}-{i}"), "StatefulSet", wname.clone())
                };
                let node = rng.pick(&nodes).clone();
                objects.push(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": pod, "namespace": ns, "labels": labels,
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind, "name": owner, "controller": true}]},
                    "spec": {"nodeName": node}}));
                pods.push(Pod { name: pod, node });
            }
            let w = Workload {
                kind: kind.to_ascii_lowercase(),
                name: wname.clone(),
                replicaset: rs,
                pods,
            };
            all_workloads.insert(wname, w);
        }
        let cluster = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        files.push((
            "cluster.json".into(),
            serde_json::to_string_pretty(&cluster).expect("json") + "\n",
        ));
        let topology = load(&files).topology;
        let mut workloads = BTreeMap::new();
        let mut calls: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut callers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in topology.edges() {
            let same_ns = e.from.namespace.as_deref() == Some(namespace.as_str());
            match e.relation {
                Relation::Selects if same_ns && e.from.name == e.to.name => {
                    if let Some(w) = all_workloads.get(&e.to.name) {
                        workloads.insert(e.to.name.clone(), w.clone());
                    }
                }
                Relation::Calls
                    if same_ns && e.from.kind == "service" && e.to.kind == "service" =>
                {
                    calls
                        .entry(e.from.name.clone())
                        .or_default()
                        .push(e.to.name.clone());
                    callers
                        .entry(e.to.name.clone())
                        .or_default()
                        .push(e.from.name.clone());
                }
                _ => {}
            }
        }
        // Only services that run something take part in the call graph.
        for m in [&mut calls, &mut callers] {
            m.retain(|k, _| workloads.contains_key(k));
            for v in m.values_mut() {
                v.retain(|s| workloads.contains_key(s));
            }
            m.retain(|_, v| !v.is_empty());
        }
        World {
            name: name.to_string(),
            namespace,
            files,
            topology,
            nodes,
            workloads,
            calls,
            callers,
        }
    }

    /// The workload entity behind service `svc` (`deployment/ns/name`).
    pub fn workload_entity(&self, svc: &str) -> Entity {
        let kind = self
            .workloads
            .get(svc)
            .map_or("deployment", |w| w.kind.as_str());
        Entity::namespaced(kind, &self.namespace, svc)
    }

    /// Services that others call and that call nothing: datastores and leaf APIs.
    pub fn leaves(&self) -> Vec<String> {
        self.callers
            .keys()
            .filter(|s| !self.calls.contains_key(*s))
            .cloned()
            .collect()
    }

    /// Leaves that are datastores (by name).
    pub fn databases(&self) -> Vec<String> {
        let dbs: Vec<String> = self
            .leaves()
            .into_iter()
            .filter(|s| s.contains("db") || s.contains("redis") || s.contains("rabbit"))
            .collect();
        if dbs.is_empty() {
            self.leaves()
        } else {
            dbs
        }
    }

    /// Every Pod on `node`, as `(workload, pod)`.
    pub fn pods_on(&self, node: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for w in self.workloads.values() {
            for p in w.pods.iter().filter(|p| p.node == node) {
                out.push((w.name.clone(), p.name.clone()));
            }
        }
        out
    }

    /// The callers of `svc` up to `depth` hops, with their distance (1 = direct).
    pub fn upstream(&self, svc: &str, depth: usize) -> Vec<(String, usize)> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut frontier = vec![svc.to_string()];
        for d in 1..=depth {
            let mut next = Vec::new();
            for s in &frontier {
                for c in self.callers.get(s).into_iter().flatten() {
                    if c != svc && !seen.contains_key(c) {
                        seen.insert(c.clone(), d);
                        next.push(c.clone());
                    }
                }
            }
            frontier = next;
        }
        let mut v: Vec<(String, usize)> = seen.into_iter().collect();
        v.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        v
    }
}
