//! Reading descriptor files: JSON → schema check → typed → compiled.
//!
//! Built-ins are embedded in the binary so a release cannot ship without them;
//! user descriptors come from a folder and pass exactly the same checks.

use super::model::{ConnectorDescriptor, DescriptorKind, IngestionMode};
use super::DescriptorNormalizer;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

/// The built-in descriptors, by file name.
pub(super) const BUILTIN: &[(&str, &str)] = &[
    (
        "alertmanager.json",
        include_str!("../../../../descriptors/alertmanager.json"),
    ),
    (
        "grafana.json",
        include_str!("../../../../descriptors/grafana.json"),
    ),
    (
        "pagerduty.json",
        include_str!("../../../../descriptors/pagerduty.json"),
    ),
    (
        "datadog.json",
        include_str!("../../../../descriptors/datadog.json"),
    ),
    (
        "sentry.json",
        include_str!("../../../../descriptors/sentry.json"),
    ),
    (
        "github.json",
        include_str!("../../../../descriptors/github.json"),
    ),
    (
        "kubernetes-events.json",
        include_str!("../../../../descriptors/kubernetes-events.json"),
    ),
    (
        "kubernetes.json",
        include_str!("../../../../descriptors/kubernetes.json"),
    ),
    (
        "redis-streams.json",
        include_str!("../../../../descriptors/redis-streams.json"),
    ),
    (
        "imap.json",
        include_str!("../../../../descriptors/imap.json"),
    ),
    (
        "opsgenie.json",
        include_str!("../../../../descriptors/opsgenie.json"),
    ),
    (
        "newrelic.json",
        include_str!("../../../../descriptors/newrelic.json"),
    ),
    (
        "cloudwatch.json",
        include_str!("../../../../descriptors/cloudwatch.json"),
    ),
    (
        "stackdriver.json",
        include_str!("../../../../descriptors/stackdriver.json"),
    ),
    (
        "pingdom.json",
        include_str!("../../../../descriptors/pingdom.json"),
    ),
    (
        "graylog.json",
        include_str!("../../../../descriptors/graylog.json"),
    ),
    (
        "prometheus.json",
        include_str!("../../../../descriptors/prometheus.json"),
    ),
    (
        "jira.json",
        include_str!("../../../../descriptors/jira.json"),
    ),
    (
        "github-issues.json",
        include_str!("../../../../descriptors/github-issues.json"),
    ),
    (
        "github-pulls.json",
        include_str!("../../../../descriptors/github-pulls.json"),
    ),
    (
        "linear.json",
        include_str!("../../../../descriptors/linear.json"),
    ),
    (
        "trello.json",
        include_str!("../../../../descriptors/trello.json"),
    ),
    (
        "slack.json",
        include_str!("../../../../descriptors/slack.json"),
    ),
    (
        "notion.json",
        include_str!("../../../../descriptors/notion.json"),
    ),
    (
        "confluence.json",
        include_str!("../../../../descriptors/confluence.json"),
    ),
    (
        "statuspage.json",
        include_str!("../../../../descriptors/statuspage.json"),
    ),
    (
        "gitlab-issues.json",
        include_str!("../../../../descriptors/gitlab-issues.json"),
    ),
    (
        "healthchecks.json",
        include_str!("../../../../descriptors/healthchecks.json"),
    ),
    (
        "azure-monitor.json",
        include_str!("../../../../descriptors/azure-monitor.json"),
    ),
    (
        "zabbix.json",
        include_str!("../../../../descriptors/zabbix.json"),
    ),
    (
        "uptimerobot.json",
        include_str!("../../../../descriptors/uptimerobot.json"),
    ),
    (
        "splunk.json",
        include_str!("../../../../descriptors/splunk.json"),
    ),
    (
        "gcp-pubsub.json",
        include_str!("../../../../descriptors/gcp-pubsub.json"),
    ),
    (
        "freshping.json",
        include_str!("../../../../descriptors/freshping.json"),
    ),
    (
        "uptime-kuma.json",
        include_str!("../../../../descriptors/uptime-kuma.json"),
    ),
    (
        "betterstack.json",
        include_str!("../../../../descriptors/betterstack.json"),
    ),
    (
        "checkly.json",
        include_str!("../../../../descriptors/checkly.json"),
    ),
    (
        "honeycomb.json",
        include_str!("../../../../descriptors/honeycomb.json"),
    ),
    (
        "dynatrace.json",
        include_str!("../../../../descriptors/dynatrace.json"),
    ),
    (
        "icinga2.json",
        include_str!("../../../../descriptors/icinga2.json"),
    ),
    (
        "elastalert.json",
        include_str!("../../../../descriptors/elastalert.json"),
    ),
    (
        "incident-io.json",
        include_str!("../../../../descriptors/incident-io.json"),
    ),
];

