//! Team mode end to end: several Causeways, each with its own SQLite file,
//! sharing one real `redis-server` (Debian's package, on a loopback port).
//!
//! Each member runs on a tokio runtime of its own, so a member can die the
//! way a killed process does for the others: its runtime is shut down with
//! no goodbye, its leases are never given back and only expire.
//!
//! - webhooks taken by different members become the same incidents (ids,
//!   signal sets, root causes) on every member, and so does a merge;
//! - a member that joins later catches up from the log to the same list;
//! - with Redis down, webhooks are still accepted and reach every member
//!   once it is back;
//! - a pulled connector defined on one member is listed on all and polled
//!   by exactly one; when that one dies, another polls within TTL + one
//!   interval, resuming from the state in Redis (nothing published twice);
//! - a malformed log entry goes to dead letters, on every member alike.

mod member;
mod projects;

use causeway_testkit::prometheus_api::FakePrometheus;
use causeway_testkit::redis_server::RedisServer;
use causeway_testkit::team::{
    ago, alert, am, fingerprint, lease_holder, log_entries_naming, same_everywhere, signal_count,
};
use member::{until, Member};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_show_the_same_incidents_and_a_late_one_catches_up() {
    let mut redis = RedisServer::start();
    let a = Member::start(&redis.url(), "alpha").await;
    let b = Member::start(&redis.url(), "beta").await;
    until("both members connected", || async {
        a.connected().await && b.connected().await
    })
    .await;

    // Related alerts land on different members.
    a.post(am(&[
        alert("f1", "cart-1", "critical", &ago(900)),
        alert("f2", "cart-2", "critical", &ago(895)),
    ]))
    .await;
    b.post(am(&[alert("f3", "cart-3", "critical", &ago(890))]))
        .await;
    b.post(am(&[alert("g1", "db-0", "critical", &ago(600))]))
        .await;
    a.post(am(&[alert("h1", "web-0", "critical", &ago(120))]))
        .await;
    let list = same_everywhere(&[&a, &b], 5).await;
    assert!(list.len() >= 2, "several incidents: {list:#?}");

    // A merge made on one member shows on the other.
    let (from, into) = (list[0]["id"].clone(), list[1]["id"].clone());
    let merged = a
        .rpc(json!({"command": "mergeIncidents", "args": {"from": from, "into": into}}))
        .await;
    assert!(merged.is_ok(), "{merged:?}");
    let after = same_everywhere(&[&a, &b], 5).await;
    let from_now = after.iter().find(|i| i["id"] == from).unwrap();
    assert_eq!(from_now["signals"], json!([]), "{after:#?}");
    let into_now = after.iter().find(|i| i["id"] == into).unwrap();
    assert_eq!(
        into_now["signals"].as_array().unwrap().len(),
        list[0]["signals"].as_array().unwrap().len() + list[1]["signals"].as_array().unwrap().len()
    );

    // A member started later catches up to the same list.
    let c = Member::start(&redis.url(), "gamma").await;
    let all = same_everywhere(&[&a, &b, &c], 5).await;
    assert_eq!(all, after);

    // Redis down: webhooks are still accepted, and arrive everywhere after.
    redis.stop();
    let t = Instant::now();
    a.post(am(&[alert("k1", "queue-0", "critical", &ago(30))]))
        .await;
    c.post(am(&[alert("k2", "queue-1", "critical", &ago(27))]))
        .await;
    assert!(t.elapsed() < Duration::from_secs(5), "accepted at once");
    until("the members see that Redis is gone", || async {
        a.state().await == "unreachable"
    })
    .await;
    assert!(a.team().await["outbox"].as_i64().unwrap() >= 1);
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.resume();
    let back = same_everywhere(&[&a, &b, &c], 7).await;
    assert_ne!(back, after, "the alerts taken during the outage are in");
    assert_eq!(a.team().await["outbox"], 0);
    // Nothing doubled: seven alerts, seven signals, on every member.
    for m in [&a, &b, &c] {
        assert_eq!(signal_count(m).await, 7, "{}", m.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pulled_connector_runs_once_and_moves_when_its_member_dies() {
    let redis = RedisServer::start();
    let prom = FakePrometheus::start().await;
    let base = prom.base.clone();
    let mut members = vec![
        Member::start(&redis.url(), "one").await,
        Member::start(&redis.url(), "two").await,
        Member::start(&redis.url(), "three").await,
    ];
    let id = members[0]
        .add(
            "prometheus",
            "prod prometheus",
            json!({"baseUrl": base, "pollIntervalMs": 1000}),
        )
        .await;
    // Listed on every member.
    for m in &members {
        until("the instance is listed", || async {
            m.instance(&id).await.is_some()
        })
        .await;
    }
    // Polled by exactly one: one member's requests per interval.
    until("polled", || async { prom.requests() >= 2 }).await;
    let holder = lease_holder(&members.iter().collect::<Vec<_>>(), &id).await;
    let before = prom.requests();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let n = prom.requests() - before;
    assert!(
        (2..=6).contains(&n),
        "one poller at 1/s: {n} requests in 4 s"
    );
    for (i, m) in members.iter().enumerate() {
        let polls = m.instance(&id).await.unwrap()["health"]["polls"]
            .as_i64()
            .unwrap_or(0);
        assert_eq!(polls > 0, i == holder, "{} polls {polls}", m.name);
    }
    // The firing alert is one signal, everywhere.
    same_everywhere(&[&members[0], &members[1], &members[2]], 1).await;

    // The holder dies; another member polls within TTL + one interval.
    let naming = log_entries_naming(&redis, "t", &id);
    assert!(naming > 0, "the log names the instance");
    members[holder].kill();
    let died = Instant::now();
    let before = prom.requests();
    until("another member polls", || async {
        prom.requests() > before
    })
    .await;
    let ttl = Duration::from_millis(member::LEASE_MS);
    // TTL + one interval, and a heartbeat (a third of the TTL) of slack.
    let bound = ttl + Duration::from_millis(1000) + ttl / 3 + Duration::from_millis(500);
    assert!(
        died.elapsed() < bound,
        "took over after {:?}",
        died.elapsed()
    );
    let live: Vec<&Member> = members.iter().filter(|m| m.alive()).collect();
    let next = lease_holder(&live, &id).await;
    assert_ne!(live[next].name, members[holder].name);
    // It resumed from the state in Redis: the same firing alert is not
    // published again (no new log entry from it, still one signal).
    until("the new holder polled twice", || async {
        prom.requests() > before + 1
    })
    .await;
    assert_eq!(log_entries_naming(&redis, "t", &id), naming);
    for m in &live {
        assert_eq!(signal_count(*m).await, 1, "{}", m.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_log_entry_is_a_dead_letter_on_every_member() {
    let redis = RedisServer::start();
    let a = Member::start(&redis.url(), "alpha").await;
    let b = Member::start(&redis.url(), "beta").await;
    redis.cli(&[
        "XADD",
        "causeway:t:log",
        "*",
        "k",
        "raw",
        "m",
        "x",
        "b",
        "\u{1}junk",
    ]);
    redis.cli(&[
        "XADD",
        "causeway:t:log",
        "*",
        "k",
        "decision",
        "d",
        "{not json",
    ]);
    a.post(am(&[alert("z1", "api-0", "critical", &ago(60))]))
        .await;
    same_everywhere(&[&a, &b], 1).await;
    for m in [&a, &b] {
        until("two dead letters", || async {
            m.dead_letters().await.len() == 2
        })
        .await;
        let letters = m.dead_letters().await;
        assert!(letters
            .iter()
            .all(|d| d["error"].as_str().unwrap().contains("cannot be read")));
        let view = m.team().await;
        assert_eq!(view["malformed"], 2, "{view:#}");
    }
    // The fingerprints of both members' incidents are the same.
    assert_eq!(fingerprint(&a).await, fingerprint(&b).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_started_with_redis_down_takes_webhooks_and_two_alike_names_are_told() {
    let mut redis = RedisServer::start();
    let a = Member::start(&redis.url(), "twin").await;
    until("a connected", || async { a.connected().await }).await;
    // Redis is down when the second member starts: it still takes webhooks.
    redis.stop();
    let b = Member::start(&redis.url(), "twin").await;
    let t = Instant::now();
    b.post(am(&[alert("r1", "pay-0", "critical", &ago(60))]))
        .await;
    assert!(t.elapsed() < Duration::from_secs(5), "accepted at once");
    let state = b.state().await;
    assert!(
        state == "joining" || state == "unreachable",
        "a member that never reached Redis says so: {state}"
    );
    // The count is taken when the forwarder's try fails.
    until("the delivery is counted in the outbox", || async {
        b.team().await["outbox"].as_i64().unwrap_or(0) >= 1
    })
    .await;
    // Redis back: it joins, and what it took is everywhere, once.
    redis.resume();
    same_everywhere(&[&a, &b], 1).await;
    // Both go by the same name: both are told, in words, and both work.
    for m in [&a, &b] {
        until("the name clash is told", || async {
            m.team().await["warnings"].as_array().is_some_and(|w| {
                w.iter()
                    .any(|w| w.as_str().unwrap_or("").contains("also goes by 'twin'"))
            })
        })
        .await;
    }
    a.post(am(&[alert("r2", "pay-1", "critical", &ago(55))]))
        .await;
    same_everywhere(&[&a, &b], 2).await;
}
