//! A suite's plan: its monitoring conventions, which faults, where and
//! when (overlapping ones in different parts of the graph, co-located ones
//! sharing a Node or a caller, a recurrence hours later, some seen only
//! through warnings), the chronic background and the noise.

use super::background::{chronic, KINDS};
use super::conventions::Conventions;
use super::faults::{exclusive_keys, inject, Opts, Scenario};
use super::noise::noise;
use super::world::World;
use super::Rng;

/// Candidate targets of a family, free for `[from, to)`: the places the
/// fault would hold exclusively (root, direct callers) are not another's.
fn targets(world: &World, family: &str, sc: &Scenario, from: i64, to: i64) -> Vec<String> {
    all_targets(world, family)
        .into_iter()
        .filter(|t| {
            exclusive_keys(world, family, t)
                .iter()
                .all(|k| sc.free(k, from, to, ""))
        })
        .collect()
}

/// Every place a family can strike.
fn all_targets(world: &World, family: &str) -> Vec<String> {
    match family {
        "db_oom" => world.databases(),
        "node_failure" => world.nodes.clone(),
        "dependency_outage" => {
            let dbs = world.databases();
            let apis: Vec<String> = world
                .leaves()
                .into_iter()
                .filter(|l| !dbs.contains(l))
                .collect();
            if apis.is_empty() {
                world.leaves()
            } else {
                apis
            }
        }
        "config_change" => world
            .configs
            .iter()
            .filter(|c| c.users.iter().all(|u| world.workloads.contains_key(u)))
            .map(|c| c.entity(&world.namespace))
            .collect(),
        "network_partition" => world.callers.keys().cloned().collect(),
        "external_dependency" => world.externals.iter().map(|e| e.name.clone()).collect(),
        _ => world
            .workloads
            .keys()
            .filter(|s| world.callers.contains_key(*s) || world.calls.contains_key(*s))
            .cloned()
            .collect(),
    }
}

/// One suite's scenario. A family's suite: two overlapping faults of it in
/// different parts of the graph, the first recurring hours later, each a
/// warning-only fault one time in five. `mixed` runs every family, two at a
/// time, one of them warning-only, and a recurrence. `colocated` runs
/// pairs of faults that share a Node or a caller. Every suite has chronic
/// alerts (all three kinds in `mixed`) and noise throughout.
pub fn scenario(world: &World, family: &str, rng: &mut Rng) -> Scenario {
    let mut sc = Scenario::new(Conventions::pick(rng));
    if family == "colocated" {
        colocated(world, &mut sc, rng);
    } else {
        let plan: Vec<(&str, i64, Option<usize>)> = if family == "mixed" {
            vec![
                ("db_oom", 600, None),
                ("node_failure", 1800, None),
                ("bad_deploy", 1800 + rng.range(60, 240), None),
                ("cpu_saturation", 4200, None),
                ("dependency_outage", 4200 + rng.range(60, 240), None),
                ("config_change", 6600, None),
                ("network_partition", 6600 + rng.range(60, 240), None),
                ("external_dependency", 9000 + rng.range(0, 300), None),
                ("db_oom", 600 + 3 * 3600 + rng.range(0, 600), Some(0)),
            ]
        } else {
            vec![
                (family, 600, None),
                (family, 600 + rng.range(60, 240), None),
                (family, 600 + 3 * 3600 + rng.range(0, 600), Some(0)),
            ]
        };
        let quiet = rng.range(0, plan.len() as i64 - 1) as usize;
        let mut chosen: Vec<String> = Vec::new();
        for (i, (fam, t0, again)) in plan.into_iter().enumerate() {
            let target = match again {
                Some(i) => chosen[i].clone(),
                None => {
                    let free = targets(world, fam, &sc, t0 - 600, t0 + 3600);
                    let fresh: Vec<String> = free
                        .iter()
                        .filter(|t| !chosen.contains(t))
                        .cloned()
                        .collect();
                    match (fresh.is_empty(), free.is_empty()) {
                        (false, _) => rng.pick(&fresh).clone(),
                        (true, false) => rng.pick(&free).clone(),
                        _ => continue,
                    }
                }
            };
            chosen.push(target.clone());
            let warning_only = if family == "mixed" {
                i == quiet
            } else {
                rng.chance(20)
            };
            let opts = Opts {
                warning_only,
                shared: false,
            };
            inject(world, fam, &target, t0, &mut sc, rng, opts);
        }
    }
    let kinds: Vec<&str> = if family == "mixed" {
        KINDS.to_vec()
    } else {
        let first = *rng.pick(&KINDS);
        let mut k = vec![first];
        let second = *rng.pick(&KINDS);
        if second != first && rng.chance(40) {
            k.push(second);
        }
        k
    };
    for k in kinds {
        chronic(world, k, &mut sc, rng);
    }
    noise(world, &mut sc, rng);
    sc
}

