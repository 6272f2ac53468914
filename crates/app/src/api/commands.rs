//! The one command list. The Tauri shell's `rpc` command and the server's
//! `POST /api/rpc` both take a [`Command`] and answer with its JSON, so the UI
//! speaks the same language to either host; the REST routes of the HTTP spec
//! map onto the same functions.

use crate::api::error::{ApiError, Code};
use crate::api::requests::IncidentQuery;
use crate::api::requests::InstanceUpdate;
use crate::api::requests::NewInstance;
use crate::api::requests::SettingsUpdate;
use crate::App;
use causeway_core::{CorrelationConfig, IncidentStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "command", content = "args", rename_all = "camelCase")]
pub enum Command {
    /// → `IncidentList`
    ListIncidents,
    /// → `IncidentDetail`
    GetIncident { id: String },
    /// → `SignalList`
    #[serde(rename_all = "camelCase")]
    ListSignals {
        #[serde(default)]
        unassigned: bool,
    },
    /// → `DeadLetterList`
    ListDeadLetters,
    /// → `Replayed`: puts a dead letter's exact bytes back into the inbox.
    ReplayDeadLetter { id: i64 },
    /// → `IncidentSummary`: a person acknowledges, investigates or resolves.
    SetIncidentStatus { id: String, status: IncidentStatus },
    /// → `ImpactView`: what fails when `entity` fails.
    TopologyImpact { entity: String },
    /// → `Catalogue`
    ListCatalogue,
    /// → `InstanceList`
    ListInstances,
    /// → `InstanceView`; secrets go to the OS keychain and are never returned.
    CreateInstance(NewInstance),
    /// → `InstanceView`
    SetInstanceEnabled { id: String, enabled: bool },
    /// → `null`; the instance's keychain secrets are deleted with it.
    DeleteInstance { id: String },
    /// → `OverrideResult`: a person moves a signal into another incident;
    /// its alert's later repeats and resolves follow it.
    #[serde(rename_all = "camelCase")]
    MoveSignal {
        signal_id: String,
        incident_id: String,
    },
    /// → `OverrideResult`: incident `from` is merged into `into`.
    MergeIncidents { from: String, into: String },
    /// → `OverrideResult`: `signalIds` split off incident `id` into a new
    /// incident (`incidentId` of the answer); they stay apart from then on.
    #[serde(rename_all = "camelCase")]
    SplitIncident { id: String, signal_ids: Vec<String> },
    /// → `LedgerView`: every decision about the incident, with its reason.
    GetLedger { id: String },
    /// → `FeedbackList`: every move, merge and split people made.
    ListFeedback,
    /// → `CorrelationConfig`: the correlation settings in force.
    GetCorrelationSettings,
    /// → `BacktestReport`: what `config` would change over the stored
    /// history (incidents created, merged, split), without applying it.
    Backtest { config: CorrelationConfig },
    /// → `CorrelationConfig`: applies `config` to the decisions to come.
    ApplyCorrelationSettings { config: CorrelationConfig },
    /// → `InstanceView`
    GetInstance { id: String },
    /// → `InstanceView`; a running source restarts with the new settings.
    UpdateInstance {
        id: String,
        #[serde(flatten)]
        update: InstanceUpdate,
    },
    /// → `TestResult`: a dry run, nothing stored.
    TestInstance { id: String },
    /// → `NewWebhookSecret`: a new secret for a receiver, shown this once;
    /// the one before it still verifies until the next rotation.
    RotateWebhookSecret { id: String },
    /// → `TestResult` for settings and secrets before creating an instance.
    TestConnection(NewInstance),
    /// → `Authorization`: the OAuth sign-in link (the desktop also opens it).
    #[serde(rename_all = "camelCase")]
    AuthorizeInstance {
        id: String,
        #[serde(default)]
        open_browser: bool,
    },
    /// → `EvidenceCollected`: range queries over the incident's window from
    /// every enabled Prometheus instance of its project.
    #[serde(rename_all = "camelCase")]
    CollectEvidence {
        incident_id: String,
        #[serde(default)]
        window_minutes_before: Option<i64>,
        #[serde(default)]
        window_minutes_after: Option<i64>,
    },
    /// → `{"connectors": [...]}` in connectors.json's format, secrets as `${VARIABLES}`.
    ExportConnectors,
    /// → `KubeContexts`: the contexts of a kubeconfig (default `$KUBECONFIG`,
    /// else `~/.kube/config`), for the Kubernetes connector's context picker.
    #[serde(rename_all = "camelCase")]
    ListKubeContexts {
        #[serde(default)]
        kubeconfig: Option<String>,
    },
    /// → `TopologyView`: every entity and edge, with the open incidents' marks.
    GetTopology,
    /// → `TokenList`
    ListTokens,
    /// → `IssuedToken`: the token is in this answer and nowhere else, ever.
    IssueToken { scope: String },
    /// → `TokenView`
    RevokeToken { id: String },
    /// → `SettingsView`
    GetSettings,
    /// → `SettingsView`; applied at the next start.
    SaveSettings(SettingsUpdate),
    /// → `IncidentList`: the list's filter and search over every incident.
    SearchIncidents(IncidentQuery),
    /// → `VersionView`: which Causeway answers.
    GetVersion,
    /// → `TeamView`, or `null` when this Causeway is in no team.
    GetTeam,
}

