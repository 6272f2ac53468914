//! What one does to a connector instance besides creating and deleting it:
//! change it, test it (before or after creating it), sign in with OAuth,
//! and collect Prometheus evidence for an incident.

use crate::api::error::{ApiError, Code};
use crate::api::requests::InstanceUpdate;
use crate::api::requests::NewInstance;
use crate::connectors::instances::InstanceView;
use crate::App;
use causeway_connectors::poll::{dry_run, http::Exchange};
use causeway_connectors::registry::poller_for;
use causeway_connectors::runtime::{stop_pair, InstanceInfo};
use causeway_connectors::secrets::handle_for;
use causeway_connectors::{headers_from_json, normalize_bytes, Context};
use causeway_core::{Sensitive, Signal};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// `POST /api/connectors/instances/{id}/test`: the health check and a dry run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub ok: bool,
    pub latency_ms: u64,
    /// For a person: what worked, or what failed and what to do.
    pub message: String,
    /// The signals a first poll would bring (nothing is stored).
    pub sample: Vec<Signal>,
    /// The requests sent and what came back, secrets scrubbed.
    #[ts(
        type = "Array<{ method: string, url: string, headers: Record<string, string>, body?: string, status: number | null, latencyMs: number, response: string }>"
    )]
    pub requests: Vec<serde_json::Value>,
    /// `retry`, `fail`, `needs_reauth` when it failed.
    pub error_class: Option<String>,
}

/// The OAuth sign-in link for an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    pub authorize_url: String,
}

