//! What an incident's signals say together: the causal graph, a first root
//! cause ranking, the impacted entities and a one-line insight.
//!
//! Without a topology the ranking uses the owner chain and earliest onset;
//! with one, `rank.rs` ranks over the graph. Both name a pattern from
//! the library and, after a change on the root, suggest rolling it back.

pub mod classify;
mod rank;

use crate::entity::Entity;
use crate::incident::RootCause;
use crate::signal::{Signal, SignalStatus};
use crate::topology::Topology;
use crate::words::describe;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// A node of an incident's graph: an entity and how many signals it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GraphNode {
    pub id: Entity,
    pub kind: String,
    pub label: String,
    pub signal_count: u32,
    pub firing: u32,
    pub root: bool,
    /// Present in the graph only because a signal's entity implies it.
    pub inferred: bool,
}

/// A typed edge: `owns`, `runs-on`, `selects`, `calls`, `uses-config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GraphEdge {
    pub from: Entity,
    pub to: Entity,
    pub relation: String,
    pub inferred: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    /// Entities left out of a bounded graph ([`Analysis::bounded`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub omitted: Option<u32>,
}

/// The incident's reading of its signals.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    pub root_cause: Option<RootCause>,
    pub impacted: Vec<Entity>,
    pub insight: Option<String>,
    pub graph: Graph,
    /// A pattern name from the library (`cascading_failure`...), when one fits.
    #[serde(default)]
    pub pattern: Option<String>,
    /// What to try first ("roll back deploy cartservice v1.4.2"), when known.
    #[serde(default)]
    pub action: Option<String>,
    /// Impacted entities left out of a bounded analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub impacted_omitted: Option<u32>,
    /// For an incident too big to read whole with every analysis: how many
    /// of its signals this one read (the first and the latest to join it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub signals_analysed: Option<u32>,
}

impl Analysis {
    /// The analysis as a person can read it: at most `nodes` entities in
    /// the graph (the root first, then those with the most firing signals)
    /// and `impacted` impacted entities, saying how many were left out. A
    /// storm's incident can span a hundred thousand Pods; no one reads that
    /// graph, and storing and sending it whole cost more than the rest of
    /// the incident's page.
    pub fn bounded(mut self, nodes: usize, impacted: usize) -> Analysis {
        let total = self.graph.nodes.len();
        if total > nodes {
            let mut order: Vec<usize> = (0..total).collect();
            let g = &self.graph.nodes;
            order.sort_by(|&a, &b| {
                let (x, y) = (&g[a], &g[b]);
                (y.root, y.firing, y.signal_count, !y.inferred)
                    .cmp(&(x.root, x.firing, x.signal_count, !x.inferred))
                    .then_with(|| x.id.cmp(&y.id))
            });
            let keep: std::collections::BTreeSet<usize> = order.into_iter().take(nodes).collect();
            let mut i = 0;
            self.graph.nodes.retain(|_| {
                i += 1;
                keep.contains(&(i - 1))
            });
            let kept: std::collections::BTreeSet<&Entity> =
                self.graph.nodes.iter().map(|n| &n.id).collect();
            let edges = std::mem::take(&mut self.graph.edges);
            self.graph.edges = edges
                .into_iter()
                .filter(|e| kept.contains(&e.from) && kept.contains(&e.to))
                .collect();
            self.graph.omitted = Some((total - nodes) as u32);
        }
        if self.impacted.len() > impacted {
            self.impacted_omitted = Some((self.impacted.len() - impacted) as u32);
            self.impacted.truncate(impacted);
        }
        self
    }
}

/// How the correlation engine read one signal: the place it is about, the
/// peer its errors name, the configuration it names, what it says. The
/// analysis ranks the same places the correlation reasoned over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Read {
    pub place: Option<Entity>,
    /// Whether the topology knows the place.
    pub known: bool,
    pub peer: Option<Entity>,
    pub config: Option<Entity>,
    pub class: classify::Class,
    /// New behaviour: its condition came seldom or never before it.
    pub fresh: bool,
}

