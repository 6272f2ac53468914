//! The fault families and the noise around them, as source-agnostic items
//! (alerts, Kubernetes events, deploys) with their truth cluster. [`super::emit`]
//! turns them into the payloads real tools send.

use super::world::World;
use super::{Cluster, Rng, NOISE};
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

/// The tool an alert reaches Causeway through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Alertmanager,
    Grafana,
    Datadog,
    PagerDuty,
}

/// What an alert is about, as its labels or tags will say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum On {
    /// `(workload, pod)`.
    Pod(String, String),
    Workload(String),
    Service(String),
    Node(String),
    Nothing,
}

/// One alert's life: it fires at `starts` and resolves at `ends`.
#[derive(Debug, Clone)]
pub struct Alert {
    pub via: Via,
    pub name: String,
    pub severity: &'static str,
    pub on: On,
    pub summary: String,
    pub starts: i64,
    pub ends: i64,
    pub cluster: String,
}

/// A core/v1 Event, re-sent `repeats` times a minute apart with a growing count.
#[derive(Debug, Clone)]
pub struct K8sEvent {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub reason: String,
    pub message: String,
    pub warning: bool,
    pub at: i64,
    pub repeats: u32,
    pub cluster: String,
}

/// A GitHub `deployment_status: success` for `service`.
#[derive(Debug, Clone)]
pub struct Deploy {
    pub service: String,
    pub at: i64,
    pub cluster: String,
}

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
    fn free(&self, key: &str, from: i64, to: i64, cluster: &str) -> bool {
        !self
            .claims
            .iter()
            .any(|(k, a, b, c)| k == key && c != cluster && *a < to && from < *b)
    }

    fn claim(&mut self, key: String, from: i64, to: i64, cluster: &str) {
        self.claims.push((key, from, to, cluster.to_string()));
    }

    fn cluster(&mut self, family: &str, root: String) -> String {
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
struct Fault<'a> {
    world: &'a World,
    cluster: String,
    t0: i64,
    end: i64,
}

