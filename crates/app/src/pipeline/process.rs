//! The processing half of the pipeline: inbox rows → normalize → correlate
//! → store, a batch per transaction.
//!
//! Decisions (signals, links, incident rows) are written in the batch's
//! transaction; the engine's own state is saved every few seconds by the
//! [`Keeper`], which can bring the engine back in step after a crash.
//! An incident's pattern and root cause are redone within a time budget
//! ([`Refresh`]), not with every signal.
//!
//! A batch is a time slice of the writer: it runs at least [`MIN_SLICE`]
//! before it lets waiting webhook commits in, and at most [`MAX_SLICE`].
//! Ending it after every row whenever a sender waited (as it once did) made
//! a storm's batches one row long, and the fixed cost of a transaction then
//! ate the processing rate.
//!
//! A panic while processing a row (normalizing or correlating an outside
//! payload) is contained: the batch rolls back, the engine is reloaded, and
//! the row is dead-lettered with the panic's message the next time round;
//! the rows around it are processed as usual.

use crate::pipeline::keeper::{lock_live, recover, Keeper};
use crate::pipeline::refresh::{Refresh, IDLE_BUDGET};
use crate::telemetry::events::{PayloadDeadLettered, PayloadNormalized, SignalCorrelated};
use crate::telemetry::Metrics;
use causeway_connectors::{normalize_bytes, normalizer, Context, NormalizeError};
use causeway_core::{Decision, Engines, Signal, Topology};
use causeway_store::inbox::InboxItem;
use causeway_store::{
    dead_letters, inbox, incidents, instances, links, parse_ts, signals, ts, Connection, Store,
    StoreError, Transaction,
};
use chrono::Utc;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What processed inbox rows changed.
#[derive(Default)]
pub(crate) struct Processed {
    /// Incident → its project.
    pub incidents: BTreeMap<String, String>,
    /// Links inserted per incident (its stored signal count grows by that).
    pub added: BTreeMap<String, i64>,
    /// Each signal with the incident it went to, in payload order.
    pub placed: Vec<(String, Option<String>)>,
    /// The normalization error, when the row was dead-lettered (of the
    /// first such row, for a batch).
    pub error: Option<String>,
    /// Inbox rows processed.
    pub rows: usize,
    /// Per connector instance: payloads taken in and dead-lettered, written
    /// once per batch ([`Processed::count`]).
    pub items: BTreeMap<String, (i64, i64)>,
}

impl Processed {
    /// Adds what this batch took in to each instance's counts.
    fn count(&self, tx: &Transaction<'_>) -> causeway_store::Result<()> {
        let now = ts(Utc::now());
        for (instance, (received, dead)) in &self.items {
            instances::count_items(tx, instance, *received, *dead, &now)?;
        }
        Ok(())
    }
}

pub(crate) fn poisoned() -> StoreError {
    StoreError::Invalid("the correlation engine lock is poisoned".into())
}

/// Most inbox rows per transaction.
const BATCH: usize = 4096;
/// Inbox rows read at a time within a batch.
const CHUNK: i64 = 32;
/// A batch runs at least this long before a waiting webhook commit ends it...
pub(crate) const MIN_SLICE: Duration = Duration::from_millis(2);
/// ...or this long when the oldest payload it takes waited more than
/// [`LAGGING_MS`]: intake and processing share the one writer, and
/// under a storm that outlasts a burst, short slices gave intake most of
/// it, so the backlog (and how old the incidents on screen are) grew by
/// the second. Longer slices answer senders a little later instead: the
/// storm is paced at the rate it can be correlated (5,000 alerts/s offered
/// for a minute, `bench ingest --rate`: what the engineer sees went from
/// 21 s old to 0.3 s at the median). A burst lands at full speed: its
/// backlog is young.
pub(crate) const LAGGING_MIN_SLICE: Duration = Duration::from_millis(10);
const LAGGING_MS: i64 = 300;
/// ...and at most this long in any case: a sender never waits longer, and
/// the UI hears about new incidents within a fraction of a second.
const MAX_SLICE: Duration = Duration::from_millis(40);

