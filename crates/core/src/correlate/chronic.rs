//! Chronic and flapping conditions, learned from the stream itself.
//!
//! Most of a storm's alerts are not the storm: a latency monitor that flaps
//! every half hour, a Pod that has been crash-looping since morning, a Node
//! whose memory sits at its limit. PagerDuty labels such alerts "frequent",
//! Keep calls them "spammy"; an on-call engineer knows them and wants them
//! apart. A *condition* is what one alert keeps saying: the same cause on
//! the same Pod or Node ("pod cart-x crash-looping", whichever alert or
//! event says it), else the same alert (its fingerprint). A condition is
//! **chronic** when, within the look-back window, it came back at least
//! `chronic_min_episodes` times (episodes are separated by a quiet gap), or
//! has been active without a break for `chronic_persist_secs`.
//!
//! A chronic condition is its own incident: its later signals go there, and
//! the ones that waited unassigned before it became chronic are adopted. A
//! chronic incident takes no other signal by place or topology: it is
//! nobody's cause, so a new fault next to it opens its own incident.

use super::{human_secs, link, Decision, Engine, IncidentBrief, Obs};
use crate::incident::{LedgerAction, LedgerEntry, LinkStrategy};
use crate::signal::{Severity, SignalStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How many episode onsets a condition remembers.
const EPISODES_KEEP: usize = 16;
/// How many unassigned signals a condition keeps for adoption.
const WAITING_KEEP: usize = 64;
/// How many conditions without a chronic incident the engine remembers:
/// as many as the unassigned signals it keeps (`PENDING_KEEP`), which are
/// what most of them hold. A storm of distinct alerts would otherwise keep
/// one per alert for the whole look-back; the ones seen longest ago go
/// first.
pub(super) const CONDITIONS_KEEP: usize = 20_000;

/// What the engine remembers of one condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Condition {
    /// Each episode's onset and the incident its first signal went to,
    /// oldest first.
    pub episodes: Vec<(DateTime<Utc>, Option<String>)>,
    /// The latest time it was seen active (an onset or a repeat).
    pub last: Option<DateTime<Utc>>,
    /// The alerts (fingerprints) of it firing now: a firing that finds none
    /// begins a new episode (an event, which never resolves, does after a
    /// quiet gap).
    pub firing: BTreeSet<u64>,
    /// When the last of its alerts resolved (nothing of it firing since).
    pub resolved: Option<DateTime<Utc>>,
    /// Its signals that waited unassigned, for its chronic incident. Boxed:
    /// most conditions hold one, and a `Vec` of a few-hundred-byte values
    /// starts with room for four.
    #[allow(clippy::vec_box, reason = "measured: most lists hold one signal")]
    pub waiting: Vec<Box<Obs>>,
    /// Its chronic incident, once it has one.
    pub incident: Option<String>,
}

/// The condition a signal states: its cause on its Pod or Node, else the
/// alert itself. (Computed once, in [`Engine::locate`]: `Obs::condition`.)
pub(crate) fn condition_key(o: &Obs) -> u64 {
    match (&o.entity, o.class.cause) {
        (Some(e), Some(c)) if matches!(e.kind.as_str(), "pod" | "node" | "host") => {
            crate::hash::fnv1a(&[&e.to_string(), &format!("{c:?}")])
        }
        _ => crate::hash::fnv1a(&["alert", &o.fingerprint]),
    }
}

/// Whether a signal can be part of a chronic condition: something that is
/// wrong, not a heartbeat, a forecast, a change or an informational note.
fn counts(o: &Obs) -> bool {
    o.severity > Severity::Info
        && !o.class.heartbeat
        && !o.class.forecast
        && !o.class.change
        && !o.class.eviction
        && o.status != SignalStatus::Info
}

impl Engine {
    /// Notes `o` in its condition's history (before the decision).
    pub(super) fn note_condition(&mut self, o: &Obs) {
        if !counts(o) {
            return;
        }
        let gap = self.config.chronic_gap_secs;
        let key = o.condition;
        if self.conditions.is_empty() {
            self.schedule_sweep_conditions(o.at);
        }
        let c = self.conditions.entry(key).or_default();
        match o.status {
            SignalStatus::Firing => {
                let t = o.onset.max(o.at);
                // Quiet: nothing of it for the gap, or all of it resolved
                // since it was last active.
                let quiet = c.last.is_none_or(|l| (o.onset - l).num_seconds() > gap)
                    || c.resolved.zip(c.last).is_some_and(|(r, l)| r >= l);
                let fresh = c.firing.is_empty() && quiet;
                if fresh && c.episodes.last().map(|e| e.0) != Some(o.onset) {
                    c.episodes.push((o.onset, None));
                    if c.episodes.len() > EPISODES_KEEP {
                        c.episodes.remove(0);
                    }
                }
                if !o.point && c.firing.len() < EPISODES_KEEP {
                    c.firing.insert(crate::hash::fnv1a(&[&o.fingerprint]));
                }
                c.last = Some(c.last.map_or(t, |l| l.max(t)));
            }
            SignalStatus::Resolved => {
                if c.firing.remove(&crate::hash::fnv1a(&[&o.fingerprint])) && c.firing.is_empty() {
                    c.resolved = Some(o.at);
                }
            }
            SignalStatus::Info => {}
        }
        // Counted generously (a chronic incident holds one condition), so
        // that each pass has a tenth to forget.
        if self.conditions.len().saturating_sub(self.incidents.len()) > CONDITIONS_KEEP {
            self.forget_oldest_conditions(key);
        }
    }

