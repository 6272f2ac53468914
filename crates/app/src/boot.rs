//! The start-up, once for both hosts: what an opened [`App`] loads and
//! joins before it processes, in this order —
//!
//! 1. the user's own connector descriptors (`DATA_DIR/descriptors`);
//! 2. the topology: a folder of manifests (the host's, else
//!    `DATA_DIR/topology`), or with the demo the demo's cluster;
//! 3. connectors as code: `connectors.json`, then `ENABLED_CONNECTORS` +
//!    `CONNECTOR_*` from the environment;
//! 4. the team, if the host names one (from its flags or from Settings);
//! 5. processing and the running connectors ([`App::start`]), and a watch
//!    that reloads `connectors.json` when it changes;
//! 6. the demo storm, into an empty store that is not in a team.
//!
//! The CLI (`causeway serve`) stops at the first step that fails, naming
//! it, so a broken file never starts a half-configured server. The desktop
//! app must open its window whatever happens, so it logs what failed and
//! goes on ([`Failures::Continue`]).

use crate::api::error::ApiError;
use crate::team::TeamConfig;
use crate::App;
use std::path::PathBuf;
use std::time::Duration;

/// How often the watch looks at `connectors.json` for a change.
const CONNECTORS_FILE_CHECK: Duration = Duration::from_secs(2);

/// What to do when a step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failures {
    /// Stop the start with the step's error (the CLI).
    Stop,
    /// Log it and go on (the desktop app, whose window opens regardless).
    Continue,
}

/// What the host asks of the start-up.
pub struct Boot {
    /// A folder of manifests; `None`: `DATA_DIR/topology` when it exists.
    pub topology: Option<PathBuf>,
    /// The demo's cluster when there are no manifests, and its storm in an
    /// empty store.
    pub demo: bool,
    /// The team to join, if any.
    pub team: Option<TeamConfig>,
    /// Fires to reload `connectors.json` at once (SIGHUP), where the host has it.
    pub reload: Option<tokio::sync::mpsc::Receiver<()>>,
    pub failures: Failures,
}

/// What the start-up did, for the host to tell the person.
#[derive(Debug, Default)]
pub struct Booted {
    /// Descriptors the user added.
    pub descriptors: Vec<String>,
    /// Topology files that were skipped, and why.
    pub topology_warnings: Vec<String>,
    /// Instances declared by `connectors.json` and by the environment.
    pub from_file: usize,
    pub from_env: usize,
    /// Whether the demo storm was loaded.
    pub demo_loaded: bool,
}

impl Boot {
    /// Runs the steps above on `app`, inside a tokio runtime.
    pub async fn run(self, app: &App) -> Result<Booted, ApiError> {
        let stop = self.failures == Failures::Stop;
        // Stops the start or logs and goes on, as the host asked.
        let step = |what: &str, e: ApiError| -> Result<(), ApiError> {
            if stop {
                return Err(e);
            }
            tracing::error!(step = what, error = %e.message, "start-up step failed; going on");
            Ok(())
        };
        let mut done = Booted::default();
        // A broken descriptor leaves the built-in connectors working, so it
        // never stops the start.
        match app.load_user_descriptors() {
            Ok(ids) => done.descriptors = ids,
            Err(e) => tracing::error!(error = %e.message, "user descriptors refused"),
        }
        let data_dir = app.data_dir();
        let topology = self
            .topology
            .or_else(|| Some(data_dir.join("topology")).filter(|d| d.is_dir()));
        match topology {
            Some(dir) => match app.load_topology_dir(&dir) {
                Ok(w) => done.topology_warnings = w,
                Err(e) => step("topology", e)?,
            },
            None if self.demo => app.set_topology_documents(crate::demo_documents()),
            None => {}
        }
        let file = crate::config::file::config_path(&data_dir);
        match app.apply_connectors_file(&file).await {
            Ok(n) => done.from_file = n,
            Err(e) => step("connectors.json", e)?,
        }
        match app.apply_connectors_env().await {
            Ok(n) => done.from_env = n,
            Err(e) => step("connectors from the environment", e)?,
        }
        let in_team = self.team.is_some();
        if in_team && self.demo && stop {
            return Err(ApiError::bad_request(
                "the demo loads a storm into this member alone; it does not go with a team",
            ));
        }
        if let Some(team) = self.team {
            if let Err(e) = app.join_team(team) {
                step("team", e)?;
            }
        }
        app.start();
        app.watch_connectors_file(file, CONNECTORS_FILE_CHECK, self.reload);
        if self.demo && !app.in_team() {
            match app.load_demo_if_empty().await {
                Ok(loaded) => done.demo_loaded = loaded,
                Err(e) => step("demo", e)?,
            }
        }
        Ok(done)
    }
}
