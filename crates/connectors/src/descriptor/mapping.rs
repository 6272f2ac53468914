//! The mapping section of a descriptor, typed.
//!
//! Every JSONPath is evaluated over one scope object,
//! `{"item": …, "root": …, "headers": {…}, "event_type": …}`, and every
//! template sees the same four names, so a path and a template that read the
//! same field look alike (`$.item.labels` and `{{ item.labels }}`).

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One mapping (the base, or the base with a variant merged over it).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MappingSpec {
    /// Upper snake source type (`GRAFANA_ALERT`).
    pub source_type: String,
    /// One signal per match, in order; else the root is the one item.
    #[serde(default)]
    pub items_path: Option<String>,
    /// JSON carried in a string (SNS `Message`), parsed in place first.
    #[serde(default)]
    pub decode: Option<Decode>,
    #[serde(default)]
    pub id_path: Option<Paths>,
    #[serde(default)]
    pub fingerprint: Option<Field>,
    /// Hashed (in order) when `fingerprint` yields nothing.
    #[serde(default)]
    pub fingerprint_fields: Vec<String>,
    pub title: Field,
    /// A composed one-liner, used as the description when `description` yields none.
    #[serde(default)]
    pub summary_template: Option<String>,
    #[serde(default)]
    pub description: Option<Field>,
    #[serde(default)]
    pub timestamp_path: Option<Paths>,
    #[serde(default)]
    pub timestamp_format: TimeFormat,
    #[serde(default)]
    pub ended_at_path: Option<Paths>,
    #[serde(default)]
    pub status: Option<Classifier>,
    #[serde(default)]
    pub severity: Option<Classifier>,
    #[serde(default)]
    pub kind: Option<KindSpec>,
    #[serde(default)]
    pub labels_path: Option<Paths>,
    #[serde(default)]
    pub tags: Vec<TagSpec>,
    #[serde(default)]
    pub entity: Option<Field>,
    #[serde(default)]
    pub service: Option<Field>,
    #[serde(default)]
    pub environment: Option<Field>,
    #[serde(default)]
    pub region: Option<Field>,
    #[serde(default)]
    pub team: Option<Field>,
    #[serde(default)]
    pub external_url: Option<Field>,
    #[serde(default)]
    pub correlation_key: Option<Field>,
    #[serde(default)]
    pub trace_id_path: Option<Paths>,
    /// People involved (assignees, actors), joined into the `participants` tag.
    #[serde(default)]
    pub participants: Option<Paths>,
    /// Linked items (`{"pull_request": "$.item.…"}`) → `related.<name>` tags.
    #[serde(default)]
    pub related_items: BTreeMap<String, Field>,
    /// Payload fields kept verbatim as tags `<rawFieldsPrefix><name>`.
    #[serde(default)]
    pub raw_fields: BTreeMap<String, Paths>,
    #[serde(default)]
    pub raw_fields_prefix: Option<String>,
    /// Items that are not alerts (a queued check, a successful run, a
    /// note added to an alert): when any entry holds, the item yields no
    /// signal. Taken, not refused: the sender did nothing wrong.
    #[serde(default)]
    pub skip_when: Vec<When>,
    /// The other way round: an item yields a signal only when this holds
    /// (a GitHub check run only when it completed and failed).
    #[serde(default)]
    pub only_when: Option<When>,
}

/// One JSONPath, or alternatives tried in order (the first non-empty match wins).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    One(String),
    Many(Vec<String>),
}

impl Paths {
    pub fn list(&self) -> Vec<&str> {
        match self {
            Paths::One(p) => vec![p.as_str()],
            Paths::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A text value: a bare template string, or a path/template/default chain.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Field {
    Template(String),
    Spec(FieldSpec),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(default)]
    pub path: Option<Paths>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub default: Option<String>,
}

impl Field {
    pub fn spec(&self) -> FieldSpec {
        match self {
            Field::Template(t) => FieldSpec {
                path: None,
                template: Some(t.clone()),
                default: None,
            },
            Field::Spec(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decode {
    pub path: String,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    Rfc3339,
    EpochS,
    EpochMs,
    #[default]
    Auto,
}

/// A raw value (path, else template) looked up in `map`, else read as a
/// canonical word, else `default`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classifier {
    #[serde(default)]
    pub path: Option<Paths>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub map: BTreeMap<String, String>,
    #[serde(default)]
    pub default: Option<String>,
}

/// A fixed kind, or rules where the first whose `when` holds wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KindSpec {
    Fixed(String),
    Rules(Vec<KindRule>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    /// Absent: always holds (a final catch-all).
    #[serde(default)]
    pub when: Option<When>,
    pub then: String,
}

/// One condition, or several that must all hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum When {
    One(Condition),
    All(Vec<Condition>),
}

impl When {
    pub fn list(&self) -> Vec<&Condition> {
        match self {
            When::One(c) => vec![c],
            When::All(v) => v.iter().collect(),
        }
    }
}

/// Holds when any value at `path` passes every test given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub path: String,
    #[serde(default)]
    pub equals: Option<Value>,
    #[serde(default)]
    pub contains: Option<String>,
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub matches: Option<String>,
}

/// Where tags come from and how they are written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagSpec {
    pub path: String,
    #[serde(default)]
    pub format: TagFormat,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TagFormat {
    /// `{"k": "v"}`
    #[default]
    Object,
    /// `["k:v", "k2:v2"]`, `[["k", "v"]]` (Sentry) or `[{"name": k, "value": v}]`
    ListKv,
    /// `"k:v,k2:v2"` (Datadog's `$TAGS`)
    CsvKv,
}
