//! The correlation engine alone over the `bench ingest` storm: the same
//! alerts, one webhook each, normalized and observed in turn at 5,000
//! alerts/s of arrival time, with no HTTP, SQLite or analysis around it.
//! Prints what an alert costs per 50,000 as the engine's state grows, to
//! tell the engine's share of the live path from the rest.
//!
//! `cargo run --release -p causeway-bench --example engine_storm -- [ALERTS]`

use causeway_bench::ingest::alerts::{webhook_body, Stream};
use chrono::{DateTime, Duration, Utc};
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVERY: usize = 50_000;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300_000);
    let base: DateTime<Utc> = "2026-11-20T12:00:00Z".parse().expect("a valid time");
    let stream = Stream::generate(n, 42, base);
    let mut engine = causeway_core::Engines::default();
    let headers = Default::default();
    let (mut normalizing, mut observing) = (0.0, 0.0);
    println!("| alerts | normalize µs/alert | observe µs/alert |");
    println!("|---:|---:|---:|");
    for (i, alert) in stream.alerts().enumerate() {
        let body = webhook_body(&[alert]);
        let raw_ref = format!("inbox:{i}");
        let ctx = causeway_connectors::Context {
            project: "default",
            instance: "default-alertmanager",
            received_at: base + Duration::microseconds(i as i64 * 200),
            raw_ref: &raw_ref,
            headers: &headers,
        };
        let t = Instant::now();
        let signals = causeway_connectors::normalize_bytes("alertmanager", &body, &ctx)
            .expect("the generator's webhooks normalize");
        normalizing += t.elapsed().as_secs_f64();
        let t = Instant::now();
        for s in &signals {
            engine.observe(s);
        }
        observing += t.elapsed().as_secs_f64();
        if (i + 1) % EVERY == 0 {
            let per = |s: f64| s * 1e6 / EVERY as f64;
            println!(
                "| {} | {:.1} | {:.1} |",
                i + 1,
                per(normalizing),
                per(observing)
            );
            (normalizing, observing) = (0.0, 0.0);
        }
    }
}
