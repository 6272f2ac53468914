//! The fault families and the noise around them, as source-agnostic items
//! (alerts, Kubernetes events, deploys) with their truth cluster. [`super::emit`]
//! turns them into the payloads real tools send.

use super::world::World;
use super::{Cluster, Rng};
use std::collections::BTreeMap;

/// The fault families, in table order.
pub const FAMILIES: [&str; 5] = [
    "db_oom",
    "node_failure",
    "bad_deploy",
    "cpu_saturation",
    "dependency_outage",
];

/// How long a suite lasts (seconds): long enough for a recurrence hours later.
pub const HORIZON: i64 = 4 * 3600 + 1800;

pub use super::items::{Alert, Deploy, K8sEvent, On, Via};

/// Everything that happens in one suite.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub alerts: Vec<Alert>,
    pub events: Vec<K8sEvent>,
    pub deploys: Vec<Deploy>,
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
    /// subject) during `[from, to)`: then it is that cluster's alert.
    fn duplicate(&self, name: &str, on: &On, from: i64, to: i64, cluster: &str) -> bool {
        self.alerts.iter().any(|a| {
            a.name == name && &a.on == on && a.cluster != cluster && a.starts < to && from < a.ends
        })
    }

    pub(super) fn cluster(&mut self, family: &str, root: String) -> String {
        let id = format!("c{}", self.clusters.len() + 1);
        self.clusters.insert(
            id.clone(),
            Cluster {
                family: family.to_string(),
                root: Some(root),
            },
        );
        id
    }
}

/// A fault in the making: where the alerts go.
pub(super) struct Fault<'a> {
    pub(super) world: &'a World,
    pub(super) cluster: String,
    pub(super) t0: i64,
    pub(super) end: i64,
}

