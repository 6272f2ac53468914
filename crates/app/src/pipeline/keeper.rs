//! Keeping the live correlation engine and the store in step, cheaply.
//!
//! Serializing the whole engine with every processed batch cost more than
//! the batch itself once a storm had filled it, so the engine's state is
//! saved every few seconds instead, with the place in the processing order
//! (`inbox.processed_seq`) it includes: the saved state is a snapshot and
//! the inbox, in processing order, the log of what came after it. The
//! snapshot's interval grows with what a save costs (never more than a
//! twentieth of the time goes to saving), and it is stored compressed. Decisions are written as they are
//! made. After a crash, or when a processing transaction fails after the
//! engine already moved, the engine is reloaded from its saved state and
//! decides again, without writing anything, on the payloads processed after
//! that place, in the order they were processed: the engine is
//! deterministic, so it lands exactly where the stored decisions say it was.
//!
//! Changes that do not come from the inbox (a person sets a status, moves a
//! signal...) cannot be redone that way, so they save the state in their own
//! transaction ([`App::with_engine`]).

use crate::api::error::ApiError;
use crate::pipeline::process::normalize_item;
use crate::pipeline::refresh::Refresh;
use crate::App;
use causeway_connectors::normalizer;
use causeway_core::{Engines, Topology};
use causeway_store::inbox::InboxItem;
use causeway_store::{engine_state, inbox, Connection, StoreError, Transaction};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Under a steady stream, the state is saved at least this often.
const SAVE_EVERY: Duration = Duration::from_secs(5);
/// When the inbox runs dry, the state is saved if it changed and the last
/// save is at least this old.
const SAVE_WHEN_IDLE_AFTER: Duration = Duration::from_secs(1);
/// A save is at least this many times as far from the last one as it takes.
const SAVE_COST_FACTOR: u32 = 20;

/// What processing keeps beside the engine.
pub(crate) struct Keeper {
    /// The place of the last payload processed in the processing order.
    pub seq: i64,
    saved_seq: i64,
    saved_at: Instant,
    /// The engine is not known to match the store: reload and catch up
    /// before the next decision.
    pub needs_recovery: bool,
    /// The engine is exactly the saved state (as [`App::open`] loaded it):
    /// the first recovery only catches up, without loading it again.
    ///
    /// [`App::open`]: crate::App::open
    at_saved_state: bool,
    /// Which incidents' analyses are behind, and when each was done last.
    pub refresh: Refresh,
    /// What the last save took.
    save_cost: Duration,
    /// The engine just decided again on payloads its saved state missed:
    /// the next batch saves, so another failure (or crash) does not redo
    /// them all again. Under a storm that kept failing, each recovery
    /// replayed everything since one old save, a little more each time.
    save_soon: bool,
    /// An inbox row whose processing panicked, and the panic's message: it
    /// goes to dead letters the next time round.
    pub panicked: Option<(i64, String)>,
}

impl Keeper {
    /// For an engine loaded from a state that includes `saved_seq`; it still
    /// has to catch up on what came after.
    pub fn new(saved_seq: i64) -> Self {
        Keeper {
            seq: saved_seq,
            saved_seq,
            saved_at: Instant::now(),
            needs_recovery: true,
            at_saved_state: true,
            refresh: Refresh::default(),
            save_cost: Duration::ZERO,
            save_soon: false,
            panicked: None,
        }
    }

    /// The panic message when inbox row `id` panicked before.
    pub fn take_panicked(&mut self, id: i64) -> Option<String> {
        match &self.panicked {
            Some((at, _)) if *at == id => self.panicked.take().map(|(_, m)| m),
            _ => None,
        }
    }

    /// The place in the processing order the saved state includes.
    pub fn saved_seq(&self) -> i64 {
        self.saved_seq
    }

    /// The place for the next processed payload.
    pub fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    fn unsaved(&self) -> bool {
        self.seq != self.saved_seq
    }

    /// Whether a batch that just ran should save the state with it.
    pub fn save_due(&self) -> bool {
        self.unsaved()
            && (self.save_soon
                || self.saved_at.elapsed() >= SAVE_EVERY.max(self.save_cost * SAVE_COST_FACTOR))
    }

    /// Whether the state should be saved now that the inbox is empty.
    pub fn idle_save_due(&self) -> bool {
        self.unsaved() && self.saved_at.elapsed() >= SAVE_WHEN_IDLE_AFTER
    }

    /// Writes the engine's state inside `tx`; call [`Keeper::saved`] with
    /// the place and cost it answers once `tx` committed.
    pub fn save(
        &self,
        tx: &Connection,
        engine: &Engines,
    ) -> causeway_store::Result<(i64, Duration)> {
        let started = Instant::now();
        engine_state::save_with(tx, self.seq, |w| {
            serde_json::to_writer(w, engine).map_err(std::io::Error::other)
        })?;
        Ok((self.seq, started.elapsed()))
    }

    pub fn saved(&mut self, seq: i64, cost: Duration) {
        self.saved_seq = seq;
        self.saved_at = Instant::now();
        self.save_cost = cost;
        self.save_soon = false;
    }
}

