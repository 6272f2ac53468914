//! Projects: production and staging kept apart in one Causeway.
//!
//! A project has its own connectors, webhook URLs (`/webhooks/{connector}/
//! {project}`), incidents and correlation: each project has its own engine
//! ([`causeway_core::Engines`]), so nothing joins across them. A new project
//! gets an Alertmanager receiver of its own, as `default` has, with a bearer
//! secret shown once. Deleting one takes its connectors (and their keychain
//! secrets), incidents, signals, waiting payloads and dead letters; the
//! `default` project stays.

use crate::api::error::{ApiError, Code};
use crate::api::views::ChangeEvent;
use crate::connectors::instances::keychain_error;
use crate::connectors::webhook_secrets::NewWebhookSecret;
use crate::incidents::decision::Decision;
use crate::App;
use causeway_store::instances::{self, Instance};
use causeway_store::projects::{self, Project};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The project that always exists, and that a request without one means.
pub const DEFAULT_PROJECT: &str = causeway_core::correlate::DEFAULT_PROJECT;

/// The longest id: it is a URL path segment and a keychain handle's part.
const MAX_ID: usize = 40;
const MAX_NAME: usize = 80;

/// One project (`GET /api/projects`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProjectView {
    pub id: String,
    pub name: String,
}

/// Every project, `default` first (`ListProjects`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProjectList {
    pub projects: Vec<ProjectView>,
}

/// A project and what deleting it would take (`GetProject`): what the
/// confirmation names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProjectDetail {
    pub id: String,
    pub name: String,
    pub created_at: String,
    /// Connector instances, each with its keychain secrets.
    pub connectors: i64,
    pub incidents: i64,
    pub signals: i64,
    pub dead_letters: i64,
    /// Payloads accepted and not yet processed.
    pub waiting: i64,
}

/// A project just made (`CreateProject`), with its Alertmanager receiver's
/// secret: this answer is the only place it is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProjectCreated {
    pub id: String,
    pub name: String,
    pub receiver: NewWebhookSecret,
}

/// Why `id` cannot be a project id, if it cannot: a slug, as it goes into
/// URLs and keychain handles unescaped.
pub fn check_id(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "a project id is 1 to {MAX_ID} lowercase letters, digits and inner hyphens (like staging or eu-prod)"
        )))
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "a project name is 1 to {MAX_NAME} characters, without control characters"
        )));
    }
    Ok(name.to_string())
}

fn view(p: Project) -> ProjectView {
    ProjectView {
        id: p.id,
        name: p.name,
    }
}

fn no_project(id: &str) -> ApiError {
    ApiError::not_found(format!("no project '{id}'"))
}

impl App {
    pub async fn list_projects(&self) -> Result<ProjectList, ApiError> {
        let rows = self.store().read(projects::list).await?;
        Ok(ProjectList {
            projects: rows.into_iter().map(view).collect(),
        })
    }

    /// The project a list is asked for (`default` when none), once it is
    /// known to exist: an unknown one is a 404, never an empty list.
    pub(crate) async fn project_or_default(
        &self,
        project: Option<String>,
    ) -> Result<String, ApiError> {
        let id = project.unwrap_or_else(|| DEFAULT_PROJECT.to_string());
        let key = id.clone();
        match self.store().read(move |c| projects::get(c, &key)).await? {
            Some(_) => Ok(id),
            None => Err(no_project(&id)),
        }
    }

    pub async fn get_project(&self, id: String) -> Result<ProjectDetail, ApiError> {
        let key = id.clone();
        let found = self
            .store()
            .read(move |c| match projects::get(c, &key)? {
                Some(p) => Ok(Some((p, projects::contents(c, &key)?))),
                None => Ok(None),
            })
            .await?;
        let (p, c) = found.ok_or_else(|| no_project(&id))?;
        Ok(ProjectDetail {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            connectors: c.connectors,
            incidents: c.incidents,
            signals: c.signals,
            dead_letters: c.dead_letters,
            waiting: c.waiting,
        })
    }

    /// Makes a project and its Alertmanager receiver (`{id}-alertmanager`,
    /// at `/webhooks/alertmanager/{id}`), whose bearer secret the answer shows.
    pub async fn create_project(
        &self,
        id: String,
        name: String,
    ) -> Result<ProjectCreated, ApiError> {
        check_id(&id)?;
        let name = check_name(&name)?;
        let project = Project {
            id: id.clone(),
            name: name.clone(),
            created_at: causeway_store::ts(Utc::now()),
        };
        let receiver = Instance {
            id: format!("{id}-alertmanager"),
            descriptor_id: "alertmanager".into(),
            project_id: id.clone(),
            name: "Alertmanager".into(),
            enabled: true,
            config: "{}".into(),
        };
        let rid = receiver.id.clone();
        let team = self.in_team();
        let added = self
            .store()
            .write(move |c| {
                let tx = c.transaction()?;
                // An instance may hold the receiver's id (a user's own).
                if projects::get(&tx, &project.id)?.is_some()
                    || instances::get(&tx, &rid)?.is_some()
                {
                    return Ok(false);
                }
                // In a team the project is made where the log says, on
                // every member alike.
                if !team {
                    projects::insert(&tx, &project)?;
                }
                tx.commit()?;
                Ok(true)
            })
            .await?;
        if !added {
            return Err(ApiError::new(
                Code::Conflict,
                format!("project id '{id}' is taken: choose another"),
            ));
        }
        if team {
            let set = Decision::ProjectSet {
                id: id.clone(),
                name: name.clone(),
            };
            self.decide(set).await?;
        }
        let made = async {
            self.save_instance(receiver.clone(), true).await?;
            self.rotate_webhook_secret(receiver.id.clone()).await
        }
        .await;
        let secret = match made {
            Ok(s) => s,
            Err(e) => {
                // A project without its receiver's secret is not half-kept.
                let _ = self.remove_project_data(&id).await;
                return Err(e);
            }
        };
        tracing::info!(project = %id, receiver = %receiver.id, "project created");
        self.forget_receivers();
        self.sync_sources().await;
        self.emit(ChangeEvent::ProjectsChanged);
        self.emit(ChangeEvent::ConnectorsChanged);
        Ok(ProjectCreated {
            id,
            name,
            receiver: secret,
        })
    }

