//! Putting a signal into an incident: its members, places, status, severity
//! and indexes; and opening incidents. The signals that wait unassigned
//! are in [`super::pending`].

use super::{
    describe, incident_id, is_open, link, Claim, Decision, Engine, IncidentBrief, IncidentState,
    Obs,
};
use crate::entity::Entity;
use crate::incident::{IncidentStatus, LedgerAction, LedgerEntry, LinkStrategy};
use crate::signal::{Severity, Signal, SignalStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How many distinct titles an incident keeps for the temporal strategy.
const TITLES_KEEP: usize = 8;
/// How many recent incidents each service/namespace index keeps.
const SCOPE_KEEP: usize = 8;

/// The first and last onset at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Span {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

impl Span {
    pub fn at(t: DateTime<Utc>) -> Span {
        Span { first: t, last: t }
    }

    pub fn add(&mut self, t: DateTime<Utc>) {
        self.first = self.first.min(t);
        self.last = self.last.max(t);
    }

    /// Seconds from the span to `t` (negative before it, 0 inside).
    pub fn gap(&self, t: DateTime<Utc>) -> i64 {
        if t < self.first {
            (t - self.first).num_seconds()
        } else if t > self.last {
            (t - self.last).num_seconds()
        } else {
            0
        }
    }
}

/// One alert of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Member {
    /// Its current episode: the id of the signal that last fired it.
    pub episode: String,
    /// Its place, by [`place_key`]: only asked whether some member is still
    /// at a place, and a storm's incident holds hundreds of thousands of
    /// members (a state saved before held the place itself).
    #[serde(deserialize_with = "place_key_or_place")]
    pub place: Option<u64>,
}

/// A place's key in [`Member::place`].
pub(crate) fn place_key(p: &Entity) -> u64 {
    crate::hash::fnv1a(&[&p.to_string()])
}

fn place_key_or_place<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Saved {
        Key(u64),
        Place(Entity),
    }
    Ok(Option::<Saved>::deserialize(d)?.map(|s| match s {
        Saved::Key(k) => k,
        Saved::Place(p) => place_key(&p),
    }))
}

/// What the engine keeps per incident besides its public state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Memory {
    /// Fingerprint → the alert.
    pub members: BTreeMap<String, Member>,
    /// Place → the earliest and latest onset there.
    pub places: BTreeMap<Entity, Span>,
    /// Onset of the first signal at the root place.
    pub root_onset: Option<DateTime<Utc>>,
    /// Onset of the latest new firing: windows are measured from it.
    pub last_firing_at: Option<DateTime<Utc>>,
    /// When (arrival time) its last alert resolved or its last event came,
    /// with nothing firing since: the quiet period counts from it.
    pub quiet_since: Option<DateTime<Utc>>,
    /// When its last alert ended (event time): its `resolved_at`.
    pub ended_at: Option<DateTime<Utc>>,
    /// When its latest signal arrived: it cools from then.
    pub last_received: Option<DateTime<Utc>>,
    pub titles: Vec<String>,
    pub scopes: BTreeSet<String>,
    pub traces: BTreeSet<String>,
    /// The title of the first signal with each trace: the trace strategy
    /// names it, also once the incident is indexed again.
    #[serde(default)]
    pub trace_titles: BTreeMap<String, String>,
    pub keys: BTreeSet<String>,
    /// Whether it is in the hot indexes (by place, scope, trace, key).
    pub indexed: bool,
    /// Whether its root place has a cause of its own: a cause-type signal
    /// there, or a change just before.
    pub root_explained: bool,
    /// Places a person put into it (a merge, a move, a split): they count
    /// as its own, like its root.
    pub pinned: BTreeSet<Entity>,
    /// Whether it holds connection failures or timeouts (a partition?).
    pub network: bool,
    /// The kind of the cause seen at its root, once one is.
    pub root_kind: Option<crate::analysis::classify::CauseKind>,
    /// The recurring condition it is made of ([`super::chronic`]): it takes
    /// that condition's signals and nothing by place or topology.
    pub chronic: Option<u64>,
    /// The condition of its first signal, and whether others joined it.
    pub first_condition: Option<u64>,
    pub mixed: bool,
    /// When its scheduled quiet check and cooling are due.
    pub quiet_due: Option<DateTime<Utc>>,
    pub cool_due: Option<DateTime<Utc>>,
    pub forget_due: Option<DateTime<Utc>>,
}

