//! Team mode across real processes: `causeway serve --team` members on one
//! real `redis-server` (Debian's package). Webhooks posted to different
//! members give every live member the same incidents; a merge made on one
//! shows on the others; a member killed with SIGKILL takes nothing with it;
//! a member started later catches up; with Redis down for 30 s, webhooks
//! are still accepted and arrive everywhere once it is back; a pulled
//! connector runs in exactly one process and moves, from its checkpoint,
//! when that process is killed. And a Redis stream consumer killed
//! mid-stream takes every entry exactly once after its restart.

mod common;

use causeway_testkit::prometheus_api::FakePrometheus;
use causeway_testkit::redis_server::RedisServer;
use causeway_testkit::team::{
    ago, alert, am, lease_holder, log_entries_naming, same_everywhere, signal_count, Member,
};
use common::Server;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A `causeway serve --team` process on its own data folder.
struct Process {
    name: String,
    server: Server,
    _dir: tempfile::TempDir,
}

impl Process {
    fn start(redis: &RedisServer, name: &str) -> Process {
        Process::start_env(&[], redis, name)
    }

    /// [`Process::start`] with more environment variables.
    fn start_env(envs: &[(&str, &str)], redis: &RedisServer, name: &str) -> Process {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start_env(
            envs,
            dir.path(),
            &[
                "--team",
                &redis.url(),
                "--team-name",
                "t",
                "--member-name",
                name,
                "--team-lease-ms",
                "1500",
            ],
        );
        Process {
            name: name.into(),
            server,
            _dir: dir,
        }
    }

    /// A delivery to its default Alertmanager receiver: 202 at once.
    async fn post(&self, body: Vec<u8>) {
        let (status, answer) = self.server.post_webhook(body).await;
        assert_eq!(status, 202, "{} refused a webhook: {answer}", self.name);
    }

    async fn team(&self) -> Value {
        self.rpc(json!({"command": "getTeam"})).await
    }
}

impl Member for Process {
    fn name(&self) -> &str {
        &self.name
    }

    async fn rpc(&self, command: Value) -> Value {
        let (status, answer) = self
            .server
            .api("POST", "/api/rpc", Some(command.clone()))
            .await;
        assert_eq!(status, 200, "{}: {command} → {answer}", self.name);
        answer
    }
}