/// What is known around an incident's signals: the topology, recent changes
/// (wherever their signals went), and whether its alert keeps recurring.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub topology: Option<&'a Topology>,
    pub changes: Vec<ChangeNote>,
    /// A change up to this long before the onset is a suspect.
    pub change_window_secs: i64,
    pub recurrence: Option<Recurrence>,
    /// The engine's reading of each signal, in the same order (empty: the
    /// analysis reads them itself from their entity and service).
    pub reads: Vec<Read>,
    pub weights: RankWeights,
}

/// How much each reason counts when the root cause is ranked (settings,
/// chosen by the bench's cross-validation like every other).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct RankWeights {
    /// Most upstream: the share of the other alerting places its failure
    /// reaches.
    pub upstream: f64,
    /// Earliest onset (scaled over the incident's span).
    pub earliest: f64,
    /// Times the weight of the cause its signals name (OOM 1.5, ...).
    pub cause: f64,
    /// Per further kind of cause at the same place.
    pub more_causes: f64,
    /// New behaviour among alerts that keep coming back.
    pub fresh: f64,
    /// The share of the incident's symptoms naming it as their peer.
    pub blamed: f64,
    /// A change on it shortly before.
    pub change: f64,
    /// Taken off a place that raised nothing itself.
    pub silent_penalty: f64,
}

impl Default for RankWeights {
    fn default() -> Self {
        RankWeights {
            upstream: 3.0,
            earliest: 1.0,
            cause: 1.0,
            more_causes: 0.5,
            fresh: 0.75,
            blamed: 2.5,
            change: 1.5,
            silent_penalty: 0.5,
        }
    }
}

impl Default for Context<'_> {
    fn default() -> Self {
        Context {
            topology: None,
            changes: Vec::new(),
            change_window_secs: 30 * 60,
            recurrence: None,
            reads: Vec::new(),
            weights: RankWeights::default(),
        }
    }
}

/// Analyses the signals of one incident (any order; the result is ordered),
/// without a topology or engine memory.
pub fn analyse(signals: &[Signal]) -> Analysis {
    analyse_with(signals, &Context::default())
}

/// Analyses the signals of one incident with what is known around them.
/// With a topology that knows the incident's entities, the root is ranked
/// over the graph (`rank.rs`); otherwise by owner chain and onset.
pub fn analyse_with(signals: &[Signal], ctx: &Context<'_>) -> Analysis {
    if let Some(a) = ctx
        .topology
        .and_then(|t| rank::analyse_over(signals, t, ctx))
    {
        return a;
    }
    let mut a = analyse_plain(signals);
    if let Some(root) = &a.root_cause {
        let facts = rank::Facts::of(signals, ctx, None);
        a.pattern = facts.pattern(&root.entity, 0);
        a.action = facts.action(&root.entity);
    }
    a
}

