use super::score::{baseline, observe, score, Group, Obs, RootMatcher};
use super::world::World;
use super::*;
use causeway_app::replay::replay;
use causeway_core::CorrelationConfig;

fn am_line(at: &str, alerts: &[(&str, &str, &str)]) -> String {
    // (alertname, pod, startsAt)
    let alerts: Vec<serde_json::Value> = alerts
        .iter()
        .map(|(name, pod, starts)| {
            serde_json::json!({"status": "firing", "labels": {"alertname": name, "namespace": "default", "pod": pod, "severity": "critical"},
                "startsAt": starts, "fingerprint": format!("{name}-{pod}")})
        })
        .collect();
    serde_json::json!({"at": at, "source": "alertmanager", "body": {"status": "firing", "alerts": alerts}}).to_string()
}

fn truth(refs: &[(&str, &str)], clusters: &[(&str, &str)]) -> Truth {
    Truth {
        refs: refs
            .iter()
            .map(|(r, c)| (r.to_string(), c.to_string()))
            .collect(),
        clusters: clusters
            .iter()
            .map(|(c, root)| {
                (
                    c.to_string(),
                    Cluster {
                        family: "t".into(),
                        root: Some(root.to_string()),
                    },
                )
            })
            .collect(),
        ..Truth::default()
    }
}

fn group(refs: &[&str], root: &str) -> Group {
    Group {
        refs: refs.iter().map(|r| r.to_string()).collect(),
        root: Some(root.into()),
    }
}

/// Two clusters of two alerts each; alert A is re-sent on line 2.
fn tiny() -> (Vec<Obs>, Truth) {
    let t = "2026-03-02T09:00:00Z";
    let events = [
        am_line(
            t,
            &[
                ("A", "cartservice-7d9f8b6c5-x2b4k", t),
                ("B", "cartservice-7d9f8b6c5-x2b4k", t),
            ],
        ),
        am_line(
            t,
            &[
                ("C", "adservice-6f4d8c7b9-qwz4p", t),
                ("D", "adservice-6f4d8c7b9-qwz4p", t),
            ],
        ),
        am_line(t, &[("A", "cartservice-7d9f8b6c5-x2b4k", t)]),
    ]
    .join("\n");
    let truth = truth(
        &[
            ("0:0", "c1"),
            ("0:1", "c1"),
            ("1:0", "c2"),
            ("1:1", "c2"),
            ("2:0", "c1"),
        ],
        &[
            ("c1", "deployment/default/cartservice"),
            ("c2", "deployment/default/adservice"),
        ],
    );
    (observe(&events), truth)
}

fn boutique() -> World {
    World::all(7).remove(0)
}

#[test]
fn perfect_clustering_scores_one() {
    let (obs, truth) = tiny();
    let w = boutique();
    let groups = [
        group(&["0:0", "0:1", "2:0"], "deployment/default/cartservice"),
        group(&["1:0", "1:1"], "deployment/default/adservice"),
    ];
    let s = score(&obs, &truth, &groups, &w.topology);
    assert_eq!((s.f1(), s.root_cause_accuracy()), (1.0, 1.0));
    // 4 identities (A's re-send counts once), 2 incidents.
    assert_eq!((s.firing_identities, s.incidents), (4, 2));
    assert_eq!(s.noise_reduction(), 0.5);
}

