//! The Kubernetes connector through the app, against the fake API server
//! serving recorded objects: the live topology, a Warning Event correlated
//! with an alert on the same workload, merging with file topology, lifecycle.

use super::*;
use crate::api::requests::NewInstance;
use crate::api::views::{IncidentDetail, IncidentList};
use crate::connectors::instances::InstanceList;
use crate::connectors::ops::TestResult;
use crate::test_support::{call, post};
use crate::{dispatch, Command, WebhookRejection};
use causeway_core::{Entity, LinkStrategy};
use causeway_testkit::kube_api::{load_dir, FakeApi};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TOKEN: &str = "app-test-token";

fn k8s(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/k8s")
        .join(sub)
}

fn change(file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(k8s("changes").join(file)).unwrap()).unwrap()
}

fn fast() -> Tuning {
    Tuning {
        quiet: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        backoff_min: Duration::from_millis(40),
        backoff_max: Duration::from_millis(300),
        watch_timeout_secs: 60,
        probe_every: Duration::from_millis(100),
        reload_after: Duration::from_secs(2),
        silence: Duration::from_secs(60),
        event_retention: Duration::from_secs(3600),
        prune_every: Duration::from_millis(200),
    }
}

async fn wait_for<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !cond().await {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

struct World {
    _dir: tempfile::TempDir,
    fake: FakeApi,
    app: App,
    instance: String,
}

/// An app with a Kubernetes instance watching the fake cluster, and its
/// first topology in.
async fn world(files: Vec<Value>) -> World {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::test_support::open(&dir.path().join("data"));
    app.set_stream_tuning(fast());
    app.set_topology_documents(files);
    let fake = FakeApi::start(load_dir(&k8s("cluster")), TOKEN).await;
    let kubeconfig = fake.write_kubeconfig(dir.path(), TOKEN);
    app.start();
    let view = app
        .create_instance(NewInstance {
            descriptor_id: "kubernetes".into(),
            project_id: "default".into(),
            name: "minikube".into(),
            config: json!({"kubeconfig": kubeconfig, "context": "fake"}),
            secrets: Default::default(),
        })
        .await
        .unwrap();
    assert_eq!(
        view.webhook_url, None,
        "a watched cluster takes no webhooks"
    );
    let w = World {
        _dir: dir,
        fake,
        app,
        instance: view.id,
    };
    wait_for("the cluster in the topology", || async {
        w.app
            .topology_impact("node/minikube")
            .is_ok_and(|i| i.impacted.contains(&e("pod/icx/icx-db-7d4b578979-5x8vw")))
    })
    .await;
    w
}

fn e(s: &str) -> Entity {
    Entity::parse(s).unwrap()
}

use crate::test_support::all_signals as signals;

#[tokio::test]
async fn a_warning_event_from_the_cluster_joins_the_alert_on_its_deployment() {
    let w = world(Vec::new()).await;
    let app = &w.app;
    // The kubelet reports a crash loop of one Pod…
    w.fake.apply(change("event-icx-db-backoff.json"));
    let pod = e("pod/icx/icx-db-7d4b578979-5x8vw");
    wait_for("the event's signal", || async {
        signals(app)
            .await
            .signals
            .iter()
            .any(|s| s.signal.entity.as_ref() == Some(&pod))
    })
    .await;
    let list = signals(app).await;
    let ev = list
        .signals
        .iter()
        .find(|s| s.signal.entity.as_ref() == Some(&pod))
        .unwrap();
    assert_eq!(ev.signal.source_type, "K8S_EVENT");
    assert_eq!(ev.signal.connector_instance, w.instance);
    assert_eq!(ev.signal.title, "BackOff: Pod icx/icx-db-7d4b578979-5x8vw");
    // A Warning alone does not page: it waits for something severe there.
    assert!(
        ev.unassigned_reason.is_some(),
        "a Warning waits unassigned: {ev:?}"
    );

    // …and kube-state-metrics alerts on its Deployment, two minutes later:
    // that opens the incident, which takes the waiting event along.
    let alert = json!({"version": "4", "status": "firing", "alerts": [{
        "status": "firing", "fingerprint": "ksm-icx-db",
        "labels": {"alertname": "KubeDeploymentReplicasMismatch", "namespace": "icx", "deployment": "icx-db", "severity": "critical"},
        "annotations": {"summary": "Deployment icx/icx-db has not matched the expected number of replicas"},
        "startsAt": "2019-07-15T10:04:41Z", "endsAt": "0001-01-01T00:00:00Z"}]});
    post(app, alert.to_string()).await;
    let incidents: IncidentList = call(app, Command::ListIncidents { project: None }).await;
    assert_eq!(incidents.incidents.len(), 1);
    let incident = incidents.incidents[0].id.clone();
    let detail: IncidentDetail = call(
        app,
        Command::GetIncident {
            id: incident.clone(),
        },
    )
    .await;
    assert_eq!(detail.signals.len(), 2, "one incident for both");
    let event = detail
        .signals
        .iter()
        .find(|s| s.signal.entity.as_ref() == Some(&pod))
        .expect("the event joined the alert's incident");
    let link = event.link.as_ref().unwrap();
    assert_eq!(
        link.strategy,
        LinkStrategy::Resource,
        "{}",
        link.explanation
    );
    assert!(
        link.explanation.contains("Deployment icx/icx-db"),
        "{}",
        link.explanation
    );

    // The Node it runs on goes NotReady: only the live graph knows that
    // Pod runs there, and it brings the node alert into the same incident.
    let node_alert = json!({"version": "4", "status": "firing", "alerts": [{
        "status": "firing", "fingerprint": "node-minikube",
        "labels": {"alertname": "KubeNodeNotReady", "node": "minikube", "severity": "critical"},
        "annotations": {"summary": "minikube has been unready for more than 15 minutes"},
        "startsAt": "2019-07-15T10:05:10Z", "endsAt": "0001-01-01T00:00:00Z"}]});
    post(app, node_alert.to_string()).await;
    let detail: IncidentDetail = call(
        app,
        Command::GetIncident {
            id: incident.clone(),
        },
    )
    .await;
    let node = detail
        .signals
        .iter()
        .find(|s| s.signal.entity.as_ref() == Some(&e("node/minikube")))
        .expect("the node alert joined through the topology");
    let link = node.link.as_ref().unwrap();
    assert_eq!(
        link.strategy,
        LinkStrategy::Topology,
        "{}",
        link.explanation
    );
    assert!(
        link.explanation
            .contains("icx-db-7d4b578979-5x8vw runs on minikube"),
        "{}",
        link.explanation
    );

    // The instance shows its connection.
    let instances: InstanceList = call(app, Command::ListInstances { project: None }).await;
    let k = instances
        .instances
        .iter()
        .find(|i| i.id == w.instance)
        .unwrap();
    let stream = k.stream.as_ref().unwrap();
    assert_eq!(stream.state, "connected", "{stream:?}");
    assert_eq!(stream.context.as_deref(), Some("fake"));
    assert_eq!(stream.objects, 11);
    assert_eq!(stream.events, 1);
    assert!(stream.last_event_at.is_some());
    assert_eq!(k.health.state, "healthy");
    assert_eq!(
        k.health.items_received, 1,
        "the Event went through the inbox"
    );
    assert_eq!(
        app.metrics().get(
            crate::telemetry::Counter::EventsReceived,
            "connector=\"kubernetes\""
        ),
        1
    );
}

#[tokio::test]
async fn the_live_cluster_merges_with_the_file_topology_and_leaves_it_when_disabled() {
    let graph = json!({"apiVersion": "causeway/v1", "kind": "ServiceGraph",
        "calls": [{"from": "service/icx/billing", "to": "service/icx/icx-db"}]});
    let w = world(vec![graph]).await;
    let app = &w.app;
    // The file says billing calls icx-db; the cluster says where icx-db runs.
    let impact = app.topology_impact("node/minikube").unwrap();
    assert!(impact.impacted.contains(&e("service/icx/icx-db")));
    assert!(
        impact.impacted.contains(&e("service/icx/billing")),
        "{:?}",
        impact.impacted
    );

    // A Pod added to the cluster is in the graph shortly after.
    w.fake.apply(change("pod-icx-db-7d4b578979-k2m9p.json"));
    wait_for("the added Pod", || async {
        app.topology_impact("node/minikube")
            .unwrap()
            .impacted
            .contains(&e("pod/icx/icx-db-7d4b578979-k2m9p"))
    })
    .await;

    // Disabled: the watch stops and the cluster's objects leave the graph.
    let view: crate::connectors::instances::InstanceView = call(
        app,
        Command::SetInstanceEnabled {
            id: w.instance.clone(),
            enabled: false,
        },
    )
    .await;
    assert!(!view.enabled);
    wait_for("the cluster's objects to leave the graph", || async {
        app.topology_impact("node/minikube").is_ok_and(|i| !i.known)
    })
    .await;
    assert!(app.topology_impact("service/icx/billing").unwrap().known);
    assert!(app.stream_health(&w.instance).is_none(), "not running");
    wait_for("every watch closed", || async {
        w.fake.open_watches() == 0
    })
    .await;

    // Enabled again: watching again.
    dispatch(
        app,
        Command::SetInstanceEnabled {
            id: w.instance.clone(),
            enabled: true,
        },
    )
    .await
    .unwrap();
    wait_for("the cluster back", || async {
        app.topology_impact("node/minikube").is_ok_and(|i| i.known)
    })
    .await;
}

#[tokio::test]
async fn an_event_version_is_taken_once_across_restarts_and_webhooks_are_refused() {
    let w = world(Vec::new()).await;
    w.fake.apply(change("event-icx-db-backoff.json"));
    let pod = e("pod/icx/icx-db-7d4b578979-5x8vw");
    wait_for("the event's signal", || async {
        signals(&w.app)
            .await
            .signals
            .iter()
            .any(|s| s.signal.entity.as_ref() == Some(&pod))
    })
    .await;
    // Causeway restarts: the new watch lists the same Event again.
    w.app.stop_sources().await;
    let data = w.app.data_dir();
    drop(w.app);
    let app = crate::test_support::open(&data);
    app.set_stream_tuning(fast());
    let lists = w.fake.requests().iter().filter(|r| !r.is_watch()).count();
    app.start();
    // A new Event after the restart comes after the re-listed one, from the
    // same watch: once it is in, the old one has been seen and skipped.
    let mut next = change("event-icx-db-backoff.json");
    wait_for("the re-list", || async {
        w.fake.requests().iter().filter(|r| !r.is_watch()).count() >= lists + 10
    })
    .await;
    next["metadata"]["uid"] = "e7c1a9d2-a6bd-11e9-990f-42010a800218".into();
    next["metadata"]["name"] = "icx-db-7d4b578979-5x8vw.15b1a2c3d4e5f6ff".into();
    next["reason"] = "Unhealthy".into();
    next["message"] = "Readiness probe failed: connection refused".into();
    w.fake.apply(next);
    wait_for("the new event's signal", || async {
        signals(&app).await.signals.len() == 2
    })
    .await;
    let list = signals(&app).await;
    let old = list
        .signals
        .iter()
        .find(|s| s.signal.title.starts_with("BackOff"))
        .unwrap();
    assert_eq!(
        old.notifications, 1,
        "the re-listed Event was not taken again"
    );
    let instances: InstanceList = call(&app, Command::ListInstances { project: None }).await;
    let k = instances
        .instances
        .iter()
        .find(|i| i.id == w.instance)
        .unwrap();
    assert_eq!(k.health.items_received, 2);
    assert_eq!(k.stream.as_ref().unwrap().events, 1, "only the new one");

    // Nobody can post into a watched cluster's pipeline.
    let refused = app
        .accept_webhook("kubernetes", "default", Default::default(), b"{}".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, WebhookRejection::NoInstance { .. }),
        "{refused:?}"
    );
}

