//! Team mode across real processes: `causeway serve --team` members on one
//! real `redis-server` (Debian's package). Webhooks posted to different
//! members give every live member the same incidents; a merge made on one
//! shows on the others; a member killed with SIGKILL takes nothing with it;
//! a member started later catches up; and with Redis down for 30 s, webhooks
//! are still accepted and arrive everywhere once it is back.

mod common;

use causeway_testkit::redis_server::RedisServer;
use causeway_testkit::team::{ago, alert, am, same_everywhere, signal_count, Member};
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
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(
            dir.path(),
            &[
                "--team",
                &redis.url(),
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
