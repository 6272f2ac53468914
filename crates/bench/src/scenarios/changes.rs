//! A configuration change gone wrong: a commit to the GitOps repository
//! changes a ConfigMap or Secret, Flux applies it, and every workload using
//! it fails the way its mount makes it fail: a mounted file is reloaded in
//! place and requests start failing; `envFrom` needs new Pods, which a
//! reloader rolls out and which crash on start; a key read into `env` that
//! is gone keeps the new Pods from starting at all. Old Pods keep serving
//! while a rollout is stuck, so callers notice only when a StatefulSet's
//! Pod restarts in place.

use super::faults::{Fault, K8sEvent, On, Push, Raise, Scenario};
use super::overlay::Mount;
use super::Rng;

/// Commit messages of configuration changes.
const MESSAGES: &[&str] = &[
    "Tune connection pool for peak traffic",
    "Lower upstream timeout",
    "Rotate credentials",
    "Enable flags for the spring campaign",
    "Switch log level and cache settings",
];

const AUTHORS: &[&str] = &["a.lindqvist", "r.okafor", "platform-bot", "s.yamamoto"];

pub(super) fn config_change(f: &Fault, sc: &mut Scenario, rng: &mut Rng, target: &str) {
    let world = f.world;
    let ns = world.namespace.clone();
    let Some(cfg) = world.configs.iter().find(|c| c.entity(&ns) == target) else {
        return;
    };
    let t0 = f.t0;
    // Seen as a push, as Flux applying it, or both.
    let seen = rng.range(0, 2);
    if seen != 2 {
        sc.pushes.push(Push {
            repo: world.config_repo.clone(),
            modified: vec![cfg.path.clone()],
            message: rng.pick(MESSAGES).to_string(),
            author: rng.pick(AUTHORS).to_string(),
            at: t0 - rng.range(60, 300),
            cluster: f.cluster.clone(),
        });
    }
    if seen != 1 {
        sc.events.push(K8sEvent {
            kind: "Kustomization".into(),
            namespace: Some("flux-system".into()),
            name: "apps".into(),
            reason: "Progressing".into(),
            message: format!("{}/{ns}/{} configured", cfg.kind, cfg.name),
            warning: false,
            at: t0,
            repeats: 1,
            every: 60,
            component: "kustomize-controller",
            cluster: f.cluster.clone(),
        });
    }
    for (i, user) in cfg.users.iter().enumerate() {
        let at = t0 + 20 * i as i64 + rng.range(0, 30);
        let Some(w) = world.workloads.get(user) else {
            continue;
        };
        let stateful = w.kind == "statefulset";
        match cfg.mount {
            // The kubelet syncs the mounted file within a minute or so and
            // the application reloads it.
            Mount::Volume => {
                let at = at + rng.range(60, 120);
                f.raise(
                    sc,
                    rng,
                    Raise::new(
                        "HighErrorRate",
                        "critical",
                        On::Service(user.clone()),
                        format!("{user}: 5xx ratio above 5% after a configuration reload"),
                        at,
                    ),
                );
                if let Some(pod) = f.pods(user).into_iter().next() {
                    let On::Pod(_, p) = &pod else { continue };
                    let s = format!("{p}: readiness probe failing");
                    f.raise(
                        sc,
                        rng,
                        Raise::new("KubePodNotReady", "warning", pod.clone(), s, at + 60),
                    );
                    f.event(
                        sc,
                        &pod,
                        "Unhealthy",
                        "Readiness probe failed: HTTP probe failed with statuscode: 500".into(),
                        at + 30,
                    );
                }
                f.cascade(sc, rng, user, 120 + at - t0, 1);
            }
            Mount::EnvFrom | Mount::EnvKeys => {
                let pod = if stateful {
                    // A StatefulSet's rolling update restarts the last ordinal in place.
                    w.pods.last().map(|p| p.name.clone()).unwrap_or_default()
                } else {
                    let hash = rng.k8s_suffix(9);
                    let msg = format!("Scaled up replica set {user}-{hash} to 1");
                    f.event(
                        sc,
                        &On::Workload(user.clone()),
                        "ScalingReplicaSet",
                        msg,
                        at,
                    );
                    format!("{user}-{hash}-{}", rng.k8s_suffix(5))
                };
                let on = On::Pod(user.clone(), pod.clone());
                if cfg.mount == Mount::EnvKeys {
                    let key = rng.pick(&cfg.keys).clone();
                    let msg = format!(
                        "Error: couldn't find key {key} in {} {ns}/{}",
                        cfg.kind, cfg.name
                    );
                    f.event_every(sc, &on, "Failed", msg, at + 15, 4, 120);
                    let s = format!("{pod}: container is waiting (CreateContainerConfigError)");
                    f.raise(
                        sc,
                        rng,
                        Raise::new("KubeContainerWaiting", "warning", on.clone(), s, at + 300),
                    );
                } else {
                    f.event(
                        sc,
                        &on,
                        "BackOff",
                        "Back-off restarting failed container".into(),
                        at + 40,
                    );
                    let s = format!("{pod}: restarting, exited with code 1 on start");
                    f.raise(
                        sc,
                        rng,
                        Raise::new("KubePodCrashLooping", "critical", on.clone(), s, at + 120),
                    );
                }
                if stateful {
                    f.cascade(sc, rng, user, 90 + at - t0, 1);
                } else {
                    let s =
                        format!("{ns}/{user}: rollout has not progressed for more than 15 minutes");
                    let stuck = at + 900 + rng.range(0, 120);
                    f.raise(
                        sc,
                        rng,
                        Raise::new(
                            "KubeDeploymentRolloutStuck",
                            "warning",
                            On::Workload(user.clone()),
                            s,
                            stuck,
                        ),
                    );
                }
            }
        }
    }
}
