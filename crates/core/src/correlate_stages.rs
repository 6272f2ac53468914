//! The engine's topology-aware stages (trace, topology, temporal), their
//! indexes, and what the engine remembers beyond incidents: changes and the
//! firing episodes of each alert.

use super::{describe, human_secs, Engine};
use crate::analysis::{self, Analysis};
use crate::entity::Entity;
use crate::incident::LinkStrategy;
use crate::signal::{Signal, SignalKind, SignalStatus};
use crate::topology::{Hop, Relation};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BTreeSet;

type Claim = (String, LinkStrategy, f64, String);

/// How many recent incidents each service/namespace index keeps.
const SCOPE_KEEP: usize = 8;
/// How many distinct titles an incident keeps for the temporal stage.
const TITLES_KEEP: usize = 8;
/// How many changes each entity keeps.
const CHANGES_KEEP: usize = 4;
/// How many firing onsets each alert keeps.
const ONSETS_KEEP: usize = 12;

/// The firing episodes of one alert (fingerprint).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Episodes {
    /// Onset of each episode, oldest first (the last few).
    pub onsets: Vec<DateTime<Utc>>,
    pub firing: bool,
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

impl Engine {
    /// Remembers what outlives the decision: changes and firing episodes.
    pub(super) fn note(&mut self, signal: &Signal, at: DateTime<Utc>) {
        let ep = self.episodes.entry(signal.fingerprint.clone()).or_default();
        match signal.status {
            SignalStatus::Firing if !ep.firing => {
                ep.firing = true;
                ep.onsets.push(at);
                if ep.onsets.len() > ONSETS_KEEP {
                    ep.onsets.remove(0);
                }
            }
            SignalStatus::Resolved => ep.firing = false,
            _ => {}
        }
        if signal.kind == SignalKind::Change {
            let note = ChangeNote {
                at,
                title: signal.title.clone(),
                entity: signal.entity.clone(),
                service: signal.service.clone(),
            };
            for key in self.keys_of(signal) {
                let list = self.changes.entry(key).or_default();
                if !list.contains(&note) {
                    list.push(note.clone());
                    list.sort();
                    if list.len() > CHANGES_KEEP {
                        list.remove(0);
                    }
                }
            }
        }
    }

    /// Where a signal is, as index keys: its topology anchors (or its entity
    /// and workload without a graph) and its service.
    fn keys_of(&self, signal: &Signal) -> Vec<String> {
        let mut keys: Vec<String> = self
            .anchors(signal)
            .iter()
            .map(ToString::to_string)
            .collect();
        keys.extend(
            scopes(signal)
                .into_iter()
                .filter(|k| k.starts_with("service:")),
        );
        keys.sort();
        keys.dedup();
        keys
    }

    fn anchors(&self, signal: &Signal) -> Vec<Entity> {
        let Some(e) = &signal.entity else {
            return Vec::new();
        };
        let from_graph = self
            .topology
            .as_deref()
            .map(|t| t.anchors(e))
            .unwrap_or_default();
        if from_graph.is_empty() {
            let mut v = vec![e.clone(), e.workload()];
            v.dedup();
            v
        } else {
            from_graph
        }
    }

    /// Records `signal` of incident `id` in the stage indexes.
    pub(super) fn index(&mut self, id: &str, signal: &Signal, _at: DateTime<Utc>) {
        if let Some(tid) = signal.trace_id.as_deref().filter(|t| !t.is_empty()) {
            self.by_trace
                .entry(tid.to_string())
                .or_insert_with(|| (id.to_string(), signal.title.clone()));
        }
        let incidents = &self.incidents;
        let open = |i: &String| i == id || incidents.get(i).is_some_and(|x| x.status.is_open());
        for a in self.anchors(signal) {
            let set = self.by_entity.entry(a).or_default();
            set.retain(open);
            set.insert(id.to_string());
        }
        for scope in scopes(signal) {
            let list = self.by_scope.entry(scope).or_default();
            list.retain(|i| i != id);
            list.push(id.to_string());
            if list.len() > SCOPE_KEEP {
                list.remove(0);
            }
        }
        let titles = self.titles.entry(id.to_string()).or_default();
        if titles.len() < TITLES_KEEP && !titles.contains(&signal.title) {
            titles.push(signal.title.clone());
        }
    }

