//! What `causeway bench ingest` measures around Causeway's processing, on
//! top of the intake: how long the backlog takes to drain after the load,
//! how long an accepted alert takes to be visible in `GET /api/incidents`,
//! what the API answers cost with the storm stored, and how big the
//! process and its files are once the storm is over.
//!
//! Visibility is measured with probes: while the load runs, one alert a
//! probe interval goes to the same webhook on its own connection, each
//! critical, on its own namespace and with its own name, so it opens its
//! own incident; a poller reads `GET /api/incidents` (the list the UI
//! shows) every [`POLL`] and notes when each probe's incident first appears.

use super::load::{self, percentile, Conn};
use super::peers::{self, Server};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the poller reads the incident list.
const POLL: Duration = Duration::from_millis(100);

/// Accepted → visible, per probe.
#[derive(Debug, Default, Serialize)]
pub struct Visibility {
    pub probes_sent: usize,
    pub probes_accepted: usize,
    /// Probes seen in the list by the end of the drain.
    pub probes_seen: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The probe alert `n`, as a one-alert Alertmanager notification.
fn probe_body(n: usize) -> Vec<u8> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    serde_json::json!({
        "version": "4", "status": "firing", "receiver": "causeway",
        "groupKey": format!("{{}}:{{alertname=\"CausewayBenchProbe{n}\"}}"),
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": format!("CausewayBenchProbe{n}"), "severity": "critical",
                       "namespace": format!("bench-probe-{n}"), "pod": format!("probe-{n}-7d9f8b6c5-x2b4k")},
            "annotations": {"summary": format!("bench probe {n}")},
            "startsAt": now, "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": format!("{n:016x}")
        }]
    })
    .to_string()
    .into_bytes()
}

/// Probes running beside a load: [`Probes::start`], [`Probes::stop_sending`]
/// when the load ends, then [`Probes::finish`].
pub struct Probes {
    stop_sending: Arc<AtomicBool>,
    stop_polling: Arc<AtomicBool>,
    accepted: Arc<Mutex<BTreeMap<usize, Instant>>>,
    seen: Arc<Mutex<BTreeMap<usize, Instant>>>,
    sender: tokio::task::JoinHandle<usize>,
    poller: tokio::task::JoinHandle<()>,
}

impl Probes {
    /// Sends a probe every `every` until told to stop; polls with `token`.
    pub fn start(addr: SocketAddr, token: String, every: Duration) -> Probes {
        let stop_sending = Arc::new(AtomicBool::new(false));
        let stop_polling = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(Mutex::new(BTreeMap::new()));
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let sender = tokio::spawn({
            let (stop, accepted) = (stop_sending.clone(), accepted.clone());
            async move {
                let mut sent = 0;
                let Ok(mut conn) = Conn::open(addr).await else {
                    return 0;
                };
                while !stop.load(Ordering::Relaxed) {
                    let req = load::post(
                        "127.0.0.1",
                        "/webhooks/alertmanager/default",
                        "Alertmanager/0.25.0",
                        &probe_body(sent),
                    );
                    if let Ok(r) = conn.exchange(&req).await {
                        if r.status == 202 {
                            if let Ok(mut a) = accepted.lock() {
                                a.insert(sent, Instant::now());
                            }
                        }
                    }
                    sent += 1;
                    tokio::time::sleep(every).await;
                }
                sent
            }
        });
        let poller = tokio::spawn({
            let (stop, seen) = (stop_polling.clone(), seen.clone());
            async move {
                let Ok(mut conn) = Conn::open(addr).await else {
                    return;
                };
                let req = format!(
                    "GET /api/incidents HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
                );
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(r) = conn.exchange(req.as_bytes()).await {
                        let at = Instant::now();
                        let text = String::from_utf8_lossy(&r.body);
                        if let Ok(mut s) = seen.lock() {
                            for n in probe_numbers(&text) {
                                s.entry(n).or_insert(at);
                            }
                        }
                    }
                    tokio::time::sleep(POLL).await;
                }
            }
        });
        Probes {
            stop_sending,
            stop_polling,
            accepted,
            seen,
            sender,
            poller,
        }
    }

    /// The load is over: no more probes.
    pub fn stop_sending(&self) {
        self.stop_sending.store(true, Ordering::Relaxed);
    }

    /// Waits (up to `timeout`) for every accepted probe to be seen, stops
    /// polling, and answers the latencies.
    pub async fn finish(self, timeout: Duration) -> Visibility {
        self.stop_sending();
        let probes_sent = self.sender.await.unwrap_or(0);
        let deadline = Instant::now() + timeout;
        let count = |m: &Arc<Mutex<BTreeMap<usize, Instant>>>| m.lock().map_or(0, |m| m.len());
        while count(&self.seen) < count(&self.accepted) && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }
        self.stop_polling.store(true, Ordering::Relaxed);
        let _ = self.poller.await;
        let accepted = self.accepted.lock().map(|a| a.clone()).unwrap_or_default();
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        let mut lat: Vec<Duration> = accepted
            .iter()
            .filter_map(|(n, a)| seen.get(n).map(|s| s.saturating_duration_since(*a)))
            .collect();
        lat.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        Visibility {
            probes_sent,
            probes_accepted: accepted.len(),
            probes_seen: lat.len(),
            p50_ms: ms(percentile(&lat, 50.0)),
            p99_ms: ms(percentile(&lat, 99.0)),
            max_ms: ms(percentile(&lat, 100.0)),
        }
    }
}

