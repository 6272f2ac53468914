//! Back-testing: replay the stored history (every payload the inbox took
//! in, normalized again, in arrival order) through an engine with the
//! current settings and one with the proposed settings, and show what would
//! change — incidents created, merged, split — before applying them.

use crate::api::error::{ApiError, Code};
use crate::pipeline::process::poisoned;
use crate::App;
use causeway_connectors::normalizer;
use causeway_core::{CorrelationConfig, Decision, Engines, Signal, Topology};
use causeway_store::{inbox, settings};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use ts_rs::TS;

/// How many inbox rows are read per query.
const PAGE: i64 = 2000;

/// One side of a back-test.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BacktestSide {
    pub incidents: usize,
    pub unassigned: usize,
}

/// An incident of one side, by the signals it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BacktestIncident {
    pub id: String,
    pub title: String,
    pub signals: usize,
}

/// What the proposed settings would do differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BacktestChange {
    /// `created` (its signals were in no incident), `merged` (it takes the
    /// signals of several current incidents), `split` (a current incident's
    /// signals would go to several), `dropped` (a current incident's signals
    /// would all wait unassigned).
    pub kind: String,
    /// The incidents as they are now.
    pub current: Vec<BacktestIncident>,
    /// The incidents the proposed settings would make of the same signals.
    pub proposed: Vec<BacktestIncident>,
}

/// The back-test's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BacktestReport {
    pub signals: usize,
    pub current: BacktestSide,
    pub proposed: BacktestSide,
    pub changes: Vec<BacktestChange>,
}

/// One replayed partition: incident → its signal ids, and the titles.
#[derive(Default)]
struct Partition {
    members: BTreeMap<String, BTreeSet<String>>,
    titles: BTreeMap<String, String>,
    unassigned: BTreeSet<String>,
    /// Every signal in some incident (what `members` holds, by signal).
    placed: BTreeSet<String>,
}

fn run(
    history: &[(Signal, bool)],
    config: CorrelationConfig,
    topology: Option<Arc<Topology>>,
) -> Partition {
    let mut engine = Engines::new(config);
    engine.set_topology(topology);
    let mut p = Partition::default();
    let place = |p: &mut Partition, inc: &str, sig: &str| {
        p.unassigned.remove(sig);
        p.placed.insert(sig.to_string());
        p.members
            .entry(inc.to_string())
            .or_default()
            .insert(sig.to_string());
    };
    for (s, declared) in history {
        let d = engine.observe_as(s, *declared);
        match d {
            Decision::Attach { link, incident, .. } => {
                p.titles
                    .entry(link.incident_id.clone())
                    .or_insert(incident.title.clone());
                place(&mut p, &link.incident_id, &s.id);
            }
            Decision::Unassigned { .. } => {
                if !p.placed.contains(&s.id) {
                    p.unassigned.insert(s.id.clone());
                }
            }
        }
        for l in &engine.effects().adopted {
            place(&mut p, &l.incident_id, &l.signal_id);
        }
    }
    p
}

