//! The log reader: every entry of the team log, in order, into this
//! member's SQLite. Payloads join the inbox in runs (the pipeline processes
//! them as it does webhooks); everything that acts on the engine — a
//! person's decision, a clock tick, a cluster's topology, an ingest request
//! — waits until the inbox before it is processed, then applies, so each
//! member's engine sees the same input in the same order. The position
//! read is saved with what it brought in.

use super::log::{self, Entry, Read};
use super::Team;
use crate::incidents::decision::Decision;
use crate::App;
use causeway_store::{dead_letters, inbox, instances, meta, ts};
use redis::streams::StreamReadReply;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Entries per read, and how long a read waits for new ones.
const COUNT: usize = 256;
const BLOCK_MS: u64 = 1000;

/// The `store_meta` key of how far this member read the log.
pub(super) fn cursor_key(team: &Team) -> String {
    format!("team_cursor:{}", team.config.name)
}

pub(super) async fn run(app: App, team: Arc<Team>) {
    let key = cursor_key(&team);
    let k = key.clone();
    let mut cursor = app
        .store()
        .read(move |c| meta::get(c, &k))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| "0-0".into());
    team.lock().cursor = cursor.clone();
    let mut conn = None;
    let mut failures = 0u32;
    loop {
        let mut c = match conn.take() {
            Some(c) => c,
            None => match team.open(Duration::from_millis(BLOCK_MS + 10_000)).await {
                Ok(mut c) => {
                    check_position(&app, &team, &mut c, &cursor).await;
                    c
                }
                Err(e) => {
                    team.failed(e).await;
                    failures = failures.saturating_add(1);
                    tokio::time::sleep(Duration::from_millis(250 * u64::from(failures.min(8))))
                        .await;
                    continue;
                }
            },
        };
        let read: Result<StreamReadReply, redis::RedisError> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(COUNT)
            .arg("BLOCK")
            .arg(BLOCK_MS)
            .arg("STREAMS")
            .arg(team.key("log"))
            .arg(&cursor)
            .query_async(&mut c)
            .await;
        let reply = match read {
            Ok(r) => r,
            Err(e) => {
                team.failed(format!(
                    "cannot read the team log: {}",
                    causeway_connectors::sources::redis_streams::describe(&e)
                ))
                .await;
                failures = failures.saturating_add(1);
                tokio::time::sleep(Duration::from_millis(250 * u64::from(failures.min(8)))).await;
                continue;
            }
        };
        failures = 0;
        team.ok();
        conn = Some(c);
        let entries: Vec<Read> = reply
            .keys
            .into_iter()
            .flat_map(|k| k.ids)
            .map(|e| log::read(&e.id, &e.map))
            .collect();
        if let Some(last) = entries.last() {
            let last = last.id.clone();
            apply(&app, &team, &key, entries).await;
            cursor = last;
            let mut s = team.lock();
            s.cursor = cursor.clone();
        }
    }
}

