//! The `polling` section of a descriptor: how a generic connector pulls.
//!
//! One or more streams, each a request template (`path`, `query`, `headers`,
//! `body` rendered over `config`, `since`, `pageToken`, …), where its items
//! are in the answer, how to page, how to ask only for what changed, which
//! field identifies an item and which tell that it changed, and the mapping
//! that turns one item into a signal (the same language as webhooks, with
//! `$.item` being the polled item).
//!
//! A descriptor carries it ([`crate::descriptor::ConnectorDescriptor`]); it
//! lives here, beside the generic poller that runs it, so that the descriptor
//! model depends on the poller's types and never the other way round.

use super::auth::AuthSpec;
use crate::runtime::ErrorClass;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PollingSpec {
    /// Template over the config: `{{ config.baseUrl | default('https://api.github.com') }}`.
    pub base_url: String,
    #[serde(default = "default_interval")]
    pub interval_seconds: u64,
    /// The provider's documented quota for one token (0: none).
    #[serde(default)]
    pub requests_per_minute: u32,
    #[serde(default)]
    pub auth: AuthList,
    /// Sent with every request (templates).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// HTTP status → class, over the defaults (`{"404": "ignore"}`).
    #[serde(default)]
    pub errors: BTreeMap<String, ErrorClass>,
    /// An answer that is an error despite its 2xx status (Slack answers
    /// 200 with `{"ok": false, "error": "invalid_auth"}`).
    #[serde(default)]
    pub answer_error: Option<AnswerError>,
    pub streams: Vec<StreamSpec>,
}

/// Where a 2xx answer says it failed, and how each failure is treated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerError {
    /// JSONPath to the error code: a non-empty text there makes the answer
    /// an error (`$.error`).
    pub path: String,
    /// Code → class; a code not listed is `fail`.
    #[serde(default)]
    pub classes: BTreeMap<String, ErrorClass>,
}

fn default_interval() -> u64 {
    60
}

/// One auth spec or several applied in turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AuthList {
    One(AuthSpec),
    Many(Vec<AuthSpec>),
}

impl Default for AuthList {
    fn default() -> Self {
        AuthList::Many(Vec::new())
    }
}

impl AuthList {
    pub fn list(&self) -> Vec<AuthSpec> {
        match self {
            AuthList::One(a) => vec![a.clone()],
            AuthList::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StreamSpec {
    /// Names the stream in checkpoints, version hashes and the inbox header.
    pub name: String,
    pub request: RequestSpec,
    /// JSONPath over the answer to its items (`$.issues[*]`, `$[*]`).
    pub items_path: String,
    #[serde(default)]
    pub pagination: Option<Pagination>,
    #[serde(default)]
    pub delta: Option<Delta>,
    /// JSONPath over one item to its identity (`$.id`).
    pub item_key: String,
    /// JSONPaths over one item whose values make its version; empty: the whole item.
    #[serde(default)]
    pub version_fields: Vec<String>,
    /// Item → signal, in the mapping language; `$.item` is one polled item.
    pub mapping: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestSpec {
    #[serde(default = "get")]
    pub method: String,
    /// Appended to the base URL; a template.
    pub path: String,
    /// Query parameters (templates); one that renders empty is left out.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A template rendering the body (JSON for GraphQL APIs: use `tojson`).
    #[serde(default)]
    pub body: Option<String>,
}

fn get() -> String {
    "GET".into()
}

/// How to get the next page, and when to stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pagination {
    /// `offset` goes up by the items received; stops on a short page or at `totalPath`.
    #[serde(rename_all = "camelCase")]
    Offset {
        limit: u64,
        #[serde(default)]
        total_path: Option<String>,
    },
    /// `page` counts from `start`; stops on a short (or empty) page.
    #[serde(rename_all = "camelCase")]
    Page {
        limit: u64,
        #[serde(default = "one")]
        start: u64,
    },
    /// `pageToken` is read from the answer at `cursorPath`; stops when it is
    /// absent or empty, or when `hasMorePath` is false.
    #[serde(rename_all = "camelCase")]
    Cursor {
        cursor_path: String,
        #[serde(default)]
        has_more_path: Option<String>,
    },
    /// The `Link: <…>; rel="next"` header (GitHub, Sentry, Okta); stops without one.
    Link,
}

fn one() -> u64 {
    1
}

/// How to ask only for what changed since the last poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Delta {
    /// `since` = the newest item time seen (`itemPath`) minus `lookBackSeconds`,
    /// in `format`; the first poll looks back `initialLookBackSeconds`.
    #[serde(rename_all = "camelCase")]
    Timestamp {
        item_path: String,
        #[serde(default = "look_back")]
        look_back_seconds: i64,
        #[serde(default = "initial_look_back")]
        initial_look_back_seconds: i64,
        #[serde(default)]
        format: SinceFormat,
    },
    /// `deltaToken` = the value at `path` in the last page of the previous poll.
    Token { path: String },
    /// The next poll starts at the last cursor (`pageToken`) this one saw.
    Cursor,
    /// `sinceId` = the largest item id (`itemPath`) seen.
    #[serde(rename_all = "camelCase")]
    SinceId { item_path: String },
}

fn look_back() -> i64 {
    60
}
fn initial_look_back() -> i64 {
    7 * 24 * 3600
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinceFormat {
    #[default]
    Rfc3339,
    EpochS,
    EpochMs,
    /// Jira's JQL: `2026/11/20 03:00` (minutes).
    Jql,
}
