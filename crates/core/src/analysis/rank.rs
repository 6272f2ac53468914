//! Root-cause ranking over the topology, the pattern library and the
//! suggested action: the second half of [`crate::analysis`].
//!
//! Candidates are the places the incident's signals are about (a Pod counts
//! as its workload, a host as its Node) and the silent entities on the paths
//! between them. Each is scored on being upstream of the others (its impact
//! covers them), earliest onset, cause-type signals (OOM, node not ready, a
//! crash-looping database, a change shortly before) and the reasons that won
//! are the explanation; the confidence is the margin over the runner-up.

use super::classify::{classify, CauseKind, Class};
use super::Read;
use super::{node, Analysis, ChangeNote, Context, Graph, GraphEdge, GraphNode, Recurrence};
use crate::entity::Entity;
use crate::incident::RootCause;
use crate::signal::{Signal, SignalKind, SignalStatus};
use crate::topology::{Hop, Relation, Topology};
use crate::words::{describe, human_secs};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// What kind of cause a signal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CauseClass {
    Resource,
    Node,
    Crash,
}

/// A cause-type reading of one signal: label, weight, class.
fn cause_in(c: &Class) -> Option<(&'static str, f64, CauseClass)> {
    let kind = c.cause?;
    let class = match kind {
        CauseKind::NodeDown => CauseClass::Node,
        CauseKind::CrashLoop => CauseClass::Crash,
        _ => CauseClass::Resource,
    };
    Some((kind.label(), kind.weight(), class))
}

/// What the pattern library and the action read, beyond the ranking.
pub(crate) struct Facts<'a> {
    signals: &'a [Signal],
    /// Each signal's reading, in `signals` order.
    classes: Vec<Class>,
    topo: Option<&'a Topology>,
    changes: Vec<ChangeNote>,
    window: i64,
    recurrence: Option<Recurrence>,
    first_onset: Option<DateTime<Utc>>,
}

impl<'a> Facts<'a> {
    pub(crate) fn of(signals: &'a [Signal], ctx: &Context<'_>, topo: Option<&'a Topology>) -> Self {
        let mut changes: BTreeSet<ChangeNote> = ctx.changes.iter().cloned().collect();
        changes.extend(
            signals
                .iter()
                .filter(|s| s.kind == SignalKind::Change)
                .map(|s| ChangeNote {
                    at: s.occurred_at,
                    title: s.title.clone(),
                    entity: s.entity.clone(),
                    service: s.service.clone(),
                }),
        );
        // An alert that has since resolved still began when it began: the
        // stored signal is its latest state.
        let first_onset = signals
            .iter()
            .filter(|s| s.kind != SignalKind::Change && s.status != SignalStatus::Info)
            .map(|s| s.occurred_at)
            .min();
        Facts {
            signals,
            classes: signals.iter().map(classify).collect(),
            topo,
            changes: changes.into_iter().collect(),
            window: ctx.change_window_secs,
            recurrence: ctx.recurrence,
            first_onset,
        }
    }

    fn places(&self, e: &Entity) -> BTreeSet<Entity> {
        let mut p: BTreeSet<Entity> = self
            .topo
            .map(|t| t.anchors(e).into_iter().collect())
            .unwrap_or_default();
        p.insert(e.clone());
        p.insert(e.workload());
        p
    }

    /// The latest change on `root` (its owner chain, the Services selecting
    /// it, or its service name) up to the window before the first alert.
    pub(crate) fn change_on(&self, root: &Entity) -> Option<&ChangeNote> {
        let first = self.first_onset?;
        let places = self.places(root);
        let names: BTreeSet<&str> = places.iter().map(|e| e.name.as_str()).collect();
        self.changes
            .iter()
            .filter(|c| c.at <= first && (first - c.at).num_seconds() <= self.window)
            .filter(|c| {
                c.entity
                    .as_ref()
                    .is_some_and(|e| !self.places(e).is_disjoint(&places))
                    || c.service.as_deref().is_some_and(|s| names.contains(s))
            })
            .max()
    }

