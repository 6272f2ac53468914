//! The native Kubernetes connector's part of the app: what the UI sees of
//! it (the connection's health, the kubeconfig's contexts) and the check of
//! its settings. It runs as a source of the connector runtime (`sources`):
//! started with its instance, stopped with it; its Events reach the inbox
//! through the runtime's host, its objects the live topology.

use crate::api::error::{ApiError, Code};
use crate::connectors::ops::test_signals;
use crate::connectors::ops::TestResult;
use crate::App;
use causeway_connectors::runtime::InstanceInfo;
use causeway_connectors::sources::kubernetes::{
    self as kube_connector, ContextList, Health, HealthReport, Settings, Tuning,
};
use causeway_store::ts;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use ts_rs::TS;

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
    /// A consumed stream (Redis Streams): the stream and consumer group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub group: Option<String>,
    /// Entries the group has not been given yet (the stream's lag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub lag: Option<i64>,
    /// Entries delivered to the group and not acknowledged yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pending: Option<i64>,
    /// The newest entry in the stream, and the last one taken in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_entry_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_taken_id: Option<String>,
    /// Of the entries taken, those that went to dead letters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dead_lettered: Option<i64>,
}

impl From<causeway_connectors::runtime::StreamStatus> for StreamHealth {
    fn from(s: causeway_connectors::runtime::StreamStatus) -> Self {
        StreamHealth {
            state: s.state,
            message: s.message,
            context: Some(s.stream),
            server: Some(s.server),
            objects: 0,
            events: s.taken as i64,
            last_event_at: s.last_taken_at.map(ts),
            since: ts(s.since),
            group: Some(format!("{} (consumer {})", s.group, s.consumer)),
            lag: s.lag.map(|l| l as i64),
            pending: Some(s.pending as i64),
            last_entry_id: s.last_entry_id,
            last_taken_id: s.last_taken_id,
            dead_lettered: Some(s.dead_lettered as i64),
        }
    }
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
            group: None,
            lag: None,
            pending: None,
            last_entry_id: None,
            last_taken_id: None,
            dead_lettered: None,
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

/// "Test connection": the context answers, every watched kind can be
/// listed, and the signals its recent Events would give. Nothing is stored.
pub(crate) async fn test(info: &InstanceInfo) -> TestResult {
    let settings = match Settings::from_config(&info.config) {
        Ok(s) => s,
        Err(message) => {
            return TestResult {
                ok: false,
                latency_ms: 0,
                message,
                sample: Vec::new(),
                requests: Vec::new(),
                error_class: Some("fail".into()),
            }
        }
    };
    let probe = kube_connector::probe(&settings).await;
    let headers = BTreeMap::new();
    let mut sample = Vec::new();
    for (i, body) in probe.events.iter().enumerate() {
        // An Event the mapping refuses would be a dead letter: not a sample.
        let signals = test_signals(info, i, kube_connector::CONNECTOR_ID, &headers, body);
        if let Ok(s) = signals {
            sample.extend(s);
        }
    }
    TestResult {
        ok: probe.ok,
        latency_ms: probe.latency.as_millis() as u64,
        message: probe.message,
        sample,
        requests: Vec::new(),
        error_class: (!probe.ok).then(|| "fail".into()),
    }
}

/// Checks a `kubernetes` instance's config before it is stored.
pub(crate) fn check_config(config: &Value) -> Result<(), ApiError> {
    Settings::from_config(config)
        .map(|_| ())
        .map_err(ApiError::bad_request)
}

/// The connection health of the running watches, and the status of the
/// running stream consumers, by instance id.
#[derive(Default)]
pub(crate) struct Connections(
    std::sync::Mutex<BTreeMap<String, Health>>,
    std::sync::Mutex<BTreeMap<String, causeway_connectors::runtime::StreamStatus>>,
);

impl App {
    pub(crate) fn set_connection(&self, id: &str, health: Option<Health>) {
        let mut map = self.connections.0.lock().unwrap_or_else(|p| p.into_inner());
        match health {
            Some(h) => map.insert(id.to_string(), h),
            None => map.remove(id),
        };
    }

    pub(crate) fn set_stream_status(
        &self,
        id: &str,
        status: Option<causeway_connectors::runtime::StreamStatus>,
    ) {
        let mut map = self.connections.1.lock().unwrap_or_else(|p| p.into_inner());
        match status {
            Some(s) => map.insert(id.to_string(), s),
            None => map.remove(id),
        };
    }

    /// The connection health of a running Kubernetes instance, or the
    /// status of a running stream consumer.
    pub fn stream_health(&self, id: &str) -> Option<StreamHealth> {
        let map = self.connections.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = map.get(id) {
            return Some(h.report().into());
        }
        drop(map);
        let streams = self.connections.1.lock().unwrap_or_else(|p| p.into_inner());
        streams.get(id).cloned().map(Into::into)
    }

    /// For a running stream, since when it has heard nothing from the
    /// cluster at `now`, if that is past its silence limit; `None` when no
    /// stream runs for the instance.
    pub(crate) fn stream_silent_since(
        &self,
        id: &str,
        now: chrono::DateTime<Utc>,
    ) -> Option<Option<chrono::DateTime<Utc>>> {
        let map = self.connections.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).map(|h| h.silent_since(now))
    }

    /// The contexts of a kubeconfig (`None`: `$KUBECONFIG`, else
    /// `~/.kube/config`), never their credentials.
    pub async fn kube_contexts(
        &self,
        kubeconfig: Option<String>,
    ) -> Result<KubeContexts, ApiError> {
        tokio::task::spawn_blocking(move || kube_connector::list_contexts(kubeconfig.as_deref()))
            .await
            .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
            .map(Into::into)
            .map_err(|m| ApiError::new(Code::Kubeconfig, m))
    }

    /// Timings for the Kubernetes watches started from now on (tests
    /// shorten them).
    pub fn set_stream_tuning(&self, tuning: Tuning) {
        causeway_connectors::sources::kubernetes::set_tuning(tuning);
    }
}

#[cfg(test)]
#[path = "kubernetes_tests.rs"]
mod tests;
