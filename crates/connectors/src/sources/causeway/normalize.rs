//! A valid ingest request → one signal.

use super::validate::validate;
use crate::labels::entity_from_labels;
use crate::runtime::{Context, NormalizeError, Normalizer};
use causeway_core::hash::short_hex;
use causeway_core::{Entity, Severity, Signal, SignalKind, SignalStatus};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// The `sourceType`s the ingest schema accepts.
pub const SOURCE_TYPES: &[&str] = &[
    "SCENARIO",
    "GOOGLE_CLOUD",
    "PAGERDUTY",
    "DATADOG",
    "NEW_RELIC",
    "CUSTOM",
];

/// The ingest-API normalizer.
pub struct Causeway;

impl Normalizer for Causeway {
    fn id(&self) -> &'static str {
        "causeway"
    }

    fn item_count(&self, _body: &Value) -> usize {
        1
    }

    fn declares_incidents(&self) -> bool {
        true
    }

    fn normalize(&self, body: &Value, ctx: &Context<'_>) -> Result<Vec<Signal>, NormalizeError> {
        let errors = validate(body);
        if !errors.is_empty() {
            let list: Vec<String> = errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.message))
                .collect();
            return Err(NormalizeError::Shape(format!(
                "invalid ingest request: {}",
                list.join("; ")
            )));
        }
        let s = |v: &Value| v.as_str().map(str::to_string);
        let time = |v: &Value| {
            v.as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let source_type = s(&body["sourceType"]).unwrap_or_default();
        let source_ref = s(&body["sourceRef"]).unwrap_or_default();
        let timeline = &body["timeline"];
        let occurred_at = time(&timeline["start"]).unwrap_or(ctx.received_at);
        let ended_at = time(&timeline["resolvedAt"]).or_else(|| time(&timeline["end"]));
        let meta = &body["metadata"];
        let mut tags: BTreeMap<String, String> = meta["tags"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(custom) = meta["customFields"].as_object() {
            for (k, v) in custom {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                tags.insert(format!("custom.{k}"), text);
            }
        }
        // An explicit entity tag in the notation wins over conventional labels.
        let entity = tags
            .get("entity")
            .and_then(|e| Entity::parse(e).ok())
            .or_else(|| entity_from_labels(&tags));
        let fingerprint = short_hex(&["ingest", &source_type, &source_ref]);
        let starts = occurred_at.to_rfc3339();
        Ok(vec![Signal {
            id: format!(
                "sig-{}",
                short_hex(&[ctx.project, "causeway", &fingerprint, &starts])
            ),
            project: ctx.project.to_string(),
            connector_instance: ctx.instance.to_string(),
            source_type: format!("INGEST_{source_type}"),
            external_id: Some(source_ref.clone()),
            kind: SignalKind::Alert,
            status: if ended_at.is_some() {
                SignalStatus::Resolved
            } else {
                SignalStatus::Firing
            },
            severity: s(&body["severity"])
                .and_then(|v| Severity::parse(&v))
                .unwrap_or(Severity::Medium),
            title: s(&body["title"]).unwrap_or_default(),
            description: s(&body["description"]),
            service: s(&meta["service"]),
            environment: s(&meta["environment"]),
            region: s(&meta["region"]),
            team: s(&meta["team"]),
            entity,
            correlation_key: format!("ingest:{source_type}:{source_ref}"),
            fingerprint,
            trace_id: body["evidenceLite"]["traces"][0]["traceId"]
                .as_str()
                .map(str::to_string),
            span_id: body["evidenceLite"]["traces"][0]["spanId"]
                .as_str()
                .map(str::to_string),
            request_id: None,
            tags,
            occurred_at,
            received_at: ctx.received_at,
            ended_at,
            external_url: None,
            raw_ref: Some(format!("{}#0", ctx.raw_ref)),
            source_ref: Some(source_ref),
        }])
    }
}