    /// The pattern that fits, strongest first. `covered` is how many other
    /// alerting places the root's impact covers.
    pub(crate) fn pattern(&self, root: &Entity, covered: usize) -> Option<String> {
        let name = if self.recurrence.is_some() {
            "recurring_failure"
        } else if self.change_on(root).is_some() {
            "deployment_regression"
        } else if matches!(root.kind.as_str(), "node" | "host") {
            "node_failure"
        } else if covered >= 2 {
            "cascading_failure"
        } else if self
            .signals
            .iter()
            .zip(&self.classes)
            .filter(|(s, _)| s.entity.is_some())
            .any(|(_, c)| cause_in(c).is_some_and(|c| c.2 == CauseClass::Resource))
        {
            "resource_exhaustion"
        } else if covered == 0 && self.network_places() >= 2 {
            "network_partition"
        } else {
            return None;
        };
        Some(name.to_string())
    }

    /// How many distinct places report connection failures or timeouts.
    fn network_places(&self) -> usize {
        let places: BTreeSet<Entity> = self
            .signals
            .iter()
            .zip(&self.classes)
            .filter(|(_, c)| c.network)
            .filter_map(|(s, _)| s.entity.as_ref())
            .map(|e| {
                self.topo
                    .and_then(|t| t.resolve_entity(e))
                    .unwrap_or_else(|| e.workload())
            })
            .collect();
        places.len()
    }

    pub(crate) fn action(&self, root: &Entity) -> Option<String> {
        self.change_on(root)
            .map(|c| format!("roll back {}", c.title))
    }
}

/// One place the incident's alerts are about.
struct Unit<'s> {
    anchors: BTreeSet<Entity>,
    onset: DateTime<Utc>,
    first: &'s Signal,
    /// Signal entities that stand for it (a Pod for its Deployment).
    members: BTreeSet<Entity>,
    cause: Option<(&'static str, f64, &'s Signal)>,
    /// The distinct kinds of cause its signals name.
    causes: BTreeSet<CauseKind>,
    /// How many of its signals are new behaviour (rarely seen before).
    fresh: usize,
}

/// The place an entity's alerts are about: the top of its owner chain in the
/// graph (a Pod → its Deployment; a host → its Node), else its workload.
fn place_of(topo: &Topology, e: &Entity) -> (Entity, bool) {
    match topo.resolve_entity(e) {
        Some(r) => {
            let chain = topo.owner_chain(&r);
            (chain.last().cloned().unwrap_or(r), true)
        }
        None => (e.workload(), false),
    }
}

struct Scored {
    entity: Entity,
    score: f64,
    onset: Option<DateTime<Utc>>,
    covered: Vec<Entity>,
    change: Option<ChangeNote>,
}

