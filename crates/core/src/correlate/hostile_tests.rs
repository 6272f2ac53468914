//! Whatever the alerts say, the engine decides without panicking: random
//! labels, titles, entities, times and statuses, in and out of order.

use super::*;
use crate::signal::SignalStatus;
use chrono::TimeZone;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "OOMKilled",
    "ConfigMap/shop/x configured",
    "Secret shop/",
    "Killed process 12 (",
    ")",
    "calls to",
    "api.example.com",
    "5xx",
    "latency",
    "NodeNotReady",
    "évènement",
    "日本",
    "",
    " ",
    "/",
    "::",
    "outbound|80||a.b.svc.cluster.local",
    "Back-off restarting",
    "(",
    "%",
    "memory & usage",
    "will fill",
    "Watchdog",
    "cart",
    "front-end",
    "node-1",
];
const KEYS: &[&str] = &[
    "alertname",
    "namespace",
    "pod",
    "exported_pod",
    "node",
    "service",
    "job",
    "app",
    "destination_service",
    "upstream",
    "peer.service",
    "target",
    "severity",
    "priority",
    "related.files",
    "kube_namespace",
    "host",
    "instance",
];

#[test]
fn random_signals_never_panic_the_engine_or_its_analysis() {
    let topo = {
        let mut b = crate::topology::TopologyBuilder::new();
        b.add_document(&serde_json::json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop"}, "spec": {"type": "ExternalName", "externalName": "api.example.com"}}));
        b.add_document(&serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}));
        Arc::new(b.build())
    };
    let mut e = Engine::with_topology(CorrelationConfig::default(), topo);
    let mut rng = Rng(0x5eed);
    let base = Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap();
    let mut seen = Vec::new();
    for i in 0..3000 {
        let mut title = String::new();
        for _ in 0..(rng.next() % 5) {
            title.push_str(rng.pick(WORDS));
            title.push(' ');
        }
        let at = base + chrono::Duration::seconds((rng.next() % 20_000) as i64 - 500);
        let entity = match rng.next() % 4 {
            0 => None,
            1 => Some("pod/shop/cart-7d9f8b6c5-x2b4k"),
            2 => Some("node/node-1"),
            _ => Some("host/whatever"),
        };
        let fp = format!("fp-{}", rng.next() % 60);
        let mut s = crate::signal::test_alert(format!("sig-{i}"), &fp, entity, &title, at);
        for _ in 0..(rng.next() % 6) {
            s.tags.insert(rng.pick(KEYS).into(), rng.pick(WORDS).into());
        }
        s.description = rng
            .next()
            .is_multiple_of(2)
            .then(|| rng.pick(WORDS).to_string());
        s.source_type =
            ["ALERTMANAGER", "K8S_EVENT", "DATADOG_ALERT"][(rng.next() % 3) as usize].into();
        s.status = [
            SignalStatus::Firing,
            SignalStatus::Resolved,
            SignalStatus::Info,
        ][(rng.next() % 3) as usize];
        s.severity =
            [Severity::Info, Severity::Medium, Severity::Critical][(rng.next() % 3) as usize];
        if let Decision::Attach { link, .. } = e.observe(&s) {
            assert!((0.0..=1.0).contains(&link.score), "{link:?}");
            assert!(!link.explanation.is_empty());
        }
        seen.push(s);
    }
    // The analysis of any handful of them holds too.
    for chunk in seen.chunks(37) {
        let a = e.analyse(chunk);
        if let Some(r) = a.root_cause {
            assert!(!r.explanation.contains("upstream:  "), "{}", r.explanation);
        }
    }
}
