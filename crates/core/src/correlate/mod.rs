//! The online correlation engine.
//!
//! For each signal:
//! 1. **the same alert** — a repeat or a resolve of an alert goes where its
//!    first firing went; a new firing of it joins while that incident is
//!    open and recent (flapping), or re-opens it shortly after it resolved;
//! 2. **candidates** come from indexes — same trace, a trusted grouping key,
//!    the same place (a Pod, its ReplicaSet, Deployment and Service are one
//!    place), places related in the topology, recent incidents of the same
//!    service or namespace — and each is scored by its strategy within a time
//!    window *relative to that incident*; the best above the threshold
//!    attaches, with a reason and a confidence;
//! 3. **rules** decide what nothing claimed: the first matching auto-incident
//!    rule opens an incident from its templates, else a signal severe enough
//!    opens one; the new incident adopts the related signals that were
//!    waiting unassigned (the memory warning before the crash loop, the
//!    deploy before the errors);
//! 4. otherwise the signal waits unassigned for review.
//!
//! The topology is read directionally ([`crate::topology::Way`]): errors and
//! latency travel up the call graph, so a symptom on a caller joins a failure
//! below it, and a cause or an outage below an incident's root can explain
//! it; two failures that only share a caller are not joined. See
//! [`crate::analysis::classify`] for how a signal is read.
//!
//! Incidents move building → active → resolved: resolved once every alert in
//! them has resolved *and* a quiet period passed; a new firing of one of its
//! alerts soon after re-opens it; a resolved incident leaves the hot indexes,
//! so it never absorbs unrelated later signals, and is forgotten (its row
//! stays in the store) after a retention period. Time is the signals' own:
//! the engine's clock is the latest arrival time it has seen, never the wall
//! clock, and all state is in ordered maps, so a replay of the same input
//! decides the same thing. The state serializes; the topology is set again
//! after loading ([`Engine::set_topology`]).

mod apply;
pub mod calibration;
mod chronic;
mod lifecycle;
mod locate;
mod memory;
mod overrides;
mod pending;
mod projects;
mod rules;
mod score;

