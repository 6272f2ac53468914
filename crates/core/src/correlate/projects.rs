//! One engine per project.
//!
//! Production and staging are kept apart by giving each project its own
//! [`Engine`]: its own incidents, indexes, memory of alerts and changes, and
//! clock. No rule can then join a staging alert to a production incident,
//! whatever the two share (a service name, a namespace, a grouping key), and
//! a project's storm never delays another's timers. [`Engines`] answers as one
//! engine does: a signal goes to its project's engine (made on first use with
//! the shared settings and topology), an incident's operations go to the
//! engine that holds it.

use super::{overrides::Feedback, Decision, Effects, Engine, IncidentState, OverrideError};
use crate::analysis::Analysis;
use crate::incident::{CorrelationLink, IncidentStatus};
use crate::signal::Signal;
use crate::topology::Topology;
use crate::CorrelationConfig;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The project a signal without one belongs to.
pub const DEFAULT_PROJECT: &str = "default";

/// Every project's engine, and what a new one starts with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Engines {
    /// Project id → its engine.
    projects: BTreeMap<String, Engine>,
    /// The settings every engine decides with.
    #[serde(default)]
    config: CorrelationConfig,
    #[serde(skip)]
    topology: Option<Arc<Topology>>,
    /// What the last call changed when it went to several engines (time
    /// moving) or to none (an unknown incident); otherwise the effects are
    /// those of the engine it went to, read in place.
    #[serde(skip)]
    merged: Option<Effects>,
    /// The project the last call went to.
    #[serde(skip)]
    last: Option<String>,
}

/// What a call that changed nothing changed.
static NO_EFFECTS: Effects = Effects {
    adopted: Vec::new(),
    changed: Vec::new(),
    ledger: Vec::new(),
};

impl Engines {
    pub fn new(config: CorrelationConfig) -> Self {
        Engines {
            config,
            ..Default::default()
        }
    }

    /// Reads a saved state: this type's, or a single engine saved before
    /// projects had their own (it becomes the `default` project's).
    pub fn from_json(json: &str) -> serde_json::Result<Self> {
        // This type is written with `projects` first; an older state (a
        // single engine, which reads any object) never has that key. A
        // broken state of this type must fail, not read as an empty engine.
        if json.trim_start().starts_with("{\"projects\"") {
            return serde_json::from_str(json);
        }
        let one: Engine = serde_json::from_str(json)?;
        let mut all = Engines::new(one.config().clone());
        all.projects.insert(DEFAULT_PROJECT.to_string(), one);
        Ok(all)
    }

    /// Sets (or clears) the topology of every engine, now and to come.
    pub fn set_topology(&mut self, topology: Option<Arc<Topology>>) {
        for e in self.projects.values_mut() {
            e.set_topology(topology.clone());
        }
        self.topology = topology;
    }

    pub fn topology(&self) -> Option<&Topology> {
        self.topology.as_deref()
    }

    pub fn config(&self) -> &CorrelationConfig {
        &self.config
    }

    /// The settings `project` decides with (a project not seen yet starts
    /// with the shared ones).
    pub fn config_of(&self, project: &str) -> &CorrelationConfig {
        self.projects
            .get(project)
            .map_or(&self.config, Engine::config)
    }

    /// Replaces one project's settings for its decisions to come: each
    /// project has its own rules and windows.
    pub fn set_project_config(&mut self, project: &str, config: CorrelationConfig) {
        self.engine_mut(project).set_config(config);
    }

    /// Replaces every engine's settings, and those new projects start with.
    pub fn set_config(&mut self, config: CorrelationConfig) {
        for e in self.projects.values_mut() {
            e.set_config(config.clone());
        }
        self.config = config;
    }

    /// The projects that have an engine, in order.
    pub fn projects(&self) -> impl Iterator<Item = &str> {
        self.projects.keys().map(String::as_str)
    }

    /// Forgets a project's engine (the project was deleted).
    pub fn remove_project(&mut self, project: &str) -> bool {
        self.projects.remove(project).is_some()
    }

    fn engine_mut(&mut self, project: &str) -> &mut Engine {
        if !self.projects.contains_key(project) {
            let mut e = Engine::new(self.config.clone());
            e.set_topology(self.topology.clone());
            self.projects.insert(project.to_string(), e);
        }
        self.projects.get_mut(project).expect("inserted above")
    }

    /// The project whose engine holds incident `id`.
    pub fn holder(&self, id: &str) -> Option<&str> {
        self.projects
            .iter()
            .find(|(_, e)| e.incident(id).is_some())
            .map(|(p, _)| p.as_str())
    }

    fn holder_mut(&mut self, id: &str) -> Result<&mut Engine, OverrideError> {
        let p = self
            .holder(id)
            .ok_or_else(|| OverrideError::NoIncident(id.to_string()))?
            .to_string();
        self.last = Some(p.clone());
        Ok(self.engine_mut(&p))
    }

