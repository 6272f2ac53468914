//! Running connector instances: one task per enabled instance that has a
//! source (a poller or a stream), started with it and stopped with it.
//!
//! The supervisor reconciles the running set with SQLite: at start, after
//! every change made through the API or CLI, on a connectors.json reload,
//! and every few seconds (another process — `causeway connectors add` —
//! may have changed the table). A changed instance is restarted only after
//! its old task has finished the poll in flight, so an instance never has
//! two polls at once and nothing half-fetched is dropped. This module is
//! also the [`Host`] sources commit through: the inbox, item versions and
//! checkpoints in one transaction, then the processor is woken.

use crate::telemetry::events::{PayloadsReceived, PollFinished};
use crate::telemetry::{label, Gauge, Series};
use crate::App;
use causeway_connectors::registry::source_for;
use causeway_connectors::runtime::{
    stop_pair, BoxFuture, Commit, Host, HostError, InstanceInfo, Report, Source, SourceContext,
    StopHandle,
};
use causeway_store::{inbox, instances, poll_items, ts};
use chrono::Utc;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// One running instance.
struct Running {
    /// What it was started with; a different key restarts it.
    key: String,
    stop: StopHandle,
    task: tokio::task::JoinHandle<()>,
}

/// The supervisor's state, shared by clones of the [`App`].
#[derive(Default)]
pub struct Sources {
    running: Mutex<HashMap<String, Running>>,
    reports: Mutex<Option<mpsc::UnboundedSender<(String, Report)>>>,
    http: Mutex<Option<reqwest::Client>>,
    /// Only an app that was started runs sources (a CLI command that
    /// opens the data dir to add an instance must not poll it).
    started: std::sync::atomic::AtomicBool,
}

/// The [`Host`] the app gives to sources.
struct AppHost {
    app: App,
}

impl Host for AppHost {
    fn commit(&self, instance: &InstanceInfo, c: Commit) -> BoxFuture<'_, Result<(), HostError>> {
        let inst = instance.clone();
        Box::pin(async move {
            let n = c.payloads.len() as u64;
            let now = ts(Utc::now());
            let descriptor = inst.descriptor_id.clone();
            self.app
                .store()
                .write(move |conn| {
                    let tx = conn.transaction()?;
                    for p in &c.payloads {
                        let headers = serde_json::to_string(&p.headers)?;
                        let connector = p.connector_id.as_deref().unwrap_or(&inst.descriptor_id);
                        inbox::insert(
                            &tx,
                            &inst.id,
                            connector,
                            &inst.project_id,
                            &now,
                            &headers,
                            &p.body,
                        )?;
                    }
                    for v in &c.versions {
                        poll_items::put(&tx, &inst.id, &v.stream, &v.key, &v.hash, &now)?;
                    }
                    if let Some(cp) = &c.checkpoint {
                        instances::set_checkpoint(&tx, &inst.id, &cp.to_string())?;
                    }
                    tx.commit()?;
                    Ok(())
                })
                .await
                .map_err(|e| HostError(e.to_string()))?;
            if n > 0 {
                PayloadsReceived {
                    connector: &descriptor,
                    count: n,
                }
                .emit(self.app.metrics());
                self.app.wake.notify_one();
            }
            Ok(())
        })
    }

    fn checkpoint(&self, instance_id: &str) -> BoxFuture<'_, Result<Option<Value>, HostError>> {
        let id = instance_id.to_string();
        Box::pin(async move {
            let raw = self
                .app
                .store()
                .read(move |c| instances::checkpoint(c, &id))
                .await
                .map_err(|e| HostError(e.to_string()))?;
            Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
        })
    }

    fn versions(
        &self,
        instance_id: &str,
        stream: &str,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, HostError>> {
        let (id, stream) = (instance_id.to_string(), stream.to_string());
        Box::pin(async move {
            self.app
                .store()
                .read(move |c| poll_items::versions(c, &id, &stream, &keys))
                .await
                .map_err(|e| HostError(e.to_string()))
        })
    }

    fn prune_versions(
        &self,
        instance_id: &str,
        stream: &str,
        older_than: std::time::Duration,
    ) -> BoxFuture<'_, Result<u64, HostError>> {
        let (id, stream) = (instance_id.to_string(), stream.to_string());
        // A century at most: the subtraction cannot overflow.
        let keep = older_than.min(std::time::Duration::from_secs(100 * 365 * 86_400));
        let before = ts(Utc::now() - chrono::Duration::from_std(keep).unwrap_or_default());
        Box::pin(async move {
            self.app
                .store()
                .write(move |c| poll_items::prune(c, &id, &stream, &before))
                .await
                .map_err(|e| HostError(e.to_string()))
        })
    }

    fn report(&self, instance_id: &str, report: Report) {
        if let Ok(g) = self.app.sources.reports.lock() {
            if let Some(tx) = g.as_ref() {
                let _ = tx.send((instance_id.to_string(), report));
            }
        }
    }

    fn connection(
        &self,
        instance_id: &str,
        health: Option<causeway_connectors::sources::kubernetes::Health>,
    ) {
        self.app.set_connection(instance_id, health);
    }

    fn forget_versions(
        &self,
        instance_id: &str,
        stream: &str,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<(), HostError>> {
        let (id, stream) = (instance_id.to_string(), stream.to_string());
        Box::pin(async move {
            self.app
                .store()
                .write(move |c| poll_items::forget(c, &id, &stream, &keys))
                .await
                .map_err(|e| HostError(e.to_string()))
        })
    }

    fn backlog(&self) -> BoxFuture<'_, u64> {
        Box::pin(async move { self.app.backlog().await })
    }

    fn stream_status(
        &self,
        instance_id: &str,
        status: Option<causeway_connectors::runtime::StreamStatus>,
    ) {
        self.app.set_stream_status(instance_id, status);
    }

    /// A watched cluster's objects join the live topology.
    fn topology(&self, instance_id: &str, objects: Option<Vec<Arc<Value>>>) -> BoxFuture<'_, ()> {
        let id = instance_id.to_string();
        Box::pin(async move { self.app.set_live_topology(&id, objects).await })
    }
}

