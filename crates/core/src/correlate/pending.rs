//! The signals that wait unassigned: kept for a while, adopted by the
//! incident that explains them, or forgotten, the oldest first.

use super::{describe, human_secs, link, Engine, Obs};
use crate::incident::{LedgerAction, LedgerEntry, LinkStrategy};
use crate::signal::{Severity, SignalKind, SignalStatus};
use crate::topology::Way;

/// How many unassigned signals wait at most (the oldest go first).
pub(super) const PENDING_KEEP: usize = 20_000;
/// How many unassigned ends of episodes each alert keeps.
const ENDS_KEEP: usize = 4;

/// A signal that says something is wrong: a cause, an outage or a symptom,
/// not a forecast, a heartbeat, a change or an eviction.
fn evidence(o: &Obs) -> bool {
    o.class.can_explain()
        && !o.class.forecast
        && !o.class.heartbeat
        && !o.class.change
        && !o.class.eviction
}

impl Engine {
    /// Keeps an unassigned signal for a later incident to adopt.
    pub(super) fn pend(&mut self, o: &Obs) {
        let change = o.kind == SignalKind::Change || o.class.change;
        if o.place.is_none() || (o.status != SignalStatus::Firing && !change) {
            return;
        }
        // An informational note waits only when it says something: a cause
        // (CPU throttling is often sent as info), an outage, a symptom.
        if o.severity == Severity::Info && !change && !evidence(o) {
            return;
        }
        if let Some(p) = &o.place {
            let list = self.pending_by_place.entry(p.clone()).or_default();
            if !list.contains(&o.id) {
                list.push(o.id.clone());
            }
        }
        self.schedule_pending(o);
        if let Some(before) = self.pending.insert(o.id.clone(), Box::new(o.clone())) {
            if self.pending_due(&before) != self.pending_due(o) {
                self.unschedule_pending(&before);
            }
        }
        if self.pending.len() > PENDING_KEEP {
            self.forget_oldest_pending();
        }
    }

    /// Forgets the oldest tenth of the waiting signals at once: in a storm
    /// of warnings the list is full on every arrival, and finding the
    /// oldest one each time made every arrival cost a scan of all of them.
    fn forget_oldest_pending(&mut self) {
        let by_age = self.pending.values().map(|p| (p.received, &p.id)).collect();
        let oldest: Vec<String> = super::lifecycle::oldest(by_age, (PENDING_KEEP / 10).max(1))
            .into_iter()
            .cloned()
            .collect();
        for id in oldest {
            self.unpend(&id);
        }
    }

    /// Whether warnings too mild to open an incident alone are not alone:
    /// another condition (not the same one said twice) fired within the
    /// adoption window at the same place, at the peer it names, or one hop
    /// away in the topology (a callee, a caller, the Node of its Pods).
    /// Related warnings arriving together are an incident at their severity.
    pub(super) fn corroboration(&self, o: &Obs) -> Option<String> {
        if !o.known || o.status != SignalStatus::Firing || !evidence(o) || self.flapping(o) {
            return None;
        }
        let place = o.place.as_ref()?;
        let key = o.condition;
        let window = self.config.adopt_window_secs;
        let mut places = vec![place.clone()];
        places.extend(o.peer.as_deref().cloned());
        if let Some(t) = self.topology.as_deref() {
            if let Some(start) = t.place_index(place) {
                for way in [Way::Down, Way::Up] {
                    places.extend(
                        t.walk(start, way, 1, 64)
                            .iter()
                            .map(|r| t.entity(r.place).clone()),
                    );
                }
            }
        }
        for p in &places {
            for pid in self.pending_by_place.get(p).into_iter().flatten() {
                let Some(q) = self.pending.get(pid) else {
                    continue;
                };
                if q.status != SignalStatus::Firing
                    || !evidence(q)
                    || self.flapping(q)
                    || q.condition == key
                    || (o.onset - q.onset).num_seconds().abs() > window
                {
                    continue;
                }
                let at = if p == place {
                    "at the same place".to_string()
                } else {
                    format!("on {}", describe(p))
                };
                return Some(format!("with \"{}\" {at}", q.title));
            }
        }
        None
    }

    /// Keeps the end of an episode whose firing went unassigned: it goes
    /// wherever that firing goes (an adoption, a chronic incident).
    pub(super) fn pend_resolve(&mut self, o: &Obs) {
        let list = self.ends.entry(o.fingerprint.clone()).or_default();
        if !list.iter().any(|e| e.id == o.id) {
            list.push(Box::new(o.clone()));
            if list.len() > ENDS_KEEP {
                list.remove(0);
            }
        }
        if self.ends.len() > PENDING_KEEP {
            if let Some(first) = self.ends.keys().next().cloned() {
                self.ends.remove(&first);
            }
        }
    }

    /// The waiting ends of `o`'s alert follow its firing into incident `id`.
    pub(super) fn take_ends(&mut self, id: &str, o: &Obs) {
        let Some(ends) = self.ends.remove(&o.fingerprint) else {
            return;
        };
        for e in ends.into_iter().filter(|e| e.at >= o.onset) {
            self.apply(id, &e, false);
            let why = format!("the end of \"{}\", which it holds", o.title);
            self.effects
                .adopted
                .push(link(id, &e.id, LinkStrategy::Key, 1.0, why, o.received));
        }
    }