use crate::analysis::ChangeNote;
use crate::hash::short_hex;
use crate::incident::{
    Confidence, CorrelationLink, IncidentStatus, LedgerAction, LedgerEntry, LinkStrategy,
};
use crate::signal::{Severity, Signal, SignalStatus};
use crate::topology::Topology;
use crate::vocabulary::{Vocabulary, Words};
use crate::words::{describe, human_secs, title_kind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub(crate) use locate::Obs;

pub use overrides::{Feedback, OverrideError};
pub use projects::{Engines, DEFAULT_PROJECT};
pub use rules::{IncidentRule, RuleMatch};

/// Every knob of the engine, with defaults an on-call engineer would pick.
/// One config: the live app keeps it with the engine; `causeway replay
/// --rules FILE` reads it from `{"correlation": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct CorrelationConfig {
    /// A signal joins an open incident at the same place (same workload,
    /// Node or Service) when its onset is within this many seconds of the
    /// incident's span of firing.
    pub group_window_secs: i64,
    /// A resolved incident re-opens when one of its alerts fires again within
    /// this many seconds; later, it is a new incident.
    pub reopen_window_secs: i64,
    /// Without a matching rule, firing signals at least this severe open an
    /// incident; milder ones wait unassigned until an incident claims them.
    pub open_min_severity: Severity,
    /// Topology joins follow at most this many place-to-place hops (a call,
    /// a Pod's Node); a workload, its Pods and its Service are one place.
    pub topology_max_hops: usize,
    /// ...and only when the signal's onset is within this many seconds of the
    /// incident's root onset and last firing.
    pub topology_window_secs: i64,
    /// A symptom may start up to this many seconds before the failure it is
    /// attributed to (scrape intervals, `for:` clauses), not more.
    pub onset_tolerance_secs: i64,
    /// A cause or outage *below* an incident's root joins it only when at
    /// least this severe (a warning below waits for something to confirm it).
    pub explain_min_severity: Severity,
    /// Without a place the graph knows, a signal of the same service or
    /// namespace with a similar title joins when it comes within this many
    /// seconds of an incident's last firing.
    pub temporal_window_secs: i64,
    /// Minimal similarity (Jaccard index over lowercase title words, 0..=1).
    pub temporal_min_similarity: f64,
    /// The best candidate attaches when its score reaches this (0..=1).
    pub attach_threshold: f64,
    /// An incident whose alerts have all resolved is resolved after this many
    /// seconds without a new firing.
    pub resolve_quiet_secs: i64,
    /// Unassigned signals are kept this many seconds for a new incident to
    /// adopt (changes: `change_window_secs`).
    pub adopt_window_secs: i64,
    /// A change (deploy, rollout, config) on the root cause up to this many
    /// seconds before an incident's onset is a suspect, and rolling it back
    /// the suggested action.
    pub change_window_secs: i64,
    /// The same alert firing again after resolving at least this many times,
    /// at a regular period, makes its incidents a `recurring_failure`.
    pub recurring_min_repeats: usize,
    /// Resolved incidents are forgotten by the engine (not the store) this
    /// many seconds after resolving: memory stays bounded.
    pub retain_resolved_secs: i64,
    /// A condition (the same cause on the same Pod or Node, else the same
    /// alert) that came back at least this many times within
    /// `chronic_lookback_secs` is chronic: its own incident, nobody's victim.
    /// 2, as cross-validation chose on every source (`bench correlation
    /// --cv`): an alert that already came back once by itself is more often
    /// a rhythm than a new fault's victim.
    pub chronic_min_episodes: usize,
    /// ...counting episodes separated by at least this many quiet seconds.
    pub chronic_gap_secs: i64,
    pub chronic_lookback_secs: i64,
    /// A condition active without a break for this long is chronic too.
    pub chronic_persist_secs: i64,
    /// Sources whose signals are points in time (events: nothing resolves
    /// them), so they never keep an incident open.
    pub point_in_time_sources: Vec<String>,
    /// Sources whose correlation key names one incident (a PagerDuty
    /// incident id), so the same key joins. Notification groups
    /// (Alertmanager's `groupKey`) and multi-alert monitors are not.
    pub trusted_key_sources: Vec<String>,
    /// Auto-incident rules, first match wins (see [`IncidentRule`]).
    pub rules: Vec<IncidentRule>,
    /// A team's own words for what its alerts mean, beside the built-in
    /// table of [`crate::vocabulary`] ("QueueBacklogGrowing" is a symptom).
    pub vocabulary: Vec<Words>,
    /// How much each reason counts in the root-cause ranking.
    pub rank: crate::analysis::RankWeights,
    /// Knots `[score, probability]` turning a claim's score into the chance
    /// its link is right ([`calibration`]); empty: the score as it is.
    pub calibration: Vec<[f64; 2]>,
}

