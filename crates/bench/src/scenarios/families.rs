//! The first fault families: a datastore out of memory, a Node lost, a bad
//! rollout, CPU saturation, a datastore down.

use super::faults::{fire_delay, Deploy, Fault, On, Raise, Scenario, Via};
use super::Rng;

pub(super) fn db_oom(f: &Fault, sc: &mut Scenario, rng: &mut Rng, target: &str) {
    let t0 = f.t0;
    let crash = t0 + fire_delay(rng);
    for (i, pod) in f.pods(target).into_iter().enumerate() {
        let On::Pod(_, p) = &pod else { continue };
        let s = format!("{p}: container memory at 97% of its limit");
        let at = t0 - rng.range(60, 300);
        f.raise(
            sc,
            rng,
            Raise::new(
                "KubeContainerMemoryNearLimit",
                "warning",
                pod.clone(),
                s,
                at,
            )
            .via(Via::Alertmanager),
        );
        let s = format!("{p} OOMKilled and restarting");
        if i == 0 {
            let r = Raise::new("KubePodCrashLooping", "critical", pod.clone(), s, crash)
                .via(Via::Alertmanager);
            f.flapping(sc, rng, r);
            let at = t0 + rng.range(0, 20);
            kernel_oom(f, sc, rng, target, p, at);
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

/// Half the clusters run node-problem-detector, whose kernel monitor
/// reports the cgroup OOM kill on the Node, naming the process.
fn kernel_oom(f: &Fault, sc: &mut Scenario, rng: &mut Rng, svc: &str, pod: &str, at: i64) {
    let Some(node) = f.world.workloads[svc]
        .pods
        .iter()
        .find(|p| p.name == pod)
        .map(|p| p.node.clone())
    else {
        return;
    };
    if !rng.chance(50) || !sc.free(&format!("node:{node}"), at, at + 60, &f.cluster) {
        return;
    }
    let pid = rng.range(2_000, 60_000);
    let process = f.world.process(svc);
    let rss = rng.range(900_000, 2_000_000);
    let msg = format!(
        "Memory cgroup out of memory: Killed process {pid} ({process}) total-vm:{}kB, anon-rss:{rss}kB, file-rss:0kB, shmem-rss:0kB",
        rss + rng.range(100_000, 400_000)
    );
    f.event(sc, &On::Node(node), "OOMKilling", msg, at);
}

pub(super) fn node_failure(f: &Fault, sc: &mut Scenario, rng: &mut Rng, target: &str) {
    let (t0, world) = (f.t0, f.world);
    let ns = &world.namespace;
    let node = On::Node(target.to_string());
    let fired = t0 + 40 + fire_delay(rng);
    f.event(
        sc,
        &node,
        "NodeNotReady",
        format!("Node {target} status is now: NodeNotReady"),
        t0,
    );
    f.raise(
        sc,
        rng,
        Raise::new(
            "KubeNodeNotReady",
            "critical",
            node.clone(),
            format!("{target} has been unready for more than 1 minute"),
            fired,
        )
        .via(Via::Alertmanager),
    );
    f.raise(
        sc,
        rng,
        Raise::new(
            "TargetDown",
            "critical",
            node,
            format!("{target} stopped reporting"),
            t0 + 70,
        )
        .via(Via::Datadog),
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

pub(super) fn bad_deploy(f: &Fault, sc: &mut Scenario, rng: &mut Rng, target: &str) {
    let t0 = f.t0;
    let hash = rng.k8s_suffix(9);
    if rng.chance(50) {
        sc.deploys.push(Deploy {
            service: target.to_string(),
            at: t0,
            cluster: f.cluster.clone(),
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

pub(super) fn cpu_saturation(f: &Fault, sc: &mut Scenario, rng: &mut Rng, target: &str) {
    let t0 = f.t0;
    for (i, pod) in f.pods(target).into_iter().enumerate() {
        let On::Pod(_, p) = &pod else { continue };
        let s = format!("{p}: 68% throttling of CPU");
        let at = t0 + rng.range(0, 60);
        let r = Raise::new("CPUThrottlingHigh", "warning", pod.clone(), s, at);
        if i == 0 {
            f.flapping(sc, rng, r);
        } else {
            f.raise(sc, rng, r);
        }
    }
    f.raise(
        sc,
        rng,
        Raise::new(
            "ContainerCpuUsageHigh",
            "critical",
            On::Workload(target.to_string()),
            format!("{target} CPU usage above 90%"),
            t0 + 90,
        )
        .via(Via::Datadog),
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

/// A leaf service (a datastore, a queue) goes down; its callers alert.
pub(super) fn dependency_outage(f: &Fault, sc: &mut Scenario, rng: &mut Rng, target: &str) {
    let (t0, world) = (f.t0, f.world);
    let ns = &world.namespace;
    let down = On::Service(target.to_string());
    let s = format!("100% of the {target} targets are down");
    let at = t0 + fire_delay(rng);
    let r = Raise::new("TargetDown", "critical", down, s, at).via(Via::Alertmanager);
    if rng.chance(50) {
        f.flapping(sc, rng, r);
    } else {
        f.raise(sc, rng, r);
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
        f.raise(
            sc,
            rng,
            Raise::new("SyntheticCheck", "critical", On::Service(top), s, t0 + 150)
                .via(Via::PagerDuty),
        );
    }
}
