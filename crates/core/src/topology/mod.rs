//! The topology graph: which entity owns, runs on, selects, reads the
//! configuration of, or calls which other entity.
//!
//! Correlation and analysis ask it "are these two alerts related?" (a path
//! within a few hops), "whose Pod is this?" (the owner chain) and "what breaks
//! when this breaks?" (the impact closure). It is built from Kubernetes objects
//! and declared service graphs that the caller has already read and parsed
//! (see [`TopologyBuilder`]): this module does no I/O.
//!
//! Every edge points from the dependent to what it depends on *or* from an
//! owner to what it owns, so that in both cases a failure of the edge's target
//! reaches its source: a Pod `runs-on` a Node, a Service `selects` Pods, a
//! Deployment `owns` a ReplicaSet, a service `calls` another. The impact of an
//! entity is therefore everything that reaches it along edges.
//!
//! Deterministic by construction: node indices follow sorted entity order,
//! edges are added in sorted order, and every traversal visits neighbours in
//! entity order, so the same input always gives the same answers.

mod builder;
mod k8s;
mod places;
mod queries;
mod resolve;
#[cfg(test)]
mod tests;

pub use builder::{Skipped, TopologyBuilder};
pub use places::{Reach, Way};
pub use queries::{Hop, Impact};

use crate::entity::Entity;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What an edge means. Serialized as `owns`, `runs-on`, `selects`,
/// `uses-config`, `calls`: the relation names of the incident graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// Owner → owned: Deployment → ReplicaSet → Pod, StatefulSet/DaemonSet/Job → Pod.
    Owns,
    /// Pod → the Node it is scheduled on.
    RunsOn,
    /// Service → the Pods (or, from manifests, the workloads) it routes to.
    Selects,
    /// Pod or workload → a ConfigMap or Secret it mounts or reads into env.
    UsesConfig,
    /// Service → service: the caller depends on the callee.
    Calls,
}

impl Relation {
    /// The relations a failure travels along, for correlation: a call, a
    /// Pod's Node, a Service's Pods, an owner's Pods. Not `uses-config`: many
    /// workloads share a ConfigMap without sharing a fault.
    pub const FAILURE: &'static [Relation] = &[
        Relation::Calls,
        Relation::RunsOn,
        Relation::Selects,
        Relation::Owns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Owns => "owns",
            Relation::RunsOn => "runs-on",
            Relation::Selects => "selects",
            Relation::UsesConfig => "uses-config",
            Relation::Calls => "calls",
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An edge's weight: its relation, and whether it was guessed (from a
/// generated name or an env var) rather than stated by an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub relation: Relation,
    pub inferred: bool,
}

/// The built graph. Immutable: build a new one when the cluster changes.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    graph: DiGraph<Entity, Link>,
    index: BTreeMap<Entity, NodeIndex>,
    /// Node addresses and hostnames → the Node, for `host/10.0.0.5` entities
    /// that monitoring derives from an `instance` label.
    hosts: BTreeMap<String, NodeIndex>,
    /// Outside hosts → the ExternalName Service standing for them.
    external: BTreeMap<String, NodeIndex>,
    /// The graph collapsed into places, for correlation's directional walks.
    places: places::Places,
}

/// One edge as seen from outside: `from relation to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    pub from: Entity,
    pub relation: Relation,
    pub to: Entity,
    pub inferred: bool,
}

impl Topology {
    /// A graph from entities and edges, nodes indexed in sorted entity order.
    fn from_parts(
        nodes: impl IntoIterator<Item = Entity>,
        edges: &BTreeMap<(Entity, Relation, Entity), bool>,
        hosts: &BTreeMap<String, Entity>,
    ) -> Self {
        let mut t = Topology::default();
        let mut sorted: Vec<Entity> = nodes.into_iter().collect();
        sorted.sort();
        sorted.dedup();
        for e in sorted {
            let i = t.graph.add_node(e.clone());
            t.index.insert(e, i);
        }
        for ((from, relation, to), inferred) in edges {
            let (a, b) = (t.index[from], t.index[to]);
            let link = Link {
                relation: *relation,
                inferred: *inferred,
            };
            t.graph.add_edge(a, b, link);
        }
        for (host, node) in hosts {
            if let Some(&i) = t.index.get(node) {
                t.hosts.insert(host.clone(), i);
            }
        }
        t.places = places::Places::build(&t);
        t
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The entity at a node index returned by [`Topology::resolve`].
    pub fn entity(&self, i: NodeIndex) -> &Entity {
        &self.graph[i]
    }

    /// Whether the entity is itself a node (no resolution).
    pub fn contains(&self, e: &Entity) -> bool {
        self.index.contains_key(e)
    }

    /// All entities, sorted.
    pub fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.index.keys()
    }

    /// All edges, sorted by (from, relation, to).
    pub fn edges(&self) -> Vec<Edge> {
        let mut out: Vec<Edge> = self
            .graph
            .edge_references()
            .map(|r| Edge {
                from: self.graph[r.source()].clone(),
                relation: r.weight().relation,
                to: self.graph[r.target()].clone(),
                inferred: r.weight().inferred,
            })
            .collect();
        out.sort();
        out
    }

    /// Whether `from relation to` is an edge (exact entities, no resolution).
    pub fn has_edge(&self, from: &Entity, relation: Relation, to: &Entity) -> bool {
        let (Some(&a), Some(&b)) = (self.index.get(from), self.index.get(to)) else {
            return false;
        };
        self.graph
            .edges_connecting(a, b)
            .any(|r| r.weight().relation == relation)
    }
}
