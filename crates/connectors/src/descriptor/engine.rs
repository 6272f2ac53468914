//! Runs a compiled mapping over one payload: decode, pick the variant, split
//! into items, and build one [`Signal`] per item.

use super::compile::{CClassifier, CField, Compiled, Plan};
use super::values::{
    all_texts, first_text, first_value, holds_all, parse_tags, parse_time, string_map,
};
use crate::labels::{entity_from_labels, label_fingerprint, service_from_labels};
use crate::runtime::{Context, NormalizeError};
use causeway_core::hash::short_hex;
use causeway_core::{Entity, Severity, Signal, SignalKind, SignalStatus};
use minijinja::Value as Tv;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Workload kinds whose name is the service's name.
const WORKLOAD_KINDS: &[&str] = &["deployment", "statefulset", "daemonset"];

impl Compiled {
    /// The scope every path and template reads: root (decoded), headers, event type.
    fn scope(&self, body: &Value, headers: &BTreeMap<String, String>) -> Value {
        // `event_type` is only present when known, so `default(...)` applies.
        let mut scope = json!({ "root": body, "headers": headers });
        if let Some(p) = &self.decode {
            let pointers: Vec<String> = p
                .query_located(&scope)
                .into_iter()
                .map(|n| n.location().to_json_pointer())
                .collect();
            for ptr in pointers {
                if let Some(slot) = scope.pointer_mut(&ptr) {
                    // Only JSON structures replace the string; plain text
                    // (an SNS subscription message) stays as it was. JSON
                    // in base64 is read too: a Pub/Sub push carries its
                    // message that way.
                    let parsed = slot
                        .as_str()
                        .and_then(|s| {
                            serde_json::from_str::<Value>(s).ok().or_else(|| {
                                use base64::Engine;
                                let bytes = base64::engine::general_purpose::STANDARD
                                    .decode(s.trim())
                                    .ok()?;
                                serde_json::from_slice::<Value>(&bytes).ok()
                            })
                        })
                        .filter(|v| v.is_object() || v.is_array());
                    if let Some(v) = parsed {
                        *slot = v;
                    }
                }
            }
        }
        let event = self
            .event_header
            .as_ref()
            .and_then(|h| headers.get(h).cloned())
            .or_else(|| {
                self.event_path
                    .as_ref()
                    .and_then(|p| first_text(std::slice::from_ref(p), &scope))
            });
        if let (Some(e), Value::Object(m)) = (event, &mut scope) {
            m.insert("event_type".into(), Value::String(e));
        }
        scope
    }

    fn plan(&self, scope: &Value) -> &Plan {
        self.variants
            .iter()
            .find(|(conds, _)| holds_all(conds, scope))
            .map_or(&self.base, |(_, p)| p)
    }

    fn items(plan: &Plan, scope: &Value) -> Vec<Value> {
        match &plan.items {
            Some(p) => p.query(scope).all().into_iter().cloned().collect(),
            None => vec![scope.get("root").cloned().unwrap_or(Value::Null)],
        }
    }

    pub fn item_count(&self, body: &Value) -> usize {
        let scope = self.scope(body, &BTreeMap::new());
        Self::items(self.plan(&scope), &scope).len()
    }

