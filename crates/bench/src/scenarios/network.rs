//! Faults only the callers see. A network partition (a NetworkPolicy
//! gone wrong, a zone's links down) leaves the callee healthy by its own
//! metrics: its callers' requests to it fail or time out, labelled with the
//! peer by the mesh or named in the title. An outside API failing is seen by
//! a synthetic check on its host and by its callers' requests to that host.

use super::faults::{fire_delay, Fault, On, Peer, Raise, Scenario, Via};
use super::Rng;

/// The errors and timeouts of `caller`'s requests to `peer`, from `at`.
fn caller_sees(f: &Fault, sc: &mut Scenario, rng: &mut Rng, caller: &str, peer: &Peer, at: i64) {
    let p = peer.name().to_string();
    let on = if rng.chance(30) {
        f.pods(caller).swap_remove(0)
    } else {
        On::Service(caller.to_string())
    };
    f.raise(
        sc,
        rng,
        Raise::new(
            "CallErrors",
            "critical",
            on.clone(),
            format!("{caller}: calls to {p} failing (connection timed out)"),
            at,
        )
        .peer(peer.clone()),
    );
    if rng.chance(60) {
        let later = at + rng.range(30, 120);
        f.raise(
            sc,
            rng,
            Raise::new(
                "CallTimeouts",
                "warning",
                on,
                format!("{caller}: requests to {p} time out after 1.5s"),
                later,
            )
            .peer(peer.clone()),
        );
    }
    // The caller's own error ratio moves too when it cannot degrade gracefully.
    if rng.chance(40) {
        let later = at + rng.range(30, 90);
        f.raise(
            sc,
            rng,
            Raise::new(
                "HighErrorRate",
                "critical",
                On::Service(caller.to_string()),
                format!("{caller}: 5xx ratio above 5%"),
                later,
            ),
        );
    }
}

/// Latency on the callers of `svc`'s callers, `delay` after the fault.
fn upper_callers(f: &Fault, sc: &mut Scenario, rng: &mut Rng, svc: &str, delay: i64) {
    for (up, d) in f.world.upstream(svc, 1) {
        let at = f.t0 + delay * (d as i64 + 1) + rng.range(0, 60);
        f.raise(
            sc,
            rng,
            Raise::new(
                "HighLatencyP99",
                "warning",
                On::Service(up.clone()),
                format!("{up}: p99 latency above 2s"),
                at,
            ),
        );
    }
}

pub(super) fn partition(f: &Fault, sc: &mut Scenario, rng: &mut Rng, target: &str) {
    let callers: Vec<String> = f
        .world
        .upstream(target, 1)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let peer = Peer::Service(target.to_string());
    for c in &callers {
        let at = f.t0 + rng.range(30, 150);
        caller_sees(f, sc, rng, c, &peer, at);
        upper_callers(f, sc, rng, c, 120);
    }
}

pub(super) fn external(f: &Fault, sc: &mut Scenario, rng: &mut Rng, target: &str) {
    let Some(ext) = f.world.externals.iter().find(|e| e.name == target) else {
        return;
    };
    let url = format!("https://{}/health", ext.host);
    let at = f.t0 + fire_delay(rng);
    let r = Raise::new(
        "ProbeFailed",
        "critical",
        On::Url(url),
        format!("Probe of https://{}/health failed", ext.host),
        at,
    );
    let r = if rng.chance(60) {
        r.via(Via::Alertmanager)
    } else {
        r.via(Via::PagerDuty)
    };
    f.raise(sc, rng, r);
    let peer = Peer::Host(ext.host.clone());
    for c in &ext.callers {
        let at = f.t0 + rng.range(20, 120);
        caller_sees(f, sc, rng, c, &peer, at);
        f.cascade(sc, rng, c, 150, 1);
    }
}
