//! The polling runtime: one loop per instance around a [`Poller`].
//!
//! The loop owns the schedule (interval with jitter, backoff after
//! failures, the upstream's Retry-After, a slow pace while credentials are
//! refused) and turns each poll's outcome into a [`Report`]. A poller owns
//! what one poll does: its requests, pages and deltas, and its commits —
//! items first, then the checkpoint, never the other way round. Only one
//! poll of an instance is ever in flight, because the loop awaits it.

pub mod auth;
pub mod generic;
pub mod http;
pub mod settings;
pub mod spec;

use crate::runtime::{BoxFuture, Commit, ErrorClass, Payload, Report, Source, SourceContext};
use causeway_core::hash::short_hex;
use http::{Exchange, FetchError, Fetcher, Pacer};
use settings::RunSettings;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts of one poll.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollOutcome {
    pub fetched: u64,
    pub published: u64,
    pub skipped: u64,
}

/// One poll's run: the context, the fetcher, and whether it is a dry run
/// (first page only, nothing committed, payloads kept in `dry_payloads`).
pub struct PollRun {
    pub ctx: SourceContext,
    pub fetcher: Fetcher,
    pub dry: bool,
    pub dry_payloads: Vec<Payload>,
}

impl PollRun {
    /// Commits (or, in a dry run, keeps) `c`.
    pub async fn commit(&mut self, c: Commit) -> Result<(), FetchError> {
        if self.dry {
            self.dry_payloads.extend(c.payloads);
            return Ok(());
        }
        if c.is_empty() {
            return Ok(());
        }
        self.ctx
            .host
            .commit(&self.ctx.instance, c)
            .await
            .map_err(|e| {
                FetchError::new(
                    ErrorClass::Retry,
                    format!("could not store what was fetched: {e}"),
                )
            })
    }

    pub async fn checkpoint(&self) -> Result<Option<serde_json::Value>, FetchError> {
        if self.dry {
            // A test shows what a first poll would bring.
            return Ok(None);
        }
        self.ctx
            .host
            .checkpoint(&self.ctx.instance.id)
            .await
            .map_err(|e| {
                FetchError::new(
                    ErrorClass::Retry,
                    format!("could not read the checkpoint: {e}"),
                )
            })
    }
}

/// What one poll of one kind of connector does.
pub trait Poller: Send + Sync + 'static {
    /// The interval and requests-per-minute used when the instance sets none.
    fn defaults(&self) -> (Duration, u32);
    /// Status → class overrides.
    fn overrides(&self) -> BTreeMap<u16, ErrorClass> {
        BTreeMap::new()
    }
    fn poll<'a>(&'a self, run: &'a mut PollRun) -> BoxFuture<'a, Result<PollOutcome, FetchError>>;
}

/// A [`Source`] that polls with its poller on a schedule.
pub struct PollingSource {
    pub poller: Arc<dyn Poller>,
}

impl PollingSource {
    pub fn new(poller: Arc<dyn Poller>) -> Self {
        PollingSource { poller }
    }
}

fn fetcher_for(ctx: &SourceContext, poller: &dyn Poller) -> Fetcher {
    let (interval, rpm) = poller.defaults();
    Fetcher {
        client: ctx.http.clone(),
        settings: RunSettings::from_config(&ctx.instance.config, interval, rpm),
        pacer: Arc::new(Pacer::default()),
        overrides: poller.overrides(),
        record: None,
    }
}

/// How long to wait after a poll that failed this way, `failures` in a row.
pub fn delay_after(settings: &RunSettings, e: &FetchError, failures: u32) -> Option<Duration> {
    match e.class {
        // Not retried: checked again slowly, in case the grant came back.
        ErrorClass::NeedsReauth => None,
        _ => {
            let backoff = settings.next_delay(failures);
            Some(e.retry_after.map_or(backoff, |r| r.max(backoff)))
        }
    }
}

/// While credentials are refused, the instance looks again this often.
const REAUTH_RECHECK: Duration = Duration::from_secs(300);