#[tokio::test]
async fn bad_settings_are_refused_and_contexts_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::test_support::open(&dir.path().join("data"));
    let refused = app
        .create_instance(NewInstance {
            descriptor_id: "kubernetes".into(),
            project_id: "default".into(),
            name: "prod".into(),
            config: json!({"namespaces": ["Not A Namespace"]}),
            secrets: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, crate::Code::BadRequest);
    assert!(
        refused.message.contains("is not a namespace name"),
        "{}",
        refused.message
    );

    let fake = FakeApi::start(Vec::new(), TOKEN).await;
    let path = fake.write_kubeconfig(dir.path(), TOKEN);
    let contexts: KubeContexts = call(
        &app,
        Command::ListKubeContexts {
            kubeconfig: Some(path.display().to_string()),
        },
    )
    .await;
    assert_eq!(contexts.current.as_deref(), Some("fake"));
    assert_eq!(contexts.contexts.len(), 1);
    assert_eq!(
        contexts.contexts[0].server.as_deref(),
        Some(fake.url().as_str())
    );
    let missing = dispatch(
        &app,
        Command::ListKubeContexts {
            kubeconfig: Some(dir.path().join("nope").display().to_string()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(missing.code, crate::Code::Kubeconfig);

    // "Test connection" before creating: the server answers, the recent
    // Warning would be a signal, the routine Normal event would not.
    let fake = FakeApi::start(load_dir(&k8s("cluster")), TOKEN).await;
    fake.apply(change("event-icx-db-backoff.json"));
    let path = fake.write_kubeconfig(dir.path(), TOKEN);
    let test = |namespaces: Value| NewInstance {
        descriptor_id: "kubernetes".into(),
        project_id: "default".into(),
        name: "prod".into(),
        config: json!({"kubeconfig": path, "namespaces": namespaces}),
        secrets: Default::default(),
    };
    let r: TestResult = call(&app, Command::TestConnection(test(json!([])))).await;
    assert!(r.ok, "{}", r.message);
    assert!(
        r.message
            .contains("(Kubernetes v1.33.0) with context 'fake'"),
        "{}",
        r.message
    );
    assert!(
        r.message
            .ends_with("1 of the 2 recent events would become signals."),
        "{}",
        r.message
    );
    assert_eq!(r.sample.len(), 1);
    assert_eq!(
        r.sample[0].entity,
        Some(e("pod/icx/icx-db-7d4b578979-5x8vw"))
    );
    fake.forbid_namespace("vault");
    let r: TestResult = call(&app, Command::TestConnection(test(json!(["icx", "vault"])))).await;
    assert!(!r.ok);
    assert!(
        r.message.starts_with(
            "not allowed to list and watch deployments in namespace vault (403 Forbidden)"
        ),
        "{}",
        r.message
    );
    assert_eq!(r.error_class.as_deref(), Some("fail"));
}

/// The quiet signals (Causeway's own health signals) stored so far.
async fn quiet_signals(app: &App) -> Vec<causeway_core::Signal> {
    app.drain().await;
    signals(app)
        .await
        .signals
        .into_iter()
        .map(|s| s.signal)
        .filter(|s| s.source_type == "CAUSEWAY_HEALTH")
        .collect()
}

#[tokio::test]
async fn a_calm_cluster_is_not_quiet_but_a_silent_watch_is() {
    let w = world(Vec::new()).await;
    let app = &w.app;
    // The cluster used to send a Warning every ten minutes, and has sent
    // none for two hours: by the gaps between its signals it went quiet.
    let last = Utc::now() - chrono::Duration::hours(2);
    for n in 0..8 {
        let at = last - chrono::Duration::minutes(10 * (7 - n));
        let mut ev = change("event-icx-db-backoff.json");
        ev["metadata"]["uid"] = format!("calm-{n}").into();
        ev["metadata"]["name"] = format!("calm-{n}.15b1a2c3d4e5f607").into();
        ev["involvedObject"]["name"] = format!("calm-{n}").into();
        ev["lastTimestamp"] = ts(at).into();
        let (id, body) = (w.instance.clone(), ev.to_string().into_bytes());
        app.store()
            .write(move |c| {
                causeway_store::inbox::insert(
                    c,
                    &id,
                    "kubernetes",
                    "default",
                    &ts(at),
                    "{}",
                    &body,
                )?;
                Ok(())
            })
            .await
            .unwrap();
    }
    app.drain().await;
    let (id, week) = (
        w.instance.clone(),
        ts(Utc::now() - chrono::Duration::days(7)),
    );
    let times = app
        .store()
        .read(move |c| causeway_store::instances::signal_times(c, &id, &week))
        .await
        .unwrap();
    let times: Vec<_> = times
        .iter()
        .map(|t| causeway_store::parse_ts(t).unwrap())
        .collect();
    assert!(
        crate::connectors::health::is_quiet(&times, Utc::now()).is_some(),
        "by its signals alone it would be quiet: {times:?}"
    );
    // But its watches are connected and hear it: a calm cluster is good news.
    app.check_quiet().await;
    assert!(quiet_signals(app).await.is_empty());
    let v = app.get_instance(w.instance.clone()).await.unwrap();
    assert_ne!(v.health.state, "quiet", "{:?}", v.health);

    // The watches hear nothing for longer than their limit (60 s here):
    // that is quiet, said as what it is.
    let later = Utc::now() + chrono::Duration::seconds(90);
    app.check_quiet_at(later).await;
    let q = quiet_signals(app).await;
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].status, causeway_core::SignalStatus::Firing);
    assert_eq!(q[0].title, "Connector minikube went quiet");
    let text = q[0].description.clone().unwrap();
    assert!(text.contains("heard nothing from the cluster"), "{text}");
    assert_eq!(
        app.get_instance(w.instance.clone())
            .await
            .unwrap()
            .health
            .state,
        "quiet"
    );
    app.check_quiet_at(later).await;
    assert_eq!(quiet_signals(app).await.len(), 1, "raised once");

    // The cluster speaks (a Pod changes): the watch is heard, it resumes.
    let mut pod = change("event-icx-db-backoff.json");
    pod["metadata"]["uid"] = "resume-1".into();
    w.fake.apply(pod);
    let heard_before = later - chrono::Duration::seconds(30);
    wait_for("the watch to hear the change", || async {
        app.stream_silent_since(&w.instance, heard_before) == Some(None)
    })
    .await;
    app.check_quiet().await;
    let q = quiet_signals(app).await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].status, causeway_core::SignalStatus::Resolved);
    assert_ne!(
        app.get_instance(w.instance.clone())
            .await
            .unwrap()
            .health
            .state,
        "quiet"
    );

    // A connection that breaks is not "quiet": it has a state of its own.
    w.app.stop_sources().await;
    app.check_quiet_at(Utc::now() + chrono::Duration::hours(3))
        .await;
    assert_eq!(
        quiet_signals(app).await[0].status,
        causeway_core::SignalStatus::Resolved,
        "a stream that does not run here is not judged"
    );
}

