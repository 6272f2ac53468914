use super::score::{baseline, observe, score, Group, Obs, RootMatcher};
use super::world::World;
use super::*;
use causeway_app::history::replay::replay;
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
    // Eight families, co-located faults and a mixed storm, on two worlds.
    assert_eq!(a.len(), 20);
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
        // Every ref names a cluster of the truth; every cluster has
        // signals; a root, where there is one, is in the topology; only
        // chronic clusters have none.
        for (r, c) in &s.truth.refs {
            assert!(
                c == NOISE || s.truth.clusters.contains_key(c),
                "{}: {r}",
                s.name
            );
        }
        for (id, c) in &s.truth.clusters {
            assert!(s.truth.refs.values().any(|v| v == id), "{}: {id}", s.name);
            match c.root.as_deref() {
                Some(root) => {
                    let root = causeway_core::Entity::parse(root).unwrap();
                    assert!(worlds[s.world].topology.resolve(&root).is_some(), "{root}");
                    assert_ne!(c.family, "none", "{}: {id}", s.name);
                }
                None => assert_eq!(c.family, "none", "{}: {id}", s.name),
            }
        }
    }
}

/// The signals of one suite by truth cluster, as the replay reads them.
fn by_cluster(s: &Suite) -> std::collections::BTreeMap<String, Vec<causeway_core::Signal>> {
    let mut out: std::collections::BTreeMap<String, Vec<causeway_core::Signal>> =
        Default::default();
    for o in observe(&s.events) {
        let c = s.truth.refs[&o.r].clone();
        out.entry(c).or_default().push(o.signal);
    }
    out
}

fn mentions(sig: &causeway_core::Signal, word: &str) -> bool {
    sig.title.contains(word)
        || sig.description.as_deref().unwrap_or("").contains(word)
        || sig.tags.values().any(|v| v.contains(word))
}

#[test]
fn chronic_alerts_begin_before_the_faults_and_keep_going() {
    let worlds = World::all(1);
    let mut seen = 0;
    for s in suites(1, &worlds) {
        let signals = by_cluster(&s);
        let faults: Vec<&causeway_core::Signal> = s
            .truth
            .clusters
            .iter()
            .filter(|(_, c)| c.family != "none")
            .flat_map(|(id, _)| signals.get(id).into_iter().flatten())
            .collect();
        let first_fault = faults.iter().map(|x| x.received_at).min().unwrap();
        let last_fault = faults.iter().map(|x| x.received_at).max().unwrap();
        for (id, c) in s.truth.clusters.iter().filter(|(_, c)| c.family == "none") {
            assert!(c.root.is_none());
            let mine = &signals[id];
            let first = mine.iter().map(|x| x.received_at).min().unwrap();
            let last = mine.iter().map(|x| x.received_at).max().unwrap();
            assert!(
                first < first_fault,
                "{}: {id} starts after the faults",
                s.name
            );
            assert!(
                last > last_fault - chrono::Duration::minutes(60),
                "{}: {id}",
                s.name
            );
            seen += 1;
        }
    }
    assert!(seen >= 20, "{seen} chronic clusters");
}

/// The phenomenon is a chronic alert where a fault later strikes:
/// a flapping latency alert on a service a fault's errors reach, a Node's
/// memory warning on the Node a fault's Pod runs on.
#[test]
fn some_chronic_alerts_sit_where_a_fault_later_strikes() {
    let worlds = World::all(1);
    let mut shared = Vec::new();
    for (family, w, sc) in planned(1, &worlds) {
        let world = &worlds[w];
        let chronic: Vec<&String> = sc
            .clusters
            .iter()
            .filter(|(_, c)| c.family == "none")
            .map(|(id, _)| id)
            .collect();
        for id in chronic {
            let mut mine = places(world, &sc, id);
            let first = sc
                .alerts
                .iter()
                .filter(|a| &a.cluster == id)
                .map(|a| a.starts)
                .min();
            mine.0
                .extend(sc.alerts.iter().filter(|a| &a.cluster == id).filter_map(
                    |a| match &a.on {
                        super::faults::On::Node(n) => Some(n.clone()),
                        _ => None,
                    },
                ));
            for f in fault_ids(&sc) {
                let (nodes, svcs) = places(world, &sc, &f);
                let begins = sc
                    .alerts
                    .iter()
                    .filter(|a| a.cluster == f)
                    .map(|a| a.starts)
                    .min();
                let before = first < begins;
                if before
                    && (mine.0.iter().any(|n| nodes.contains(n))
                        || mine.1.iter().any(|s| svcs.contains(s)))
                {
                    shared.push(format!("{family}/{w}: {id} before {f}"));
                }
            }
        }
    }
    assert!(shared.len() >= 2, "{shared:?}");
}

