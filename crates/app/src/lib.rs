//! `causeway-app`: the one host-agnostic API.
//!
//! The Tauri shell and the HTTP server are both thin hosts around an [`App`]:
//! they hand it webhook bodies and [`api::commands::Command`]s and forward its
//! [`api::views::ChangeEvent`]s to the UI. Nothing here knows about Tauri or HTTP.

pub mod answers;
pub mod api;
pub mod boot;
pub mod config;
pub mod connectors;
pub mod demo;
pub mod history;
pub mod incidents;
pub mod pipeline;
pub mod projects;
mod sources;
pub mod team;
pub mod telemetry;
pub mod topology;

pub use answers::dispatch;
pub use api::commands::Command;
pub use api::error::{ApiError, Code};
pub use api::views::ChangeEvent;
pub use connectors::webhook_secrets::SECRET_FIELDS;
pub use pipeline::drain::set_memory_release;
pub use pipeline::gateway::{kept_headers, Accepted, WebhookRejection};
pub use topology::live::{demo_documents, demo_topology, ImpactView};

use causeway_connectors::secrets::Keychain;
use causeway_core::Engines;
use causeway_store::Store;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, Notify};

/// A running Causeway over one data dir. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    engine: Arc<Mutex<Engines>>,
    keeper: Arc<Mutex<pipeline::keeper::Keeper>>,
    events: broadcast::Sender<ChangeEvent>,
    wake: Arc<Notify>,
    metrics: Arc<telemetry::Metrics>,
    limits: Arc<pipeline::limits::RateLimiter>,
    /// Keeps refusals of outside requests from flooding the log.
    refusal_log: Arc<pipeline::limits::WarnGate>,
    receivers: Arc<pipeline::receivers::Receivers>,
    keychain: Keychain,
    base_url: Arc<std::sync::RwLock<Option<String>>>,
    topology: Arc<std::sync::RwLock<Option<Arc<causeway_core::Topology>>>>,
    sources: Arc<sources::Sources>,
    topology_inputs: Arc<topology::live::TopologyInputs>,
    /// The connection health of running Kubernetes watches.
    connections: Arc<connectors::kubernetes::Connections>,
    /// The team this app joined (`causeway serve --team`), if any.
    team: Arc<std::sync::OnceLock<Arc<team::Team>>>,
}

impl App {
    /// Opens the store in `data_dir` and restores the engine's state. Call
    /// [`App::start`] inside a tokio runtime to begin processing.
    pub fn open(data_dir: &Path) -> Result<App, ApiError> {
        let store = Store::open(data_dir)?;
        let saved = store.read_blocking(causeway_store::engine_state::load)?;
        let (engine, saved_seq) = match saved {
            Some(s) => (
                serde_json::from_str(&s.state).map_err(|e| {
                    ApiError::new(
                        Code::Storage,
                        format!("the saved correlation state is unreadable: {e}"),
                    )
                })?,
                s.processed_seq,
            ),
            None => (Engines::default(), 0),
        };
        let (events, _) = broadcast::channel(256);
        let scope = store.read_blocking(causeway_store::meta::keychain_scope)?;
        let keychain = Keychain::new(&keychain_service()).scoped(&scope);
        connectors::secrets_scope::adopt_unscoped(&store, &keychain);
        Ok(App {
            store,
            engine: Arc::new(Mutex::new(engine)),
            keeper: Arc::new(Mutex::new(pipeline::keeper::Keeper::new(saved_seq))),
            events,
            wake: Arc::new(Notify::new()),
            metrics: Arc::new(telemetry::Metrics::default()),
            limits: Arc::new(pipeline::limits::RateLimiter::default()),
            refusal_log: Arc::default(),
            receivers: Arc::default(),
            keychain,
            base_url: Arc::default(),
            topology: Arc::default(),
            sources: Arc::default(),
            topology_inputs: Arc::default(),
            connections: Arc::default(),
            team: Arc::default(),
        })
    }

