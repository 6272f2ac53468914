//! The consumer against a real `redis-server`, with an in-memory host that
//! records commits (and can refuse them, or report a backlog).

use super::*;
use crate::runtime::{stop_pair, InstanceInfo, Source, SourceContext, StopHandle};
use causeway_core::Sensitive;
use causeway_testkit::redis_server::RedisServer;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::sources::memory_host::MemoryHost as Memory;

/// The connectors these tests map entries with, standing in for the
/// registry's answer (which knows them all: `registry::tests`).
pub(super) fn alertmanager_only(id: &str) -> bool {
    id == "alertmanager"
}

fn config(redis: &RedisServer, extra: serde_json::Value) -> serde_json::Value {
    let mut c = json!({"url": redis.url(), "stream": "alerts", "format": "alertmanager", "claimIdleMs": 1000});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn start(config: serde_json::Value, host: Arc<Memory>, password: Option<&str>) -> StopHandle {
    let (handle, stop) = stop_pair();
    let secrets: BTreeMap<String, Sensitive<String>> = password
        .map(|p| ("password".to_string(), Sensitive::new(p.to_string())))
        .into_iter()
        .collect();
    let ctx = SourceContext {
        instance: InstanceInfo {
            id: "redis-streams-test".into(),
            descriptor_id: ID.into(),
            project_id: "default".into(),
            name: "test".into(),
            config,
        },
        host,
        keychain: crate::secrets::Keychain::new("causeway-never-used"),
        stop,
        http: crate::runtime::http_client().unwrap(),
        overrides: Some(Arc::new(Mutex::new(secrets))),
    };
    tokio::spawn(
        RedisStreamSource {
            maps: alertmanager_only,
        }
        .run(ctx),
    );
    handle
}

fn alert(n: usize) -> String {
    json!({"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": format!("A{n}")}, "startsAt": "2026-01-01T00:00:00Z"}]}).to_string()
}

async fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn pending(r: &RedisServer) -> String {
    r.cli(&["XPENDING", "alerts", "causeway"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_are_committed_then_acknowledged_and_poison_goes_to_dead_letters() {
    let r = RedisServer::start();
    for n in 0..3 {
        r.cli(&["XADD", "alerts", "*", "payload", &alert(n)]);
    }
    r.cli(&["XADD", "alerts", "*", "other", "x"]);
    let host = Arc::new(Memory::default());
    let stop = start(config(&r, json!({})), host.clone(), None);
    until("4 payloads", || host.payloads().len() == 4).await;
    until("nothing pending", || pending(&r).starts_with('0')).await;
    let p = host.payloads();
    assert!(p[..3]
        .iter()
        .all(|p| p.connector_id.as_deref() == Some("alertmanager")));
    assert_eq!(p[0].body, alert(0).as_bytes());
    assert_eq!(p[0].headers[STREAM_HEADER], "alerts");
    assert!(p[0].headers[ENTRY_HEADER].contains('-'));
    // The entry without the field: a dead letter with its stream id.
    assert_eq!(p[3].connector_id.as_deref(), Some(ID));
    assert!(p[3].headers[POISON_HEADER].contains("no field 'payload' (it has: other)"));
    let h = std::collections::BTreeMap::new();
    let mut headers = p[3].headers.clone();
    headers.extend(h);
    let ctx = crate::runtime::Context {
        project: "default",
        instance: "i",
        received_at: chrono::Utc::now(),
        raw_ref: "inbox:1",
        headers: &headers,
    };
    let e = crate::runtime::Normalizer::normalize_bytes(&Poison, &p[3].body, &ctx).unwrap_err();
    assert!(e.to_string().contains("stream alerts entry "), "{e}");
    // Acknowledged ids are forgotten again.
    assert!(host.versions.lock().unwrap().is_empty());
    let st = host.status.lock().unwrap().clone().unwrap();
    assert_eq!(
        (st.state.as_str(), st.taken, st.dead_lettered),
        ("connected", 4, 1)
    );
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_commit_leaves_entries_pending_and_they_come_back_once() {
    let r = RedisServer::start();
    let host = Arc::new(Memory::default());
    host.refuse.store(true, Ordering::SeqCst);
    let stop = start(config(&r, json!({})), host.clone(), None);
    // The group is made by the consumer; then an entry it cannot store.
    until("the group", || {
        r.cli(&["XINFO", "GROUPS", "alerts"]).contains("causeway")
    })
    .await;
    r.cli(&["XADD", "alerts", "*", "payload", &alert(1)]);
    until("the entry pending", || pending(&r).starts_with('1')).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(host.payloads().is_empty());
    host.refuse.store(false, Ordering::SeqCst);
    until("the entry taken", || host.payloads().len() == 1).await;
    until("nothing pending", || pending(&r).starts_with('0')).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(host.payloads().len(), 1, "taken once");
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_stored_before_a_crash_is_acknowledged_not_taken_again() {
    let r = RedisServer::start();
    r.cli(&["XGROUP", "CREATE", "alerts", "causeway", "0", "MKSTREAM"]);
    let id = r.cli(&["XADD", "alerts", "*", "payload", &alert(1)]);
    // Read by this consumer, stored, then the process died before XACK.
    r.cli(&[
        "XREADGROUP",
        "GROUP",
        "causeway",
        "causeway",
        "STREAMS",
        "alerts",
        ">",
    ]);
    let host = Arc::new(Memory::default());
    host.versions
        .lock()
        .unwrap()
        .insert(id.clone(), "stored".into());
    let stop = start(config(&r, json!({})), host.clone(), None);
    until("nothing pending", || pending(&r).starts_with('0')).await;
    assert!(host.payloads().is_empty(), "not taken a second time");
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_of_a_dead_consumer_are_claimed_and_overdelivered_ones_dead_lettered() {
    let r = RedisServer::start();
    r.cli(&["XGROUP", "CREATE", "alerts", "causeway", "0", "MKSTREAM"]);
    r.cli(&["XADD", "alerts", "*", "payload", &alert(1)]);
    let ghost = r.cli(&[
        "XREADGROUP",
        "GROUP",
        "causeway",
        "ghost",
        "STREAMS",
        "alerts",
        ">",
    ]);
    assert!(!ghost.is_empty());
    // Another entry delivered six times already.
    let bad = r.cli(&["XADD", "alerts", "*", "payload", &alert(2)]);
    r.cli(&[
        "XREADGROUP",
        "GROUP",
        "causeway",
        "ghost",
        "STREAMS",
        "alerts",
        ">",
    ]);
    for _ in 0..5 {
        r.cli(&["XCLAIM", "alerts", "causeway", "ghost", "0", &bad, "FORCE"]);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let host = Arc::new(Memory::default());
    let stop = start(config(&r, json!({"maxDeliveries": 5})), host.clone(), None);
    until("both taken", || host.payloads().len() == 2).await;
    until("nothing pending", || pending(&r).starts_with('0')).await;
    let p = host.payloads();
    let poison: Vec<_> = p
        .iter()
        .filter(|p| p.connector_id.as_deref() == Some(ID))
        .collect();
    assert_eq!(poison.len(), 1);
    assert!(
        poison[0].headers[POISON_HEADER].contains("delivered"),
        "{:?}",
        poison[0].headers
    );
    assert_eq!(poison[0].headers[ENTRY_HEADER], bad);
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_waits_while_the_inbox_is_behind() {
    let r = RedisServer::start();
    let host = Arc::new(Memory::default());
    host.backlog.store(50_000, Ordering::SeqCst);
    r.cli(&["XADD", "alerts", "*", "payload", &alert(1)]);
    let stop = start(config(&r, json!({"maxBacklog": 100})), host.clone(), None);
    until("waiting", || {
        host.status
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|s| s.state == "waiting")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(host.payloads().is_empty(), "nothing read while behind");
    assert!(
        r.cli(&["XINFO", "GROUPS", "alerts"]).contains("lag\n1"),
        "the stream holds it"
    );
    host.backlog.store(0, Ordering::SeqCst);
    until("taken after", || host.payloads().len() == 1).await;
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_is_sent_and_a_wrong_one_is_said_plainly() {
    let r = RedisServer::start_with(Some("s3cret-pw"));
    r.cli(&["XADD", "alerts", "*", "payload", &alert(1)]);
    let s = Settings::read(&config(&r, json!({})), alertmanager_only).unwrap();
    let wrong = probe(&s, Some(Sensitive::new("nope".into()))).await;
    assert!(!wrong.ok);
    assert!(wrong.message.contains("password"), "{}", wrong.message);
    assert!(!wrong.message.contains("nope"));
    let none = probe(&s, None).await;
    assert!(
        !none.ok && none.message.contains("password"),
        "{}",
        none.message
    );
    let host = Arc::new(Memory::default());
    let stop = start(config(&r, json!({})), host.clone(), Some("s3cret-pw"));
    until("taken", || host.payloads().len() == 1).await;
    stop.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_shows_the_next_entries_without_acknowledging_them() {
    let r = RedisServer::start();
    r.cli(&["XGROUP", "CREATE", "alerts", "causeway", "0", "MKSTREAM"]);
    for n in 0..3 {
        r.cli(&["XADD", "alerts", "*", "payload", &alert(n)]);
    }
    r.cli(&[
        "XREADGROUP",
        "GROUP",
        "causeway",
        "c",
        "COUNT",
        "1",
        "STREAMS",
        "alerts",
        ">",
    ]);
    let before = r.cli(&["XINFO", "GROUPS", "alerts"]);
    let s = Settings::read(&config(&r, json!({})), alertmanager_only).unwrap();
    let p = probe(&s, None).await;
    assert!(p.ok, "{}", p.message);
    assert_eq!(p.payloads.len(), 2, "the two the group has not had yet");
    assert_eq!(p.payloads[0].body, alert(1).as_bytes());
    assert_eq!(
        r.cli(&["XINFO", "GROUPS", "alerts"]),
        before,
        "nothing moved"
    );
    let missing = Settings::read(
        &json!({"url": r.url(), "stream": "none-yet", "format": "alertmanager"}),
        alertmanager_only,
    )
    .unwrap();
    let p = probe(&missing, None).await;
    assert!(
        p.ok && p.message.contains("no stream 'none-yet' yet"),
        "{}",
        p.message
    );
}
