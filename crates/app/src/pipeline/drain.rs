//! Draining the inbox: every pending row through the processing step, a
//! batch per transaction, with what changed told to the UI once per tick
//! rather than once per batch.

use crate::api::views::ChangeEvent;
use crate::pipeline::process::Step;
use crate::App;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How the host's allocator gives freed memory back to the system.
static MEMORY_RELEASE: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Sets how freed memory is given back after a backlog drained. The
/// allocator keeps what a storm freed for reuse (hundreds of MB after a
/// big one) unless told; the host, which chose the allocator, says how.
pub fn set_memory_release(release: fn()) {
    let _ = MEMORY_RELEASE.set(release);
}

/// Changes are told to the UI at most this often while a backlog drains.
const TICK: Duration = Duration::from_millis(250);
/// Past this many changed incidents in one tick, the UI is told to refetch
/// everything rather than sent every id.
const MAX_IDS: usize = 256;

/// What processing changed since the UI was last told.
#[derive(Default)]
struct Coalesced {
    incidents: BTreeSet<String>,
    many: bool,
    signals: bool,
    dead_letters: bool,
}

impl Coalesced {
    fn add(&mut self, ids: impl IntoIterator<Item = String>) {
        if self.many {
            return;
        }
        self.incidents.extend(ids);
        if self.incidents.len() > MAX_IDS {
            self.incidents.clear();
            self.many = true;
        }
    }
}

impl App {
    /// Processes every pending inbox row, a batch per transaction. What the
    /// batches changed is told to the UI at most once per `TICK` (and once
    /// more at the end): in a storm a batch every few milliseconds each
    /// sending its own events made every open screen refetch as often.
    pub async fn drain(&self) {
        let mut changes = Coalesced::default();
        let mut told = Instant::now();
        loop {
            let live = self.live();
            match self.store.write(move |conn| live.process_next(conn)).await {
                Ok(Step::Did(p)) => {
                    changes.dead_letters |= p.error.is_some();
                    changes.signals = true;
                    changes.add(p.incidents.into_keys());
                }
                Ok(Step::Idle { refreshed, more }) => {
                    changes.add(refreshed);
                    if !more {
                        break;
                    }
                }
                Err(e) => {
                    // A payload that panicked is dead-lettered on the next
                    // turn; anything else waits for the next payload.
                    if self.keeper.lock().is_ok_and(|k| k.panicked.is_some()) {
                        continue;
                    }
                    tracing::error!(error = %e, "inbox processing failed; will retry on the next payload");
                    break;
                }
            }
            if told.elapsed() >= TICK {
                self.tell(std::mem::take(&mut changes));
                told = Instant::now();
            }
        }
        let worked = changes.signals;
        self.tell(changes);
        if worked {
            self.release_memory().await;
        }
    }

    /// After a drain, gives what the processing freed back to the system
    /// (see [`set_memory_release`]): on the writer thread, whose heap held
    /// the batches, and on this one.
    async fn release_memory(&self) {
        if let Some(release) = MEMORY_RELEASE.get().copied() {
            let _ = self
                .store
                .write(move |_| {
                    release();
                    Ok(())
                })
                .await;
            release();
        }
    }

    /// Sends what `c` gathered.
    fn tell(&self, c: Coalesced) {
        if c.dead_letters {
            self.emit(ChangeEvent::DeadLettersChanged);
        }
        if c.many || !c.incidents.is_empty() {
            // An empty list means "refetch everything" to every listener.
            let ids = if c.many {
                Vec::new()
            } else {
                c.incidents.into_iter().collect()
            };
            self.emit(ChangeEvent::IncidentsChanged { ids });
        }
        if c.signals {
            self.emit(ChangeEvent::SignalsChanged);
        }
    }
}
