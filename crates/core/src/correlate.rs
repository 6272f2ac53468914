//! The online correlation engine, shaped like Alertmanager's dispatcher: a
//! signal passes through small stages in order and the first that claims it
//! decides, with a recorded reason.
//!
//! 1. **fingerprint** — repeats and resolves of an alert go where its first
//!    firing went;
//! 2. **resource** — a signal on the same workload (owner chain inferred from
//!    the entity) as an open incident, within the window, joins it;
//! 3. **trace** — a signal carrying the trace id of an open incident's signal
//!    joins it;
//! 4. **topology** — a signal within a few hops of an open incident's entity
//!    in the topology graph (calls, runs-on, selects, owns), within the
//!    topology window, joins the nearest such incident;
//! 5. **temporal** — a signal of the same service or namespace, shortly after
//!    and with a similar title, joins with low confidence;
//! 6. **open** — a firing signal severe enough opens a new incident;
//! 7. otherwise the signal waits unassigned for review.
//!
//! Every stage finds its candidates through an index (fingerprint, workload,
//! trace id, topology entity, service/namespace), never by scanning all
//! incidents. The topology is optional and not part of the serialized state:
//! set it again with [`Engine::set_topology`] after loading.
//!
//! All time comes from the signals (`Signal::event_time`), never the clock, and
//! all state is in ordered maps, so two replays of the same input decide the
//! same thing in the same order. The state serializes, so the live app can
//! persist it with the rows it decided and resume after a crash.

use crate::entity::Entity;
use crate::hash::short_hex;
use crate::incident::{Confidence, CorrelationLink, IncidentStatus, LinkStrategy};
use crate::signal::{Severity, Signal, SignalStatus};
use crate::topology::Topology;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[path = "correlate_stages.rs"]
mod stages;
pub(crate) use stages::words as words_of_title;
pub use stages::{ChangeNote, Recurrence};

/// Every knob of the engine, with defaults an on-call engineer would pick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CorrelationConfig {
    /// A signal joins an open incident of the same workload when it comes
    /// within this many seconds of the incident's last signal.
    pub group_window_secs: i64,
    /// A resolved incident re-opens when the same alert fires again within
    /// this many seconds; later, it is a new incident.
    pub reopen_window_secs: i64,
    /// Firing signals at least this severe open an incident on their own;
    /// milder ones wait unassigned unless something claims them.
    pub open_min_severity: Severity,
    /// The topology stage links a signal to an open incident whose entity is
    /// within this many hops in the graph (counting `calls`, `runs-on`,
    /// `selects` and `owns` edges; a workload, its Pods and the Services
    /// selecting it are one place).
    pub topology_max_hops: usize,
    /// ...and only when the signal comes within this many seconds of that
    /// incident's last signal.
    pub topology_window_secs: i64,
    /// The temporal stage links a signal of the same service or namespace
    /// with a similar title when it comes within this many seconds of an open
    /// incident's last signal.
    pub temporal_window_secs: i64,
    /// Minimal similarity (Jaccard index over lowercase title words, 0..=1)
    /// between the signal's title and one of the incident's for the temporal
    /// stage.
    pub temporal_min_similarity: f64,
    /// A change (deploy, rollout, config) on the root cause up to this many
    /// seconds before an incident's onset is a suspect, and rolling it back
    /// the suggested action.
    pub change_window_secs: i64,
    /// The same alert firing again after resolving at least this many times,
    /// at a regular period, makes its incidents a `recurring_failure`.
    pub recurring_min_repeats: usize,
}

impl Default for CorrelationConfig {
    fn default() -> Self {
        CorrelationConfig {
            group_window_secs: 30 * 60,
            reopen_window_secs: 15 * 60,
            open_min_severity: Severity::Low,
            topology_max_hops: 2,
            topology_window_secs: 10 * 60,
            temporal_window_secs: 3 * 60,
            temporal_min_similarity: 0.5,
            change_window_secs: 30 * 60,
            recurring_min_repeats: 3,
        }
    }
}

/// What the engine knows of one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentState {
    pub id: String,
    pub title: String,
    pub group_key: Option<String>,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub opened_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Fingerprints whose alert is firing now.
    pub firing: BTreeSet<String>,
    pub signal_count: u64,
}

/// The engine's answer for one signal.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The signal belongs to `incident` (new when `opened`), for `link`'s reason.
    Attach {
        link: CorrelationLink,
        opened: bool,
        /// The incident as it stands after this signal.
        incident: Box<IncidentState>,
    },
    /// Nothing claimed it; `reason` says why.
    Unassigned { reason: String },
}