impl Engine {
    /// Attaches `o` to the claimed incident.
    pub(super) fn attach(&mut self, claim: Claim, o: &Obs) -> Decision {
        let repeat = self
            .memory
            .get(&claim.id)
            .and_then(|m| m.members.get(&o.fingerprint))
            .is_some_and(|m| m.episode == o.id);
        if !repeat {
            self.effects.ledger.push(LedgerEntry::engine(
                &claim.id,
                o.received,
                LedgerAction::Attached,
                Some(&o.id),
                format!("{}: {}", claim.strategy.as_str(), claim.why),
            ));
        }
        let new_place = self.apply(&claim.id, o, claim.explains);
        if new_place {
            self.adopt(&claim.id, o, false);
        }
        self.unpend(&o.id);
        let incident = IncidentBrief::from(&self.incidents[&claim.id]);
        Decision::Attach {
            link: link(
                &claim.id,
                &o.id,
                claim.strategy,
                claim.score,
                claim.why,
                o.received,
            ),
            opened: false,
            incident: Box::new(incident),
        }
    }

    /// Opens an incident when a rule (or the severity floor) says so, else
    /// keeps the signal waiting unassigned.
    pub(super) fn open_or_wait(&mut self, s: &Signal, o: &Obs, declared: bool) -> Decision {
        if !declared && o.status == SignalStatus::Resolved {
            return Decision::Unassigned {
                reason: "a resolved notification for an alert not seen firing".into(),
            };
        }
        let verdict = if declared {
            Some(super::rules::Opening::declared(o))
        } else {
            self.decide_opening(s, o)
        };
        let corroborated = if verdict.is_none() {
            self.corroboration(o)
        } else {
            None
        };
        let verdict = match (verdict, &corroborated) {
            (None, Some(_)) => Some(super::rules::Opening::declared(o)),
            (v, _) => v,
        };
        let Some(opening) = verdict.clone().filter(|v| v.open) else {
            let reason = match &verdict {
                Some(v) => format!("rule '{}' keeps it for review", v.rule.as_deref().unwrap_or("?")),
                None => format!(
                    "severity {} is below the minimum ({}) to open an incident, and no open incident matches",
                    o.severity.as_str(),
                    self.config.open_min_severity.as_str()
                ),
            };
            self.pend(o);
            self.wait_in_condition(o);
            return Decision::Unassigned { reason };
        };
        let on = o
            .place
            .as_ref()
            .map(|g| format!(" on {}", describe(g)))
            .unwrap_or_default();
        let why = if declared {
            format!("declared as an incident by {}{on}", o.source)
        } else if let Some(c) = &corroborated {
            format!(
                "opened by related alerts together: {} alert{on}, {c}",
                o.severity.as_str()
            )
        } else {
            match &opening.rule {
                Some(r) => format!("opened by rule '{r}': {} alert{on}", o.severity.as_str()),
                None => format!(
                    "opened the incident: first {} alert{on}",
                    o.severity.as_str()
                ),
            }
        };
        let id = self.open_incident(o, opening, &why, true);
        let incident = IncidentBrief::from(&self.incidents[&id]);
        Decision::Attach {
            link: link(&id, &o.id, LinkStrategy::Rule, 1.0, why, o.received),
            opened: true,
            incident: Box::new(incident),
        }
    }

    /// Opens an incident with `o` as its first signal, for the reason `why`,
    /// and adopts what waited for it. Returns its id.
    pub(super) fn open_incident(
        &mut self,
        o: &Obs,
        opening: super::rules::Opening,
        why: &str,
        adopt: bool,
    ) -> String {
        let id = incident_id(&o.id, o.at);
        let group = o.place.clone();
        // A caller's symptom that names its peer fails there, not here.
        let root = match &o.peer {
            Some(q) if o.class.travels_up() => Some(q.as_ref().clone()),
            _ => group.clone(),
        };
        self.incidents.insert(
            id.clone(),
            IncidentState {
                id: id.clone(),
                title: opening.title.clone(),
                group_key: group.as_ref().map(ToString::to_string),
                severity: opening.severity.unwrap_or(o.severity),
                status: IncidentStatus::Building,
                opened_at: o.at,
                last_at: o.at,
                resolved_at: None,
                firing: BTreeSet::new(),
                signal_count: 0,
                assignee: opening.assignee.clone(),
                team: opening.team.clone(),
                runbook: opening.runbook.clone(),
                rule: opening.rule.clone(),
                root,
                merged_into: None,
            },
        );
        self.memory.insert(id.clone(), Memory::default());
        self.effects.ledger.push(LedgerEntry::engine(
            &id,
            o.received,
            LedgerAction::Opened,
            Some(&o.id),
            why.to_string(),
        ));
        self.apply(&id, o, false);
        // Opened by a caller naming its failing peer: the incident is at
        // that peer too, so what fails there finds it.
        if let Some(r) = self.incidents[&id]
            .root
            .clone()
            .filter(|r| o.place.as_ref() != Some(r))
        {
            if let Some(m) = self.memory.get_mut(&id) {
                m.places.insert(r.clone(), Span::at(o.onset));
                m.root_onset = Some(o.onset);
            }
            let list = self.by_place.entry(r).or_default();
            if !list.contains(&id) {
                list.push(id.clone());
            }
        }
        self.unpend(&o.id);
        if adopt {
            self.adopt(&id, o, true);
        }
        id
    }

