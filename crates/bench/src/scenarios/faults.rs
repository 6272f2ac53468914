//! The fault families and the noise around them, as source-agnostic items
//! (alerts, Kubernetes events, deploys, pushes) with their truth cluster.
//! [`super::emit`] turns them into the payloads real tools send.
//!
//! The families' bodies live by concept: [`super::families`] (resources,
//! Nodes, deploys, a datastore down), [`super::changes`] (configuration),
//! [`super::network`] (partitions, outside APIs).

use super::conventions::Conventions;
use super::world::World;
use super::{changes, families, network};
use super::{Cluster, Rng};
use std::collections::BTreeMap;

/// The fault families, in table order.
pub const FAMILIES: [&str; 8] = [
    "db_oom",
    "node_failure",
    "bad_deploy",
    "cpu_saturation",
    "dependency_outage",
    "config_change",
    "network_partition",
    "external_dependency",
];

/// How long a suite lasts (seconds): long enough for a recurrence hours later.
pub const HORIZON: i64 = 4 * 3600 + 1800;

pub use super::items::{Alert, Deploy, K8sEvent, On, Peer, Push, Via};

/// Everything that happens in one suite.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub conv: Conventions,
    pub alerts: Vec<Alert>,
    pub events: Vec<K8sEvent>,
    pub deploys: Vec<Deploy>,
    pub pushes: Vec<Push>,
    pub clusters: BTreeMap<String, Cluster>,
    /// `(key, from, to, cluster)`: the places a fault holds exclusively (its
    /// root and its direct callers, or a Node and what runs on it). Places
    /// further up are shared: overlapping faults may both reach them, and
    /// the alert there belongs to the fault that fired it first.
    claims: Vec<(String, i64, i64, String)>,
    /// `(root key, from, to)` of every fault, for noise that must not look
    /// like one of them.
    pub(super) faults: Vec<(String, i64, i64)>,
}

impl Scenario {
    pub fn new(conv: Conventions) -> Scenario {
        Scenario {
            conv,
            ..Scenario::default()
        }
    }

    /// Whether `key` is free of other clusters' exclusive claims in `[from, to)`.
    pub(super) fn free(&self, key: &str, from: i64, to: i64, cluster: &str) -> bool {
        !self
            .claims
            .iter()
            .any(|(k, a, b, c)| k == key && c != cluster && *a < to && from < *b)
    }

    pub(super) fn claim(&mut self, key: String, from: i64, to: i64, cluster: &str) {
        self.claims.push((key, from, to, cluster.to_string()));
    }

    /// Whether another cluster already fires this alert (same name, same
    /// subject, same peer) during `[from, to)`: then it is that cluster's alert.
    pub(super) fn duplicate(
        &self,
        name: &str,
        on: &On,
        peer: Option<&Peer>,
        from: i64,
        to: i64,
        cluster: &str,
    ) -> bool {
        self.alerts.iter().any(|a| {
            a.name == name
                && &a.on == on
                && a.peer.as_ref() == peer
                && a.cluster != cluster
                && a.starts < to
                && from < a.ends
        })
    }

    pub(super) fn cluster(&mut self, family: &str, root: Option<String>) -> String {
        let id = format!("c{}", self.clusters.len() + 1);
        self.clusters.insert(
            id.clone(),
            Cluster {
                family: family.to_string(),
                root,
            },
        );
        id
    }
}

/// One alert a fault raises.
pub(super) struct Raise {
    pub via: Option<Via>,
    pub name: &'static str,
    pub severity: &'static str,
    pub on: On,
    pub summary: String,
    pub at: i64,
    /// When it resolves (else with the fault, give or take).
    pub until: Option<i64>,
    pub peer: Option<Peer>,
}

impl Raise {
    pub fn new(
        name: &'static str,
        severity: &'static str,
        on: On,
        summary: String,
        at: i64,
    ) -> Raise {
        Raise {
            via: None,
            name,
            severity,
            on,
            summary,
            at,
            until: None,
            peer: None,
        }
    }

    pub fn via(mut self, via: Via) -> Raise {
        self.via = Some(via);
        self
    }

    pub fn peer(mut self, peer: Peer) -> Raise {
        self.peer = Some(peer);
        self
    }
}

/// The place an alert holds, for claims: a service, a Node, a probed URL;
/// a caller's alert about one peer is a place of its own.
fn key_of(on: &On, peer: Option<&Peer>) -> String {
    let base = match on {
        On::Pod(w, _) | On::Workload(w) | On::Service(w) => format!("svc:{w}"),
        On::Node(n) => format!("node:{n}"),
        On::Url(u) => format!("url:{u}"),
        On::Nothing => String::new(),
    };
    match peer {
        Some(p) if !base.is_empty() => format!("{base}>{}", p.name()),
        _ => base,
    }
}