/// Runs a command and returns its answer as JSON.
pub async fn dispatch(app: &App, command: Command) -> Result<serde_json::Value, ApiError> {
    fn json<T: Serialize>(v: T) -> Result<serde_json::Value, ApiError> {
        serde_json::to_value(v).map_err(|e| ApiError::new(Code::Internal, e.to_string()))
    }
    match command {
        Command::ListIncidents => json(app.list_incidents().await?),
        Command::GetIncident { id } => json(app.get_incident(id).await?),
        Command::ListSignals { unassigned } => json(app.list_signals(unassigned).await?),
        Command::ListDeadLetters => json(app.list_dead_letters().await?),
        Command::ReplayDeadLetter { id } => json(app.replay_dead_letter(id).await?),
        Command::SetIncidentStatus { id, status } => {
            json(app.set_incident_status(id, status).await?)
        }
        Command::TopologyImpact { entity } => json(app.topology_impact(&entity)?),
        Command::ListCatalogue => json(app.catalogue().await?),
        Command::ListInstances => json(app.list_instances().await?),
        Command::CreateInstance(new) => json(app.create_instance(new).await?),
        Command::SetInstanceEnabled { id, enabled } => {
            json(app.set_instance_enabled(id, enabled).await?)
        }
        Command::DeleteInstance { id } => json(app.delete_instance(id).await?),
        Command::MoveSignal {
            signal_id,
            incident_id,
        } => json(app.move_signal(signal_id, incident_id).await?),
        Command::MergeIncidents { from, into } => json(app.merge_incidents(from, into).await?),
        Command::SplitIncident { id, signal_ids } => {
            json(app.split_incident(id, signal_ids).await?)
        }
        Command::GetLedger { id } => json(app.ledger(id).await?),
        Command::ListFeedback => json(app.list_feedback().await?),
        Command::GetCorrelationSettings => json(app.correlation_settings()?),
        Command::Backtest { config } => json(app.backtest(config).await?),
        Command::ApplyCorrelationSettings { config } => json(app.apply_settings(config).await?),
        Command::GetInstance { id } => json(app.get_instance(id).await?),
        Command::UpdateInstance { id, update } => json(app.update_instance(id, update).await?),
        Command::TestInstance { id } => json(app.test_instance(id).await?),
        Command::RotateWebhookSecret { id } => json(app.rotate_webhook_secret(id).await?),
        Command::TestConnection(new) => json(app.test_connection(new).await?),
        Command::AuthorizeInstance { id, open_browser } => {
            json(app.authorize_instance(id, open_browser).await?)
        }
        Command::CollectEvidence {
            incident_id,
            window_minutes_before,
            window_minutes_after,
        } => json(
            app.collect_evidence(incident_id, window_minutes_before, window_minutes_after)
                .await?,
        ),
        Command::ExportConnectors => json(app.export_connectors().await?),
        Command::ListKubeContexts { kubeconfig } => json(app.kube_contexts(kubeconfig).await?),
        Command::GetTopology => json(app.topology_view().await?),
        Command::ListTokens => json(app.list_tokens().await?),
        Command::IssueToken { scope } => json(app.issue_token(scope).await?),
        Command::RevokeToken { id } => json(app.revoke_token(id).await?),
        Command::GetSettings => json(app.settings()),
        Command::SaveSettings(update) => json(app.save_settings(update).await?),
        Command::GetTeam => json(app.team_view().await),
        Command::SearchIncidents(q) => json(app.search_incidents(q).await?),
        Command::GetVersion => json(crate::api::version::current()),
    }
}

/// Parses a raw command from a transport, with a `{code, message}` error.
/// The error says where the command is wrong, never the value there (it
/// may be a secret).
pub fn parse(value: serde_json::Value) -> Result<Command, ApiError> {
    crate::api::error::from_value(value, "not a command")
}