    /// Runs `f` on the engine of incident `id` and keeps what it changed.
    fn on_incident<T>(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut Engine) -> Result<T, OverrideError>,
    ) -> Result<T, OverrideError> {
        self.merged = Some(Effects::default());
        let e = self.holder_mut(id)?;
        let out = f(e);
        self.merged = None;
        out
    }

    pub fn incident(&self, id: &str) -> Option<&IncidentState> {
        self.projects.values().find_map(|e| e.incident(id))
    }

    /// Incidents every engine still holds, project by project.
    pub fn incidents(&self) -> impl Iterator<Item = &IncidentState> {
        self.projects.values().flat_map(Engine::incidents)
    }

    /// How many incidents are open in all projects.
    pub fn open_count(&self) -> usize {
        self.projects.values().map(Engine::open_count).sum()
    }

    /// What the last call changed beyond its own signal's link.
    pub fn effects(&self) -> &Effects {
        if let Some(m) = &self.merged {
            return m;
        }
        self.last
            .as_deref()
            .and_then(|p| self.projects.get(p))
            .map_or(&NO_EFFECTS, Engine::effects)
    }

    /// Every project's overrides, oldest first.
    pub fn feedback(&self) -> Vec<&Feedback> {
        let mut all: Vec<&Feedback> = self.projects.values().flat_map(|e| e.feedback()).collect();
        all.sort_by_key(|f| f.at());
        all
    }

    /// The override the last call recorded, if it was one.
    pub fn last_feedback(&self) -> Option<&Feedback> {
        let e = self.projects.get(self.last.as_deref()?)?;
        e.feedback().last()
    }

    /// [`Engine::observe_as`] in the signal's project.
    pub fn observe_as(&mut self, signal: &Signal, declared: bool) -> Decision {
        let project = project_of(signal);
        if self.last.as_deref() != Some(project) {
            self.last = Some(project.to_string());
        }
        self.merged = None;
        self.engine_mut(project).observe_as(signal, declared)
    }

    /// [`Engine::observe`] in the signal's project.
    pub fn observe(&mut self, signal: &Signal) -> Decision {
        self.observe_as(signal, false)
    }

    /// Moves every engine's clock to `now`; returns the incidents changed.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut effects = Effects::default();
        let mut changed = Vec::new();
        for e in self.projects.values_mut() {
            changed.extend(e.advance(now));
            let fx = e.effects();
            effects.adopted.extend(fx.adopted.iter().cloned());
            effects.changed.extend(fx.changed.iter().cloned());
            effects.ledger.extend(fx.ledger.iter().cloned());
        }
        self.merged = Some(effects);
        changed
    }

    /// When any engine next has time-driven work.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.projects.values().filter_map(Engine::next_due).min()
    }

    /// [`Engine::set_status`] in the engine holding `id`.
    pub fn set_status(&mut self, id: &str, status: IncidentStatus, at: DateTime<Utc>) -> bool {
        self.on_incident(id, |e| Ok(e.set_status(id, status, at)))
            .unwrap_or(false)
    }

    /// [`Engine::analyse`] with the memory of the signals' project.
    pub fn analyse(&self, signals: &[Signal]) -> Analysis {
        let project = signals.first().map_or(DEFAULT_PROJECT, project_of);
        match self.projects.get(project) {
            Some(e) => e.analyse(signals),
            None => {
                let mut e = Engine::new(self.config.clone());
                e.set_topology(self.topology.clone());
                e.analyse(signals)
            }
        }
    }

    /// [`Engine::move_signal`]: only within the signal's project.
    pub fn move_signal(
        &mut self,
        signal: &Signal,
        to: &str,
        at: DateTime<Utc>,
    ) -> Result<CorrelationLink, OverrideError> {
        self.same_project(project_of(signal), to)?;
        self.on_incident(to, |e| e.move_signal(signal, to, at))
    }

    /// [`Engine::merge`]: only two incidents of one project.
    pub fn merge(
        &mut self,
        from: &str,
        into: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OverrideError> {
        let p = self
            .holder(from)
            .ok_or_else(|| OverrideError::NoIncident(from.to_string()))?
            .to_string();
        self.same_project(&p, into)?;
        self.on_incident(from, |e| e.merge(from, into, at))
    }

    /// [`Engine::split`] in the engine holding `from`.
    pub fn split(
        &mut self,
        from: &str,
        signals: &[Signal],
        at: DateTime<Utc>,
    ) -> Result<(String, Vec<CorrelationLink>), OverrideError> {
        self.on_incident(from, |e| e.split(from, signals, at))
    }

    /// Refuses an operation that would cross from `project` into `id`'s.
    fn same_project(&self, project: &str, id: &str) -> Result<(), OverrideError> {
        match self.holder(id) {
            None => Err(OverrideError::NoIncident(id.to_string())),
            Some(p) if p == project => Ok(()),
            Some(p) => Err(OverrideError::Invalid(format!(
                "incident {id} is in project {p}, not {project}: projects never share incidents"
            ))),
        }
    }
}

