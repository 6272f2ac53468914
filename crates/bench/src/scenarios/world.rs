//! A real application (manifests from the repo's fixtures) running on a
//! generated cluster: Nodes, one ReplicaSet per Deployment and its Pods
//! (`<deploy>-<hash>-<5>`) placed on the Nodes, plus the topology built from
//! both exactly as `causeway replay --topology` would.

use super::overlay::{self, Config, External};
use super::Rng;
use causeway_app::topology::{documents, load};
use causeway_core::hash::fnv1a;
use causeway_core::{Entity, Relation, Topology};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

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
    /// Its first container's image.
    pub image: String,
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
    /// Node → its InternalIP.
    pub node_ips: BTreeMap<String, String>,
    /// Workloads behind a Service, by name (the Service has the same name).
    pub workloads: BTreeMap<String, Workload>,
    /// Service → the services it calls.
    pub calls: BTreeMap<String, Vec<String>>,
    /// Service → the services calling it.
    pub callers: BTreeMap<String, Vec<String>>,
    /// The ConfigMaps and Secrets the workloads use.
    pub configs: Vec<Config>,
    /// The outside APIs, each behind an ExternalName Service.
    pub externals: Vec<External>,
    /// The GitOps repository holding the configuration (`owner/name`).
    pub config_repo: String,
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
        let named = overlay::nodes(name, nodes, rng);
        let nodes: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
        let node_ips: BTreeMap<String, String> = named.into_iter().collect();
        let mut specs = Vec::new();
        for (file, text) in &files {
            for doc in documents(file, text).unwrap_or_default() {
                let kind = doc["kind"].as_str().unwrap_or_default();
                if kind == "Deployment" || kind == "StatefulSet" {
                    specs.push(doc);
                }
            }
        }
        // The application's own call graph, before the environment's additions.
        let (served, calls, callers) = graph(&load(&files).topology);
        let namespace = specs
            .first()
            .and_then(|d| d["metadata"]["namespace"].as_str())
            .unwrap_or("default")
            .to_string();
        let services: Vec<String> = served.iter().cloned().collect();
        let configs = overlay::configs(&namespace, &services, &callers, rng);
        let externals = overlay::externals(&services, rng);
        let mut objects = Vec::new();
        for n in &nodes {
            objects.push(json!({"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": n, "labels": {"kubernetes.io/hostname": n, "kubernetes.io/os": "linux"}},
                "status": {"addresses": [{"type": "InternalIP", "address": node_ips[n]}, {"type": "Hostname", "address": n}]}}));
        }
        let mut all_workloads = BTreeMap::new();
        for d in &specs {
            let wname = d["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let ns = d["metadata"]["namespace"].as_str().unwrap_or("default");
            let labels = d["spec"]["template"]["metadata"]["labels"].clone();
            let kind = d["kind"].as_str().unwrap_or_default().to_string();
            let pod_spec = overlay::patch_pod_spec(
                &d["spec"]["template"]["spec"],
                &wname,
                &configs,
                &externals,
            );
            let mut live = d.clone();
            live["spec"]["template"]["spec"] = pod_spec.clone();
            objects.push(live);
            let replicas = rng.range(1, 3) as usize;
            let rs = format!("{wname}-{}", rng.k8s_suffix(9));
            if kind == "Deployment" {
                objects.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": rs, "namespace": ns, "labels": labels,
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": wname, "controller": true}]},
                    "spec": {"replicas": replicas, "template": {"metadata": {"labels": labels}, "spec": pod_spec}}}));
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
                let mut spec = pod_spec.clone();
                spec["nodeName"] = json!(node);
                objects.push(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": pod, "namespace": ns, "labels": labels,
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind, "name": owner, "controller": true}]},
                    "spec": spec}));
                pods.push(Pod { name: pod, node });
            }
            let image = d["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let w = Workload {
                kind: kind.to_ascii_lowercase(),
                name: wname.clone(),
                replicaset: rs,
                pods,
                image,
            };
            all_workloads.insert(wname, w);
        }
        objects.extend(overlay::objects(&namespace, &configs, &externals));
        let cluster = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        files.push((
            "cluster.json".into(),
            serde_json::to_string_pretty(&cluster).expect("json") + "\n",
        ));
        let topology = load(&files).topology;
        let workloads = all_workloads
            .into_iter()
            .filter(|(k, _)| served.contains(k))
            .collect();
        World {
            name: name.to_string(),
            namespace,
            files,
            topology,
            nodes,
            node_ips,
            workloads,
            calls,
            callers,
            configs,
            externals,
            config_repo: format!("acme/{name}-gitops"),
        }
    }

    /// A Node's InternalIP.
    pub fn node_ip(&self, node: &str) -> &str {
        self.node_ips.get(node).map_or("10.0.0.1", String::as_str)
    }

    /// The (stable) name of a monitoring exporter's Pod: `kube-state-metrics`,
    /// or `node-exporter@NODE` for the DaemonSet's Pod on that Node.
    pub fn exporter_pod(&self, what: &str) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        let pick = |i: u32| {
            let h = fnv1a(&[&self.name, what, &i.to_string()]);
            ALPHABET[(h % ALPHABET.len() as u64) as usize] as char
        };
        match what.split_once('@') {
            Some((ds, _)) => format!("{ds}-{}", (0..5).map(pick).collect::<String>()),
            None => format!(
                "{what}-{}-{}",
                (0..9).map(pick).collect::<String>(),
                (9..14).map(pick).collect::<String>()
            ),
        }
    }

    /// A monitoring exporter's Pod IP (in the Pod network, not a Node's).
    pub fn exporter_ip(&self, what: &str) -> String {
        let h = fnv1a(&[&self.name, what, "ip"]);
        format!("10.244.{}.{}", h % 64, 2 + (h >> 8) % 250)
    }

    /// The process a container of `svc` runs, as the kernel's OOM killer
    /// names it: the datastore's server binary, else the service's name.
    pub fn process(&self, svc: &str) -> String {
        let image = self.workloads.get(svc).map_or("", |w| w.image.as_str());
        let known = [
            ("redis", "redis-server"),
            ("mongo", "mongod"),
            ("mysql", "mysqld"),
            ("catalogue-db", "mysqld"),
            ("rabbitmq", "beam.smp"),
            ("postgres", "postgres"),
        ];
        known
            .iter()
            .find(|(k, _)| image.contains(k))
            .map_or_else(|| svc.to_string(), |(_, p)| p.to_string())
    }

    /// The ConfigMaps and Secrets `svc` uses.
    pub fn configs_of(&self, svc: &str) -> Vec<&Config> {
        self.configs
            .iter()
            .filter(|c| c.users.iter().any(|u| u == svc))
            .collect()
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

/// Service → workload pairs (the Service and the workload share a name),
/// and the call graph between them, from a topology.
#[allow(clippy::type_complexity)]
fn graph(
    topology: &Topology,
) -> (
    BTreeSet<String>,
    BTreeMap<String, Vec<String>>,
    BTreeMap<String, Vec<String>>,
) {
    let mut served = BTreeSet::new();
    let mut calls: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut callers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in topology.edges() {
        let same_ns = e.from.namespace == e.to.namespace;
        match e.relation {
            Relation::Selects
                if same_ns
                    && e.from.name == e.to.name
                    && matches!(e.to.kind.as_str(), "deployment" | "statefulset") =>
            {
                served.insert(e.to.name.clone());
            }
            Relation::Calls if same_ns && e.from.kind == "service" && e.to.kind == "service" => {
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
        m.retain(|k, _| served.contains(k));
        for v in m.values_mut() {
            v.retain(|s| served.contains(s));
            v.sort();
            v.dedup();
        }
        m.retain(|_, v| !v.is_empty());
    }
    (served, calls, callers)
}