    /// Records `o` in incident `id`: member, place, root, status, severity,
    /// indexes. Returns whether its place is new to the incident.
    pub(super) fn apply(&mut self, id: &str, o: &Obs, explains: bool) -> bool {
        let changed_here = o
            .place
            .as_ref()
            .is_some_and(|p| self.changed_before(p, o.onset));
        self.note_incident_condition(id, o);
        let Some(mem) = self.memory.get_mut(id) else {
            return false;
        };
        let inc = self
            .incidents
            .get_mut(id)
            .expect("memory and state go together");
        let mut ledger = Vec::new();
        let new_alert = !mem.members.contains_key(&o.fingerprint);
        let new_episode = mem
            .members
            .get(&o.fingerprint)
            .is_none_or(|m| m.episode != o.id);
        let takes_ends = o.status == SignalStatus::Firing && new_episode;
        if (o.status == SignalStatus::Firing && new_episode) || new_alert {
            mem.members.insert(
                o.fingerprint.clone(),
                Member {
                    episode: o.id.clone(),
                    place: o.place.as_ref().map(place_key),
                },
            );
        }
        let mut new_place = false;
        if let Some(p) = &o.place {
            match mem.places.get_mut(p) {
                Some(span) if o.status == SignalStatus::Firing => span.add(o.onset),
                Some(_) => {}
                None => {
                    mem.places.insert(p.clone(), Span::at(o.onset));
                    new_place = true;
                }
            }
            if inc.root.is_none() || (explains && inc.root.as_ref() != Some(p)) {
                if let Some(old) = &inc.root {
                    ledger.push(LedgerEntry::engine(
                        id,
                        o.received,
                        LedgerAction::Attached,
                        Some(&o.id),
                        format!(
                            "root estimate moved from {} to {}: it is below and can explain it",
                            describe(old),
                            describe(p)
                        ),
                    ));
                }
                inc.root = Some(p.clone());
                mem.root_onset = Some(o.onset);
                mem.root_explained = false;
            } else if inc.root.as_ref() == Some(p) {
                mem.root_onset = Some(mem.root_onset.map_or(o.onset, |r| r.min(o.onset)));
            }
            // Its own cause: a change, or a resource running out, a Node
            // down (a crash loop may itself be a consequence).
            let own_cause = o
                .class
                .cause
                .is_some_and(|c| c != crate::analysis::classify::CauseKind::CrashLoop);
            if inc.root.as_ref() == Some(p) && (own_cause || o.class.change || changed_here) {
                mem.root_explained = true;
            }
            if inc.root.as_ref() == Some(p) && mem.root_kind.is_none() {
                mem.root_kind = o.class.cause;
            }
        }
        mem.network |= o.class.network;
        if mem.titles.len() < TITLES_KEEP && !mem.titles.contains(&o.title) {
            mem.titles.push(o.title.clone());
        }
        if new_episode || new_alert {
            inc.signal_count += 1;
        }
        inc.last_at = inc.last_at.max(o.at);
        if o.severity > inc.severity && o.status != SignalStatus::Resolved {
            ledger.push(LedgerEntry::engine(
                id,
                o.received,
                LedgerAction::SeverityRaised,
                Some(&o.id),
                format!(
                    "severity raised from {} to {} by \"{}\"",
                    inc.severity.as_str(),
                    o.severity.as_str(),
                    o.title
                ),
            ));
            inc.severity = o.severity;
        }
        match o.status {
            SignalStatus::Firing if !o.point => {
                inc.firing.insert(o.fingerprint.clone());
                mem.quiet_since = None;
            }
            SignalStatus::Resolved => {
                inc.firing.remove(&o.fingerprint);
                mem.ended_at = Some(mem.ended_at.map_or(o.at, |e| e.max(o.at)));
            }
            _ => {}
        }
        mem.last_received = Some(mem.last_received.map_or(o.received, |r| r.max(o.received)));
        if o.status == SignalStatus::Firing && new_episode {
            mem.last_firing_at = Some(mem.last_firing_at.map_or(o.onset, |l| l.max(o.onset)));
        }
        if inc.status == IncidentStatus::Resolved && o.status == SignalStatus::Firing {
            inc.status = IncidentStatus::Active;
            inc.resolved_at = None;
            ledger.push(LedgerEntry::engine(
                id,
                o.received,
                LedgerAction::Reopened,
                Some(&o.id),
                format!("re-opened: \"{}\" fired again", o.title),
            ));
        } else if inc.status == IncidentStatus::Building
            && o.status == SignalStatus::Firing
            && (mem.members.len() > 1 || inc.severity == Severity::Critical)
        {
            inc.status = IncidentStatus::Active;
            ledger.push(LedgerEntry::engine(
                id,
                o.received,
                LedgerAction::Activated,
                Some(&o.id),
                if inc.severity == Severity::Critical && mem.members.len() == 1 {
                    "active: a critical alert".to_string()
                } else {
                    format!("active: {} alerts", mem.members.len())
                },
            ));
        }
        let firing_empty = inc.firing.is_empty();
        if firing_empty && is_open(inc.status) {
            mem.quiet_since = Some(mem.quiet_since.map_or(o.received, |q| q.max(o.received)));
        }
        let quiet = mem.quiet_since;
        let last_firing = mem.last_received;
        // Where its firings went: a stray resolve does not move the alert.
        if o.status == SignalStatus::Firing || !self.by_fingerprint.contains_key(&o.fingerprint) {
            let joined = self
                .by_fingerprint
                .insert(o.fingerprint.clone(), id.to_string())
                .is_none();
            if joined {
                // Its memory now goes with the incident's, which looks at it
                // again when it is forgotten: its own timer would only find
                // it in an incident.
                self.unschedule_forget_alert(&o.fingerprint);
            }
        }
        self.effects.ledger.extend(ledger);
        if takes_ends && !self.ends.is_empty() {
            self.take_ends(id, o);
        }
        if is_open(self.incidents[id].status) {
            self.index(id, o);
            if let Some(q) = quiet.filter(|_| firing_empty) {
                self.schedule_quiet(id, q);
            }
            if let Some(l) = last_firing {
                self.schedule_cool(id, l);
            }
        }
        new_place
    }