    pub fn normalize(
        &self,
        id: &str,
        body: &Value,
        ctx: &Context<'_>,
    ) -> Result<Vec<Signal>, NormalizeError> {
        let mut scope = self.scope(body, ctx.headers);
        if let Some(e) = scope.get("event_type").and_then(Value::as_str) {
            let lower = e.to_ascii_lowercase();
            if self.ignored_event_types.contains(&lower) {
                return Ok(Vec::new());
            }
            if !self.event_types.is_empty() && !self.event_types.iter().any(|t| t == e) {
                return Err(NormalizeError::Shape(format!(
                    "{id}: event type '{e}' is not one this connector maps"
                )));
            }
        }
        let plan = self.plan(&scope);
        let items = Self::items(plan, &scope);
        // The template view of what every item shares, converted once: a
        // storm of thousands of alerts in one payload must not convert the
        // whole payload again for each of them.
        let shared: Vec<(String, Tv)> = match &scope {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| (k.clone(), Tv::from_serialize(v)))
                .collect(),
            _ => Vec::new(),
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            if let Value::Object(m) = &mut scope {
                m.insert("item".into(), item);
            }
            // Labels and parsed tags join the scope so later fields can read
            // them (`$.tags.service`, `{{ tags.env }}`), whatever their spelling.
            let tags = item_tags(plan, &scope);
            if let Value::Object(m) = &mut scope {
                m.insert("tags".into(), json!(tags));
            }
            let kept = plan.only.as_ref().is_none_or(|c| holds_all(c, &scope));
            if !kept || plan.skip.iter().any(|conds| holds_all(conds, &scope)) {
                continue;
            }
            let per_item = [
                ("item".to_string(), Tv::from_serialize(&scope["item"])),
                ("tags".to_string(), Tv::from_serialize(&scope["tags"])),
            ];
            let tv: Tv = shared
                .iter()
                .filter(|(k, _)| k != "item" && k != "tags")
                .cloned()
                .chain(per_item)
                .collect();
            let run = Run {
                c: self,
                id,
                scope: &scope,
                tv,
            };
            out.push(run.signal(plan, i, tags, ctx)?);
        }
        Ok(out)
    }
}

/// One item being mapped.
struct Run<'a> {
    c: &'a Compiled,
    id: &'a str,
    scope: &'a Value,
    tv: Tv,
}

