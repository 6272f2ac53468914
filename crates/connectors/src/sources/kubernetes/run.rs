//! The connector's loop: one watcher per kind and scope, a store of what they
//! saw, Events to the sink as they come, topology snapshots debounced.

use super::events::to_item;
use super::kinds::{self, Kind, Scope};
use super::problems::describe_watch;
use super::store::{self, Store};
use super::{kubeconfig, Settings, Sink, StreamItem, Tuning};
use crate::poll::settings::RetryConfig;
use crate::runtime::{Health, Problem};
use chrono::Utc;
use futures_util::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::Client;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;
use tokio::time::{sleep, sleep_until, Instant};

/// Events taken per commit.
const BATCH: usize = 256;

/// Runs the connector until `shutdown` completes. Never returns early: a
/// kubeconfig that cannot be used, an unreachable server or rejected
/// credentials are reported in `health` and tried again.
pub async fn run<S: Sink>(
    settings: Settings,
    tuning: Tuning,
    sink: S,
    health: Health,
    shutdown: impl Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    let sink = Arc::new(sink);
    loop {
        let connected =
            kubeconfig::client(settings.kubeconfig.as_deref(), settings.context.as_deref());
        let (client, context, server) = tokio::select! {
            _ = &mut shutdown => return,
            r = connected => match r {
                Ok(c) => c,
                Err(p) => {
                    tracing::warn!(error = %p.message, "kubernetes connector cannot start");
                    health.setup_failed(p);
                    tokio::select! {
                        _ = &mut shutdown => return,
                        _ = sleep(tuning.reload_after) => continue,
                    }
                }
            },
        };
        health.connecting(&context, &server);
        tracing::info!(%context, %server, namespaces = ?settings.namespaces, "kubernetes connector watching");
        let cluster = Cluster {
            client,
            context,
            server,
        };
        match watch(&cluster, &settings, &tuning, &sink, &health, &mut shutdown).await {
            Exit::Shutdown => return,
            Exit::Reload => {
                tracing::info!(context = %cluster.context, "credentials still rejected: reading the kubeconfig again");
            }
        }
    }
}

struct Cluster {
    client: Client,
    context: String,
    server: String,
}

enum Exit {
    Shutdown,
    /// Credentials have been rejected for a while: build a new client from
    /// the kubeconfig as it is now.
    Reload,
}

/// What the watchers share with the loop.
struct Shared {
    store: Mutex<Store>,
    changed: Notify,
    /// Scopes that have neither listed nor failed yet: the first snapshot
    /// waits for them, so the engine never gets half a cluster at start.
    unsettled: AtomicUsize,
}

impl Shared {
    fn store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.store.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

async fn watch<S: Sink, F: Future<Output = ()>>(
    cluster: &Cluster,
    settings: &Settings,
    tuning: &Tuning,
    sink: &Arc<S>,
    health: &Health,
    shutdown: &mut std::pin::Pin<&mut F>,
) -> Exit {
    let scopes = scopes(settings);
    let shared = Arc::new(Shared {
        store: Mutex::new(Store::default()),
        changed: Notify::new(),
        unsettled: AtomicUsize::new(scopes.len()),
    });
    let (tx, mut rx) = mpsc::channel::<StreamItem>(1024);
    let mut tasks = JoinSet::new();
    for (kind, scope) in scopes {
        let w = Watch {
            what: scope.describe(kind.namespaced),
            kind,
            scope,
            client: cluster.client.clone(),
            context: cluster.context.clone(),
            server: cluster.server.clone(),
            shared: shared.clone(),
            health: health.clone(),
            events: tx.clone(),
            settings: settings.clone(),
            tuning: tuning.clone(),
        };
        health.scope_listing(&w.what);
        tasks.spawn(w.run());
    }
    drop(tx);

    let mut first_change: Option<Instant> = None;
    let mut last_change = Instant::now();
    let mut sent_any = false;
    let mut probe = tokio::time::interval(tuning.probe_every);
    let mut rejected_since: Option<Instant> = None;
    loop {
        let settled = shared.unsettled.load(Ordering::SeqCst) == 0;
        let flush_at = match first_change {
            Some(first) => Some((last_change + tuning.quiet).min(first + tuning.max_delay)),
            // Nothing changed but the first lists are in: an empty cluster
            // is a snapshot too.
            None if settled && !sent_any => Some(Instant::now()),
            None => None,
        };
        tokio::select! {
            _ = shutdown.as_mut() => {
                tasks.abort_all();
                return Exit::Shutdown;
            }
            Some(item) = rx.recv() => {
                let mut batch = vec![item];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(i) => batch.push(i),
                        Err(_) => break,
                    }
                }
                if !commit(sink, health, tuning, batch, shutdown).await {
                    tasks.abort_all();
                    return Exit::Shutdown;
                }
            }
            _ = shared.changed.notified() => {
                first_change.get_or_insert_with(Instant::now);
                last_change = Instant::now();
            }
            _ = sleep_until(flush_at.unwrap_or_else(Instant::now)), if flush_at.is_some() && settled => {
                let objects = shared.store(|s| s.snapshot());
                health.objects(objects.len());
                first_change = None;
                sent_any = true;
                sink.topology(objects).await;
            }
            _ = probe.tick() => {
                if health.has_transient_failure() {
                    let answer = tokio::time::timeout(tuning.probe_every, cluster.client.apiserver_version()).await;
                    if matches!(answer, Ok(Ok(_))) {
                        health.reachable();
                    }
                }
                match (health.needs_reload(), rejected_since) {
                    (false, _) => rejected_since = None,
                    (true, None) => rejected_since = Some(Instant::now()),
                    (true, Some(t)) if t.elapsed() >= tuning.reload_after => {
                        tasks.abort_all();
                        return Exit::Reload;
                    }
                    (true, Some(_)) => {}
                }
            }
        }
    }
}

