//! Kubernetes Events → inbox bodies.
//!
//! An Event goes to the inbox as the exact JSON object the API served, and
//! the pipeline maps it with the `kubernetes-events` descriptor, as it maps
//! one an event exporter posts: one mapping for both paths. Which Events are
//! worth a signal is decided by that same mapping: with the default filter
//! only those it makes an alert or a change (Warnings, node conditions,
//! rollouts) are taken, so the steady stream of Normal `Pulled`/`Created`/
//! `Started` events does not flood the unassigned inbox.

use super::{StreamItem, CONNECTOR_ID};
use crate::runtime::{Context, NormalizeError, Normalizer};
use causeway_core::{SignalKind, SignalStatus};
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The normalizer of this connector's inbox bodies: the `kubernetes-events`
/// descriptor's mapping under this connector's id, so dead letters and
/// metrics name the connector the Events came through.
pub struct EventNormalizer;

fn mapping() -> Option<&'static crate::descriptor::DescriptorNormalizer> {
    crate::descriptor::normalizer("kubernetes-events")
}

impl Normalizer for EventNormalizer {
    fn id(&self) -> &str {
        CONNECTOR_ID
    }

    fn item_count(&self, body: &Value) -> usize {
        mapping().map_or(0, |n| n.item_count(body))
    }

    fn normalize(
        &self,
        body: &Value,
        ctx: &Context<'_>,
    ) -> Result<Vec<causeway_core::Signal>, NormalizeError> {
        mapping()
            .ok_or_else(|| NormalizeError::UnknownSource("kubernetes-events".into()))?
            .normalize(body, ctx)
    }
}

/// Which Events become signals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventFilter {
    /// Those the mapping makes an alert or a change, or a firing signal.
    #[default]
    AlertsAndChanges,
    /// Every Event, Normal ones as info signals.
    All,
}

/// The key and version an Event is taken in under.
pub(crate) fn identity(v: &Value) -> (String, String) {
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    let key = match text("/metadata/uid") {
        "" => format!("{}/{}", text("/metadata/namespace"), text("/metadata/name")),
        uid => uid.to_string(),
    };
    (key, text("/metadata/resourceVersion").to_string())
}

/// The inbox body for an Event, or `None` when the filter leaves it out.
pub(crate) fn to_item(v: &Value, filter: EventFilter) -> Option<StreamItem> {
    if filter == EventFilter::AlertsAndChanges && !worth_a_signal(v) {
        return None;
    }
    let (key, version) = identity(v);
    Some(StreamItem {
        key,
        version,
        body: serde_json::to_vec(v).ok()?,
    })
}

/// Whether the `kubernetes-events` mapping makes this Event an alert, a
/// change or a firing signal. An Event it cannot map is taken all the same:
/// the pipeline then keeps its bytes as a dead letter with the error.
fn worth_a_signal(v: &Value) -> bool {
    let Some(n) = mapping() else {
        return true;
    };
    let headers = BTreeMap::new();
    let ctx = Context {
        project: "",
        instance: "",
        received_at: Utc::now(),
        raw_ref: "",
        headers: &headers,
    };
    match n.normalize(v, &ctx) {
        Ok(signals) => signals.iter().any(|s| {
            matches!(s.kind, SignalKind::Alert | SignalKind::Change)
                || s.status == SignalStatus::Firing
        }),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, reason: &str) -> Value {
        json!({
            "kind": "Event", "apiVersion": "v1",
            "metadata": {"name": "p.1", "namespace": "shop", "uid": "u-1", "resourceVersion": "42"},
            "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "p"},
            "reason": reason, "type": kind, "message": "m",
            "firstTimestamp": "2026-11-20T03:00:00Z"
        })
    }

    #[test]
    fn warnings_and_rollouts_are_taken_routine_normal_events_are_not() {
        let f = EventFilter::AlertsAndChanges;
        assert!(to_item(&event("Warning", "BackOff"), f).is_some());
        assert!(to_item(&event("Normal", "ScalingReplicaSet"), f).is_some());
        assert!(to_item(&event("Normal", "NodeNotReady"), f).is_some());
        assert!(to_item(&event("Normal", "Pulled"), f).is_none());
        assert!(to_item(&event("Normal", "Pulled"), EventFilter::All).is_some());
    }

    #[test]
    fn an_event_is_one_delivery_per_resource_version() {
        let item = to_item(&event("Warning", "BackOff"), EventFilter::All).unwrap();
        assert_eq!((item.key.as_str(), item.version.as_str()), ("u-1", "42"));
        let back: Value = serde_json::from_slice(&item.body).unwrap();
        assert_eq!(back, event("Warning", "BackOff"));
    }
}
