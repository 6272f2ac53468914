//! Entity → graph node, for the entities alerts actually carry.
//!
//! Alerts name things the graph may not hold as such: a Pod that has since
//! been replaced (its name still tells its Deployment), or a host taken from a
//! Prometheus `instance` label (`host/10.0.0.5`, `node-3:9100`) that is really
//! a Node. Resolution bridges those; an exact match always wins.

use super::Topology;
use crate::entity::Entity;
use petgraph::graph::NodeIndex;

impl Topology {
    /// The node standing for `e`: `e` itself, else its owning workload (for a
    /// Pod or ReplicaSet not in the graph), else the Node a `node/` or
    /// `host/` name, address or hostname denotes (port and domain stripped).
    pub fn resolve(&self, e: &Entity) -> Option<NodeIndex> {
        if let Some(&i) = self.index.get(e) {
            return Some(i);
        }
        match e.kind.as_str() {
            "pod" | "replicaset" => {
                let owner = e.inferred_owner()?;
                self.resolve(&owner)
            }
            "node" | "host" | "instance" => self.resolve_host(&e.name),
            _ => None,
        }
    }

    /// The entity `e` resolves to, owned.
    pub fn resolve_entity(&self, e: &Entity) -> Option<Entity> {
        self.resolve(e).map(|i| self.graph[i].clone())
    }

    fn resolve_host(&self, name: &str) -> Option<NodeIndex> {
        let mut candidates = vec![name];
        // `10.0.0.5:9100`; a bracketed IPv6 `[::1]:9100` keeps its colons.
        if let Some((host, port)) = name.rsplit_once(':') {
            if port.bytes().all(|b| b.is_ascii_digit()) && !host.is_empty() {
                candidates.push(host.trim_start_matches('[').trim_end_matches(']'));
            }
        }
        // `node-3.example.internal` → `node-3`, unless it is an IPv4 address.
        for c in candidates.clone() {
            if let Some((first, _)) = c.split_once('.') {
                if !c.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                    candidates.push(first);
                }
            }
        }
        candidates.into_iter().find_map(|h| {
            self.index
                .get(&Entity::cluster("node", h))
                .or_else(|| self.hosts.get(h))
                .copied()
        })
    }
}
