//! The one entry point every running connector goes through.
//!
//! A [`Source`] is started with its instance and stopped with it: pollers
//! (the descriptor runtime, Prometheus, Alertmanager's API) and streaming
//! sources (the Kubernetes watcher) alike. It never touches the store: it
//! hands raw payloads to its [`Host`] — which commits them to the inbox, so
//! they take the same normalize → correlate path as webhooks, dead letters
//! and replay included — and tells the host how it is doing through
//! [`Report`]s, which become the instance's health.

use crate::secrets::{handle_for, Keychain, SecretError};
use causeway_core::Sensitive;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A boxed, sendable future: what trait methods return, without a macro crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The instance a source runs for, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceInfo {
    pub id: String,
    pub descriptor_id: String,
    pub project_id: String,
    pub name: String,
    /// Non-secret settings (the instance's config object). Secrets are read
    /// through [`SourceContext::secret`].
    pub config: Value,
}

impl InstanceInfo {
    /// A config value as text (`config.baseUrl`).
    pub fn text(&self, key: &str) -> Option<&str> {
        self.config
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }
}

/// One raw payload for the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// Stored with the body; the normalizer sees them (`x-causeway-stream`
    /// tells a descriptor which of its polled streams a page came from).
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// The normalizer to use instead of the instance's own (the health
    /// monitor's "went quiet" signal goes through `causeway-health`).
    pub connector_id: Option<String>,
}

impl Payload {
    pub fn json(headers: BTreeMap<String, String>, body: &Value) -> Payload {
        Payload {
            headers,
            body: serde_json::to_vec(body).unwrap_or_default(),
            connector_id: None,
        }
    }
}

/// The version of one item last published, so an unchanged item is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVersion {
    pub stream: String,
    pub key: String,
    pub hash: String,
}

/// What a source commits in one transaction: payloads, the versions of the
/// items they carry, and — only together with or after them — the new
/// checkpoint. A checkpoint therefore never runs ahead of committed items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Commit {
    pub payloads: Vec<Payload>,
    pub versions: Vec<ItemVersion>,
    /// Replaces the stored checkpoint when set.
    pub checkpoint: Option<Value>,
}

impl Commit {
    pub fn is_empty(&self) -> bool {
        self.payloads.is_empty() && self.versions.is_empty() && self.checkpoint.is_none()
    }
}

/// How a failure is treated (the descriptor can re-class HTTP statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Transient (timeouts, 5xx, 429, connection refused): try again with backoff.
    Retry,
    /// Not an error for this source (an optional endpoint's 404): treated as empty.
    Ignore,
    /// Will not heal by retrying (400, 403, 404, malformed JSON): wait for a
    /// fix, polling again at a slow pace.
    Fail,
    /// Credentials are expired or revoked (401, OAuth `invalid_grant`):
    /// a person must authorise again; no retries until then.
    NeedsReauth,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Retry => "retry",
            ErrorClass::Ignore => "ignore",
            ErrorClass::Fail => "fail",
            ErrorClass::NeedsReauth => "needs_reauth",
        }
    }
}

/// What a source tells its host; the host turns it into health and metrics.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// A poll (or a stream's connect) started.
    Started,
    /// A poll finished, or a stream delivered: counts of this round.
    Succeeded {
        latency: Duration,
        fetched: u64,
        published: u64,
        skipped: u64,
    },
    /// It failed. `message` is for a person and holds no secret; `retry_in`
    /// is when the source will try again (`None`: not until re-authorised).
    Failed {
        class: ErrorClass,
        message: String,
        latency: Option<Duration>,
        retry_in: Option<Duration>,
    },
}

/// Why the host could not take a commit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct HostError(pub String);

/// What a running source needs from the app: commit, checkpoint, versions, health.
pub trait Host: Send + Sync + 'static {
    /// Commits payloads, versions and checkpoint in one transaction; returns after the commit.
    fn commit(
        &self,
        instance: &InstanceInfo,
        commit: Commit,
    ) -> BoxFuture<'_, Result<(), HostError>>;
    /// The checkpoint last committed, if any.
    fn checkpoint(&self, instance_id: &str) -> BoxFuture<'_, Result<Option<Value>, HostError>>;
    /// The stored version hashes of these item keys in `stream` (absent: never published).
    fn versions(
        &self,
        instance_id: &str,
        stream: &str,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, HostError>>;
    /// Health: called as things happen; must not block.
    fn report(&self, instance_id: &str, report: Report);
    /// Forgets the versions of `stream`'s items last published more than
    /// `older_than` ago, for a source whose items expire upstream (the
    /// cluster drops its Events after an hour), so the versions kept do not
    /// grow forever. Returns how many were forgotten.
    fn prune_versions(
        &self,
        _instance_id: &str,
        _stream: &str,
        _older_than: Duration,
    ) -> BoxFuture<'_, Result<u64, HostError>> {
        Box::pin(async { Ok(0) })
    }
    /// A source that watches a cluster hands over its topology objects,
    /// whole, whenever they changed (debounced), and `None` when it stops.
    /// A host that keeps no topology ignores them.
    fn topology(&self, _instance_id: &str, _objects: Option<Vec<Arc<Value>>>) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
    /// A watching source's connection health, for the host to show while
    /// it runs (`None`: it stopped). A host that shows none ignores it.
    fn connection(&self, _instance_id: &str, _health: Option<super::Health>) {}
    /// Forgets the versions of these keys of `stream`: a stream consumer
    /// records each entry id with the commit that stores it (so a
    /// redelivery after a crash is not taken twice) and forgets it once
    /// the broker has the acknowledgement, so nothing grows.
    fn forget_versions(
        &self,
        _instance_id: &str,
        _stream: &str,
        _keys: Vec<String>,
    ) -> BoxFuture<'_, Result<(), HostError>> {
        Box::pin(async { Ok(()) })
    }
    /// How many committed payloads wait to be processed: a stream consumer
    /// stops reading while this is high (backpressure), so the broker, not
    /// the inbox, holds a flood.
    fn backlog(&self) -> BoxFuture<'_, u64> {
        Box::pin(async { 0 })
    }
    /// A stream consumer's status (lag, pending, last entry), for the host
    /// to show while it runs (`None`: it stopped).
    fn stream_status(&self, _instance_id: &str, _status: Option<StreamStatus>) {}
    /// The name this Causeway goes by among others sharing a source (a
    /// team member's name): a stream consumer's default consumer name.
    fn member_name(&self) -> Option<String> {
        None
    }
}