/// The probe numbers named in an incident list's JSON.
fn probe_numbers(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for part in text
        .split("CausewayBenchProbe")
        .skip(1)
        .chain(text.split("bench probe ").skip(1))
    {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse() {
            out.push(n);
        }
    }
    out
}

/// Figures taken once the backlog drained.
#[derive(Debug, Default, Serialize)]
pub struct Stored {
    pub incidents: i64,
    pub signals: i64,
    /// `GET /api/incidents`, median of five, ms.
    pub list_ms: f64,
    /// The incident with the most signals: its size and `GET
    /// /api/incidents/{id}`, median of five, ms.
    pub biggest_incident_signals: i64,
    pub biggest_incident_ms: f64,
    pub db_mib: f64,
    pub wal_mib: f64,
}

async fn timed_get(addr: SocketAddr, token: &str, path: &str) -> f64 {
    let mut times = Vec::new();
    for _ in 0..5 {
        let Ok(mut conn) = Conn::open(addr).await else {
            return f64::NAN;
        };
        let req =
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
        let t = Instant::now();
        match conn.exchange(req.as_bytes()).await {
            Ok(r) if r.status == 200 => times.push(t.elapsed()),
            _ => return f64::NAN,
        }
    }
    times.sort_unstable();
    percentile(&times, 50.0).as_secs_f64() * 1000.0
}

/// The store's counts and sizes and the API's answer times.
pub async fn stored(server: &Server, token: &str) -> Result<Stored, String> {
    let data = server.data_dir();
    let conn = causeway_store::open_connection(&data).map_err(|e| e.to_string())?;
    let q = |sql: &str| {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map_err(|e| e.to_string())
    };
    let incidents = q("SELECT COUNT(*) FROM incidents")?;
    let signals = q("SELECT COUNT(*) FROM signals")?;
    let biggest: Option<(String, i64)> = conn
        .query_row(
            "SELECT id, signal_count FROM incidents ORDER BY signal_count DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    drop(conn);
    let list_ms = timed_get(server.addr, token, "/api/incidents").await;
    let (biggest_incident_signals, biggest_incident_ms) = match biggest {
        Some((id, n)) => (
            n,
            timed_get(server.addr, token, &format!("/api/incidents/{id}")).await,
        ),
        None => (0, f64::NAN),
    };
    let (db_mib, wal_mib) = peers::file_sizes(&data);
    Ok(Stored {
        incidents,
        signals,
        list_ms,
        biggest_incident_signals,
        biggest_incident_ms,
        db_mib,
        wal_mib,
    })
}
