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
    /// `(key, from, to, cluster)`: what a fault occupies, so overlapping
    /// faults and noise stay in different parts of the graph.
    claims: Vec<(String, i64, i64, String)>,
}

impl Scenario {
    pub(super) fn free(&self, key: &str, from: i64, to: i64, cluster: &str) -> bool {
        !self
            .claims
            .iter()
            .any(|(k, a, b, c)| k == key && c != cluster && *a < to && from < *b)
    }

    pub(super) fn claim(&mut self, key: String, from: i64, to: i64, cluster: &str) {
        self.claims.push((key, from, to, cluster.to_string()));
    }

    pub(super) fn cluster(&mut self, family: &str, root: String) -> String {
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
        let key = match &on {
            On::Pod(w, _) | On::Workload(w) | On::Service(w) => format!("svc:{w}"),
            On::Node(n) => format!("node:{n}"),
            On::Nothing => String::new(),
        };
        if !sc.free(&key, at, self.end, &self.cluster) {
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
            ends: self.end + rng.range(0, 300),
            cluster: self.cluster.clone(),
        });
    }

    pub(super) fn event(&self, sc: &mut Scenario, on: &On, reason: &str, message: String, at: i64) {
        let ns = Some(self.world.namespace.clone());
        let (kind, namespace, name) = match on {
            On::Pod(_, p) => ("Pod", ns, p.clone()),
            On::Workload(w) => ("Deployment", ns, w.clone()),
            On::Node(n) => ("Node", None, n.clone()),
            _ => return,
        };
        sc.events.push(K8sEvent {
            kind: kind.into(),
            namespace,
            name,
            reason: reason.into(),
            message,
            warning: reason != "NodeNotReady" && reason != "ScalingReplicaSet",
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
    match rng.range(0, 9) {
        0..=6 => Via::Alertmanager,
        7 => Via::Grafana,
        8 => Via::Datadog,
        _ => Via::PagerDuty,
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
    // Claim what this fault touches first, so its own alerts pass.
    let mut keys = vec![format!("svc:{target}")];
    if family == "node_failure" {
        keys = vec![format!("node:{target}")];
        keys.extend(
            world
                .pods_on(target)
                .into_iter()
                .map(|(w, _)| format!("svc:{w}")),
        );
    } else {
        keys.extend(
            world
                .upstream(target, 2)
                .into_iter()
                .map(|(s, _)| format!("svc:{s}")),
        );
    }
    for k in keys {
        sc.claim(k, t0 - 600, end + 900, &cluster);
    }
    let ns = &world.namespace;
    match family {
        "db_oom" => {
            for (i, pod) in f.pods(target).into_iter().enumerate() {
                let On::Pod(_, p) = &pod else { continue };
                let s = format!("{p}: container memory at 97% of its limit");
                f.alert(
                    sc,
                    rng,
                    Some(Via::Alertmanager),
                    "KubeContainerMemoryNearLimit",
                    "warning",
                    pod.clone(),
                    s,
                    t0 - 120,
                );
                let s = format!("{p} OOMKilled and restarting");
                if i == 0 {
                    // Flapping: fires, resolves, fires again (a new startsAt).
                    let mut first = Fault {
                        end: t0 + 150,
                        ..Fault {
                            world,
                            cluster: cluster.clone(),
                            t0,
                            end,
                        }
                    };
                    first.alert(
                        sc,
                        rng,
                        Some(Via::Alertmanager),
                        "KubePodCrashLooping",
                        "critical",
                        pod.clone(),
                        s.clone(),
                        t0,
                    );
                    first.end = end;
                    let again = t0 + 480 + rng.range(0, 60);
                    first.alert(
                        sc,
                        rng,
                        Some(Via::Alertmanager),
                        "KubePodCrashLooping",
                        "critical",
                        pod.clone(),
                        s,
                        again,
                    );
                } else {
                    f.alert(
                        sc,
                        rng,
                        None,
                        "KubePodCrashLooping",
                        "critical",
                        pod.clone(),
                        s,
                        t0 + 20,
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
                t0 + 40,
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
            for pod in f.pods(target) {
                let On::Pod(_, p) = &pod else { continue };
                let s = format!("{p}: 68% throttling of CPU");
                let at = t0 + rng.range(0, 60);
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
        }
        _ => {
            // dependency outage: a leaf service goes down, its callers alert.
            f.alert(
                sc,
                rng,
                Some(Via::Alertmanager),
                "TargetDown",
                "critical",
                On::Service(target.to_string()),
                format!("100% of the {target} targets are down"),
                t0,
            );
            f.alert(
                sc,
                rng,
                None,
                "KubeDeploymentReplicasMismatch",
                "critical",
                On::Workload(target.to_string()),
                format!("{ns}/{target} has no ready replica"),
                t0 + 30,
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
