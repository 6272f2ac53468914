//! Places: the graph as correlation reasons over it.
//!
//! An alert about a Pod, its ReplicaSet, its Deployment or the Service in
//! front of it is about one *place*: the Deployment. Collapsing each owner
//! chain (and each Service selecting a single workload) into one place turns
//! the typed graph into a small dependency graph between places: a workload
//! depends on the workloads it calls and on the Nodes its Pods run on. Walks
//! over it are directional — *down* toward what a place depends on, *up*
//! toward what depends on it — because a failure travels up: errors on a
//! caller belong with a failure below it, while two callees of one caller
//! have nothing in common.
//!
//! Built once with the topology; each walk is a bounded breadth-first search
//! in index order, so answers are deterministic.

use super::{Relation, Topology};
use crate::conventions::fold_name;
use crate::entity::Entity;
use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::BTreeMap;

/// Which way a walk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Way {
    /// Toward what the place depends on (callees, Nodes).
    Down,
    /// Toward what depends on the place (callers, Pods on a Node).
    Up,
}

/// A place reached by a walk: how many place-hops away, and the edge and
/// place it was reached from (for the explanation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    pub place: NodeIndex,
    pub hops: usize,
    pub via: Option<(NodeIndex, EdgeIndex)>,
}

/// The place graph.
#[derive(Debug, Clone, Default)]
pub(super) struct Places {
    /// Node index → the node index of its place.
    place: Vec<NodeIndex>,
    /// Place → the places it depends on, each with one edge saying why.
    down: Vec<Vec<(NodeIndex, EdgeIndex)>>,
    /// Place → the places depending on it.
    up: Vec<Vec<(NodeIndex, EdgeIndex)>>,
    /// Service name → the Services of that name (any namespace).
    services: BTreeMap<String, Vec<NodeIndex>>,
    /// Folded service name ([`fold_name`]) → the Services folding to it.
    folded: BTreeMap<String, Vec<NodeIndex>>,
    /// Place → the ConfigMaps and Secrets it (or its Pods) uses.
    configs: BTreeMap<NodeIndex, Vec<NodeIndex>>,
    /// ConfigMap or Secret → the places using it.
    config_users: BTreeMap<NodeIndex, Vec<NodeIndex>>,
}

impl Places {
    pub(super) fn build(t: &Topology) -> Places {
        let g = &t.graph;
        let n = g.node_count();
        let mut p = Places {
            place: (0..n).map(NodeIndex::new).collect(),
            down: vec![Vec::new(); n],
            up: vec![Vec::new(); n],
            services: BTreeMap::new(),
            folded: BTreeMap::new(),
            configs: BTreeMap::new(),
            config_users: BTreeMap::new(),
        };
        // Owner chains first: every owned entity stands for its top owner.
        for i in g.node_indices() {
            p.place[i.index()] = top_owner(t, i);
        }
        // A Service selecting one place is that place.
        for i in g.node_indices() {
            if g[i].kind != "service" {
                continue;
            }
            p.services.entry(g[i].name.clone()).or_default().push(i);
            p.folded.entry(fold_name(&g[i].name)).or_default().push(i);
            let mut targets: Vec<NodeIndex> = g
                .edges_directed(i, Direction::Outgoing)
                .filter(|r| r.weight().relation == Relation::Selects)
                .map(|r| p.place[r.target().index()])
                .collect();
            targets.sort();
            targets.dedup();
            if let [one] = targets.as_slice() {
                p.place[i.index()] = *one;
            }
        }
        for e in g.edge_indices() {
            if g[e].relation != Relation::UsesConfig {
                continue;
            }
            let (a, b) = g.edge_endpoints(e).expect("edge exists");
            let user = p.place[a.index()];
            let used = p.configs.entry(user).or_default();
            if !used.contains(&b) {
                used.push(b);
                used.sort();
            }
            let users = p.config_users.entry(b).or_default();
            if !users.contains(&user) {
                users.push(user);
                users.sort();
            }
        }
        let mut edges: Vec<EdgeIndex> = g.edge_indices().collect();
        edges.sort_by_key(|e| {
            let (a, b) = g.edge_endpoints(*e).expect("edge exists");
            (&g[a], g[*e].relation, &g[b])
        });
        for e in edges {
            if !Relation::FAILURE.contains(&g[e].relation) {
                continue;
            }
            let (a, b) = g.edge_endpoints(e).expect("edge exists");
            let (pa, pb) = (p.place[a.index()], p.place[b.index()]);
            if pa == pb {
                continue;
            }
            if !p.down[pa.index()].iter().any(|(x, _)| *x == pb) {
                p.down[pa.index()].push((pb, e));
                p.up[pb.index()].push((pa, e));
            }
        }
        p
    }
}

