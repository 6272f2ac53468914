//! inbox → normalize → correlate → store.
//!
//! A webhook is answered only after its raw body is committed to the inbox;
//! processing happens afterwards on the writer thread, a batch of inbox rows
//! per transaction, and the engine's state is kept in step with the stored
//! decisions by the keeper (`keeper.rs`), so a crash anywhere loses nothing.
//! A payload that cannot be normalized goes to dead letters with its exact
//! bytes.

use crate::error::ApiError;
use crate::process::Step;
use crate::views::{ChangeEvent, IncidentSummary, Replayed};
use crate::App;
use causeway_core::IncidentStatus;
use causeway_store::{dead_letters, inbox, incidents, ts};
use chrono::Utc;
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
    /// batches changed is told to the UI at most once per [`TICK`] (and once
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

    /// Puts a dead letter's exact bytes back into the inbox for another try.
    pub async fn replay_dead_letter(&self, id: i64) -> Result<Replayed, ApiError> {
        let team = self.in_team();
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
                // In a team the bytes go on the log, for every member.
                let inbox_id = if team {
                    causeway_store::team_outbox::insert(
                        &tx,
                        &causeway_store::team_outbox::NewOutbox {
                            kind: "raw".into(),
                            instance_id: Some(instance.clone()),
                            connector_id: Some(d.connector_id.clone()),
                            project_id: Some(d.project_id.clone()),
                            received_at: now.clone(),
                            headers: d.headers.clone(),
                            body: d.raw.clone(),
                        },
                    )?
                } else {
                    inbox::insert(
                        &tx,
                        &instance,
                        &d.connector_id,
                        &d.project_id,
                        &now,
                        &d.headers,
                        &d.raw,
                    )?
                };
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
        if let Some(t) = self.team() {
            t.forward.notify_one();
        }
        self.emit(ChangeEvent::DeadLettersChanged);
        Ok(Replayed { inbox_id })
    }

    /// A person sets an incident's status; the engine keeps it. In a team
    /// it goes on the team log and applies on every member alike.
    pub async fn set_incident_status(
        &self,
        id: String,
        status: IncidentStatus,
    ) -> Result<IncidentSummary, ApiError> {
        if self.in_team() {
            let d = crate::team::log::Decision::Status { id, status };
            return crate::overrides::from_json(self.decide(d).await?);
        }
        self.set_incident_status_at(id, status, Utc::now()).await
    }

    /// [`App::set_incident_status`] here only, decided at `at`.
    pub(crate) async fn set_incident_status_at(
        &self,
        id: String,
        status: IncidentStatus,
        at: chrono::DateTime<Utc>,
    ) -> Result<IncidentSummary, ApiError> {
        let key = id.clone();
        let found = self
            .with_engine(move |tx, engine| {
                let Some(mut row) = incidents::get(tx, &key)? else {
                    return Ok(None);
                };
                let now = at;
                engine.set_status(&key, status, now);
                // The person's decision goes to the incident's ledger.
                let mut touched = std::collections::BTreeMap::new();
                crate::effects::store(
                    tx,
                    engine,
                    &row.project_id,
                    &mut touched,
                    &mut Default::default(),
                )?;
                row.status = status;
                row.updated_at = now;
                row.resolved_at = (status == IncidentStatus::Resolved).then_some(now);
                incidents::upsert(tx, &row)?;
                Ok(Some(row))
            })
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no incident {id}")))?;
        self.emit(ChangeEvent::IncidentsChanged { ids: vec![id] });
        Ok(crate::queries::summary(found))
    }
}
