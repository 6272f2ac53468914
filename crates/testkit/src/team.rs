//! What the team tests ask of any member, in-process or a `causeway serve
//! --team` process: the Alertmanager bodies they send, and the check that
//! every member shows the same incidents. A member is anything that runs a
//! command of the one command list and answers its JSON.

use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};

/// A team member as the tests reach it.
pub trait Member {
    fn name(&self) -> &str;
    /// Runs `{"command": …, "args": …}`; its answer's JSON.
    fn rpc(&self, command: Value) -> impl Future<Output = Value>;
}

/// What must be the same on every member: each incident's id, status,
/// sorted signal ids and root cause, sorted by id.
pub async fn fingerprint(m: &impl Member) -> Vec<Value> {
    let list = m.rpc(json!({"command": "listIncidents"})).await;
    let mut out = Vec::new();
    for i in list["incidents"].as_array().into_iter().flatten() {
        let d = m
            .rpc(json!({"command": "getIncident", "args": {"id": i["id"]}}))
            .await;
        let mut signals: Vec<String> = d["signals"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect();
        signals.sort();
        out.push(json!({
            "id": i["id"], "status": i["status"], "rootCause": i["rootCause"],
            "signals": signals,
        }));
    }
    out.sort_by_key(|v| v["id"].as_str().unwrap_or_default().to_string());
    out
}

/// How many signals a member holds.
pub async fn signal_count(m: &impl Member) -> usize {
    let v = m
        .rpc(json!({"command": "listSignals", "args": {"unassigned": false}}))
        .await;
    v["signals"].as_array().map_or(0, Vec::len)
}

/// Waits (60 s at most) until every member has `signals` signals and the
/// same incidents; returns them.
pub async fn same_everywhere<M: Member>(members: &[&M], signals: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut lists = Vec::new();
        let mut counts = Vec::new();
        for m in members {
            counts.push(signal_count(*m).await);
            lists.push(fingerprint(*m).await);
        }
        let all_in = counts.iter().all(|c| *c == signals);
        if all_in && !lists[0].is_empty() && lists.iter().all(|l| *l == lists[0]) {
            return lists.swap_remove(0);
        }
        let names: Vec<&str> = members.iter().map(|m| m.name()).collect();
        assert!(
            Instant::now() < deadline,
            "the members {names:?} differ: signals {counts:?}\n{lists:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits (30 s at most) until exactly one of `members` holds lease `id`
/// (an instance id); its index. Two holders at once fail the test.
pub async fn lease_holder<M: Member>(members: &[&M], id: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut holders = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let v = m.rpc(json!({"command": "getTeam"})).await;
            let mine = v["leases"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|l| l["lease"] == id && l["mine"] == true);
            if mine {
                holders.push(i);
            }
        }
        if holders.len() == 1 {
            return holders[0];
        }
        assert!(
            holders.len() < 2,
            "two members hold the lease at once: {holders:?}"
        );
        assert!(Instant::now() < deadline, "nobody took the lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many entries of team `team`'s log (the stream `causeway:TEAM:log`)
/// name `id` (an instance: its definition, its items).
pub fn log_entries_naming(redis: &crate::redis_server::RedisServer, team: &str, id: &str) -> usize {
    redis
        .cli(&["XRANGE", &format!("causeway:{team}:log"), "-", "+"])
        .lines()
        .filter(|l| *l == id)
        .count()
}

/// An RFC 3339 time `secs` ago (the engine resolves what went quiet long
/// ago, and a resolved incident takes no merge).
pub fn ago(secs: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An Alertmanager notification holding `alerts`.
pub fn am(alerts: &[String]) -> Vec<u8> {
    format!(
        r#"{{"version":"4","status":"firing","alerts":[{}]}}"#,
        alerts.join(",")
    )
    .into_bytes()
}

/// One firing alert on Pod `pod` of the Deployment its name starts with.
pub fn alert(fp: &str, pod: &str, sev: &str, starts: &str) -> String {
    let deployment = pod.split('-').next().unwrap_or(pod);
    format!(
        r#"{{"status":"firing","fingerprint":"{fp}","labels":{{"alertname":"{deployment}Down","namespace":"shop","pod":"{pod}","deployment":"{deployment}","severity":"{sev}"}},
           "annotations":{{"summary":"{deployment} is down"}},"startsAt":"{starts}","endsAt":"0001-01-01T00:00:00Z"}}"#
    )
}