/// Owner chain and earliest onset only.
fn analyse_plain(signals: &[Signal]) -> Analysis {
    // Earliest onset per entity.
    let mut onset: BTreeMap<Entity, (DateTime<Utc>, &Signal)> = BTreeMap::new();
    let mut counts: BTreeMap<Entity, (u32, u32)> = BTreeMap::new();
    for s in signals {
        let Some(e) = &s.entity else { continue };
        let c = counts.entry(e.clone()).or_default();
        c.0 += 1;
        c.1 += u32::from(s.status == SignalStatus::Firing);
        let slot = onset.entry(e.clone()).or_insert((s.occurred_at, s));
        if (s.occurred_at, &s.id) < (slot.0, &slot.1.id) {
            *slot = (s.occurred_at, s);
        }
    }
    let mut order: Vec<(&Entity, &(DateTime<Utc>, &Signal))> = onset.iter().collect();
    order.sort_by(|a, b| (a.1 .0, a.0).cmp(&(b.1 .0, b.0)));

    let root_cause = rank_root(&order);
    let root = root_cause.as_ref().map(|r| r.entity.clone());

    let mut nodes: BTreeMap<Entity, GraphNode> = BTreeMap::new();
    let mut edges: Vec<GraphEdge> = Vec::new();
    for (e, (n, firing)) in &counts {
        nodes.insert(e.clone(), node(e, *n, *firing, false));
        if let Some(owner) = e.inferred_owner() {
            nodes
                .entry(owner.clone())
                .or_insert_with(|| node(&owner, 0, 0, true));
            edges.push(GraphEdge {
                from: owner,
                to: e.clone(),
                relation: "owns".into(),
                inferred: true,
            });
        }
    }
    if let Some(r) = &root {
        if let Some(n) = nodes.get_mut(r) {
            n.root = true;
        }
    }
    edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    edges.dedup();

    let impacted: Vec<Entity> = counts
        .keys()
        // What the root owns is part of it, not impacted by it.
        .filter(|e| root.as_ref().is_none_or(|r| *e != r && e.workload() != *r))
        .cloned()
        .collect();
    let insight = root_cause.as_ref().map(|r| {
        // The earliest signal on the root or on what it owns.
        let title = order
            .iter()
            .find(|(e, _)| **e == r.entity || e.workload() == r.entity)
            .map_or("", |(_, (_, s))| s.title.as_str());
        match impacted.len() {
            0 => format!("Root cause: {} — {}", describe(&r.entity), title),
            n => format!(
                "Root cause: {} — {}, affecting {} other entit{}",
                describe(&r.entity),
                title,
                n,
                if n == 1 { "y" } else { "ies" }
            ),
        }
    });
    Analysis {
        root_cause,
        impacted,
        insight,
        graph: Graph {
            nodes: nodes.into_values().collect(),
            edges,
            omitted: None,
        },
        pattern: None,
        action: None,
        impacted_omitted: None,
        signals_analysed: None,
    }
}

/// First ranking: when every alerting entity belongs to one workload, that
/// workload is the cause; otherwise the entity with the earliest onset.
fn rank_root(order: &[(&Entity, &(DateTime<Utc>, &Signal))]) -> Option<RootCause> {
    let (first, (at, sig)) = order.first()?;
    let workloads: std::collections::BTreeSet<Entity> =
        order.iter().map(|(e, _)| e.workload()).collect();
    if order.len() > 1 && workloads.len() == 1 {
        let w = workloads.into_iter().next()?;
        return Some(RootCause {
            explanation: format!(
                "all {} alerting entities belong to {}; first: \"{}\"",
                order.len(),
                describe(&w),
                sig.title
            ),
            entity: w,
            confidence: 0.8,
        });
    }
    let explanation = match order.get(1) {
        Some((_, (next, _))) if next == at => format!(
            "earliest onset, tied with other entities: \"{}\"",
            sig.title
        ),
        Some((_, (next, _))) => format!(
            "earliest onset: \"{}\" began {} before any other entity alerted",
            sig.title,
            crate::words::human_secs((*next - *at).num_seconds())
        ),
        None => format!("the only entity alerting: \"{}\"", sig.title),
    };
    Some(RootCause {
        entity: (*first).clone(),
        confidence: if order.len() == 1 { 0.9 } else { 0.6 },
        explanation,
    })
}

pub(crate) fn node(e: &Entity, signal_count: u32, firing: u32, inferred: bool) -> GraphNode {
    GraphNode {
        id: e.clone(),
        kind: e.kind.clone(),
        label: e.name.clone(),
        signal_count,
        firing,
        root: false,
        inferred,
    }
}

/// A deploy, rollout or config change the engine saw, wherever it went.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeNote {
    pub at: DateTime<Utc>,
    pub title: String,
    pub entity: Option<Entity>,
    pub service: Option<String>,
}

