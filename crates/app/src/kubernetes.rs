//! The native Kubernetes connector in the app: one watch per enabled
//! `kubernetes` instance, started with the app and with the instance,
//! stopped when it is disabled or deleted.
//!
//! Its Events are committed to the inbox exactly as a webhook body is (then
//! normalized, correlated, dead-lettered on failure, re-playable), once per
//! Event version across restarts; its objects become part of the live
//! topology. Its health is kept in memory and shown with the instance.

use crate::error::ApiError;
use crate::metrics::label;
use crate::App;
use causeway_connectors::kubernetes::{
    self as kube_connector, ContextList, Health, HealthReport, Settings, Sink, StreamItem, Tuning,
    CONNECTOR_ID,
};
use causeway_store::instances::{self, Instance};
use causeway_store::{inbox, ts, webhook_deliveries};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use ts_rs::TS;

/// The running streams, by instance id.
#[derive(Default)]
pub(crate) struct Streams {
    running: Mutex<BTreeMap<String, Running>>,
    /// Timings for the streams started from now on.
    tuning: Mutex<Tuning>,
}

struct Running {
    health: Health,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Streams {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Running>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A Kubernetes connector's connection, as the UI shows it with the instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StreamHealth {
    /// `connecting`, `connected`, `reconnecting` or `error`.
    pub state: String,
    /// What is wrong, in words (unreachable API server, expired credentials,
    /// forbidden namespace…); `null` when connected.
    pub message: Option<String>,
    pub context: Option<String>,
    pub server: Option<String>,
    /// Topology objects known from the cluster.
    pub objects: i64,
    /// Events taken in since the connector started.
    pub events: i64,
    pub last_event_at: Option<String>,
    /// Since when `state` holds.
    pub since: String,
}

impl From<HealthReport> for StreamHealth {
    fn from(r: HealthReport) -> Self {
        StreamHealth {
            state: r.state.as_str().to_string(),
            message: r.message,
            context: r.context,
            server: r.server,
            objects: r.objects as i64,
            events: r.events as i64,
            last_event_at: r.last_event_at.map(ts),
            since: ts(r.since),
        }
    }
}

/// The contexts of the user's kubeconfig, for the setup form's picker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KubeContexts {
    /// Where they were read from.
    pub source: String,
    /// The default: the file's `current-context`.
    pub current: Option<String>,
    pub contexts: Vec<KubeContext>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KubeContext {
    pub name: String,
    pub cluster: String,
    pub server: Option<String>,
    pub namespace: Option<String>,
    pub user: Option<String>,
}

impl From<ContextList> for KubeContexts {
    fn from(l: ContextList) -> Self {
        KubeContexts {
            source: l.source,
            current: l.current,
            contexts: l
                .contexts
                .into_iter()
                .map(|c| KubeContext {
                    name: c.name,
                    cluster: c.cluster,
                    server: c.server,
                    namespace: c.namespace,
                    user: c.user,
                })
                .collect(),
        }
    }
}

/// The app as the connector's sink: Events to the inbox, objects to the
/// live topology.
struct AppSink {
    app: App,
    instance: Instance,
}

impl Sink for AppSink {
    async fn commit(&self, items: Vec<StreamItem>) -> Result<usize, String> {
        self.app
            .commit_stream_items(&self.instance, items)
            .await
            .map_err(|e| e.to_string())
    }