    pub async fn rename_project(&self, id: String, name: String) -> Result<ProjectView, ApiError> {
        let name = check_name(&name)?;
        self.project_or_default(Some(id.clone())).await?;
        if self.in_team() {
            let answer = self.decide(Decision::ProjectSet { id, name }).await?;
            return serde_json::from_value(answer)
                .map_err(|e| ApiError::new(Code::Internal, e.to_string()));
        }
        self.set_project_here(id, name).await
    }

    /// Makes or renames a project here (alone, or as the team log says).
    pub(crate) async fn set_project_here(
        &self,
        id: String,
        name: String,
    ) -> Result<ProjectView, ApiError> {
        let (key, new) = (id.clone(), name.clone());
        self.store()
            .write(move |c| {
                projects::ensure(c, &key, &causeway_store::ts(Utc::now()))?;
                projects::rename(c, &key, &new)
            })
            .await?;
        self.emit(ChangeEvent::ProjectsChanged);
        Ok(ProjectView { id, name })
    }

    /// Deletes a project with everything in it, its connectors' keychain
    /// secrets first: a failure there leaves the project whole.
    pub async fn delete_project(&self, id: String) -> Result<ProjectDetail, ApiError> {
        if id == DEFAULT_PROJECT {
            return Err(ApiError::new(
                Code::Conflict,
                "the default project cannot be deleted (it is where requests without a project go)",
            ));
        }
        if self.in_team() {
            // Its connector definitions leave the team's Redis first (each
            // member deletes its own secrets of them), then the project.
            self.get_project(id.clone()).await?;
            for inst in self.instances_of(&id).await? {
                self.drop_instance(inst.id).await?;
            }
            let answer = self.decide(Decision::ProjectDelete { id }).await?;
            return serde_json::from_value(answer)
                .map_err(|e| ApiError::new(Code::Internal, e.to_string()));
        }
        self.delete_project_here(id).await
    }

    async fn instances_of(&self, project: &str) -> Result<Vec<Instance>, ApiError> {
        let key = project.to_string();
        Ok(self
            .store()
            .read(move |c| {
                Ok(instances::list(c)?
                    .into_iter()
                    .filter(|i| i.project_id == key)
                    .collect())
            })
            .await?)
    }

    /// Deletes a project here (alone, or as the team log says).
    pub(crate) async fn delete_project_here(&self, id: String) -> Result<ProjectDetail, ApiError> {
        if id == DEFAULT_PROJECT {
            return Err(ApiError::new(
                Code::Conflict,
                "the default project cannot be deleted",
            ));
        }
        let gone = self.get_project(id.clone()).await?;
        for inst in self.instances_of(&id).await? {
            let config: serde_json::Value = serde_json::from_str(&inst.config).unwrap_or_default();
            let fields = crate::connectors::secrets_scope::all_fields(&config);
            let keychain = self.keychain().clone();
            tokio::task::spawn_blocking(move || {
                let names: Vec<&str> = fields.iter().map(String::as_str).collect();
                keychain.delete_instance(&inst.id, &names)
            })
            .await
            .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
            .map_err(keychain_error)?;
        }
        self.remove_project_data(&id).await?;
        tracing::info!(
            project = %id,
            connectors = gone.connectors,
            incidents = gone.incidents,
            signals = gone.signals,
            "project deleted"
        );
        self.forget_receivers();
        self.sync_sources().await;
        for e in [
            ChangeEvent::ProjectsChanged,
            ChangeEvent::ConnectorsChanged,
            ChangeEvent::SignalsChanged,
            ChangeEvent::DeadLettersChanged,
        ] {
            self.emit(e);
        }
        Ok(gone)
    }

    /// The rows and the engine of a project, in one transaction with the
    /// engine's saved state, so neither outlives the other.
    async fn remove_project_data(&self, id: &str) -> Result<(), ApiError> {
        let key = id.to_string();
        self.with_engine(move |tx, engine| {
            projects::delete(tx, &key)?;
            engine.remove_project(&key);
            Ok(())
        })
        .await
    }
}
