//! Chronic and flapping alerts: what a real cluster's alerting already says
//! before anything breaks, and keeps saying after. A latency monitor whose
//! threshold sits at the edge of normal traffic flaps every 20–60 minutes;
//! a Pod crash-loops for hours on a bug nobody has fixed while its other
//! replicas serve; a Node's memory hovers near its limit. Each is a truth
//! cluster of its own, with no root (nothing broke) and family `none`.
//!
//! They are placed after the faults, anywhere (a fault may later strike
//! the same place); an episode never overlaps the same alert a fault fires.
//! Each is already firing in the first minutes of the suite, before the
//! first fault: that is what makes it chronic rather than part of a fault.

use super::faults::{Alert, Fault, On, Scenario, HORIZON};
use super::world::World;
use super::Rng;

/// By when (seconds) a chronic alert has first fired: the first fault's
/// earliest sign comes no sooner than five minutes in.
const ALREADY: i64 = 180;

/// The kinds of chronic alerts.
pub const KINDS: [&str; 3] = ["flapping-latency", "crashloop", "node-memory"];

/// Adds the chronic cluster `kind`; returns its cluster id, or `None` when
/// the world has no place for it.
pub fn chronic(world: &World, kind: &str, sc: &mut Scenario, rng: &mut Rng) -> Option<String> {
    match kind {
        "flapping-latency" => {
            let svcs: Vec<String> = world.callers.keys().cloned().collect();
            let svc = rng.pick(&svcs).clone();
            let cluster = sc.cluster("none", None);
            let on = On::Service(svc.clone());
            let summary = format!("{svc}: p99 latency above 500ms");
            let mut at = rng.range(0, ALREADY);
            while at < HORIZON {
                let ends = at + rng.range(3, 10) * 60;
                push(
                    sc,
                    rng,
                    &cluster,
                    "HighLatencyP99",
                    "warning",
                    &on,
                    &summary,
                    at,
                    ends,
                );
                at += rng.range(20, 60) * 60;
            }
            Some(cluster)
        }
        "crashloop" => {
            // A replica of a workload that has others to serve for it, and
            // that no fault strikes (its Pods' events would be one object).
            let quiet = |w: &str| sc.free(&format!("svc:{w}"), 0, HORIZON + 3600, "");
            let multi: Vec<&str> = world
                .workloads
                .values()
                .filter(|w| w.pods.len() >= 2 && quiet(&w.name))
                .map(|w| w.name.as_str())
                .collect();
            let svc = if multi.is_empty() {
                return None;
            } else {
                rng.pick(&multi).to_string()
            };
            let pod = world.workloads[&svc].pods.last()?.name.clone();
            let cluster = sc.cluster("none", None);
            let on = On::Pod(svc.clone(), pod.clone());
            let start = rng.range(0, ALREADY);
            let f = Fault {
                world,
                cluster: cluster.clone(),
                t0: start,
                end: HORIZON + 3600,
                warning_only: false,
            };
            // kubelet's BackOff event, re-counted every few minutes all along.
            let every = rng.range(5, 12) * 60;
            let repeats = ((HORIZON - start) / every) as u32;
            f.event_every(
                sc,
                &on,
                "BackOff",
                "Back-off restarting failed container".into(),
                start,
                repeats,
                every,
            );
            let s = format!("{pod} is restarting 2.1 times / 10 minutes");
            let at = start + 900;
            push(
                sc,
                rng,
                &cluster,
                "KubePodCrashLooping",
                "warning",
                &on,
                &s,
                at,
                HORIZON + 3600,
            );
            if rng.chance(50) {
                let s =
                    format!("{pod} container waiting in CrashLoopBackOff for longer than 1 hour");
                push(
                    sc,
                    rng,
                    &cluster,
                    "KubeContainerWaiting",
                    "warning",
                    &on,
                    &s,
                    start + 3600,
                    HORIZON + 3600,
                );
            }
            Some(cluster)
        }
        _ => {
            let quiet: Vec<String> = world
                .nodes
                .iter()
                .filter(|n| sc.free(&format!("node:{n}"), 0, HORIZON + 3600, ""))
                .cloned()
                .collect();
            let node = rng
                .pick(if quiet.is_empty() {
                    &world.nodes
                } else {
                    &quiet
                })
                .clone();
            let cluster = sc.cluster("none", None);
            let on = On::Node(node.clone());
            let summary = format!("{node}: memory utilisation above 90%");
            let mut at = rng.range(0, ALREADY);
            while at < HORIZON {
                let ends = at + rng.range(30, 90) * 60;
                push(
                    sc,
                    rng,
                    &cluster,
                    "NodeMemoryHighUtilization",
                    "warning",
                    &on,
                    &summary,
                    at,
                    ends,
                );
                at = ends + rng.range(5, 20) * 60;
            }
            Some(cluster)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn push(
    sc: &mut Scenario,
    rng: &mut Rng,
    cluster: &str,
    name: &str,
    severity: &'static str,
    on: &On,
    summary: &str,
    at: i64,
    ends: i64,
) {
    if sc.duplicate(name, on, None, at - 300, ends + 300, cluster) {
        return;
    }
    let via = sc.conv.route(None, rng);
    sc.alerts.push(Alert {
        via,
        name: name.into(),
        severity,
        on: on.clone(),
        summary: summary.to_string(),
        starts: at,
        ends,
        cluster: cluster.to_string(),
        job: None,
        peer: None,
    });
}
