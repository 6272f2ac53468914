//! inbox → normalize → correlate → store.
//!
//! A webhook is answered only after its raw body is committed to the inbox;
//! processing happens afterwards on the writer thread, one inbox row per
//! transaction that also saves the engine's state, so a crash anywhere loses
//! nothing and never leaves decisions and state apart. A payload that cannot
//! be normalized goes to dead letters with its exact bytes.

use crate::error::ApiError;
use crate::metrics::label;
use crate::views::{ChangeEvent, IncidentSummary, Replayed};
use crate::App;
use causeway_connectors::{normalize_bytes, normalizer, parse_json, Context};
use causeway_core::analysis::analyse;
use causeway_core::{Decision, Engine, IncidentStatus};
use causeway_store::{
    dead_letters, engine_state, inbox, incidents, instances, links, parse_ts, signals, ts,
    Connection,
};
use chrono::Utc;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// A webhook body taken in: how many items it carries, and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub accepted: usize,
    pub inbox_id: i64,
}

/// Why a webhook body was refused. Each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookRejection {
    /// No enabled instance of that connector in that project (404).
    NoInstance { connector: String, project: String },
    /// The body is not JSON; its bytes are in dead letter `dead_letter` (400).
    NotJson { error: String, dead_letter: i64 },
    /// The sender declared a media type that is not JSON; the bytes are kept
    /// in dead letter `dead_letter` all the same (415).
    NotJsonMediaType {
        content_type: String,
        dead_letter: i64,
    },
    /// The store failed (500).
    Storage(String),
}

/// What one processed inbox row changed, for the change events.
struct Processed {
    incidents: BTreeSet<String>,
    dead_lettered: bool,
}

impl App {
    /// Takes a webhook body: refuses it if no instance takes it or it is not
    /// JSON (keeping its bytes as a dead letter), else commits it to the inbox
    /// and wakes the processor. Returns only after the commit.
    pub async fn accept_webhook(
        &self,
        connector: &str,
        project: &str,
        headers: BTreeMap<String, String>,
        body: Vec<u8>,
    ) -> Result<Accepted, WebhookRejection> {
        let storage = |e: causeway_store::StoreError| WebhookRejection::Storage(e.to_string());
        let (c, p) = (connector.to_string(), project.to_string());
        let instance = self
            .store
            .read(move |conn| instances::enabled_for(conn, &c, &p))
            .await
            .map_err(storage)?
            .ok_or_else(|| WebhookRejection::NoInstance {
                connector: connector.into(),
                project: project.into(),
            })?;
        let now = ts(Utc::now());
        let declared = headers
            .get("content-type")
            .filter(|ct| !ct.to_ascii_lowercase().contains("json"))
            .cloned();
        let parsed = parse_json(&body);
        let refused = match (&declared, &parsed) {
            (Some(ct), _) => Some(format!("content type '{ct}' is not JSON")),
            (None, Err(e)) => Some(e.to_string()),
            (None, Ok(_)) => None,
        };
        if let Some(error) = refused {
            let dead_letter = self
                .dead_letter_raw(&instance, &now, &error, headers, body)
                .await
                .map_err(storage)?;
            self.metrics.add(
                "causeway_events_dead_lettered_total",
                &label("connector", connector),
                1,
            );
            self.emit(ChangeEvent::DeadLettersChanged);
            return Err(match declared {
                Some(content_type) => WebhookRejection::NotJsonMediaType {
                    content_type,
                    dead_letter,
                },
                None => WebhookRejection::NotJson { error, dead_letter },
            });
        }
        let headers = serde_json::to_string(&headers).unwrap_or_else(|_| "{}".into());
        let value = parsed.unwrap_or_default();
        let accepted = normalizer(connector).map_or(0, |n| n.item_count(&value));
        let inbox_id = self
            .store
            .write(move |conn| {
                inbox::insert(
                    conn,
                    &instance.id,
                    &instance.descriptor_id,
                    &instance.project_id,
                    &now,
                    &headers,
                    &body,
                )
            })
            .await
            .map_err(storage)?;
        self.metrics.add(
            "causeway_events_received_total",
            &label("connector", connector),
            1,
        );
        self.wake.notify_one();
        Ok(Accepted { accepted, inbox_id })
    }