    /// Forgets the tenth of the conditions last seen longest ago, of those
    /// with no chronic incident (or one already forgotten), and not `keep`,
    /// the one just noted.
    fn forget_oldest_conditions(&mut self, keep: u64) {
        let by_age: Vec<(Option<DateTime<Utc>>, u64)> = self
            .conditions
            .iter()
            .filter(|(k, c)| {
                **k != keep
                    && c.incident
                        .as_ref()
                        .is_none_or(|id| !self.incidents.contains_key(id))
            })
            .map(|(k, c)| (c.last, *k))
            .collect();
        for k in super::lifecycle::oldest(by_age, CONDITIONS_KEEP / 10) {
            self.conditions.remove(&k);
        }
    }

    /// Records where the first signal of `o`'s current episode went.
    pub(super) fn settle_condition(&mut self, o: &Obs, incident: Option<&str>) {
        if !counts(o) || o.status != SignalStatus::Firing {
            return;
        }
        let key = o.condition;
        let Some(c) = self.conditions.get_mut(&key) else {
            return;
        };
        if let Some(last) = c.episodes.last_mut() {
            if last.0 == o.onset && last.1.is_none() {
                last.1 = incident.map(str::to_string);
            }
        }
    }

    /// Notes which conditions incident `id` holds (in [`Engine::apply`]).
    pub(super) fn note_incident_condition(&mut self, id: &str, o: &Obs) {
        if !counts(o) {
            return;
        }
        let key = o.condition;
        if let Some(m) = self.memory.get_mut(id) {
            match m.first_condition {
                None => m.first_condition = Some(key),
                Some(k) if k != key => m.mixed = true,
                _ => {}
            }
        }
    }

    /// Whether an episode that went to `incident` was alone: unassigned, or
    /// in an incident of its condition only.
    fn alone(&self, incident: Option<&String>) -> bool {
        incident
            .and_then(|id| self.follow(id))
            .and_then(|id| self.memory.get(&id))
            .is_none_or(|m| !m.mixed)
    }

    /// Whether `o`'s condition is flapping: it began at least two episodes
    /// within the chronic gap before `o`. A flapping alert is weak
    /// evidence: it does not corroborate another, nor is corroborated.
    pub(super) fn flapping(&self, o: &Obs) -> bool {
        let Some(c) = self.conditions.get(&o.condition) else {
            return false;
        };
        let gap = self.config.chronic_gap_secs.max(1) * 3;
        c.episodes
            .iter()
            .filter(|e| (o.at - e.0).num_seconds() <= gap)
            .count()
            >= 2
    }

    /// Whether `o` is new behaviour: its condition began fewer than two
    /// episodes in the look-back window before `o`'s own.
    pub(crate) fn fresh(&self, o: &Obs) -> bool {
        let Some(c) = self.conditions.get(&o.condition) else {
            return true;
        };
        let look = self.config.chronic_lookback_secs;
        c.episodes
            .iter()
            .filter(|e| e.0 < o.onset && (o.onset - e.0).num_seconds() <= look)
            .count()
            < 2
    }

    /// Whether `key` is chronic at `now`, and why.
    pub(super) fn chronic(&self, key: u64, now: DateTime<Utc>) -> Option<String> {
        let c = self.conditions.get(&key)?;
        let look = self.config.chronic_lookback_secs;
        let (current, earlier) = c.episodes.split_last()?;
        let alone = earlier
            .iter()
            .filter(|e| (now - e.0).num_seconds() <= look && self.alone(e.1.as_ref()))
            .count();
        if alone + 1 >= self.config.chronic_min_episodes.max(2) {
            return Some(format!(
                "came back by itself {} times in {}",
                alone + 1,
                human_secs(look)
            ));
        }
        let active = (now - current.0).num_seconds();
        (active >= self.config.chronic_persist_secs && self.alone(current.1.as_ref())).then(|| {
            format!(
                "active by itself without a break for {}",
                human_secs(active)
            )
        })
    }