impl Fault<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn alert(
        &self,
        sc: &mut Scenario,
        rng: &mut Rng,
        via: Option<Via>,
        name: &str,
        severity: &'static str,
        on: On,
        summary: String,
        at: i64,
    ) {
        self.alert_until(sc, rng, via, name, severity, on, summary, at, None);
    }

    /// An alert that resolves at `until` (else with the fault, give or take).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn alert_until(
        &self,
        sc: &mut Scenario,
        rng: &mut Rng,
        via: Option<Via>,
        name: &str,
        severity: &'static str,
        on: On,
        summary: String,
        at: i64,
        until: Option<i64>,
    ) {
        let key = match &on {
            On::Pod(w, _) | On::Workload(w) | On::Service(w) => format!("svc:{w}"),
            On::Node(n) => format!("node:{n}"),
            On::Nothing => String::new(),
        };
        let ends = until.unwrap_or_else(|| self.end + rng.range(0, 300));
        if !sc.free(&key, at, ends, &self.cluster)
            || sc.duplicate(name, &on, at, ends, &self.cluster)
        {
            return;
        }
        let via = via.unwrap_or_else(|| pick_via(rng));
        sc.alerts.push(Alert {
            via,
            name: name.into(),
            severity,
            on,
            summary,
            starts: at,
            ends,
            cluster: self.cluster.clone(),
            job: None,
        });
    }

    /// An alert that fires, resolves a few minutes later and fires again.
    #[allow(clippy::too_many_arguments)]
    fn flapping(
        &self,
        sc: &mut Scenario,
        rng: &mut Rng,
        via: Option<Via>,
        name: &str,
        severity: &'static str,
        on: On,
        summary: String,
        at: i64,
    ) {
        let gap = at + rng.range(120, 240);
        let again = gap + rng.range(150, 400);
        self.alert_until(
            sc,
            rng,
            via,
            name,
            severity,
            on.clone(),
            summary.clone(),
            at,
            Some(gap),
        );
        self.alert(sc, rng, via, name, severity, on, summary, again);
    }

    pub(super) fn event(&self, sc: &mut Scenario, on: &On, reason: &str, message: String, at: i64) {
        let ns = Some(self.world.namespace.clone());
        let (kind, namespace, name) = match on {
            On::Pod(_, p) => ("Pod", ns, p.clone()),
            On::Workload(w) => ("Deployment", ns, w.clone()),
            On::Node(n) => ("Node", None, n.clone()),
            _ => return,
        };
        // Kubernetes' own event types: these reasons are Warnings, the rest
        // (Pulled, Scheduled, ScalingReplicaSet, NodeNotReady...) Normal.
        let warning = matches!(
            reason,
            "BackOff" | "Unhealthy" | "FailedScheduling" | "OOMKilling" | "Evicted" | "FailedMount"
        );
        sc.events.push(K8sEvent {
            kind: kind.into(),
            namespace,
            name,
            reason: reason.into(),
            message,
            warning,
            at,
            repeats: if reason == "BackOff" { 3 } else { 1 },
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
    fn cascade(&self, sc: &mut Scenario, rng: &mut Rng, svc: &str, delay: i64, depth: usize) {
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

fn pick_via(rng: &mut Rng) -> Via {
    match rng.range(0, 19) {
        0..=12 => Via::Alertmanager,
        13..=14 => Via::Grafana,
        15..=16 => Via::Datadog,
        17 => Via::PagerDuty,
        _ => Via::PagerDutyIncident,
    }
}

/// The exclusive places of a fault: its root and direct callers, or a Node
/// and the workloads running on it.
pub(super) fn exclusive_keys(world: &World, family: &str, target: &str) -> Vec<String> {
    if family == "node_failure" {
        let mut keys = vec![format!("node:{target}")];
        keys.extend(
            world
                .pods_on(target)
                .into_iter()
                .map(|(w, _)| format!("svc:{w}")),
        );
        keys
    } else {
        let mut keys = vec![format!("svc:{target}")];
        keys.extend(
            world
                .upstream(target, 1)
                .into_iter()
                .map(|(s, _)| format!("svc:{s}")),
        );
        keys
    }
}

/// Alert rules fire after their `for:` clause, which differs per rule: a
/// cause's alert may come after the symptoms it causes.
fn fire_delay(rng: &mut Rng) -> i64 {
    if rng.chance(40) {
        rng.range(120, 420)
    } else {
        rng.range(0, 60)
    }
}

pub fn inject(
    world: &World,
    family: &str,
    target: &str,
    t0: i64,
    sc: &mut Scenario,
    rng: &mut Rng,
) {
    let root = if family == "node_failure" {
        format!("node/{target}")
    } else {
        world.workload_entity(target).to_string()
    };
    let cluster = sc.cluster(family, root);
    let end = t0 + rng.range(20, 40) * 60;
    let f = Fault {
        world,
        cluster: cluster.clone(),
        t0,
        end,
    };
    // Claim what this fault holds first, so its own alerts pass.
    for k in exclusive_keys(world, family, target) {
        sc.claim(k, t0 - 600, end + 900, &cluster);
    }
    let root_key = if family == "node_failure" {
        format!("node:{target}")
    } else {
        format!("svc:{target}")
    };
    sc.faults.push((root_key, t0 - 600, end + 900));
    let ns = &world.namespace;
    match family {
        "db_oom" => {
            let crash = t0 + fire_delay(rng);
            for (i, pod) in f.pods(target).into_iter().enumerate() {
                let On::Pod(_, p) = &pod else { continue };
                let s = format!("{p}: container memory at 97% of its limit");
                let at = t0 - rng.range(60, 300);
                f.alert(
                    sc,
                    rng,
                    Some(Via::Alertmanager),
                    "KubeContainerMemoryNearLimit",
                    "warning",
                    pod.clone(),
                    s,
                    at,
                );
                let s = format!("{p} OOMKilled and restarting");
                if i == 0 {
                    f.flapping(
                        sc,
                        rng,
                        Some(Via::Alertmanager),
                        "KubePodCrashLooping",
                        "critical",
                        pod.clone(),
                        s,
                        crash,
                    );
                } else {
                    let at = crash + rng.range(0, 40);
                    f.alert(
                        sc,
                        rng,
                        None,
                        "KubePodCrashLooping",
                        "critical",
                        pod.clone(),
                        s,
                        at,
                    );
                }
                f.event(
                    sc,
                    &pod,
                    "BackOff",
                    "Back-off restarting failed container".into(),
                    t0 + 10,
                );
            }
            f.cascade(sc, rng, target, 90, 2);
        }
        "node_failure" => {
            let node = On::Node(target.to_string());
            let fired = t0 + 40 + fire_delay(rng);
            f.event(
                sc,
                &node,
                "NodeNotReady",
                format!("Node {target} status is now: NodeNotReady"),
                t0,
            );
            f.alert(
                sc,
                rng,
                Some(Via::Alertmanager),
                "KubeNodeNotReady",
                "critical",
                node.clone(),
                format!("{target} has been unready for more than 1 minute"),
                fired,
            );
            f.alert(
                sc,
                rng,
                Some(Via::Datadog),
                "Host unreachable",
                "critical",
                node,
                format!("{target} stopped reporting"),
                t0 + 70,
            );
            for (w, p) in world.pods_on(target) {
                let on = On::Pod(w.clone(), p.clone());
                let at = t0 + rng.range(60, 150);
                f.alert(
                    sc,
                    rng,
                    None,
                    "KubePodNotReady",
                    "warning",
                    on,
                    format!("{ns}/{p} has been in a non-ready state"),
                    at,
                );
                if world.workloads[&w].pods.iter().all(|x| x.node == target) {
                    f.alert(
                        sc,
                        rng,
                        None,
                        "KubeDeploymentReplicasMismatch",
                        "critical",
                        On::Workload(w.clone()),
                        format!("{ns}/{w} has no ready replica"),
                        t0 + 300,
                    );
                }
            }
        }
        "bad_deploy" => {
            let hash = rng.k8s_suffix(9);
            if rng.chance(50) {
                sc.deploys.push(Deploy {
                    service: target.to_string(),
                    at: t0,
                    cluster: cluster.clone(),
                });
            } else {
                let msg = format!("Scaled up replica set {target}-{hash} to 1");
                f.event(
                    sc,
                    &On::Workload(target.to_string()),
                    "ScalingReplicaSet",
                    msg,
                    t0,
                );
            }
            let at = t0 + rng.range(90, 180);
            f.alert(
                sc,
                rng,
                None,
                "HighErrorRate",
                "critical",
                On::Service(target.to_string()),
                format!("{target}: 5xx ratio above 5% since the rollout"),
                at,
            );
            for _ in 0..rng.range(1, 2) {
                let pod = format!("{target}-{hash}-{}", rng.k8s_suffix(5));
                let s = format!("{pod}: readiness probe failing");
                let at = at + rng.range(0, 60);
                f.alert(
                    sc,
                    rng,
                    None,
                    "KubePodNotReady",
                    "warning",
                    On::Pod(target.to_string(), pod),
                    s,
                    at,
                );
            }
            f.cascade(sc, rng, target, 150, 1);
        }
        "cpu_saturation" => {
            for (i, pod) in f.pods(target).into_iter().enumerate() {
                let On::Pod(_, p) = &pod else { continue };
                let s = format!("{p}: 68% throttling of CPU");
                let at = t0 + rng.range(0, 60);
                if i == 0 {
                    f.flapping(
                        sc,
                        rng,
                        None,
                        "CPUThrottlingHigh",
                        "warning",
                        pod.clone(),
                        s,
                        at,
                    );
                } else {
                    f.alert(
                        sc,
                        rng,
                        None,
                        "CPUThrottlingHigh",
                        "warning",
                        pod.clone(),
                        s,
                        at,
                    );
                }
            }
            let on = On::Workload(target.to_string());
            f.alert(
                sc,
                rng,
                Some(Via::Datadog),
                "CPU usage above 90%",
                "critical",
                on,
                format!("{target} CPU usage above 90%"),
                t0 + 90,
            );
            f.alert(
                sc,
                rng,
                None,
                "HighLatencyP99",
                "warning",
                On::Service(target.to_string()),
                format!("{target}: p99 latency above 2s"),
                t0 + 120,
            );
            f.cascade(sc, rng, target, 180, 1);
        }
        _ => {
            // dependency outage: a leaf service goes down, its callers alert.
            let down = On::Service(target.to_string());
            let s = format!("100% of the {target} targets are down");
            let at = t0 + fire_delay(rng);
            if rng.chance(50) {
                f.flapping(
                    sc,
                    rng,
                    Some(Via::Alertmanager),
                    "TargetDown",
                    "critical",
                    down,
                    s,
                    at,
                );
            } else {
                f.alert(
                    sc,
                    rng,
                    Some(Via::Alertmanager),
                    "TargetDown",
                    "critical",
                    down,
                    s,
                    at,
                );
            }
            let mismatch = t0 + 30 + fire_delay(rng);
            f.alert(
                sc,
                rng,
                None,
                "KubeDeploymentReplicasMismatch",
                "critical",
                On::Workload(target.to_string()),
                format!("{ns}/{target} has no ready replica"),
                mismatch,
            );
            for pod in f.pods(target) {
                f.event(
                    sc,
                    &pod,
                    "BackOff",
                    "Back-off restarting failed container".into(),
                    t0 + 15,
                );
            }
            f.cascade(sc, rng, target, 60, 2);
            if let Some((top, _)) = world.upstream(target, 3).last().cloned() {
                let s = format!("Synthetic check failing on {top}");
                f.alert(
                    sc,
                    rng,
                    Some(Via::PagerDuty),
                    "SyntheticCheck",
                    "critical",
                    On::Service(top),
                    s,
                    t0 + 150,
                );
            }
        }
    }
}