/// The engine and its whole state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Engine {
    config: CorrelationConfig,
    incidents: BTreeMap<String, IncidentState>,
    by_fingerprint: BTreeMap<String, String>,
    by_group: BTreeMap<String, String>,
    /// Trace id → the incident and the title of the signal that carried it.
    #[serde(default)]
    by_trace: BTreeMap<String, (String, String)>,
    /// Topology entity (a signal's anchors) → incidents with a signal there.
    #[serde(default)]
    by_entity: BTreeMap<Entity, BTreeSet<String>>,
    /// `service:NAME` / `namespace:NS` → the latest incidents there, newest last.
    #[serde(default)]
    by_scope: BTreeMap<String, Vec<String>>,
    /// Incident → distinct titles of its signals (the first few).
    #[serde(default)]
    titles: BTreeMap<String, Vec<String>>,
    /// Fingerprint → onsets of its firing episodes, for recurring failures.
    #[serde(default)]
    episodes: BTreeMap<String, stages::Episodes>,
    /// Entity or `service:NAME` → recent changes (deploys, config) there.
    #[serde(default)]
    changes: BTreeMap<String, Vec<ChangeNote>>,
    /// The graph the topology stage walks; not state: set again after load.
    #[serde(skip)]
    topology: Option<Arc<Topology>>,
}

impl Engine {
    pub fn new(config: CorrelationConfig) -> Self {
        Engine {
            config,
            ..Default::default()
        }
    }

    /// An engine that also correlates over `topology`.
    pub fn with_topology(config: CorrelationConfig, topology: Arc<Topology>) -> Self {
        let mut e = Engine::new(config);
        e.set_topology(Some(topology));
        e
    }

    /// Sets (or clears) the topology, for example after loading saved state.
    pub fn set_topology(&mut self, topology: Option<Arc<Topology>>) {
        self.topology = topology;
    }

    pub fn topology(&self) -> Option<&Topology> {
        self.topology.as_deref()
    }

    pub fn config(&self) -> &CorrelationConfig {
        &self.config
    }

    pub fn incident(&self, id: &str) -> Option<&IncidentState> {
        self.incidents.get(id)
    }

    /// Decides where `signal` goes and updates the state accordingly.
    pub fn observe(&mut self, signal: &Signal) -> Decision {
        let at = signal.event_time();
        self.note(signal, at);
        let claimed = self
            .by_fingerprint_stage(signal, at)
            .or_else(|| self.resource_stage(signal, at))
            .or_else(|| self.trace_stage(signal))
            .or_else(|| self.topology_stage(signal, at))
            .or_else(|| self.temporal_stage(signal, at));
        if let Some((incident_id, strategy, score, explanation)) = claimed {
            let incident = self.apply(&incident_id, signal, at);
            return Decision::Attach {
                link: link(&incident_id, signal, strategy, score, explanation, at),
                opened: false,
                incident: Box::new(incident),
            };
        }
        self.open_stage(signal, at, false)
    }

    /// Like [`Engine::observe`], for a signal that someone declared to be an
    /// incident (the ingest API): when nothing claims it, it opens one whatever
    /// its severity or status.
    pub fn observe_declared(&mut self, signal: &Signal) -> Decision {
        match self.observe(signal) {
            Decision::Unassigned { .. } => self.open_stage(signal, signal.event_time(), true),
            claimed => claimed,
        }
    }

    fn by_fingerprint_stage(
        &self,
        signal: &Signal,
        at: DateTime<Utc>,
    ) -> Option<(String, LinkStrategy, f64, String)> {
        let id = self.by_fingerprint.get(&signal.fingerprint)?;
        let inc = &self.incidents[id];
        let same = format!("same alert (fingerprint {})", signal.fingerprint);
        if inc.status.is_open() || signal.status != SignalStatus::Firing {
            return Some((id.clone(), LinkStrategy::Key, 1.0, same));
        }
        let since = inc.resolved_at.map(|r| (at - r).num_seconds()).unwrap_or(0);
        (since <= self.config.reopen_window_secs).then(|| {
            let why = format!(
                "{same} fired again {} after the incident resolved",
                human_secs(since)
            );
            (id.clone(), LinkStrategy::Key, 0.95, why)
        })
    }

    fn resource_stage(
        &self,
        signal: &Signal,
        at: DateTime<Utc>,
    ) -> Option<(String, LinkStrategy, f64, String)> {
        let entity = signal.entity.as_ref()?;
        let group = entity.workload();
        let id = self.by_group.get(&group.to_string())?;
        let inc = &self.incidents[id];
        let gap = (at - inc.last_at).num_seconds();
        let window = self.config.group_window_secs;
        if !inc.status.is_open() || gap > window || (inc.opened_at - at).num_seconds() > window {
            return None;
        }
        let via = if &group == entity {
            String::new()
        } else {
            format!(" via {} {}", title_kind(&entity.kind), entity.name)
        };
        let when = if gap >= 0 {
            format!("{} after the incident's last signal", human_secs(gap))
        } else {
            format!("{} before the incident's last signal", human_secs(-gap))
        };
        let why = format!("same {}{via}, {when}", describe(&group));
        Some((id.clone(), LinkStrategy::Resource, 0.8, why))
    }

