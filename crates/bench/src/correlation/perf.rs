//! Throughput and per-decision latency of the engine on a large storm: a
//! 62,500-entity graph, 10,000 open incidents. Timing is only here.

use causeway_app::history::replay::replay_shared;
use causeway_core::{CorrelationConfig, Decision, Engine, Topology, TopologyBuilder};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

use crate::scenarios::score::observe;

/// The graph of the performance storm: `services` services in 40
/// namespaces, each a Deployment, its ReplicaSet, two Pods on one of 40
/// Nodes and a Service (five entities each: 5,000 for 1,000 services), in
/// groups of five where a front service calls four back ones.
fn storm_topology(services: usize) -> Topology {
    let mut b = TopologyBuilder::new();
    for n in 0..40 {
        b.add_document(
            &json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": format!("node-{n}")}}),
        );
    }
    let mut calls = Vec::new();
    for i in 0..services {
        let ns = format!("team-{}", i % 40);
        let name = format!("svc-{i}");
        let rs = format!("{name}-7d9f8b6c5");
        let labels = json!({"app": name});
        b.add_document(&json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}}}}));
        b.add_document(&json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": rs, "namespace": ns,
            "ownerReferences": [{"kind": "Deployment", "name": name}]}}));
        for p in ["x2b4k", "q9zz2"] {
            b.add_document(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("{rs}-{p}"), "namespace": ns,
                "labels": labels, "ownerReferences": [{"kind": "ReplicaSet", "name": rs}]},
                "spec": {"nodeName": format!("node-{}", (i * 7 + p.len()) % 40)}}));
        }
        b.add_document(&json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": labels}}));
        if i % 5 != 0 {
            let front = i - i % 5;
            calls.push(json!({"from": format!("service/team-{}/svc-{front}", front % 40), "to": format!("service/{ns}/{name}")}));
        }
    }
    b.add_document(&json!({"apiVersion": "causeway/v1", "kind": "ServiceGraph", "calls": calls}));
    b.build()
}

/// A large storm over [`storm_topology`]: `n` workloads crash-loop (one
/// alert each, so `n` incidents open) — the back services of the graph
/// (front ones stay healthy, so no two failing services are related) and
/// workloads the graph does not know, one tenant namespace each — then
/// each also errors. Alertmanager
/// notifications of 50 alerts.
fn storm(n: usize, services: usize) -> String {
    let known: Vec<usize> = (0..services).filter(|i| i % 5 != 0).collect();
    let mut lines = String::new();
    for phase in 0..2 {
        for chunk in 0..n.div_ceil(50) {
            let at = phase * 900 + chunk * 600 / n.div_ceil(50);
            let alerts: Vec<serde_json::Value> = (chunk * 50..((chunk + 1) * 50).min(n))
                .map(|i| {
                    let (name, summary) = if phase == 0 {
                        ("KubePodCrashLooping", "Pod is crash looping")
                    } else {
                        ("HighErrorRate", "5xx ratio above 5%")
                    };
                    let (ns, svc) = match known.get(i) {
                        Some(k) => (format!("team-{}", k % 40), format!("svc-{k}")),
                        None => (format!("tenant-{i}"), format!("job-{i}")),
                    };
                    json!({"status": "firing", "labels": {"alertname": name, "namespace": ns,
                        "pod": format!("{svc}-7d9f8b6c5-x2b4k"), "severity": "critical"},
                        "annotations": {"summary": summary},
                        "startsAt": crate::scenarios::emit::time(at as i64), "endsAt": "0001-01-01T00:00:00Z",
                        "fingerprint": format!("{phase}-{i}")})
                })
                .collect();
            let line = json!({"at": crate::scenarios::emit::time(at as i64), "source": "alertmanager",
                "body": {"status": "firing", "groupKey": format!("{{}}:{{chunk=\"{chunk}\"}}"), "alerts": alerts}});
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
    }
    lines
}

pub fn performance(n: usize) -> String {
    // Enough back services that every failing workload is one the graph
    // knows (four in five services are back ones): `n` unrelated failures,
    // so `n` open incidents. (Workloads the graph does not know, failing by
    // the same rule at once, would rightly be one incident.)
    let services = n * 5 / 4;
    let topology = storm_topology(services);
    let events = storm(n, services);
    // Best of three: the machine is shared, and the CPU time this process
    // spent says what the work costs whatever else runs.
    let mut best = (f64::MAX, f64::MAX);
    let mut report = None;
    let shared = Arc::new(topology.clone());
    for _ in 0..3 {
        let (t, cpu) = (Instant::now(), cpu_secs());
        let r = replay_shared(&events, CorrelationConfig::default(), Some(shared.clone()));
        let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - cpu);
        best = (best.0.min(wall), best.1.min(cpu));
        report = Some(r);
    }
    let report = report.expect("ran");
    let (secs, cpu) = best;
    let obs = observe(&events);
    let mut engine = Engine::with_topology(CorrelationConfig::default(), shared);
    let mut latencies = Vec::new();
    // Nothing in the storm resolves: the incidents opened so far are open.
    let mut opened = 0;
    for o in &obs {
        let t = Instant::now();
        let d = engine.observe(&o.signal);
        let dt = t.elapsed();
        if opened >= n {
            latencies.push(dt.as_secs_f64() * 1e6);
        }
        if matches!(d, Decision::Attach { opened: true, .. }) {
            opened += 1;
        }
    }
    let open = engine.open_count();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    format!(
        "\nThroughput: `replay` (normalize + correlate + analyse) of a {} signal storm over a {}-entity graph ({} incidents) in {:.3} s = {:.0} signals/s ({:.2} s of CPU = {:.0} signals per CPU-second; load average {:.1}).\nPer-decision latency (`Engine::observe`) with {open} open incidents, over the {} decisions made while at least {n} were open: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs.\n",
        report.stats.signals,
        topology.node_count(),
        report.stats.incidents,
        secs,
        report.stats.signals as f64 / secs,
        cpu,
        report.stats.signals as f64 / cpu.max(0.01),
        loadavg(),
        latencies.len(),
        pct(0.5),
        pct(0.99),
        latencies.last().copied().unwrap_or(0.0),
    )
}

/// CPU seconds this process has used (user + system), from `/proc`.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let f: Vec<u64> = after.split(' ').map(|x| x.parse().unwrap_or(0)).collect();
    // Fields 14 and 15 (utime, stime) in clock ticks; `after` starts at field 3.
    (f.get(11).unwrap_or(&0) + f.get(12).unwrap_or(&0)) as f64 / 100.0
}

/// The 1-minute load average: how busy the shared machine was.
fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}
