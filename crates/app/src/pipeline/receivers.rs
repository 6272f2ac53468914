//! Which instance takes the webhooks of a (connector, project), and how it
//! verifies them — kept in memory for a few seconds.
//!
//! Looking the instance up in SQLite and its secrets up in the keychain (a
//! D-Bus round trip) for every request made a flood of small webhooks
//! several times slower than the commit itself. The answer changes only when
//! someone edits the instance, which clears it ([`App::forget_receivers`]);
//! the short lifetime covers edits made by another process. Secrets held
//! here stay in [`Sensitive`] and are never written anywhere.

use crate::connectors::webhook_secrets::{effective_scheme, SECRET_FIELDS};
use crate::pipeline::gateway::WebhookRejection;
use crate::pipeline::limits::Rate;
use crate::App;
use causeway_connectors::secrets::{handle_for, SecretError};
use causeway_connectors::verify::Scheme;
use causeway_core::Sensitive;
use causeway_store::instances;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long an answer is kept.
const TTL: Duration = Duration::from_secs(5);
/// Distinct (connector, project) answers kept at most; URLs are chosen by
/// whoever sends, so this bounds what a scan of random paths can cost.
const MAX_ENTRIES: usize = 1024;

/// An enabled instance ready to take webhooks.
pub(crate) struct Receiver {
    pub instance: instances::Instance,
    /// Its verified deliveries' bucket.
    pub rate: Rate,
    pub scheme: Scheme,
    /// Media types its descriptor takes (`application/json` unless it says).
    pub content_types: Vec<String>,
    /// The request header its descriptor reads the event type from.
    pub event_header: Option<String>,
    /// The active webhook secrets (current, and previous during a rotation);
    /// empty when the scheme needs none.
    pub secrets: Vec<Sensitive<String>>,
}

type Key = (String, String);
/// When the answer was looked up, and the answer (`None`: no such instance).
type Entry = (Instant, Option<Arc<Receiver>>);

#[derive(Default)]
pub(crate) struct Receivers {
    entries: RwLock<HashMap<Key, Entry>>,
}

impl Receivers {
    fn fresh(&self, key: &Key) -> Option<Option<Arc<Receiver>>> {
        let entries = self.entries.read().ok()?;
        let (at, r) = entries.get(key)?;
        (at.elapsed() < TTL).then(|| r.clone())
    }

    fn keep(&self, key: Key, r: Option<Arc<Receiver>>) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (Instant::now(), r));
        }
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

impl App {
    /// Drops every remembered receiver: call after any change to an
    /// instance, its config or its secrets.
    pub fn forget_receivers(&self) {
        self.receivers.clear();
    }

    /// The enabled instance taking `connector` webhooks in `project`, with
    /// its verification; `None` when there is none.
    pub(crate) async fn receiver(
        &self,
        connector: &str,
        project: &str,
    ) -> Result<Option<Arc<Receiver>>, WebhookRejection> {
        let key = (connector.to_string(), project.to_string());
        if let Some(known) = self.receivers.fresh(&key) {
            return Ok(known);
        }
        let (c, p) = key.clone();
        let instance = self
            .store
            .read(move |conn| instances::enabled_for(conn, &c, &p))
            .await
            .map_err(|e| WebhookRejection::Storage(e.to_string()))?;
        let Some(instance) = instance else {
            self.receivers.keep(key, None);
            return Ok(None);
        };
        let config: serde_json::Value = serde_json::from_str(&instance.config).unwrap_or_default();
        let descriptor = causeway_connectors::descriptor::builtin_or_user(&instance.descriptor_id);
        let scheme = effective_scheme(&config, descriptor)
            .map_err(|e| {
                WebhookRejection::Storage(format!(
                    "instance {} has an unusable 'verify' setting: {e}",
                    instance.id
                ))
            })?
            .with_instance_config(&config);
        let secrets = if scheme == Scheme::None {
            Vec::new()
        } else {
            self.webhook_secrets(&instance.id).await?
        };
        let r = Arc::new(Receiver {
            instance,
            rate: Rate::from_config(&config, crate::pipeline::limits::DEFAULT_WEBHOOKS),
            scheme,
            content_types: descriptor.map_or_else(
                || vec!["application/json".to_string()],
                |d| d.ingestion.content_types.clone(),
            ),
            event_header: descriptor.and_then(|d| d.ingestion.event_type_header.clone()),
            secrets,
        });
        self.receivers.keep(key, Some(r.clone()));
        Ok(Some(r))
    }

    /// The instance's active webhook secrets from the OS keychain.
    async fn webhook_secrets(
        &self,
        instance_id: &str,
    ) -> Result<Vec<Sensitive<String>>, WebhookRejection> {
        let keychain = self.keychain.clone();
        let id = instance_id.to_string();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for field in SECRET_FIELDS {
                match keychain.get(&handle_for(&id, field)) {
                    Ok(v) => out.push(v),
                    Err(SecretError::NotFound { .. }) => {}
                    Err(e) => return Err(WebhookRejection::Storage(e.to_string())),
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| WebhookRejection::Storage(e.to_string()))?
    }
}
