//! The processing half of the pipeline: inbox rows → normalize → correlate
//! → store, a batch per transaction.
//!
//! Decisions (signals, links, incident rows) are written in the batch's
//! transaction; the engine's own state is saved every few seconds by the
//! [`Keeper`], which can bring the engine back in step after a crash.
//! Working out an incident's pattern and root cause reads all its signals,
//! so in a storm it is redone at most once a second per incident, and once
//! more when the inbox runs dry.

use crate::keeper::{recover, Keeper, ANALYSE_EVERY};
use crate::metrics::{label, Metrics};
use causeway_connectors::{normalize_bytes, normalizer, Context, NormalizeError};
use causeway_core::{Decision, Engine, Signal, Topology};
use causeway_store::inbox::InboxItem;
use causeway_store::{
    dead_letters, inbox, incidents, instances, links, parse_ts, signals, ts, Connection, Store,
    StoreError, Transaction,
};
use chrono::Utc;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What processed inbox rows changed.
#[derive(Default)]
pub(crate) struct Processed {
    /// Incident → its project.
    pub incidents: BTreeMap<String, String>,
    /// Each signal with the incident it went to, in payload order.
    pub placed: Vec<(String, Option<String>)>,
    /// The normalization error, when the row was dead-lettered (of the
    /// first such row, for a batch).
    pub error: Option<String>,
}

pub(crate) fn poisoned() -> StoreError {
    StoreError::Invalid("the correlation engine lock is poisoned".into())
}

/// Pending inbox rows taken per transaction: enough to amortize the commit
/// over a storm, small enough that a webhook's commit (which the writer
/// takes first) never waits long behind one, and that the UI hears about
/// new incidents within a fraction of a second.
const BATCH: usize = 256;
/// Inbox rows read at a time within a batch.
const CHUNK: i64 = 16;

/// Everything processing works with; cheap to clone into a writer job.
#[derive(Clone)]
pub(crate) struct Live {
    pub engine: Arc<Mutex<Engine>>,
    pub keeper: Arc<Mutex<Keeper>>,
    pub metrics: Arc<Metrics>,
    pub topology: Option<Arc<Topology>>,
    /// To see whether a webhook's commit waits behind this batch.
    pub store: Store,
}

/// What one processing step did.
pub(crate) enum Step<T> {
    Did(T),
    /// Nothing was pending; these incidents' analyses were brought up to date.
    Idle {
        refreshed: Vec<String>,
    },
}