    /// Keeps a refused body's exact bytes as a dead letter.
    async fn dead_letter_raw(
        &self,
        instance: &instances::Instance,
        now: &str,
        error: &str,
        headers: BTreeMap<String, String>,
        body: Vec<u8>,
    ) -> causeway_store::Result<i64> {
        let headers = serde_json::to_string(&headers).unwrap_or_else(|_| "{}".into());
        let (inst, now, error) = (instance.clone(), now.to_string(), error.to_string());
        self.store
            .write(move |conn| {
                let id = dead_letters::insert(
                    conn,
                    &dead_letters::NewDeadLetter {
                        instance_id: Some(&inst.id),
                        connector_id: &inst.descriptor_id,
                        project_id: &inst.project_id,
                        received_at: &now,
                        error: &error,
                        headers: &headers,
                        raw: &body,
                        inbox_id: None,
                    },
                )?;
                instances::count_item(conn, &inst.id, true, &now)?;
                Ok(id)
            })
            .await
    }

    /// Processes every pending inbox row, one transaction each.
    pub async fn drain(&self) {
        loop {
            let engine = self.engine.clone();
            let metrics = self.metrics.clone();
            match self
                .store
                .write(move |conn| process_next(conn, &engine, &metrics))
                .await
            {
                Ok(Some(p)) => {
                    if p.dead_lettered {
                        self.emit(ChangeEvent::DeadLettersChanged);
                    }
                    if !p.incidents.is_empty() {
                        self.emit(ChangeEvent::IncidentsChanged {
                            ids: p.incidents.into_iter().collect(),
                        });
                    }
                    self.emit(ChangeEvent::SignalsChanged);
                }
                Ok(None) => return,
                Err(e) => {
                    tracing::error!(error = %e, "inbox processing failed; will retry on the next payload");
                    return;
                }
            }
        }
    }

    /// Puts a dead letter's exact bytes back into the inbox for another try.
    pub async fn replay_dead_letter(&self, id: i64) -> Result<Replayed, ApiError> {
        let inbox_id = self
            .store
            .write(move |conn| {
                let tx = conn.transaction()?;
                let d = dead_letters::get(&tx, id)?.ok_or_else(|| {
                    causeway_store::StoreError::Invalid(format!("no dead letter {id}"))
                })?;
                let instance = d.instance_id.clone().ok_or_else(|| {
                    causeway_store::StoreError::Invalid(format!(
                        "dead letter {id} came through no connector instance to re-play through"
                    ))
                })?;
                let now = ts(Utc::now());
                let inbox_id = inbox::insert(
                    &tx,
                    &instance,
                    &d.connector_id,
                    &d.project_id,
                    &now,
                    &d.headers,
                    &d.raw,
                )?;
                dead_letters::mark_replayed(&tx, id, &now)?;
                tx.commit()?;
                Ok(inbox_id)
            })
            .await
            .map_err(|e| match e {
                causeway_store::StoreError::Invalid(m) => ApiError::not_found(m),
                other => other.into(),
            })?;
        self.wake.notify_one();
        self.emit(ChangeEvent::DeadLettersChanged);
        Ok(Replayed { inbox_id })
    }

    /// A person sets an incident's status; the engine keeps it.
    pub async fn set_incident_status(
        &self,
        id: String,
        status: IncidentStatus,
    ) -> Result<IncidentSummary, ApiError> {
        let engine = self.engine.clone();
        let key = id.clone();
        let found = self
            .store
            .write(move |conn| {
                let tx = conn.transaction()?;
                let Some(mut row) = incidents::get(&tx, &key)? else {
                    return Ok(None);
                };
                let now = Utc::now();
                let mut e = engine.lock().map_err(|_| poisoned())?;
                let mut next = e.clone();
                next.set_status(&key, status, now);
                row.status = status;
                row.updated_at = now;
                row.resolved_at = (status == IncidentStatus::Resolved).then_some(now);
                incidents::upsert(&tx, &row)?;
                engine_state::save(&tx, &serde_json::to_string(&next)?)?;
                tx.commit()?;
                *e = next;
                Ok(Some(row))
            })
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no incident {id}")))?;
        self.emit(ChangeEvent::IncidentsChanged { ids: vec![id] });
        Ok(crate::queries::summary(found))
    }
}

fn poisoned() -> causeway_store::StoreError {
    causeway_store::StoreError::Invalid("the correlation engine lock is poisoned".into())
}

