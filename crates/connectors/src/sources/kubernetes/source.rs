//! The connector as a [`Source`] of the connector runtime: started with its
//! instance and stopped with it by the app's supervisor, like a poller.
//!
//! Events go through [`Host::commit`](crate::runtime::Host::commit) as
//! payloads, with their version under the stream `events`, so an Event
//! version already taken is skipped across restarts too; objects go through
//! [`Host::topology`](crate::runtime::Host::topology). The connection's
//! health becomes the runtime's reports (for the instance's counters and
//! metrics), and its full form — state, message, objects, events — goes to
//! the host to show ([`Host::connection`](crate::runtime::Host::connection)).

use super::{run, Health, Settings, Sink, State, StreamItem, Tuning};
use crate::runtime::{
    BoxFuture, Commit, ErrorClass, ItemVersion, Payload, Report, Source, SourceContext,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// The item-version stream Events are recorded under.
const STREAM: &str = "events";

/// Timings for sources started from now on; `None`: the defaults.
static TUNING: RwLock<Option<Tuning>> = RwLock::new(None);

/// Sets the timings of the sources started from now on, process-wide
/// (tests shorten them).
pub fn set_tuning(t: Tuning) {
    if let Ok(mut g) = TUNING.write() {
        *g = Some(t);
    }
}

fn tuning() -> Tuning {
    TUNING
        .read()
        .ok()
        .and_then(|g| g.clone())
        .unwrap_or_default()
}

/// Watches the cluster of a `kubernetes` instance.
pub struct KubernetesSource;

impl Source for KubernetesSource {
    fn run(&self, ctx: SourceContext) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let id = ctx.instance.id.clone();
            let settings = match Settings::from_config(&ctx.instance.config) {
                Ok(s) => s,
                Err(message) => {
                    crate::sources::reconnect::unusable(&ctx, message).await;
                    return;
                }
            };
            let tuning = tuning();
            let health = Health::new(tuning.silence);
            ctx.host.connection(&id, Some(health.clone()));
            let reporter =
                tokio::spawn(report_changes(health.clone(), ctx.clone(), tuning.clone()));
            let pruner = tokio::spawn(prune_events(ctx.clone(), tuning.clone()));
            let sink = HostSink { ctx: ctx.clone() };
            let mut stop = ctx.stop.clone();
            run(settings, tuning, sink, health, async move {
                stop.stopped().await
            })
            .await;
            reporter.abort();
            pruner.abort();
            ctx.host.topology(&id, None).await;
            ctx.host.connection(&id, None);
        })
    }
}

/// Turns the connection's state changes into the runtime's reports.
async fn report_changes(health: Health, ctx: SourceContext, tuning: Tuning) {
    let mut changes = health.subscribe();
    loop {
        let (state, message) = changes.borrow_and_update().clone();
        let report = match state {
            State::Connecting => Report::Started,
            State::Connected => Report::Succeeded {
                latency: std::time::Duration::ZERO,
                fetched: 0,
                published: 0,
                skipped: 0,
            },
            State::Reconnecting | State::Error => Report::Failed {
                class: if state == State::Error {
                    ErrorClass::Fail
                } else {
                    ErrorClass::Retry
                },
                message: message.unwrap_or_default(),
                latency: None,
                retry_in: Some(tuning.backoff_max),
            },
        };
        ctx.report(report);
        if changes.changed().await.is_err() {
            return;
        }
    }
}

/// Forgets the versions of Events taken longer ago than the retention,
/// at start and then now and then. The cluster itself dropped those Events
/// long before (an hour by default), so a re-list will not bring them again.
async fn prune_events(ctx: SourceContext, tuning: Tuning) {
    loop {
        match ctx
            .host
            .prune_versions(&ctx.instance.id, STREAM, tuning.event_retention)
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(instance = %ctx.instance.id, forgotten = n, "old Kubernetes Event versions pruned")
            }
            Err(e) => {
                tracing::warn!(instance = %ctx.instance.id, error = %e, "cannot prune Kubernetes Event versions")
            }
        }
        tokio::time::sleep(tuning.prune_every).await;
    }
}

/// The runtime's host as the connector's sink.
struct HostSink {
    ctx: SourceContext,
}

impl Sink for HostSink {
    async fn commit(&self, items: Vec<StreamItem>) -> Result<usize, String> {
        let started = Instant::now();
        let keys: Vec<String> = items.iter().map(|i| i.key.clone()).collect();
        let known = self
            .ctx
            .host
            .versions(&self.ctx.instance.id, STREAM, keys)
            .await
            .map_err(|e| e.0)?;
        let fetched = items.len();
        let fresh: Vec<StreamItem> = items
            .into_iter()
            .filter(|i| known.get(&i.key) != Some(&i.version))
            .collect();
        let published = fresh.len();
        if published > 0 {
            let commit = Commit {
                versions: fresh
                    .iter()
                    .map(|i| ItemVersion {
                        stream: STREAM.into(),
                        key: i.key.clone(),
                        hash: i.version.clone(),
                    })
                    .collect(),
                payloads: fresh
                    .into_iter()
                    .map(|i| Payload {
                        headers: BTreeMap::new(),
                        body: i.body,
                        connector_id: None,
                    })
                    .collect(),
                checkpoint: None,
            };
            self.ctx
                .host
                .commit(&self.ctx.instance, commit)
                .await
                .map_err(|e| e.0)?;
        }
        self.ctx.report(Report::Succeeded {
            latency: started.elapsed(),
            fetched: fetched as u64,
            published: published as u64,
            skipped: (fetched - published) as u64,
        });
        Ok(published)
    }

    async fn topology(&self, objects: Vec<Arc<Value>>) {
        self.ctx
            .host
            .topology(&self.ctx.instance.id, Some(objects))
            .await;
    }
}
