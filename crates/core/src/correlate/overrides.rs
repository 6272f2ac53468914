//! People stay in charge: move a signal, merge two incidents, split signals
//! off into a new one. Each override is recorded as feedback and changes the
//! indexes later decisions read, so nothing silently undoes it: a moved
//! alert's repeats and resolves follow it, a merged incident's alerts go to
//! the one it was merged into, split-off alerts stay apart.

use super::{apply::Memory, describe, is_open, link, Engine, IncidentState};
use crate::hash::short_hex;
use crate::incident::{CorrelationLink, IncidentStatus, LedgerAction, LedgerEntry, LinkStrategy};
use crate::signal::Signal;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use ts_rs::TS;

/// How many overrides the engine keeps in its own state (the store keeps all).
const FEEDBACK_KEEP: usize = 500;

/// One override, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Feedback {
    /// A signal (and with it its alert) moved from one incident to another.
    #[serde(rename_all = "camelCase")]
    Moved {
        signal_id: String,
        fingerprint: String,
        from: Option<String>,
        to: String,
        at: DateTime<Utc>,
    },
    /// `from` merged into `into`.
    #[serde(rename_all = "camelCase")]
    Merged {
        from: String,
        into: String,
        at: DateTime<Utc>,
    },
    /// `signals` split off `from` into the new incident `into`.
    #[serde(rename_all = "camelCase")]
    Split {
        from: String,
        into: String,
        signals: Vec<String>,
        at: DateTime<Utc>,
    },
}

impl Feedback {
    /// When the person made it.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Feedback::Moved { at, .. }
            | Feedback::Merged { at, .. }
            | Feedback::Split { at, .. } => *at,
        }
    }
}

/// Why an override was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideError {
    NoIncident(String),
    Invalid(String),
}

impl std::fmt::Display for OverrideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverrideError::NoIncident(id) => write!(f, "no incident {id}"),
            OverrideError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for OverrideError {}

impl Engine {
    fn live(&self, id: &str) -> Result<&IncidentState, OverrideError> {
        let inc = self
            .incidents
            .get(id)
            .ok_or_else(|| OverrideError::NoIncident(id.to_string()))?;
        match &inc.merged_into {
            Some(into) => Err(OverrideError::Invalid(format!(
                "incident {id} was merged into {into}"
            ))),
            None => Ok(inc),
        }
    }

    fn record(&mut self, f: Feedback) {
        self.feedback.push(f);
        if self.feedback.len() > FEEDBACK_KEEP {
            self.feedback.remove(0);
        }
    }

    /// Moves `signal` (its alert: repeats and resolves follow) into `to`.
    /// Returns the new link (strategy `manual`).
    pub fn move_signal(
        &mut self,
        signal: &Signal,
        to: &str,
        at: DateTime<Utc>,
    ) -> Result<CorrelationLink, OverrideError> {
        self.effects = Default::default();
        self.live(to)?;
        let from = self
            .by_fingerprint
            .get(&signal.fingerprint)
            .and_then(|f| self.follow(f));
        if from.as_deref() == Some(to) {
            return Err(OverrideError::Invalid(format!(
                "signal {} is already in {to}",
                signal.id
            )));
        }
        if let Some(from) = &from {
            self.take_out(from, &signal.fingerprint, &signal.id, at, to);
        }
        let why = match &from {
            Some(f) => format!("moved here by a person from {f}"),
            None => "put here by a person".to_string(),
        };
        self.put_in(to, signal, at, &why);
        self.record(Feedback::Moved {
            signal_id: signal.id.clone(),
            fingerprint: signal.fingerprint.clone(),
            from: from.clone(),
            to: to.to_string(),
            at,
        });
        self.effects.changed.extend(from);
        self.effects.changed.push(to.to_string());
        Ok(link(to, &signal.id, LinkStrategy::Manual, 1.0, why, at))
    }

