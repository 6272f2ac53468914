//! Causeway's own signal about a connector: it went quiet (no signal for
//! several times its usual gap), and it resumed. It enters through the
//! inbox like any payload, so it is stored, correlated and replayable.

use crate::runtime::{Context, NormalizeError, Normalizer};
use causeway_core::hash::short_hex;
use causeway_core::{Severity, Signal, SignalKind, SignalStatus};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// The connector id its inbox rows carry.
pub const ID: &str = "causeway-health";

pub struct Health;

fn human(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

impl Normalizer for Health {
    fn id(&self) -> &str {
        ID
    }

    fn item_count(&self, _: &Value) -> usize {
        1
    }

    fn normalize(&self, body: &Value, ctx: &Context<'_>) -> Result<Vec<Signal>, NormalizeError> {
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let instance =
            s("instance").ok_or_else(|| NormalizeError::Shape("health: no instance".into()))?;
        let name = s("name").unwrap_or_else(|| instance.clone());
        let time = |k: &str| {
            s(k).and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let since = time("since").unwrap_or(ctx.received_at);
        let at = time("at").unwrap_or(ctx.received_at);
        let (status, ended_at, description) = match s("state").as_deref() {
            Some("quiet") if s("reason").as_deref() == Some("stream") => (
                SignalStatus::Firing,
                None,
                format!(
                    "The watches of {name} have heard nothing from the cluster since {} ({}): no object change, no Event, no list. A healthy connection hears every Node's status every few minutes; check the API server and the network between it and Causeway.",
                    since.to_rfc3339(),
                    human(body.get("silentSeconds").and_then(Value::as_i64).unwrap_or(0))
                ),
            ),
            Some("quiet") => (
                SignalStatus::Firing,
                None,
                format!(
                    "No signal from {name} since {}; it usually sends one every {}. Check that the source still reaches Causeway.",
                    since.to_rfc3339(),
                    human(body.get("usualGapSeconds").and_then(Value::as_i64).unwrap_or(0))
                ),
            ),
            Some("resumed") => (
                SignalStatus::Resolved,
                Some(at),
                format!("{name} sends signals again."),
            ),
            other => {
                return Err(NormalizeError::Shape(format!(
                    "health: unknown state {other:?}"
                )))
            }
        };
        let fingerprint = format!("health:quiet:{instance}");
        let tags = BTreeMap::from([
            ("instance".to_string(), instance.clone()),
            ("connector".to_string(), s("connector").unwrap_or_default()),
        ]);
        Ok(vec![Signal {
            id: format!(
                "sig-{}",
                short_hex(&[ctx.project, ID, &fingerprint, &since.to_rfc3339()])
            ),
            project: ctx.project.to_string(),
            connector_instance: ctx.instance.to_string(),
            source_type: "CAUSEWAY_HEALTH".into(),
            external_id: None,
            source_ref: None,
            kind: SignalKind::Event,
            status,
            severity: Severity::Medium,
            title: format!("Connector {name} went quiet"),
            description: Some(description),
            service: None,
            environment: None,
            region: None,
            team: None,
            entity: None,
            correlation_key: fingerprint.clone(),
            fingerprint,
            trace_id: None,
            span_id: None,
            request_id: None,
            tags,
            occurred_at: since,
            received_at: ctx.received_at,
            ended_at,
            external_url: None,
            raw_ref: Some(format!("{}#0", ctx.raw_ref)),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quiet_then_resumed_is_one_signal_firing_then_resolved() {
        let h = BTreeMap::new();
        let ctx = Context {
            project: "default",
            instance: "prom-1",
            received_at: Utc::now(),
            raw_ref: "inbox:1",
            headers: &h,
        };
        let q = Health
            .normalize(&json!({"instance": "prom-1", "name": "Prod", "state": "quiet", "since": "2026-11-20T01:00:00Z", "usualGapSeconds": 600, "at": "2026-11-20T02:00:00Z"}), &ctx)
            .unwrap();
        let r = Health
            .normalize(&json!({"instance": "prom-1", "name": "Prod", "state": "resumed", "since": "2026-11-20T01:00:00Z", "at": "2026-11-20T03:00:00Z"}), &ctx)
            .unwrap();
        assert_eq!(q[0].id, r[0].id);
        assert_eq!(q[0].status, SignalStatus::Firing);
        assert_eq!(r[0].status, SignalStatus::Resolved);
        assert!(q[0]
            .description
            .as_deref()
            .unwrap()
            .contains("every 10 min"));
        assert!(Health
            .normalize(&json!({"instance": "x", "state": "odd"}), &ctx)
            .is_err());
    }
}