    pub(super) fn unpend(&mut self, signal_id: &str) {
        let Some(o) = self.pending.remove(signal_id) else {
            return;
        };
        self.unschedule_pending(&o);
        if let Some(p) = &o.place {
            if let Some(list) = self.pending_by_place.get_mut(p) {
                list.retain(|x| x != signal_id);
                if list.is_empty() {
                    self.pending_by_place.remove(p);
                }
            }
        }
    }

    /// Pulls into incident `id` the signals that waited unassigned: at the
    /// same place as `o`; when it opens, also the symptoms above it that
    /// began after it, and the changes at it or below it shortly before.
    pub(super) fn adopt(&mut self, id: &str, o: &Obs, opening: bool) {
        if self.pending.is_empty() {
            return;
        }
        let Some(here) = o.place.clone() else { return };
        let mut found: Vec<(String, String)> = Vec::new();
        let window = self.config.adopt_window_secs;
        let change_window = self.config.change_window_secs;
        // Where it fails: its own place, or, for an incident opened by a
        // caller's symptom naming its peer, that peer.
        let place = match self.incidents.get(id).and_then(|i| i.root.clone()) {
            Some(r) if opening => r,
            _ => here.clone(),
        };
        let mut spots = vec![here.clone()];
        if place != here {
            spots.push(place.clone());
        }
        for spot in &spots {
            // Where the incident is only felt, a cause of that place's own
            // (a crash loop, memory, a change there) is not the incident's
            // doing: the same rule as a live signal there (`place_claims`).
            let felt = !self.fails_at(id, spot);
            for pid in self.pending_by_place.get(spot).into_iter().flatten() {
                let Some(p) = self.pending.get(pid) else {
                    continue;
                };
                if felt && (p.class.local_cause() || p.class.change || p.kind == SignalKind::Change)
                {
                    continue;
                }
                let limit = if p.kind == SignalKind::Change {
                    change_window
                } else {
                    window
                };
                if (o.onset - p.onset).num_seconds().abs() <= limit {
                    let what = if p.kind == SignalKind::Change {
                        "a change at the same place"
                    } else if spot == &here {
                        "same place"
                    } else {
                        "where the errors it calls come from"
                    };
                    found.push((
                        pid.clone(),
                        format!(
                            "waited unassigned; {what} ({}), {} apart",
                            describe(spot),
                            human_secs((o.onset - p.onset).num_seconds().abs())
                        ),
                    ));
                }
            }
        }
        if opening && o.known && !self.pending_by_place.is_empty() {
            if let Some(topo) = self.topology.clone() {
                // A configuration it uses, applied shortly before.
                for config in topo.configs_of(&place) {
                    for pid in self.pending_by_place.get(&config).into_iter().flatten() {
                        let Some(p) = self.pending.get(pid) else {
                            continue;
                        };
                        if p.class.change
                            && p.onset <= o.onset
                            && (o.onset - p.onset).num_seconds() <= change_window
                        {
                            found.push((
                                pid.clone(),
                                format!(
                                    "waited unassigned; {} uses {}, changed {} before",
                                    describe(&place),
                                    describe(&config),
                                    human_secs((o.onset - p.onset).num_seconds())
                                ),
                            ));
                        }
                    }
                }
                if let Some(start) = topo.place_index(&place) {
                    let hops = self.config.topology_max_hops;
                    for (way, walk) in [
                        (Way::Up, topo.walk(start, Way::Up, hops, 256)),
                        (Way::Down, topo.walk(start, Way::Down, 1, 64)),
                    ] {
                        for r in &walk {
                            let at = topo.entity(r.place);
                            for pid in self.pending_by_place.get(at).into_iter().flatten() {
                                let Some(p) = self.pending.get(pid) else {
                                    continue;
                                };
                                let ok = match way {
                                    Way::Up => {
                                        p.class.travels_up()
                                            && (o.onset - p.onset).num_seconds()
                                                <= self.config.onset_tolerance_secs
                                            && (p.onset - o.onset).num_seconds() <= window
                                    }
                                    Way::Down => {
                                        p.kind == SignalKind::Change
                                            && p.onset <= o.onset
                                            && (o.onset - p.onset).num_seconds() <= change_window
                                    }
                                };
                                if ok {
                                    let path = topo.hops_to(&walk, r.place);
                                    let said: Vec<String> =
                                        path.iter().map(super::score::say_hop).collect();
                                    found.push((
                                        pid.clone(),
                                        format!("waited unassigned; {}", said.join(", ")),
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
        found.sort();
        found.dedup_by(|a, b| a.0 == b.0);
        for (pid, why) in found {
            let Some(p) = self.pending.get(&pid).cloned() else {
                continue;
            };
            self.unpend(&pid);
            self.effects.ledger.push(LedgerEntry::engine(
                id,
                o.received,
                LedgerAction::Adopted,
                Some(&pid),
                why.clone(),
            ));
            self.apply(id, &p, false);
            let (strategy, score) = if p.place.as_ref() == Some(&place) {
                (LinkStrategy::Resource, 0.7)
            } else {
                (LinkStrategy::Topology, 0.55)
            };
            self.effects
                .adopted
                .push(link(id, &pid, strategy, score, why, o.received));
        }
    }
}