impl Source for PollingSource {
    fn run(&self, ctx: SourceContext) -> BoxFuture<'static, ()> {
        let poller = self.poller.clone();
        Box::pin(async move {
            let fetcher = fetcher_for(&ctx, poller.as_ref());
            let settings = fetcher.settings.clone();
            let mut stop = ctx.stop.clone();
            let mut failures = 0u32;
            let mut last_dead: Option<String> = None;
            // The first poll soon, but not all instances at the same instant.
            let first = settings::jitter(Duration::from_millis(300), 1.0);
            if !stop.sleep(first).await {
                return;
            }
            loop {
                ctx.report(Report::Started);
                let started = Instant::now();
                let mut run = PollRun {
                    ctx: ctx.clone(),
                    fetcher: fetcher.clone(),
                    dry: false,
                    dry_payloads: Vec::new(),
                };
                let result = poller.poll(&mut run).await;
                let delay = match result {
                    Ok(o) => {
                        failures = 0;
                        ctx.report(Report::Succeeded {
                            latency: started.elapsed(),
                            fetched: o.fetched,
                            published: o.published,
                            skipped: o.skipped,
                        });
                        settings.next_delay(0)
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        keep_unreadable(&ctx, &e, &mut last_dead).await;
                        let next = delay_after(&settings, &e, failures);
                        tracing::warn!(instance = %ctx.instance.id, class = e.class.as_str(), error = %e.message, "poll failed");
                        ctx.report(Report::Failed {
                            class: e.class,
                            message: e.message,
                            latency: Some(started.elapsed()),
                            retry_in: next,
                        });
                        next.unwrap_or(REAUTH_RECHECK.max(settings.poll_interval))
                    }
                };
                if !stop.sleep(delay).await {
                    return;
                }
            }
        })
    }
}

/// An answer that could not be read (malformed JSON) is committed to the
/// inbox as it came, where normalizing it dead-letters it with its bytes:
/// the person sees exactly what the upstream sent. The same bytes again are
/// not stored twice.
async fn keep_unreadable(ctx: &SourceContext, e: &FetchError, last: &mut Option<String>) {
    let (Some(body), ErrorClass::Fail, None) = (&e.body, e.class, e.status) else {
        return;
    };
    let hash = short_hex(&[&String::from_utf8_lossy(body)]);
    if last.as_deref() == Some(hash.as_str()) {
        return;
    }
    let payload = Payload {
        headers: BTreeMap::from([("x-causeway-unreadable".to_string(), "true".to_string())]),
        body: body.clone(),
        connector_id: None,
    };
    let c = Commit {
        payloads: vec![payload],
        ..Default::default()
    };
    if ctx.host.commit(&ctx.instance, c).await.is_ok() {
        *last = Some(hash);
    }
}

/// What a dry run returns: every exchange (secrets scrubbed) and the
/// payloads a first poll would commit.
pub struct DryRun {
    pub ok: Result<PollOutcome, FetchError>,
    pub latency: Duration,
    pub exchanges: Vec<Exchange>,
    pub payloads: Vec<Payload>,
}

/// Runs one poll of `poller` in dry mode: the first page of each stream,
/// nothing committed, checkpoints ignored.
pub async fn dry_run(poller: &dyn Poller, ctx: SourceContext) -> DryRun {
    let record = Arc::new(Mutex::new(Vec::new()));
    let mut fetcher = fetcher_for(&ctx, poller);
    fetcher.record = Some(record.clone());
    // A test answers quickly: no retries, no waiting on a quota.
    fetcher.settings.max_retries = 0;
    fetcher.settings.requests_per_minute = 0;
    let started = Instant::now();
    let mut run = PollRun {
        ctx,
        fetcher,
        dry: true,
        dry_payloads: Vec::new(),
    };
    let ok = poller.poll(&mut run).await;
    let exchanges = record.lock().map(|r| r.clone()).unwrap_or_default();
    DryRun {
        ok,
        latency: started.elapsed(),
        exchanges,
        payloads: run.dry_payloads,
    }
}