impl Fault<'_> {
    #[allow(clippy::too_many_arguments)]
    fn alert(
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

    fn event(&self, sc: &mut Scenario, on: &On, reason: &str, message: String, at: i64) {
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

    fn pods(&self, svc: &str) -> Vec<On> {
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
            self.alert(sc, rng, None, name, sev, on, format!("{caller}: {what}"), at);
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

/// Candidate targets of a family, free for `[from, to)`.
fn targets(world: &World, family: &str, sc: &Scenario, from: i64, to: i64) -> Vec<String> {
    let all: Vec<String> = match family {
        "db_oom" => world.databases(),
        "node_failure" => world.nodes.clone(),
        "dependency_outage" => {
            let dbs = world.databases();
            let apis: Vec<String> = world.leaves().into_iter().filter(|l| !dbs.contains(l)).collect();
            if apis.is_empty() { world.leaves() } else { apis }
        }
        _ => world.workloads.keys().filter(|s| world.callers.contains_key(*s) || world.calls.contains_key(*s)).cloned().collect(),
    };
    all.into_iter()
        .filter(|t| {
            if family == "node_failure" {
                sc.free(&format!("node:{t}"), from, to, "")
                    && world.pods_on(t).iter().all(|(w, _)| sc.free(&format!("svc:{w}"), from, to, ""))
            } else {
                let mut involved = vec![t.clone()];
                involved.extend(world.upstream(t, 2).into_iter().map(|(s, _)| s));
                involved.iter().all(|s| sc.free(&format!("svc:{s}"), from, to, ""))
            }
        })
        .collect()
}

/// Injects one fault of `family` on `target` at `t0`.
pub fn inject(world: &World, family: &str, target: &str, t0: i64, sc: &mut Scenario, rng: &mut Rng) {
    let root = if family == "node_failure" {
        format!("node/{target}")
    } else {
        world.workload_entity(target).to_string()
    };
    let cluster = sc.cluster(family, root);
    let end = t0 + rng.range(20, 40) * 60;
    let f = Fault { world, cluster: cluster.clone(), t0, end };
    // Claim what this fault touches first, so its own alerts pass.
    let mut keys = vec![format!("svc:{target}")];
    if family == "node_failure" {
        keys = vec![format!("node:{target}")];
        keys.extend(world.pods_on(target).into_iter().map(|(w, _)| format!("svc:{w}")));
    } else {
        keys.extend(world.upstream(target, 2).into_iter().map(|(s, _)| format!("svc:{s}")));
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
                f.alert(sc, rng, Some(Via::Alertmanager), "KubeContainerMemoryNearLimit", "warning", pod.clone(), s, t0 - 120);
                let s = format!("{p} OOMKilled and restarting");
                if i == 0 {
                    // Flapping: fires, resolves, fires again (a new startsAt).
                    let mut first = Fault { end: t0 + 150, ..Fault { world, cluster: cluster.clone(), t0, end } };
                    first.alert(sc, rng, Some(Via::Alertmanager), "KubePodCrashLooping", "critical", pod.clone(), s.clone(), t0);
                    first.end = end;
                    let again = t0 + 480 + rng.range(0, 60);
                    first.alert(sc, rng, Some(Via::Alertmanager), "KubePodCrashLooping", "critical", pod.clone(), s, again);
                } else {
                    f.alert(sc, rng, None, "KubePodCrashLooping", "critical", pod.clone(), s, t0 + 20);
                }
                f.event(sc, &pod, "BackOff", "Back-off restarting failed container".into(), t0 + 10);
            }
            f.cascade(sc, rng, target, 90, 2);
        }
        "node_failure" => {
            let node = On::Node(target.to_string());
            f.event(sc, &node, "NodeNotReady", format!("Node {target} status is now: NodeNotReady"), t0);
            f.alert(sc, rng, Some(Via::Alertmanager), "KubeNodeNotReady", "critical", node.clone(), format!("{target} has been unready for more than 1 minute"), t0 + 40);
            f.alert(sc, rng, Some(Via::Datadog), "Host unreachable", "critical", node, format!("{target} stopped reporting"), t0 + 70);
            for (w, p) in world.pods_on(target) {
                let on = On::Pod(w.clone(), p.clone());
                let at = t0 + rng.range(60, 150);
                f.alert(sc, rng, None, "KubePodNotReady", "warning", on, format!("{ns}/{p} has been in a non-ready state"), at);
                if world.workloads[&w].pods.iter().all(|x| x.node == target) {
                    f.alert(sc, rng, None, "KubeDeploymentReplicasMismatch", "critical", On::Workload(w.clone()), format!("{ns}/{w} has no ready replica"), t0 + 300);
                }
            }
        }
        "bad_deploy" => {
            let hash = rng.k8s_suffix(9);
            if rng.chance(50) {
                sc.deploys.push(Deploy { service: target.to_string(), at: t0, cluster: cluster.clone() });
            } else {
                let msg = format!("Scaled up replica set {target}-{hash} to 1");
                f.event(sc, &On::Workload(target.to_string()), "ScalingReplicaSet", msg, t0);
            }
            let at = t0 + rng.range(90, 180);
            f.alert(sc, rng, None, "HighErrorRate", "critical", On::Service(target.to_string()), format!("{target}: 5xx ratio above 5% since the rollout"), at);
            for _ in 0..rng.range(1, 2) {
                let pod = format!("{target}-{hash}-{}", rng.k8s_suffix(5));
                let s = format!("{pod}: readiness probe failing");
                let at = at + rng.range(0, 60);
                f.alert(sc, rng, None, "KubePodNotReady", "warning", On::Pod(target.to_string(), pod), s, at);
            }
            f.cascade(sc, rng, target, 150, 1);
        }
        "cpu_saturation" => {
            for pod in f.pods(target) {
                let On::Pod(_, p) = &pod else { continue };
                let s = format!("{p}: 68% throttling of CPU");
                let at = t0 + rng.range(0, 60);
                f.alert(sc, rng, None, "CPUThrottlingHigh", "warning", pod.clone(), s, at);
            }
            let on = On::Workload(target.to_string());
            f.alert(sc, rng, Some(Via::Datadog), "CPU usage above 90%", "critical", on, format!("{target} CPU usage above 90%"), t0 + 90);
            f.alert(sc, rng, None, "HighLatencyP99", "warning", On::Service(target.to_string()), format!("{target}: p99 latency above 2s"), t0 + 120);
        }
        _ => {
            // dependency outage: a leaf service goes down, its callers alert.
            f.alert(sc, rng, Some(Via::Alertmanager), "TargetDown", "critical", On::Service(target.to_string()), format!("100% of the {target} targets are down"), t0);
            f.alert(sc, rng, None, "KubeDeploymentReplicasMismatch", "critical", On::Workload(target.to_string()), format!("{ns}/{target} has no ready replica"), t0 + 30);
            for pod in f.pods(target) {
                f.event(sc, &pod, "BackOff", "Back-off restarting failed container".into(), t0 + 15);
            }
            f.cascade(sc, rng, target, 60, 2);
            if let Some((top, _)) = world.upstream(target, 3).last().cloned() {
                let s = format!("Synthetic check failing on {top}");
                f.alert(sc, rng, Some(Via::PagerDuty), "SyntheticCheck", "critical", On::Service(top), s, t0 + 150);
            }
        }
    }
}

/// Noise: the Watchdog, unrelated mild alerts and routine Kubernetes events.
fn noise(world: &World, sc: &mut Scenario, rng: &mut Rng) {
    let watchdog = Alert {
        via: Via::Alertmanager,
        name: "Watchdog".into(),
        severity: "none",
        on: On::Nothing,
        summary: "An alert that should always be firing to certify that Alertmanager is working properly.".into(),
        starts: 0,
        ends: HORIZON + 3600,
        cluster: NOISE.into(),
    };
    sc.alerts.push(watchdog);
    let services: Vec<String> = world.workloads.keys().cloned().collect();
    for i in 0..14 {
        let at = rng.range(0, HORIZON - 1800);
        let svc = rng.pick(&services).clone();
        let node = rng.pick(&world.nodes).clone();
        let pod = rng.pick(&world.workloads[&svc].pods).name.clone();
        let (key, on) = match i % 7 {
            0 | 5 => (format!("node:{node}"), On::Node(node.clone())),
            1 | 4 => (format!("svc:{svc}"), On::Workload(svc.clone())),
            _ => (format!("svc:{svc}"), On::Pod(svc.clone(), pod.clone())),
        };
        if !sc.free(&key, at - 600, at + 2400, NOISE) {
            continue;
        }
        let f = Fault { world, cluster: NOISE.into(), t0: at, end: at + rng.range(5, 25) * 60 };
        match i % 7 {
            0 => f.alert(sc, rng, None, "NodeClockSkewDetected", "warning", on, format!("Clock on {node} is out of sync"), at),
            1 => f.alert(sc, rng, None, "KubeHpaMaxedOut", "warning", on, format!("HPA {svc} has been at max replicas"), at),
            2 => f.alert(sc, rng, None, "KubeContainerWaiting", "info", on, format!("{pod} container waiting longer than 1 hour"), at),
            3 => f.event(sc, &on, "Pulled", "Container image already present on machine".into(), at),
            4 => f.alert(sc, rng, Some(Via::Grafana), "DashboardQueryErrors", "info", on, format!("{svc} dashboard query errors"), at),
            5 => f.alert(sc, rng, Some(Via::Datadog), "Disk usage above 80%", "warning", on, format!("{node} disk usage above 80%"), at),
            _ => f.event(sc, &on, "Scheduled", format!("Successfully assigned {}/{pod} to {node}", world.namespace), at),
        }
    }
}

/// One suite's scenario: two overlapping faults in different parts of the
/// graph, the first recurring hours later, noise throughout. `mixed` runs
/// every family, two of them overlapping, and a recurrence.
pub fn scenario(world: &World, family: &str, rng: &mut Rng) -> Scenario {
    let mut sc = Scenario::default();
    let plan: Vec<(&str, i64, Option<usize>)> = if family == "mixed" {
        vec![
            ("db_oom", 600, None),
            ("node_failure", 1800, None),
            ("bad_deploy", 1800 + rng.range(60, 240), None),
            ("cpu_saturation", 4200, None),
            ("dependency_outage", 6000, None),
            ("db_oom", 600 + 3 * 3600 + rng.range(0, 600), Some(0)),
        ]
    } else {
        vec![
            (family, 600, None),
            (family, 600 + rng.range(60, 240), None),
            (family, 600 + 3 * 3600 + rng.range(0, 600), Some(0)),
        ]
    };
    let mut chosen: Vec<String> = Vec::new();
    for (fam, t0, again) in plan {
        let target = match again {
            Some(i) => chosen[i].clone(),
            None => {
                let free = targets(world, fam, &sc, t0 - 600, t0 + 3600);
                let fresh: Vec<String> = free.iter().filter(|t| !chosen.contains(t)).cloned().collect();
                match (fresh.is_empty(), free.is_empty()) {
                    (false, _) => rng.pick(&fresh).clone(),
                    (true, false) => rng.pick(&free).clone(),
                    _ => continue,
                }
            }
        };
        chosen.push(target.clone());
        inject(world, fam, &target, t0, &mut sc, rng);
    }
    noise(world, &mut sc, rng);
    sc
}
