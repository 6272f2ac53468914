//! The one command list. The Tauri shell's `rpc` command and the server's
//! `POST /api/rpc` both take a [`Command`] and answer with its JSON, so the UI
//! speaks the same language to either host; the REST routes of the HTTP spec
//! map onto the same functions.

use crate::api::error::{ApiError, Code};
use crate::api::requests::IncidentQuery;
use crate::api::requests::InstanceUpdate;
use crate::api::requests::NewInstance;
use crate::api::requests::SettingsUpdate;
use crate::api::tokens::{IssuedToken, TokenList, TokenView};
use crate::api::version::VersionView;
use crate::api::views::{
    DeadLetterList, IncidentDetail, IncidentList, IncidentSummary, LedgerView, Replayed, SignalList,
};
use crate::config::settings::SettingsView;
use crate::connectors::instances::{Catalogue, InstanceList, InstanceView};
use crate::connectors::kubernetes::KubeContexts;
use crate::connectors::ops::{Authorization, TestResult};
use crate::connectors::webhook_secrets::NewWebhookSecret;
use crate::history::backtest::BacktestReport;
use crate::incidents::evidence::EvidenceCollected;
use crate::incidents::overrides::{FeedbackList, OverrideResult};
use crate::team::view::TeamView;
use crate::topology::view::TopologyView;
use crate::{App, ImpactView};
use causeway_core::{CorrelationConfig, IncidentStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the UI can ask; what each answers with is declared in code, in
/// [`answer`] (the `answers!` table below).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "command", content = "args", rename_all = "camelCase")]
pub enum Command {
    ListIncidents,
    GetIncident {
        id: String,
    },
    #[serde(rename_all = "camelCase")]
    ListSignals {
        #[serde(default)]
        unassigned: bool,
    },
    ListDeadLetters,
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
    ListInstances,
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
    GetCorrelationSettings,
    /// What `config` would change over the stored
    /// history (incidents created, merged, split), without applying it.
    Backtest {
        config: CorrelationConfig,
    },
    /// Applies `config` to the decisions to come.
    ApplyCorrelationSettings {
        config: CorrelationConfig,
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
    GetTopology,
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
}

/// Declares each command's answer type in code. `answer::GetIncident` is the
/// type `getIncident` answers with: [`dispatch`] answers every command through
/// its alias (an arm that returns anything else does not compile, and a
/// command missing here has no alias to answer through), and
/// [`visit_answers`] walks the same table for the bindings test, which
/// generates the UI's typed client (`ui/src/bindings/client.ts`) from it.
/// A table of aliases rather than a trait or a derive: nothing to compile
/// but the names.
macro_rules! answers {
    ($($variant:ident => $answer:ty,)*) => {
        /// Each command's answer type, named after its variant.
        pub mod answer {
            use super::*;
            $(pub type $variant = $answer;)*
        }

        /// Calls `visit` with every command's name as the wire spells it
        /// (`getIncident`) and its answer type.
        pub fn visit_answers(visit: &mut impl AnswerVisitor) {
            $(visit.visit::<$answer>(&wire_name(stringify!($variant)));)*
        }
    };
}

/// Sees every command with its answer type (see [`visit_answers`]).
pub trait AnswerVisitor {
    fn visit<T: TS + 'static>(&mut self, command: &str);
}

/// `GetIncident` as `rename_all = "camelCase"` puts it on the wire: `getIncident`.
fn wire_name(variant: &str) -> String {
    let mut chars = variant.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

answers! {
    ListIncidents => IncidentList,
    GetIncident => IncidentDetail,
    ListSignals => SignalList,
    ListDeadLetters => DeadLetterList,
    ReplayDeadLetter => Replayed,
    SetIncidentStatus => IncidentSummary,
    TopologyImpact => ImpactView,
    ListCatalogue => Catalogue,
    ListInstances => InstanceList,
    CreateInstance => InstanceView,
    SetInstanceEnabled => InstanceView,
    DeleteInstance => (),
    MoveSignal => OverrideResult,
    MergeIncidents => OverrideResult,
    SplitIncident => OverrideResult,
    GetLedger => LedgerView,
    ListFeedback => FeedbackList,
    GetCorrelationSettings => CorrelationConfig,
    Backtest => BacktestReport,
    ApplyCorrelationSettings => CorrelationConfig,
    GetInstance => InstanceView,
    UpdateInstance => InstanceView,
    TestInstance => TestResult,
    RotateWebhookSecret => NewWebhookSecret,
    TestConnection => TestResult,
    AuthorizeInstance => Authorization,
    CollectEvidence => EvidenceCollected,
    ExportConnectors => serde_json::Value,
    ListKubeContexts => KubeContexts,
    GetTopology => TopologyView,
    ListTokens => TokenList,
    IssueToken => IssuedToken,
    RevokeToken => TokenView,
    GetSettings => SettingsView,
    SaveSettings => SettingsView,
    SearchIncidents => IncidentList,
    GetVersion => VersionView,
    GetTeam => Option<TeamView>,
}

/// Runs a command and returns its answer as JSON, each through the answer
/// type [`answers!`] declares for it.
pub async fn dispatch(app: &App, command: Command) -> Result<serde_json::Value, ApiError> {
    fn json<T: Serialize>(v: T) -> Result<serde_json::Value, ApiError> {
        serde_json::to_value(v).map_err(|e| ApiError::new(Code::Internal, e.to_string()))
    }
    match command {
        Command::ListIncidents => json::<answer::ListIncidents>(app.list_incidents().await?),
        Command::GetIncident { id } => json::<answer::GetIncident>(app.get_incident(id).await?),
        Command::ListSignals { unassigned } => {
            json::<answer::ListSignals>(app.list_signals(unassigned).await?)
        }
        Command::ListDeadLetters => json::<answer::ListDeadLetters>(app.list_dead_letters().await?),
        Command::ReplayDeadLetter { id } => {
            json::<answer::ReplayDeadLetter>(app.replay_dead_letter(id).await?)
        }
        Command::SetIncidentStatus { id, status } => {
            json::<answer::SetIncidentStatus>(app.set_incident_status(id, status).await?)
        }
        Command::TopologyImpact { entity } => {
            json::<answer::TopologyImpact>(app.topology_impact(&entity)?)
        }
        Command::ListCatalogue => json::<answer::ListCatalogue>(app.catalogue().await?),
        Command::ListInstances => json::<answer::ListInstances>(app.list_instances().await?),
        Command::CreateInstance(new) => {
            json::<answer::CreateInstance>(app.create_instance(new).await?)
        }
        Command::SetInstanceEnabled { id, enabled } => {
            json::<answer::SetInstanceEnabled>(app.set_instance_enabled(id, enabled).await?)
        }
        Command::DeleteInstance { id } => {
            json::<answer::DeleteInstance>(app.delete_instance(id).await?)
        }
        Command::MoveSignal {
            signal_id,
            incident_id,
        } => json::<answer::MoveSignal>(app.move_signal(signal_id, incident_id).await?),
        Command::MergeIncidents { from, into } => {
            json::<answer::MergeIncidents>(app.merge_incidents(from, into).await?)
        }
        Command::SplitIncident { id, signal_ids } => {
            json::<answer::SplitIncident>(app.split_incident(id, signal_ids).await?)
        }
        Command::GetLedger { id } => json::<answer::GetLedger>(app.ledger(id).await?),
        Command::ListFeedback => json::<answer::ListFeedback>(app.list_feedback().await?),
        Command::GetCorrelationSettings => {
            json::<answer::GetCorrelationSettings>(app.correlation_settings()?)
        }
        Command::Backtest { config } => json::<answer::Backtest>(app.backtest(config).await?),
        Command::ApplyCorrelationSettings { config } => {
            json::<answer::ApplyCorrelationSettings>(app.apply_settings(config).await?)
        }
        Command::GetInstance { id } => json::<answer::GetInstance>(app.get_instance(id).await?),
        Command::UpdateInstance { id, update } => {
            json::<answer::UpdateInstance>(app.update_instance(id, update).await?)
        }
        Command::TestInstance { id } => json::<answer::TestInstance>(app.test_instance(id).await?),
        Command::RotateWebhookSecret { id } => {
            json::<answer::RotateWebhookSecret>(app.rotate_webhook_secret(id).await?)
        }
        Command::TestConnection(new) => {
            json::<answer::TestConnection>(app.test_connection(new).await?)
        }
        Command::AuthorizeInstance { id, open_browser } => {
            json::<answer::AuthorizeInstance>(app.authorize_instance(id, open_browser).await?)
        }
        Command::CollectEvidence {
            incident_id,
            window_minutes_before,
            window_minutes_after,
        } => json::<answer::CollectEvidence>(
            app.collect_evidence(incident_id, window_minutes_before, window_minutes_after)
                .await?,
        ),
        Command::ExportConnectors => {
            json::<answer::ExportConnectors>(app.export_connectors().await?)
        }
        Command::ListKubeContexts { kubeconfig } => {
            json::<answer::ListKubeContexts>(app.kube_contexts(kubeconfig).await?)
        }
        Command::GetTopology => json::<answer::GetTopology>(app.topology_view().await?),
        Command::ListTokens => json::<answer::ListTokens>(app.list_tokens().await?),
        Command::IssueToken { scope } => json::<answer::IssueToken>(app.issue_token(scope).await?),
        Command::RevokeToken { id } => json::<answer::RevokeToken>(app.revoke_token(id).await?),
        Command::GetSettings => json::<answer::GetSettings>(app.settings()),
        Command::SaveSettings(update) => {
            json::<answer::SaveSettings>(app.save_settings(update).await?)
        }
        Command::GetTeam => json::<answer::GetTeam>(app.team_view().await),
        Command::SearchIncidents(q) => {
            json::<answer::SearchIncidents>(app.search_incidents(q).await?)
        }
        Command::GetVersion => json::<answer::GetVersion>(crate::api::version::current()),
    }
}

/// Parses a raw command from a transport, with a `{code, message}` error.
/// The error says where the command is wrong, never the value there (it
/// may be a secret).
pub fn parse(value: serde_json::Value) -> Result<Command, ApiError> {
    crate::api::error::from_value(value, "not a command")
}
