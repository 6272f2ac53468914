//! What the log reader applies, and how this member's own changes reach
//! the log: connector definitions (stored by every member alike, secrets
//! never included), people's decisions (applied at the time they were
//! made), and ingest requests (processed where they land on the log).

use super::log::InstanceDef;
use crate::api::error::{ApiError, Code};
use crate::incidents::decision::Decision;
use crate::App;
use causeway_store::instances::{self, Instance};
use causeway_store::team_outbox::NewOutbox;
use chrono::{DateTime, Utc};
use std::time::Duration;

fn json<T: serde::Serialize>(v: T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::new(Code::Internal, e.to_string()))
}

impl App {
    /// Applies a person's decision here, as made at `at`.
    pub(crate) async fn apply_decision(
        &self,
        d: Decision,
        at: DateTime<Utc>,
    ) -> Result<serde_json::Value, ApiError> {
        match d {
            Decision::Status { id, status } => {
                json(self.set_incident_status_at(id, status, at).await?)
            }
            Decision::Move { signal_id, to } => json(self.move_signal_at(signal_id, to, at).await?),
            Decision::Merge { from, into } => json(self.merge_incidents_at(from, into, at).await?),
            Decision::Split { id, signal_ids } => {
                json(self.split_incident_at(id, signal_ids, at).await?)
            }
            Decision::Settings { config, project } => {
                json(self.apply_settings_at(*config, project, at).await?)
            }
            Decision::ProjectSet { id, name } => json(self.set_project_here(id, name).await?),
            Decision::ProjectDelete { id } => json(self.delete_project_here(id).await?),
        }
    }

    /// Stores a connector definition from the log (added or changed).
    pub(crate) async fn apply_instance_def(&self, def: InstanceDef) {
        let row = Instance {
            id: def.id,
            descriptor_id: def.descriptor_id,
            project_id: def.project_id,
            name: def.name,
            enabled: def.enabled,
            config: def.config,
        };
        let id = row.id.clone();
        let stored = self
            .store()
            .write(move |c| {
                let tx = c.transaction()?;
                // A project made on another member arrives with its instances.
                causeway_store::projects::ensure(
                    &tx,
                    &row.project_id,
                    &causeway_store::ts(Utc::now()),
                )?;
                match instances::get(&tx, &row.id)? {
                    Some(_) => {
                        instances::update(&tx, &row)?;
                    }
                    None => instances::insert(&tx, &row, &causeway_store::ts(Utc::now()))?,
                }
                tx.commit()?;
                Ok(())
            })
            .await;
        if let Err(e) = stored {
            tracing::warn!(instance = %id, error = %e, "a connector definition from the team log cannot be stored here");
            return;
        }
        self.sync_sources().await;
        self.emit(crate::api::views::ChangeEvent::ConnectorsChanged);
    }

    /// Removes a connector instance the log says was deleted, with this
    /// member's own secrets of it.
    pub(crate) async fn remove_instance_def(&self, id: &str) {
        let key = id.to_string();
        let Ok(Some(inst)) = self.store().read(move |c| instances::get(c, &key)).await else {
            return;
        };
        let config: serde_json::Value = serde_json::from_str(&inst.config).unwrap_or_default();
        let fields = crate::connectors::secrets_scope::all_fields(&config);
        let (keychain, kid) = (self.keychain().clone(), inst.id.clone());
        let _ = tokio::task::spawn_blocking(move || {
            let names: Vec<&str> = fields.iter().map(String::as_str).collect();
            keychain.delete_instance(&kid, &names)
        })
        .await;
        let key = id.to_string();
        if let Err(e) = self
            .store()
            .write(move |c| instances::delete(c, &key))
            .await
        {
            tracing::warn!(instance = %id, error = %e, "cannot delete a connector instance the team log removed");
        }
        self.sync_sources().await;
        self.emit(crate::api::views::ChangeEvent::ConnectorsChanged);
    }

    /// Stores an instance's definition: here, or — in a team — on the log,
    /// waiting until this member has applied it from there.
    pub(crate) async fn save_instance(&self, i: Instance, new: bool) -> Result<(), ApiError> {
        if self.in_team() {
            let id = i.id.clone();
            let body = serde_json::to_vec(&instance_def(i))
                .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?;
            self.publish(instance_row(&id, "upsert", body)).await?;
            return Ok(());
        }
        self.store()
            .write(move |c| {
                if new {
                    instances::insert(c, &i, &causeway_store::ts(Utc::now()))
                } else {
                    instances::update(c, &i).map(|_| ())
                }
            })
            .await?;
        Ok(())
    }

    /// Deletes an instance's row: here, or — in a team — through the log.
    pub(crate) async fn drop_instance(&self, id: String) -> Result<(), ApiError> {
        if self.in_team() {
            self.publish(instance_row(&id, "delete", Vec::new()))
                .await?;
            return Ok(());
        }
        self.store()
            .write(move |c| instances::delete(c, &id))
            .await?;
        Ok(())
    }

    /// Puts a definition of a local instance on the log without waiting
    /// (instances made before joining, or by connectors.json at start).
    pub(crate) async fn announce_instance(&self, i: Instance) {
        let id = i.id.clone();
        let Ok(body) = serde_json::to_vec(&instance_def(i)) else {
            return;
        };
        if let Err(e) = self.to_outbox(instance_row(&id, "upsert", body)).await {
            tracing::warn!(instance = %id, error = %e.message, "cannot announce a connector instance to the team");
        }
    }

    /// An ingest request taken from the log: the same processing as a
    /// direct one, at the time it was received.
    pub(crate) async fn ingest_from_log(
        &self,
        body: Vec<u8>,
        at: DateTime<Utc>,
    ) -> Result<(), String> {
        self.ingest_processed(body, causeway_store::ts(at))
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }

    /// Puts a row on the outbox and waits until this member applied it
    /// from the log (its answer, or an error when the log does not answer
    /// in time — the row is kept and applies later).
    pub(crate) async fn publish(&self, row: NewOutbox) -> Result<serde_json::Value, ApiError> {
        let team = self
            .team()
            .ok_or_else(|| ApiError::new(Code::Internal, "not in a team"))?;
        // Registered before the row is committed: the answer cannot come
        // before anyone waits for it.
        let waiting = team.clone();
        let rx = self
            .store()
            .write(move |c| {
                let tx = c.transaction()?;
                let id = causeway_store::team_outbox::insert(&tx, &row)?;
                let rx = waiting.wait_for(id);
                tx.commit()?;
                Ok(rx)
            })
            .await?;
        team.forward.notify_one();
        match tokio::time::timeout(Duration::from_secs(20), rx).await {
            Ok(Ok(result)) => result,
            _ => Err(ApiError::new(
                Code::TeamPending,
                "the team log did not answer in time: the change is kept and applies (on every member) once it is on the log",
            )),
        }
    }
}

fn instance_row(id: &str, op: &str, body: Vec<u8>) -> NewOutbox {
    NewOutbox {
        kind: "instance".into(),
        instance_id: Some(id.to_string()),
        connector_id: Some(op.to_string()),
        received_at: causeway_store::ts(Utc::now()),
        headers: "{}".into(),
        body,
        ..Default::default()
    }
}

/// An instance's definition as the team log carries it.
fn instance_def(i: Instance) -> InstanceDef {
    InstanceDef {
        id: i.id,
        descriptor_id: i.descriptor_id,
        project_id: i.project_id,
        name: i.name,
        enabled: i.enabled,
        config: i.config,
    }
}