/// How long a batch runs before it lets waiting intake in, for a backlog
/// whose oldest payload arrived at `oldest` (the arrival time in the inbox).
pub(crate) fn min_slice(oldest: &str, now: chrono::DateTime<Utc>) -> Duration {
    let lagging = parse_ts(oldest).is_ok_and(|t| (now - t).num_milliseconds() >= LAGGING_MS);
    if lagging {
        LAGGING_MIN_SLICE
    } else {
        MIN_SLICE
    }
}

/// Everything processing works with; cheap to clone into a writer job.
#[derive(Clone)]
pub(crate) struct Live {
    pub engine: Arc<Mutex<Engines>>,
    pub keeper: Arc<Mutex<Keeper>>,
    pub metrics: Arc<Metrics>,
    pub topology: Option<Arc<Topology>>,
    /// To see whether a webhook's commit waits behind this batch.
    pub store: Store,
}

/// What one processing step did.
pub(crate) enum Step<T> {
    Did(T),
    /// Nothing was pending; these incidents' analyses were brought up to
    /// date (`more`: others still wait for theirs).
    Idle {
        refreshed: Vec<String>,
        more: bool,
    },
}

impl Live {
    /// Normalizes and correlates pending inbox rows, oldest first, in one
    /// transaction for one time slice; when nothing is pending, brings
    /// analyses and the saved state up to date instead.
    pub fn process_next(&self, conn: &mut Connection) -> causeway_store::Result<Step<Processed>> {
        let store = self.store.clone();
        self.run(conn, move |tx, engine, keeper, metrics| {
            let started = Instant::now();
            let mut all = Processed::default();
            let mut after = 0;
            let mut slice = MIN_SLICE;
            'batch: while all.rows < BATCH {
                let items = inbox::pending_after(tx, after, CHUNK)?;
                let Some(last) = items.last() else { break };
                if after == 0 {
                    slice = min_slice(&items[0].received_at, Utc::now());
                }
                after = last.id;
                for item in &items {
                    let seq = keeper.next_seq();
                    if let Some(panic) = keeper.take_panicked(item.id) {
                        let error = format!("processing this payload panicked: {panic}");
                        dead_letter(tx, item, &error, seq, metrics, &mut all)?;
                        all.error = all.error.or(Some(error));
                    } else {
                        let ran = catch_unwind(AssertUnwindSafe(|| {
                            process_into(tx, item, engine, seq, metrics, &mut all)
                        }));
                        match ran {
                            Ok(r) => r?,
                            Err(panic) => {
                                let message = causeway_store::panic_message(&*panic);
                                tracing::error!(inbox_id = item.id, connector = %item.connector_id, panic = %message, "processing a payload panicked; it goes to dead letters");
                                keeper.panicked = Some((item.id, message));
                                return Err(StoreError::Invalid(format!(
                                    "processing inbox row {} panicked",
                                    item.id
                                )));
                            }
                        }
                    }
                    all.rows += 1;
                    let spent = started.elapsed();
                    if spent >= MAX_SLICE || (spent >= slice && store.intake_waiting()) {
                        break 'batch;
                    }
                }
            }
            all.count(tx)?;
            Ok((all.rows > 0).then_some(all))
        })
    }

    /// Runs `f` (which processes inbox rows, or answers `None` when there
    /// were none) in a write transaction, then writes the incidents it
    /// touched, analyses stale ones within a budget and, when due, saves
    /// the engine's state. If anything fails, the engine is brought back in
    /// step with the store.
    pub fn run<T>(
        &self,
        conn: &mut Connection,
        f: impl FnOnce(
            &Transaction<'_>,
            &mut Engines,
            &mut Keeper,
            &Metrics,
        ) -> causeway_store::Result<Option<T>>,
    ) -> causeway_store::Result<Step<T>>
    where
        T: Touches,
    {
        let (mut engine, mut keeper) = lock_live(&self.engine, &self.keeper);
        if keeper.needs_recovery {
            recover(conn, &mut engine, &mut keeper, self.topology.clone())?;
        }
        let started = Instant::now();
        let out = (|| {
            let tx = conn.transaction()?;
            let (step, done) = match f(&tx, &mut engine, &mut keeper, &self.metrics)? {
                Some(out) => {
                    write_states(&tx, &engine, out.touched(), out.added())?;
                    let budget = Refresh::backlog_budget(started.elapsed());
                    let done = keeper
                        .refresh
                        .run(&tx, &engine, out.touched(), budget, false)?;
                    (Step::Did(out), done)
                }
                None => {
                    // Nothing came in: finish what a storm left behind.
                    let none = BTreeMap::new();
                    let done = keeper.refresh.run(&tx, &engine, &none, IDLE_BUDGET, true)?;
                    let refreshed: Vec<String> = done.ids().cloned().collect();
                    let more = refreshed.len() < keeper.refresh.stale.len();
                    (Step::Idle { refreshed, more }, done)
                }
            };
            let due = match step {
                Step::Did(_) => keeper.save_due(),
                Step::Idle { more, .. } => !more && keeper.idle_save_due(),
            };
            let saved = due.then(|| keeper.save(&tx, &engine)).transpose()?;
            tx.commit()?;
            Ok((step, done, saved))
        })();
        match out {
            Ok((step, done, saved)) => {
                // Committed: now the keeper may remember what was analysed.
                done.apply(&mut keeper.refresh);
                if matches!(step, Step::Idle { .. }) {
                    keeper.refresh.prune();
                }
                if let Some((seq, cost)) = saved {
                    keeper.saved(seq, cost);
                }
                Ok(step)
            }
            Err(e) => {
                // The transaction rolled back but the engine had moved on
                // (recovery puts the keeper's place back in step too).
                keeper.refresh.analysed.clear();
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
    /// Links inserted per incident.
    fn added(&self) -> &BTreeMap<String, i64>;
}

impl Touches for Processed {
    fn touched(&self) -> &BTreeMap<String, String> {
        &self.incidents
    }
    fn added(&self) -> &BTreeMap<String, i64> {
        &self.added
    }
}

/// Writes what the engine knows of each touched incident (not its
/// analysis), adding the links inserted to its stored signal count.
fn write_states(
    tx: &Transaction<'_>,
    engine: &Engines,
    touched: &BTreeMap<String, String>,
    added: &BTreeMap<String, i64>,
) -> causeway_store::Result<()> {
    for (id, project) in touched {
        if let Some(row) = incident_row(engine, id, project, 0) {
            incidents::upsert_state_adding(tx, &row, added.get(id).copied().unwrap_or(0))?;
        }
    }
    Ok(())
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
    engine: &mut Engines,
    seq: i64,
    metrics: &Metrics,
) -> causeway_store::Result<Processed> {
    let mut out = Processed::default();
    process_into(tx, item, engine, seq, metrics, &mut out)?;
    out.count(tx)?;
    out.rows = 1;
    Ok(out)
}

/// Keeps a payload that cannot be taken in as a dead letter, exact bytes
/// and `error`, and marks its inbox row processed.
fn dead_letter(
    tx: &Transaction<'_>,
    item: &InboxItem,
    error: &str,
    seq: i64,
    metrics: &Metrics,
    out: &mut Processed,
) -> causeway_store::Result<()> {
    let now = ts(Utc::now());
    dead_letters::insert(
        tx,
        &dead_letters::NewDeadLetter {
            instance_id: Some(&item.instance_id),
            connector_id: &item.connector_id,
            project_id: &item.project_id,
            received_at: &item.received_at,
            error,
            headers: &item.headers,
            raw: &item.body,
            inbox_id: Some(item.id),
        },
    )?;
    inbox::mark_processed(tx, item.id, &now, "dead_letter", seq)?;
    out.items.entry(item.instance_id.clone()).or_default().1 += 1;
    PayloadDeadLettered {
        connector: &item.connector_id,
        inbox_id: Some(item.id),
        error,
    }
    .emit(metrics);
    Ok(())
}

/// [`process_item`] adding to `out`.
fn process_into(
    tx: &Transaction<'_>,
    item: &InboxItem,
    engine: &mut Engines,
    seq: i64,
    metrics: &Metrics,
    out: &mut Processed,
) -> causeway_store::Result<()> {
    #[cfg(test)]
    crate::pipeline::process_tests::maybe_panic(item);
    // Declared incidents (the ingest API) open one when nothing claims them.
    let declared = normalizer(&item.connector_id).is_some_and(|n| n.declares_incidents());
    let batch = match normalize_item(item)? {
        Err(e) => {
            let error = e.to_string();
            dead_letter(tx, item, &error, seq, metrics, out)?;
            out.error = out.error.take().or(Some(error));
            return Ok(());
        }
        Ok(batch) => batch,
    };
    let now = ts(Utc::now());
    for s in &batch {
        let decision = engine.observe_as(s, declared);
        let unassigned = match &decision {
            Decision::Attach { .. } => None,
            Decision::Unassigned { reason } => Some(reason.as_str()),
        };
        // Before its link (a foreign key), with the reason nothing claimed it.
        signals::upsert(tx, s, unassigned)?;
        match decision {
            Decision::Attach { link, opened, .. } => {
                if opened {
                    // Its row before its first link (no deferred
                    // foreign keys: that pragma drops every cached
                    // statement); no link to count yet.
                    if let Some(row) = incident_row(engine, &link.incident_id, &item.project_id, 0)
                    {
                        incidents::upsert_state(tx, &row)?;
                    }
                }
                if links::insert_if_absent(tx, &link)? {
                    *out.added.entry(link.incident_id.clone()).or_default() += 1;
                }
                SignalCorrelated {
                    strategy: link.strategy.as_str(),
                    opened,
                }
                .emit(metrics);
                out.placed
                    .push((s.id.clone(), Some(link.incident_id.clone())));
                out.incidents
                    .insert(link.incident_id, item.project_id.clone());
            }
            Decision::Unassigned { .. } => {
                SignalCorrelated {
                    strategy: "unassigned",
                    opened: false,
                }
                .emit(metrics);
                out.placed.push((s.id.clone(), None));
            }
        }
        crate::pipeline::effects::store(
            tx,
            engine,
            &item.project_id,
            &mut out.incidents,
            &mut out.added,
        )?;
    }
    inbox::mark_processed(tx, item.id, &now, "normalized", seq)?;
    out.items.entry(item.instance_id.clone()).or_default().0 += 1;
    PayloadNormalized {
        connector: &item.connector_id,
        signals: batch.len(),
    }
    .emit(metrics);
    Ok(())
}

/// The most entities an incident's stored graph holds, and impacted
/// entities it lists (the rest are counted): what a person can read.
pub(crate) const GRAPH_NODES: usize = 300;
pub(crate) const IMPACTED_LISTED: usize = 200;
/// An analysis reads an incident whole up to this many signals; beyond,
/// the first `ANALYSED_FIRST` and the latest `ANALYSED_LATEST` to join it
/// (the opening signals, where a root cause shows first, and what is
/// happening now). A storm's incident holds tens of thousands: reading them
/// all, with every analysis, was the peak of a storm's memory.
const ANALYSED_FIRST: i64 = 4_000;
const ANALYSED_LATEST: i64 = 1_000;

/// Writes an incident from the engine's state plus the analysis of its signals.
pub(crate) fn write_incident(
    conn: &Connection,
    engine: &Engines,
    id: &str,
    project: &str,
) -> causeway_store::Result<()> {
    if engine.incident(id).is_none() {
        return Ok(());
    }
    let count = links::count_for_incident(conn, id)?;
    let read = if count > ANALYSED_FIRST + ANALYSED_LATEST {
        signals::ends_of_incident(conn, id, ANALYSED_FIRST, ANALYSED_LATEST)?
    } else {
        signals::for_incident(conn, id)?
    };
    let members: Vec<_> = read.into_iter().map(|s| s.signal).collect();
    let mut analysis = engine
        .analyse(&members)
        .bounded(GRAPH_NODES, IMPACTED_LISTED);
    if (members.len() as i64) < count {
        analysis.signals_analysed = Some(members.len() as u32);
    }
    let Some(mut row) = incident_row(engine, id, project, count) else {
        return Ok(());
    };
    row.pattern = analysis.pattern.clone();
    row.root_cause = analysis.root_cause.clone();
    incidents::upsert(conn, &row)?;
    // Kept for the detail view, which would otherwise analyse again.
    incidents::set_analysis(conn, id, &serde_json::to_string(&analysis)?)
}

/// Writes what the engine knows of an incident, keeping its stored analysis.
pub(crate) fn write_incident_state(
    conn: &Connection,
    engine: &Engines,
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
    engine: &Engines,
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
