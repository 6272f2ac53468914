//! `causeway bench correlation`: generate the labelled suites, replay them
//! with their topology, score Causeway beside the baselines, and measure
//! throughput and per-decision latency with 10k open incidents.
//! Generation and scoring live in `causeway_app::scenarios` (tested there);
//! this is the runner and the table. Timing is only here: a benchmark.

use causeway_app::replay::{replay, to_json};
use causeway_app::scenarios::score::{baseline, from_report, observe, score, Scores, BASELINES};
use causeway_app::scenarios::world::World;
use causeway_app::scenarios::{faults, suites};
use causeway_core::{CorrelationConfig, Decision, Engine};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::time::Instant;

const F1: f64 = 0.95;
const RCA: f64 = 0.90;
const NR: f64 = 0.85;

/// Runs everything and returns the Markdown report.
pub fn run(seed: u64, out: Option<&Path>) -> Result<String, String> {
    let worlds = World::all(seed);
    let all = suites(seed, &worlds);
    // family → [causeway, baselines...]
    let mut by_family: BTreeMap<String, Vec<Scores>> = BTreeMap::new();
    let mut overall = vec![Scores::default(); 1 + BASELINES.len()];
    let mut signals = 0;
    for s in &all {
        let topology = &worlds[s.world].topology;
        let report = replay(&s.events, CorrelationConfig::default(), Some(topology));
        signals += report.stats.signals;
        let obs = observe(&s.events);
        let mut row = vec![score(&obs, &s.truth, &from_report(&report), topology)];
        for b in BASELINES {
            row.push(score(&obs, &s.truth, &baseline(b, &obs), topology));
        }
        let acc = by_family
            .entry(s.family.clone())
            .or_insert_with(|| vec![Scores::default(); row.len()]);
        for (i, sc) in row.into_iter().enumerate() {
            acc[i] += sc;
            overall[i] += sc;
        }
        if let Some(dir) = out {
            let d = dir.join(&s.name);
            write(&d.join("events.ndjson"), &s.events)?;
            let truth = serde_json::to_string_pretty(&s.truth).map_err(|e| e.to_string())?;
            write(&d.join("truth.json"), &(truth + "\n"))?;
            write(&d.join("report.json"), &to_json(&report))?;
        }
    }
    if let Some(dir) = out {
        for w in &worlds {
            for (name, text) in &w.files {
                write(&dir.join("topology").join(&w.name).join(name), text)?;
            }
        }
    }
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Seed {seed}: {} suites, {signals} signals.\n",
        all.len()
    );
    let _ = write!(md, "| family | Causeway F1 | RCA | noise red. |");
    for b in BASELINES {
        let _ = write!(md, " {b} F1 | RCA | noise red. |");
    }
    md.push('\n');
    md.push_str(&"|---".repeat(4 + 3 * BASELINES.len()));
    md.push_str("|\n");
    let order = faults::FAMILIES.iter().copied().chain(["mixed"]);
    for family in order {
        if let Some(row) = by_family.get(family) {
            md.push_str(&table_row(family, row));
        }
    }
    md.push_str(&table_row("**overall**", &overall));
    let _ = writeln!(
        md,
        "| target | ≥ {F1} | ≥ {RCA} | ≥ {NR} |{}",
        " | | |".repeat(BASELINES.len())
    );
    let c = overall[0];
    let beats = overall[1..].iter().all(|b| {
        c.f1() > b.f1()
            && c.root_cause_accuracy() > b.root_cause_accuracy()
            && c.noise_reduction() > b.noise_reduction()
    });
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let _ = writeln!(
        md,
        "\nOverall: F1 {} ({:.3}), RCA {} ({:.3}), noise reduction {} ({:.3}), better than every baseline on all three: {}.",
        verdict(c.f1() >= F1), c.f1(),
        verdict(c.root_cause_accuracy() >= RCA), c.root_cause_accuracy(),
        verdict(c.noise_reduction() >= NR), c.noise_reduction(),
        if beats { "yes" } else { "NO" },
    );
    let _ = writeln!(
        md,
        "Causeway overall: precision {:.3}, recall {:.3}, {} incidents for {} firing alert identities, {}/{} roots named.",
        c.precision(), c.recall(), c.incidents, c.firing_identities, c.roots_right, c.clusters
    );
    md.push_str(&performance(10_000));
    Ok(md)
}

fn table_row(name: &str, row: &[Scores]) -> String {
    let mut s = format!("| {name} |");
    for sc in row {
        let _ = write!(
            s,
            " {:.3} | {:.3} | {:.3} |",
            sc.f1(),
            sc.root_cause_accuracy(),
            sc.noise_reduction()
        );
    }
    s.push('\n');
    s
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A large storm: `n` workloads, each with one firing alert (so `n`
/// incidents open), then a second alert on each. Alertmanager notifications
/// of 50 alerts.
fn storm(n: usize) -> String {
    let mut lines = String::new();
    for phase in 0..2 {
        for chunk in 0..n.div_ceil(50) {
            let at = phase * 900 + chunk * 600 / n.div_ceil(50);
            let alerts: Vec<serde_json::Value> = (chunk * 50..((chunk + 1) * 50).min(n))
                .map(|i| {
                    let name = if phase == 0 { "KubePodCrashLooping" } else { "HighErrorRate" };
                    json!({"status": "firing", "labels": {"alertname": name, "namespace": format!("team-{}", i % 40),
                        "pod": format!("svc-{i}-7d9f8b6c5-x2b4k"), "severity": "critical"},
                        "startsAt": causeway_app::scenarios::emit::time(at as i64), "endsAt": "0001-01-01T00:00:00Z",
                        "fingerprint": format!("{phase}-{i}")})
                })
                .collect();
            let line = json!({"at": causeway_app::scenarios::emit::time(at as i64), "source": "alertmanager",
                "body": {"status": "firing", "groupKey": format!("{{}}:{{chunk=\"{chunk}\"}}"), "alerts": alerts}});
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
    }
    lines
}

fn performance(n: usize) -> String {
    let events = storm(n);
    let t = Instant::now();
    let report = replay(&events, CorrelationConfig::default(), None);
    let secs = t.elapsed().as_secs_f64();
    let obs = observe(&events);
    let mut engine = Engine::new(CorrelationConfig::default());
    let mut open = 0;
    let mut latencies = Vec::new();
    for o in &obs {
        let t = Instant::now();
        let d = engine.observe(&o.signal);
        let dt = t.elapsed();
        if open >= n {
            latencies.push(dt.as_secs_f64() * 1e6);
        }
        if matches!(d, Decision::Attach { opened: true, .. }) {
            open += 1;
        }
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    format!(
        "\nThroughput: `replay` of a {} signal storm ({} incidents at peak) in {:.3} s = {:.0} signals/s.\nPer-decision latency (`Engine::observe`) with {open} open incidents, over {} decisions: p50 {:.1} µs, p99 {:.1} µs.\n",
        report.stats.signals,
        report.stats.incidents,
        secs,
        report.stats.signals as f64 / secs,
        latencies.len(),
        pct(0.5),
        pct(0.99),
    )
}