fn project_of(s: &Signal) -> &str {
    if s.project.is_empty() {
        DEFAULT_PROJECT
    } else {
        &s.project
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{test_alert, Severity};
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    /// The same failing pod, seen by two projects' Prometheus.
    fn crash(project: &str, fp: &str, min: i64) -> Signal {
        let place = Some("pod/shop/cart-7d9f8b6c5-x2b4k");
        let mut s = test_alert(
            format!("{project}-{fp}"),
            fp,
            place,
            "KubePodCrashLooping",
            at(min),
        );
        s.project = project.into();
        s.severity = Severity::Critical;
        s
    }

    fn incident_of(d: Decision) -> String {
        match d {
            Decision::Attach { link, .. } => link.incident_id,
            Decision::Unassigned { reason } => panic!("unassigned: {reason}"),
        }
    }

    #[test]
    fn projects_never_share_an_incident() {
        let mut all = Engines::default();
        let prod = incident_of(all.observe(&crash("default", "a", 0)));
        // Same place, same alert name, a minute later: in one project this
        // joins; in another it is that project's own incident.
        let staging = incident_of(all.observe(&crash("staging", "b", 1)));
        assert_ne!(prod, staging);
        assert_eq!(all.holder(&staging), Some("staging"));
        assert_eq!(incident_of(all.observe(&crash("default", "c", 2))), prod);
        assert_eq!(incident_of(all.observe(&crash("staging", "d", 2))), staging);
        assert_eq!(all.open_count(), 2);
        assert_eq!(all.projects().collect::<Vec<_>>(), ["default", "staging"]);

        let err = all.merge(&staging, &prod, at(3)).unwrap_err();
        assert!(
            err.to_string().contains("projects never share incidents"),
            "{err}"
        );
        let moved = all.move_signal(&crash("staging", "d", 2), &prod, at(3));
        assert!(moved.is_err());
        assert!(all.remove_project("staging"));
        assert!(all.incident(&staging).is_none());
        assert!(all.incident(&prod).is_some());
    }

    #[test]
    fn a_single_engine_saved_before_projects_loads_as_default() {
        let mut one = Engine::default();
        let id = incident_of(one.observe(&crash("default", "a", 0)));
        let json = serde_json::to_string(&one).unwrap();
        let all = Engines::from_json(&json).unwrap();
        assert_eq!(all.projects().collect::<Vec<_>>(), ["default"]);
        assert!(all.incident(&id).is_some());
        // And its own saves read back as they were written.
        let again = Engines::from_json(&serde_json::to_string(&all).unwrap()).unwrap();
        assert!(again.incident(&id).is_some());
        assert!(Engines::from_json("{\"projects\": 3}").is_err());
        assert!(Engines::from_json("{\"projects\": {\"default\": 3}}").is_err());
    }

    #[test]
    fn each_project_decides_with_its_own_settings() {
        let mut all = Engines::default();
        let strict = CorrelationConfig {
            group_window_secs: 60,
            ..Default::default()
        };
        all.set_project_config("staging", strict.clone());
        assert_eq!(all.config_of("staging").group_window_secs, 60);
        assert_eq!(all.config_of("default"), &CorrelationConfig::default());
        // Two minutes apart: one incident in default, two in staging.
        let a = incident_of(all.observe(&crash("default", "a", 0)));
        assert_eq!(incident_of(all.observe(&crash("default", "b", 2))), a);
        let s = incident_of(all.observe(&crash("staging", "a", 0)));
        assert_ne!(incident_of(all.observe(&crash("staging", "b", 2))), s);
        // Saved and read back, each keeps its own.
        let again = Engines::from_json(&serde_json::to_string(&all).unwrap()).unwrap();
        assert_eq!(again.config_of("staging"), &strict);
    }

    #[test]
    fn time_moves_every_project_and_overrides_stay_in_theirs() {
        let mut all = Engines::default();
        let a = incident_of(all.observe(&crash("default", "a", 0)));
        let b = incident_of(all.observe(&crash("staging", "b", 0)));
        assert_eq!(incident_of(all.observe(&crash("default", "c", 1))), a);
        assert!(all.set_status(&b, IncidentStatus::Resolved, at(1)));
        assert_eq!(all.effects().ledger.len(), 1);
        assert_eq!(all.effects().ledger[0].incident_id, b);
        assert!(all.incident(&a).unwrap().status.is_open());
        let (split, _) = all
            .split(&a, &[crash("default", "a", 0)], at(2))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.holder(&split), Some("default"));
        assert!(matches!(all.last_feedback(), Some(Feedback::Split { .. })));
        assert!(all.next_due().is_some());
    }
}