/// Locks the engine and its keeper for a writer job. A job that panicked
/// while holding them (caught by the writer, which goes on) left the lock
/// poisoned and the engine perhaps half-way through a decision: the lock is
/// taken back and the engine reloaded from the store before it decides
/// again, rather than every later job failing on the poisoned lock.
pub(crate) fn lock_live<'a>(
    engine: &'a Mutex<Engines>,
    keeper: &'a Mutex<Keeper>,
) -> (MutexGuard<'a, Engines>, MutexGuard<'a, Keeper>) {
    let poisoned = engine.is_poisoned() || keeper.is_poisoned();
    let e = engine.lock().unwrap_or_else(|p| p.into_inner());
    let mut k = keeper.lock().unwrap_or_else(|p| p.into_inner());
    if poisoned {
        engine.clear_poison();
        keeper.clear_poison();
        k.needs_recovery = true;
        // The engine is not the state loaded at start any more.
        k.at_saved_state = false;
    }
    (e, k)
}

/// Reloads `engine` from its saved state (keeping `topology`) and has it
/// decide again on everything processed since, writing nothing. Returns how
/// many payloads it went over.
pub(crate) fn recover(
    conn: &Connection,
    engine: &mut Engines,
    keeper: &mut Keeper,
    topology: Option<Arc<Topology>>,
) -> causeway_store::Result<usize> {
    // Loaded again unless the engine still is the saved state as it was
    // read at start (a big state is parsed once, not twice).
    let mut fresh = None;
    let mut seq = keeper.saved_seq;
    if !std::mem::take(&mut keeper.at_saved_state) {
        let (mut loaded, at) = match engine_state::load(conn)? {
            Some(s) => (Engines::from_json(&s.state)?, s.processed_seq),
            None => (Engines::default(), 0),
        };
        loaded.set_topology(topology);
        fresh = Some(loaded);
        seq = at;
    }
    let saved_seq = seq;
    let target = match fresh.as_mut() {
        Some(f) => f,
        None => &mut *engine,
    };
    let mut redone = 0;
    loop {
        let rows = inbox::normalized_after(conn, seq, 512)?;
        let Some((last, _)) = rows.last() else { break };
        seq = *last;
        for (_, item) in &rows {
            redecide(item, target)?;
            redone += 1;
        }
    }
    if let Some(f) = fresh {
        *engine = f;
    }
    keeper.seq = seq;
    keeper.saved(saved_seq, keeper.save_cost);
    keeper.save_soon = redone > 0;
    keeper.needs_recovery = false;
    if redone > 0 {
        tracing::info!(
            payloads = redone,
            from_seq = saved_seq,
            to_seq = seq,
            "correlation engine caught up from its saved state"
        );
    }
    Ok(redone)
}

/// The engine's half of processing one payload, for recovery.
fn redecide(item: &InboxItem, engine: &mut Engines) -> causeway_store::Result<()> {
    let declared = normalizer(&item.connector_id).is_some_and(|n| n.declares_incidents());
    // It normalized before; if it no longer does (a descriptor changed),
    // there is nothing to decide again.
    let signals = normalize_item(item)?.unwrap_or_default();
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for s in &signals {
            engine.observe_as(s, declared);
        }
    }));
    if let Err(panic) = ran {
        // It did not panic when it was processed (or it would be a dead
        // letter): the engine changed since. Go on without it.
        tracing::error!(inbox_id = item.id, panic = %causeway_store::panic_message(&*panic), "deciding again on a payload panicked; skipped");
    }
    Ok(())
}

impl App {
    /// Runs `f` on the live engine inside a write transaction that also
    /// saves the engine's state: for changes a person makes (status, move,
    /// merge, split), which recovery could not redo from the inbox. If `f`
    /// or the commit fails, the engine is brought back to the stored state.
    pub(crate) async fn with_engine<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>, &mut Engines) -> causeway_store::Result<T> + Send + 'static,
    {
        let (engine, keeper, topology) =
            (self.engine.clone(), self.keeper.clone(), self.topology());
        Ok(self
            .store()
            .write(move |conn| {
                let (mut engine, mut keeper) = lock_live(&engine, &keeper);
                if keeper.needs_recovery {
                    recover(conn, &mut engine, &mut keeper, topology.clone())?;
                }
                let out = (|| {
                    let tx = conn.transaction()?;
                    let out = f(&tx, &mut engine)?;
                    let saved = keeper.save(&tx, &engine)?;
                    tx.commit()?;
                    Ok((out, saved))
                })();
                match out {
                    Ok((out, (seq, cost))) => {
                        keeper.saved(seq, cost);
                        Ok(out)
                    }
                    Err(e) => {
                        keeper.needs_recovery = true;
                        if let Err(again) = recover(conn, &mut engine, &mut keeper, topology) {
                            tracing::error!(error = %again, "correlation engine recovery failed; will retry");
                        }
                        Err::<T, StoreError>(e)
                    }
                }
            })
            .await?)
    }
}

#[cfg(test)]
#[path = "keeper_tests.rs"]
mod tests;