impl App {
    /// The HTTP client every source shares.
    pub(crate) fn http_client(&self) -> Result<reqwest::Client, String> {
        let mut g = self
            .sources
            .http
            .lock()
            .map_err(|_| "poisoned".to_string())?;
        if let Some(c) = g.as_ref() {
            return Ok(c.clone());
        }
        let c = causeway_connectors::runtime::http_client()?;
        *g = Some(c.clone());
        Ok(c)
    }

    /// A context for running `info` (`overrides`: in-memory secrets for a
    /// test before the instance exists).
    pub(crate) fn source_context(
        &self,
        info: InstanceInfo,
        stop: causeway_connectors::runtime::Stop,
        overrides: Option<BTreeMap<String, causeway_core::Sensitive<String>>>,
    ) -> Result<SourceContext, String> {
        Ok(SourceContext {
            instance: info,
            host: Arc::new(AppHost { app: self.clone() }),
            keychain: self.keychain.clone(),
            stop,
            http: self.http_client()?,
            overrides: overrides.map(|o| Arc::new(Mutex::new(o))),
        })
    }

    /// Starts the supervisor: applies health reports in order, and
    /// reconciles the running sources every few seconds.
    pub(crate) fn start_sources(&self) {
        self.sources
            .started
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let (tx, mut rx) = mpsc::unbounded_channel::<(String, Report)>();
        if let Ok(mut g) = self.sources.reports.lock() {
            *g = Some(tx);
        }
        let app = self.clone();
        tokio::spawn(async move {
            while let Some((id, r)) = rx.recv().await {
                app.apply_report(id, r).await;
            }
        });
        let app = self.clone();
        tokio::spawn(async move {
            loop {
                app.reconcile_sources().await;
                tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            }
        });
        // In a team the holder of the clock lease watches for quiet
        // connectors, so one "went quiet" goes on the log, not one per member.
        if !self.in_team() {
            let app = self.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(crate::connectors::health::QUIET_CHECK).await;
                    app.check_quiet().await;
                }
            });
        }
        tokio::spawn(crate::incidents::evidence::auto_collect(self.clone()));
    }

    /// Starts, restarts and stops sources so that exactly the enabled
    /// instances with a source run, each with its current settings.
    pub async fn sync_sources(&self) {
        // Every change to an instance comes through here: the webhook
        // receivers remembered for instances go too.
        self.forget_receivers();
        self.reconcile_sources().await;
    }

    /// [`App::sync_sources`] without forgetting the webhook receivers: the
    /// periodic pass, which catches edits made by another process (the
    /// receivers' own short lifetime covers those).
    async fn reconcile_sources(&self) {
        if !self
            .sources
            .started
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let rows = match self.store().read(instances::list).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "cannot list connector instances");
                return;
            }
        };
        let mut wanted: HashMap<String, (String, InstanceInfo, Arc<dyn Source>)> = HashMap::new();
        // In a team, a source runs only on the member holding its lease.
        let team = self.team();
        for i in rows
            .into_iter()
            .filter(|i| i.enabled)
            .filter(|i| team.as_ref().is_none_or(|t| t.holds(&i.id).is_some()))
        {
            let config: Value = serde_json::from_str(&i.config).unwrap_or_default();
            let Some(source) = source_for(&i.descriptor_id, &config) else {
                continue;
            };
            let key = format!("{}\u{1f}{}\u{1f}{}", i.descriptor_id, i.name, i.config);
            let info = InstanceInfo {
                id: i.id.clone(),
                descriptor_id: i.descriptor_id,
                project_id: i.project_id,
                name: i.name,
                config,
            };
            wanted.insert(i.id, (key, info, source));
        }
        let Ok(mut running) = self.sources.running.lock() else {
            return;
        };
        // Stop what is gone or disabled: the in-flight poll finishes first.
        let gone: Vec<String> = running
            .keys()
            .filter(|id| !wanted.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            if let Some(r) = running.remove(&id) {
                tracing::info!(instance = %id, "connector stopping");
                r.stop.stop();
            }
        }
        for (id, (key, info, source)) in wanted {
            let previous = match running.get(&id) {
                Some(r) if r.key == key && !r.task.is_finished() => continue,
                _ => running.remove(&id),
            };
            let (handle, stop) = stop_pair();
            let ctx = match self.source_context(info, stop.clone(), None) {
                Ok(mut c) => {
                    if let Some(team) = &team {
                        c.host = Arc::new(crate::team::TeamHost {
                            app: self.clone(),
                            team: team.clone(),
                            local: c.host.clone(),
                        });
                    }
                    c
                }
                Err(e) => {
                    tracing::error!(instance = %id, error = %e, "cannot start connector");
                    continue;
                }
            };
            let prev_task = previous.map(|p| {
                p.stop.stop();
                p.task
            });
            tracing::info!(instance = %id, "connector starting");
            let task = tokio::spawn(async move {
                if let Some(t) = prev_task {
                    let _ = t.await;
                }
                if stop.is_stopped() {
                    return;
                }
                source.run(ctx).await;
            });
            running.insert(
                id,
                Running {
                    key,
                    stop: handle,
                    task,
                },
            );
        }
    }

    /// Makes the next reconcile restart the instance's source (after its
    /// poll in flight), as if its settings had changed.
    pub(crate) fn forget_source(&self, id: &str) {
        if let Ok(mut r) = self.sources.running.lock() {
            if let Some(r) = r.get_mut(id) {
                r.key.clear();
            }
        }
    }

    /// Whether a source runs for the instance now.
    pub fn source_running(&self, id: &str) -> bool {
        self.sources
            .running
            .lock()
            .map(|r| r.get(id).is_some_and(|r| !r.task.is_finished()))
            .unwrap_or(false)
    }

    /// Stops every source and waits for their polls in flight (shutdown).
    pub async fn stop_sources(&self) {
        let all: Vec<Running> = match self.sources.running.lock() {
            Ok(mut r) => r.drain().map(|(_, v)| v).collect(),
            Err(_) => return,
        };
        for r in &all {
            r.stop.stop();
        }
        for r in all {
            let _ = r.task.await;
        }
    }

    /// `/metrics` text: the counters, poll latency, and each instance's health.
    pub async fn metrics_text(&self) -> String {
        let rows = self
            .store()
            .read(crate::connectors::instances::listed)
            .await
            .unwrap_or_default();
        let mut health = Vec::new();
        let mut failures = Vec::new();
        let mut success = Vec::new();
        let mut day = Vec::new();
        let mut week = Vec::new();
        let mut polled = Vec::new();
        for (i, st, ex) in &rows {
            let l = label("instance", &i.id);
            let stream = self.stream_health(&i.id);
            let (state, _) = crate::connectors::instances::shown_health(
                i.enabled,
                st,
                ex.recent_dead,
                stream.as_ref(),
            );
            for s in [
                "healthy",
                "degraded",
                "error",
                "needs_reauth",
                "quiet",
                "waiting",
                "disabled",
            ] {
                health.push((
                    format!("{l},{}", label("state", s)),
                    if s == state { 1.0 } else { 0.0 },
                ));
            }
            failures.push((l.clone(), st.consecutive_failures as f64));
            if let Some(t) = st
                .last_success_at
                .as_deref()
                .and_then(|t| causeway_store::parse_ts(t).ok())
            {
                success.push((l.clone(), t.timestamp() as f64));
            }
            let (d, w) = (ex.day, ex.week);
            day.push((l.clone(), d as f64));
            week.push((l.clone(), w as f64));
            if let Some(t) = st
                .last_poll_at
                .as_deref()
                .and_then(|t| causeway_store::parse_ts(t).ok())
            {
                polled.push((l, t.timestamp() as f64));
            }
        }
        let team = self.team_view().await;
        let team_gauges = team
            .as_ref()
            .map(crate::team::view::gauges)
            .unwrap_or_default();
        let mut gauges: Vec<Series> = vec![
            (Gauge::ConnectorHealth, health),
            (Gauge::ConnectorConsecutiveFailures, failures),
            (Gauge::ConnectorLastSuccess, success),
            (Gauge::ConnectorSignals24h, day),
            (Gauge::ConnectorSignals7d, week),
            (Gauge::ConnectorLastPoll, polled),
        ];
        gauges.extend(team_gauges);
        self.metrics().render_with(&gauges)
    }

    async fn apply_report(&self, id: String, r: Report) {
        let now = Utc::now();
        let at = ts(now);
        match &r {
            Report::Started => {}
            Report::Succeeded {
                latency,
                fetched,
                published,
                skipped,
            } => PollFinished {
                instance: &id,
                outcome: "ok",
                latency: Some(*latency),
                items: Some((*fetched, *published, *skipped)),
            }
            .emit(self.metrics()),
            Report::Failed { class, latency, .. } => PollFinished {
                instance: &id,
                outcome: class.as_str(),
                latency: *latency,
                items: None,
            }
            .emit(self.metrics()),
        }
        let result = self
            .store()
            .write(move |c| match r {
                Report::Started => instances::poll_started(c, &id, &at),
                Report::Succeeded {
                    latency,
                    fetched,
                    published,
                    skipped,
                } => instances::poll_succeeded(
                    c,
                    &id,
                    &at,
                    latency.as_millis() as i64,
                    (fetched as i64, published as i64, skipped as i64),
                    None,
                ),
                Report::Failed {
                    class,
                    message,
                    latency,
                    retry_in,
                } => {
                    let next = retry_in
                        .map(|d| ts(now + chrono::Duration::milliseconds(d.as_millis() as i64)));
                    instances::poll_failed(
                        c,
                        &id,
                        &message,
                        class.as_str(),
                        latency.map(|l| l.as_millis() as i64),
                        next.as_deref(),
                    )
                }
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record connector health");
        }
        self.emit(crate::api::views::ChangeEvent::ConnectorsChanged);
    }
}