    /// The chronic incident of `o`'s condition takes it, opening one (and
    /// adopting the condition's waiting signals) when the condition has
    /// just become chronic.
    pub(super) fn chronic_claim(&mut self, o: &Obs) -> Option<Decision> {
        if !counts(o) {
            return None;
        }
        let key = o.condition;
        let why = self.chronic(key, o.at)?;
        let existing = self
            .conditions
            .get(&key)
            .and_then(|c| c.incident.clone())
            .and_then(|id| self.follow(&id))
            .or_else(|| self.adopt_alone_incident(key));
        let (id, opened) = match existing {
            Some(id) => (id, false),
            None => (self.open_chronic(o, key, &why), true),
        };
        let text = format!("recurring condition ({why})");
        if !opened {
            self.effects.ledger.push(LedgerEntry::engine(
                &id,
                o.received,
                LedgerAction::Attached,
                Some(&o.id),
                format!("{}: {text}", LinkStrategy::Key.as_str()),
            ));
            self.apply(&id, o, false);
            self.unpend(&o.id);
        }
        self.adopt_waiting(&id, key, o);
        let incident = IncidentBrief::from(&self.incidents[&id]);
        Some(Decision::Attach {
            link: link(&id, &o.id, LinkStrategy::Key, 0.95, text, o.received),
            opened,
            incident: Box::new(incident),
        })
    }

    /// The incident of the condition's current or last episode, when it
    /// holds that condition only: it becomes the chronic incident.
    fn adopt_alone_incident(&mut self, key: u64) -> Option<String> {
        let id = self
            .conditions
            .get(&key)?
            .episodes
            .iter()
            .rev()
            .find_map(|e| e.1.clone())
            .and_then(|id| self.follow(&id))?;
        let m = self.memory.get_mut(&id)?;
        if m.mixed || m.chronic.is_some() {
            return None;
        }
        m.chronic = Some(key);
        if let Some(c) = self.conditions.get_mut(&key) {
            c.incident = Some(id.clone());
        }
        Some(id)
    }

    fn open_chronic(&mut self, o: &Obs, key: u64, why: &str) -> String {
        let opening = super::rules::Opening::chronic(o);
        let id = self.open_incident(o, opening, &format!("a recurring condition ({why})"), false);
        if let Some(m) = self.memory.get_mut(&id) {
            m.chronic = Some(key);
        }
        if let Some(c) = self.conditions.get_mut(&key) {
            c.incident = Some(id.clone());
        }
        id
    }

    /// Pulls the condition's waiting signals into its chronic incident.
    fn adopt_waiting(&mut self, id: &str, key: u64, o: &Obs) {
        let waiting = match self.conditions.get_mut(&key) {
            Some(c) => std::mem::take(&mut c.waiting),
            None => return,
        };
        for w in waiting {
            if w.id == o.id {
                continue;
            }
            self.unpend(&w.id);
            let why = format!(
                "waited unassigned; the same recurring condition, {} earlier",
                human_secs((o.at - w.at).num_seconds())
            );
            self.effects.ledger.push(LedgerEntry::engine(
                id,
                o.received,
                LedgerAction::Adopted,
                Some(&w.id),
                why.clone(),
            ));
            self.apply(id, &w, false);
            self.effects
                .adopted
                .push(link(id, &w.id, LinkStrategy::Key, 0.9, why, o.received));
        }
    }

    /// Remembers an unassigned signal for its condition's chronic incident.
    pub(super) fn wait_in_condition(&mut self, o: &Obs) {
        if !counts(o) && o.status != SignalStatus::Resolved {
            return;
        }
        let key = o.condition;
        let Some(c) = self.conditions.get_mut(&key) else {
            return;
        };
        if c.waiting
            .iter()
            .any(|w| w.id == o.id && w.status == o.status)
        {
            return;
        }
        c.waiting.push(Box::new(o.clone()));
        if c.waiting.len() > WAITING_KEEP {
            c.waiting.remove(0);
        }
    }

    /// Forgets the conditions not seen for the look-back window (one sweep
    /// every quarter of it, rather than a timer per condition).
    pub(super) fn sweep_conditions(&mut self, now: DateTime<Utc>) {
        let keep = self.config.chronic_lookback_secs;
        self.conditions
            .retain(|_, c| c.last.is_some_and(|l| (now - l).num_seconds() < keep));
        if !self.conditions.is_empty() {
            self.schedule_sweep_conditions(now);
        }
    }
}
