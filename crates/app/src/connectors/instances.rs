//! Connector instances: a configured connection in a project. Non-secret
//! settings live in SQLite; every secret goes straight to the OS keychain and
//! only its field name is kept, so nothing here can leak one.

use crate::api::error::{ApiError, Code};
use crate::api::requests::NewInstance;
use crate::App;
use causeway_connectors::secrets::{handle_for, SecretError};
use causeway_connectors::verify::Scheme;
use causeway_store::instances::{self, Instance};
use causeway_store::ts;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An instance as the UI and `GET /api/connectors/instances` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView {
    pub id: String,
    pub descriptor_id: String,
    pub project_id: String,
    pub name: String,
    pub enabled: bool,
    pub health: InstanceHealth,
    /// Where the tool should send its webhooks, when the server is listening.
    pub webhook_url: Option<String>,
    /// How its webhooks are verified: the scheme's type (`bearer`,
    /// `github_sha256`, …), or `none` when anyone who can reach the port
    /// may post; absent for a connector that takes no webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub verification: Option<String>,
    /// Non-secret settings.
    #[ts(type = "Record<string, unknown>")]
    pub config: serde_json::Value,
    /// Names of the secrets kept in the keychain for it (never their values).
    pub secret_fields: Vec<String>,
    /// For a connector that holds a connection (Kubernetes): how that
    /// connection is doing; absent otherwise or when it does not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stream: Option<crate::connectors::kubernetes::StreamHealth>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InstanceHealth {
    /// `waiting` (nothing received or polled yet), `healthy`, `degraded`
    /// (a failed poll, or payloads dead-lettered in the last day), `error`
    /// (failing: 3 polls in a row, or a failure that retrying cannot fix),
    /// `needs_reauth` (credentials refused: authorise again), `quiet` (no
    /// signal for several times its usual gap), `disabled`.
    pub state: String,
    pub items_received: i64,
    pub items_dead_lettered: i64,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    /// `retry`, `fail`, `needs_reauth` for the last error.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_class: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_poll_at: Option<String>,
    /// When the next attempt after a failure is due (the retry plan).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<i64>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polls: Option<i64>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_fetched: Option<i64>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_published: Option<i64>,
    /// Polled items not published again because they had not changed.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_skipped: Option<i64>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signals24h: Option<i64>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signals7d: Option<i64>,
    /// Signals per hour over the last 24 hours, oldest first (a sparkline).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly: Option<Vec<i64>>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_since: Option<String>,
    /// A source (poller or stream) runs for it in this process.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InstanceList {
    pub instances: Vec<InstanceView>,
}

/// One connector of `GET /api/connectors/catalogue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueEntry {
    pub id: String,
    pub name: String,
    pub description: String,
    pub icon: String,
    /// "Project Management", "Communication", "Code & DevOps", "Observability", "Documents", "Custom".
    pub category: String,
    /// `native` or `generic`.
    pub kind: String,
    #[ts(type = "{ type: string, scheme?: { type: string, [k: string]: unknown } }")]
    pub auth: serde_json::Value,
    #[ts(type = "{ mode: string, [k: string]: unknown }")]
    pub ingestion: serde_json::Value,
    /// JSON Schema of the settings; secret properties carry `"x-secret": true`.
    /// Kept whole as JSON; the UI's type names the part its wizard draws.
    #[ts(as = "crate::connectors::setup_schema::ConfigSchema")]
    pub config_schema: serde_json::Value,
    /// Configured instances of it, and how many of those are unhealthy.
    pub instances: usize,
    pub unhealthy: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Catalogue {
    pub connectors: Vec<CatalogueEntry>,
}