/// The JSON Schema every descriptor must satisfy.
pub const SCHEMA: &str = include_str!("../../../../descriptors/schema.json");

/// Why a descriptor was refused: the file, the JSON path (a JSON Pointer, `""`
/// for the whole document) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("descriptor {file}: at '{path}': {message}")]
pub struct DescriptorError {
    pub file: String,
    pub path: String,
    pub message: String,
}

impl DescriptorError {
    pub fn new(file: &str, path: &str, message: String) -> Self {
        DescriptorError {
            file: file.to_string(),
            path: path.to_string(),
            message,
        }
    }
}

fn validator() -> Result<&'static jsonschema::Validator, DescriptorError> {
    static V: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
        jsonschema::draft202012::new(&schema).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| DescriptorError::new("schema.json", "", e.clone()))
}

/// Parses and checks one descriptor file's text, without compiling its mapping.
pub fn parse_descriptor(file: &str, text: &str) -> Result<ConnectorDescriptor, DescriptorError> {
    let json: Value = serde_json::from_str(text)
        .map_err(|e| DescriptorError::new(file, "", format!("not JSON: {e}")))?;
    let v = validator()?;
    // The deepest error first: it names the field actually at fault rather
    // than the `oneOf` around it.
    let mut errors: Vec<(String, String)> = v
        .iter_errors(&json)
        .map(|e| (e.instance_path().to_string(), e.to_string()))
        .collect();
    errors.sort_by(|a, b| {
        let depth = |p: &str| p.matches('/').count();
        depth(&b.0).cmp(&depth(&a.0)).then_with(|| a.cmp(b))
    });
    if let Some((path, message)) = errors.into_iter().next() {
        return Err(DescriptorError::new(file, &path, message));
    }
    let d: ConnectorDescriptor =
        serde_json::from_value(json).map_err(|e| DescriptorError::new(file, "", e.to_string()))?;
    if let Err(e) = jsonschema::meta::validate(&d.config_schema) {
        return Err(DescriptorError::new(
            file,
            &format!("/configSchema{}", e.instance_path()),
            format!("not a valid JSON Schema: {e}"),
        ));
    }
    let takes_webhooks = d.ingestion.mode != IngestionMode::Polling;
    if d.kind == DescriptorKind::Generic && d.mapping.is_none() && takes_webhooks {
        return Err(DescriptorError::new(
            file,
            "/mapping",
            "a generic connector that takes webhooks needs a mapping".into(),
        ));
    }
    if d.kind == DescriptorKind::Generic
        && d.ingestion.mode != IngestionMode::Webhook
        && d.polling.is_none()
    {
        return Err(DescriptorError::new(
            file,
            "/polling",
            "a generic connector that polls needs a polling section".into(),
        ));
    }
    Ok(d)
}

/// A checked descriptor and, for generic ones, its runnable normalizer.
pub(super) struct Loaded {
    pub file: String,
    pub descriptor: ConnectorDescriptor,
    pub normalizer: Option<DescriptorNormalizer>,
}

pub(super) fn load(file: &str, text: &str) -> Result<Loaded, DescriptorError> {
    let descriptor = parse_descriptor(file, text)?;
    let normalizer = match descriptor.kind {
        DescriptorKind::Native => None,
        DescriptorKind::Generic => Some(DescriptorNormalizer::new(file, descriptor.clone())?),
    };
    Ok(Loaded {
        file: file.to_string(),
        descriptor,
        normalizer,
    })
}

/// Reads every `*.json` in `dir` (sorted, not recursive), refusing the whole
/// folder on the first bad file so a half-loaded set never runs.
pub(super) fn read_dir(dir: &Path) -> Result<Vec<Loaded>, DescriptorError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| DescriptorError::new(&shown, "", format!("cannot read folder: {e}")))?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| DescriptorError::new(&name, "", format!("cannot read: {e}")))?;
        out.push(load(&name, &text)?);
    }
    Ok(out)
}
