//! People stay in charge: move a signal, merge two incidents, split signals
//! off into a new one. Each override goes through the engine (so later
//! decisions respect it: a moved alert's repeats follow it, split-off alerts
//! stay apart), is recorded as feedback and in the incidents' ledgers, and
//! is stored in one transaction with the engine's state.

use crate::api::error::{ApiError, Code};
use crate::api::views::{ChangeEvent, LedgerView};
use crate::pipeline::process::{write_incident, write_incident_state};
use crate::App;
use causeway_core::{Engines, Feedback, OverrideError, Signal};
use causeway_store::{
    feedback, incident_ledger, incidents, links, signals, StoreError, Transaction,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// What an override changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OverrideResult {
    /// The incidents it changed (a split's new incident included).
    pub incidents: Vec<String>,
    /// The incident the signals are in now.
    pub incident_id: String,
}

/// Every override people made, oldest first (`ListFeedback`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackList {
    pub feedback: Vec<Feedback>,
}

fn refused(e: OverrideError) -> StoreError {
    StoreError::Invalid(e.to_string())
}

fn signal(tx: &Transaction<'_>, id: &str) -> causeway_store::Result<Signal> {
    signals::get(tx, id)?
        .map(|s| s.signal)
        .ok_or_else(|| StoreError::Invalid(format!("no signal {id}")))
}

fn exists(tx: &Transaction<'_>, id: &str) -> causeway_store::Result<String> {
    incidents::get(tx, id)?
        .map(|r| r.project_id)
        .ok_or_else(|| StoreError::Invalid(format!("no incident {id}")))
}

/// Stores an override's effects: ledger, feedback, touched incidents.
fn store(
    tx: &Transaction<'_>,
    next: &Engines,
    project: &str,
    mut touched: BTreeMap<String, String>,
) -> causeway_store::Result<Vec<String>> {
    for id in &next.effects().changed {
        touched
            .entry(id.clone())
            .or_insert_with(|| project.to_string());
    }
    // Rows first (their state: the analysis comes last, once): the ledger
    // and links point at them.
    for (id, p) in &touched {
        write_incident_state(tx, next, id, p)?;
    }
    crate::pipeline::effects::store(tx, next, project, &mut touched, &mut Default::default())?;
    if let Some(f) = next.last_feedback() {
        feedback::insert(tx, f)?;
    }
    for (id, p) in &touched {
        write_incident(tx, next, id, p)?;
    }
    Ok(touched.into_keys().collect())
}

/// An answer that came back from the team log, as its type.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::new(Code::Internal, e.to_string()))
}

/// A refused override is the caller's mistake, not a storage failure.
fn api_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(m) if m.starts_with("no ") => ApiError::not_found(m),
        StoreError::Invalid(m) => ApiError::bad_request(m),
        other => other.into(),
    }
}