/// The analysis over the topology, or `None` when the graph knows none of
/// the incident's entities.
pub(crate) fn analyse_over(
    signals: &[Signal],
    topo: &Topology,
    ctx: &Context<'_>,
) -> Option<Analysis> {
    let reads: Vec<Read> = if ctx.reads.len() == signals.len() {
        ctx.reads.clone()
    } else {
        signals.iter().map(|s| read_of(topo, s)).collect()
    };
    let facts = Facts::of(signals, ctx, Some(topo));
    let mut units: BTreeMap<Entity, Unit> = BTreeMap::new();
    let mut any_known = false;
    let mut counts: BTreeMap<Entity, (u32, u32)> = BTreeMap::new();
    // Peer → how many of the incident's symptoms name it as what fails.
    let mut blamed: BTreeMap<Entity, usize> = BTreeMap::new();
    let mut symptoms = 0usize;
    // ConfigMaps and Secrets a failing Pod says are missing or wrong.
    let mut broken_configs: BTreeSet<Entity> = BTreeSet::new();
    for (s, r) in signals.iter().zip(&reads) {
        let Some(place) = r.place.clone() else {
            continue;
        };
        let e = s.entity.clone().unwrap_or_else(|| place.clone());
        let c = counts.entry(e.clone()).or_default();
        c.0 += 1;
        c.1 += u32::from(s.status == SignalStatus::Firing);
        if s.kind == SignalKind::Change || r.class.change {
            continue;
        }
        if r.class.cause == Some(CauseKind::BadConfig) {
            broken_configs.extend(r.config.clone());
        }
        if r.class.travels_up() && s.status == SignalStatus::Firing {
            symptoms += 1;
            if let Some(q) = r.peer.as_ref().filter(|q| **q != place) {
                *blamed.entry(q.clone()).or_default() += 1;
            }
        }
        any_known |= r.known;
        let cause = cause_in(&r.class).map(|(l, w, _)| (l, w, s));
        let u = units.entry(place.clone()).or_insert_with(|| Unit {
            anchors: topo
                .anchors(&place)
                .into_iter()
                .chain([place.clone()])
                .collect(),
            onset: s.occurred_at,
            first: s,
            members: BTreeSet::new(),
            cause: None,
            causes: BTreeSet::new(),
            fresh: 0,
        });
        u.causes.extend(r.class.cause);
        u.fresh += usize::from(r.fresh);
        u.members.insert(e.clone());
        if (s.occurred_at, &s.id) < (u.onset, &u.first.id) {
            u.onset = s.occurred_at;
            u.first = s;
        }
        if cause.is_some_and(|c| u.cause.is_none_or(|old| c.1 > old.1)) {
            u.cause = cause;
        }
    }
    if !any_known || units.is_empty() {
        return None;
    }

    // Silent entities on the paths between alerting places: gaps, not noise.
    let all_anchors: BTreeSet<&Entity> = units.values().flat_map(|u| &u.anchors).collect();
    let mut by_onset: Vec<&Entity> = units.keys().collect();
    by_onset.sort_by_key(|e| (units[*e].onset, *e));
    by_onset.truncate(8);
    let mut path_hops: BTreeSet<Hop> = BTreeSet::new();
    let mut silent: BTreeSet<Entity> = BTreeSet::new();
    for (i, a) in by_onset.iter().enumerate() {
        for b in &by_onset[i + 1..] {
            let Some(path) = topo.path(a, b, 5) else {
                continue;
            };
            if path
                .iter()
                .any(|h| !Relation::FAILURE.contains(&h.relation))
            {
                continue;
            }
            for h in path {
                for e in [&h.from, &h.to] {
                    if !all_anchors.contains(e) {
                        silent.insert(e.clone());
                    }
                }
                path_hops.insert(h);
            }
        }
    }

    // New behaviour counts where there is old behaviour to tell it from.
    let most_fresh = units.values().map(|u| u.fresh).max().unwrap_or(0);
    let all_fresh = units
        .values()
        .all(|u| u.fresh > 0 && u.fresh == u.members.len().max(1) && u.fresh == most_fresh);
    // A peer the callers blame but that raised nothing itself (a
    // partitioned service, an outside dependency): a candidate too.
    for q in blamed.keys() {
        if !units.contains_key(q) {
            silent.insert(q.clone());
        }
    }
    let first = units.values().map(|u| u.onset).min()?;
    let last = units.values().map(|u| u.onset).max()?;
    let span = (last - first).num_seconds();
    let n = units.len();
    let mut scored: Vec<Scored> = Vec::new();
    for c in units.keys().chain(silent.iter()) {
        let impact: BTreeSet<Entity> = topo.impact(c).impacted.into_iter().collect();
        let covered: Vec<Entity> = units
            .iter()
            .filter(|(u, unit)| *u != c && !unit.anchors.contains(c))
            .filter(|(_, unit)| !unit.anchors.is_disjoint(&impact))
            .map(|(u, _)| u.clone())
            .collect();
        let w = &ctx.weights;
        let mut score = w.upstream * covered.len() as f64 / (n.max(2) - 1) as f64;
        let unit = units.get(c);
        let onset = unit.map(|u| u.onset);
        match unit {
            Some(u) if span > 0 => {
                score += w.earliest * (1.0 - (u.onset - first).num_seconds() as f64 / span as f64);
            }
            Some(_) => score += w.earliest,
            None => score -= w.silent_penalty,
        }
        if let Some((_, weight, _)) = unit.and_then(|u| u.cause) {
            score += w.cause * weight;
        }
        if let Some(u) = unit {
            // Several resources of one place failing together: its own.
            score += w.more_causes * u.causes.len().saturating_sub(1) as f64;
            // A departure from its usual rhythm, among alerts that keep
            // coming back: new behaviour is what a new fault looks like.
            if most_fresh > 0 && !all_fresh {
                score += w.fresh * u.fresh as f64 / most_fresh as f64;
            }
        }
        // The share of the incident's symptoms that name it as their peer:
        // the service every erroring caller depends on.
        let votes = blamed.get(c).copied().unwrap_or(0);
        if votes > 0 && symptoms > 0 {
            score += w.blamed * votes as f64 / symptoms as f64;
        }
        let change = facts.change_on(c).cloned();
        if change.is_some() {
            score += w.change;
        }
        scored.push(Scored {
            entity: c.clone(),
            score,
            onset,
            covered,
            change,
        });
    }
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.onset.is_none().cmp(&b.onset.is_none()))
            .then(a.onset.cmp(&b.onset))
            .then(a.entity.cmp(&b.entity))
    });
    let win = &scored[0];
    // A configuration the root uses, applied just before (or missing a
    // key its Pods need), is the root's root: the rollout that followed a
    // config change was that change's doing.
    let config = config_root(topo, &facts, &win.entity, &broken_configs);
    let root = config
        .as_ref()
        .map_or_else(|| win.entity.clone(), |c| c.0.clone());
    let confidence = match scored.get(1) {
        None => 0.9,
        Some(second) => {
            let margin = (win.score - second.score).max(0.0);
            ((0.5 + 0.45 * (margin / 2.0).min(1.0)) * 100.0).round() / 100.0
        }
    };

    // The reasons that won.
    let mut reasons: Vec<String> = Vec::new();
    if let Some((c, why)) = &config {
        reasons.push(format!("{} uses {}, {why}", win.entity.name, describe(c)));
    }
    if let Some(v) = blamed.get(&win.entity).filter(|v| **v > 0) {
        reasons.push(format!(
            "{v} of the incident's {symptoms} error and latency alerts are of calls to it"
        ));
    }
    let covered_names = names_of(&win.covered, &root);
    if !covered_names.is_empty() {
        let names = and_list(&covered_names);
        let verb = if win.covered.len() == 1 {
            "depends"
        } else {
            "depend"
        };
        reasons.push(format!("most upstream: {names} {verb} on it"));
    }
    if let Some(on) = win.onset {
        let next = units
            .iter()
            .filter(|(e, _)| **e != root)
            .map(|(_, u)| u.onset)
            .min();
        match next {
            Some(next) if next > on => reasons.push(format!(
                "earliest onset, {} before the next",
                human_secs((next - on).num_seconds())
            )),
            Some(next) if next == on && on == first => {
                reasons.push("earliest onset, tied with others".into())
            }
            None => reasons.push(format!(
                "the only place alerting: \"{}\"",
                units[&root].first.title
            )),
            _ => {}
        }
    }
    let root_unit = units.get(&root);
    if let Some((label, _, s)) = root_unit.and_then(|u| u.cause) {
        reasons.push(format!("{label} (\"{}\")", s.title));
    }
    if let Some(c) = &win.change {
        let before = facts.first_onset.map_or(0, |f| (f - c.at).num_seconds());
        reasons.push(format!(
            "changed shortly before: \"{}\", {} before the first alert",
            c.title,
            human_secs(before)
        ));
    }
    if let Some(u) = root_unit {
        let owned: Vec<String> = u
            .members
            .iter()
            .filter(|m| **m != root)
            .map(|m| format!("{} {}", m.kind, m.name))
            .collect();
        if !owned.is_empty() {
            reasons.push(format!("alerts on {} count as its own", owned.join(", ")));
        }
    } else {
        reasons.push("silent, but on the path between alerting entities".into());
    }

    // Impact: the downstream closure of the root, minus what is part of it.
    let own = topo.anchors(&root);
    let impacted: Vec<Entity> = if topo.resolve(&root).is_some() {
        topo.impact(&root)
            .impacted
            .into_iter()
            .filter(|e| !own.contains(e) && *e != root)
            .collect()
    } else {
        units.keys().filter(|e| **e != root).cloned().collect()
    };

    let cause_label = root_unit.and_then(|u| u.cause).map(|c| c.0);
    let what = match (cause_label, &win.change) {
        (Some(l), _) => format!("{} {l}", root.name),
        (None, Some(c)) => format!("{} after \"{}\"", root.name, c.title),
        (None, None) => match root_unit {
            Some(u) => format!("{} (\"{}\")", root.name, u.first.title),
            None => format!("{} (silent)", root.name),
        },
    };
    let affected = names_of(&impacted, &root);
    let insight = if affected.is_empty() {
        format!("Root cause: {what}")
    } else if affected.len() > 5 {
        format!(
            "Root cause: {what}, affecting {} and {} more",
            affected[..5].join(", "),
            affected.len() - 5
        )
    } else {
        format!("Root cause: {what}, affecting {}", affected.join(", "))
    };

    let graph = graph(topo, &counts, &units, &silent, &path_hops, &root);
    let pattern = facts.pattern(&root, win.covered.len());
    let action = facts.action(&root);
    Some(Analysis {
        root_cause: Some(RootCause {
            explanation: reasons.join("; "),
            entity: root,
            confidence,
        }),
        impacted,
        insight: Some(insight),
        graph,
        pattern,
        action,
        impacted_omitted: None,
        signals_analysed: None,
    })
}

