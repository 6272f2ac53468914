//! Time-driven work, by the engine's own clock (the latest arrival seen):
//! a quiet incident resolves, an idle one leaves the hot indexes, an old
//! resolved one is forgotten, an unassigned signal stops waiting.
//!
//! Due work sits in one ordered set of timers; each is checked when it comes
//! due and rescheduled if what it waits for moved, so there is never a scan
//! over all incidents.

use super::{is_open, Engine};
use crate::incident::{IncidentStatus, LedgerAction, LedgerEntry};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Alerts that stopped firing are forgotten this long after their last onset.
const EPISODES_KEEP_SECS: i64 = 7 * 24 * 3600;
/// Idle incidents leave the indexes this long after the widest window.
const COOL_MARGIN_SECS: i64 = 10 * 60;

/// The keys of the `n` oldest of `aged` (age, key): what a capped memory
/// forgets, a tenth at a time. A partial sort: a storm reaches a cap with
/// every arrival.
pub(super) fn oldest<A: Ord, K: Ord>(mut aged: Vec<(A, K)>, n: usize) -> Vec<K> {
    let n = n.min(aged.len());
    if n == 0 {
        return Vec::new();
    }
    aged.select_nth_unstable(n - 1);
    aged.truncate(n);
    aged.into_iter().map(|(_, k)| k).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum Work {
    /// An unassigned signal stops waiting for adoption.
    Unpend,
    /// An incident whose alerts all resolved may be quiet long enough.
    Quiet,
    /// An incident with no new firing may leave the hot indexes.
    Cool,
    /// A resolved incident is forgotten.
    Forget,
    /// An alert not seen for long is forgotten (recurrences, changes).
    ForgetAlert,
    /// Conditions not seen for the chronic look-back are forgotten.
    SweepConditions,
}

/// `(due, work, id)`: ordered by time, then kind, then id.
pub(super) type Timer = (DateTime<Utc>, Work, String);

impl Engine {
    fn schedule(&mut self, at: DateTime<Utc>, work: Work, id: &str) {
        self.timers.insert((at, work, id.to_string()));
    }

    /// When a waiting signal stops waiting: a change waits for the change
    /// window, anything else for the adoption window.
    pub(super) fn pending_due(&self, p: &super::Obs) -> DateTime<Utc> {
        let keep = if p.kind == crate::signal::SignalKind::Change {
            self.config.change_window_secs
        } else {
            self.config.adopt_window_secs
        };
        p.received + Duration::seconds(keep)
    }

    pub(super) fn schedule_pending(&mut self, p: &super::Obs) {
        self.schedule(self.pending_due(p), Work::Unpend, &p.id);
    }

    /// Drops the timer of a signal that stopped waiting before it was due
    /// (adopted, or the oldest of a full list): in a storm most do, and
    /// their timers would otherwise outnumber the waiting signals many times.
    pub(super) fn unschedule_pending(&mut self, p: &super::Obs) {
        let due = self.pending_due(p);
        self.timers.remove(&(due, Work::Unpend, p.id.clone()));
    }

    pub(super) fn schedule_quiet(&mut self, id: &str, quiet_since: DateTime<Utc>) {
        let due = quiet_since + Duration::seconds(self.config.resolve_quiet_secs);
        if let Some(m) = self.memory.get_mut(id) {
            if m.quiet_due.is_some_and(|d| d <= due) {
                return;
            }
            m.quiet_due = Some(due);
        }
        self.schedule(due, Work::Quiet, id);
    }

    fn cool_after(&self) -> i64 {
        self.config
            .group_window_secs
            .max(self.config.topology_window_secs)
            .max(self.config.temporal_window_secs)
            + COOL_MARGIN_SECS
    }

    /// Cools `id` once nothing arrived for it for the widest window.
    pub(super) fn schedule_cool(&mut self, id: &str, last_received: DateTime<Utc>) {
        let due = last_received + Duration::seconds(self.cool_after());
        if let Some(m) = self.memory.get_mut(id) {
            if m.cool_due.is_some_and(|d| d <= due) {
                return;
            }
            m.cool_due = Some(due);
        }
        self.schedule(due, Work::Cool, id);
    }

    pub(super) fn schedule_sweep_conditions(&mut self, now: DateTime<Utc>) {
        let due = now + Duration::seconds((self.config.chronic_lookback_secs / 4).max(60));
        self.schedule(due, Work::SweepConditions, "");
    }

    pub(super) fn schedule_forget(&mut self, id: &str, resolved_at: DateTime<Utc>) {
        let due = resolved_at + Duration::seconds(self.config.retain_resolved_secs);
        if let Some(m) = self.memory.get_mut(id) {
            m.forget_due = Some(due);
        }
        self.schedule(due, Work::Forget, id);
    }

    /// Does every timer due by `now`; returns the incidents that changed.
    pub(super) fn run_timers(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut changed = Vec::new();
        let mut forgot_alerts = false;
        while let Some(first) = self.timers.first().cloned() {
            if first.0 > now {
                break;
            }
            self.timers.remove(&first);
            let (_, work, id) = first.clone();
            match work {
                Work::Unpend => {
                    let due = self.pending.get(&id).map(|p| self.pending_due(p));
                    if due.is_some_and(|d| d <= now) {
                        self.unpend(&id);
                    }
                }
                Work::Quiet => {
                    if let Some(m) = self.memory.get_mut(&id) {
                        m.quiet_due = None;
                    }
                    if self.quiet_check(&id, now) {
                        changed.push(id);
                    }
                }
                Work::Cool => {
                    if let Some(m) = self.memory.get_mut(&id) {
                        m.cool_due = None;
                    }
                    let last = self.memory.get(&id).and_then(|m| m.last_received);
                    match last {
                        Some(l) if l + Duration::seconds(self.cool_after()) > now => {
                            self.schedule_cool(&id, l);
                        }
                        _ => self.unindex(&id),
                    }
                }
                Work::Forget => {
                    let current = self
                        .memory
                        .get(&id)
                        .is_none_or(|m| m.forget_due == Some(first.0));
                    if current {
                        self.forget(&id);
                    }
                }
                Work::SweepConditions => self.sweep_conditions(now),
                Work::ForgetAlert => {
                    self.forget_alert(&id, now);
                    forgot_alerts = true;
                }
            }
        }
        // Once per pass, not once per alert: a forgotten storm is many.
        if forgot_alerts {
            self.forget_old_changes(now);
        }
        changed.sort();
        changed.dedup();
        self.effects.changed.extend(changed.iter().cloned());
        changed
    }

    /// Resolves `id` if all its alerts resolved and the quiet period passed.
    fn quiet_check(&mut self, id: &str, now: DateTime<Utc>) -> bool {
        let quiet = Duration::seconds(self.config.resolve_quiet_secs);
        let Some(inc) = self.incidents.get(id) else {
            return false;
        };
        if !is_open(inc.status) || !inc.firing.is_empty() {
            return false;
        }
        let Some(since) = self.memory.get(id).and_then(|m| m.quiet_since) else {
            return false;
        };
        if since + quiet > now {
            self.schedule_quiet(id, since);
            return false;
        }
        let ended = self.memory.get(id).and_then(|m| m.ended_at);
        let inc = self.incidents.get_mut(id).expect("checked above");
        inc.status = IncidentStatus::Resolved;
        inc.resolved_at = Some(ended.unwrap_or(since));
        let n = self.memory.get(id).map_or(0, |m| m.members.len());
        self.effects.ledger.push(LedgerEntry::engine(
            id,
            now,
            LedgerAction::Resolved,
            None,
            format!(
                "resolved: all {n} alert{} ended and nothing fired for {}",
                if n == 1 { "" } else { "s" },
                super::human_secs(self.config.resolve_quiet_secs)
            ),
        ));
        self.unindex(id);
        self.schedule_forget(id, now);
        true
    }

    /// Takes `id` out of the hot indexes (it keeps its fingerprints: its
    /// alerts' repeats and resolves still find it).
    pub(super) fn unindex(&mut self, id: &str) {
        let Some(mem) = self.memory.get_mut(id) else {
            return;
        };
        if !mem.indexed {
            return;
        }
        mem.indexed = false;
        for p in mem.places.keys() {
            if let Some(list) = self.by_place.get_mut(p) {
                list.retain(|x| x != id);
                if list.is_empty() {
                    self.by_place.remove(p);
                }
            }
        }
        for s in &mem.scopes {
            if let Some(list) = self.by_scope.get_mut(s) {
                list.retain(|x| x != id);
                if list.is_empty() {
                    self.by_scope.remove(s);
                }
            }
        }
        for t in &mem.traces {
            if self.by_trace.get(t).is_some_and(|(x, _)| x == id) {
                self.by_trace.remove(t);
            }
        }
        for k in &mem.keys {
            if self.by_key.get(k).is_some_and(|x| x == id) {
                self.by_key.remove(k);
            }
        }
    }

    /// Puts `id` back into the hot indexes (re-opened by a person or an alert).
    pub(super) fn reindex(&mut self, id: &str) {
        let Some(mem) = self.memory.get_mut(id) else {
            return;
        };
        if mem.indexed {
            return;
        }
        mem.indexed = true;
        for p in mem.places.keys() {
            let list = self.by_place.entry(p.clone()).or_default();
            if !list.iter().any(|x| x == id) {
                list.push(id.to_string());
            }
        }
        for s in &mem.scopes {
            let list = self.by_scope.entry(s.clone()).or_default();
            if !list.iter().any(|x| x == id) {
                list.push(id.to_string());
            }
        }
        for t in &mem.traces {
            let title = mem.trace_titles.get(t).cloned().unwrap_or_default();
            self.by_trace
                .entry(t.clone())
                .or_insert_with(|| (id.to_string(), title));
        }
        for k in &mem.keys {
            self.by_key
                .entry(k.clone())
                .or_insert_with(|| id.to_string());
        }
        if let Some(l) = mem.last_received {
            self.schedule_cool(id, l);
        }
    }

    /// Forgets a resolved incident once its retention passed: its state,
    /// memory and fingerprints (the store keeps its rows).
    fn forget(&mut self, id: &str) {
        let Some(inc) = self.incidents.get(id) else {
            return;
        };
        if is_open(inc.status) {
            return;
        }
        self.unindex(id);
        self.incidents.remove(id);
        let mem = self.memory.remove(id).unwrap_or_default();
        for fp in mem.members.keys() {
            if self.by_fingerprint.get(fp).is_some_and(|x| x == id) {
                self.by_fingerprint.remove(fp);
            }
            let last = self.episodes.get(fp).and_then(|e| e.onsets.last().copied());
            if let Some(last) = last {
                self.schedule_forget_alert(fp, last);
            }
        }
    }

    /// Looks at alert `fp` again [`EPISODES_KEEP_SECS`] after `onset`.
    pub(super) fn schedule_forget_alert(&mut self, fp: &str, onset: DateTime<Utc>) {
        self.schedule_forget_alert_at(fp, onset + Duration::seconds(EPISODES_KEEP_SECS));
    }

    fn schedule_forget_alert_at(&mut self, fp: &str, due: DateTime<Utc>) {
        if let Some(ep) = self.episodes.get_mut(fp) {
            ep.forget_due = Some(due);
        }
        self.schedule(due, Work::ForgetAlert, fp);
    }

    /// Drops alert `fp`'s timer, when it goes into an incident or is
    /// forgotten early.
    pub(super) fn unschedule_forget_alert(&mut self, fp: &str) {
        if let Some(due) = self.episodes.get_mut(fp).and_then(|e| e.forget_due.take()) {
            self.timers
                .remove(&(due, Work::ForgetAlert, fp.to_string()));
        }
    }

    /// Forgets an alert's episodes once it has been quiet long. One in an
    /// incident waits for the incident to be forgotten (which looks again);
    /// one still firing is looked at again later.
    fn forget_alert(&mut self, fp: &str, now: DateTime<Utc>) {
        let keep = Duration::seconds(EPISODES_KEEP_SECS);
        let Some(ep) = self.episodes.get(fp) else {
            return;
        };
        if self.by_fingerprint.contains_key(fp) {
            return;
        }
        if ep.firing {
            self.schedule_forget_alert_at(fp, now + keep);
            return;
        }
        match ep.onsets.last() {
            Some(last) if *last + keep > now => {
                let due = *last + keep;
                self.schedule_forget_alert_at(fp, due);
            }
            _ => {
                self.episodes.remove(fp);
            }
        }
    }

    /// Drops the changes older than the alert memory keeps.
    fn forget_old_changes(&mut self, now: DateTime<Utc>) {
        let cutoff = now - Duration::seconds(EPISODES_KEEP_SECS);
        self.changes.retain(|_, list| {
            list.retain(|c| c.at > cutoff);
            !list.is_empty()
        });
    }
}