/// The signals test payload `i` would become, stored nowhere.
pub(crate) fn test_signals(
    info: &InstanceInfo,
    i: usize,
    connector: &str,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> Result<Vec<Signal>, causeway_connectors::NormalizeError> {
    let raw_ref = format!("test:{i}");
    let ctx = Context {
        project: &info.project_id,
        instance: &info.id,
        received_at: Utc::now(),
        raw_ref: &raw_ref,
        headers,
    };
    normalize_bytes(connector, body, &ctx)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(Code::Internal, e.to_string())
}

impl App {
    /// Changes an instance's name, settings, secrets or enabled flag; a
    /// running source restarts with the new settings once its poll in
    /// flight is done.
    pub async fn update_instance(
        &self,
        id: String,
        u: InstanceUpdate,
    ) -> Result<InstanceView, ApiError> {
        let mut inst = self.stored_instance(&id).await?;
        let mut config: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&inst.config).unwrap_or_default();
        if let Some(n) = u.name {
            if n.trim().is_empty() || n.len() > 200 {
                return Err(ApiError::bad_request("name must be 1 to 200 characters"));
            }
            inst.name = n;
        }
        if let Some(e) = u.enabled {
            inst.enabled = e;
        }
        match u.config {
            None => {}
            Some(serde_json::Value::Object(m)) => {
                crate::connectors::instances::refuse_secrets_in_config(&inst.descriptor_id, &m)?;
                // `verify` is kept a known scheme; `null` clears it, and the
                // descriptor's scheme applies again (never "none" unsaid).
                if let Some(v) = m.get("verify").filter(|v| !v.is_null()) {
                    serde_json::from_value::<causeway_connectors::verify::Scheme>(v.clone())
                        .map_err(|e| {
                            ApiError::bad_request(format!(
                                "config.verify is not a known scheme: {e}"
                            ))
                        })?;
                }
                for (k, v) in m {
                    if k == "secretFields" {
                        continue;
                    }
                    if v.is_null() {
                        config.remove(&k);
                    } else {
                        config.insert(k, v);
                    }
                }
            }
            Some(_) => return Err(ApiError::bad_request("config must be an object")),
        }
        if let Some(field) = u.secrets.keys().find(|k| k.is_empty() || k.contains('/')) {
            return Err(ApiError::bad_request(format!(
                "secret field '{field}' is not a plain name"
            )));
        }
        let mut fields =
            crate::connectors::instances::secret_fields(&serde_json::Value::Object(config.clone()));
        for f in u.secrets.keys() {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }
        config.insert("secretFields".into(), serde_json::json!(fields));
        let keychain = self.keychain.clone();
        let (kid, secrets) = (id.clone(), u.secrets);
        let new_secrets = tokio::task::spawn_blocking(move || {
            let mut changed = false;
            for (field, value) in &secrets {
                let handle = handle_for(&kid, field);
                // The same value again (connectors.json reloaded) is no
                // new credential: nothing to write or restart.
                if keychain
                    .get(&handle)
                    .is_ok_and(|v| v.expose() == value.expose())
                {
                    continue;
                }
                keychain.put(&handle, value)?;
                changed = true;
            }
            Ok::<_, causeway_connectors::secrets::SecretError>(changed)
        })
        .await
        .map_err(internal)?
        .map_err(crate::connectors::instances::keychain_error)?;
        crate::connectors::streams::check_config(
            &inst.descriptor_id,
            &serde_json::Value::Object(config.clone()),
        )?;
        inst.config = serde_json::Value::Object(config).to_string();
        self.save_instance(inst.clone(), false).await?;
        if new_secrets {
            // New credentials: do not wait out a re-auth pause.
            self.restart_source(&id);
        }
        self.sync_sources().await;
        self.emit(crate::api::views::ChangeEvent::ConnectorsChanged);
        self.get_instance(id).await
    }

    /// Tests a configured instance: one dry poll, nothing stored.
    pub async fn test_instance(&self, id: String) -> Result<TestResult, ApiError> {
        let inst = self.stored_instance(&id).await?;
        let info = InstanceInfo {
            id: inst.id,
            descriptor_id: inst.descriptor_id,
            project_id: inst.project_id,
            name: inst.name,
            config: serde_json::from_str(&inst.config).unwrap_or_default(),
        };
        self.dry_test(info, None).await
    }

    /// Tests settings and secrets before an instance exists (the setup form).
    pub async fn test_connection(&self, new: NewInstance) -> Result<TestResult, ApiError> {
        if causeway_connectors::descriptor::builtin_or_user(&new.descriptor_id).is_none() {
            return Err(ApiError::bad_request(format!(
                "no connector '{}'",
                new.descriptor_id
            )));
        }
        let mut config = match new.config {
            serde_json::Value::Null => serde_json::json!({}),
            serde_json::Value::Object(m) => {
                crate::connectors::instances::refuse_secrets_in_config(&new.descriptor_id, &m)?;
                serde_json::Value::Object(m)
            }
            _ => return Err(ApiError::bad_request("config must be an object")),
        };
        config["secretFields"] = serde_json::json!(new.secrets.keys().collect::<Vec<_>>());
        let info = InstanceInfo {
            id: format!("test-{}", new.descriptor_id),
            descriptor_id: new.descriptor_id,
            project_id: new.project_id,
            name: new.name,
            config,
        };
        self.dry_test(info, Some(new.secrets)).await
    }

    async fn dry_test(
        &self,
        info: InstanceInfo,
        secrets: Option<BTreeMap<String, Sensitive<String>>>,
    ) -> Result<TestResult, ApiError> {
        if info.descriptor_id == causeway_connectors::sources::kubernetes::CONNECTOR_ID {
            return Ok(crate::connectors::kubernetes::test(&info).await);
        }
        if info.descriptor_id == causeway_connectors::sources::redis_streams::ID {
            return Ok(self.test_stream(info, secrets).await);
        }
        let Some(poller) = poller_for(&info.descriptor_id, &info.config) else {
            return Ok(TestResult {
                ok: true,
                latency_ms: 0,
                message: format!(
                    "{} receives webhooks; there is nothing to pull. Send a test delivery from the tool to check it.",
                    info.name
                ),
                sample: Vec::new(),
                requests: Vec::new(),
                error_class: None,
            });
        };
        // Never stopped: a test runs to its end (its requests have timeouts).
        let (_keep, stop) = stop_pair();
        let ctx = self
            .source_context(info.clone(), stop, secrets)
            .map_err(internal)?;
        let run = dry_run(poller.as_ref(), ctx).await;
        let requests: Vec<serde_json::Value> = run
            .exchanges
            .iter()
            .map(|e: &Exchange| serde_json::to_value(e).unwrap_or_default())
            .collect();
        let mut sample = Vec::new();
        let mut unreadable = Vec::new();
        for (i, p) in run.payloads.iter().enumerate() {
            let headers = headers_from_json(&serde_json::to_value(&p.headers).unwrap_or_default());
            let connector = p.connector_id.as_deref().unwrap_or(&info.descriptor_id);
            match test_signals(&info, i, connector, &headers, &p.body) {
                Ok(s) => sample.extend(s),
                Err(e) => unreadable.push(e.to_string()),
            }
        }
        let latency_ms = run.latency.as_millis() as u64;
        Ok(match run.ok {
            Ok(o) => TestResult {
                ok: unreadable.is_empty(),
                latency_ms,
                message: if unreadable.is_empty() {
                    format!(
                        "Connected in {latency_ms} ms: {} item(s) on the first page, {} signal(s) would be created.",
                        o.fetched,
                        sample.len()
                    )
                } else {
                    format!(
                        "Connected, but the answer does not map: {}",
                        unreadable.join("; ")
                    )
                },
                sample,
                requests,
                error_class: None,
            },
            Err(e) => TestResult {
                ok: false,
                latency_ms,
                message: e.message,
                sample,
                requests,
                error_class: Some(e.class.as_str().into()),
            },
        })
    }

    /// Restarts an instance's source now (new credentials, a finished sign-in).
    pub(crate) fn restart_source(&self, id: &str) {
        self.forget_source(id);
    }

    /// Starts the OAuth sign-in for an instance: the browser opens the
    /// provider's page (or the caller shows the returned link); the tokens
    /// land in the keychain when the provider redirects back to loopback.
    pub async fn authorize_instance(
        &self,
        id: String,
        open: bool,
    ) -> Result<Authorization, ApiError> {
        use causeway_connectors::poll::auth::{authorize, open_browser, AuthSpec};
        let inst = self.stored_instance(&id).await?;
        let d = causeway_connectors::descriptor::builtin_or_user(&inst.descriptor_id)
            .ok_or_else(|| ApiError::bad_request("unknown connector"))?;
        let spec = d
            .polling
            .as_ref()
            .and_then(|p| {
                p.auth.list().into_iter().find_map(|a| match a {
                    AuthSpec::Oauth2(o) if o.grant == "authorization_code" => Some(o),
                    _ => None,
                })
            })
            .ok_or_else(|| {
                ApiError::bad_request(format!("{} does not sign in with OAuth", d.name))
            })?;
        let config: serde_json::Value = serde_json::from_str(&inst.config).unwrap_or_default();
        let info = InstanceInfo {
            id: inst.id.clone(),
            descriptor_id: inst.descriptor_id,
            project_id: inst.project_id,
            name: inst.name,
            config: config.clone(),
        };
        let (_keep, stop) = stop_pair();
        let ctx = self.source_context(info, stop, None).map_err(internal)?;
        let fetcher = causeway_connectors::poll::http::Fetcher {
            client: ctx.http.clone(),
            settings: causeway_connectors::poll::settings::RunSettings::from_config(
                &config,
                std::time::Duration::from_secs(60),
                0,
            ),
            pacer: Default::default(),
            overrides: Default::default(),
            record: None,
        };
        let template = std::sync::Arc::new(move |t: &str| {
            causeway_connectors::poll::generic::render(t, &serde_json::json!({ "config": config }))
        });
        let a = authorize(
            ctx,
            fetcher,
            spec,
            template,
            std::time::Duration::from_secs(600),
        )
        .await
        .map_err(|e| ApiError::bad_request(e.message))?;
        let app = self.clone();
        let iid = inst.id;
        tokio::spawn(async move {
            let _keep = _keep;
            match a.finish.await {
                Ok(()) => {
                    tracing::info!(instance = %iid, "OAuth sign-in complete");
                    app.restart_source(&iid);
                    app.sync_sources().await;
                }
                Err(e) => {
                    tracing::warn!(instance = %iid, error = %e.message, "OAuth sign-in did not complete")
                }
            }
        });
        if open {
            if let Err(e) = open_browser(&a.authorize_url) {
                tracing::warn!(error = %e, "cannot open a browser; show the link instead");
            }
        }
        Ok(Authorization {
            authorize_url: a.authorize_url,
        })
    }
}