    /// Whether incident `id` is open and `at` within `window` of it.
    fn in_window(&self, id: &str, at: DateTime<Utc>, window: i64) -> bool {
        self.incidents.get(id).is_some_and(|inc| {
            inc.status.is_open()
                && (at - inc.last_at).num_seconds() <= window
                && (inc.opened_at - at).num_seconds() <= window
        })
    }

    /// Same trace id as a signal of an open incident.
    pub(super) fn trace_stage(&self, signal: &Signal) -> Option<Claim> {
        let tid = signal.trace_id.as_deref().filter(|t| !t.is_empty())?;
        let (id, title) = self.by_trace.get(tid)?;
        if !self.incidents.get(id)?.status.is_open() {
            return None;
        }
        let short = if tid.chars().count() > 8 {
            format!("{}…", tid.chars().take(8).collect::<String>())
        } else {
            tid.to_string()
        };
        let why = format!("same trace {short} as '{title}'");
        Some((id.clone(), LinkStrategy::Trace, 0.9, why))
    }

    /// Within a few hops of an open incident's entity in the topology.
    pub(super) fn topology_stage(&self, signal: &Signal, at: DateTime<Utc>) -> Option<Claim> {
        let topo = self.topology.as_deref()?;
        let anchors = topo.anchors(signal.entity.as_ref()?);
        if anchors.is_empty() {
            return None;
        }
        let window = self.config.topology_window_secs;
        let near = topo.near(&anchors, self.config.topology_max_hops, Relation::FAILURE);
        type Best<'a> = (
            (usize, Reverse<DateTime<Utc>>, &'a str),
            &'a Entity,
            &'a [Hop],
        );
        let mut best: Option<Best> = None;
        for (e, path) in &near {
            for id in self.by_entity.get(e).into_iter().flatten() {
                if !self.in_window(id, at, window) {
                    continue;
                }
                let key = (path.len(), Reverse(self.incidents[id].last_at), id.as_str());
                if best.as_ref().is_none_or(|b| key < b.0) {
                    best = Some((key, e, path));
                }
            }
        }
        let ((hops, Reverse(last), id), e, path) = best?;
        let apart = human_secs((at - last).num_seconds().abs());
        let why = if path.is_empty() {
            format!(
                "same place in the topology as {}, {apart} apart",
                describe(e)
            )
        } else {
            let said: Vec<String> = path.iter().map(say_hop).collect();
            format!("{}, {apart} apart", said.join(", "))
        };
        let score = match hops {
            0 => 0.85,
            1 => 0.75,
            2 => 0.6,
            _ => 0.5,
        };
        Some((id.to_string(), LinkStrategy::Topology, score, why))
    }

    /// Same service or namespace, shortly after, with a similar title.
    pub(super) fn temporal_stage(&self, signal: &Signal, at: DateTime<Utc>) -> Option<Claim> {
        let words = words(&signal.title);
        if words.is_empty() {
            return None;
        }
        let window = self.config.temporal_window_secs;
        type Best<'a> = (
            (Reverse<u64>, Reverse<DateTime<Utc>>, &'a str),
            f64,
            &'a str,
            &'a str,
        );
        let mut best: Option<Best> = None;
        let scopes = scopes(signal);
        for scope in &scopes {
            for id in self.by_scope.get(scope).into_iter().flatten() {
                if !self.in_window(id, at, window) {
                    continue;
                }
                for title in self.titles.get(id).into_iter().flatten() {
                    let sim = jaccard(&words, &self.words_of(title));
                    if sim < self.config.temporal_min_similarity {
                        continue;
                    }
                    let key = (
                        Reverse((sim * 1000.0).round() as u64),
                        Reverse(self.incidents[id].last_at),
                        id.as_str(),
                    );
                    if best.as_ref().is_none_or(|b| key < b.0) {
                        best = Some((key, sim, scope, title));
                    }
                }
            }
        }
        let ((_, Reverse(last), id), sim, scope, title) = best?;
        let (kind, name) = scope.split_once(':').unwrap_or(("scope", scope));
        let why = format!(
            "same {kind} {name}, title like '{title}' ({} % of words shared), {} apart",
            (sim * 100.0).round(),
            human_secs((at - last).num_seconds().abs())
        );
        Some((
            id.to_string(),
            LinkStrategy::Temporal,
            0.25 + 0.2 * sim,
            why,
        ))
    }