    async fn topology(&self, objects: Vec<Arc<Value>>) {
        self.app
            .set_live_topology(&self.instance.id, Some(objects))
            .await;
    }
}

/// Checks a `kubernetes` instance's config before it is stored.
pub(crate) fn check_config(config: &Value) -> Result<(), ApiError> {
    Settings::from_config(config)
        .map(|_| ())
        .map_err(ApiError::bad_request)
}

impl App {
    /// Starts a watch for every enabled Kubernetes instance (in the
    /// background: reading the instances takes the store).
    pub(crate) fn start_streams(&self) {
        let app = self.clone();
        tokio::spawn(async move {
            let found = app
                .store()
                .read(|c| {
                    Ok(instances::list(c)?
                        .into_iter()
                        .filter(|i| i.enabled && i.descriptor_id == CONNECTOR_ID)
                        .collect::<Vec<_>>())
                })
                .await;
            match found {
                Ok(list) => {
                    for i in list {
                        app.start_stream(i).await;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the Kubernetes connectors to start")
                }
            }
        });
    }

    /// Starts (or restarts, with its current config) an instance's watch.
    /// Not a Kubernetes instance, or disabled: nothing runs.
    pub(crate) async fn start_stream(&self, instance: Instance) {
        self.stop_stream(&instance.id).await;
        if instance.descriptor_id != CONNECTOR_ID || !instance.enabled {
            return;
        }
        let health = Health::default();
        let config: Value = serde_json::from_str(&instance.config).unwrap_or_default();
        let settings = match Settings::from_config(&config) {
            Ok(s) => s,
            Err(message) => {
                // Checked at creation; a hand-edited row still gets a clear state.
                tracing::error!(instance = %instance.id, %message, "kubernetes connector not started");
                return;
            }
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let id = instance.id.clone();
        let sink = AppSink {
            app: self.clone(),
            instance,
        };
        let task = tokio::spawn(kube_connector::run(
            settings,
            self.stream_tuning(),
            sink,
            health.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        tracing::info!(instance = %id, "kubernetes connector started");
        self.streams
            .lock()
            .insert(id, Running { health, stop, task });
    }

    /// Stops an instance's watch, if one runs, and takes its objects out of
    /// the topology.
    pub(crate) async fn stop_stream(&self, id: &str) {
        let Some(r) = self.streams.lock().remove(id) else {
            return;
        };
        let _ = r.stop.send(());
        if tokio::time::timeout(std::time::Duration::from_secs(5), r.task)
            .await
            .is_err()
        {
            tracing::warn!(instance = id, "kubernetes connector did not stop in time");
        }
        self.set_live_topology(id, None).await;
        tracing::info!(instance = id, "kubernetes connector stopped");
    }

    /// The connection health of a running Kubernetes instance.
    pub fn stream_health(&self, id: &str) -> Option<StreamHealth> {
        self.streams
            .lock()
            .get(id)
            .map(|r| r.health.report().into())
    }

    /// The contexts of a kubeconfig (`None`: `$KUBECONFIG`, else
    /// `~/.kube/config`), never their credentials.
    pub async fn kube_contexts(
        &self,
        kubeconfig: Option<String>,
    ) -> Result<KubeContexts, ApiError> {
        tokio::task::spawn_blocking(move || kube_connector::list_contexts(kubeconfig.as_deref()))
            .await
            .map_err(|e| ApiError::new("internal", e.to_string()))?
            .map(Into::into)
            .map_err(|m| ApiError::new("kubeconfig", m))
    }

    fn stream_tuning(&self) -> Tuning {
        self.streams
            .tuning
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }

    /// Timings for the watches started from now on (tests shorten them).
    pub fn set_stream_tuning(&self, tuning: Tuning) {
        if let Ok(mut t) = self.streams.tuning.lock() {
            *t = tuning;
        }
    }

    /// Commits Events to the inbox in one transaction, each delivery id once
    /// (a re-list or a restart brings the same Event version again).
    pub(crate) async fn commit_stream_items(
        &self,
        instance: &Instance,
        items: Vec<StreamItem>,
    ) -> causeway_store::Result<usize> {
        let inst = instance.clone();
        let added = self
            .store()
            .write(move |conn| {
                let tx = conn.transaction()?;
                let now = ts(Utc::now());
                let mut added = 0;
                for item in &items {
                    if webhook_deliveries::seen(&tx, &inst.id, &item.delivery_id)?.is_some() {
                        continue;
                    }
                    let id = inbox::insert(
                        &tx,
                        &inst.id,
                        &inst.descriptor_id,
                        &inst.project_id,
                        &now,
                        "{}",
                        &item.body,
                    )?;
                    webhook_deliveries::insert(&tx, &inst.id, &item.delivery_id, id, &now)?;
                    added += 1;
                }
                tx.commit()?;
                Ok(added)
            })
            .await?;
        if added > 0 {
            self.metrics.add(
                "causeway_events_received_total",
                &label("connector", &instance.descriptor_id),
                added as u64,
            );
            self.wake.notify_one();
        }
        Ok(added)
    }
}

#[cfg(test)]
#[path = "kubernetes_tests.rs"]
mod tests;
