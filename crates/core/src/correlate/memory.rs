//! What the engine remembers beyond incidents: the changes it saw (deploys,
//! rollouts, config) and the firing episodes of each alert, for the
//! analysis (suspect changes, recurring failures).

use super::Engine;
use crate::analysis::{self, Analysis, ChangeNote, Recurrence};
use crate::entity::Entity;
use crate::signal::{Signal, SignalStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How many changes each entity keeps.
const CHANGES_KEEP: usize = 4;
/// How many firing onsets each alert keeps.
const ONSETS_KEEP: usize = 12;
/// How many alerts outside incidents the engine remembers the episodes of.
/// A production Alertmanager holds some tens of thousands of alerts; a
/// storm of a million distinct ones (a Pod name in every label set) would
/// otherwise each be remembered for a week. The ones whose last onset is
/// oldest go first, as the oldest waiting signals do.
pub(super) const ALERTS_KEEP: usize = 50_000;

/// The firing episodes of one alert (fingerprint).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Episodes {
    /// Onset of each episode, oldest first (the last few).
    pub onsets: Vec<DateTime<Utc>>,
    pub firing: bool,
    /// When it is next looked at to be forgotten (its latest timer), so
    /// that the timer goes with it when it is forgotten early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forget_due: Option<DateTime<Utc>>,
}

impl Engine {
    /// Remembers what outlives the decision: changes and firing episodes.
    pub(super) fn note(&mut self, signal: &Signal, at: DateTime<Utc>) {
        match signal.status {
            SignalStatus::Firing => {
                // Only firings start a memory, and each one is set to be
                // forgotten: alerts that never join an incident (events,
                // waiting signals) would otherwise stay for ever.
                let new = !self.episodes.contains_key(&signal.fingerprint);
                let ep = self.episodes.entry(signal.fingerprint.clone()).or_default();
                if !ep.firing || ep.onsets.last() < Some(&at) {
                    // A new onset is a new episode even when its resolve was never seen.
                    if ep.onsets.last() != Some(&at) {
                        ep.onsets.push(at);
                    }
                    ep.firing = true;
                    if ep.onsets.len() > ONSETS_KEEP {
                        ep.onsets.remove(0);
                    }
                }
                if new {
                    self.schedule_forget_alert(&signal.fingerprint, at);
                    // Counted generously (an alert in an incident may have
                    // no episodes), so that each pass has a tenth to forget.
                    let outside = self
                        .episodes
                        .len()
                        .saturating_sub(self.by_fingerprint.len());
                    if outside > ALERTS_KEEP {
                        self.forget_oldest_alerts();
                    }
                }
            }
            SignalStatus::Resolved => {
                if let Some(ep) = self.episodes.get_mut(&signal.fingerprint) {
                    ep.firing = false;
                }
            }
            _ => {}
        }
    }

    /// Forgets the tenth of the remembered alerts seen longest ago, of
    /// those in no incident (an incident's alerts go with it).
    fn forget_oldest_alerts(&mut self) {
        let by_age = self
            .episodes
            .iter()
            .filter(|(fp, _)| !self.by_fingerprint.contains_key(*fp))
            .map(|(fp, e)| (e.onsets.last().copied().unwrap_or_default(), fp))
            .collect();
        let oldest: Vec<String> = super::lifecycle::oldest(by_age, ALERTS_KEEP / 10)
            .into_iter()
            .cloned()
            .collect();
        for fp in oldest {
            self.unschedule_forget_alert(&fp);
            self.episodes.remove(&fp);
        }
    }

    /// Remembers a change (deploy, rollout, configuration applied) where it
    /// landed: its place, its entity and workload, its service, and the
    /// ConfigMap or Secret it changed.
    pub(super) fn note_change(&mut self, signal: &Signal, o: &super::Obs) {
        if !o.class.change {
            return;
        }
        let note = ChangeNote {
            at: o.at,
            title: signal.title.clone(),
            entity: o
                .config
                .as_deref()
                .cloned()
                .or_else(|| signal.entity.clone()),
            service: signal.service.clone(),
        };
        let mut keys = self.keys_of(signal);
        keys.extend(o.config.iter().map(ToString::to_string));
        keys.extend(o.place.iter().map(ToString::to_string));
        keys.sort();
        keys.dedup();
        for key in keys {
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

    /// Where a signal is, as keys of the change memory: its place (or its
    /// entity and workload without a graph) and its service.
    fn keys_of(&self, signal: &Signal) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        if let Some(e) = &signal.entity {
            keys.push(e.to_string());
            keys.push(e.workload().to_string());
        }
        if let Some(p) = self.place_for(signal).0 {
            keys.push(p.to_string());
        }
        if let Some(s) = &signal.service {
            keys.push(format!("service:{s}"));
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// Whether a change landed at `place` (or a configuration it uses)
    /// after `from` and no later than `to`.
    pub(super) fn changed_between(
        &self,
        place: &Entity,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> bool {
        if self.changes.is_empty() {
            return false;
        }
        let mut keys = vec![place.to_string()];
        if let Some(t) = self.topology.as_deref() {
            keys.extend(t.configs_of(place).iter().map(ToString::to_string));
        }
        keys.iter()
            .filter_map(|k| self.changes.get(k))
            .flatten()
            .any(|c| c.at > from && c.at <= to)
    }

    /// Whether a change (deploy, rollout, config) landed at `place` up to
    /// the change window before `onset`: failures there are explained by it.
    pub(super) fn changed_before(&self, place: &Entity, onset: DateTime<Utc>) -> bool {
        if self.changes.is_empty() {
            return false; // the common case: no key to format
        }
        let mut keys = vec![place.to_string()];
        if let Some(t) = self.topology.as_deref() {
            keys.extend(t.configs_of(place).iter().map(ToString::to_string));
        }
        keys.iter()
            .filter_map(|k| self.changes.get(k))
            .flatten()
            .any(|c| {
                c.at <= onset && (onset - c.at).num_seconds() <= self.config.change_window_secs
            })
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
            if !self.changes.is_empty() {
                let mut keys = self.keys_of(s);
                if let (Some(t), Some(p)) = (self.topology.as_deref(), self.place_for(s).0) {
                    keys.extend(t.configs_of(&p).iter().map(ToString::to_string));
                }
                for key in keys {
                    changes.extend(self.changes.get(&key).into_iter().flatten().cloned());
                }
            }
            recurrence = recurrence.max(self.recurrence(&s.fingerprint));
        }
        let reads = signals
            .iter()
            .map(|s| {
                let o = self.locate(s);
                analysis::Read {
                    fresh: self.fresh(&o),
                    place: o.place,
                    known: o.known,
                    peer: o.peer.map(|b| *b),
                    config: o.config.map(|b| *b),
                    class: o.class,
                }
            })
            .collect();
        analysis::analyse_with(
            signals,
            &analysis::Context {
                reads,
                weights: self.config.rank,
                topology: self.topology.as_deref(),
                changes: changes.into_iter().collect(),
                change_window_secs: self.config.change_window_secs,
                recurrence,
            },
        )
    }
}

/// Lowercase alphanumeric words of a title.
pub(crate) fn words(title: &str) -> BTreeSet<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

pub(super) fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}