/// On (re)connecting. A member that never read the log first puts the
/// instances it had before joining on it (the built-in receivers are
/// every member's own already), and takes the current connector
/// definitions — and, when the log was trimmed, the correlation settings
/// — from Redis, since the entries that made them may be gone. Only a new
/// member announces: one that was away may still hold an instance the
/// others deleted meanwhile. A member whose position is older than the
/// log's first entry, or newer than its last, is told in words.
async fn check_position(app: &App, team: &Team, c: &mut super::Connection, cursor: &str) {
    let info = log_info(team, c).await;
    if cursor == "0-0" {
        let defs: HashMap<String, Vec<u8>> = redis::cmd("HGETALL")
            .arg(team.key("instances"))
            .query_async(c)
            .await
            .unwrap_or_default();
        let local = app.store().read(instances::list).await.unwrap_or_default();
        for i in local {
            if !defs.contains_key(&i.id) && !i.id.starts_with("default-") {
                app.announce_instance(i).await;
            }
        }
        for d in defs.values() {
            match serde_json::from_slice::<log::InstanceDef>(d) {
                Ok(def) => app.apply_instance_def(def).await,
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable connector definition in the team's Redis")
                }
            }
        }
        // Untrimmed, the log itself brings every settings change, each at
        // its place; applying the last one first would change what comes
        // before it.
        if info.as_ref().is_some_and(|i| i.trimmed) {
            let mut latest: Vec<(String, Vec<u8>)> = Vec::new();
            let default: Result<Option<Vec<u8>>, _> = redis::cmd("GET")
                .arg(team.key("correlation"))
                .query_async(c)
                .await;
            if let Ok(Some(s)) = default {
                latest.push((crate::api::requests::default_project(), s));
            }
            let others: Result<Vec<(String, Vec<u8>)>, _> = redis::cmd("HGETALL")
                .arg(team.key("correlation:projects"))
                .query_async(c)
                .await;
            latest.extend(others.unwrap_or_default());
            for (project, s) in latest {
                if let Ok(config) = serde_json::from_slice(&s) {
                    let at = team.now();
                    let d = Decision::Settings { config, project };
                    let _ = app.apply_decision(d, at).await;
                }
            }
        }
        return;
    }
    let Some(info) = info else { return };
    let mut s = team.lock();
    if !info.last.is_empty() && older(&info.last, cursor) {
        s.warnings.insert(
            "log",
            format!(
                "the team log ends at {} but this member had read up to {cursor}: Redis lost entries (restarted without its append-only file?); new entries are read as they come",
                info.last
            ),
        );
    } else if info
        .first
        .as_deref()
        .is_some_and(|f| older(cursor, f) && info.trimmed)
    {
        s.warnings.insert(
            "log",
            format!(
                "entries after {cursor} and before {} were trimmed from the team log before this member read them (it was away longer than the log's retention)",
                info.first.as_deref().unwrap_or_default()
            ),
        );
    } else {
        s.warnings.remove("log");
    }
}

/// What `XINFO STREAM` says of the log.
struct LogInfo {
    first: Option<String>,
    last: String,
    /// Entries were trimmed (or deleted) from it.
    trimmed: bool,
}

async fn log_info(team: &Team, c: &mut super::Connection) -> Option<LogInfo> {
    let info: HashMap<String, redis::Value> = redis::cmd("XINFO")
        .arg("STREAM")
        .arg(team.key("log"))
        .query_async(c)
        .await
        .ok()?;
    let text = |k: &str| -> Option<String> {
        info.get(k)
            .and_then(|v| redis::from_redis_value::<String>(v.clone()).ok())
    };
    let first = info.get("first-entry").and_then(|v| match v {
        redis::Value::Array(e) => e
            .first()
            .and_then(|id| redis::from_redis_value::<String>(id.clone()).ok()),
        _ => None,
    });
    let number = |k: &str| -> i64 {
        info.get(k)
            .and_then(|v| redis::from_redis_value::<i64>(v.clone()).ok())
            .unwrap_or(0)
    };
    let deleted = text("max-deleted-entry-id").unwrap_or_default();
    Some(LogInfo {
        first,
        last: text("last-generated-id").unwrap_or_default(),
        trimmed: (!deleted.is_empty() && deleted != "0-0")
            || number("entries-added") > number("length"),
    })
}

/// Whether stream id `a` comes before `b`.
fn older(a: &str, b: &str) -> bool {
    let p = |x: &str| {
        let (ms, seq) = x.split_once('-').unwrap_or((x, "0"));
        (
            ms.parse::<u64>().unwrap_or(0),
            seq.parse::<u64>().unwrap_or(0),
        )
    };
    p(a) < p(b)
}

/// Applies entries in order; runs of payloads go to the inbox together.
async fn apply(app: &App, team: &Team, key: &str, entries: Vec<Read>) {
    let mut run: Vec<Read> = Vec::new();
    for r in entries {
        let own = (r.member == team.member_id).then_some(r.outbox).flatten();
        match &r.entry {
            Ok(Entry::Raw { connector, .. }) if connector != "causeway" => {
                run.push(r);
                continue;
            }
            _ => {}
        }
        flush(app, key, std::mem::take(&mut run)).await;
        let id = r.id.clone();
        match r.entry {
            Ok(Entry::Raw {
                body, received_at, ..
            }) => {
                // An ingest request: processed where it lands (its caller
                // is owed the incident, and it is idempotent on its key).
                settle(app).await;
                let result = app.ingest_from_log(body, received_at).await;
                if let Err(e) = &result {
                    tracing::warn!(entry = %id, error = %e, "ingest request from the team log not taken");
                }
            }
            Ok(Entry::Instance {
                id: iid,
                delete,
                def,
            }) => {
                match def {
                    Some(def) if !delete => app.apply_instance_def(def).await,
                    _ => app.remove_instance_def(&iid).await,
                }
                if let Some(o) = own {
                    team.answer(o, Ok(serde_json::Value::Null));
                }
            }
            Ok(Entry::Decision { decision, at }) => {
                settle(app).await;
                let result = app.apply_decision(decision, at).await;
                if let Err(e) = &result {
                    tracing::info!(entry = %id, error = %e.message, "a decision from the team log was refused here");
                }
                if let Some(o) = own {
                    team.answer(o, result);
                }
            }
            Ok(Entry::Tick { at }) => {
                settle(app).await;
                if let Err(e) = app.advance_engine(at).await {
                    tracing::error!(error = %e.message, "advancing the correlation clock failed");
                }
            }
            Ok(Entry::Topology { instance, objects }) => {
                settle(app).await;
                let objects = objects.map(|o| o.into_iter().map(Arc::new).collect());
                app.set_live_topology(&instance, objects).await;
            }
            Err(why) => {
                malformed(app, team, &id, &why, r.kept.unwrap_or_default()).await;
            }
        }
        save_cursor(app, key, &id).await;
        team.lock().applied += 1;
    }
    flush(app, key, run).await;
}