/// An alert that keeps coming back at a regular period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Recurrence {
    /// How many times it fired again after the first time.
    pub repeats: usize,
    /// The mean time between onsets, in seconds.
    pub period_secs: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sig(entity: &str, min: i64, title: &str) -> Signal {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let fp = format!("f-{entity}");
        let at = start + chrono::Duration::minutes(min);
        let mut s =
            crate::signal::test_alert(format!("s-{entity}-{min}"), &fp, Some(entity), title, at);
        s.received_at = start;
        s
    }

    #[test]
    fn a_storms_analysis_is_bounded_to_what_a_person_reads() {
        // The root's Pod and 50 others, one failing a minute before the rest.
        let mut sigs = vec![sig("pod/shop/db-0", 0, "OOM")];
        sigs.extend((1..=50).map(|i| sig(&format!("pod/shop/web-{i:02}"), 1, "5xx")));
        let whole = analyse(&sigs);
        assert!(whole.graph.nodes.len() > 20, "{}", whole.graph.nodes.len());
        let root = whole
            .graph
            .nodes
            .iter()
            .find(|n| n.root)
            .unwrap()
            .id
            .clone();
        let small = whole.clone().bounded(20, 5);
        assert_eq!(small.graph.nodes.len(), 20);
        assert_eq!(
            small.graph.omitted,
            Some((whole.graph.nodes.len() - 20) as u32)
        );
        assert!(
            small.graph.nodes.iter().any(|n| n.id == root),
            "the root stays"
        );
        let kept: Vec<&Entity> = small.graph.nodes.iter().map(|n| &n.id).collect();
        assert!(small
            .graph
            .edges
            .iter()
            .all(|e| kept.contains(&&e.from) && kept.contains(&&e.to)));
        assert!(whole.impacted.len() > 5, "{:?}", whole.impacted);
        assert_eq!(small.impacted, whole.impacted[..5]);
        assert_eq!(
            small.impacted_omitted,
            Some((whole.impacted.len() - 5) as u32)
        );
        assert_eq!(small.root_cause, whole.root_cause);
        // Within the bounds nothing changes, and nothing more is written.
        let same = whole.clone().bounded(1000, 1000);
        assert_eq!(same, whole);
        assert!(!serde_json::to_string(&same).unwrap().contains("mitted"));
    }

    #[test]
    fn one_workload_is_its_own_root_and_not_impacted() {
        let a = analyse(&[
            sig("deployment/shop/cart", 2, "replicas"),
            sig("pod/shop/cart-7d9f8b6c5-x2b4k", 0, "OOM"),
        ]);
        let r = a.root_cause.unwrap();
        assert_eq!(r.entity.to_string(), "deployment/shop/cart");
        assert!(a.impacted.is_empty());
        assert_eq!(
            a.insight.as_deref(),
            Some("Root cause: Deployment shop/cart — OOM")
        );
        let root: Vec<_> = a.graph.nodes.iter().filter(|n| n.root).collect();
        assert_eq!(root.len(), 1);
        assert_eq!(a.graph.edges.len(), 1);
        assert_eq!(a.graph.edges[0].relation, "owns");
    }

    #[test]
    fn earliest_onset_across_workloads_and_the_rest_impacted() {
        let a = analyse(&[
            sig("deployment/shop/frontend", 3, "slow"),
            sig("statefulset/shop/db", 0, "disk full"),
            sig("deployment/shop/cart", 3, "errors"),
        ]);
        let r = a.root_cause.unwrap();
        assert_eq!(r.entity.to_string(), "statefulset/shop/db");
        assert!(r.explanation.contains("3 min before"), "{}", r.explanation);
        assert_eq!(a.impacted.len(), 2);
        assert!(a.insight.unwrap().ends_with("affecting 2 other entities"));
        assert!(analyse(&[]).root_cause.is_none());
    }

    #[test]
    fn resource_exhaustion_in_its_kinds() {
        for title in [
            "redis-cart-0 OOMKilled and restarting",
            "CPUThrottlingHigh: 68% throttling of CPU",
            "Filesystem almost full on /var/lib/postgresql",
            "FATAL: too many connections for role app",
            "container memory at 97% of its limit",
        ] {
            let a = analyse(&[sig("deployment/shop/db", 0, title)]);
            assert_eq!(a.pattern.as_deref(), Some("resource_exhaustion"), "{title}");
            assert_eq!(
                a.root_cause.unwrap().entity.to_string(),
                "deployment/shop/db"
            );
        }
        // Errors alone are not resource exhaustion.
        let a = analyse(&[sig("deployment/shop/web", 0, "5xx ratio above 5%")]);
        assert_eq!(a.pattern, None);
    }
}