    fn open_stage(&mut self, signal: &Signal, at: DateTime<Utc>, declared: bool) -> Decision {
        if !declared && signal.status != SignalStatus::Firing {
            return Decision::Unassigned {
                reason: format!(
                    "a {} notification for an alert not seen firing",
                    signal.status.as_str()
                ),
            };
        }
        if !declared && signal.severity < self.config.open_min_severity {
            return Decision::Unassigned {
                reason: format!(
                    "severity {} is below the minimum ({}) to open an incident, and no open incident matches",
                    signal.severity.as_str(),
                    self.config.open_min_severity.as_str()
                ),
            };
        }
        let id = format!("inc-{}", short_hex(&[&signal.id, &at.to_rfc3339()]));
        let group = signal.entity.as_ref().map(Entity::workload);
        let title = match &group {
            Some(g) => format!("{} ({})", signal.title, g.name),
            None => signal.title.clone(),
        };
        let status = if signal.severity == Severity::Critical {
            IncidentStatus::Active
        } else {
            IncidentStatus::Building
        };
        self.incidents.insert(
            id.clone(),
            IncidentState {
                id: id.clone(),
                title,
                group_key: group.as_ref().map(ToString::to_string),
                severity: signal.severity,
                status,
                opened_at: at,
                last_at: at,
                resolved_at: None,
                firing: BTreeSet::new(),
                signal_count: 0,
            },
        );
        let incident = self.apply(&id, signal, at);
        let on = group
            .map(|g| format!(" on {}", describe(&g)))
            .unwrap_or_default();
        let why = if declared {
            format!("declared as an incident by {}{on}", signal.source_type)
        } else {
            format!(
                "opened the incident: first {} alert{on}",
                signal.severity.as_str()
            )
        };
        Decision::Attach {
            link: link(&id, signal, LinkStrategy::Rule, 1.0, why, at),
            opened: true,
            incident: Box::new(incident),
        }
    }

    /// Records `signal` in incident `id`: indexes, severity, status, times.
    fn apply(&mut self, id: &str, signal: &Signal, at: DateTime<Utc>) -> IncidentState {
        self.by_fingerprint
            .insert(signal.fingerprint.clone(), id.to_string());
        self.index(id, signal, at);
        let inc = self.incidents.get_mut(id).expect("claimed incident exists");
        if let Some(g) = &inc.group_key {
            self.by_group.insert(g.clone(), id.to_string());
        }
        inc.signal_count += 1;
        inc.last_at = inc.last_at.max(at);
        inc.severity = inc.severity.max(signal.severity);
        match signal.status {
            SignalStatus::Firing => {
                inc.firing.insert(signal.fingerprint.clone());
                if inc.status == IncidentStatus::Resolved {
                    inc.status = IncidentStatus::Active;
                    inc.resolved_at = None;
                } else if inc.status == IncidentStatus::Building
                    && (inc.signal_count > 1 || inc.severity == Severity::Critical)
                {
                    inc.status = IncidentStatus::Active;
                }
            }
            SignalStatus::Resolved => {
                inc.firing.remove(&signal.fingerprint);
                if inc.firing.is_empty() && inc.status != IncidentStatus::Resolved {
                    inc.status = IncidentStatus::Resolved;
                    inc.resolved_at = Some(at);
                }
            }
            SignalStatus::Info => {}
        }
        inc.clone()
    }

    /// Sets a status chosen by a person (acknowledge, resolve...).
    pub fn set_status(&mut self, id: &str, status: IncidentStatus, at: DateTime<Utc>) -> bool {
        let Some(inc) = self.incidents.get_mut(id) else {
            return false;
        };
        inc.status = status;
        inc.resolved_at = (status == IncidentStatus::Resolved).then_some(at);
        true
    }
}

fn link(
    incident_id: &str,
    signal: &Signal,
    strategy: LinkStrategy,
    score: f64,
    explanation: String,
    at: DateTime<Utc>,
) -> CorrelationLink {
    CorrelationLink {
        incident_id: incident_id.to_string(),
        signal_id: signal.id.clone(),
        strategy,
        confidence: Confidence::from_score(score),
        score,
        explanation,
        decided_at: at,
    }
}

/// `deployment/shop/cart` → "Deployment shop/cart".
pub fn describe(e: &Entity) -> String {
    match &e.namespace {
        Some(ns) => format!("{} {}/{}", title_kind(&e.kind), ns, e.name),
        None => format!("{} {}", title_kind(&e.kind), e.name),
    }
}

fn title_kind(kind: &str) -> String {
    match kind {
        "replicaset" => "ReplicaSet".into(),
        "statefulset" => "StatefulSet".into(),
        "daemonset" => "DaemonSet".into(),
        "configmap" => "ConfigMap".into(),
        _ => {
            let mut c = kind.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// 40 → "40 s", 150 → "2 min 30 s", 7200 → "2 h".
pub fn human_secs(s: i64) -> String {
    let s = s.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 if s % 60 == 0 => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ if s % 3600 == 0 => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
#[path = "correlate_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "correlate_topology_tests.rs"]
mod topology_tests;
