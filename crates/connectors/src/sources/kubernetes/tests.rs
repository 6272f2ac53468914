//! The connector against the fake API server, serving recorded objects
//! (`tests/fixtures/k8s/`): the topology after the first list, changes by
//! watch, Events, reconnects, 410 Gone, and what health says on the way.

use super::*;
use causeway_core::topology::Relation;
use causeway_core::{Entity, Topology, TopologyBuilder};
use causeway_testkit::kube_api::{load_dir, FakeApi};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

const TOKEN: &str = "fake-token-1";

fn fixtures(sub: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/k8s")
        .join(sub)
}

fn change(file: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures("changes").join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A sink that keeps what it is given; fails the first `fail` commits.
#[derive(Clone, Default)]
struct Collect {
    items: Arc<Mutex<Vec<StreamItem>>>,
    snapshots: Arc<Mutex<Vec<Vec<Arc<serde_json::Value>>>>>,
    fail: Arc<AtomicUsize>,
}

impl Sink for Collect {
    async fn commit(&self, items: Vec<StreamItem>) -> Result<usize, String> {
        if self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err("disk I/O error".into());
        }
        let n = items.len();
        self.items.lock().unwrap().extend(items);
        Ok(n)
    }

    async fn topology(&self, objects: Vec<Arc<serde_json::Value>>) {
        self.snapshots.lock().unwrap().push(objects);
    }
}

impl Collect {
    fn items(&self) -> Vec<StreamItem> {
        self.items.lock().unwrap().clone()
    }

    fn snapshots(&self) -> usize {
        self.snapshots.lock().unwrap().len()
    }

    /// The last snapshot, built into a graph as the app builds it.
    fn topology(&self) -> Option<Topology> {
        let last = self.snapshots.lock().unwrap().last().cloned()?;
        let mut b = TopologyBuilder::new();
        for o in &last {
            b.add_k8s_object(o);
        }
        Some(b.build())
    }
}

struct Running {
    sink: Collect,
    health: Health,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the connector stops on shutdown")
            .unwrap();
    }
}

fn tuning() -> Tuning {
    Tuning {
        quiet: Duration::from_millis(60),
        max_delay: Duration::from_millis(300),
        backoff_min: Duration::from_millis(40),
        backoff_max: Duration::from_millis(300),
        watch_timeout_secs: 60,
        probe_every: Duration::from_millis(100),
        reload_after: Duration::from_secs(2),
        ..Tuning::default()
    }
}

fn start(settings: Settings, sink: Collect) -> Running {
    let health = Health::default();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(run(
        settings,
        tuning(),
        sink.clone(),
        health.clone(),
        async move {
            let _ = rx.await;
        },
    ));
    Running {
        sink,
        health,
        stop: Some(tx),
        task,
    }
}