/// The analysis's own reading of a signal, without the engine: its entity's
/// place (or its service's), and its words.
fn read_of(topo: &Topology, s: &Signal) -> Read {
    let e = s.entity.clone().or_else(|| topo.signal_entity(s));
    let (place, known) = match &e {
        Some(e) => {
            let (p, k) = place_of(topo, e);
            (Some(p), k)
        }
        None => (None, false),
    };
    Read {
        place,
        known,
        class: classify(s),
        ..Read::default()
    }
}

/// A ConfigMap or Secret `root` uses that was applied shortly before the
/// first alert (and not before a later rollout of its own), or that its
/// Pods said was missing a key: the configuration, with why.
fn config_root(
    topo: &Topology,
    facts: &Facts<'_>,
    root: &Entity,
    broken: &BTreeSet<Entity>,
) -> Option<(Entity, String)> {
    let used = topo.configs_of(root);
    if let Some(c) = used.iter().find(|c| broken.contains(*c)) {
        return Some((c.clone(), "which its Pods say is missing or wrong".into()));
    }
    let first = facts.first_onset?;
    let applied = facts
        .changes
        .iter()
        .filter(|c| c.at <= first && (first - c.at).num_seconds() <= facts.window)
        .filter(|c| c.entity.as_ref().is_some_and(|e| used.contains(e)))
        .max()?;
    // A deploy of its own after the configuration (beyond the few minutes
    // a controller takes to roll the change out) is the later suspect.
    let own_deploy = facts.change_on(root).filter(|d| {
        d.entity.as_ref() != applied.entity.as_ref()
            && (d.at - applied.at).num_seconds() > ROLLOUT_SECS
    });
    if own_deploy.is_some() {
        return None;
    }
    let before = (first - applied.at).num_seconds();
    Some((
        applied.entity.clone()?,
        format!(
            "applied {} before the first alert (\"{}\")",
            human_secs(before),
            applied.title
        ),
    ))
}

