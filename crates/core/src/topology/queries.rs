//! Questions correlation and the UI ask the graph: whose is this, what is
//! near it, how are these two related, and what fails when this fails.

use super::{Relation, Topology};
use crate::entity::Entity;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// One edge on a path, always in the edge's own direction, so that it reads
/// as a sentence: "service/shop/cartservice calls service/shop/redis-cart".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hop {
    pub from: Entity,
    pub relation: Relation,
    pub to: Entity,
    pub inferred: bool,
}

impl fmt::Display for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.from, self.relation, self.to)
    }
}

/// What fails when `entity` fails: the downstream closure, nearest first.
/// `paths[i]` explains `impacted[i]`: the hops from it to `entity`
/// ("frontend calls cartservice", "cartservice calls redis-cart", …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Impact {
    pub entity: Entity,
    pub impacted: Vec<Entity>,
    pub paths: Vec<Vec<Hop>>,
}

/// A node reached by a breadth-first walk: how far, and the previous node
/// (nearer the start) with the hop between them.
struct Reached {
    node: NodeIndex,
    via: Option<(NodeIndex, Hop)>,
}

/// A walk's result: the nodes in the order reached, and where each one is.
struct Walk {
    order: Vec<Reached>,
    at: BTreeMap<NodeIndex, usize>,
}

impl Walk {
    fn values(&self) -> impl Iterator<Item = &Reached> {
        self.order.iter()
    }

    fn into_values(self) -> impl Iterator<Item = Reached> {
        self.order.into_iter()
    }

    fn get(&self, n: NodeIndex) -> Option<&Reached> {
        self.at.get(&n).map(|&i| &self.order[i])
    }
}

/// The hops from `node` back to the walk's start, nearest to `node` first.
fn hops_back(walk: &Walk, node: NodeIndex) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    let mut at = walk.get(node)?;
    while let Some((prev, hop)) = &at.via {
        hops.push(hop.clone());
        at = walk.get(*prev)?;
    }
    Some(hops)
}

impl Topology {
    /// `e` and then its owners, nearest first: a Pod, its ReplicaSet, its
    /// Deployment. A Pod not in the graph continues with the workload it
    /// resolves to. Just `[e]` when the graph does not know it.
    pub fn owner_chain(&self, e: &Entity) -> Vec<Entity> {
        let mut chain = vec![e.clone()];
        let Some(mut i) = self.resolve(e) else {
            return chain;
        };
        if self.graph[i] != *e {
            chain.push(self.graph[i].clone());
        }
        loop {
            let owner = self
                .adjacent(i, &[Direction::Incoming], None)
                .into_iter()
                .find(|(n, hop)| {
                    hop.relation == Relation::Owns && !chain.contains(&self.graph[*n])
                });
            let Some((n, _)) = owner else { break };
            chain.push(self.graph[n].clone());
            i = n;
        }
        chain
    }

    /// Everything within `hops` edges of `e` in either direction, nearest
    /// first, then in entity order; `e` itself is not included.
    pub fn neighbours_within(&self, e: &Entity, hops: usize) -> Vec<Entity> {
        let Some(start) = self.resolve(e) else {
            return Vec::new();
        };
        let both = [Direction::Outgoing, Direction::Incoming];
        self.reach(&[start], hops, &both, None, None)
            .into_values()
            .skip(1)
            .map(|r| self.graph[r.node].clone())
            .collect()
    }

    /// The shortest connection between `a` and `b` within `max_hops` edges,
    /// following edges either way (each hop keeps its own direction). Ties go
    /// to the path through the smallest entities. `Some(vec![])` when both
    /// resolve to the same node; `None` when either is unknown or too far.
    pub fn path(&self, a: &Entity, b: &Entity, max_hops: usize) -> Option<Vec<Hop>> {
        let (start, goal) = (self.resolve(a)?, self.resolve(b)?);
        let both = [Direction::Outgoing, Direction::Incoming];
        let reached = self.reach(&[start], max_hops, &both, Some(goal), None);
        let mut hops = hops_back(&reached, goal)?;
        hops.reverse();
        Some(hops)
    }

    /// Everything that fails when `e` fails: whatever reaches it along edges.
    /// For a Node: its Pods, their ReplicaSets and workloads, the Services
    /// selecting them, and every service calling an impacted one. A Pod not
    /// in the graph impacts the workload it resolves to, and on from there.
    pub fn impact(&self, e: &Entity) -> Impact {
        let mut impact = Impact {
            entity: e.clone(),
            impacted: Vec::new(),
            paths: Vec::new(),
        };
        let Some(root) = self.resolve(e) else {
            return impact;
        };
        // An unlisted Pod stands in for its workload's Pods: it is owned, not
        // the same thing, so the workload is the first impacted entity. A host
        // resolving to a Node *is* that Node.
        let owner_hop = (self.graph[root] != *e && matches!(e.kind.as_str(), "pod" | "replicaset"))
            .then(|| Hop {
                from: self.graph[root].clone(),
                relation: Relation::Owns,
                to: e.clone(),
                inferred: true,
            });
        if let Some(hop) = &owner_hop {
            impact.impacted.push(hop.from.clone());
            impact.paths.push(vec![hop.clone()]);
        }
        let reached = self.reach(&[root], usize::MAX, &[Direction::Incoming], None, None);
        for r in reached.values().skip(1) {
            let mut hops = hops_back(&reached, r.node).unwrap_or_default();
            hops.extend(owner_hop.clone());
            impact.impacted.push(self.graph[r.node].clone());
            impact.paths.push(hops);
        }
        impact
    }