pub(crate) fn secret_fields(config: &serde_json::Value) -> Vec<String> {
    config["secretFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Refuses secret fields inside `config`: a value marked `x-secret` by the
/// connector's schema (or a webhook or OAuth secret) given there would be
/// stored in SQLite and returned by the API. It belongs in `secrets`.
pub(crate) fn refuse_secrets_in_config(
    descriptor_id: &str,
    config: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    let schema = causeway_connectors::descriptor::builtin_or_user(descriptor_id)
        .map(|d| &d.config_schema["properties"]);
    let secret = |k: &str| {
        crate::connectors::secrets_scope::all_fields(&serde_json::Value::Null)
            .iter()
            .any(|f| f == k)
            || schema.is_some_and(|p| p[k]["x-secret"] == true)
    };
    match config.iter().find(|(k, v)| !v.is_null() && secret(k)) {
        Some((k, _)) => Err(ApiError::bad_request(format!(
            "'{k}' is a secret: give it in `secrets` (it goes to the OS keychain), not in `config`"
        ))),
        None => Ok(()),
    }
}

pub(crate) fn keychain_error(e: SecretError) -> ApiError {
    match e {
        SecretError::Unavailable(m) => ApiError::new(Code::KeychainUnavailable, m),
        other => ApiError::new(Code::Keychain, other.to_string()),
    }
}

/// Every instance with its polling state and the extras the API shows.
pub(crate) fn listed(
    c: &causeway_store::Connection,
) -> causeway_store::Result<Vec<(Instance, instances::State, Extra)>> {
    instances::list(c)?
        .into_iter()
        .map(|i| {
            let st = instances::state(c, &i.id)?;
            let ex = extra(c, &i.id)?;
            Ok((i, st, ex))
        })
        .collect()
}

/// The health state an instance shows (in the API and in `/metrics`) and
/// its error: a watched cluster's is its connection's, the rest come from
/// the counters.
pub(crate) fn shown_health(
    enabled: bool,
    state: &instances::State,
    recent_dead: i64,
    stream: Option<&crate::connectors::kubernetes::StreamHealth>,
) -> (&'static str, Option<String>) {
    match stream {
        Some(s) => {
            let shown = match s.state.as_str() {
                // Connected, but its watches went silent.
                "connected" if state.quiet_since.is_some() => "quiet",
                "connected" => "healthy",
                // Reconnecting, or a stream waiting for the inbox to catch up.
                "reconnecting" | "waiting" => "degraded",
                "error" => "error",
                _ => "waiting",
            };
            (shown, s.message.clone())
        }
        None => (
            crate::connectors::health::state_of(enabled, state, recent_dead),
            state.last_error.clone(),
        ),
    }
}

fn no_instance(id: &str) -> ApiError {
    ApiError::not_found(format!("no connector instance {id}"))
}

impl App {
    /// Where the server listens (`http://127.0.0.1:8787`), for webhook URLs.
    pub fn set_base_url(&self, url: String) {
        if let Ok(mut b) = self.base_url.write() {
            *b = Some(url);
        }
    }

    pub(crate) fn view(&self, i: Instance, state: instances::State, extra: Extra) -> InstanceView {
        let config: serde_json::Value = serde_json::from_str(&i.config).unwrap_or_default();
        let Extra {
            recent_dead,
            hourly,
            day,
            week,
        } = extra;
        let base = self.base_url.read().ok().and_then(|b| b.clone());
        let stream = self.stream_health(&i.id);
        let (health_state, last_error) =
            shown_health(i.enabled, &state, recent_dead, stream.as_ref());
        let takes_webhooks = causeway_connectors::descriptor::takes_webhooks(&i.descriptor_id);
        let verification = (takes_webhooks && i.descriptor_id != "causeway")
            .then(|| {
                let d = causeway_connectors::descriptor::builtin_or_user(&i.descriptor_id);
                crate::connectors::webhook_secrets::effective_scheme(&config, d).ok()
            })
            .flatten()
            .map(|s| {
                serde_json::to_value(s).unwrap_or_default()["type"]
                    .as_str()
                    .unwrap_or("none")
                    .to_string()
            });
        InstanceView {
            verification,
            webhook_url: base
                .filter(|_| takes_webhooks)
                .map(|b| match i.descriptor_id.as_str() {
                    // The ingest API has its own route, behind its tokens.
                    "causeway" => format!("{b}/v1/incidents/ingest"),
                    _ => format!("{b}/webhooks/{}/{}", i.descriptor_id, i.project_id),
                }),
            stream,
            secret_fields: secret_fields(&config),
            health: InstanceHealth {
                state: health_state.into(),
                items_received: state.items_received,
                items_dead_lettered: state.items_dead_lettered,
                last_success_at: state.last_success_at,
                last_error,
                consecutive_failures: state.consecutive_failures,
                last_error_class: state.last_error_class,
                last_poll_at: state.last_poll_at,
                next_attempt_at: state.next_attempt_at,
                latency_ms: state.last_latency_ms,
                polls: Some(state.polls),
                items_fetched: Some(state.items_fetched),
                items_published: Some(state.items_published),
                items_skipped: Some(state.items_skipped),
                signals24h: Some(day),
                signals7d: Some(week),
                hourly: Some(hourly),
                quiet_since: state.quiet_since,
                running: Some(self.source_running(&i.id)),
            },
            config,
            id: i.id,
            descriptor_id: i.descriptor_id,
            project_id: i.project_id,
            name: i.name,
            enabled: i.enabled,
        }
    }

    /// One project's instances, or every project's when `project` is none.
    pub async fn list_instances(&self, project: Option<String>) -> Result<InstanceList, ApiError> {
        let only = match project {
            Some(p) => Some(self.project_or_default(Some(p)).await?),
            None => None,
        };
        let rows = self.store().read(listed).await?;
        Ok(InstanceList {
            instances: rows
                .into_iter()
                .filter(|(i, _, _)| only.as_ref().is_none_or(|p| &i.project_id == p))
                .map(|(i, s, e)| self.view(i, s, e))
                .collect(),
        })
    }

    /// The stored instance `id`, or `not_found`.
    pub(crate) async fn stored_instance(&self, id: &str) -> Result<Instance, ApiError> {
        let key = id.to_string();
        self.store()
            .read(move |c| instances::get(c, &key))
            .await?
            .ok_or_else(|| no_instance(id))
    }

    /// One instance as the API shows it.
    pub async fn get_instance(&self, id: String) -> Result<InstanceView, ApiError> {
        let key = id.clone();
        let found = self
            .store()
            .read(move |c| match instances::get(c, &key)? {
                Some(i) => Ok(Some((i, instances::state(c, &key)?, extra(c, &key)?))),
                None => Ok(None),
            })
            .await?;
        let (i, s, e) = found.ok_or_else(|| no_instance(&id))?;
        Ok(self.view(i, s, e))
    }

    /// Creates an instance: secrets to the keychain first (a keychain that is
    /// not there fails the whole request, never falls back to plaintext),
    /// then the row.
    pub async fn create_instance(&self, new: NewInstance) -> Result<InstanceView, ApiError> {
        let Some(descriptor) = causeway_connectors::catalogue()
            .into_iter()
            .find(|d| d.id == new.descriptor_id)
        else {
            return Err(ApiError::bad_request(format!(
                "no connector '{}'",
                new.descriptor_id
            )));
        };
        if new.name.trim().is_empty() || new.name.len() > 200 {
            return Err(ApiError::bad_request("name must be 1 to 200 characters"));
        }
        let mut config = match new.config {
            serde_json::Value::Object(m) => m,
            serde_json::Value::Null => Default::default(),
            _ => return Err(ApiError::bad_request("config must be an object")),
        };
        refuse_secrets_in_config(&descriptor.id, &config)?;
        // Verification: as the instance says, else as its descriptor says.
        let scheme = match config.get("verify").filter(|v| !v.is_null()) {
            Some(v) => serde_json::from_value::<Scheme>(v.clone()).map_err(|e| {
                ApiError::bad_request(format!("config.verify is not a known scheme: {e}"))
            })?,
            None => descriptor.auth.scheme.clone().unwrap_or(Scheme::None),
        };
        let scheme_json = serde_json::to_value(&scheme).unwrap_or_default();
        // An instance that pulls needs no webhook secret; deliveries to it
        // are refused until one is set, since its scheme still applies.
        let mut probe = config.clone();
        probe.insert(
            "secretFields".into(),
            serde_json::json!(new.secrets.keys().collect::<Vec<_>>()),
        );
        let pulls = causeway_connectors::registry::poller_for(
            &new.descriptor_id,
            &serde_json::Value::Object(probe),
        )
        .is_some();
        if scheme.needs_secret() && !pulls && !new.secrets.contains_key("webhookSecret") {
            return Err(ApiError::bad_request(format!(
                "{} verifies each webhook ({}); give its shared secret as secrets.webhookSecret",
                descriptor.name,
                scheme_json["type"].as_str().unwrap_or_default()
            )));
        }
        config.insert("verify".into(), scheme_json);
        crate::connectors::streams::check_config(
            &descriptor.id,
            &serde_json::Value::Object(config.clone()),
        )?;
        if let Some(field) = new.secrets.keys().find(|k| k.is_empty() || k.contains('/')) {
            return Err(ApiError::bad_request(format!(
                "secret field '{field}' is not a plain name"
            )));
        }
        let fields: Vec<String> = new.secrets.keys().cloned().collect();
        config.insert("secretFields".into(), serde_json::json!(fields));
        let project = new.project_id.clone();
        let base = slug(&format!("{}-{}", new.descriptor_id, new.name));
        let id = self
            .store()
            .read(move |c| {
                if !instances::project_exists(c, &project)? {
                    return Ok(None);
                }
                let mut id = base.clone();
                let mut n = 2;
                while instances::get(c, &id)?.is_some() {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                Ok(Some(id))
            })
            .await?
            .ok_or_else(|| ApiError::bad_request(format!("no project '{}'", new.project_id)))?;
        let keychain = self.keychain.clone();
        let (kid, secrets) = (id.clone(), new.secrets);
        tokio::task::spawn_blocking(move || {
            for (field, value) in &secrets {
                keychain.put(&handle_for(&kid, field), value)?;
            }
            Ok::<_, SecretError>(())
        })
        .await
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
        .map_err(keychain_error)?;
        let instance = Instance {
            id: id.clone(),
            descriptor_id: new.descriptor_id,
            project_id: new.project_id,
            name: new.name,
            enabled: true,
            config: serde_json::Value::Object(config).to_string(),
        };
        self.save_instance(instance.clone(), true).await?;
        tracing::info!(instance = %id, descriptor = %instance.descriptor_id, secrets = fields.len(), "connector instance created");
        self.sync_sources().await;
        self.emit(crate::api::views::ChangeEvent::ConnectorsChanged);
        Ok(self.view(instance, instances::State::default(), Extra::default()))
    }

    /// Deletes an instance and its keychain secrets.
    pub async fn delete_instance(&self, id: String) -> Result<(), ApiError> {
        let inst = self.stored_instance(&id).await?;
        let config: serde_json::Value = serde_json::from_str(&inst.config).unwrap_or_default();
        // Also what an OAuth sign-in or refresh wrote, never listed in the config.
        let fields = crate::connectors::secrets_scope::all_fields(&config);
        let keychain = self.keychain.clone();
        let kid = id.clone();
        tokio::task::spawn_blocking(move || {
            let names: Vec<&str> = fields.iter().map(String::as_str).collect();
            keychain.delete_instance(&kid, &names)
        })
        .await
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
        .map_err(keychain_error)?;
        self.drop_instance(id).await?;
        self.sync_sources().await;
        self.emit(crate::api::views::ChangeEvent::ConnectorsChanged);
        Ok(())
    }

    pub async fn set_instance_enabled(
        &self,
        id: String,
        enabled: bool,
    ) -> Result<InstanceView, ApiError> {
        let mut inst = self.stored_instance(&id).await?;
        inst.enabled = enabled;
        self.save_instance(inst, false).await?;
        let key = id.clone();
        let found = self
            .store()
            .read(move |c| {
                Ok(Some((
                    instances::get(c, &key)?,
                    instances::state(c, &key)?,
                    extra(c, &key)?,
                )))
            })
            .await?;
        self.sync_sources().await;
        self.emit(crate::api::views::ChangeEvent::ConnectorsChanged);
        match found {
            Some((Some(i), st, ex)) => Ok(self.view(i, st, ex)),
            _ => Err(no_instance(&id)),
        }
    }

    /// The connector catalogue: every descriptor, and how many instances each has.
    pub async fn catalogue(&self) -> Result<Catalogue, ApiError> {
        let instances = self.list_instances(None).await?.instances;
        let connectors = causeway_connectors::catalogue()
            .into_iter()
            .map(|d| {
                let v = serde_json::to_value(&d).unwrap_or_default();
                CatalogueEntry {
                    instances: instances.iter().filter(|i| i.descriptor_id == d.id).count(),
                    unhealthy: instances
                        .iter()
                        .filter(|i| {
                            i.descriptor_id == d.id
                                && matches!(
                                    i.health.state.as_str(),
                                    "error" | "degraded" | "needs_reauth" | "quiet"
                                )
                        })
                        .count(),
                    id: d.id,
                    name: d.name,
                    description: d.description,
                    icon: d.icon,
                    category: v["category"].as_str().unwrap_or_default().to_string(),
                    kind: v["kind"].as_str().unwrap_or_default().to_string(),
                    auth: v["auth"].clone(),
                    ingestion: v["ingestion"].clone(),
                    config_schema: d.config_schema,
                }
            })
            .collect();
        Ok(Catalogue { connectors })
    }
}

/// What the health view reads besides the state row.
#[derive(Debug, Clone)]
pub(crate) struct Extra {
    pub recent_dead: i64,
    /// Signals per hour over the last 24 hours, oldest first.
    pub hourly: Vec<i64>,
    pub day: i64,
    pub week: i64,
}

impl Default for Extra {
    /// A new instance: nothing yet, every hour zero.
    fn default() -> Self {
        Extra {
            recent_dead: 0,
            hourly: vec![0; 24],
            day: 0,
            week: 0,
        }
    }
}

pub(crate) fn extra(c: &causeway_store::Connection, id: &str) -> causeway_store::Result<Extra> {
    let now = Utc::now();
    let (hourly, day, week) = instances::signal_counts(c, id, now)?;
    Ok(Extra {
        recent_dead: instances::dead_letters_since(c, id, &ts(now - chrono::Duration::days(1)))?,
        hourly,
        day,
        week,
    })
}

/// `Grafana Prod!` → `grafana-prod`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(60).collect()
}