#[test]
fn one_big_incident_loses_precision_not_recall() {
    let (obs, truth) = tiny();
    let w = boutique();
    let groups = [group(
        &["0:0", "0:1", "1:0", "1:1", "2:0"],
        "deployment/default/cartservice",
    )];
    let s = score(&obs, &truth, &groups, &w.topology);
    // 6 predicted pairs among 4 identities, 2 true.
    assert_eq!(
        (s.predicted_pairs, s.true_pairs, s.true_positive_pairs),
        (6, 2, 2)
    );
    assert!((s.precision() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(s.recall(), 1.0);
    assert_eq!(s.roots_right, 1);
}

#[test]
fn a_resent_alert_counts_once_where_it_first_went() {
    let (obs, truth) = tiny();
    let w = boutique();
    // The re-send landed elsewhere: still scored where its first ref went.
    let groups = [
        group(&["0:0", "0:1"], "deployment/default/cartservice"),
        group(&["1:0", "1:1", "2:0"], "deployment/default/adservice"),
    ];
    let s = score(&obs, &truth, &groups, &w.topology);
    assert_eq!(s.f1(), 1.0);
}

#[test]
fn a_pod_or_service_of_the_root_workload_counts_as_the_root() {
    let w = boutique();
    let m = RootMatcher::new(&w.topology);
    let pod = &w.workloads["cartservice"].pods[0].name;
    assert!(m.same(
        &format!("pod/default/{pod}"),
        "deployment/default/cartservice"
    ));
    assert!(m.same(
        "pod/default/cartservice-7d9f8b6c5-x2b4k",
        "deployment/default/cartservice"
    ));
    assert!(m.same(
        "service/default/cartservice",
        "deployment/default/cartservice"
    ));
    assert!(!m.same("service/default/frontend", "deployment/default/cartservice"));
    assert!(!m.same(
        "node/online-boutique-node-1",
        "deployment/default/cartservice"
    ));
}

#[test]
fn baselines_on_a_hand_made_case() {
    let (obs, truth) = tiny();
    let w = boutique();
    // Everything arrives at once: one window, 4 identities in one group.
    let win = baseline("window-5m", &obs);
    assert_eq!(win.len(), 1);
    assert_eq!(win[0].refs.len(), 5);
    // By alert name: A (and its re-send), B, C, D.
    let by_name = baseline("alertname", &obs);
    assert_eq!(by_name.len(), 4);
    assert_eq!(by_name[0].refs, ["0:0", "2:0"]);
    // By service: exactly the truth.
    let by_svc = baseline("service-10m", &obs);
    assert_eq!(by_svc.len(), 2);
    assert_eq!(
        by_svc[0].root.as_deref(),
        Some("pod/default/cartservice-7d9f8b6c5-x2b4k")
    );
    let s = score(&obs, &truth, &by_svc, &w.topology);
    assert_eq!((s.f1(), s.root_cause_accuracy()), (1.0, 1.0));
}

#[test]
fn the_generator_is_deterministic() {
    let a = suites(42, &World::all(42));
    let b = suites(42, &World::all(42));
    assert_eq!(a.len(), 12);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.events, y.events, "{}", x.name);
        assert_eq!(x.truth, y.truth, "{}", x.name);
    }
    assert_eq!(World::all(42)[0].files, World::all(42)[0].files);
    assert_ne!(suites(43, &World::all(43))[0].events, a[0].events);
}

#[test]
fn truth_covers_every_ref_the_replay_reports() {
    let worlds = World::all(1);
    for s in suites(1, &worlds) {
        let report = replay(
            &s.events,
            CorrelationConfig::default(),
            Some(&worlds[s.world].topology),
        );
        assert!(
            report.rejected.is_empty(),
            "{}: {:?}",
            s.name,
            report.rejected.first()
        );
        let mut reported: Vec<&String> = report
            .incidents
            .iter()
            .flat_map(|i| &i.signals)
            .chain(&report.unassigned)
            .collect();
        reported.sort();
        let truth: Vec<&String> = s.truth.refs.keys().collect();
        assert_eq!(reported, truth, "{}", s.name);
        // Every cluster has signals, and its root is in the topology.
        for (id, c) in &s.truth.clusters {
            assert!(s.truth.refs.values().any(|v| v == id), "{}: {id}", s.name);
            let root = c
                .root
                .as_deref()
                .expect("every generated cluster has a root");
            let root = causeway_core::Entity::parse(root).unwrap();
            assert!(worlds[s.world].topology.resolve(&root).is_some(), "{root}");
        }
    }
}

/// The quality targets of the correlation issue, on the bench's default
/// seed: pairwise F1 ≥ 0.95, root-cause accuracy ≥ 0.9, noise reduction ≥
/// 0.85 overall, and on every family a better F1 than every baseline.
#[test]
fn causeway_meets_the_quality_targets_and_beats_the_baselines() {
    use super::score::{from_report, Scores, BASELINES};
    let worlds = World::all(1);
    let mut overall = Scores::default();
    let mut families: std::collections::BTreeMap<String, Vec<Scores>> = Default::default();
    for s in suites(1, &worlds) {
        let topology = &worlds[s.world].topology;
        let report = replay(&s.events, CorrelationConfig::default(), Some(topology));
        let obs = observe(&s.events);
        let mine = score(&obs, &s.truth, &from_report(&report), topology);
        overall += mine;
        let row = families
            .entry(s.family.clone())
            .or_insert_with(|| vec![Scores::default(); 1 + BASELINES.len()]);
        row[0] += mine;
        for (i, b) in BASELINES.iter().enumerate() {
            row[i + 1] += score(&obs, &s.truth, &baseline(b, &obs), topology);
        }
    }
    assert!(overall.f1() >= 0.95, "F1 {}", overall.f1());
    assert!(
        overall.root_cause_accuracy() >= 0.9,
        "RCA {}",
        overall.root_cause_accuracy()
    );
    assert!(
        overall.noise_reduction() >= 0.85,
        "noise reduction {}",
        overall.noise_reduction()
    );
    for (family, row) in &families {
        for (i, b) in row[1..].iter().enumerate() {
            assert!(
                row[0].f1() > b.f1() && row[0].noise_reduction() > b.noise_reduction(),
                "{family}: Causeway F1 {} / NR {} vs {} {} / {}",
                row[0].f1(),
                row[0].noise_reduction(),
                BASELINES[i],
                b.f1(),
                b.noise_reduction()
            );
        }
    }
}