/// Waits (30 s at most) until every member says it reaches Redis.
async fn connected(members: &[&Process]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for m in members {
        while m.team().await["state"] != "connected" {
            assert!(
                Instant::now() < deadline,
                "{} did not join the team",
                m.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_processes_share_incidents_survive_a_kill_and_a_redis_outage() {
    let mut redis = RedisServer::start();
    let a = Process::start(&redis, "alpha");
    let b = Process::start(&redis, "beta");
    let c = Process::start(&redis, "gamma");
    connected(&[&a, &b, &c]).await;

    // Related alerts land on different members.
    a.post(am(&[
        alert("f1", "cart-1", "critical", &ago(900)),
        alert("f2", "cart-2", "critical", &ago(895)),
    ]))
    .await;
    b.post(am(&[alert("f3", "cart-3", "critical", &ago(890))]))
        .await;
    c.post(am(&[alert("g1", "db-0", "critical", &ago(600))]))
        .await;
    let list = same_everywhere(&[&a, &b, &c], 4).await;
    assert!(list.len() >= 2, "several incidents: {list:#?}");

    // A merge made on one member shows on the others.
    let (from, into) = (list[0]["id"].clone(), list[1]["id"].clone());
    b.rpc(json!({"command": "mergeIncidents", "args": {"from": from, "into": into}}))
        .await;
    let merged = same_everywhere(&[&a, &b, &c], 4).await;
    let into_now = merged.iter().find(|i| i["id"] == into).unwrap();
    assert_eq!(
        into_now["signals"].as_array().unwrap().len(),
        list[0]["signals"].as_array().unwrap().len() + list[1]["signals"].as_array().unwrap().len(),
        "{merged:#?}"
    );

    // SIGKILL of one member: the others go on and agree.
    c.server.kill9();
    a.post(am(&[alert("h1", "web-0", "critical", &ago(120))]))
        .await;
    let after_kill = same_everywhere(&[&a, &b], 5).await;

    // A member started later catches up to the same list.
    let d = Process::start(&redis, "delta");
    assert_eq!(same_everywhere(&[&a, &b, &d], 5).await, after_kill);

    // Redis down for 30 s: webhooks are still taken at once, wait in each
    // member's outbox, and arrive everywhere once Redis is back.
    redis.stop();
    let t = Instant::now();
    a.post(am(&[alert("k1", "queue-0", "critical", &ago(30))]))
        .await;
    d.post(am(&[alert("k2", "queue-1", "critical", &ago(27))]))
        .await;
    assert!(t.elapsed() < Duration::from_secs(5), "accepted at once");
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(a.team().await["state"], "unreachable");
    assert!(a.team().await["outbox"].as_i64().unwrap() >= 1);
    redis.resume();
    let back = same_everywhere(&[&a, &b, &d], 7).await;
    assert_ne!(
        back, after_kill,
        "the alerts taken during the outage are in"
    );
    // Nothing doubled: seven alerts, seven signals, on every member.
    for m in [&a, &b, &d] {
        assert_eq!(signal_count(m).await, 7, "{}", m.name);
        assert_eq!(m.team().await["outbox"], 0, "{}", m.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pulled_connector_runs_in_one_process_and_moves_when_that_one_is_killed() {
    let redis = RedisServer::start();
    let prom = FakePrometheus::start().await;
    let mut members = vec![
        Process::start(&redis, "one"),
        Process::start(&redis, "two"),
        Process::start(&redis, "three"),
    ];
    connected(&members.iter().collect::<Vec<_>>()).await;
    let (status, created) = members[0]
        .server
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({"descriptorId": "prometheus", "projectId": "default",
                "name": "prod prometheus", "secrets": {},
                "config": {"baseUrl": prom.base, "pollIntervalMs": 1000}})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    // Listed on every member.
    for m in &members {
        let deadline = Instant::now() + Duration::from_secs(30);
        while m
            .server
            .api("GET", &format!("/api/connectors/instances/{id}"), None)
            .await
            .0
            != 200
        {
            assert!(Instant::now() < deadline, "{} does not list {id}", m.name);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Polled by exactly one process: one poller's requests per interval.
    let holder = lease_holder(&members.iter().collect::<Vec<_>>(), &id).await;
    let before = prom.requests();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let n = prom.requests() - before;
    assert!(
        (2..=6).contains(&n),
        "one poller at 1/s: {n} requests in 4 s"
    );
    same_everywhere(&members.iter().collect::<Vec<_>>(), 1).await;

    // SIGKILL of the holder; another process polls within TTL + one interval.
    let naming = log_entries_naming(&redis, "t", &id);
    assert!(naming > 0, "the log names the instance");
    let dead = members.remove(holder);
    let dead_name = dead.name.clone();
    dead.server.kill9();
    let died = Instant::now();
    let before = prom.requests();
    while prom.requests() == before {
        assert!(died.elapsed() < Duration::from_secs(30), "nobody took over");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // TTL (1.5 s) + one interval (1 s), a heartbeat of slack (0.5 s), and
    // a second and a half for busy processes (CI runs these tests side by
    // side) to notice.
    assert!(
        died.elapsed() < Duration::from_millis(4500),
        "took over after {:?}",
        died.elapsed()
    );
    let live: Vec<&Process> = members.iter().collect();
    let next = lease_holder(&live, &id).await;
    assert_ne!(live[next].name, dead_name);
    // It resumed from the state in Redis: the firing alert it already
    // published is not published again.
    while prom.requests() <= before + 1 {
        assert!(
            died.elapsed() < Duration::from_secs(30),
            "the new holder stopped polling"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(log_entries_naming(&redis, "t", &id), naming);
    for m in &live {
        assert_eq!(signal_count(*m).await, 1, "{}", m.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_consumer_killed_mid_stream_takes_every_entry_once() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (status, created) = server
        .api(
            "POST",
            "/api/connectors/instances",
            Some(
                json!({"descriptorId": "redis-streams", "projectId": "default",
                "name": "alerts stream", "secrets": {},
                "config": {"url": redis.url(), "stream": "alerts", "group": "causeway",
                    "field": "payload", "format": "alertmanager"}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    // Entries keep coming while the consumer takes them, and it is killed
    // once it has started on them, before the stream is complete.
    let client = redis.client();
    let adder = std::thread::spawn(move || {
        for i in 0..300 {
            let alert = alert(&format!("s{i}"), &format!("api-{i}"), "warning", &ago(60));
            let body = String::from_utf8(am(&[alert])).unwrap();
            let id = client.cli(&["XADD", "alerts", "*", "payload", &body]);
            assert!(id.contains('-'), "XADD answered {id}");
            std::thread::sleep(Duration::from_millis(3));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while signals(&server).await == 0 {
        assert!(Instant::now() < deadline, "the consumer took nothing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill9();
    let written: usize = redis.cli(&["XLEN", "alerts"]).trim().parse().unwrap();
    assert!(
        written < 300,
        "killed mid-stream ({written} of 300 entries written)"
    );
    adder.join().unwrap();
    // Restarted on the same data folder: every entry is one signal.
    let server = Server::start(dir.path(), &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while signals(&server).await < 300 {
        assert!(
            Instant::now() < deadline,
            "{} of 300 entries arrived",
            signals(&server).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = server.get_json("/api/signals").await;
    let mut fingerprints: Vec<&str> = list["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort();
    assert_eq!(fingerprints.len(), 300, "one signal per entry");
    fingerprints.dedup();
    assert_eq!(
        fingerprints.len(),
        300,
        "none lost, none doubled (killed at {written} of 300 written)"
    );
    // Every entry was acknowledged: the group's pending list ends empty.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending = redis.cli(&["XPENDING", "alerts", "causeway"]);
        if pending.lines().next() == Some("0") {
            break;
        }
        assert!(Instant::now() < deadline, "entries left pending: {pending}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many signals `server` holds.
async fn signals(server: &Server) -> usize {
    server.get_json("/api/signals").await["signals"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_whose_clock_is_off_agrees_with_the_others_and_is_told() {
    let redis = RedisServer::start();
    let a = Process::start(&redis, "on-time");
    // libfaketime (Debian's faketime package) preloaded: this process's
    // wall clock two hours ahead; its timers, on the monotonic clock, run
    // as usual.
    let lib = libfaketime();
    let skewed = [
        ("LD_PRELOAD", lib.as_str()),
        ("FAKETIME", "+2h"),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ];
    let b = Process::start_env(&skewed, &redis, "ahead");
    connected(&[&a, &b]).await;
    a.post(am(&[alert("c1", "cart-1", "critical", &ago(300))]))
        .await;
    b.post(am(&[alert("c2", "cart-2", "critical", &ago(290))]))
        .await;
    // The team stamps what it takes in with Redis's time: the same
    // incidents on both, whatever the member's clock says.
    same_everywhere(&[&a, &b], 2).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let warnings = b.team().await["warnings"].to_string();
        if warnings.contains("2 h ahead of Redis") {
            break;
        }
        assert!(Instant::now() < deadline, "no clock warning: {warnings}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let a_warnings = a.team().await["warnings"].to_string();
    assert!(!a_warnings.contains("clock"), "{a_warnings}");
}

/// Where Debian's `libfaketime` is (its folder names the architecture).
fn libfaketime() -> String {
    std::fs::read_dir("/usr/lib")
        .unwrap()
        .flatten()
        .map(|e| e.path().join("faketime/libfaketime.so.1"))
        .find(|p| p.exists())
        .expect("libfaketime (Debian: apt-get install faketime)")
        .display()
        .to_string()
}
