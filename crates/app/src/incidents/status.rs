//! A person acknowledges, investigates or resolves an incident: the engine
//! keeps the status, and the decision goes to the incident's ledger.

use crate::api::error::ApiError;
use crate::api::views::{ChangeEvent, IncidentSummary};
use crate::App;
use causeway_core::IncidentStatus;
use causeway_store::incidents;
use chrono::Utc;

impl App {
    /// A person sets an incident's status; the engine keeps it. In a team
    /// it goes on the team log and applies on every member alike.
    pub async fn set_incident_status(
        &self,
        id: String,
        status: IncidentStatus,
    ) -> Result<IncidentSummary, ApiError> {
        if self.in_team() {
            let d = crate::incidents::decision::Decision::Status { id, status };
            return crate::incidents::overrides::from_json(self.decide(d).await?);
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
                crate::pipeline::effects::store(
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
        Ok(crate::incidents::queries::summary(found))
    }
}
