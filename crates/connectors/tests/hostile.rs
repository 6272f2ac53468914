//! Hostile input for every normalizer: random, truncated, deeply nested,
//! wrong-typed and huge JSON. Each must come back as signals or a clear
//! error — never a panic, never a hang.
//!
//! The inputs are generated from a fixed seed, so a failure reproduces.

use causeway_connectors::{normalize_bytes, normalizer, Context};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/webhooks");

/// xorshift64*: tiny, deterministic, good enough to shake a parser.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn random_value(r: &mut Rng, depth: u32) -> Value {
    let pick = if depth == 0 { r.below(5) } else { r.below(7) };
    match pick {
        0 => Value::Null,
        1 => json!(r.below(2) == 0),
        2 => json!((r.next() as i64) >> r.below(60)),
        3 => json!(f64::from(r.below(1_000_000) as u32) / 7.0),
        4 => {
            let words = [
                "firing",
                "resolved",
                "critical",
                "",
                "0001-01-01T00:00:00Z",
                "2026-11-20T03:00:00Z",
                "ü🔥",
                "a:b,c:d",
                "{\"x\":1}",
                "1700000000000",
            ];
            json!(words[r.below(words.len() as u64) as usize])
        }
        5 => Value::Array(
            (0..r.below(4))
                .map(|_| random_value(r, depth - 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "alerts",
                "labels",
                "annotations",
                "status",
                "startsAt",
                "fingerprint",
                "event",
                "data",
                "tags",
                "title",
                "message",
                "Message",
                "Type",
                "timeline",
                "sourceType",
                "sourceRef",
            ];
            let mut m = serde_json::Map::new();
            for _ in 0..r.below(6) {
                m.insert(
                    keys[r.below(keys.len() as u64) as usize].into(),
                    random_value(r, depth - 1),
                );
            }
            Value::Object(m)
        }
    }
}

/// Every leaf of `v` replaced, one at a time, by values of other types.
fn retyped(v: &Value, out: &mut Vec<Value>, limit: usize) {
    fn paths(v: &Value, at: Vec<String>, acc: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                let mut p = at.clone();
                p.push(k.clone());
                acc.push(p.clone());
                paths(x, p, acc);
            }),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
                let mut p = at.clone();
                p.push(i.to_string());
                acc.push(p.clone());
                paths(x, p, acc);
            }),
            _ => {}
        }
    }
    let mut all = Vec::new();
    paths(v, Vec::new(), &mut all);
    for p in all.into_iter().take(limit) {
        for replacement in [
            Value::Null,
            json!(42),
            json!("x"),
            json!([]),
            json!({}),
            json!(true),
        ] {
            let mut c = v.clone();
            let mut slot = &mut c;
            for k in &p {
                slot = match slot {
                    Value::Object(m) => m.get_mut(k).expect("path exists"),
                    Value::Array(a) => &mut a[k.parse::<usize>().expect("index")],
                    _ => unreachable!("paths only descend into containers"),
                };
            }
            *slot = replacement;
            out.push(c);
        }
    }
}

/// Runs one input through a normalizer on its own thread: a panic or a hang
/// fails the test, with the source and a prefix of the input to reproduce it.
fn survive(id: &str, bytes: Vec<u8>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = id.to_string();
    let sample = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    std::thread::spawn(move || {
        // A GitHub-style event header too, so header-chosen variants run.
        let headers: std::collections::BTreeMap<String, String> =
            [("x-github-event".to_string(), "workflow_run".to_string())].into();
        let ctx = Context {
            headers: &headers,
            project: "p",
            instance: "i",
            received_at: Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap(),
            raw_ref: "fuzz",
        };
        let outcome =
            std::panic::catch_unwind(|| normalize_bytes(&owned, &bytes, &ctx).map(|s| s.len()));
        let _ = tx.send(outcome.is_ok());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(true) => {}
        Ok(false) => panic!("{id} panicked on: {sample}"),
        Err(_) => panic!("{id} hung (> 10 s) on: {sample}"),
    }
}

fn sources() -> Vec<(String, Vec<Vec<u8>>)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(FIXTURES).unwrap().flatten() {
        let id = dir.file_name().to_string_lossy().into_owned();
        if normalizer(&id).is_none() {
            continue;
        }
        let mut files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|f| f.path())
            .collect();
        files.sort();
        out.push((
            id,
            files.iter().map(|f| std::fs::read(f).unwrap()).collect(),
        ));
    }
    out.push(("causeway".into(), vec![serde_json::to_vec(&json!({
        "sourceType": "CUSTOM", "sourceRef": "r", "title": "t", "timeline": {"start": "2026-11-20T03:00:00Z"},
        "evidenceLite": {"metrics": [{"name": "m", "value": 1, "timestamp": "2026-11-20T03:00:00Z"}]}
    })).unwrap()]));
    out.sort();
    assert!(
        out.len() >= 2,
        "no sources found under {}",
        Path::new(FIXTURES).display()
    );
    out
}

#[test]
fn truncated_and_retyped_fixtures() {
    for (id, fixtures) in sources() {
        for bytes in &fixtures {
            // Cut at 40 points through the payload.
            let step = (bytes.len() / 40).max(1);
            for cut in (0..bytes.len()).step_by(step) {
                survive(&id, bytes[..cut].to_vec());
            }
            let v: Value = serde_json::from_slice(bytes).unwrap();
            let mut variants = Vec::new();
            retyped(&v, &mut variants, 30);
            for x in variants {
                survive(&id, serde_json::to_vec(&x).unwrap());
            }
        }
    }
}

#[test]
fn random_deep_and_huge_json() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    for (id, _) in sources() {
        for _ in 0..300 {
            let v = random_value(&mut r, 6);
            survive(&id, serde_json::to_vec(&v).unwrap());
        }
        // Deeper than serde_json's recursion limit, and just under it.
        for depth in [100, 127, 5000] {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            survive(&id, deep.into_bytes());
            let nested = format!("{}1{}", "{\"alerts\":".repeat(depth), "}".repeat(depth));
            survive(&id, nested.into_bytes());
        }
        // Huge strings and many items.
        let huge = json!({"alerts": [{"labels": {"alertname": "x".repeat(250_000)}, "status": "firing"}], "title": "y".repeat(250_000)});
        survive(&id, serde_json::to_vec(&huge).unwrap());
        let many = json!({"alerts": (0..5_000).map(|i| json!({"labels": {"alertname": i.to_string()}})).collect::<Vec<_>>()});
        survive(&id, serde_json::to_vec(&many).unwrap());
        survive(&id, vec![0xff, 0xfe, 0x00, b'{']);
    }
}