/// How a stream consumer is doing, as it last saw it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamStatus {
    /// `connecting`, `connected`, `reconnecting`, `waiting` (backpressure)
    /// or `error`.
    pub state: String,
    /// What is wrong, or why it waits, in words; `None` when all is well.
    pub message: Option<String>,
    /// Where it reads: the URL without credentials, the stream and group.
    pub server: String,
    pub stream: String,
    pub group: String,
    pub consumer: String,
    /// Entries in the stream the group has not been given yet (`XINFO
    /// GROUPS` lag; `None` when the server cannot tell).
    pub lag: Option<u64>,
    /// Entries delivered to the group and not acknowledged yet.
    pub pending: u64,
    /// The newest entry the stream holds, and the last one taken in.
    pub last_entry_id: Option<String>,
    pub last_taken_id: Option<String>,
    pub last_taken_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Entries taken in (committed and acknowledged) since it started, and
    /// of those the ones sent to dead letters.
    pub taken: u64,
    pub dead_lettered: u64,
    /// Since when `state` holds.
    pub since: chrono::DateTime<chrono::Utc>,
}

/// Tells a source to finish: in-flight work completes, nothing new starts.
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<bool>);

/// The other end of [`Stop`], held by whoever started the source.
#[derive(Debug)]
pub struct StopHandle(watch::Sender<bool>);

impl StopHandle {
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

/// A fresh stop pair.
pub fn stop_pair() -> (StopHandle, Stop) {
    let (tx, rx) = watch::channel(false);
    (StopHandle(tx), Stop(rx))
}

impl Stop {
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once stop is asked for (or its handle is dropped).
    pub async fn stopped(&mut self) {
        while !*self.0.borrow() {
            if self.0.changed().await.is_err() {
                return;
            }
        }
    }

    /// Sleeps for `d` unless stopped first; true when the sleep ran out.
    pub async fn sleep(&mut self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.stopped() => false,
        }
    }
}

/// Secrets held in memory for a test before the instance exists.
pub type SecretOverrides = Arc<std::sync::Mutex<BTreeMap<String, Sensitive<String>>>>;

/// Everything a running source gets.
#[derive(Clone)]
pub struct SourceContext {
    pub instance: InstanceInfo,
    pub host: Arc<dyn Host>,
    pub keychain: Keychain,
    pub stop: Stop,
    /// Shared HTTP client (connection pools, rustls with ring, no per-request setup).
    pub http: reqwest::Client,
    /// Secrets held in memory instead of the keychain: a connection test
    /// before the instance exists. Writes (a refreshed token) stay here too.
    pub overrides: Option<SecretOverrides>,
}

impl SourceContext {
    /// One of the instance's secrets from the keychain (off the async threads).
    pub async fn secret(&self, field: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        if let Some(o) = &self.overrides {
            return Ok(o.lock().ok().and_then(|m| m.get(field).cloned()));
        }
        let (k, h) = (self.keychain.clone(), handle_for(&self.instance.id, field));
        match tokio::task::spawn_blocking(move || k.get(&h)).await {
            Ok(Ok(v)) => Ok(Some(v)),
            Ok(Err(SecretError::NotFound { .. })) => Ok(None),
            Ok(Err(e)) => Err(e),
            Err(e) => Err(SecretError::Other(format!("keychain task failed: {e}"))),
        }
    }

    /// Writes a secret back (a rotated OAuth refresh token).
    pub async fn put_secret(
        &self,
        field: &str,
        value: Sensitive<String>,
    ) -> Result<(), SecretError> {
        if let Some(o) = &self.overrides {
            if let Ok(mut m) = o.lock() {
                m.insert(field.to_string(), value);
            }
            return Ok(());
        }
        let (k, h) = (self.keychain.clone(), handle_for(&self.instance.id, field));
        tokio::task::spawn_blocking(move || k.put(&h, &value))
            .await
            .map_err(|e| SecretError::Other(format!("keychain task failed: {e}")))?
    }

    pub fn report(&self, r: Report) {
        self.host.report(&self.instance.id, r);
    }
}

/// A running connector: started with its instance, stopped with it.
///
/// `run` returns when `ctx.stop` fires, after finishing what is in flight
/// (a poll half done is finished and committed, never dropped). Streaming
/// sources report [`Report::Started`] on (re)connect, [`Report::Succeeded`]
/// as items arrive and [`Report::Failed`] when the stream breaks, and
/// publish through [`Host::commit`] exactly as pollers do.
pub trait Source: Send + Sync + 'static {
    fn run(&self, ctx: SourceContext) -> BoxFuture<'static, ()>;
}
