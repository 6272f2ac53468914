//! The engine's clock in the live app. The engine never reads the wall
//! clock: time reaches it with each signal, and — so that a quiet incident
//! resolves even when nothing else arrives — from the host every few
//! seconds, through [`App::advance_engine`].

use crate::api::error::ApiError;
use crate::api::views::ChangeEvent;
use crate::pipeline::process::{poisoned, write_incident};
use crate::App;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

impl App {
    /// Moves the engine's clock to `now` and stores what that changed
    /// (incidents resolved after their quiet period, with their ledger
    /// entries). Returns the incidents that changed. Cheap when nothing is due.
    pub async fn advance_engine(&self, now: DateTime<Utc>) -> Result<Vec<String>, ApiError> {
        let due = match self.engine.lock() {
            Ok(e) => e.next_due().is_some_and(|d| d <= now),
            Err(_) => return Err(poisoned().into()),
        };
        if !due {
            return Ok(Vec::new());
        }
        let changed = self
            .with_engine(move |tx, engine| {
                let changed = engine.advance(now);
                let mut touched = BTreeMap::new();
                crate::pipeline::effects::store(
                    tx,
                    engine,
                    "default",
                    &mut touched,
                    &mut Default::default(),
                )?;
                for (id, project) in &touched {
                    write_incident(tx, engine, id, project)?;
                }
                Ok(changed)
            })
            .await?;
        if !changed.is_empty() {
            self.emit(ChangeEvent::IncidentsChanged {
                ids: changed.clone(),
            });
        }
        Ok(changed)
    }
}
