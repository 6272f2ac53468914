//! `causeway bench ingest`: Causeway's webhook gateway and Prometheus
//! Alertmanager's ingestion API side by side, on the same alerts, the same
//! machine and the same load generator. See docs/bench-ingest.md.

pub mod alerts;
mod live;
pub(crate) mod load;
pub(crate) mod peers;

use alerts::{Alert, Stream};
use chrono::{DateTime, Utc};
use clap::Args;
use load::{percentile, Request};
use peers::{Drain, Memory, Server};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct IngestArgs {
    /// Alerts sent to each peer, per shape.
    #[arg(long, default_value_t = 100_000)]
    alerts: usize,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Alerts per request, one run per value.
    #[arg(long, value_delimiter = ',', default_value = "1,100")]
    shapes: Vec<usize>,
    /// Seed of the alert generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How long to wait for Causeway to process its inbox after the load, s.
    #[arg(long, default_value_t = 300)]
    drain_timeout: u64,
    /// Only this peer: `causeway` or `alertmanager`.
    #[arg(long)]
    only: Option<String>,
    /// The Alertmanager binary.
    #[arg(long, default_value = peers::DEFAULT_ALERTMANAGER)]
    alertmanager: PathBuf,
    /// Also write the raw figures here, as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Send at this many alerts per second (sustained) instead of as fast
    /// as each peer answers.
    #[arg(long)]
    rate: Option<f64>,
    /// Causeway: one visibility probe every this many ms during the load.
    #[arg(long, default_value_t = 100)]
    probe_every_ms: u64,
    /// Causeway: seconds to wait idle after the drain before the settled
    /// RSS and file sizes are read.
    #[arg(long, default_value_t = 10)]
    settle: u64,
    /// Causeway: kill -9 the server right after the load (mid-backlog),
    /// start it again on the same data, and check that every accepted
    /// alert became a signal.
    #[arg(long)]
    crash: bool,
    /// Causeway: `full` (default: an intake commit is flushed to disk
    /// before the 202) or `normal` (not flushed), to measure the flush.
    #[arg(long, default_value = "full")]
    intake_sync: String,
}

pub fn run(args: IngestArgs) -> Result<(), String> {
    // One thread for the load generator; the servers are separate processes.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        tokio::select! {
            r = ingest(&args) => r,
            _ = tokio::signal::ctrl_c() => Err("interrupted; the servers were stopped".into()),
        }
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Peer {
    Causeway,
    Alertmanager,
}

/// One peer, one shape.
#[derive(Serialize)]
struct Row {
    peer: &'static str,
    alerts_per_request: usize,
    alerts_sent: usize,
    requests: u64,
    accepted_alerts: u64,
    errors: u64,
    first_error: Option<String>,
    wall_secs: f64,
    accepted_alerts_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// Right after the load.
    memory_after_load: Memory,
    /// At the end of the run (for Causeway, after its inbox was processed).
    peak_rss_kib: u64,
    server_cpu_secs_during_load: f64,
    /// This process: the load generator's own share of the 2 cores.
    client_cpu_secs_during_load: f64,
    loadavg_before: f64,
    normalization: Option<Normalization>,
    /// Causeway: from the last response to the last inbox row processed, s.
    drain_after_load_secs: Option<f64>,
    visibility: Option<live::Visibility>,
    stored: Option<live::Stored>,
    /// Causeway: RSS after the drain and `--settle` seconds idle.
    settled_rss_kib: Option<u64>,
    settled_db_mib: Option<f64>,
    settled_wal_mib: Option<f64>,
    crash: Option<Crash>,
}

/// `--crash`: the backlog when the server was killed, and what came of it.
#[derive(Serialize)]
struct Crash {
    backlog_at_kill: i64,
    accepted_alerts: u64,
    distinct_alerts: usize,
    signals_after_restart: i64,
    /// Every accepted distinct alert is a signal and every inbox row processed.
    nothing_lost: bool,
}

/// Causeway's asynchronous half: inbox rows → signals, timed from the first request.
#[derive(Serialize)]
struct Normalization {
    finished: bool,
    inbox: Drain,
    /// `causeway_signals_total`: alerts normalized, repeats included.
    alerts_normalized: u64,
    secs: f64,
    alerts_per_sec: f64,
}

