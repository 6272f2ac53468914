//! A dead letter's exact bytes back into the inbox (or, in a team, onto the
//! team log), for another try after a fix to a descriptor or a setting.

use crate::api::error::ApiError;
use crate::api::views::{ChangeEvent, Replayed};
use crate::App;
use causeway_store::{dead_letters, inbox, ts};
use chrono::Utc;

impl App {
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
}