/// A fault in the making: where the alerts go.
pub(super) struct Fault<'a> {
    pub(super) world: &'a World,
    pub(super) cluster: String,
    pub(super) t0: i64,
    pub(super) end: i64,
    /// Every alert it raises is a warning: what pages is not what broke.
    pub(super) warning_only: bool,
}

impl Fault<'_> {
    pub(super) fn raise(&self, sc: &mut Scenario, rng: &mut Rng, r: Raise) {
        let key = key_of(&r.on, r.peer.as_ref());
        let ends = r.until.unwrap_or_else(|| self.end + rng.range(0, 300));
        if !sc.free(&key, r.at, ends, &self.cluster)
            || sc.duplicate(r.name, &r.on, r.peer.as_ref(), r.at, ends, &self.cluster)
        {
            return;
        }
        let via = sc.conv.route(r.via, rng);
        let severity = if self.warning_only && r.severity == "critical" {
            "warning"
        } else {
            r.severity
        };
        sc.alerts.push(Alert {
            via,
            name: r.name.into(),
            severity,
            on: r.on,
            summary: r.summary,
            starts: r.at,
            ends,
            cluster: self.cluster.clone(),
            job: None,
            peer: r.peer,
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn alert(
        &self,
        sc: &mut Scenario,
        rng: &mut Rng,
        via: Option<Via>,
        name: &'static str,
        severity: &'static str,
        on: On,
        summary: String,
        at: i64,
    ) {
        let mut r = Raise::new(name, severity, on, summary, at);
        r.via = via;
        self.raise(sc, rng, r);
    }

    /// An alert that fires, resolves a few minutes later and fires again.
    pub(super) fn flapping(&self, sc: &mut Scenario, rng: &mut Rng, r: Raise) {
        let gap = r.at + rng.range(120, 240);
        let again = gap + rng.range(150, 400);
        let first = Raise {
            via: r.via,
            name: r.name,
            severity: r.severity,
            on: r.on.clone(),
            summary: r.summary.clone(),
            at: r.at,
            until: Some(gap),
            peer: r.peer.clone(),
        };
        self.raise(sc, rng, first);
        self.raise(sc, rng, Raise { at: again, ..r });
    }

    pub(super) fn event(&self, sc: &mut Scenario, on: &On, reason: &str, message: String, at: i64) {
        let repeats = if reason == "BackOff" { 3 } else { 1 };
        self.event_every(sc, on, reason, message, at, repeats, 60);
    }

    /// An event kubelet or a controller keeps re-reporting, `repeats` times
    /// `every` seconds apart.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn event_every(
        &self,
        sc: &mut Scenario,
        on: &On,
        reason: &str,
        message: String,
        at: i64,
        repeats: u32,
        every: i64,
    ) {
        let ns = Some(self.world.namespace.clone());
        let (kind, namespace, name, component) = match on {
            On::Pod(_, p) => ("Pod", ns, p.clone(), "kubelet"),
            On::Workload(w) => ("Deployment", ns, w.clone(), "deployment-controller"),
            On::Node(n) if reason == "OOMKilling" => ("Node", None, n.clone(), "kernel-monitor"),
            On::Node(n) => ("Node", None, n.clone(), "node-controller"),
            _ => return,
        };
        // Kubernetes' own event types: these reasons are Warnings, the rest
        // (Pulled, Scheduled, ScalingReplicaSet, NodeNotReady...) Normal.
        let warning = matches!(
            reason,
            "BackOff"
                | "Unhealthy"
                | "FailedScheduling"
                | "OOMKilling"
                | "Evicted"
                | "FailedMount"
                | "Failed"
        );
        sc.events.push(K8sEvent {
            kind: kind.into(),
            namespace,
            name,
            reason: reason.into(),
            message,
            warning,
            at,
            repeats,
            every,
            component,
            cluster: self.cluster.clone(),
        });
    }

    pub(super) fn pods(&self, svc: &str) -> Vec<On> {
        self.world.workloads[svc]
            .pods
            .iter()
            .map(|p| On::Pod(svc.to_string(), p.name.clone()))
            .collect()
    }

    /// Error alerts on the callers of `svc`, later the further up they are.
    pub(super) fn cascade(
        &self,
        sc: &mut Scenario,
        rng: &mut Rng,
        svc: &str,
        delay: i64,
        depth: usize,
    ) {
        for (caller, d) in self.world.upstream(svc, depth) {
            let at = self.t0 + delay * d as i64 + rng.range(0, 60);
            let (name, sev, what) = if d == 1 {
                ("HighErrorRate", "critical", "5xx ratio above 5%")
            } else {
                ("HighLatencyP99", "warning", "p99 latency above 2s")
            };
            let on = if rng.chance(40) {
                self.pods(&caller).swap_remove(0)
            } else {
                On::Service(caller.clone())
            };
            self.alert(
                sc,
                rng,
                None,
                name,
                sev,
                on,
                format!("{caller}: {what}"),
                at,
            );
        }
    }
}

/// The exclusive places of a fault: its root and direct callers, a Node
/// and the workloads running on it, a configuration's users and their
/// callers, an outside API's callers.
pub(super) fn exclusive_keys(world: &World, family: &str, target: &str) -> Vec<String> {
    let with_callers = |svcs: &[String]| {
        let mut keys = Vec::new();
        for s in svcs {
            keys.push(format!("svc:{s}"));
            keys.extend(
                world
                    .upstream(s, 1)
                    .into_iter()
                    .map(|(c, _)| format!("svc:{c}")),
            );
        }
        keys.sort();
        keys.dedup();
        keys
    };
    match family {
        "node_failure" => {
            let mut keys = vec![format!("node:{target}")];
            keys.extend(
                world
                    .pods_on(target)
                    .into_iter()
                    .map(|(w, _)| format!("svc:{w}")),
            );
            keys
        }
        "config_change" => {
            let users = world
                .configs
                .iter()
                .find(|c| c.entity(&world.namespace) == target)
                .map(|c| c.users.clone())
                .unwrap_or_default();
            with_callers(&users)
        }
        "external_dependency" => {
            let mut keys = vec![format!("ext:{target}")];
            for e in world.externals.iter().filter(|e| e.name == target) {
                keys.extend(e.callers.iter().map(|c| format!("svc:{c}")));
            }
            keys
        }
        _ => with_callers(&[target.to_string()]),
    }
}

/// The root-cause entity of a fault on `target`.
pub(super) fn root_of(world: &World, family: &str, target: &str) -> String {
    match family {
        "node_failure" => format!("node/{target}"),
        "config_change" => target.to_string(),
        "external_dependency" => format!("service/{}/{target}", world.namespace),
        _ => world.workload_entity(target).to_string(),
    }
}

/// Alert rules fire after their `for:` clause, which differs per rule: a
/// cause's alert may come after the symptoms it causes.
pub(super) fn fire_delay(rng: &mut Rng) -> i64 {
    if rng.chance(40) {
        rng.range(120, 420)
    } else {
        rng.range(0, 60)
    }
}

/// How a fault is injected beyond its family and target.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opts {
    /// Every alert of it is a warning.
    pub warning_only: bool,
    /// It shares places with a fault already injected (co-located): places
    /// another fault holds stay that fault's.
    pub shared: bool,
}