    /// Merges `from` into `into`: its alerts, places and indexes; `from` is
    /// closed and points to `into` from now on.
    pub fn merge(
        &mut self,
        from: &str,
        into: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OverrideError> {
        self.effects = Default::default();
        if from == into {
            return Err(OverrideError::Invalid(
                "cannot merge an incident into itself".into(),
            ));
        }
        self.live(from)?;
        self.live(into)?;
        self.unindex(from);
        self.unindex(into);
        let gone = self.memory.remove(from).unwrap_or_default();
        let src = self.incidents.get(from).cloned().expect("checked live");
        for fp in gone.members.keys() {
            self.by_fingerprint.insert(fp.clone(), into.to_string());
        }
        let mem = self.memory.entry(into.to_string()).or_default();
        let places: Vec<crate::Entity> = gone.places.keys().cloned().collect();
        absorb(mem, gone);
        mem.pinned.extend(places);
        let inc = self.incidents.get_mut(into).expect("checked live");
        inc.firing.extend(src.firing.iter().cloned());
        inc.signal_count += src.signal_count;
        inc.severity = inc.severity.max(src.severity);
        inc.opened_at = inc.opened_at.min(src.opened_at);
        inc.last_at = inc.last_at.max(src.last_at);
        if inc.root.is_none() {
            inc.root = src.root.clone();
        }
        if !inc.firing.is_empty() {
            mem.quiet_since = None;
            if !is_open(inc.status) {
                inc.status = IncidentStatus::Active;
                inc.resolved_at = None;
            }
        }
        let old = self.incidents.get_mut(from).expect("checked live");
        old.status = IncidentStatus::Resolved;
        old.resolved_at = Some(at);
        old.merged_into = Some(into.to_string());
        old.firing.clear();
        self.memory.insert(from.to_string(), Memory::default());
        self.reindex(into);
        self.schedule_forget(from, at);
        self.effects.ledger.push(LedgerEntry::person(
            into,
            at,
            LedgerAction::Merged,
            None,
            format!("{from} (\"{}\") merged into it by a person", src.title),
        ));
        self.effects.ledger.push(LedgerEntry::person(
            from,
            at,
            LedgerAction::Merged,
            None,
            format!("merged into {into} by a person"),
        ));
        self.record(Feedback::Merged {
            from: from.to_string(),
            into: into.to_string(),
            at,
        });
        self.effects.changed = vec![from.to_string(), into.to_string()];
        Ok(())
    }

    /// Splits `signals` (their alerts) off `from` into a new incident;
    /// returns its id and the new links (strategy `manual`).
    pub fn split(
        &mut self,
        from: &str,
        signals: &[Signal],
        at: DateTime<Utc>,
    ) -> Result<(String, Vec<CorrelationLink>), OverrideError> {
        self.effects = Default::default();
        let src = self.live(from)?.clone();
        if signals.is_empty() {
            return Err(OverrideError::Invalid("nothing to split off".into()));
        }
        let fps: BTreeSet<&str> = signals.iter().map(|s| s.fingerprint.as_str()).collect();
        let members = self.memory.get(from).map(|m| m.members.len()).unwrap_or(0);
        for s in signals {
            let holder = self
                .by_fingerprint
                .get(&s.fingerprint)
                .and_then(|f| self.follow(f));
            if holder.as_deref() != Some(from) {
                return Err(OverrideError::Invalid(format!(
                    "signal {} is not in {from}",
                    s.id
                )));
            }
        }
        if fps.len() >= members {
            return Err(OverrideError::Invalid(
                "splitting off every alert leaves nothing behind: rename or merge instead".into(),
            ));
        }
        let ids: Vec<&str> = signals.iter().map(|s| s.id.as_str()).collect();
        let id = format!(
            "inc-{}",
            short_hex(&[from, "split", &ids.join(","), &at.to_rfc3339()])
        );
        let first = &signals[0];
        self.incidents.insert(
            id.clone(),
            IncidentState {
                id: id.clone(),
                title: first.title.clone(),
                group_key: None,
                severity: first.severity,
                status: IncidentStatus::Building,
                opened_at: signals.iter().map(|s| s.event_time()).min().unwrap_or(at),
                last_at: at,
                resolved_at: None,
                firing: BTreeSet::new(),
                signal_count: 0,
                assignee: None,
                team: None,
                runbook: None,
                rule: None,
                root: None,
                merged_into: None,
            },
        );
        self.memory.insert(id.clone(), Memory::default());
        let why = format!("split off {from} by a person");
        let mut links = Vec::new();
        for s in signals {
            self.take_out(from, &s.fingerprint, &s.id, at, &id);
            self.put_in(&id, s, at, &why);
            links.push(link(&id, &s.id, LinkStrategy::Manual, 1.0, why.clone(), at));
        }
        self.effects.ledger.push(LedgerEntry::person(
            &id,
            at,
            LedgerAction::Split,
            None,
            format!("split off {from} (\"{}\") by a person", src.title),
        ));
        self.effects.ledger.push(LedgerEntry::person(
            from,
            at,
            LedgerAction::Split,
            None,
            format!(
                "{} signal(s) split off into {id} by a person",
                signals.len()
            ),
        ));
        self.record(Feedback::Split {
            from: from.to_string(),
            into: id.clone(),
            signals: signals.iter().map(|s| s.id.clone()).collect(),
            at,
        });
        self.effects.changed = vec![from.to_string(), id.clone()];
        Ok((id, links))
    }

    /// Takes an alert out of `from`: member, firing, places it alone held.
    fn take_out(
        &mut self,
        from: &str,
        fingerprint: &str,
        signal_id: &str,
        at: DateTime<Utc>,
        to: &str,
    ) {
        self.unindex(from);
        let Some(mem) = self.memory.get_mut(from) else {
            return;
        };
        mem.members.remove(fingerprint);
        let still: BTreeSet<u64> = mem.members.values().filter_map(|m| m.place).collect();
        let here = |p: &crate::Entity| still.contains(&super::apply::place_key(p));
        mem.places.retain(|p, _| here(p));
        let empty = mem.members.is_empty();
        let inc = self
            .incidents
            .get_mut(from)
            .expect("memory and state go together");
        inc.firing.remove(fingerprint);
        inc.signal_count = inc.signal_count.saturating_sub(1);
        if inc.root.as_ref().is_some_and(|r| !here(r)) {
            inc.root = mem
                .places
                .iter()
                .min_by(|a, b| (a.1.first, a.0).cmp(&(b.1.first, b.0)))
                .map(|(p, _)| p.clone());
            mem.root_onset = mem.places.values().map(|s| s.first).min();
        }
        if inc.firing.is_empty() && is_open(inc.status) {
            mem.quiet_since = Some(at);
        }
        if empty && is_open(inc.status) {
            inc.status = IncidentStatus::Resolved;
            inc.resolved_at = Some(at);
        }
        let open = is_open(inc.status);
        self.effects.ledger.push(LedgerEntry::person(
            from,
            at,
            LedgerAction::MovedOut,
            Some(signal_id),
            format!("moved to {to} by a person"),
        ));
        if open {
            self.reindex(from);
            if let Some(q) = self.memory.get(from).and_then(|m| m.quiet_since) {
                self.schedule_quiet(from, q);
            }
        } else {
            self.schedule_forget(from, at);
        }
    }

    /// Puts a signal into `to` as a person's decision.
    fn put_in(&mut self, to: &str, signal: &Signal, at: DateTime<Utc>, why: &str) {
        let o = self.locate(signal);
        let was_open = self.incidents.get(to).is_some_and(|i| is_open(i.status));
        if !was_open {
            self.reindex(to);
        }
        self.apply(to, &o, false);
        if let (Some(m), Some(p)) = (self.memory.get_mut(to), &o.place) {
            m.pinned.insert(p.clone());
        }
        self.by_fingerprint
            .insert(signal.fingerprint.clone(), to.to_string());
        self.unpend(&signal.id);
        let on = o
            .place
            .as_ref()
            .map(|p| format!(" on {}", describe(p)))
            .unwrap_or_default();
        self.effects.ledger.push(LedgerEntry::person(
            to,
            at,
            LedgerAction::MovedIn,
            Some(&signal.id),
            format!("\"{}\"{on}: {why}", signal.title),
        ));
    }
}

/// `into` takes over everything `from` knew.
fn absorb(into: &mut Memory, from: Memory) {
    into.members.extend(from.members);
    for (p, t) in from.places {
        let slot = into.places.entry(p).or_insert(t);
        slot.add(t.first);
        slot.add(t.last);
    }
    for t in from.titles {
        if into.titles.len() < 8 && !into.titles.contains(&t) {
            into.titles.push(t);
        }
    }
    into.scopes.extend(from.scopes);
    into.pinned.extend(from.pinned);
    into.traces.extend(from.traces);
    for (t, title) in from.trace_titles {
        into.trace_titles.entry(t).or_insert(title);
    }
    into.keys.extend(from.keys);
    into.root_onset = match (into.root_onset, from.root_onset) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    into.last_firing_at = into.last_firing_at.max(from.last_firing_at);
}
