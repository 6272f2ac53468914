//! Noise: alerts and events that belong to no incident.

use super::faults::{Alert, Fault, On, Scenario, Via, HORIZON};
use super::world::World;
use super::{Rng, NOISE};

/// Noise: the Watchdog, unrelated warnings (some on the very Nodes and
/// services a fault reaches), short latency blips on services no fault is
/// touching, a failed batch job, info alerts and routine Kubernetes events.
pub(super) fn noise(world: &World, sc: &mut Scenario, rng: &mut Rng) {
    // Datadog-only shops have no Alertmanager to certify.
    let via = sc.conv.route(Some(Via::Alertmanager), rng);
    let watchdog = Alert {
        via,
        name: "Watchdog".into(),
        severity: "none",
        on: On::Nothing,
        summary: "An alert that should always be firing to certify that Alertmanager is working properly.".into(),
        starts: 0,
        ends: HORIZON + 3600,
        cluster: NOISE.into(),
        job: None,
        peer: None,
    };
    if via != Via::Datadog {
        sc.alerts.push(watchdog);
    }
    let services: Vec<String> = world.workloads.keys().cloned().collect();
    for i in 0..18 {
        let at = rng.range(0, HORIZON - 1800);
        let svc = rng.pick(&services).clone();
        let node = rng.pick(&world.nodes).clone();
        let pod = rng.pick(&world.workloads[&svc].pods).name.clone();
        let kind = i % 9;
        let (key, on) = match kind {
            0 | 5 => (format!("node:{node}"), On::Node(node.clone())),
            1 | 4 | 7 => (format!("svc:{svc}"), On::Service(svc.clone())),
            8 => (String::new(), On::Nothing),
            _ => (format!("svc:{svc}"), On::Pod(svc.clone(), pod.clone())),
        };
        let dur = if kind == 7 {
            rng.range(3, 6)
        } else {
            rng.range(5, 25)
        } * 60;
        if !key.is_empty() && !sc.free(&key, at - 300, at + dur + 300, NOISE) {
            continue;
        }
        // A blip must not look like a fault's own symptom: nothing below it fails.
        if kind == 7 && near_a_fault(world, sc, &svc, at - 900, at + dur + 900) {
            continue;
        }
        let f = Fault {
            world,
            cluster: NOISE.into(),
            t0: at,
            end: at + dur,
            warning_only: false,
        };
        let ns = &world.namespace;
        match kind {
            0 => f.alert(
                sc,
                rng,
                None,
                "NodeClockSkewDetected",
                "warning",
                on,
                format!("Clock on {node} is out of sync"),
                at,
            ),
            1 => f.alert(
                sc,
                rng,
                None,
                "KubeHpaMaxedOut",
                "warning",
                On::Workload(svc.clone()),
                format!(
                    "HPA {ns}/{svc} has been running at max replicas for longer than 15 minutes"
                ),
                at,
            ),
            2 => f.alert(
                sc,
                rng,
                None,
                "KubeContainerWaiting",
                "info",
                on,
                format!("{pod} container waiting longer than 1 hour"),
                at,
            ),
            3 => f.event(
                sc,
                &on,
                "Pulled",
                "Container image already present on machine".into(),
                at,
            ),
            4 => f.alert(
                sc,
                rng,
                Some(Via::Grafana),
                "DatasourceError",
                "info",
                on,
                format!("{svc}: the rule's query failed"),
                at,
            ),
            5 => f.alert(
                sc,
                rng,
                Some(Via::Datadog),
                "NodeFilesystemSpaceFillingUp",
                "warning",
                on,
                format!("{node} disk usage above 80%"),
                at,
            ),
            6 => f.event(
                sc,
                &on,
                "Scheduled",
                format!("Successfully assigned {ns}/{pod} to {node}"),
                at,
            ),
            7 => f.alert(
                sc,
                rng,
                None,
                "HighLatencyP99",
                "warning",
                on,
                format!("{svc}: p99 latency above 2s"),
                at,
            ),
            _ => {
                let job = format!("nightly-report-{}", rng.range(2_800_000, 2_899_999));
                f.alert(
                    sc,
                    rng,
                    Some(Via::Alertmanager),
                    "KubeJobFailed",
                    "critical",
                    On::Nothing,
                    format!("Job {ns}/{job} failed to complete"),
                    at,
                );
                if let Some(a) = sc.alerts.last_mut().filter(|a| a.name == "KubeJobFailed") {
                    a.job = Some(job);
                }
            }
        }
    }
}

/// Whether `svc` is a fault's root or within three calls above one, during
/// `[from, to)`.
fn near_a_fault(world: &World, sc: &Scenario, svc: &str, from: i64, to: i64) -> bool {
    sc.faults.iter().any(|(root, a, b)| {
        let overlaps = *a < to && from < *b;
        let above = match root.strip_prefix("svc:") {
            Some(r) => r == svc || world.upstream(r, 3).iter().any(|(s, _)| s == svc),
            None => true,
        };
        overlaps && above
    })
}