#[test]
fn config_changes_name_a_configmap_or_secret_the_topology_knows_users_of() {
    let worlds = World::all(1);
    let mut seen = 0;
    for s in suites(1, &worlds) {
        let topo = &worlds[s.world].topology;
        let signals = by_cluster(&s);
        for (id, c) in s
            .truth
            .clusters
            .iter()
            .filter(|(_, c)| c.family == "config_change")
        {
            let root = causeway_core::Entity::parse(c.root.as_deref().unwrap()).unwrap();
            assert!(
                matches!(root.kind.as_str(), "configmap" | "secret"),
                "{root}"
            );
            assert!(!topo.config_users(&root).is_empty(), "{root} has no users");
            // A push touching its file, or Flux saying it configured it.
            let file = worlds[s.world]
                .configs
                .iter()
                .find(|x| x.entity(&worlds[s.world].namespace) == root.to_string())
                .map(|x| x.path.clone())
                .unwrap();
            let announced = signals[id].iter().any(|x| {
                x.tags
                    .get("related.files")
                    .is_some_and(|f| f.contains(&file))
                    || mentions(
                        x,
                        &format!(
                            "/{}/{} configured",
                            root.namespace.as_deref().unwrap(),
                            root.name
                        ),
                    )
            });
            assert!(announced, "{}: {id} {root}", s.name);
            seen += 1;
        }
    }
    assert!(seen >= 4, "{seen}");
}

#[test]
fn a_partitioned_callee_raises_nothing_and_its_callers_name_it() {
    let worlds = World::all(1);
    let mut seen = 0;
    for s in suites(1, &worlds) {
        let w = &worlds[s.world];
        let signals = by_cluster(&s);
        for (id, c) in s
            .truth
            .clusters
            .iter()
            .filter(|(_, c)| c.family == "network_partition")
        {
            let callee = causeway_core::Entity::parse(c.root.as_deref().unwrap()).unwrap();
            let mine = &signals[id];
            for x in mine {
                let place = x.entity.as_ref().map(|e| e.workload().name);
                assert_ne!(
                    place.as_deref(),
                    Some(callee.name.as_str()),
                    "{}: {}",
                    s.name,
                    x.title
                );
            }
            assert!(
                mine.iter().any(|x| mentions(x, &callee.name)),
                "{}: no caller names {callee}",
                s.name
            );
            assert!(w.callers.contains_key(&callee.name));
            seen += 1;
        }
    }
    assert!(seen >= 4, "{seen}");
}

#[test]
fn an_outside_api_outage_names_the_host_of_an_externalname_service() {
    let worlds = World::all(1);
    let mut seen = 0;
    for s in suites(1, &worlds) {
        let w = &worlds[s.world];
        let signals = by_cluster(&s);
        for (id, c) in s
            .truth
            .clusters
            .iter()
            .filter(|(_, c)| c.family == "external_dependency")
        {
            let root = c.root.as_deref().unwrap();
            let ext = w
                .externals
                .iter()
                .find(|e| root.ends_with(&format!("/{}", e.name)))
                .unwrap();
            let svc = w
                .topology
                .service_for_host(&ext.host)
                .expect("ExternalName");
            assert_eq!(svc.to_string(), root);
            assert!(
                signals[id].iter().any(|x| mentions(x, &ext.host)),
                "{}: {root}",
                s.name
            );
            seen += 1;
        }
    }
    assert!(seen >= 4, "{seen}");
}

/// Each suite of `seed` re-planned: `(suite family, world, scenario)`. The
/// plan is drawn first from the suite's PRNG, so these are the very items
/// the suites render.
fn planned(seed: u64, worlds: &[World]) -> Vec<(&'static str, usize, super::faults::Scenario)> {
    let mut out = Vec::new();
    for (w, world) in worlds.iter().enumerate() {
        for (f, family) in suite_families().into_iter().enumerate() {
            let sc = plan::scenario(world, family, &mut suite_rng(seed, w, f));
            out.push((family, w, sc));
        }
    }
    out
}

/// The fault clusters of a scenario (chronic ones have family `none`).
fn fault_ids(sc: &super::faults::Scenario) -> Vec<String> {
    sc.clusters
        .iter()
        .filter(|(_, c)| c.family != "none")
        .map(|(id, _)| id.clone())
        .collect()
}

#[test]
fn the_planned_items_are_the_rendered_ones() {
    let worlds = World::all(1);
    for ((family, w, sc), s) in planned(1, &worlds).iter().zip(suites(1, &worlds)) {
        assert_eq!((*family, *w), (s.family.as_str(), s.world));
        assert_eq!(sc.clusters, s.truth.clusters, "{}", s.name);
    }
}

#[test]
fn some_faults_page_nobody_every_alert_of_them_a_warning() {
    let worlds = World::all(1);
    let mut quiet = Vec::new();
    for (family, w, sc) in planned(1, &worlds) {
        for id in fault_ids(&sc) {
            let mine: Vec<_> = sc.alerts.iter().filter(|a| a.cluster == id).collect();
            if mine.len() >= 2 && mine.iter().all(|a| a.severity == "warning") {
                quiet.push(format!("{family}/{w}/{id}"));
            }
        }
    }
    // The mixed storm has one on each world, the others one in five.
    assert!(quiet.len() >= 3, "{quiet:?}");
}