impl Default for CorrelationConfig {
    fn default() -> Self {
        CorrelationConfig {
            group_window_secs: 30 * 60,
            reopen_window_secs: 15 * 60,
            open_min_severity: Severity::High,
            topology_max_hops: 3,
            topology_window_secs: 15 * 60,
            onset_tolerance_secs: 120,
            explain_min_severity: Severity::High,
            temporal_window_secs: 3 * 60,
            temporal_min_similarity: 0.5,
            attach_threshold: 0.3,
            resolve_quiet_secs: 5 * 60,
            adopt_window_secs: 10 * 60,
            change_window_secs: 30 * 60,
            recurring_min_repeats: 3,
            retain_resolved_secs: 24 * 3600,
            chronic_min_episodes: 2,
            chronic_gap_secs: 10 * 60,
            chronic_lookback_secs: 6 * 3600,
            chronic_persist_secs: 3600,
            point_in_time_sources: vec!["K8S_EVENT".into()],
            trusted_key_sources: vec!["PAGERDUTY".into()],
            rules: Vec::new(),
            vocabulary: Vec::new(),
            rank: crate::analysis::RankWeights::default(),
            calibration: calibration::DEFAULT.to_vec(),
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
    /// From the auto-incident rule that opened it.
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub runbook: Option<String>,
    #[serde(default)]
    pub rule: Option<String>,
    /// The place the engine currently thinks it started at (its online
    /// estimate; the analysis ranks the root cause properly).
    #[serde(default)]
    pub root: Option<crate::Entity>,
    /// Set when a person merged it into another incident.
    #[serde(default)]
    pub merged_into: Option<String>,
}

/// An incident as it stands after a decision: what a caller of `observe`
/// needs, without the engine's bookkeeping. (The whole [`IncidentState`]
/// carries the set of its firing alerts, thousands in a storm; copying it
/// for every decision once cost more than the decisions.)
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentBrief {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub resolved_at: Option<DateTime<Utc>>,
    pub signal_count: u64,
}

impl From<&IncidentState> for IncidentBrief {
    fn from(i: &IncidentState) -> Self {
        IncidentBrief {
            id: i.id.clone(),
            title: i.title.clone(),
            severity: i.severity,
            status: i.status,
            resolved_at: i.resolved_at,
            signal_count: i.signal_count,
        }
    }
}

/// The engine's answer for one signal.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The signal belongs to `incident` (new when `opened`), for `link`'s reason.
    Attach {
        link: CorrelationLink,
        opened: bool,
        /// The incident as it stands after this signal.
        incident: Box<IncidentBrief>,
    },
    /// Nothing claimed it; `reason` says why.
    Unassigned { reason: String },
}

/// What the last call changed beyond its own signal's link: read it right
/// after [`Engine::observe`] (or an override) and store it with the decision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    /// Earlier unassigned signals the decision pulled into its incident.
    pub adopted: Vec<CorrelationLink>,
    /// Other incidents that changed (resolved after their quiet period...).
    pub changed: Vec<String>,
    /// What happened to which incident, and why.
    pub ledger: Vec<LedgerEntry>,
}

/// The engine and its whole state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Engine {
    config: CorrelationConfig,
    incidents: BTreeMap<String, IncidentState>,
    /// Per incident: its members, places and what the indexes hold for it.
    memory: BTreeMap<String, apply::Memory>,
    /// Fingerprint → the incident its alert went to.
    by_fingerprint: BTreeMap<String, String>,
    /// Place → open, recent incidents with a signal there (the hot index).
    by_place: BTreeMap<crate::Entity, Vec<String>>,
    /// Trace id → the incident and the title of the signal that carried it.
    by_trace: BTreeMap<String, (String, String)>,
    /// Trusted correlation key → incident.
    by_key: BTreeMap<String, String>,
    /// `service:NAME` / `namespace:NS` → recent incidents there, newest last.
    by_scope: BTreeMap<String, Vec<String>>,
    /// Unassigned signals a new incident may still adopt. Signals are boxed
    /// wherever the engine keeps them: an [`Obs`] is a few hundred bytes, and
    /// a tree node has room for eleven values, a new list for four, however
    /// few they hold.
    pending: BTreeMap<String, Box<Obs>>,
    /// Fingerprint → ends of its episodes whose firing is unassigned.
    #[allow(clippy::vec_box, reason = "most lists hold one signal")]
    ends: BTreeMap<String, Vec<Box<Obs>>>,
    pending_by_place: BTreeMap<crate::Entity, Vec<String>>,
    /// Due work: quiet periods ending, incidents cooling, forgetting.
    timers: BTreeSet<lifecycle::Timer>,
    /// The latest arrival time seen: the engine's only clock.
    clock: Option<DateTime<Utc>>,
    /// Fingerprint → onsets of its firing episodes, for recurring failures.
    episodes: BTreeMap<String, memory::Episodes>,
    /// Entity or `service:NAME` → recent changes (deploys, config) there.
    changes: BTreeMap<String, Vec<ChangeNote>>,
    /// Condition → its episodes and chronic incident ([`chronic`]).
    conditions: BTreeMap<u64, chronic::Condition>,
    /// Every person's override, oldest first: respected by later decisions.
    feedback: Vec<overrides::Feedback>,
    /// The graph the topology strategy walks; not state: set again after load.
    #[serde(skip)]
    topology: Option<Arc<Topology>>,
    /// The words signals are read with, compiled from the config on first use.
    #[serde(skip)]
    words: Option<Arc<Vocabulary>>,
    #[serde(skip)]
    effects: Effects,
}