#[tokio::test]
async fn event_versions_older_than_the_retention_are_pruned() {
    let w = world(Vec::new()).await;
    let app = &w.app;
    w.fake.apply(change("event-icx-db-backoff.json"));
    let count = |stream: &'static str| {
        let id = w.instance.clone();
        async move {
            app.store()
                .read(move |c| {
                    Ok(c.query_row(
                        "SELECT COUNT(*) FROM poll_items WHERE instance_id = ?1 AND stream = ?2",
                        [&id, stream],
                        |r| r.get::<_, i64>(0),
                    )?)
                })
                .await
                .unwrap()
        }
    };
    let pod = e("pod/icx/icx-db-7d4b578979-5x8vw");
    wait_for("the event's signal", || async {
        signals(app)
            .await
            .signals
            .iter()
            .any(|s| s.signal.entity.as_ref() == Some(&pod))
    })
    .await;
    let fresh = count("events").await;
    assert!(fresh >= 1);
    // Versions taken two days ago (their Events long gone from the
    // cluster), and one of another stream, as old.
    let (id, old) = (
        w.instance.clone(),
        ts(Utc::now() - chrono::Duration::days(2)),
    );
    app.store()
        .write(move |c| {
            for n in 0..50 {
                causeway_store::poll_items::put(c, &id, "events", &format!("gone-{n}"), "1", &old)?;
            }
            causeway_store::poll_items::put(c, &id, "other", "keep", "1", &old)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(count("events").await, fresh + 50);
    // The connector prunes past its retention (an hour here), now and then.
    wait_for("the old versions to go", || async {
        count("events").await == fresh
    })
    .await;
    assert_eq!(count("other").await, 1, "only the Events stream is pruned");
    // The Event still in the cluster keeps its version: not taken again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let list = signals(app).await;
    let taken = list
        .signals
        .iter()
        .find(|s| s.signal.entity.as_ref() == Some(&pod))
        .unwrap();
    assert_eq!(taken.notifications, 1);
}
