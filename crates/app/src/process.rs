//! The processing half of the pipeline: one inbox row → normalize → correlate
//! → store, in one transaction together with the engine's state.

use crate::metrics::{label, Metrics};
use causeway_connectors::{normalize_bytes, normalizer, Context};
use causeway_core::{Decision, Engine};
use causeway_store::inbox::InboxItem;
use causeway_store::{
    dead_letters, engine_state, inbox, incidents, instances, links, parse_ts, signals, ts,
    Connection, StoreError, Transaction,
};
use chrono::Utc;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What processed inbox rows changed.
#[derive(Default)]
pub(crate) struct Processed {
    /// Incident → its project.
    pub incidents: BTreeMap<String, String>,
    pub dead_lettered: bool,
    /// Each signal with the incident it went to, in payload order.
    pub placed: Vec<(String, Option<String>)>,
    /// The normalization error, when the row was dead-lettered.
    pub error: Option<String>,
}

pub(crate) fn poisoned() -> StoreError {
    StoreError::Invalid("the correlation engine lock is poisoned".into())
}

/// Pending inbox rows taken per transaction: enough to amortize the commit
/// and the engine-state write over a storm, small enough that the UI hears
/// about new incidents within a fraction of a second.
const BATCH: i64 = 256;

/// Normalizes and correlates up to [`BATCH`] pending inbox rows, oldest
/// first, in one transaction together with the engine's state.
pub(crate) fn process_next(
    conn: &mut Connection,
    engine: &Arc<Mutex<Engine>>,
    metrics: &Metrics,
) -> causeway_store::Result<Option<Processed>> {
    let tx = begin(conn)?;
    let items = inbox::pending(&tx, BATCH)?;
    if items.is_empty() {
        return Ok(None);
    }
    let mut guard = engine.lock().map_err(|_| poisoned())?;
    let mut next = guard.clone();
    let mut all = Processed::default();
    for item in &items {
        let p = process_item(&tx, item, &mut next, metrics)?;
        all.incidents.extend(p.incidents);
        all.dead_lettered |= p.dead_lettered;
        all.placed.extend(p.placed);
    }
    finish(&tx, &next, &all.incidents)?;
    tx.commit()?;
    *guard = next;
    Ok(Some(all))
}

/// Writes the incidents a batch touched (once each, however many of its
/// signals joined) and the engine's state, inside the batch's transaction.
pub(crate) fn finish(
    tx: &Transaction<'_>,
    next: &Engine,
    touched: &BTreeMap<String, String>,
) -> causeway_store::Result<()> {
    for (id, project) in touched {
        write_incident(tx, next, id, project)?;
    }
    engine_state::save(tx, &serde_json::to_string(next)?)
}

/// A write transaction for processing: links are written as decisions are
/// made and their incident rows at the end, so foreign keys are checked at
/// commit.
pub(crate) fn begin(conn: &mut Connection) -> causeway_store::Result<Transaction<'_>> {
    let tx = conn.transaction()?;
    tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    Ok(tx)
}

/// Processes `item` inside `tx` with the engine `next`; the caller then
/// writes the touched incidents and the engine's state ([`finish`]).
pub(crate) fn process_item(
    tx: &Transaction<'_>,
    item: &InboxItem,
    next: &mut Engine,
    metrics: &Metrics,
) -> causeway_store::Result<Processed> {
    // Declared incidents (the ingest API) open one when nothing claims them.
    let declared = normalizer(&item.connector_id).is_some_and(|n| n.declares_incidents());
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
    let mut out = Processed::default();
    match normalize_bytes(&item.connector_id, &item.body, &ctx) {
        Err(e) => {
            dead_letters::insert(
                tx,
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
            inbox::mark_processed(tx, item.id, &now, "dead_letter")?;
            instances::count_item(tx, &item.instance_id, true, &now)?;
            metrics.add("causeway_events_dead_lettered_total", &connector, 1);
            tracing::warn!(inbox_id = item.id, connector = %item.connector_id, error = %e, "payload dead-lettered");
            out.dead_lettered = true;
            out.error = Some(e.to_string());
        }
        Ok(batch) => {
            for s in &batch {
                signals::upsert(tx, s)?;
                let decision = if declared {
                    next.observe_declared(s)
                } else {
                    next.observe(s)
                };
                match decision {
                    Decision::Attach { link, opened, .. } => {
                        links::insert_if_absent(tx, &link)?;
                        signals::set_unassigned(tx, &s.id, None)?;
                        metrics.add(
                            "causeway_correlation_decisions_total",
                            &label("strategy", link.strategy.as_str()),
                            1,
                        );
                        if opened {
                            metrics.add("causeway_incidents_created_total", "", 1);
                        }
                        out.placed
                            .push((s.id.clone(), Some(link.incident_id.clone())));
                        out.incidents
                            .insert(link.incident_id, item.project_id.clone());
                    }
                    Decision::Unassigned { reason } => {
                        if !links::is_linked(tx, &s.id)? {
                            signals::set_unassigned(tx, &s.id, Some(&reason))?;
                        }
                        metrics.add(
                            "causeway_correlation_decisions_total",
                            &label("strategy", "unassigned"),
                            1,
                        );
                        out.placed.push((s.id.clone(), None));
                    }
                }
                crate::effects::store(tx, next, &item.project_id, &mut out.incidents)?;
            }
            inbox::mark_processed(tx, item.id, &now, "normalized")?;
            instances::count_item(tx, &item.instance_id, false, &now)?;
            metrics.add("causeway_events_normalized_total", &connector, 1);
            metrics.add("causeway_signals_total", &connector, batch.len() as u64);
        }
    }
    Ok(out)
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
    let analysis = engine.analyse(&members);
    incidents::upsert(
        conn,
        &incidents::IncidentRow {
            id: id.to_string(),
            project_id: project.to_string(),
            title: state.title.clone(),
            severity: state.severity,
            status: state.status,
            pattern: analysis.pattern,
            group_key: state.group_key.clone(),
            root_cause: analysis.root_cause,
            signal_count: members.len() as i64,
            opened_at: state.opened_at,
            updated_at: state.last_at,
            resolved_at: state.resolved_at,
        },
    )
}
