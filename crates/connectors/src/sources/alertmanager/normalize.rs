//! Alertmanager payload → signals.

use crate::labels::{entity_from_labels, label_fingerprint, service_from_labels};
use crate::runtime::{Context, NormalizeError, Normalizer};
use causeway_core::conventions::Labels;
use causeway_core::hash::short_hex;
use causeway_core::{Severity, Signal, SignalKind, SignalStatus};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The Alertmanager normalizer.
pub struct Alertmanager;

/// Kinds whose name is the service's name (through the owner chain).
const WORKLOAD_KINDS: &[&str] = &[
    "pod",
    "deployment",
    "statefulset",
    "daemonset",
    "replicaset",
];

impl Normalizer for Alertmanager {
    fn id(&self) -> &str {
        "alertmanager"
    }

    fn item_count(&self, body: &Value) -> usize {
        body.get("alerts")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }

    /// Counts `alerts` while skipping over everything else, without
    /// building the document: this runs for every webhook before the 202.
    /// Any other shape takes the general path.
    fn count_items(&self, body: &[u8]) -> Result<usize, NormalizeError> {
        #[derive(serde::Deserialize)]
        struct Alerts {
            alerts: Vec<serde::de::IgnoredAny>,
        }
        // serde would also read a struct from an array; only an object
        // takes the fast path.
        let object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        match serde_json::from_slice::<Alerts>(body) {
            Ok(a) if object => Ok(a.alerts.len()),
            _ => Ok(self.item_count(&crate::runtime::parse_json(body)?)),
        }
    }

    fn normalize(&self, body: &Value, ctx: &Context<'_>) -> Result<Vec<Signal>, NormalizeError> {
        normalize_as(body, ctx, "alertmanager", "ALERTMANAGER")
    }
}

/// Any payload in Alertmanager's webhook shape — its own, or what the
/// Prometheus and Alertmanager pollers build from their APIs — as signals
/// of connector `id` with `source_type`.
pub fn normalize_as(
    body: &Value,
    ctx: &Context<'_>,
    id: &str,
    source_type: &str,
) -> Result<Vec<Signal>, NormalizeError> {
    {
        let obj = body.as_object().ok_or_else(|| {
            NormalizeError::Shape("Alertmanager payload must be a JSON object".into())
        })?;
        let alerts = obj.get("alerts").and_then(Value::as_array).ok_or_else(|| {
            NormalizeError::Shape("Alertmanager payload has no 'alerts' array".into())
        })?;
        let group_key = obj.get("groupKey").map(|g| match g {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let group_status = obj.get("status").and_then(Value::as_str);
        let external = obj.get("externalURL").and_then(Value::as_str);
        alerts
            .iter()
            .enumerate()
            .map(|(i, alert)| {
                let alert = alert.as_object().ok_or_else(|| {
                    NormalizeError::Shape(format!("alerts[{i}] is not an object"))
                })?;
                Ok(one(
                    alert,
                    i,
                    group_key.as_deref(),
                    group_status,
                    external,
                    ctx,
                    (id, source_type),
                ))
            })
            .collect()
    }
}

fn one(
    alert: &Map<String, Value>,
    index: usize,
    group_key: Option<&str>,
    group_status: Option<&str>,
    external: Option<&str>,
    ctx: &Context<'_>,
    (id, source_type): (&str, &str),
) -> Signal {
    let labels = string_map(alert.get("labels"));
    let annotations = string_map(alert.get("annotations"));
    let status = match alert.get("status").and_then(Value::as_str).or(group_status) {
        Some("resolved") => SignalStatus::Resolved,
        _ => SignalStatus::Firing,
    };
    let severity = Labels(&labels)
        .severity()
        .and_then(Severity::from_word)
        .unwrap_or(Severity::Medium);
    let alertname = labels.get("alertname").cloned();
    let title = annotations
        .get("summary")
        .cloned()
        .or_else(|| alertname.clone())
        .unwrap_or_else(|| "Alertmanager alert".into());
    let occurred_at = time(alert.get("startsAt")).unwrap_or(ctx.received_at);
    let ended_at = match status {
        SignalStatus::Resolved => Some(time(alert.get("endsAt")).unwrap_or(ctx.received_at)),
        _ => None,
    };
    let provided = alert
        .get("fingerprint")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty());
    let fingerprint = provided.map_or_else(|| label_fingerprint(&labels), str::to_string);
    let entity = entity_from_labels(&labels);
    let workload_name = entity
        .as_ref()
        .filter(|e| WORKLOAD_KINDS.contains(&e.kind.as_str()))
        .map(|e| e.workload().name);
    let first = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k).cloned());
    let service = workload_name.or_else(|| service_from_labels(&labels));
    let starts = occurred_at.to_rfc3339();
    Signal {
        id: format!(
            "sig-{}",
            short_hex(&[ctx.project, id, &fingerprint, &starts])
        ),
        project: ctx.project.to_string(),
        connector_instance: ctx.instance.to_string(),
        source_type: source_type.into(),
        external_id: provided.map(str::to_string),
        source_ref: None,
        kind: SignalKind::Alert,
        status,
        severity,
        title,
        description: annotations
            .get("description")
            .or_else(|| annotations.get("message"))
            .cloned(),
        service,
        environment: first(&["environment", "env"]),
        region: first(&["region"]),
        team: first(&["team", "owner"]),
        entity,
        correlation_key: group_key.map_or_else(|| fingerprint.clone(), |g| format!("am:{g}")),
        fingerprint,
        trace_id: None,
        span_id: None,
        request_id: None,
        tags: labels,
        occurred_at,
        received_at: ctx.received_at,
        ended_at,
        external_url: alert
            .get("generatorURL")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .or(external)
            .map(str::to_string),
        raw_ref: Some(format!("{}#{index}", ctx.raw_ref)),
    }
}

/// Labels and annotations are string maps; other scalar values are kept as text.
fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Null | Value::Array(_) | Value::Object(_) => None,
                    other => Some((k.clone(), other.to_string())),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// RFC 3339 time, or `None` for Alertmanager's zero time (`0001-01-01…`).
fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(v?.as_str()?)
        .ok()?
        .with_timezone(&Utc);
    (t.timestamp() > 0).then_some(t)
}