impl Run<'_> {
    /// A field's text: first non-empty path, else the template, else the
    /// default. Templates are strict, so one naming a field the sender left
    /// out (an optional id, a label) yields nothing rather than half a
    /// value — and nothing is not an error: the field falls back (to its
    /// default, a derived fingerprint, a generic title) instead of
    /// dead-lettering a payload that is otherwise fine.
    fn text(&self, f: Option<&CField>) -> Result<Option<String>, NormalizeError> {
        let Some(f) = f else { return Ok(None) };
        if let Some(t) = first_text(&f.paths, self.scope) {
            return Ok(Some(t));
        }
        if let Some(name) = &f.template {
            let rendered = self
                .c
                .env
                .get_template(name)
                .and_then(|t| t.render(&self.tv));
            match rendered {
                Ok(s) if !s.trim().is_empty() => return Ok(Some(s.trim().to_string())),
                Ok(_) => {}
                Err(e) => tracing::debug!(
                    connector = self.id,
                    field = %f.name,
                    error = %e.kind(),
                    "template yields nothing; the field falls back"
                ),
            }
        }
        Ok(f.default.clone())
    }

    fn classify<T: Copy>(
        &self,
        c: Option<&CClassifier<T>>,
        parse: fn(&str) -> Option<T>,
        fallback: T,
    ) -> Result<T, NormalizeError> {
        let Some(c) = c else { return Ok(fallback) };
        let raw = self.text(Some(&c.value))?;
        let found = raw.as_deref().and_then(|r| {
            let lower = r.trim().to_ascii_lowercase();
            c.map
                .iter()
                .find(|(k, _)| *k == lower)
                .map(|(_, v)| *v)
                .or_else(|| parse(&lower))
        });
        Ok(found.or(c.default).unwrap_or(fallback))
    }

    fn signal(
        &self,
        plan: &Plan,
        index: usize,
        mut tags: BTreeMap<String, String>,
        ctx: &Context<'_>,
    ) -> Result<Signal, NormalizeError> {
        let status = self.classify(
            plan.status.as_ref(),
            SignalStatus::parse,
            SignalStatus::Firing,
        )?;
        let severity = self.classify(plan.severity.as_ref(), severity_word, Severity::Medium)?;
        let kind = plan
            .kind
            .iter()
            .find(|(conds, _)| holds_all(conds, self.scope))
            .map_or(SignalKind::Alert, |(_, k)| *k);
        let title = self
            .text(Some(&plan.title))?
            .unwrap_or_else(|| format!("{} signal", self.id));
        let description = match self.text(plan.description.as_ref())? {
            Some(d) => Some(d),
            None => match &plan.summary {
                Some(name) => self.text(Some(&CField {
                    name: name.clone(),
                    paths: Vec::new(),
                    template: Some(name.clone()),
                    default: None,
                }))?,
                None => None,
            },
        };

        let entity = self
            .text(plan.entity.as_ref())?
            .and_then(|e| Entity::parse(&e).ok())
            .or_else(|| entity_from_labels(&tags));
        let participants = all_texts(&plan.participants, self.scope);
        if !participants.is_empty() {
            tags.insert("participants".into(), participants.join(", "));
        }
        for (name, f) in &plan.related {
            if let Some(v) = self.text(Some(f))? {
                tags.insert(format!("related.{name}"), v);
            }
        }
        for (name, paths) in &plan.raw_fields {
            if let Some(v) = first_text(paths, self.scope) {
                tags.insert(name.clone(), v);
            }
        }

        let time = |paths| {
            first_value(paths, self.scope).and_then(|v| parse_time(v, plan.timestamp_format))
        };
        let occurred_at = time(&plan.timestamp).unwrap_or(ctx.received_at);
        let ended_at = match status {
            SignalStatus::Resolved => Some(time(&plan.ended_at).unwrap_or(ctx.received_at)),
            _ => None,
        };
        let external_id = first_text(&plan.id, self.scope);
        let entity_text = entity.as_ref().map(ToString::to_string).unwrap_or_default();
        let fingerprint = match self.text(plan.fingerprint.as_ref())? {
            Some(f) => f,
            None if !plan.fingerprint_fields.is_empty() => {
                let parts: Vec<String> = plan
                    .fingerprint_fields
                    .iter()
                    .map(|p| first_text(std::slice::from_ref(p), self.scope).unwrap_or_default())
                    .collect();
                let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
                short_hex(&refs)
            }
            None => short_hex(&[
                &plan.source_type,
                &title,
                &entity_text,
                &label_fingerprint(&tags),
            ]),
        };
        // A Pod's or ReplicaSet's name is only a service name through its
        // owner; a Pod whose owner the name does not tell gives none.
        let workload = entity.as_ref().and_then(|e| match e.kind.as_str() {
            "pod" | "replicaset" => e.inferred_owner().map(|o| o.name),
            k if WORKLOAD_KINDS.contains(&k) => Some(e.name.clone()),
            _ => None,
        });
        // The workload an entity names wins over service-ish labels, which are
        // often the scraper's (`service: kube-state-metrics`), as for Alertmanager.
        let service = match workload {
            Some(w) => Some(w),
            None => self
                .text(plan.service.as_ref())?
                .or_else(|| service_from_labels(&tags)),
        };
        let starts = occurred_at.to_rfc3339();
        Ok(Signal {
            id: format!(
                "sig-{}",
                short_hex(&[ctx.project, self.id, &fingerprint, &starts])
            ),
            project: ctx.project.to_string(),
            connector_instance: ctx.instance.to_string(),
            source_type: plan.source_type.clone(),
            external_id,
            source_ref: None,
            kind,
            status,
            severity,
            title,
            description,
            service,
            environment: self.text(plan.environment.as_ref())?,
            region: self.text(plan.region.as_ref())?,
            team: self.text(plan.team.as_ref())?,
            entity,
            correlation_key: self
                .text(plan.correlation_key.as_ref())?
                .unwrap_or_else(|| fingerprint.clone()),
            fingerprint,
            trace_id: first_text(&plan.trace_id, self.scope),
            span_id: None,
            request_id: None,
            tags,
            occurred_at,
            received_at: ctx.received_at,
            ended_at,
            external_url: self.text(plan.external_url.as_ref())?,
            raw_ref: Some(format!("{}#{index}", ctx.raw_ref)),
        })
    }
}

/// An item's labels (`labelsPath`) and tags (`tags`), as one string map.
fn item_tags(plan: &Plan, scope: &Value) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    if let Some(v) = first_value(&plan.labels, scope) {
        string_map(v, &mut tags);
    }
    for (p, format) in &plan.tags {
        for v in p.query(scope).all() {
            parse_tags(v, *format, &mut tags);
        }
    }
    tags
}

/// Canonical severity, else the words sources commonly use.
fn severity_word(s: &str) -> Option<Severity> {
    Severity::parse(s).or_else(|| Severity::from_word(s))
}