impl App {
    /// Runs `f` on the live engine in one transaction that also saves the
    /// engine's state ([`App::with_engine`]): a person's change cannot be
    /// redone from the inbox after a crash. A refusal changes nothing.
    async fn override_with<F>(&self, f: F) -> Result<OverrideResult, ApiError>
    where
        F: FnOnce(&Transaction<'_>, &mut Engines) -> causeway_store::Result<(String, Vec<String>)>
            + Send
            + 'static,
    {
        let result = self
            .with_engine(move |tx, engine| {
                Ok(match f(tx, engine) {
                    Ok((incident_id, incidents)) => Ok(OverrideResult {
                        incidents,
                        incident_id,
                    }),
                    Err(StoreError::Invalid(m)) => Err(api_error(StoreError::Invalid(m))),
                    Err(other) => return Err(other),
                })
            })
            .await??;
        self.emit(ChangeEvent::IncidentsChanged {
            ids: result.incidents.clone(),
        });
        self.emit(ChangeEvent::SignalsChanged);
        Ok(result)
    }

    /// Moves a signal (its alert: later repeats and resolves follow) into
    /// incident `to`. In a team the move goes on the team log and applies
    /// on every member alike.
    pub async fn move_signal(
        &self,
        signal_id: String,
        to: String,
    ) -> Result<OverrideResult, ApiError> {
        if self.in_team() {
            let d = crate::incidents::decision::Decision::Move { signal_id, to };
            return from_json(self.decide(d).await?);
        }
        self.move_signal_at(signal_id, to, Utc::now()).await
    }

    /// [`App::move_signal`] here only, decided at `at`.
    pub(crate) async fn move_signal_at(
        &self,
        signal_id: String,
        to: String,
        at: DateTime<Utc>,
    ) -> Result<OverrideResult, ApiError> {
        self.override_with(move |tx, next| {
            let project = exists(tx, &to)?;
            let s = signal(tx, &signal_id)?;
            let link = next.move_signal(&s, &to, at).map_err(refused)?;
            links::relink(tx, &link)?;
            signals::set_unassigned(tx, &s.id, None)?;
            let touched = BTreeMap::from([(to.clone(), project.clone())]);
            Ok((to.clone(), store(tx, next, &project, touched)?))
        })
        .await
    }

    /// Merges incident `from` into `into`: its signals, places and ledger
    /// move; `from` is closed and points to `into`.
    pub async fn merge_incidents(
        &self,
        from: String,
        into: String,
    ) -> Result<OverrideResult, ApiError> {
        if self.in_team() {
            let d = crate::incidents::decision::Decision::Merge { from, into };
            return from_json(self.decide(d).await?);
        }
        self.merge_incidents_at(from, into, Utc::now()).await
    }

    /// [`App::merge_incidents`] here only, decided at `at`.
    pub(crate) async fn merge_incidents_at(
        &self,
        from: String,
        into: String,
        at: DateTime<Utc>,
    ) -> Result<OverrideResult, ApiError> {
        self.override_with(move |tx, next| {
            let project = exists(tx, &into)?;
            exists(tx, &from)?;
            next.merge(&from, &into, at).map_err(refused)?;
            links::reassign(tx, &from, &into)?;
            let touched = BTreeMap::from([
                (from.clone(), project.clone()),
                (into.clone(), project.clone()),
            ]);
            Ok((into.clone(), store(tx, next, &project, touched)?))
        })
        .await
    }

    /// Splits `signal_ids` (their alerts) off incident `id` into a new one.
    pub async fn split_incident(
        &self,
        id: String,
        signal_ids: Vec<String>,
    ) -> Result<OverrideResult, ApiError> {
        if self.in_team() {
            let d = crate::incidents::decision::Decision::Split { id, signal_ids };
            return from_json(self.decide(d).await?);
        }
        self.split_incident_at(id, signal_ids, Utc::now()).await
    }

    /// [`App::split_incident`] here only, decided at `at`.
    pub(crate) async fn split_incident_at(
        &self,
        id: String,
        signal_ids: Vec<String>,
        at: DateTime<Utc>,
    ) -> Result<OverrideResult, ApiError> {
        self.override_with(move |tx, next| {
            let project = exists(tx, &id)?;
            let sigs = signal_ids
                .iter()
                .map(|s| signal(tx, s))
                .collect::<causeway_store::Result<Vec<_>>>()?;
            let (new_id, new_links) = next.split(&id, &sigs, at).map_err(refused)?;
            let touched = BTreeMap::from([
                (id.clone(), project.clone()),
                (new_id.clone(), project.clone()),
            ]);
            // The new incident's row before the links that point at it.
            write_incident_state(tx, next, &new_id, &project)?;
            for l in &new_links {
                links::relink(tx, l)?;
            }
            Ok((new_id, store(tx, next, &project, touched)?))
        })
        .await
    }

    /// The decision ledger of one incident, oldest first.
    pub async fn ledger(&self, id: String) -> Result<LedgerView, ApiError> {
        let key = id.clone();
        let (row, entries) = self
            .store
            .read(move |c| {
                Ok((
                    incidents::get(c, &key)?,
                    incident_ledger::for_incident(c, &key)?,
                ))
            })
            .await?;
        row.ok_or_else(|| ApiError::not_found(format!("no incident {id}")))?;
        Ok(LedgerView {
            incident_id: id,
            entries,
        })
    }

    /// Every override people made, oldest first.
    pub async fn list_feedback(&self) -> Result<FeedbackList, ApiError> {
        let feedback = self.store.read(feedback::list).await?;
        Ok(FeedbackList { feedback })
    }
}

#[cfg(test)]
#[path = "overrides_tests.rs"]
mod tests;