/// Normalizes and correlates the oldest pending inbox row, in one transaction.
fn process_next(
    conn: &mut Connection,
    engine: &Arc<Mutex<Engine>>,
    metrics: &crate::metrics::Metrics,
) -> causeway_store::Result<Option<Processed>> {
    let tx = conn.transaction()?;
    // Links are written as decisions are made, their incident rows once per
    // payload at the end; foreign keys are checked at commit.
    tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    let Some(item) = inbox::next_pending(&tx)? else {
        return Ok(None);
    };
    let now = ts(Utc::now());
    let connector = label("connector", &item.connector_id);
    let raw_ref = format!("inbox:{}", item.id);
    let headers = serde_json::from_str(&item.headers)
        .map(|v| causeway_connectors::headers_from_json(&v))
        .unwrap_or_default();
    let ctx = Context {
        project: &item.project_id,
        instance: &item.instance_id,
        received_at: parse_ts(&item.received_at)?,
        raw_ref: &raw_ref,
        headers: &headers,
    };
    let mut guard = engine.lock().map_err(|_| poisoned())?;
    let mut next = guard.clone();
    let mut touched = BTreeSet::new();
    let dead_lettered = match normalize_bytes(&item.connector_id, &item.body, &ctx) {
        Err(e) => {
            dead_letters::insert(
                &tx,
                &dead_letters::NewDeadLetter {
                    instance_id: Some(&item.instance_id),
                    connector_id: &item.connector_id,
                    project_id: &item.project_id,
                    received_at: &item.received_at,
                    error: &e.to_string(),
                    headers: &item.headers,
                    raw: &item.body,
                    inbox_id: Some(item.id),
                },
            )?;
            inbox::mark_processed(&tx, item.id, &now, "dead_letter")?;
            instances::count_item(&tx, &item.instance_id, true, &now)?;
            metrics.add("causeway_events_dead_lettered_total", &connector, 1);
            tracing::warn!(inbox_id = item.id, connector = %item.connector_id, error = %e, "payload dead-lettered");
            true
        }
        Ok(batch) => {
            for s in &batch {
                signals::upsert(&tx, s)?;
                match next.observe(s) {
                    Decision::Attach { link, opened, .. } => {
                        links::insert_if_absent(&tx, &link)?;
                        signals::set_unassigned(&tx, &s.id, None)?;
                        metrics.add(
                            "causeway_correlation_decisions_total",
                            &label("strategy", link.strategy.as_str()),
                            1,
                        );
                        if opened {
                            metrics.add("causeway_incidents_created_total", "", 1);
                        }
                        touched.insert(link.incident_id);
                    }
                    Decision::Unassigned { reason } => {
                        if !links::is_linked(&tx, &s.id)? {
                            signals::set_unassigned(&tx, &s.id, Some(&reason))?;
                        }
                        metrics.add(
                            "causeway_correlation_decisions_total",
                            &label("strategy", "unassigned"),
                            1,
                        );
                    }
                }
            }
            for id in &touched {
                write_incident(&tx, &next, id, &item.project_id)?;
            }
            inbox::mark_processed(&tx, item.id, &now, "normalized")?;
            instances::count_item(&tx, &item.instance_id, false, &now)?;
            metrics.add("causeway_events_normalized_total", &connector, 1);
            metrics.add("causeway_signals_total", &connector, batch.len() as u64);
            false
        }
    };
    engine_state::save(&tx, &serde_json::to_string(&next)?)?;
    tx.commit()?;
    *guard = next;
    Ok(Some(Processed {
        incidents: touched,
        dead_lettered,
    }))
}

/// Writes an incident from the engine's state plus the analysis of its signals.
fn write_incident(
    conn: &Connection,
    engine: &Engine,
    id: &str,
    project: &str,
) -> causeway_store::Result<()> {
    let Some(state) = engine.incident(id) else {
        return Ok(());
    };
    let members: Vec<_> = signals::for_incident(conn, id)?
        .into_iter()
        .map(|s| s.signal)
        .collect();
    let analysis = analyse(&members);
    incidents::upsert(
        conn,
        &incidents::IncidentRow {
            id: id.to_string(),
            project_id: project.to_string(),
            title: state.title.clone(),
            severity: state.severity,
            status: state.status,
            pattern: None,
            group_key: state.group_key.clone(),
            root_cause: analysis.root_cause,
            signal_count: members.len() as i64,
            opened_at: state.opened_at,
            updated_at: state.last_at,
            resolved_at: state.resolved_at,
        },
    )
}