/// Commits a batch, retrying until it is stored; `false` when shut down
/// meanwhile (the Events come again from the next list: nothing is lost).
async fn commit<S: Sink, F: Future<Output = ()>>(
    sink: &Arc<S>,
    health: &Health,
    tuning: &Tuning,
    batch: Vec<StreamItem>,
    shutdown: &mut std::pin::Pin<&mut F>,
) -> bool {
    // Doubling from `backoff_min` to `backoff_max`; no jitter here (there
    // is one writer, nothing to spread out).
    let retry = doubling(tuning.backoff_min, tuning.backoff_max, 0.0);
    let mut attempt = 0u32;
    loop {
        match sink.commit(batch.clone()).await {
            Ok(new) => {
                health.setup_ok();
                if new > 0 {
                    health.events_taken(new, Utc::now());
                }
                return true;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot store Kubernetes events; retrying");
                health.setup_failed(Problem {
                    message: format!("cannot store Kubernetes events: {e}"),
                    fatal: true,
                    reload: false,
                });
                attempt = attempt.saturating_add(1);
                tokio::select! {
                    _ = shutdown.as_mut() => return false,
                    _ = sleep(retry.delay(attempt)) => {}
                }
            }
        }
    }
}

/// Every (kind, scope) to watch: namespaced kinds once per namespace (or
/// once for all), Nodes once.
fn scopes(settings: &Settings) -> Vec<(Kind, Scope)> {
    let mut out = Vec::new();
    for kind in kinds::watched() {
        let namespaces: Vec<Option<String>> = if kind.namespaced && !settings.namespaces.is_empty()
        {
            settings.namespaces.iter().cloned().map(Some).collect()
        } else {
            vec![None]
        };
        for namespace in namespaces {
            let scope = Scope {
                kind: kind.resource.kind.clone(),
                plural: kind.resource.plural.clone(),
                namespace,
            };
            out.push((kind.clone(), scope));
        }
    }
    out
}

/// One watcher: a kind in a scope.
struct Watch {
    kind: Kind,
    scope: Scope,
    what: String,
    client: Client,
    context: String,
    server: String,
    shared: Arc<Shared>,
    health: Health,
    events: mpsc::Sender<StreamItem>,
    settings: Settings,
    tuning: Tuning,
}

