//! The connector descriptor: everything Causeway knows about a provider, as data.
//!
//! The same file drives the catalogue (name, category, icon), the setup form
//! (`configSchema`), the webhook gateway (`auth.scheme`, `ingestion`) and, for
//! generic connectors, the payload → signal mapping. Keeping it data means a
//! new source is a reviewed JSON file, not a release.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One connector, as read from `descriptors/*.json` or a user folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectorDescriptor {
    /// Route and replay id (`grafana`, `kubernetes-events`).
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: Category,
    pub icon: String,
    pub kind: DescriptorKind,
    pub version: String,
    pub auth: Auth,
    pub ingestion: Ingestion,
    /// Payload → signal rules; absent for native connectors, whose code maps.
    /// Kept as JSON here because variants are merged over the base before the
    /// typed form ([`super::mapping::MappingSpec`]) is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<Value>,
    /// How to check the connection; free-form until polling lands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<Value>,
    /// How a generic connector pulls (streams, paging, deltas, per-stream mappings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling: Option<crate::poll::spec::PollingSpec>,
    /// JSON Schema of the instance settings; secret fields carry `"x-secret": true`.
    pub config_schema: Value,
}

/// Where the catalogue files a connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Category {
    #[serde(rename = "Project Management")]
    ProjectManagement,
    Communication,
    #[serde(rename = "Code & DevOps")]
    CodeDevOps,
    Observability,
    Documents,
    Custom,
}

/// Native connectors are Rust code; generic ones run on the mapping engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DescriptorKind {
    Native,
    Generic,
}

/// How a connector proves who it is (or how we prove it to the provider).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Auth {
    #[serde(rename = "type")]
    pub kind: AuthType,
    /// How the webhook gateway verifies a delivery (`connectors::verify`),
    /// e.g. `{"type": "github_sha256"}`; typed, so a descriptor naming an
    /// unknown scheme is refused when it loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<crate::verify::Scheme>,
    /// Scheme-specific settings (header names, token placement...).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthType {
    Oauth2,
    ApiKey,
    Pat,
    Basic,
    WebhookSecret,
    /// The provider signs each delivery with an OpenID Connect token the
    /// gateway checks against its published keys (Pub/Sub push): no secret.
    Oidc,
    None,
}

impl AuthType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::Oauth2 => "oauth2",
            AuthType::ApiKey => "api_key",
            AuthType::Pat => "pat",
            AuthType::Basic => "basic",
            AuthType::WebhookSecret => "webhook_secret",
            AuthType::Oidc => "oidc",
            AuthType::None => "none",
        }
    }
}

/// How payloads arrive and how their event type is told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingestion {
    pub mode: IngestionMode,
    /// JSONPath over the scope (`$.root.event.event_type`) giving the event type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type_path: Option<String>,
    /// Request header carrying the event type (`x-github-event`); wins over the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type_header: Option<String>,
    /// The event types the mapping understands; others are refused with a
    /// clear error rather than turned into meaningless signals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<String>,
    /// Event types taken (2xx) but mapped to no signal: deliveries that say
    /// nothing about a system's health (GitHub's `ping`, a note added to an
    /// Opsgenie alert). Compared without case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_event_types: Vec<String>,
    #[serde(default = "json_only")]
    pub content_types: Vec<String>,
}

fn json_only() -> Vec<String> {
    vec!["application/json".into()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestionMode {
    Polling,
    Webhook,
    Both,
    /// A native connector that holds a connection open (Kubernetes watches):
    /// it takes no webhooks and has no poll interval.
    Streaming,
    /// A native connector that consumes a message stream through a consumer
    /// group (Redis Streams): entries are acknowledged only after they are
    /// committed, so the broker keeps what was not taken in. No webhooks, no
    /// poll interval.
    Stream,
}

impl IngestionMode {
    /// Whether the webhook gateway takes bodies for such a connector.
    pub fn takes_webhooks(self) -> bool {
        matches!(self, IngestionMode::Webhook | IngestionMode::Both)
    }
}

/// What the UI's catalogue needs to list a connector and draw its setup form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescriptorSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    pub icon: String,
    pub category: Category,
    pub kind: DescriptorKind,
    pub auth: Auth,
    pub ingestion: Ingestion,
    pub config_schema: Value,
}

impl From<&ConnectorDescriptor> for DescriptorSummary {
    fn from(d: &ConnectorDescriptor) -> Self {
        DescriptorSummary {
            id: d.id.clone(),
            name: d.name.clone(),
            description: d.description.clone(),
            icon: d.icon.clone(),
            category: d.category,
            kind: d.kind,
            auth: d.auth.clone(),
            ingestion: d.ingestion.clone(),
            config_schema: d.config_schema.clone(),
        }
    }
}