    /// Puts `o` of incident `id` into the hot indexes.
    pub(super) fn index(&mut self, id: &str, o: &Obs) {
        let Some(mem) = self.memory.get_mut(id) else {
            return;
        };
        mem.indexed = true;
        if let Some(p) = &o.place {
            let list = self.by_place.entry(p.clone()).or_default();
            if !list.iter().any(|x| x == id) {
                list.push(id.to_string());
            }
        }
        // Scopes serve the temporal strategy, which only reads them for
        // places the graph does not know and for network failures.
        let scoped = !o.known || o.class.network;
        for s in o.scopes.iter().filter(|_| scoped) {
            mem.scopes.insert(s.clone());
            let list = self.by_scope.entry(s.clone()).or_default();
            if list.last().map(String::as_str) != Some(id) {
                list.retain(|x| x != id);
                list.push(id.to_string());
                if list.len() > SCOPE_KEEP {
                    list.remove(0);
                }
            }
        }
        if let Some(t) = &o.trace {
            if mem.traces.insert(t.clone()) {
                mem.trace_titles.insert(t.clone(), o.title.clone());
                self.by_trace
                    .entry(t.clone())
                    .or_insert_with(|| (id.to_string(), o.title.clone()));
            }
        }
        if let Some(k) = &o.key {
            mem.keys.insert(k.clone());
            self.by_key
                .entry(k.clone())
                .or_insert_with(|| id.to_string());
        }
    }

    /// Whether incident `id` fails at `place` (its root, or a place a person
    /// put into it) rather than only being felt there.
    pub(super) fn fails_at(&self, id: &str, place: &Entity) -> bool {
        self.incidents
            .get(id)
            .is_some_and(|i| i.root.as_ref() == Some(place))
            || self
                .memory
                .get(id)
                .is_some_and(|m| m.pinned.contains(place))
    }
}