impl Live {
    /// Normalizes and correlates up to [`BATCH`] pending inbox rows, oldest
    /// first, in one transaction — fewer when a webhook's commit is waiting
    /// for the writer; when nothing is pending, brings analyses and the
    /// saved state up to date instead.
    pub fn process_next(&self, conn: &mut Connection) -> causeway_store::Result<Step<Processed>> {
        self.run(conn, |tx, engine, keeper, metrics| {
            let mut all = Processed::default();
            let (mut after, mut done) = (0, 0);
            // Read in small chunks: when a webhook waits, the batch ends
            // after the row at hand, and reading 256 bodies to use one
            // would be work thrown away.
            'batch: while done < BATCH {
                let items = inbox::pending_after(tx, after, CHUNK)?;
                let Some(last) = items.last() else { break };
                after = last.id;
                for item in &items {
                    let p = process_item(tx, item, engine, keeper.next_seq(), metrics)?;
                    all.incidents.extend(p.incidents);
                    all.error = all.error.or(p.error);
                    done += 1;
                    if self.store.intake_waiting() {
                        break 'batch;
                    }
                }
            }
            Ok((done > 0).then_some(all))
        })
    }

    /// Runs `f` (which processes inbox rows, or answers `None` when there
    /// were none) in a write transaction, then writes the incidents it
    /// touched and, when due, the engine's state. If anything fails, the
    /// engine is brought back in step with the store.
    pub fn run<T>(
        &self,
        conn: &mut Connection,
        f: impl FnOnce(
            &Transaction<'_>,
            &mut Engine,
            &mut Keeper,
            &Metrics,
        ) -> causeway_store::Result<Option<T>>,
    ) -> causeway_store::Result<Step<T>>
    where
        T: Touches,
    {
        let mut engine = self.engine.lock().map_err(|_| poisoned())?;
        let mut keeper = self.keeper.lock().map_err(|_| poisoned())?;
        if keeper.needs_recovery {
            recover(conn, &mut engine, &mut keeper, self.topology.clone())?;
        }
        let out = (|| {
            let tx = conn.transaction()?;
            let (step, written) = match f(&tx, &mut engine, &mut keeper, &self.metrics)? {
                Some(out) => {
                    let written = write_incidents(&tx, &engine, &keeper, out.touched(), false)?;
                    (Step::Did(out), written)
                }
                None => {
                    // Nothing came in: finish what a storm left behind.
                    let written = write_incidents(&tx, &engine, &keeper, &keeper.stale, true)?;
                    let refreshed = keeper.stale.keys().cloned().collect();
                    (Step::Idle { refreshed }, written)
                }
            };
            let due = match step {
                Step::Did(_) => keeper.save_due(),
                Step::Idle { .. } => keeper.idle_save_due(),
            };
            let saved = due.then(|| keeper.save(&tx, &engine)).transpose()?;
            tx.commit()?;
            Ok((step, written, saved))
        })();
        match out {
            Ok((step, written, saved)) => {
                // Committed: now the keeper may remember what was analysed.
                written.apply(&mut keeper);
                if matches!(step, Step::Idle { .. }) {
                    keeper
                        .analysed_at
                        .retain(|_, at| at.elapsed() < ANALYSE_EVERY);
                }
                if let Some(seq) = saved {
                    keeper.saved(seq);
                }
                Ok(step)
            }
            Err(e) => {
                // The transaction rolled back but the engine had moved on
                // (recovery puts the keeper's place back in step too).
                keeper.analysed_at.clear();
                keeper.needs_recovery = true;
                if let Err(again) = recover(conn, &mut engine, &mut keeper, self.topology.clone()) {
                    tracing::error!(error = %again, "correlation engine recovery failed; will retry");
                }
                Err(e)
            }
        }
    }
}

/// What a processing step reports about the incidents it touched.
pub(crate) trait Touches {
    fn touched(&self) -> &BTreeMap<String, String>;
}

impl Touches for Processed {
    fn touched(&self) -> &BTreeMap<String, String> {
        &self.incidents
    }
}

/// Normalizes an inbox row with its connector, in the context it arrived in.
/// The outer error is the store's (an unreadable arrival time), the inner
/// one the payload's.
pub(crate) fn normalize_item(
    item: &InboxItem,
) -> causeway_store::Result<Result<Vec<Signal>, NormalizeError>> {
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
    Ok(normalize_bytes(&item.connector_id, &item.body, &ctx))
}

