//! `causeway bench team`: how fast a team of `causeway serve --team` members
//! on one `redis-server` (Debian's package) moves a storm through the team
//! log, and how fast a member started afterwards catches up.
//!
//! One member takes the storm's webhooks; every member applies every entry
//! of the log (that is how all show the same incidents), so the figure that
//! matters is when the *last* member has applied the last alert. A member's
//! `causeway_signals_total` counts the signals it normalized, from the log
//! like every other member's: the bench reads it from each `/metrics`.

use crate::ingest::alerts::{self, Alert, Stream};
use crate::ingest::load::{self, Request};
use crate::ingest::peers::{self, counter, Server, TempDir};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct TeamArgs {
    /// Alerts in the storm.
    #[arg(long, default_value_t = 20_000)]
    pub alerts: usize,
    /// Members that run while it arrives (one more joins afterwards).
    #[arg(long, default_value_t = 3)]
    pub members: usize,
    /// Alerts per webhook request.
    #[arg(long, default_value_t = 100)]
    pub per_request: usize,
    /// Connections the load generator uses.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// The `redis-server` binary.
    #[arg(long, default_value = "/usr/bin/redis-server")]
    pub redis: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// How long the bench waits for the members at most.
const PATIENCE: Duration = Duration::from_secs(600);

pub fn run(args: TeamArgs) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let report = rt.block_on(measure(&args))?;
    println!("{report}");
    Ok(())
}

async fn measure(args: &TeamArgs) -> Result<String, String> {
    let (redis_dir, _redis, url) = start_redis(&args.redis).await?;
    let team = |name: String| {
        vec![
            "--team".to_string(),
            url.clone(),
            "--member-name".into(),
            name,
        ]
    };
    let mut members = Vec::new();
    for i in 0..args.members.max(1) {
        eprintln!("starting member m{i}");
        members.push(peers::start_causeway_with(&[], &team(format!("m{i}"))).await?);
    }
    let stream = Stream::generate(args.alerts, args.seed, chrono::Utc::now());
    let all: Vec<&Alert> = stream.alerts().collect();
    let requests: Vec<Request> = all
        .chunks(args.per_request.max(1))
        .map(|batch| Request {
            bytes: load::post(
                "127.0.0.1",
                "/webhooks/alertmanager/default",
                "Alertmanager/0.25.0",
                &alerts::webhook_body(batch),
            ),
            alerts: batch.len(),
        })
        .collect();
    eprintln!("sending {} alerts to m0", args.alerts);
    let started = Instant::now();
    let out = load::run(members[0].addr, Arc::new(requests), args.connections, None).await?;
    let accepted = started.elapsed();
    if out.errors > 0 {
        return Err(format!(
            "{} requests refused: {}",
            out.errors,
            out.first_error.unwrap_or_default()
        ));
    }
    let signals = out.accepted_alerts;
    let mut applied = Vec::new();
    for m in &members {
        applied.push(until_applied(m, signals, started).await?);
    }
    let everywhere = applied.iter().copied().max().unwrap_or_default();
    eprintln!("starting a late member");
    let late_started = Instant::now();
    let late = peers::start_causeway_with(&[], &team("late".into())).await?;
    let caught_up = until_applied(&late, signals, late_started).await?;
    drop(redis_dir);
    Ok(table(
        args, signals, accepted, &applied, everywhere, caught_up,
    ))
}

/// Starts `redis-server` on a free loopback port in a folder of its own.
async fn start_redis(
    bin: &std::path::Path,
) -> Result<(TempDir, peers::ChildGuard, String), String> {
    if !bin.exists() {
        return Err(format!(
            "redis-server is not installed at {}: run `apt-get install redis-server` \
             (Debian's package), or pass --redis PATH",
            bin.display()
        ));
    }
    let dir = TempDir::new("causeway-bench-redis")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        &dir.path().display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let child = peers::ChildGuard(peers::spawn(bin, &args, dir.path(), &[])?);
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if Instant::now() > deadline {
            return Err("redis-server did not come up".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((dir, child, format!("redis://127.0.0.1:{port}/0")))
}

/// When `m` has normalized `signals` signals, counted from `since`.
async fn until_applied(m: &Server, signals: u64, since: Instant) -> Result<Duration, String> {
    loop {
        let metrics = load::get(m.addr, "/metrics").await?;
        let text = String::from_utf8_lossy(&metrics.body);
        if counter(&text, "causeway_signals_total") >= signals {
            return Ok(since.elapsed());
        }
        if since.elapsed() > PATIENCE {
            return Err(format!(
                "a member applied {} of {signals} signals in {} s",
                counter(&text, "causeway_signals_total"),
                PATIENCE.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn table(
    args: &TeamArgs,
    signals: u64,
    accepted: Duration,
    applied: &[Duration],
    everywhere: Duration,
    caught_up: Duration,
) -> String {
    let rate = |d: Duration| signals as f64 / d.as_secs_f64().max(1e-9);
    let mut t = format!(
        "# causeway bench team\n\n{} alerts, {} per request, to one of {} members on one redis-server; \
         then one more member joins. {} cores.\n\n| measure | value |\n|---|---|\n",
        signals,
        args.per_request,
        args.members,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    t.push_str(&format!(
        "| accepted by the member taking the webhooks | {:.1} s ({:.0} alerts/s) |\n",
        accepted.as_secs_f64(),
        rate(accepted)
    ));
    for (i, d) in applied.iter().enumerate() {
        t.push_str(&format!(
            "| applied on m{i} | {:.1} s ({:.0} alerts/s) |\n",
            d.as_secs_f64(),
            rate(*d)
        ));
    }
    t.push_str(&format!(
        "| **team log throughput** (applied on every member) | **{:.0} alerts/s** |\n",
        rate(everywhere)
    ));
    t.push_str(&format!(
        "| **catch-up of a member started afterwards** | {:.1} s, **{:.0} alerts/s** |\n",
        caught_up.as_secs_f64(),
        rate(caught_up)
    ));
    t
}