/// Injects one fault; returns its cluster id.
pub fn inject(
    world: &World,
    family: &str,
    target: &str,
    t0: i64,
    sc: &mut Scenario,
    rng: &mut Rng,
    opts: Opts,
) -> String {
    let cluster = sc.cluster(family, Some(root_of(world, family, target)));
    let end = t0 + rng.range(20, 40) * 60;
    let f = Fault {
        world,
        cluster: cluster.clone(),
        t0,
        end,
        warning_only: opts.warning_only,
    };
    // Claim what this fault holds first, so its own alerts pass.
    for k in exclusive_keys(world, family, target) {
        if opts.shared && !sc.free(&k, t0 - 600, end + 900, &cluster) {
            continue;
        }
        sc.claim(k, t0 - 600, end + 900, &cluster);
    }
    let roots: Vec<String> = match family {
        "node_failure" => vec![format!("node:{target}")],
        "config_change" | "external_dependency" => exclusive_keys(world, family, target)
            .into_iter()
            .filter(|k| k.starts_with("svc:"))
            .collect(),
        _ => vec![format!("svc:{target}")],
    };
    for r in roots {
        sc.faults.push((r, t0 - 600, end + 900));
    }
    match family {
        "db_oom" => families::db_oom(&f, sc, rng, target),
        "node_failure" => families::node_failure(&f, sc, rng, target),
        "bad_deploy" => families::bad_deploy(&f, sc, rng, target),
        "cpu_saturation" => families::cpu_saturation(&f, sc, rng, target),
        "config_change" => changes::config_change(&f, sc, rng, target),
        "network_partition" => network::partition(&f, sc, rng, target),
        "external_dependency" => network::external(&f, sc, rng, target),
        _ => families::dependency_outage(&f, sc, rng, target),
    }
    cluster
}
