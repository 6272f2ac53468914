//! A person's decision about incidents or the correlation settings, as one
//! value: alone, the app applies it at once; in a team it travels on the
//! team log and every member applies it alike (see `team::apply`).

use causeway_core::{CorrelationConfig, IncidentStatus};
use serde::{Deserialize, Serialize};

/// A person's decision, as it travels on the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Decision {
    #[serde(rename_all = "camelCase")]
    Status { id: String, status: IncidentStatus },
    #[serde(rename_all = "camelCase")]
    Move { signal_id: String, to: String },
    #[serde(rename_all = "camelCase")]
    Merge { from: String, into: String },
    #[serde(rename_all = "camelCase")]
    Split { id: String, signal_ids: Vec<String> },
    #[serde(rename_all = "camelCase")]
    /// Boxed: settings are large, and the other decisions are small. Each
    /// project has its own.
    Settings {
        config: Box<CorrelationConfig>,
        #[serde(default = "crate::api::requests::default_project")]
        project: String,
    },
    /// A project made or renamed: every member keeps the same projects.
    #[serde(rename_all = "camelCase")]
    ProjectSet { id: String, name: String },
    /// A project deleted, with everything in it, on every member.
    #[serde(rename_all = "camelCase")]
    ProjectDelete { id: String },
}