/// Where a scenario's alerts of cluster `id` are: the Nodes of the Pods
/// they name, and the services they are on.
fn places(world: &World, sc: &super::faults::Scenario, id: &str) -> (Vec<String>, Vec<String>) {
    use super::faults::On;
    let (mut nodes, mut svcs) = (Vec::new(), Vec::new());
    for a in sc.alerts.iter().filter(|a| a.cluster == id) {
        match &a.on {
            On::Pod(svc, p) => {
                svcs.push(svc.clone());
                let pod = world
                    .workloads
                    .get(svc)
                    .and_then(|w| w.pods.iter().find(|x| &x.name == p));
                nodes.extend(pod.map(|x| x.node.clone()));
            }
            On::Service(svc) | On::Workload(svc) => svcs.push(svc.clone()),
            _ => {}
        }
    }
    (nodes, svcs)
}

#[test]
fn colocated_faults_share_a_node_and_a_caller_at_the_same_time() {
    let worlds = World::all(1);
    for (family, w, sc) in planned(1, &worlds) {
        if family != "colocated" {
            continue;
        }
        let world = &worlds[w];
        let span = |id: &str| {
            let t: Vec<i64> = sc
                .alerts
                .iter()
                .filter(|a| a.cluster == id)
                .map(|a| a.starts)
                .collect();
            (
                t.iter().min().copied().unwrap_or(0),
                t.iter().max().copied().unwrap_or(0),
            )
        };
        let (mut node_shared, mut caller_shared) = (0, 0);
        let faults = fault_ids(&sc);
        for (i, a) in faults.iter().enumerate() {
            for b in &faults[i + 1..] {
                let ((a0, a1), (b0, b1)) = (span(a), span(b));
                if a0 > b1 || b0 > a1 {
                    continue;
                }
                let ((na, sa), (nb, sb)) = (places(world, &sc, a), places(world, &sc, b));
                node_shared += usize::from(na.iter().any(|n| nb.contains(n)));
                caller_shared += usize::from(sa.iter().any(|x| sb.contains(x)));
            }
        }
        assert!(node_shared >= 1, "{}: no faults sharing a Node", world.name);
        assert!(
            caller_shared >= 1,
            "{}: no faults sharing a caller",
            world.name
        );
    }
}

#[test]
fn conventions_vary_from_suite_to_suite() {
    let worlds = World::all(1);
    let all: String = suites(1, &worlds)
        .iter()
        .map(|s| s.events.as_str())
        .collect();
    for marker in [
        // label keys
        "\"exported_namespace\"",
        "\"kubernetes_namespace\"",
        "k8s.namespace.name",
        "\"k8s_namespace_name\"",
        "\"kube_namespace:",
        // severity words
        "\"severity\":\"page\"",
        "\"priority\":\"P1\"",
        "\"severity\":\"critical\"",
        // rule sets and monitors
        "KubePodCrashLooping",
        "KubernetesPodCrashLooping",
        "[Kubernetes] Pod ",
        // tools
        "\"source\":\"opsgenie\"",
        "\"source\":\"grafana\"",
    ] {
        assert!(all.contains(marker), "nothing carries {marker}");
    }
    // How a caller's metrics name the peer it calls: Istio, Linkerd, Envoy,
    // OpenTelemetry span metrics (dotted or not), Datadog APM.
    let peers = [
        "\"destination_service\"",
        "\"dst_deployment\"",
        "\"authority\"",
        "envoy_cluster_name",
        "peer.service",
        "peer_service",
        "server.address",
        "server_address",
    ];
    let seen: Vec<&str> = peers.iter().copied().filter(|m| all.contains(m)).collect();
    assert!(seen.len() >= 2, "peer labels: only {seen:?}");
}

/// What the engine holds on the bench's default seed, as a floor that
/// fails on a regression: pairwise F1 and root-cause accuracy ≥ 0.90,
/// noise reduction ≥ 0.82 overall and above every baseline's, and on every
/// family a better F1 than every baseline. (Issue 11's targets are higher,
/// 0.95 / 0.90 / 0.85; `causeway bench correlation` prints where they
/// stand, out of sample first. The generator is not shaped to pass this.)
#[test]
fn causeway_holds_its_floor_and_beats_the_baselines() {
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
    assert!(overall.f1() >= 0.90, "F1 {}", overall.f1());
    assert!(
        overall.root_cause_accuracy() >= 0.9,
        "RCA {}",
        overall.root_cause_accuracy()
    );
    assert!(
        overall.noise_reduction() >= 0.82,
        "noise reduction {}",
        overall.noise_reduction()
    );
    let mut base = vec![Scores::default(); BASELINES.len()];
    for row in families.values() {
        for (i, b) in row[1..].iter().enumerate() {
            base[i] += *b;
        }
    }
    for (i, b) in base.iter().enumerate() {
        assert!(
            overall.noise_reduction() > b.noise_reduction(),
            "noise reduction {} vs {} {}",
            overall.noise_reduction(),
            BASELINES[i],
            b.noise_reduction()
        );
    }
    for (family, row) in &families {
        for (i, b) in row[1..].iter().enumerate() {
            assert!(
                row[0].f1() > b.f1(),
                "{family}: Causeway F1 {} vs {} {}",
                row[0].f1(),
                BASELINES[i],
                b.f1()
            );
        }
    }
}
