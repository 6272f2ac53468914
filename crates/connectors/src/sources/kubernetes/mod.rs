//! The native Kubernetes connector: the user's kubeconfig context, watched.
//!
//! Two things come out of a cluster. Its **Events** become signals: each is
//! committed raw to the inbox like a webhook body and mapped by the
//! `kubernetes-events` descriptor. Its **objects** (Deployments, ReplicaSets,
//! StatefulSets, DaemonSets, Pods, Services, EndpointSlices, Nodes,
//! ConfigMaps) become the topology graph: the connector keeps the current set
//! and hands the whole of it over whenever it changed, debounced, so the
//! correlation engine gets a new graph once per burst of changes rather than
//! once per Pod.
//!
//! Each kind (per namespace, when the connector is limited to some) is one
//! kube-rs watcher: list, then watch from the list's resourceVersion; a
//! dropped connection resumes the watch from the last version seen, a 410
//! Gone lists again, and every failure waits an exponential backoff before
//! the next try. [`Health`] says how that is going in words.
//!
//! The entry point is [`run`]: settings, a [`Sink`] for inbox bodies and
//! topology snapshots, a [`Health`] handle, and a shutdown future.

mod events;
mod kinds;
mod kubeconfig;
mod probe;
mod problems;
mod run;
mod source;
mod store;
#[cfg(test)]
mod tests;

pub use crate::runtime::{Health, HealthReport, State};
pub use events::{EventFilter, EventNormalizer};
pub use kubeconfig::{list_contexts, ContextInfo, ContextList};
pub use probe::{probe, Probe};
pub use run::run;
pub use source::{set_tuning, KubernetesSource};

use serde::Deserialize;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The descriptor id of this connector.
pub const CONNECTOR_ID: &str = "kubernetes";

/// An instance's settings (its `config`), as the setup form writes them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The kubeconfig file; default `$KUBECONFIG`, else `~/.kube/config`.
    #[serde(default)]
    pub kubeconfig: Option<String>,
    /// The context to use; default the file's `current-context`.
    #[serde(default)]
    pub context: Option<String>,
    /// Namespaces to watch; empty watches all of them. Nodes, being
    /// cluster-scoped, are watched either way.
    #[serde(default, deserialize_with = "namespaces")]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub events: EventFilter,
}

impl Settings {
    /// Reads and checks an instance's config. Other keys (`verify`,
    /// `secretFields`, …) belong to the app and are ignored.
    pub fn from_config(config: &Value) -> Result<Settings, String> {
        let s: Settings = serde_json::from_value(config.clone())
            .map_err(|e| format!("kubernetes settings: {e}"))?;
        if let Some(bad) = s.namespaces.iter().find(|n| !is_dns_label(n)) {
            return Err(format!(
                "kubernetes settings: '{bad}' is not a namespace name (lowercase letters, digits and '-', at most 63)"
            ));
        }
        Ok(s)
    }
}

/// `["a", "b"]`, or `"a, b"` as a text field gives it.
fn namespaces<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        List(Vec<String>),
        Text(String),
        None(()),
    }
    let list = match Form::deserialize(d)? {
        Form::List(l) => l,
        Form::Text(t) => t.split([',', ' ', '\n']).map(str::to_string).collect(),
        Form::None(()) => Vec::new(),
    };
    let mut out: Vec<String> = list
        .into_iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Timings. The defaults suit a real cluster; tests shorten them.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// A topology snapshot goes out once changes have been quiet this long…
    pub quiet: Duration,
    /// …or this long after the first unsent change, whichever comes first.
    pub max_delay: Duration,
    /// Backoff between a watch's failed tries: doubling from `backoff_min`
    /// to `backoff_max`, with ±20 % jitter.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// The server ends each watch after this long (`timeoutSeconds`); the
    /// watcher then resumes it. Also bounds how long a silently dead
    /// connection goes unnoticed.
    pub watch_timeout_secs: u32,
    /// While a watch is failing for a passing reason, how often the API
    /// server is asked whether it answers again (`GET /version`).
    pub probe_every: Duration,
    /// How long rejected credentials are retried with the same client before
    /// the kubeconfig is read again (a refreshed login writes a new token).
    pub reload_after: Duration,
    /// A connected stream that has heard nothing from the cluster for this
    /// long — no object change, no Event, no list — went quiet: its watches
    /// went silent. (A calm cluster is not silent: every Node reports its
    /// status at least every five minutes.)
    pub silence: Duration,
    /// How long the version of a taken Event is remembered. The API server
    /// keeps Events for an hour by default (`--event-ttl`); past this, a
    /// version is forgotten so the table does not grow forever.
    pub event_retention: Duration,
    /// How often forgotten Event versions are pruned.
    pub prune_every: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            quiet: Duration::from_millis(500),
            max_delay: Duration::from_secs(3),
            backoff_min: Duration::from_millis(800),
            backoff_max: Duration::from_secs(30),
            watch_timeout_secs: 290,
            probe_every: Duration::from_secs(5),
            reload_after: Duration::from_secs(60),
            silence: crate::runtime::DEFAULT_SILENCE,
            event_retention: Duration::from_secs(24 * 3600),
            prune_every: Duration::from_secs(3600),
        }
    }
}

/// One Kubernetes Event for the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamItem {
    /// The Event's uid (namespace/name when it has none).
    pub key: String,
    /// Its resourceVersion: the same key at the same version is one
    /// delivery, taken once however often a re-list brings it again, while
    /// an update (its `count` going up) is a new one.
    pub version: String,
    /// The Event object as JSON.
    pub body: Vec<u8>,
}

/// Where the connector's output goes (the app: its inbox and its topology).
pub trait Sink: Send + Sync + 'static {
    /// Commits Events durably; returns how many were new (a key already
    /// taken at that version is skipped). On `Err` (a message) the connector
    /// reports it in its health and retries the same items, so none is lost.
    fn commit(&self, items: Vec<StreamItem>) -> impl Future<Output = Result<usize, String>> + Send;

    /// Every topology object the cluster has now (pruned to what the graph
    /// reads), after a change. Sent whole: the receiver replaces what it had
    /// from this connector.
    fn topology(&self, objects: Vec<Arc<Value>>) -> impl Future<Output = ()> + Send;
}

#[cfg(test)]
mod settings_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_take_a_list_or_a_text_of_namespaces_and_refuse_bad_names() {
        let s = Settings::from_config(
            &json!({"context": "prod", "namespaces": "shop, ops shop", "verify": {"type": "none"}}),
        )
        .unwrap();
        assert_eq!(s.namespaces, vec!["ops", "shop"]);
        assert_eq!(s.context.as_deref(), Some("prod"));
        assert_eq!(s.events, EventFilter::AlertsAndChanges);
        let s = Settings::from_config(&json!({"namespaces": ["a"], "events": "all"})).unwrap();
        assert_eq!(
            (s.namespaces, s.events),
            (vec!["a".to_string()], EventFilter::All)
        );
        assert!(Settings::from_config(&json!({}))
            .unwrap()
            .namespaces
            .is_empty());
        let e = Settings::from_config(&json!({"namespaces": ["Shop"]})).unwrap_err();
        assert!(e.contains("'Shop' is not a namespace name"), "{e}");
        assert!(Settings::from_config(&json!({"events": "some"})).is_err());
    }
}