/// Compares the two partitions of the same signals.
pub fn compare(
    history: &[(Signal, bool)],
    topology: Option<Arc<Topology>>,
    current: CorrelationConfig,
    proposed: CorrelationConfig,
) -> BacktestReport {
    let a = run(history, current, topology.clone());
    let b = run(history, proposed, topology);
    let signals: BTreeSet<&str> = history.iter().map(|(s, _)| s.id.as_str()).collect();
    let owner = |p: &Partition| -> BTreeMap<String, String> {
        p.members
            .iter()
            .flat_map(|(i, m)| m.iter().map(move |s| (s.clone(), i.clone())))
            .collect()
    };
    let (oa, ob) = (owner(&a), owner(&b));
    let view = |p: &Partition, id: &str| BacktestIncident {
        id: id.to_string(),
        title: p.titles.get(id).cloned().unwrap_or_default(),
        signals: p.members.get(id).map_or(0, BTreeSet::len),
    };
    let mut changes = Vec::new();
    for (id, members) in &b.members {
        let from: BTreeSet<&String> = members.iter().filter_map(|s| oa.get(s)).collect();
        let kind = match from.len() {
            0 => "created",
            1 => continue,
            _ => "merged",
        };
        changes.push(BacktestChange {
            kind: kind.into(),
            current: from.iter().map(|i| view(&a, i)).collect(),
            proposed: vec![view(&b, id)],
        });
    }
    for (id, members) in &a.members {
        let to: BTreeSet<&String> = members.iter().filter_map(|s| ob.get(s)).collect();
        let kind = match to.len() {
            0 => "dropped",
            1 => continue,
            _ => "split",
        };
        changes.push(BacktestChange {
            kind: kind.into(),
            current: vec![view(&a, id)],
            proposed: to.iter().map(|i| view(&b, i)).collect(),
        });
    }
    BacktestReport {
        signals: signals.len(),
        current: BacktestSide {
            incidents: a.members.len(),
            unassigned: a.unassigned.len(),
        },
        proposed: BacktestSide {
            incidents: b.members.len(),
            unassigned: b.unassigned.len(),
        },
        changes,
    }
}

/// Every payload `project` stored, normalized again, in arrival order, with
/// whether its source declares incidents.
fn history(
    conn: &causeway_store::Connection,
    project: &str,
) -> causeway_store::Result<Vec<(Signal, bool)>> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let rows = inbox::normalized(conn, after, PAGE)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for item in rows.iter().filter(|i| i.project_id == project) {
            let declared = normalizer(&item.connector_id).is_some_and(|n| n.declares_incidents());
            // A row that normalized once normalizes again; if a descriptor
            // changed since, it is left out rather than guessed.
            if let Ok(batch) = crate::pipeline::process::normalize_item(item)? {
                out.extend(batch.into_iter().map(|s| (s, declared)));
            }
        }
    }
    Ok(out)
}

impl App {
    /// The correlation settings `project` decides with.
    pub fn correlation_settings(&self, project: &str) -> Result<CorrelationConfig, ApiError> {
        let engine = self.engine.lock().map_err(|_| poisoned())?;
        Ok(engine.config_of(project).clone())
    }

    /// What `proposed` would change over `project`'s stored history,
    /// without applying it.
    pub async fn backtest(
        &self,
        proposed: CorrelationConfig,
        project: String,
    ) -> Result<BacktestReport, ApiError> {
        let current = self.correlation_settings(&project)?;
        let topology = self.topology.read().ok().and_then(|t| t.clone());
        let history = self.store.read(move |c| history(c, &project)).await?;
        tokio::task::spawn_blocking(move || compare(&history, topology, current, proposed))
            .await
            .map_err(|e| ApiError::new(Code::Internal, e.to_string()))
    }

    /// Applies settings for `project`'s decisions to come (back-test them
    /// first), and records them.
    pub async fn apply_settings(
        &self,
        config: CorrelationConfig,
        project: String,
    ) -> Result<CorrelationConfig, ApiError> {
        if self.in_team() {
            let d = crate::incidents::decision::Decision::Settings {
                config: Box::new(config),
                project,
            };
            return crate::incidents::overrides::from_json(self.decide(d).await?);
        }
        self.apply_settings_at(config, project, Utc::now()).await
    }

    /// [`App::apply_settings`] here only, applied at `at`.
    pub(crate) async fn apply_settings_at(
        &self,
        config: CorrelationConfig,
        project: String,
        at: chrono::DateTime<Utc>,
    ) -> Result<CorrelationConfig, ApiError> {
        let json =
            serde_json::to_string(&config).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let applied = config.clone();
        self.with_engine(move |tx, engine| {
            engine.set_project_config(&project, config);
            settings::insert(tx, at, &project, &json)
        })
        .await?;
        Ok(applied)
    }
}

#[cfg(test)]
#[path = "backtest_tests.rs"]
mod tests;