/// The top of `i`'s owner chain (itself when nothing owns it).
fn top_owner(t: &Topology, i: NodeIndex) -> NodeIndex {
    let mut at = i;
    for _ in 0..8 {
        let owner = t
            .graph
            .edges_directed(at, Direction::Incoming)
            .filter(|r| r.weight().relation == Relation::Owns)
            .map(|r| r.source())
            .min_by(|a, b| t.graph[*a].cmp(&t.graph[*b]));
        match owner {
            Some(o) if o != i => at = o,
            _ => break,
        }
    }
    at
}

impl Topology {
    /// The place an entity's alerts are about, as a node index: a Pod → its
    /// Deployment (even a Pod the graph has not seen, by its name), a host →
    /// its Node, a Service selecting one workload → that workload.
    pub fn place_index(&self, e: &Entity) -> Option<NodeIndex> {
        let i = self.resolve(e)?;
        Some(self.places.place[i.index()])
    }

    /// [`Topology::place_index`] as an entity.
    pub fn place(&self, e: &Entity) -> Option<Entity> {
        self.place_index(e).map(|i| self.graph[i].clone())
    }

    /// The entity a signal is about, as the graph knows it: its own entity,
    /// or for a signal naming only a service (`service`/`job` labels, a
    /// PagerDuty service, a repository), that Service.
    pub fn signal_entity(&self, s: &crate::Signal) -> Option<Entity> {
        if let Some(e) = &s.entity {
            return Some(e.clone());
        }
        let svc = s.service.as_deref().filter(|v| !v.is_empty())?;
        let ns = ["namespace", "kube_namespace", "k8s.namespace.name"]
            .iter()
            .find_map(|k| s.tags.get(*k).map(String::as_str))
            .filter(|n| !n.is_empty());
        self.service_named(svc, ns)
    }

    /// The Node a Pod the graph knows runs on.
    pub fn node_of(&self, pod: &Entity) -> Option<NodeIndex> {
        if pod.kind != "pod" {
            return None;
        }
        let i = *self.index.get(pod)?;
        self.graph
            .edges_directed(i, Direction::Outgoing)
            .find(|r| r.weight().relation == Relation::RunsOn)
            .map(|r| r.target())
    }

    /// The Service a name denotes: `service/<namespace>/<name>` when the
    /// namespace is known and the graph has it, else the only Service of that
    /// name in the graph. A name as people write it (a PagerDuty service
    /// "FrontEnd (production)") finds the Service it folds to
    /// ([`fold_name`]) when no Service has that exact name.
    pub fn service_named(&self, name: &str, namespace: Option<&str>) -> Option<Entity> {
        let mut found = self.services_in(&self.places.services, name);
        if found.is_empty() {
            found = self.services_in(&self.places.folded, &fold_name(name));
        }
        if let Some(ns) = namespace {
            if let Some(e) = found.iter().find(|e| e.namespace.as_deref() == Some(ns)) {
                return Some((*e).clone());
            }
        }
        match found.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    }

