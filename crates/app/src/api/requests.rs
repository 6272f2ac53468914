//! What the commands take: the arguments of the commands whose arguments are
//! more than an id. They sit with the command list rather than with the code
//! that acts on them, so the command list depends on nothing else in the app.

use causeway_core::{Sensitive, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncidentQuery {
    /// `open` (anything not resolved, the default), `all`, or one status.
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<String>,
    /// Only these severities (empty: all).
    #[serde(default)]
    #[ts(optional)]
    pub severities: Option<Vec<Severity>>,
    /// Words that must all appear in the title, id, pattern or root cause.
    #[serde(default)]
    #[ts(optional)]
    pub query: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<i64>,
    /// The project searched (`default` when none).
    #[serde(default)]
    #[ts(optional)]
    pub project: Option<String>,
}

/// `PATCH /api/connectors/instances/{id}`: what to change; absent fields stay.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InstanceUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Merged over the current settings (`null` removes a key).
    #[serde(default)]
    #[ts(type = "Record<string, unknown> | null")]
    pub config: Option<serde_json::Value>,
    /// Field → new value, straight to the keychain.
    #[serde(default)]
    #[ts(type = "Record<string, string>")]
    pub secrets: BTreeMap<String, Sensitive<String>>,
}

/// `saveSettings`: a field left out keeps its saved value; `resetDataDir`
/// goes back to the platform default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsUpdate {
    #[serde(default)]
    #[ts(optional)]
    pub data_dir: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub reset_data_dir: Option<bool>,
    #[serde(default)]
    #[ts(optional)]
    pub webhook_port: Option<u16>,
    /// Joins this team at the next start (`url` empty: leave the team).
    #[serde(default)]
    #[ts(optional)]
    pub team: Option<TeamPrefs>,
    /// The team Redis's password, straight to the keychain (empty: none).
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub team_password: Option<causeway_core::Sensitive<String>>,
}

/// Team mode as saved: the Redis URL (no password), the team's and this
/// member's names.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TeamPrefs {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub member: Option<String>,
}

/// `POST /api/connectors/instances`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewInstance {
    pub descriptor_id: String,
    #[serde(default = "default_project")]
    pub project_id: String,
    pub name: String,
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub config: serde_json::Value,
    /// Field → value, straight to the keychain.
    #[serde(default)]
    #[ts(type = "Record<string, string>")]
    pub secrets: BTreeMap<String, Sensitive<String>>,
}

pub(crate) fn default_project() -> String {
    "default".into()
}