impl Watch {
    async fn run(self) {
        let api: Api<DynamicObject> = match &self.scope.namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &self.kind.resource),
            None => Api::all_with(self.client.clone(), &self.kind.resource),
        };
        let config = watcher::Config::default().timeout(self.tuning.watch_timeout_secs);
        let backoff = Backoff::new(self.tuning.backoff_min, self.tuning.backoff_max);
        let mut stream = watcher::watcher(api, config).backoff(backoff).boxed();
        let mut settled = false;
        // Whether this scope is known to be OK in the health: set on the
        // first event after a start or a failure, so the bookkeeping that
        // costs (a map insert, recomputing the state) is not done per event.
        let mut ok = false;
        // During a (re-)list: the objects (or, for Events, their versions)
        // seen so far; swapped in when the list is done.
        let mut listing = store::fresh();
        let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut seen_listing: BTreeMap<(String, String), String> = BTreeMap::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(ev) => {
                    // `Init` comes before the list is even asked for; every
                    // other event means the API server answered.
                    if !matches!(ev, Event::Init) {
                        if !ok {
                            self.health.scope_ok(&self.what);
                            ok = true;
                        }
                        self.health.heard();
                    }
                    match ev {
                        Event::Init => {
                            listing = store::fresh();
                            seen_listing.clear();
                        }
                        Event::InitApply(obj) => {
                            let v = kinds::to_json(obj, &self.kind.resource);
                            let key = kinds::key(&v);
                            if self.kind.is_event {
                                let version = self.event(&v, seen.get(&key)).await;
                                seen_listing.insert(key, version);
                            } else {
                                listing.insert(key, Arc::new(kinds::prune(v)));
                            }
                        }
                        Event::InitDone => {
                            if self.kind.is_event {
                                seen = std::mem::take(&mut seen_listing);
                            } else {
                                let fresh = std::mem::replace(&mut listing, store::fresh());
                                self.changed(|s| s.replace(&self.scope, fresh));
                            }
                            if !settled {
                                settled = true;
                                self.shared.unsettled.fetch_sub(1, Ordering::SeqCst);
                                self.shared.changed.notify_one();
                            }
                        }
                        Event::Apply(obj) => {
                            let v = kinds::to_json(obj, &self.kind.resource);
                            let key = kinds::key(&v);
                            if self.kind.is_event {
                                let version = self.event(&v, seen.get(&key)).await;
                                seen.insert(key, version);
                            } else {
                                let v = kinds::prune(v);
                                self.changed(|s| s.apply(&self.scope, key, v));
                            }
                        }
                        Event::Delete(obj) => {
                            let v = kinds::to_json(obj, &self.kind.resource);
                            let key = kinds::key(&v);
                            if self.kind.is_event {
                                seen.remove(&key);
                            } else {
                                self.changed(|s| s.delete(&self.scope, &key));
                            }
                        }
                    }
                }
                Err(e) => {
                    let p = describe_watch(&e, &self.what, &self.server, &self.context);
                    tracing::warn!(scope = %self.what, error = %e, "kubernetes watch failed");
                    self.health.scope_failed(&self.what, p);
                    ok = false;
                    if !settled {
                        settled = true;
                        self.shared.unsettled.fetch_sub(1, Ordering::SeqCst);
                        self.shared.changed.notify_one();
                    }
                }
            }
        }
    }

    /// Applies a change to the store; wakes the loop when the graph's input
    /// changed.
    fn changed(&self, f: impl FnOnce(&mut Store) -> bool) {
        let (changed, n) = self.shared.store(|s| (f(s), s.len()));
        if changed {
            self.health.objects(n);
            self.shared.changed.notify_one();
        }
    }

    /// Sends an Event on unless this version of it (`sent`) already went;
    /// returns its version.
    async fn event(&self, v: &serde_json::Value, sent: Option<&String>) -> String {
        let version = v
            .pointer("/metadata/resourceVersion")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string();
        if sent != Some(&version) {
            if let Some(item) = to_item(v, self.settings.events) {
                // The loop is gone only when shutting down.
                let _ = self.events.send(item).await;
            }
        }
        version
    }
}

/// Doubling from `min` to `max`, as the pollers back off: the connector's
/// [`Tuning`] backoff in [`RetryConfig`]'s terms.
fn doubling(min: Duration, max: Duration, jitter_ratio: f64) -> RetryConfig {
    RetryConfig {
        base_delay_ms: min.as_millis() as u64,
        max_delay_ms: max.as_millis() as u64,
        jitter_ratio,
    }
}

/// Exponential backoff with ±20 % jitter ([`RetryConfig::delay`]) as kube's
/// watcher backoff, reset by the watcher on every success.
struct Backoff {
    retry: RetryConfig,
    /// Tries failed since the last reset.
    attempt: u32,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            retry: doubling(min, max, 0.2),
            attempt: 0,
        }
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        self.attempt = self.attempt.saturating_add(1);
        Some(self.retry.delay(self.attempt))
    }
}

impl kube::runtime::utils::Backoff for Backoff {
    fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_ceiling_with_jitter_and_resets() {
        use kube::runtime::utils::Backoff as _;
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
        let waits: Vec<Duration> = (0..6).map(|_| b.next().unwrap()).collect();
        let nominal = [100, 200, 400, 800, 800, 800];
        for (w, n) in waits.iter().zip(nominal) {
            let n = Duration::from_millis(n);
            assert!(
                *w >= n.mul_f64(0.79) && *w <= n.mul_f64(1.21),
                "{w:?} vs {n:?}"
            );
        }
        b.reset();
        assert!(b.next().unwrap() <= Duration::from_millis(121));
    }

    #[test]
    fn namespaced_kinds_are_watched_per_namespace_and_nodes_once() {
        let s = Settings {
            namespaces: vec!["a".into(), "b".into()],
            ..Default::default()
        };
        let all = scopes(&s);
        let nodes: Vec<_> = all.iter().filter(|(_, s)| s.plural == "nodes").collect();
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].1.namespace, None);
        let pods: Vec<_> = all.iter().filter(|(_, s)| s.plural == "pods").collect();
        assert_eq!(pods.len(), 2);
        assert_eq!(all.len(), 9 * 2 + 1);
        assert_eq!(scopes(&Settings::default()).len(), 10);
    }
}