/// How long after a configuration change a rollout is that change's own.
const ROLLOUT_SECS: i64 = 5 * 60;

/// Distinct names, in order, without the root's own.
fn names_of(es: &[Entity], root: &Entity) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in es {
        if e.name != root.name && !out.contains(&e.name) {
            out.push(e.name.clone());
        }
    }
    out
}

/// "a", "a and b", "a, b and c".
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn graph(
    topo: &Topology,
    counts: &BTreeMap<Entity, (u32, u32)>,
    units: &BTreeMap<Entity, Unit>,
    silent: &BTreeSet<Entity>,
    hops: &BTreeSet<Hop>,
    root: &Entity,
) -> Graph {
    let mut nodes: BTreeMap<Entity, GraphNode> = BTreeMap::new();
    let mut edges: Vec<GraphEdge> = Vec::new();
    for (e, (n, firing)) in counts {
        nodes.insert(e.clone(), node(e, *n, *firing, false));
        // The owner chain up to the place it stands for.
        let chain = topo.owner_chain(e);
        for pair in chain.windows(2) {
            edges.push(GraphEdge {
                from: pair[1].clone(),
                to: pair[0].clone(),
                relation: Relation::Owns.as_str().into(),
                inferred: !topo.has_edge(&pair[1], Relation::Owns, &pair[0]),
            });
        }
        for o in chain.iter().skip(1) {
            nodes
                .entry(o.clone())
                .or_insert_with(|| node(o, 0, 0, true));
        }
    }
    for e in units.keys().chain(silent) {
        nodes
            .entry(e.clone())
            .or_insert_with(|| node(e, 0, 0, true));
    }
    for h in hops {
        for e in [&h.from, &h.to] {
            nodes
                .entry(e.clone())
                .or_insert_with(|| node(e, 0, 0, true));
        }
        edges.push(GraphEdge {
            from: h.from.clone(),
            to: h.to.clone(),
            relation: h.relation.as_str().into(),
            inferred: h.inferred,
        });
    }
    if let Some(n) = nodes.get_mut(root) {
        n.root = true;
    }
    edges.sort_by(|a, b| (&a.from, &a.to, &a.relation).cmp(&(&b.from, &b.to, &b.relation)));
    edges.dedup();
    Graph {
        nodes: nodes.into_values().collect(),
        edges,
        omitted: None,
    }
}