/// A claim on an incident: strategy, score, explanation, and how it relates
/// the signal's place to the incident (for the online root estimate).
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    pub id: String,
    pub strategy: LinkStrategy,
    pub score: f64,
    pub why: String,
    /// The signal is below the incident's root and can explain it.
    pub explains: bool,
    /// Tie-break: the closer in time, the better.
    pub gap_secs: i64,
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

    /// Replaces the settings for the decisions to come (back-tested first,
    /// see the app's back-testing).
    pub fn set_config(&mut self, config: CorrelationConfig) {
        self.config = config;
        self.words = None;
    }

    /// The words signals are read with: the built-in table and the config's.
    pub fn vocabulary(&mut self) -> Arc<Vocabulary> {
        self.words
            .get_or_insert_with(|| Arc::new(Vocabulary::with(&self.config.vocabulary)))
            .clone()
    }

    pub fn incident(&self, id: &str) -> Option<&IncidentState> {
        self.incidents.get(id)
    }

    /// Incidents the engine still holds (open ones and recently resolved).
    pub fn incidents(&self) -> impl Iterator<Item = &IncidentState> {
        self.incidents.values()
    }

    /// How many incidents are open.
    pub fn open_count(&self) -> usize {
        self.incidents
            .values()
            .filter(|i| i.status.is_open())
            .count()
    }

    /// What the last call changed beyond its own signal's link.
    pub fn effects(&self) -> &Effects {
        &self.effects
    }

    /// The overrides people made, oldest first.
    pub fn feedback(&self) -> &[overrides::Feedback] {
        &self.feedback
    }

    /// Decides where `signal` goes and updates the state accordingly.
    pub fn observe(&mut self, signal: &Signal) -> Decision {
        self.effects = Effects::default();
        self.vocabulary();
        self.advance(signal.received_at.max(signal.event_time()));
        let at = signal.event_time();
        self.note(signal, at);
        let o = self.locate(signal);
        self.note_change(signal, &o);
        self.note_condition(&o);
        let mut d = self.decide(signal, &o);
        let incident = match &d {
            Decision::Attach { link, .. } => Some(link.incident_id.clone()),
            Decision::Unassigned { .. } => None,
        };
        self.settle_condition(&o, incident.as_deref());
        if let Decision::Attach { link, opened, .. } = &mut d {
            if !*opened {
                self.calibrate_link(link);
            }
        }
        let mut adopted = std::mem::take(&mut self.effects.adopted);
        for l in &mut adopted {
            self.calibrate_link(l);
        }
        self.effects.adopted = adopted;
        d
    }

    /// States a link's confidence as the chance it is right.
    fn calibrate_link(&self, l: &mut CorrelationLink) {
        if self.config.calibration.is_empty() {
            return;
        }
        let p = calibration::calibrate(&self.config.calibration, l.score);
        l.score = (p * 1000.0).round() / 1000.0;
        l.confidence = Confidence::from_score(p);
    }

    fn decide(&mut self, signal: &Signal, o: &Obs) -> Decision {
        if let Some(claim) = self.same_alert(o) {
            // A repeat or the end of an episode goes where it began; a new
            // episode of a chronic condition goes to the condition.
            if claim.score >= 1.0 {
                return self.attach(claim, o);
            }
            if let Some(d) = self.chronic_claim(o) {
                return d;
            }
            return self.attach(claim, o);
        }
        if let Some(d) = self.chronic_claim(o) {
            return d;
        }
        if o.status == SignalStatus::Resolved {
            // The end of an episode whose start went nowhere: it waits with
            // it (and goes where it goes), it never starts anything.
            self.wait_in_condition(o);
            self.pend_resolve(o);
            return Decision::Unassigned {
                reason: "a resolved notification for an alert not seen firing, or whose firing is unassigned".into(),
            };
        }
        if let Some(claim) = self.best_candidate(o) {
            return self.attach(claim, o);
        }
        self.open_or_wait(signal, o, false)
    }

    /// Like [`Engine::observe`], for a signal that someone declared to be an
    /// incident (the ingest API): when nothing claims it, it opens one whatever
    /// its severity or status.
    pub fn observe_declared(&mut self, signal: &Signal) -> Decision {
        match self.observe(signal) {
            Decision::Unassigned { .. } => {
                let o = self.locate(signal);
                self.unpend(&o.id);
                self.open_or_wait(signal, &o, true)
            }
            claimed => claimed,
        }
    }

    /// [`Engine::observe_declared`] when `declared`, else [`Engine::observe`]:
    /// for callers that replay stored signals of either kind.
    pub fn observe_as(&mut self, signal: &Signal, declared: bool) -> Decision {
        if declared {
            self.observe_declared(signal)
        } else {
            self.observe(signal)
        }
    }

    /// Moves the engine's clock to `now` (never back) and does what is due:
    /// quiet incidents resolve, idle ones leave the hot indexes, old resolved
    /// ones are forgotten. Returns the incidents whose state changed. The
    /// live app may call it between signals with the time it got from its
    /// host; `observe` calls it with each signal's arrival time.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let now = self.clock.map_or(now, |c| c.max(now));
        self.clock = Some(now);
        self.run_timers(now)
    }

    /// When the engine next has time-driven work (see [`Engine::advance`]).
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.timers.first().map(|t| t.0)
    }

    /// Sets a status chosen by a person (acknowledge, resolve...). A person
    /// resolving an incident takes it out of the hot indexes at once.
    pub fn set_status(&mut self, id: &str, status: IncidentStatus, at: DateTime<Utc>) -> bool {
        self.effects = Effects::default();
        let Some(inc) = self.incidents.get_mut(id) else {
            return false;
        };
        let was = inc.status;
        inc.status = status;
        inc.resolved_at = (status == IncidentStatus::Resolved).then_some(at);
        self.effects.ledger.push(LedgerEntry::person(
            id,
            at,
            LedgerAction::StatusSet,
            None,
            format!("status set from {} to {}", was.as_str(), status.as_str()),
        ));
        if status == IncidentStatus::Resolved {
            self.unindex(id);
            self.schedule_forget(id, at);
        } else if was == IncidentStatus::Resolved {
            self.reindex(id);
        }
        true
    }
}

pub(crate) fn link(
    incident_id: &str,
    signal_id: &str,
    strategy: LinkStrategy,
    score: f64,
    explanation: String,
    at: DateTime<Utc>,
) -> CorrelationLink {
    CorrelationLink {
        incident_id: incident_id.to_string(),
        signal_id: signal_id.to_string(),
        strategy,
        confidence: Confidence::from_score(score),
        score: (score * 1000.0).round() / 1000.0,
        explanation,
        decided_at: at,
    }
}

/// A new incident's id, derived from its first signal and time.
pub(crate) fn incident_id(signal_id: &str, at: DateTime<Utc>) -> String {
    format!("inc-{}", short_hex(&[signal_id, &at.to_rfc3339()]))
}

/// Whether a status means "keep correlating into it".
pub(crate) fn is_open(s: IncidentStatus) -> bool {
    s.is_open()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod topology_tests;

#[cfg(test)]
mod evidence_tests;

#[cfg(test)]
mod hostile_tests;

#[cfg(test)]
mod bounds_tests;