    /// The places alerts about `e` stand for, `e`'s resolution first: the
    /// node it resolves to, its owners (a Pod's ReplicaSet and Deployment),
    /// and the Services selecting any of them. Correlation treats them as one
    /// place, so "cartservice's Pod" and "the cartservice Service" are 0 hops
    /// apart. Empty when the graph does not know `e`.
    pub fn anchors(&self, e: &Entity) -> Vec<Entity> {
        let Some(start) = self.resolve(e) else {
            return Vec::new();
        };
        let mut chain = self.owner_chain(&self.graph[start].clone());
        let mut selecting = Vec::new();
        for owned in &chain {
            let Some(&i) = self.index.get(owned) else {
                continue;
            };
            for (n, hop) in self.adjacent(i, &[Direction::Incoming], None) {
                if hop.relation == Relation::Selects && !chain.contains(&self.graph[n]) {
                    selecting.push(self.graph[n].clone());
                }
            }
        }
        selecting.sort();
        selecting.dedup();
        chain.extend(selecting);
        chain
    }

    /// Everything within `hops` edges of any of `starts` (either direction,
    /// only along `relations`), each with the hops from the nearest start to
    /// it, in walking order: the starts themselves first (no hops), then
    /// nearest first, then in entity order. Unknown starts are ignored.
    pub fn near(
        &self,
        starts: &[Entity],
        hops: usize,
        relations: &[Relation],
    ) -> Vec<(Entity, Vec<Hop>)> {
        let mut idx: Vec<NodeIndex> = starts.iter().filter_map(|e| self.resolve(e)).collect();
        idx.dedup();
        let mut seen = std::collections::BTreeSet::new();
        idx.retain(|i| seen.insert(*i));
        if idx.is_empty() {
            return Vec::new();
        }
        let both = [Direction::Outgoing, Direction::Incoming];
        let walk = self.reach(&idx, hops, &both, None, Some(relations));
        walk.values()
            .map(|r| {
                let mut path = hops_back(&walk, r.node).unwrap_or_default();
                path.reverse();
                (self.graph[r.node].clone(), path)
            })
            .collect()
    }

    /// Neighbours of `i` along the given directions (and relations, when
    /// given), with the hop to each, in entity then relation order.
    fn adjacent(
        &self,
        i: NodeIndex,
        dirs: &[Direction],
        only: Option<&[Relation]>,
    ) -> Vec<(NodeIndex, Hop)> {
        let mut out = Vec::new();
        for &dir in dirs {
            for r in self.graph.edges_directed(i, dir) {
                if only.is_some_and(|o| !o.contains(&r.weight().relation)) {
                    continue;
                }
                let other = if dir == Direction::Outgoing {
                    r.target()
                } else {
                    r.source()
                };
                let hop = Hop {
                    from: self.graph[r.source()].clone(),
                    relation: r.weight().relation,
                    to: self.graph[r.target()].clone(),
                    inferred: r.weight().inferred,
                };
                out.push((other, hop));
            }
        }
        out.sort_by(|(a, ha), (b, hb)| (&self.graph[*a], ha).cmp(&(&self.graph[*b], hb)));
        out
    }

    /// Breadth-first from `starts` (first in the walk), at most `max` hops,
    /// layer by layer in entity order, along `only` relations when given;
    /// stops early once `goal` is reached.
    fn reach(
        &self,
        starts: &[NodeIndex],
        max: usize,
        dirs: &[Direction],
        goal: Option<NodeIndex>,
        only: Option<&[Relation]>,
    ) -> Walk {
        let mut walk = Walk {
            order: Vec::new(),
            at: BTreeMap::new(),
        };
        for &s in starts {
            walk.at.insert(s, walk.order.len());
            walk.order.push(Reached { node: s, via: None });
        }
        let mut frontier = starts.to_vec();
        let mut depth = 0;
        while depth < max && !frontier.is_empty() && goal.is_none_or(|g| !walk.at.contains_key(&g))
        {
            depth += 1;
            // Keyed by entity: the layer comes out sorted, and each node keeps
            // the first (smallest) predecessor that found it.
            let mut layer: BTreeMap<&Entity, (NodeIndex, NodeIndex, Hop)> = BTreeMap::new();
            for &n in &frontier {
                for (m, hop) in self.adjacent(n, dirs, only) {
                    if !walk.at.contains_key(&m) {
                        layer.entry(&self.graph[m]).or_insert((m, n, hop));
                    }
                }
            }
            frontier.clear();
            for (m, prev, hop) in layer.into_values() {
                walk.at.insert(m, walk.order.len());
                walk.order.push(Reached {
                    node: m,
                    via: Some((prev, hop)),
                });
                frontier.push(m);
            }
        }
        walk
    }
}
