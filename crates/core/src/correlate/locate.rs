//! A signal as the engine reasons about it: where it is (its place in the
//! topology), what it says (its class), and the keys it is indexed under.

use super::Engine;
use crate::analysis::classify::{classify_with, Class};
use crate::conventions::{valid_name, Labels, Peer};
use crate::entity::Entity;
use crate::signal::{Severity, Signal, SignalKind, SignalStatus};
use crate::vocabulary::Vocabulary;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// The ConfigMap or Secret it names as changed (a GitOps controller's
    /// "ConfigMap/shop/x configured", a push of `shop/x.yaml` to a
    /// configuration repository) or as missing ("couldn't find key … in
    /// Secret shop/x").
    #[serde(default)]
    pub config: Option<Box<Entity>>,
    /// For a caller's symptom, the place of the peer it calls (its labels'
    /// `destination_service`, `upstream`, `peer.service`..., or a second
    /// place its title names): where its errors come from.
    #[serde(default)]
    pub peer: Option<Box<Entity>>,
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
    /// The condition it states ([`super::chronic`]).
    #[serde(default)]
    pub condition: u64,
}

impl Engine {
    pub(crate) fn locate(&self, s: &Signal) -> Obs {
        let (mut place, mut known) = self.place_for(s);
        let mut class = classify_with(self.words.as_deref().unwrap_or(Vocabulary::builtin()), s);
        // Only a caller's symptom or outage names a peer that matters.
        let peer = if class.travels_up() || class.network {
            self.peer_for(s, place.as_ref())
        } else {
            None
        };
        let config = self.config_named(s);
        if let Some(c) = &config {
            // A configuration applied or pushed is a change of that object;
            // a Pod failing on a missing key stays where it fails.
            if class.cause.is_none() && !class.travels_up() && applied(s) {
                class.change = true;
                if let Some(p) = self.topology.as_deref().and_then(|t| t.place(c)) {
                    place = Some(p);
                    known = true;
                }
            }
        }
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
        let mut o = Obs {
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
            peer: peer.map(Box::new),
            config: config.map(Box::new),
            known,
            trace: s.trace_id.clone().filter(|t| !t.is_empty()),
            key,
            class,
            point,
            condition: 0,
        };
        o.condition = super::chronic::condition_key(&o);
        o
    }

    /// The place a signal is about. With a topology: its entity's place (a
    /// Pod's workload, a host's Node, a Service's workload); for a signal
    /// naming only a service (its `service` field or the service labels of
    /// [`crate::conventions`]), that Service's place, by its exact or folded
    /// name; for one whose labels name nothing, the first Service (or outside
    /// host) its title names. Without one: the entity's workload by its name.
    pub(crate) fn place_for(&self, s: &Signal) -> (Option<Entity>, bool) {
        let topo = self.topology.as_deref();
        // The kernel's OOM kill, reported on the Node, names the process:
        // the workload of that name is where memory ran out.
        if let (Some(t), Some(e)) = (topo, &s.entity) {
            if e.kind == "node" || e.kind == "host" {
                if let Some(p) = killed_process(s)
                    .and_then(|name| t.service_named(name, namespace_of(s)))
                    .and_then(|svc| t.place(&svc))
                {
                    return (Some(p), true);
                }
            }
        }
        if let Some(e) = &s.entity {
            if let Some(p) = topo.and_then(|t| t.place(e)) {
                return (Some(p), true);
            }
        }
        let ns = namespace_of(s);
        let svc = s
            .service
            .clone()
            .filter(|v| !v.is_empty())
            .or_else(|| Labels(&s.tags).service());
        if let Some(t) = topo {
            if let Some(p) = svc
                .as_deref()
                .and_then(|v| t.service_named(v, ns))
                .and_then(|e| t.place(&e))
            {
                return (Some(p), true);
            }
            if s.entity.is_none() {
                if let Some(p) = t
                    .services_named_in(&s.title, ns)
                    .first()
                    .and_then(|e| t.place(e))
                {
                    return (Some(p), true);
                }
            }
        }
        if let Some(e) = &s.entity {
            return (Some(e.workload()), false);
        }
        match (svc, ns) {
            (Some(svc), Some(ns)) if valid_name(&svc) => {
                (Some(Entity::namespaced("service", ns, &svc)), false)
            }
            _ => (None, false),
        }
    }