    fn words_of(&self, title: &str) -> BTreeSet<String> {
        words(title)
    }

    /// The alert `fingerprint` fired again after resolving at least
    /// `recurring_min_repeats` times, at a regular period (gaps within 25 %).
    pub fn recurrence(&self, fingerprint: &str) -> Option<Recurrence> {
        let onsets = &self.episodes.get(fingerprint)?.onsets;
        let n = self.config.recurring_min_repeats.max(1);
        if onsets.len() < n + 1 {
            return None;
        }
        let last = &onsets[onsets.len() - (n + 1)..];
        let gaps: Vec<i64> = last
            .windows(2)
            .map(|w| (w[1] - w[0]).num_seconds())
            .collect();
        let (min, max) = (*gaps.iter().min()?, *gaps.iter().max()?);
        if min <= 0 || max * 4 > min * 5 {
            return None;
        }
        Some(Recurrence {
            repeats: onsets.len() - 1,
            period_secs: gaps.iter().sum::<i64>() / gaps.len() as i64,
        })
    }

    /// The analysis of an incident from its `signals`, with what the engine
    /// knows around them: the topology, recent changes, recurrences.
    pub fn analyse(&self, signals: &[Signal]) -> Analysis {
        let mut changes = BTreeSet::new();
        let mut recurrence = None;
        for s in signals {
            for key in self.keys_of(s) {
                changes.extend(self.changes.get(&key).into_iter().flatten().cloned());
            }
            recurrence = recurrence.max(self.recurrence(&s.fingerprint));
        }
        analysis::analyse_with(
            signals,
            &analysis::Context {
                topology: self.topology.as_deref(),
                changes: changes.into_iter().collect(),
                change_window_secs: self.config.change_window_secs,
                recurrence,
            },
        )
    }
}

/// `service:NAME` and `namespace:NS` of a signal.
fn scopes(signal: &Signal) -> Vec<String> {
    let mut out = Vec::new();
    let e = signal.entity.as_ref();
    let workload = e
        .filter(|e| !matches!(e.kind.as_str(), "node" | "host" | "instance" | "cluster"))
        .map(|e| e.workload().name);
    if let Some(svc) = signal.service.clone().or(workload) {
        out.push(format!("service:{svc}"));
    }
    if let Some(ns) = e.and_then(|e| e.namespace.clone()) {
        out.push(format!("namespace:{ns}"));
    }
    out
}

/// Lowercase alphanumeric words of a title.
pub(crate) fn words(title: &str) -> BTreeSet<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// "cartservice calls redis-cart", "pod cart-… runs on node-3".
fn say_hop(h: &Hop) -> String {
    let verb = match h.relation {
        Relation::RunsOn => "runs on",
        Relation::UsesConfig => "uses the config of",
        other => other.as_str(),
    };
    format!("{} {verb} {}", short(&h.from), short(&h.to))
}

fn short(e: &Entity) -> String {
    match e.kind.as_str() {
        "pod" | "replicaset" | "configmap" | "secret" => format!("{} {}", e.kind, e.name),
        _ => e.name.clone(),
    }
}