    /// Starts the inbox processor: it drains what a previous run left
    /// unprocessed (a crash after the 202), then waits for new payloads. It
    /// also looks every few seconds, for rows another process put there
    /// (`causeway dead-letters replay` while the app runs). Enabled
    /// connectors that pull or watch start too.
    pub fn start(&self) {
        self.start_sources();
        self.start_team();
        history::retention::spawn(
            self.clone(),
            config::settings::load().retention.unwrap_or_default(),
        );
        let app = self.clone();
        // In a team the engine's clock moves by the log's ticks instead, so
        // that every member resolves the same incidents at the same place.
        let own_clock = !self.in_team();
        tokio::spawn(async move {
            loop {
                app.drain().await;
                if own_clock {
                    if let Err(e) = app.advance_engine(chrono::Utc::now()).await {
                        tracing::error!(error = %e.message, "advancing the correlation clock failed");
                    }
                }
                tokio::select! {
                    _ = app.wake.notified() => {}
                    _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                }
            }
        });
    }

    /// Adds the user's own connector descriptors from `DATA_DIR/descriptors`
    /// (a folder of `*.json`, validated like the built-in ones). All or
    /// nothing: the error names the file and the JSON path at fault.
    /// Returns the ids added (none when the folder does not exist).
    pub fn load_user_descriptors(&self) -> Result<Vec<String>, ApiError> {
        let dir = self.data_dir().join("descriptors");
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        causeway_connectors::load_user_descriptors(&dir)
            .map_err(|e| ApiError::bad_request(format!("user descriptors refused: {e}")))
    }

    pub fn data_dir(&self) -> PathBuf {
        self.store.data_dir().to_path_buf()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// This data folder's part of the OS keychain.
    pub fn keychain(&self) -> &Keychain {
        &self.keychain
    }

    pub fn metrics(&self) -> &telemetry::Metrics {
        &self.metrics
    }

    /// The rate limits shared by the hosts (webhooks, ingest API).
    pub fn limits(&self) -> &pipeline::limits::RateLimiter {
        &self.limits
    }

    /// The gate for warnings about refused outside requests.
    pub fn refusal_log(&self) -> &pipeline::limits::WarnGate {
        &self.refusal_log
    }

    /// The topology the engine correlates over, if any.
    pub fn topology(&self) -> Option<Arc<causeway_core::Topology>> {
        self.topology.read().ok().and_then(|t| t.clone())
    }

    /// What a processing job on the writer thread needs.
    pub(crate) fn live(&self) -> pipeline::process::Live {
        pipeline::process::Live {
            engine: self.engine.clone(),
            keeper: self.keeper.clone(),
            metrics: self.metrics.clone(),
            topology: self.topology(),
            store: self.store.clone(),
        }
    }

    /// Change notifications for the UI.
    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.events.subscribe()
    }

    fn emit(&self, e: ChangeEvent) {
        // No subscriber is fine: nobody is looking.
        let _ = self.events.send(e);
    }
}

/// The keychain service secrets are filed under: `causeway`, or
/// `CAUSEWAY_KEYCHAIN_SERVICE` (tests use their own, never a user's entries).
pub fn keychain_service() -> String {
    std::env::var("CAUSEWAY_KEYCHAIN_SERVICE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| Keychain::DEFAULT_SERVICE.to_string())
}

/// Where Causeway keeps its data: `CAUSEWAY_DATA_DIR` when set, else the
/// folder saved in Settings, else the platform's app-data folder
/// (`~/.local/share/causeway` on Linux).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CAUSEWAY_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = config::settings::load().data_dir {
        return dir;
    }
    platform_data_dir().join("causeway")
}

/// The platform's folder for configuration (`~/.config` on Linux).
fn platform_config_dir() -> PathBuf {
    platform_dir("XDG_CONFIG_HOME", ".config")
}

fn platform_data_dir() -> PathBuf {
    platform_dir("XDG_DATA_HOME", ".local/share")
}

/// macOS and Windows keep data and settings in one folder; elsewhere the XDG
/// variable, else its usual place under the home folder.
fn platform_dir(xdg: &str, under_home: &str) -> PathBuf {
    let home = || {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
    };
    if cfg!(target_os = "macos") {
        home().join("Library/Application Support")
    } else if cfg!(windows) {
        std::env::var_os("APPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(home)
    } else {
        std::env::var_os(xdg)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| home().join(under_home))
    }
}

#[cfg(test)]
mod test_support;