    /// The ConfigMap or Secret a signal names: `Kind/namespace/name` or
    /// `Kind namespace/name` in its title or (for an event) its message, or
    /// a file of a pushed commit that holds one the topology knows.
    fn config_named(&self, s: &Signal) -> Option<Entity> {
        let mut texts = vec![s.title.as_str()];
        if s.source_type == "K8S_EVENT" || s.kind == SignalKind::Change {
            texts.extend(s.description.as_deref());
        }
        // Most signals name no configuration: a cheap look first.
        let names_one = |t: &&str| t.contains("onfig") || t.contains("ecret");
        for t in texts.into_iter().filter(names_one) {
            if let Some(e) = config_in_text(t) {
                return Some(
                    self.topology
                        .as_deref()
                        .and_then(|topo| topo.resolve_entity(&e))
                        .unwrap_or(e),
                );
            }
        }
        let topo = self.topology.as_deref()?;
        s.tags
            .get("related.files")?
            .split(',')
            .filter(|f| !f.trim().is_empty())
            .find_map(|f| topo.config_in_file(f))
    }

    /// The peer a caller's signal is about: the service or outside host its
    /// peer labels name, else another Service its title names.
    fn peer_for(&self, s: &Signal, place: Option<&Entity>) -> Option<Entity> {
        let t = self.topology.as_deref()?;
        let ns = namespace_of(s);
        let labelled = Labels(&s.tags)
            .peer()
            .and_then(Peer::parse)
            .and_then(|p| match p {
                Peer::Service { name, namespace } => {
                    t.service_named(&name, namespace.as_deref().or(ns))
                }
                Peer::Host(h) => t.service_for_host(&h),
            })
            .and_then(|e| t.place(&e));
        if labelled.is_some() {
            return labelled.filter(|p| Some(p) != place);
        }
        t.services_named_in(&s.title, ns)
            .iter()
            .filter_map(|e| t.place(e))
            .find(|p| Some(p) != place)
    }
}

/// Whether a signal says a configuration was applied or pushed (not that
/// something failed on it).
fn applied(s: &Signal) -> bool {
    if s.kind == SignalKind::Change || s.tags.contains_key("related.files") {
        return true;
    }
    let text = format!(
        "{} {}",
        s.title.to_ascii_lowercase(),
        s.description.as_deref().unwrap_or("").to_ascii_lowercase()
    );
    [
        " configured",
        " created",
        " updated",
        " patched",
        " applied",
        " changed",
    ]
    .iter()
    .any(|w| text.contains(w))
}

/// The process a kernel OOM kill names: "Killed process 4242 (orders)".
fn killed_process(s: &Signal) -> Option<&str> {
    let text = s.description.as_deref().unwrap_or(&s.title);
    let at = text.find("illed process ")?;
    let rest = &text[at..];
    let open = rest.find('(')?;
    let close = rest[open..].find(')')? + open;
    let name = &rest[open + 1..close];
    valid_name(name).then_some(name)
}

/// `ConfigMap/shop/x` or `Secret shop/x` in a text.
fn config_in_text(text: &str) -> Option<Entity> {
    let lower = text.to_ascii_lowercase();
    for kind in ["configmap", "secret"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(kind) {
            let at = from + i;
            from = at + kind.len();
            let before_ok = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
            let rest = &text[from..];
            let Some(sep) = rest.chars().next().filter(|c| *c == '/' || *c == ' ') else {
                continue;
            };
            let word: String = rest[sep.len_utf8()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'))
                .collect();
            let word = word.trim_end_matches('.');
            let Some((ns, name)) = word.split_once('/') else {
                continue;
            };
            if before_ok && valid_name(ns) && valid_name(name) && !name.contains('/') {
                return Some(Entity::namespaced(kind, ns, name));
            }
        }
    }
    None
}

fn namespace_of(s: &Signal) -> Option<&str> {
    s.entity
        .as_ref()
        .and_then(|e| e.namespace.as_deref())
        .or_else(|| Labels(&s.tags).namespace())
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
    // The same rule firing across many places at once: what Alertmanager's
    // `group_by: [alertname]` gathers, for places the graph cannot relate.
    if let Some(rule) = s.tags.get("alertname").filter(|r| !r.is_empty()) {
        out.push(format!("rule:{rule}"));
    }
    out
}