/// Puts a run of payloads into the inbox with the new position, in one
/// transaction, and wakes the pipeline.
async fn flush(app: &App, key: &str, run: Vec<Read>) {
    let Some(last) = run.last().map(|r| r.id.clone()) else {
        return;
    };
    let n = run.len() as u64;
    let key = key.to_string();
    let written = app
        .store()
        .write(move |c| {
            let tx = c.transaction()?;
            for r in &run {
                let Ok(Entry::Raw {
                    instance,
                    connector,
                    project,
                    received_at,
                    headers,
                    body,
                }) = &r.entry
                else {
                    continue;
                };
                let at = ts(*received_at);
                if instances::get(&tx, instance)?.is_some() {
                    inbox::insert(&tx, instance, connector, project, &at, headers, body)?;
                } else {
                    dead_letters::insert(
                        &tx,
                        &dead_letters::NewDeadLetter {
                            instance_id: None,
                            connector_id: connector,
                            project_id: project,
                            received_at: &at,
                            error: &format!(
                                "team log entry {}: connector instance '{instance}' is unknown here",
                                r.id
                            ),
                            headers,
                            raw: body,
                            inbox_id: None,
                        },
                    )?;
                }
            }
            meta::set(&tx, &key, &last)?;
            tx.commit()?;
            Ok(())
        })
        .await;
    match written {
        Ok(()) => {
            if let Some(t) = app.team() {
                t.lock().applied += n;
            }
            app.wake.notify_one();
        }
        // The position did not move: the same entries are read again.
        Err(e) => tracing::error!(error = %e, "cannot take team log entries into the inbox"),
    }
}

async fn save_cursor(app: &App, key: &str, id: &str) {
    let (key, id) = (key.to_string(), id.to_string());
    if let Err(e) = app.store().write(move |c| meta::set(c, &key, &id)).await {
        tracing::error!(error = %e, "cannot save the team log position");
    }
}

/// Waits until the inbox is processed, so what comes next applies after it.
async fn settle(app: &App) {
    for _ in 0..6000 {
        app.drain().await;
        match app.store().read(inbox::pending_count).await {
            Ok(0) => return,
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    tracing::warn!(
        "the inbox did not empty within a minute; applying the next team log entry anyway"
    );
}

/// An entry no member can read: skipped by all alike, kept as a dead letter.
async fn malformed(app: &App, team: &Team, id: &str, why: &str, kept: (String, Vec<u8>)) {
    tracing::warn!(entry = %id, error = %why, "malformed team log entry skipped");
    {
        let mut s = team.lock();
        s.malformed += 1;
        s.last_malformed = Some(format!("{id}: {why}"));
    }
    let (headers, raw) = kept;
    let error = format!("team log entry {id} cannot be read: {why}");
    let at = ts(team.now());
    let _ = app
        .store()
        .write(move |c| {
            dead_letters::insert(
                c,
                &dead_letters::NewDeadLetter {
                    instance_id: None,
                    connector_id: "team-log",
                    project_id: "default",
                    received_at: &at,
                    error: &error,
                    headers: &headers,
                    raw: &raw,
                    inbox_id: None,
                },
            )
        })
        .await;
    app.emit(crate::api::views::ChangeEvent::DeadLettersChanged);
}