/// Processes `item` inside `tx` with `engine`, as place `seq` in the
/// processing order; the caller writes the touched incidents.
pub(crate) fn process_item(
    tx: &Transaction<'_>,
    item: &InboxItem,
    engine: &mut Engine,
    seq: i64,
    metrics: &Metrics,
) -> causeway_store::Result<Processed> {
    // Declared incidents (the ingest API) open one when nothing claims them.
    let declared = normalizer(&item.connector_id).is_some_and(|n| n.declares_incidents());
    let now = ts(Utc::now());
    let connector = label("connector", &item.connector_id);
    let mut out = Processed::default();
    match normalize_item(item)? {
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
            inbox::mark_processed(tx, item.id, &now, "dead_letter", seq)?;
            instances::count_item(tx, &item.instance_id, true, &now)?;
            metrics.add("causeway_events_dead_lettered_total", &connector, 1);
            tracing::warn!(inbox_id = item.id, connector = %item.connector_id, error = %e, "payload dead-lettered");
            out.error = Some(e.to_string());
        }
        Ok(batch) => {
            for s in &batch {
                signals::upsert(tx, s)?;
                let decision = engine.observe_as(s, declared);
                match decision {
                    Decision::Attach { link, opened, .. } => {
                        if opened {
                            // Its row before its first link (no deferred
                            // foreign keys: that pragma drops every cached
                            // statement); no link to count yet.
                            if let Some(row) =
                                incident_row(engine, &link.incident_id, &item.project_id, 0)
                            {
                                incidents::upsert_state(tx, &row)?;
                            }
                        }
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
                crate::effects::store(tx, engine, &item.project_id, &mut out.incidents)?;
            }
            inbox::mark_processed(tx, item.id, &now, "normalized", seq)?;
            instances::count_item(tx, &item.instance_id, false, &now)?;
            metrics.add("causeway_events_normalized_total", &connector, 1);
            metrics.add("causeway_signals_total", &connector, batch.len() as u64);
        }
    }
    Ok(out)
}

/// The incidents a transaction wrote: analysed now, or left stale (with
/// their project). Applied to the keeper only once the transaction commits,
/// so a rolled-back batch leaves nothing marked analysed that is not.
#[derive(Default)]
struct Written(Vec<(String, Option<String>)>);

impl Written {
    fn apply(self, keeper: &mut Keeper) {
        for (id, stale) in self.0 {
            match stale {
                None => {
                    keeper.stale.remove(&id);
                    keeper.analysed_at.insert(id, Instant::now());
                }
                Some(project) => {
                    keeper.stale.insert(id, project);
                }
            }
        }
    }
}

/// Writes the rows of the incidents in `touched`. An incident analysed less
/// than [`ANALYSE_EVERY`] ago keeps its stored pattern and root cause for
/// now and is remembered as stale; `all` analyses every one regardless.
fn write_incidents(
    tx: &Transaction<'_>,
    engine: &Engine,
    keeper: &Keeper,
    touched: &BTreeMap<String, String>,
    all: bool,
) -> causeway_store::Result<Written> {
    let mut written = Written::default();
    for (id, project) in touched {
        let recent = keeper
            .analysed_at
            .get(id)
            .is_some_and(|t| t.elapsed() < ANALYSE_EVERY);
        if all || !recent {
            write_incident(tx, engine, id, project)?;
            written.0.push((id.clone(), None));
        } else {
            write_incident_state(tx, engine, id, project)?;
            written.0.push((id.clone(), Some(project.clone())));
        }
    }
    Ok(written)
}

/// Writes an incident from the engine's state plus the analysis of its signals.
pub(crate) fn write_incident(
    conn: &Connection,
    engine: &Engine,
    id: &str,
    project: &str,
) -> causeway_store::Result<()> {
    if engine.incident(id).is_none() {
        return Ok(());
    }
    let members: Vec<_> = signals::for_incident(conn, id)?
        .into_iter()
        .map(|s| s.signal)
        .collect();
    let analysis = engine.analyse(&members);
    let Some(mut row) = incident_row(engine, id, project, members.len() as i64) else {
        return Ok(());
    };
    row.pattern = analysis.pattern;
    row.root_cause = analysis.root_cause;
    incidents::upsert(conn, &row)
}

/// Writes what the engine knows of an incident, keeping its stored analysis.
pub(crate) fn write_incident_state(
    conn: &Connection,
    engine: &Engine,
    id: &str,
    project: &str,
) -> causeway_store::Result<()> {
    let count = links::count_for_incident(conn, id)?;
    match incident_row(engine, id, project, count) {
        Some(row) => incidents::upsert_state(conn, &row),
        None => Ok(()),
    }
}

/// An incident's row as the engine has it, without analysis.
fn incident_row(
    engine: &Engine,
    id: &str,
    project: &str,
    signal_count: i64,
) -> Option<incidents::IncidentRow> {
    let state = engine.incident(id)?;
    Some(incidents::IncidentRow {
        id: id.to_string(),
        project_id: project.to_string(),
        title: state.title.clone(),
        severity: state.severity,
        status: state.status,
        pattern: None,
        group_key: state.group_key.clone(),
        root_cause: None,
        signal_count,
        opened_at: state.opened_at,
        updated_at: state.last_at,
        resolved_at: state.resolved_at,
    })
}
