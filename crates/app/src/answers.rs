//! Each command's answer type, declared in code, and the dispatcher that
//! answers every command through it. This sits at the crate's top because
//! the answers are types of every folder (incidents, connectors, settings,
//! the team…); the command list itself stays in `api/`, which depends on
//! no other folder.

use crate::api::commands::Command;
use crate::api::error::{ApiError, Code};
use crate::api::tokens::{IssuedToken, TokenList, TokenView};
use crate::api::version::VersionView;
use crate::api::views::{
    DeadLetterList, IncidentDetail, IncidentList, IncidentSummary, LedgerView, Replayed,
    SignalList, SignalPage,
};
use crate::config::settings::SettingsView;
use crate::connectors::instances::{Catalogue, InstanceList, InstanceView};
use crate::connectors::kubernetes::KubeContexts;
use crate::connectors::ops::{Authorization, TestResult};
use crate::connectors::webhook_secrets::NewWebhookSecret;
use crate::history::backtest::BacktestReport;
use crate::incidents::evidence::EvidenceCollected;
use crate::incidents::overrides::{FeedbackList, OverrideResult};
use crate::projects::{ProjectCreated, ProjectDetail, ProjectList, ProjectView};
use crate::team::view::TeamView;
use crate::topology::view::TopologyView;
use crate::{App, ImpactView};
use causeway_core::CorrelationConfig;
use serde::Serialize;
use ts_rs::TS;

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
    ListIncidentSignals => SignalPage,
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
    ListProjects => ProjectList,
    GetProject => ProjectDetail,
    CreateProject => ProjectCreated,
    RenameProject => ProjectView,
    DeleteProject => ProjectDetail,
}

/// Runs a command and returns its answer as JSON, each through the answer
/// type the `answers!` table declares for it.
pub async fn dispatch(app: &App, command: Command) -> Result<serde_json::Value, ApiError> {
    fn json<T: Serialize>(v: T) -> Result<serde_json::Value, ApiError> {
        serde_json::to_value(v).map_err(|e| ApiError::new(Code::Internal, e.to_string()))
    }
    match command {
        Command::ListIncidents { project } => {
            json::<answer::ListIncidents>(app.list_incidents(project).await?)
        }
        Command::GetIncident { id } => json::<answer::GetIncident>(app.get_incident(id).await?),
        Command::ListIncidentSignals { id, offset, limit } => {
            json::<answer::ListIncidentSignals>(app.list_incident_signals(id, offset, limit).await?)
        }
        Command::ListSignals {
            unassigned,
            project,
        } => json::<answer::ListSignals>(app.list_signals(unassigned, project).await?),
        Command::ListDeadLetters { project } => {
            json::<answer::ListDeadLetters>(app.list_dead_letters(project).await?)
        }
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
        Command::ListInstances { project } => {
            json::<answer::ListInstances>(app.list_instances(project).await?)
        }
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
        Command::GetCorrelationSettings { project } => {
            let project = app.project_or_default(project).await?;
            json::<answer::GetCorrelationSettings>(app.correlation_settings(&project)?)
        }
        Command::Backtest { config, project } => {
            let project = app.project_or_default(project).await?;
            json::<answer::Backtest>(app.backtest(config, project).await?)
        }
        Command::ApplyCorrelationSettings { config, project } => {
            let project = app.project_or_default(project).await?;
            json::<answer::ApplyCorrelationSettings>(app.apply_settings(config, project).await?)
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
        Command::GetTopology { project } => {
            json::<answer::GetTopology>(app.topology_view(project).await?)
        }
        Command::ListTokens => json::<answer::ListTokens>(app.list_tokens().await?),
        Command::IssueToken { scope } => json::<answer::IssueToken>(app.issue_token(scope).await?),
        Command::RevokeToken { id } => json::<answer::RevokeToken>(app.revoke_token(id).await?),
        Command::GetSettings => json::<answer::GetSettings>(app.settings()),
        Command::SaveSettings(update) => {
            json::<answer::SaveSettings>(app.save_settings(update).await?)
        }
        Command::GetTeam => json::<answer::GetTeam>(app.team_view().await),
        Command::ListProjects => json::<answer::ListProjects>(app.list_projects().await?),
        Command::GetProject { id } => json::<answer::GetProject>(app.get_project(id).await?),
        Command::CreateProject { id, name } => {
            json::<answer::CreateProject>(app.create_project(id, name).await?)
        }
        Command::RenameProject { id, name } => {
            json::<answer::RenameProject>(app.rename_project(id, name).await?)
        }
        Command::DeleteProject { id } => {
            json::<answer::DeleteProject>(app.delete_project(id).await?)
        }
        Command::SearchIncidents(q) => {
            json::<answer::SearchIncidents>(app.search_incidents(q).await?)
        }
        Command::GetVersion => json::<answer::GetVersion>(crate::api::version::current()),
    }
}
