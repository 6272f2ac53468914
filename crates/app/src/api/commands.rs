//! The one command list. The Tauri shell's `rpc` command and the server's
//! `POST /api/rpc` both take a [`Command`] and answer with its JSON, so the UI
//! speaks the same language to either host; the REST routes of the HTTP spec
//! map onto the same functions. What each command answers, and the
//! dispatcher, are in `answers.rs` at the crate's top: they name types of
//! every folder, which this list, at the bottom, must not.

use crate::api::error::ApiError;
use crate::api::requests::{IncidentQuery, InstanceUpdate, NewInstance, SettingsUpdate};
use causeway_core::{CorrelationConfig, IncidentStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "command", content = "args", rename_all = "camelCase")]
pub enum Command {
    /// A project's incidents (`default` when none is named).
    ListIncidents {
        #[serde(default)]
        #[ts(optional)]
        project: Option<String>,
    },
    /// An incident with its first signals (see `listIncidentSignals`).
    GetIncident {
        id: String,
    },
    /// A page of an incident's signals, in the order they joined it.
    ListIncidentSignals {
        id: String,
        #[serde(default)]
        offset: i64,
        #[serde(default = "default_page")]
        limit: i64,
    },
    #[serde(rename_all = "camelCase")]
    ListSignals {
        #[serde(default)]
        unassigned: bool,
        #[serde(default)]
        #[ts(optional)]
        project: Option<String>,
    },
    ListDeadLetters {
        #[serde(default)]
        #[ts(optional)]
        project: Option<String>,
    },
    /// Puts a dead letter's exact bytes back into the inbox.
    ReplayDeadLetter {
        id: i64,
    },
    /// A person acknowledges, investigates or resolves.
    SetIncidentStatus {
        id: String,
        status: IncidentStatus,
    },
    /// What fails when `entity` fails.
    TopologyImpact {
        entity: String,
    },
    ListCatalogue,
    /// Connector instances: one project's, or every project's when none.
    ListInstances {
        #[serde(default)]
        #[ts(optional)]
        project: Option<String>,
    },
    /// Secrets go to the OS keychain and are never returned.
    CreateInstance(NewInstance),
    SetInstanceEnabled {
        id: String,
        enabled: bool,
    },
    /// The instance's keychain secrets are deleted with it.
    DeleteInstance {
        id: String,
    },
    /// A person moves a signal into another incident;
    /// its alert's later repeats and resolves follow it.
    #[serde(rename_all = "camelCase")]
    MoveSignal {
        signal_id: String,
        incident_id: String,
    },
    /// Incident `from` is merged into `into`.
    MergeIncidents {
        from: String,
        into: String,
    },
    /// `signalIds` split off incident `id` into a new
    /// incident (`incidentId` of the answer); they stay apart from then on.
    #[serde(rename_all = "camelCase")]
    SplitIncident {
        id: String,
        signal_ids: Vec<String>,
    },
    /// Every decision about the incident, with its reason.
    GetLedger {
        id: String,
    },
    /// Every move, merge and split people made.
    ListFeedback,
    /// The correlation settings in force.
    /// A project's correlation settings (`default` when none is named).
    GetCorrelationSettings {
        #[serde(default)]
        #[ts(optional)]
        project: Option<String>,
    },
    /// What `config` would change over the stored
    /// history (incidents created, merged, split), without applying it.
    Backtest {
        config: CorrelationConfig,
        #[serde(default)]
        #[ts(optional)]
        project: Option<String>,
    },
    /// Applies `config` to the project's decisions to come.
    ApplyCorrelationSettings {
        config: CorrelationConfig,
        #[serde(default)]
        #[ts(optional)]
        project: Option<String>,
    },
    GetInstance {
        id: String,
    },
    /// A running source restarts with the new settings.
    UpdateInstance {
        id: String,
        #[serde(flatten)]
        update: InstanceUpdate,
    },
    /// A dry run, nothing stored.
    TestInstance {
        id: String,
    },
    /// A new secret for a receiver, shown this once;
    /// the one before it still verifies until the next rotation.
    RotateWebhookSecret {
        id: String,
    },
    /// A dry run of settings and secrets before creating an instance.
    TestConnection(NewInstance),
    /// The OAuth sign-in link (the desktop also opens it).
    #[serde(rename_all = "camelCase")]
    AuthorizeInstance {
        id: String,
        #[serde(default)]
        open_browser: bool,
    },
    /// Range queries over the incident's window from
    /// every enabled Prometheus instance of its project.
    #[serde(rename_all = "camelCase")]
    CollectEvidence {
        incident_id: String,
        #[serde(default)]
        window_minutes_before: Option<i64>,
        #[serde(default)]
        window_minutes_after: Option<i64>,
    },
    /// Every connector as connectors.json holds them (`{"connectors": [...]}`),
    /// secrets as `${VARIABLES}`.
    ExportConnectors,
    /// The contexts of a kubeconfig (default `$KUBECONFIG`,
    /// else `~/.kube/config`), for the Kubernetes connector's context picker.
    #[serde(rename_all = "camelCase")]
    ListKubeContexts {
        #[serde(default)]
        kubeconfig: Option<String>,
    },
    /// Every entity and edge, with the open incidents' marks.
    /// The topology, its nodes marked with the open incidents of `project`
    /// (every project's when none is named).
    GetTopology {
        #[serde(default)]
        #[ts(optional)]
        project: Option<String>,
    },
    ListTokens,
    /// The token is in this answer and nowhere else, ever.
    IssueToken {
        scope: String,
    },
    RevokeToken {
        id: String,
    },
    GetSettings,
    /// Applied at the next start.
    SaveSettings(SettingsUpdate),
    /// The list's filter and search over every incident.
    SearchIncidents(IncidentQuery),
    /// Which Causeway answers.
    GetVersion,
    /// The team this Causeway is in; `null` when it is in none.
    GetTeam,
    ListProjects,
    /// What the project holds: what deleting it would take.
    GetProject {
        id: String,
    },
    /// A new project, with an Alertmanager receiver of its own.
    CreateProject {
        id: String,
        name: String,
    },
    RenameProject {
        id: String,
        name: String,
    },
    /// Deletes the project with its connectors (and their keychain
    /// secrets), incidents, signals and dead letters.
    DeleteProject {
        id: String,
    },
}

fn default_page() -> i64 {
    500
}

/// Parses a raw command from a transport, with a `{code, message}` error.
/// The error says where the command is wrong, never the value there (it
/// may be a secret).
pub fn parse(mut value: serde_json::Value) -> Result<Command, ApiError> {
    // A command whose arguments are all optional may come without `args`
    // (`{"command": "listIncidents"}`), as it did before it had any.
    if let Some(o) = value.as_object_mut() {
        if !o.contains_key("args") {
            let bare = crate::api::error::from_value(serde_json::Value::Object(o.clone()), "");
            if let Ok(c) = bare {
                return Ok(c);
            }
            o.insert("args".into(), serde_json::json!({}));
        }
    }
    crate::api::error::from_value(value, "not a command")
}
