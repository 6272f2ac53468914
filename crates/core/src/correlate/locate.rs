//! A signal as the engine reasons about it: where it is (its place in the
//! topology), what it says (its class), and the keys it is indexed under.

use super::Engine;
use crate::classify::{classify, Class};
use crate::entity::Entity;
use crate::signal::{Severity, Signal, SignalKind, SignalStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Labels that carry a namespace, in the conventions the normalizers keep.
const NAMESPACE_TAGS: &[&str] = &["namespace", "kube_namespace", "k8s.namespace.name"];

/// What the engine keeps of a signal: enough to decide, to index, and to
/// adopt it later if it waits unassigned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Obs {
    pub id: String,
    pub fingerprint: String,
    pub status: SignalStatus,
    pub severity: Severity,
    pub kind: SignalKind,
    pub title: String,
    pub source: String,
    /// The time the engine reasons with ([`Signal::event_time`]).
    pub at: DateTime<Utc>,
    /// When the condition began.
    pub onset: DateTime<Utc>,
    pub received: DateTime<Utc>,
    pub entity: Option<Entity>,
    /// The place it is about: a workload, a Node, a Service.
    pub place: Option<Entity>,
    /// Whether the topology knows that place.
    pub known: bool,
    /// `service:NAME`, `namespace:NS`.
    pub scopes: Vec<String>,
    pub trace: Option<String>,
    /// A trusted grouping key (see `trusted_key_sources`).
    pub key: Option<String>,
    pub class: Class,
    /// A point in time (an event): it never keeps an incident open.
    pub point: bool,
}

impl Engine {
    pub(crate) fn locate(&self, s: &Signal) -> Obs {
        let (place, known) = self.place_for(s);
        let class = classify(s);
        let point = s.status == SignalStatus::Info
            || matches!(s.kind, SignalKind::Event | SignalKind::Change)
            || self
                .config
                .point_in_time_sources
                .iter()
                .any(|p| p == &s.source_type);
        let key = (self
            .config
            .trusted_key_sources
            .iter()
            .any(|k| k == &s.source_type)
            && !s.correlation_key.is_empty()
            && s.correlation_key != s.fingerprint)
            .then(|| s.correlation_key.clone());
        Obs {
            id: s.id.clone(),
            fingerprint: s.fingerprint.clone(),
            status: s.status,
            severity: s.severity,
            kind: s.kind,
            title: s.title.clone(),
            source: s.source_type.clone(),
            at: s.event_time(),
            onset: s.occurred_at,
            received: s.received_at,
            entity: s.entity.clone(),
            // Only the temporal strategy reads scopes, and only where the
            // graph cannot place the signal or for network failures.
            scopes: if known && !class.network {
                Vec::new()
            } else {
                scopes(s, place.as_ref())
            },
            place,
            known,
            trace: s.trace_id.clone().filter(|t| !t.is_empty()),
            key,
            class,
            point,
        }
    }

    /// The place a signal is about. With a topology: its entity's place (a
    /// Pod's workload, a host's Node, a Service's workload), or for a signal
    /// naming only a service (`service`/`job` labels, a repository), that
    /// Service's place. Without one: the entity's workload by its name.
    pub(crate) fn place_for(&self, s: &Signal) -> (Option<Entity>, bool) {
        let topo = self.topology.as_deref();
        if let Some(e) = &s.entity {
            if let Some(p) = topo.and_then(|t| t.place(e)) {
                return (Some(p), true);
            }
            return (Some(e.workload()), false);
        }
        let Some(svc) = s.service.as_deref().filter(|v| !v.is_empty()) else {
            return (None, false);
        };
        let ns = namespace_of(s);
        if let Some(t) = topo {
            if let Some(p) = t.service_named(svc, ns).and_then(|e| t.place(&e)) {
                return (Some(p), true);
            }
        }
        match ns {
            Some(ns) => (Some(Entity::namespaced("service", ns, svc)), false),
            None => (None, false),
        }
    }
}

fn namespace_of(s: &Signal) -> Option<&str> {
    s.entity
        .as_ref()
        .and_then(|e| e.namespace.as_deref())
        .or_else(|| {
            NAMESPACE_TAGS
                .iter()
                .find_map(|k| s.tags.get(*k).map(String::as_str))
        })
        .filter(|n| !n.is_empty())
}

/// `service:NAME` and `namespace:NS` of a signal.
fn scopes(s: &Signal, place: Option<&Entity>) -> Vec<String> {
    let mut out = Vec::new();
    let workload = place
        .filter(|e| !matches!(e.kind.as_str(), "node" | "host" | "instance" | "cluster"))
        .map(|e| e.name.clone());
    if let Some(svc) = s.service.clone().or(workload) {
        out.push(format!("service:{svc}"));
    }
    if let Some(ns) = namespace_of(s) {
        out.push(format!("namespace:{ns}"));
    }
    out
}