fn settings(kubeconfig: &std::path::Path) -> Settings {
    Settings {
        kubeconfig: Some(kubeconfig.display().to_string()),
        ..Default::default()
    }
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn e(s: &str) -> Entity {
    Entity::parse(s).unwrap()
}

async fn cluster() -> (tempfile::TempDir, FakeApi, Running) {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeApi::start(load_dir(&fixtures("cluster")), TOKEN).await;
    let config = fake.write_kubeconfig(dir.path(), TOKEN);
    let running = start(settings(&config), Collect::default());
    let sink = running.sink.clone();
    wait_for("the first snapshot", || sink.snapshots() > 0).await;
    (dir, fake, running)
}

fn watches(fake: &FakeApi) -> Vec<causeway_testkit::kube_api::Request> {
    fake.requests()
        .into_iter()
        .filter(|r| r.is_watch())
        .collect()
}

fn lists(fake: &FakeApi) -> usize {
    fake.requests()
        .iter()
        .filter(|r| !r.is_watch() && r.path != "/version")
        .count()
}

#[tokio::test]
async fn the_first_list_gives_owner_chain_node_placement_and_service_selection() {
    let (_dir, fake, running) = cluster().await;
    let t = running.sink.topology().unwrap();
    let pod = e("pod/icx/icx-db-7d4b578979-5x8vw");
    assert!(t.has_edge(
        &e("deployment/icx/icx-db"),
        Relation::Owns,
        &e("replicaset/icx/icx-db-7d4b578979")
    ));
    assert!(t.has_edge(&e("replicaset/icx/icx-db-7d4b578979"), Relation::Owns, &pod));
    assert!(t.has_edge(&pod, Relation::RunsOn, &e("node/minikube")));
    assert!(t.has_edge(
        &e("pod/default/nginx"),
        Relation::RunsOn,
        &e("node/minikube")
    ));
    assert!(t.has_edge(&e("service/icx/icx-db"), Relation::Selects, &pod));
    assert!(t.has_edge(
        &e("daemonset/kube-system/fluentd-gcp-v3.2.0"),
        Relation::UsesConfig,
        &e("configmap/kube-system/fluentd-gcp-config-old-v1.2.5")
    ));
    assert_eq!(
        t.owner_chain(&pod).last(),
        Some(&e("deployment/icx/icx-db")),
        "a Pod resolves to its Deployment"
    );
    // The Node is findable by its address, as an `instance` label names it.
    assert_eq!(
        t.resolve_entity(&e("host/192.168.64.107")),
        Some(e("node/minikube"))
    );

    let h = running.health.report();
    assert_eq!(h.state, State::Connected, "{h:?}");
    assert_eq!(h.context.as_deref(), Some("fake"));
    assert_eq!(h.server.as_deref(), Some(fake.url().as_str()));
    assert_eq!(h.objects, 11, "every recorded object but the Event");
    // The recorded Event is a Normal `Pulled`: not worth a signal.
    assert!(running.sink.items().is_empty());

    // Real list+watch: each kind listed once, then watched from the list's version.
    let rv = fake.resource_version().to_string();
    let w = watches(&fake);
    assert_eq!(w.len(), 10, "{w:?}");
    assert!(
        w.iter()
            .all(|r| r.query.get("resourceVersion") == Some(&rv)),
        "{w:?}"
    );
    assert!(w.iter().any(|r| r.path == "/apis/apps/v1/replicasets"));
    assert!(w
        .iter()
        .any(|r| r.path == "/apis/discovery.k8s.io/v1/endpointslices"));
    assert_eq!(lists(&fake), 10);
    running.stop().await;
}

#[tokio::test]
async fn pods_added_and_deleted_by_watch_change_the_graph_in_few_snapshots() {
    let (_dir, fake, running) = cluster().await;
    let sink = running.sink.clone();
    let before = sink.snapshots();
    let new_pod = e("pod/icx/icx-db-7d4b578979-k2m9p");
    fake.apply(change("pod-icx-db-7d4b578979-k2m9p.json"));
    wait_for("the added Pod", || {
        sink.topology().unwrap().contains(&new_pod)
    })
    .await;
    let t = sink.topology().unwrap();
    assert!(t.has_edge(
        &e("replicaset/icx/icx-db-7d4b578979"),
        Relation::Owns,
        &new_pod
    ));
    assert!(t.has_edge(&new_pod, Relation::RunsOn, &e("node/minikube")));
    assert!(
        t.has_edge(&e("service/icx/icx-db"), Relation::Selects, &new_pod),
        "by the Service's selector"
    );

    let old_pod = e("pod/icx/icx-db-7d4b578979-5x8vw");
    assert!(fake.delete("Pod", "icx", "icx-db-7d4b578979-5x8vw"));
    // The EndpointSlice still names it until its controller updates it.
    assert!(fake.delete("EndpointSlice", "icx", "icx-db-qv7ts"));
    wait_for("the deleted Pod to go", || {
        !sink.topology().unwrap().contains(&old_pod)
    })
    .await;
    assert_eq!(running.health.report().objects, 10);

    // A burst of status-only updates (what most watch traffic is) changes
    // nothing the graph reads: no new snapshot at all.
    let settled = sink.snapshots();
    let mut p = change("pod-icx-db-7d4b578979-k2m9p.json");
    for i in 0..20 {
        p["status"]["containerStatuses"][0]["restartCount"] = i.into();
        fake.apply(p.clone());
    }
    // …and a burst of real changes gives one snapshot or two, not ten.
    for i in 0..10 {
        p["metadata"]["labels"]["rollout"] = format!("r{i}").into();
        fake.apply(p.clone());
    }
    wait_for("the last label", || {
        sink.snapshots
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .iter()
            .any(|o| o["metadata"]["labels"]["rollout"] == "r9")
    })
    .await;
    let bursts = sink.snapshots() - settled;
    assert!(
        (1..=3).contains(&bursts),
        "{bursts} snapshots for 30 updates"
    );
    assert!(sink.snapshots() - before <= 6);
    running.stop().await;
}

#[tokio::test]
async fn a_warning_event_goes_to_the_sink_once_per_version() {
    let (_dir, fake, running) = cluster().await;
    let sink = running.sink.clone();
    let mut ev = change("event-icx-db-backoff.json");
    fake.apply(ev.clone());
    wait_for("the Warning event", || sink.items().len() == 1).await;
    let item = &sink.items()[0];
    let body: serde_json::Value = serde_json::from_slice(&item.body).unwrap();
    assert_eq!(body["kind"], "Event");
    assert_eq!(body["apiVersion"], "v1");
    assert_eq!(body["involvedObject"]["name"], "icx-db-7d4b578979-5x8vw");
    assert_eq!(item.key, "d2b4f6a8-a6bd-11e9-990f-42010a800218");
    assert_eq!(item.version, fake.resource_version().to_string());
    // It maps, with the webhook path's descriptor, to a signal on the Pod.
    let signals = crate::runtime::Normalizer::normalize_bytes(
        &EventNormalizer,
        &item.body,
        &crate::runtime::Context {
            project: "default",
            instance: "k",
            received_at: chrono::Utc::now(),
            raw_ref: "inbox:1",
            headers: &Default::default(),
        },
    )
    .unwrap();
    assert_eq!(
        signals[0].entity,
        Some(e("pod/icx/icx-db-7d4b578979-5x8vw"))
    );
    assert_eq!(running.health.report().events, 1);
    assert!(running.health.report().last_event_at.is_some());

    // A re-list (after a 410) brings the same version again: not sent twice.
    // (Another change, then compaction, leaves every watch behind.)
    let lists_before = lists(&fake);
    let mut cm = load_dir(&fixtures("cluster"))
        .into_iter()
        .find(|o| o["kind"] == "ConfigMap")
        .unwrap();
    cm["data"]["extra"] = "1".into();
    fake.apply(cm);
    fake.compact();
    fake.drop_watches();
    wait_for("the re-list", || lists(&fake) >= lists_before + 10).await;
    assert_eq!(fake.gone(), 10);
    wait_for("the watches to resume", || fake.open_watches() == 10).await;
    assert_eq!(sink.items().len(), 1);
    // The event repeating (count 5) is a new version: taken again.
    ev["count"] = 5.into();
    fake.apply(ev);
    wait_for("the repeat", || sink.items().len() == 2).await;
    assert_eq!(sink.items()[0].key, sink.items()[1].key);
    assert_ne!(sink.items()[0].version, sink.items()[1].version);
    running.stop().await;
}

#[tokio::test]
async fn a_dropped_connection_resumes_the_watch_without_listing_again() {
    let (_dir, fake, running) = cluster().await;
    let sink = running.sink.clone();
    wait_for("all watches", || fake.open_watches() == 10).await;
    let lists_before = lists(&fake);
    let watches_before = watches(&fake).len();
    let rv = fake.resource_version().to_string();
    fake.drop_watches();
    wait_for("the watches to come back", || {
        watches(&fake).len() >= watches_before + 10 && fake.open_watches() == 10
    })
    .await;
    let resumed = &watches(&fake)[watches_before..];
    assert!(
        resumed
            .iter()
            .all(|r| r.query.get("resourceVersion") == Some(&rv)),
        "{resumed:?}"
    );
    assert_eq!(lists(&fake), lists_before, "resumed, not re-listed");
    // Changes made after the drop arrive.
    fake.apply(change("pod-icx-db-7d4b578979-k2m9p.json"));
    wait_for("the Pod added after the drop", || {
        sink.topology()
            .unwrap()
            .contains(&e("pod/icx/icx-db-7d4b578979-k2m9p"))
    })
    .await;
    wait_for("connected again", || {
        running.health.report().state == State::Connected
    })
    .await;
    running.stop().await;
}

#[tokio::test]
async fn after_410_gone_the_relist_drops_what_was_deleted_meanwhile() {
    let (_dir, fake, running) = cluster().await;
    let sink = running.sink.clone();
    wait_for("all watches", || fake.open_watches() == 10).await;
    let lists_before = lists(&fake);
    // Credentials rotate: the watches break and cannot come back…
    fake.set_token("rotated");
    fake.drop_watches();
    wait_for("the rejection to show", || {
        running
            .health
            .report()
            .message
            .is_some_and(|m| m.contains("(401 Unauthorized)"))
    })
    .await;
    // …while the Pod is deleted and the history it was in is compacted away.
    assert!(fake.delete("Pod", "icx", "icx-db-7d4b578979-5x8vw"));
    assert!(fake.delete("EndpointSlice", "icx", "icx-db-qv7ts"));
    fake.compact();
    fake.set_token(TOKEN);
    // The resumed watch gets 410, lists again, and the Pod is gone.
    wait_for("the Pod to go", || {
        !sink
            .topology()
            .unwrap()
            .contains(&e("pod/icx/icx-db-7d4b578979-5x8vw"))
    })
    .await;
    assert!(lists(&fake) > lists_before);
    assert!(
        fake.gone() >= 10,
        "every watch was told 410 Gone: {}",
        fake.gone()
    );
    wait_for("connected again", || {
        running.health.report().state == State::Connected
    })
    .await;
    assert!(
        sink.topology()
            .unwrap()
            .contains(&e("deployment/icx/icx-db")),
        "the rest is still there"
    );
    running.stop().await;
}

#[tokio::test]
async fn health_names_an_unreachable_server_rejected_credentials_and_a_forbidden_namespace() {
    // Unreachable: a port nobody listens on.
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("unreachable");
    std::fs::write(
        &config,
        format!("apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{{name: k, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\ncontexts: [{{name: c, context: {{cluster: k, user: u}}}}]\nusers: [{{name: u, user: {{token: t}}}}]\n"),
    )
    .unwrap();
    let r = start(settings(&config), Collect::default());
    wait_for("unreachable", || r.health.report().state == State::Error).await;
    let m = r.health.report().message.unwrap();
    assert!(
        m.starts_with(&format!(
            "cannot reach the API server at http://127.0.0.1:{port}"
        )),
        "{m}"
    );
    assert!(m.to_lowercase().contains("refused"), "{m}");
    r.stop().await;

    // Rejected credentials, then a fixed kubeconfig picked up on its own.
    let fake = FakeApi::start(load_dir(&fixtures("cluster")), TOKEN).await;
    let config = fake.write_kubeconfig(dir.path(), "expired-token");
    let r = start(settings(&config), Collect::default());
    wait_for("rejected", || r.health.report().state == State::Error).await;
    let m = r.health.report().message.unwrap();
    assert!(
        m.contains("rejected the credentials of context 'fake' (401 Unauthorized)"),
        "{m}"
    );
    fake.write_kubeconfig(dir.path(), TOKEN);
    wait_for("connected with the new token", || {
        r.health.report().state == State::Connected
    })
    .await;
    r.stop().await;

    // One namespace forbidden: an error that says which, the other watched.
    fake.forbid_namespace("vault");
    let mut s = settings(&config);
    s.namespaces = vec!["icx".into(), "vault".into()];
    let r = start(s, Collect::default());
    let sink = r.sink.clone();
    wait_for("a snapshot", || sink.snapshots() > 0).await;
    let h = r.health.report();
    assert_eq!(h.state, State::Error);
    let m = h.message.unwrap();
    assert!(m.contains("in namespace vault (403 Forbidden): "), "{m}");
    assert!(
        m.contains("cannot list resource"),
        "the API server's own words: {m}"
    );
    let t = sink.topology().unwrap();
    assert!(t.contains(&e("pod/icx/icx-db-7d4b578979-5x8vw")));
    assert!(
        !t.contains(&e("pod/default/nginx")),
        "only the namespaces asked for"
    );
    assert!(t.contains(&e("node/minikube")), "Nodes are cluster-wide");
    r.stop().await;
}

#[tokio::test]
async fn events_that_cannot_be_stored_are_retried_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeApi::start(load_dir(&fixtures("cluster")), TOKEN).await;
    let config = fake.write_kubeconfig(dir.path(), TOKEN);
    let sink = Collect::default();
    sink.fail.store(3, Ordering::SeqCst);
    let mut s = settings(&config);
    s.events = EventFilter::All;
    let r = start(s, sink.clone());
    // The recorded `Pulled` event (taken with the `all` filter) fails three times…
    wait_for("the store error", || {
        r.health
            .report()
            .message
            .is_some_and(|m| m == "cannot store Kubernetes events: disk I/O error")
    })
    .await;
    // …and is stored once it can be.
    wait_for("the event stored", || sink.items().len() == 1).await;
    wait_for("healthy again", || {
        r.health.report().state == State::Connected
    })
    .await;
    assert_eq!(sink.fail.load(Ordering::SeqCst), 0);
    assert_eq!(r.health.report().events, 1);
    r.stop().await;
}

#[tokio::test]
async fn a_tls_failure_is_named_and_the_tls_stack_starts() {
    // The fake speaks plain HTTP; a kubeconfig that says https makes rustls
    // (with ring) build its client and then fail the handshake.
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeApi::start(Vec::new(), TOKEN).await;
    let config = fake.write_kubeconfig(dir.path(), TOKEN);
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("http://", "https://");
    std::fs::write(&config, text).unwrap();
    let r = start(settings(&config), Collect::default());
    wait_for("the TLS error", || r.health.report().state == State::Error).await;
    let m = r.health.report().message.unwrap();
    let url = fake.url().replace("http://", "https://");
    assert!(
        m.starts_with(&format!("TLS with the API server at {url} failed: ")),
        "{m}"
    );
    assert!(m.contains("certificate-authority"), "{m}");
    r.stop().await;
}