async fn ingest(args: &IngestArgs) -> Result<(), String> {
    let peers: Vec<Peer> = match args.only.as_deref() {
        None => vec![Peer::Causeway, Peer::Alertmanager],
        Some("causeway") => vec![Peer::Causeway],
        Some("alertmanager") => vec![Peer::Alertmanager],
        Some(other) => {
            return Err(format!(
                "--only takes causeway or alertmanager, not '{other}'"
            ))
        }
    };
    if peers.contains(&Peer::Alertmanager) && !args.alertmanager.exists() {
        return Err(format!(
            "Alertmanager is not installed at {}: run `apt-get install prometheus-alertmanager`",
            args.alertmanager.display()
        ));
    }
    if args.shapes.contains(&0) || args.alerts == 0 {
        return Err("--alerts and --shapes must be above zero".into());
    }
    let base = Utc::now();
    let stream = Stream::generate(args.alerts, args.seed, base);
    let ends_at =
        (base + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    eprintln!(
        "{} alerts ({} distinct), {} connections, shapes {:?}; load average {:.2}",
        args.alerts,
        stream.unique.len(),
        args.connections,
        args.shapes,
        peers::loadavg()
    );
    let mut rows = Vec::new();
    for &shape in &args.shapes {
        for &peer in &peers {
            let requests = Arc::new(requests(&stream, shape, peer, &ends_at));
            let row = measure(args, peer, shape, requests, stream.unique.len()).await?;
            eprintln!(
                "  {} ×{shape}: {:.0} alerts/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, RSS {:.1} MiB",
                row.peer,
                row.accepted_alerts_per_sec,
                row.p50_ms,
                row.p99_ms,
                row.errors,
                mib(row.memory_after_load.rss_kib)
            );
            rows.push(row);
        }
    }
    let report = render(&rows);
    println!("{report}");
    if let Some(path) = &args.json {
        let out = serde_json::json!({
            "alerts": args.alerts,
            "distinct_alerts": stream.unique.len(),
            "connections": args.connections,
            "seed": args.seed,
            "nproc": std::thread::available_parallelism().map_or(0, |n| n.get()),
            "rows": rows,
        });
        let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The stream cut into requests of `shape` alerts, in `peer`'s wire format.
fn requests(stream: &Stream, shape: usize, peer: Peer, ends_at: &str) -> Vec<Request> {
    let all: Vec<&Alert> = stream.alerts().collect();
    all.chunks(shape)
        .map(|batch| {
            let bytes = match peer {
                Peer::Causeway => load::post(
                    "127.0.0.1",
                    "/webhooks/alertmanager/default",
                    "Alertmanager/0.25.0",
                    &alerts::webhook_body(batch),
                ),
                Peer::Alertmanager => load::post(
                    "127.0.0.1",
                    "/api/v2/alerts",
                    "Prometheus/2.45.0",
                    &alerts::api_body(batch, ends_at),
                ),
            };
            Request {
                bytes,
                alerts: batch.len(),
            }
        })
        .collect()
}

async fn measure(
    args: &IngestArgs,
    peer: Peer,
    shape: usize,
    requests: Arc<Vec<Request>>,
    distinct: usize,
) -> Result<Row, String> {
    let envs = [("CAUSEWAY_INTAKE_SYNC", args.intake_sync.as_str())];
    let mut server: Server = match peer {
        Peer::Causeway => peers::start_causeway(&envs).await?,
        Peer::Alertmanager => peers::start_alertmanager(&args.alertmanager).await?,
    };
    let probes = (peer == Peer::Causeway && !args.crash && args.probe_every_ms > 0).then(|| {
        live::Probes::start(
            server.addr,
            server.token.clone(),
            Duration::from_millis(args.probe_every_ms),
        )
    });
    let pace = args
        .rate
        .map(|r| Duration::from_secs_f64(shape as f64 / r.max(1.0)));
    eprintln!(
        "{} ×{shape}: {} requests on {} (pid {})…",
        server.name,
        requests.len(),
        server.addr,
        server.pid
    );
    let loadavg_before = peers::loadavg();
    let (cpu0, client0) = (
        peers::cpu_secs(server.pid),
        peers::cpu_secs(std::process::id()),
    );
    let first_request = Utc::now();
    let out = load::run(server.addr, requests, args.connections, pace).await?;
    let load_end = Utc::now();
    if let Some(p) = &probes {
        p.stop_sending();
    }
    let cpu = peers::cpu_secs(server.pid) - cpu0;
    let client_cpu = peers::cpu_secs(std::process::id()) - client0;
    let memory_after_load = peers::memory(server.pid);
    let mut crash = None;
    if peer == Peer::Causeway && args.crash {
        let backlog = peers::drain_state(&server.data_dir())?.pending;
        eprintln!("  kill -9 with {backlog} inbox rows unprocessed; starting again");
        server = peers::crash_and_restart(server, &envs).await?;
        crash = Some(backlog);
    }
    let normalization = match peer {
        Peer::Causeway => Some(normalized(&server, first_request, args.drain_timeout).await?),
        Peer::Alertmanager => None,
    };
    let visibility = match probes {
        Some(p) => Some(p.finish(Duration::from_secs(10)).await),
        None => None,
    };
    let drain_after_load_secs = normalization.as_ref().and_then(|n| {
        let last = causeway_store::parse_ts(n.inbox.last_processed_at.as_deref()?).ok()?;
        Some(((last - load_end).num_milliseconds() as f64 / 1000.0).max(0.0))
    });
    let peak_rss_kib = peers::memory(server.pid).hwm_kib;
    let (mut stored, mut settled) = (None, None);
    if peer == Peer::Causeway {
        stored = Some(live::stored(&server, &server.token).await?);
        tokio::time::sleep(Duration::from_secs(args.settle)).await;
        let (db, wal) = peers::file_sizes(&server.data_dir());
        settled = Some((peers::memory(server.pid).rss_kib, db, wal));
    }
    let crash = match crash {
        Some(backlog_at_kill) => {
            let d = peers::drain_state(&server.data_dir())?;
            Some(Crash {
                backlog_at_kill,
                accepted_alerts: out.accepted_alerts,
                distinct_alerts: distinct,
                signals_after_restart: d.signals,
                nothing_lost: d.pending == 0 && out.errors == 0 && d.signals == distinct as i64,
            })
        }
        None => None,
    };
    drop(server);
    let secs = out.wall.as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(Row {
        peer: match peer {
            Peer::Causeway => "Causeway",
            Peer::Alertmanager => "Alertmanager",
        },
        alerts_per_request: shape,
        alerts_sent: args.alerts,
        requests: out.requests,
        accepted_alerts: out.accepted_alerts,
        errors: out.errors,
        first_error: out.first_error,
        wall_secs: secs,
        accepted_alerts_per_sec: out.accepted_alerts as f64 / secs,
        p50_ms: ms(percentile(&out.latencies, 50.0)),
        p99_ms: ms(percentile(&out.latencies, 99.0)),
        max_ms: ms(percentile(&out.latencies, 100.0)),
        memory_after_load,
        peak_rss_kib,
        server_cpu_secs_during_load: cpu,
        client_cpu_secs_during_load: client_cpu,
        loadavg_before,
        normalization,
        drain_after_load_secs,
        visibility,
        stored,
        settled_rss_kib: settled.map(|s| s.0),
        settled_db_mib: settled.map(|s| s.1),
        settled_wal_mib: settled.map(|s| s.2),
        crash,
    })
}

/// Waits (up to `timeout_secs`) until every inbox row is processed.
async fn normalized(
    server: &Server,
    first_request: DateTime<Utc>,
    timeout_secs: u64,
) -> Result<Normalization, String> {
    let data = server.data_dir();
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    let mut last_report = Instant::now();
    let inbox = loop {
        let d = peers::drain_state(&data)?;
        if d.pending == 0 || Instant::now() >= deadline {
            break d;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!("  normalizing: {} of {} inbox rows left", d.pending, d.rows);
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let metrics = load::get(server.addr, "/metrics").await?;
    let alerts_normalized = peers::counter(
        &String::from_utf8_lossy(&metrics.body),
        "causeway_signals_total",
    );
    let finished = inbox.pending == 0;
    let end = match (&inbox.last_processed_at, finished) {
        (Some(t), true) => causeway_store::parse_ts(t).map_err(|e| e.to_string())?,
        _ => Utc::now(),
    };
    let secs = (end - first_request).num_milliseconds() as f64 / 1000.0;
    Ok(Normalization {
        finished,
        alerts_normalized,
        secs,
        alerts_per_sec: alerts_normalized as f64 / secs.max(0.001),
        inbox,
    })
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn find<'a>(rows: &'a [Row], peer: &str, shape: usize) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.peer == peer && r.alerts_per_request == shape)
}

/// The Markdown report: the table, Causeway's normalization, the ratios.
fn render(rows: &[Row]) -> String {
    let mut s = String::from(
        "| peer | alerts/request | requests | accepted alerts/s | p50 ms | p99 ms | errors | RSS after load MiB | peak RSS MiB | server CPU s | client CPU s | load avg before |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        s += &format!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} |\n",
            r.peer,
            r.alerts_per_request,
            r.requests,
            r.accepted_alerts_per_sec,
            r.p50_ms,
            r.p99_ms,
            r.errors,
            mib(r.memory_after_load.rss_kib),
            mib(r.peak_rss_kib),
            r.server_cpu_secs_during_load,
            r.client_cpu_secs_during_load,
            r.loadavg_before
        );
    }
    if rows.iter().any(|r| r.normalization.is_some()) {
        s += "\nCauseway normalization (first request → last inbox row processed):\n\n\
              | alerts/request | inbox rows | left unprocessed | alerts normalized | distinct signals | seconds | alerts normalized/s |\n\
              |---:|---:|---:|---:|---:|---:|---:|\n";
        for r in rows {
            if let Some(n) = &r.normalization {
                s += &format!(
                    "| {} | {} | {}{} | {} | {} | {:.1} | {:.0} |\n",
                    r.alerts_per_request,
                    n.inbox.rows,
                    n.inbox.pending,
                    if n.finished { "" } else { " (timed out)" },
                    n.alerts_normalized,
                    n.inbox.signals,
                    n.secs,
                    n.alerts_per_sec
                );
            }
        }
    }
    s += &render_live(rows);
    let mut shapes: Vec<usize> = rows.iter().map(|r| r.alerts_per_request).collect();
    shapes.dedup();
    let mut ratios = String::new();
    for shape in shapes {
        if let (Some(c), Some(a)) = (
            find(rows, "Causeway", shape),
            find(rows, "Alertmanager", shape),
        ) {
            let speed = c.accepted_alerts_per_sec / a.accepted_alerts_per_sec;
            let rss = c.memory_after_load.rss_kib as f64 / a.memory_after_load.rss_kib as f64;
            let peak = c.peak_rss_kib as f64 / a.peak_rss_kib as f64;
            ratios += &format!(
                "- {shape} alert(s)/request: accepted alerts/s Causeway ÷ Alertmanager = {speed:.2}{}; \
                 RSS after load {rss:.2} (target < 0.25: {}); peak RSS {peak:.2}\n",
                if shape == 1 {
                    format!(" (target ≥ 1.5: {})", if speed >= 1.5 { "met" } else { "missed" })
                } else {
                    String::new()
                },
                if rss < 0.25 { "met" } else { "missed" },
            );
        }
    }
    if !ratios.is_empty() {
        s += "\nRatios:\n\n";
        s += &ratios;
    }
    s
}

/// Causeway's processing figures: drain, visibility, the stored storm.
fn render_live(rows: &[Row]) -> String {
    let mut s = String::new();
    let f = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
    let live: Vec<&Row> = rows.iter().filter(|r| r.stored.is_some()).collect();
    if !live.is_empty() {
        s += "\nCauseway processing (visible = webhook 202 → the probe's incident in GET /api/incidents):\n\n\
              | alerts/request | processed alerts/s | drain after load s | visible p50 ms | visible p99 ms | probes seen | incidents | signals | GET /api/incidents ms | biggest incident signals | its GET ms | peak RSS MiB | settled RSS MiB | DB MiB | WAL MiB |\n\
              |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        for r in live {
            let (st, v) = (r.stored.as_ref(), r.visibility.as_ref());
            s +=
                &format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} | {} | {} |\n",
                r.alerts_per_request,
                r.normalization.as_ref().map_or("–".into(), |n| format!("{:.0}", n.alerts_per_sec)),
                f(r.drain_after_load_secs),
                f(v.map(|v| v.p50_ms)),
                f(v.map(|v| v.p99_ms)),
                v.map_or("–".into(), |v| format!("{}/{}", v.probes_seen, v.probes_accepted)),
                st.map_or(0, |x| x.incidents),
                st.map_or(0, |x| x.signals),
                f(st.map(|x| x.list_ms)),
                st.map_or(0, |x| x.biggest_incident_signals),
                f(st.map(|x| x.biggest_incident_ms)),
                mib(r.peak_rss_kib),
                f(r.settled_rss_kib.map(mib)),
                f(r.settled_db_mib),
                f(r.settled_wal_mib),
            );
        }
    }
    for r in rows {
        if let Some(c) = &r.crash {
            s += &format!(
                "\nCrash (×{}): killed with {} inbox rows unprocessed; {} alerts accepted, {} distinct, {} signals after the restart: {}\n",
                r.alerts_per_request,
                c.backlog_at_kill,
                c.accepted_alerts,
                c.distinct_alerts,
                c.signals_after_restart,
                if c.nothing_lost { "nothing lost" } else { "SOMETHING LOST" }
            );
        }
    }
    s
}