    fn services_in<'a>(
        &'a self,
        index: &BTreeMap<String, Vec<NodeIndex>>,
        key: &str,
    ) -> Vec<&'a Entity> {
        if key.is_empty() {
            return Vec::new();
        }
        index
            .get(key)
            .map(|v| v.iter().map(|i| &self.graph[*i]).collect())
            .unwrap_or_default()
    }

    /// The ConfigMaps and Secrets a place (or its Pods) uses.
    pub fn configs_of(&self, place: &Entity) -> Vec<Entity> {
        let Some(i) = self.place_index(place) else {
            return Vec::new();
        };
        self.places
            .configs
            .get(&i)
            .map(|v| v.iter().map(|c| self.graph[*c].clone()).collect())
            .unwrap_or_default()
    }

    /// The places using a ConfigMap or Secret.
    pub fn config_users(&self, config: &Entity) -> Vec<Entity> {
        let Some(&i) = self.index.get(config) else {
            return Vec::new();
        };
        self.places
            .config_users
            .get(&i)
            .map(|v| v.iter().map(|u| self.graph[*u].clone()).collect())
            .unwrap_or_default()
    }

    /// The ConfigMap or Secret a file of a configuration repository holds:
    /// one whose name is the file's name without its extension, in a
    /// namespace the path names (`apps/shop/orders/orders-settings.yaml` →
    /// `configmap/shop/orders-settings`), or the only one of that name.
    pub fn config_in_file(&self, path: &str) -> Option<Entity> {
        let path = path.trim().trim_start_matches("./");
        let (dirs, file) = path.rsplit_once('/').unwrap_or(("", path));
        let stem = file
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .trim_end_matches(".json");
        if stem.is_empty() || stem == file && file.contains('.') {
            return None;
        }
        let segments: Vec<&str> = dirs.split('/').filter(|d| !d.is_empty()).collect();
        let mut found: Vec<&Entity> = Vec::new();
        for kind in ["configmap", "secret"] {
            for ns in &segments {
                if let Some(i) = self.index.get(&Entity::namespaced(kind, ns, stem)) {
                    return Some(self.graph[*i].clone());
                }
            }
            found.extend(
                self.index
                    .keys()
                    .filter(|e| e.kind == kind && e.name == stem),
            );
        }
        match found.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    }

    /// The ExternalName Service standing for an outside host.
    pub fn service_for_host(&self, host: &str) -> Option<Entity> {
        let h = host.trim_end_matches('.').to_ascii_lowercase();
        self.external.get(&h).map(|i| self.graph[*i].clone())
    }

    /// The Services a free text names, in the order it names them: its
    /// words (split at anything but letters, digits, `-` and `.`) that are
    /// a Service's name, or an outside host an ExternalName Service stands
    /// for. For signals whose labels name no place (a Grafana title such as
    /// "[FIRING:1] checkout_latency_slo_burn checkout prod", or "api.example.com
    /// health check is failing").
    pub fn services_named_in(&self, text: &str, namespace: Option<&str>) -> Vec<Entity> {
        let mut out: Vec<Entity> = Vec::new();
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.')) {
            let w = word
                .trim_matches(|c| c == '.' || c == '-')
                .to_ascii_lowercase();
            if w.len() < 2 {
                continue;
            }
            let found = if w.contains('.') {
                self.service_for_host(&w)
            } else {
                let named = self.services_in(&self.places.services, &w);
                match namespace {
                    Some(ns) => named
                        .iter()
                        .find(|e| e.namespace.as_deref() == Some(ns))
                        .map(|e| (*e).clone()),
                    None => None,
                }
                .or_else(|| match named.as_slice() {
                    [one] => Some((*one).clone()),
                    _ => None,
                })
            };
            if let Some(e) = found {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// Places within `max_hops` of `from` (a place index) going `way`, in
    /// walking order (nearest first, then index order), `from` excluded; at
    /// most `limit` of them.
    pub fn walk(&self, from: NodeIndex, way: Way, max_hops: usize, limit: usize) -> Vec<Reach> {
        let adj = match way {
            Way::Down => &self.places.down,
            Way::Up => &self.places.up,
        };
        let mut out: Vec<Reach> = Vec::new();
        let mut seen = std::collections::HashSet::from([from]);
        let mut frontier = vec![from];
        for hops in 1..=max_hops {
            let mut next = Vec::new();
            for &n in &frontier {
                for &(m, e) in adj.get(n.index()).into_iter().flatten() {
                    if !seen.insert(m) {
                        continue;
                    }
                    next.push(m);
                    out.push(Reach {
                        place: m,
                        hops,
                        via: Some((n, e)),
                    });
                    if out.len() >= limit {
                        return out;
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        out
    }

    /// The edges from `to` back to the walk's start, in the edge's own
    /// direction, nearest to the start first: "frontend calls cartservice",
    /// "cartservice calls redis-cart".
    pub fn hops_to(&self, walk: &[Reach], to: NodeIndex) -> Vec<super::Hop> {
        let mut hops = Vec::new();
        let mut at = to;
        for _ in 0..walk.len() + 1 {
            let Some(r) = walk.iter().find(|r| r.place == at) else {
                break;
            };
            let Some((prev, e)) = r.via else { break };
            let (a, b) = self.graph.edge_endpoints(e).expect("edge exists");
            hops.push(super::Hop {
                from: self.graph[a].clone(),
                relation: self.graph[e].relation,
                to: self.graph[b].clone(),
                inferred: self.graph[e].inferred,
            });
            at = prev;
        }
        hops.reverse();
        hops
    }
}