/// Whether two faults' exclusive places are apart.
fn apart(world: &World, a: (&str, &str), b: (&str, &str)) -> bool {
    let ka = exclusive_keys(world, a.0, a.1);
    exclusive_keys(world, b.0, b.1)
        .iter()
        .all(|k| !ka.contains(k))
}

/// The family that takes down service `svc` the way its kind would fail.
fn family_for(world: &World, svc: &str) -> &'static str {
    if world.databases().iter().any(|d| d == svc) {
        "db_oom"
    } else if world.leaves().iter().any(|l| l == svc) {
        "dependency_outage"
    } else {
        "bad_deploy"
    }
}

/// Co-located faults, at the same time:
/// - sharing a Node: a datastore running out of memory and another
///   workload CPU-starved, each with a Pod on the same Node (a noisy
///   neighbour and a memory limit are separate faults with separate fixes);
/// - sharing a caller: one callee of a service fails while the network to
///   another callee of the same service is cut;
/// - sharing a caller with an outside API: the API fails while another
///   callee of one of its callers is CPU-starved.
fn colocated(world: &World, sc: &mut Scenario, rng: &mut Rng) {
    // On one Node.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for node in &world.nodes {
        let here: Vec<String> = world.pods_on(node).into_iter().map(|(w, _)| w).collect();
        for db in world.databases().iter().filter(|d| here.contains(d)) {
            for other in here.iter().filter(|o| !world.databases().contains(o)) {
                if world.callers.contains_key(other)
                    && apart(world, ("db_oom", db), ("cpu_saturation", other))
                {
                    pairs.push((db.clone(), other.clone()));
                }
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    if !pairs.is_empty() {
        let (db, other) = rng.pick(&pairs).clone();
        let t0 = 600;
        inject(world, "db_oom", &db, t0, sc, rng, Opts::default());
        let opts = Opts {
            warning_only: rng.chance(20),
            shared: true,
        };
        let t1 = t0 + rng.range(0, 180);
        inject(world, "cpu_saturation", &other, t1, sc, rng, opts);
    }
    // Behind one caller.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for callees in world.calls.values() {
        for x in callees {
            for y in callees.iter().filter(|y| *y != x) {
                let unrelated = !world.calls.get(x).is_some_and(|c| c.contains(y))
                    && !world.calls.get(y).is_some_and(|c| c.contains(x));
                if unrelated {
                    pairs.push((x.clone(), y.clone()));
                }
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    if !pairs.is_empty() {
        let (x, y) = rng.pick(&pairs).clone();
        let t0 = 600 + 2 * 3600;
        inject(
            world,
            family_for(world, &x),
            &x,
            t0,
            sc,
            rng,
            Opts::default(),
        );
        let opts = Opts {
            warning_only: false,
            shared: true,
        };
        let t1 = t0 + rng.range(60, 240);
        inject(world, "network_partition", &y, t1, sc, rng, opts);
    }
    // An outside API and another callee of its caller.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for e in &world.externals {
        for c in &e.callers {
            for z in world.calls.get(c).into_iter().flatten() {
                pairs.push((e.name.clone(), z.clone()));
            }
        }
    }
    if !pairs.is_empty() {
        let (e, z) = rng.pick(&pairs).clone();
        let t0 = 600 + 3 * 3600 + rng.range(0, 300);
        inject(
            world,
            "external_dependency",
            &e,
            t0,
            sc,
            rng,
            Opts::default(),
        );
        let opts = Opts {
            warning_only: rng.chance(30),
            shared: true,
        };
        let fam = family_for(world, &z);
        let fam = if fam == "bad_deploy" {
            "cpu_saturation"
        } else {
            fam
        };
        inject(world, fam, &z, t0 + rng.range(30, 200), sc, rng, opts);
    }
}
