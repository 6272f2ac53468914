//! The consumer loop: connect, make the group, take this consumer's own
//! pending entries, then read new ones and claim abandoned ones, committing
//! each batch before it is acknowledged. Any failure reconnects after a
//! backoff; what was read and not acknowledged stays pending at the broker
//! and comes back first.

use super::connect::{connect, describe, redacted_url, Connection, Target};
use super::{
    Settings, StartFrom, ENTRIES, ENTRY_HEADER, ID, MAX_BODY, POISON_HEADER, STREAM_HEADER,
};
use crate::runtime::{
    BoxFuture, Commit, ErrorClass, ItemVersion, Payload, Report, Source, SourceContext,
    StreamTracker,
};
use crate::sources::reconnect::{retry, unusable, Failure, Reconnect};
use redis::streams::{
    StreamAutoClaimReply, StreamId, StreamInfoGroupsReply, StreamPendingCountReply,
    StreamRangeReply, StreamReadReply,
};
use redis::Value as RValue;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// How long one read waits for new entries before looking around again
/// (stop, backpressure, claims, status).
const BLOCK_MS: u64 = 1000;
/// How often the group's lag and pending count are read for the status.
const INFO_EVERY: Duration = Duration::from_secs(2);

/// Consumes a `redis-streams` instance's stream.
pub struct RedisStreamSource {
    /// Whether a connector id can map an entry's body, for checking the
    /// `format` setting ([`Settings::read`]): the registry's answer.
    pub maps: fn(&str) -> bool,
}

fn redis_failure(what: &str, e: &redis::RedisError) -> Failure {
    let text = describe(e);
    let class = if text.contains("refused:")
        || text.contains("wants a password")
        || text.contains("ACL user")
    {
        ErrorClass::Fail
    } else {
        ErrorClass::Retry
    };
    Failure {
        message: format!("{what}: {text}"),
        class,
    }
}

impl Source for RedisStreamSource {
    fn run(&self, ctx: SourceContext) -> BoxFuture<'static, ()> {
        let maps = self.maps;
        Box::pin(async move {
            let settings = match Settings::read(&ctx.instance.config, maps) {
                Ok(s) => s,
                Err(message) => return unusable(&ctx, message).await,
            };
            let consumer = settings.consumer_or(ctx.host.member_name());
            let mut st = StreamTracker::new(
                &ctx,
                redacted_url(&settings.url),
                &settings.stream,
                &settings.group,
                &consumer,
            );
            let mut r = Reconnect::new(&ctx, 30_000, "redis stream consumer");
            while r.again(&ctx) {
                match session(&ctx, &settings, &consumer, &mut st, &mut r.failures).await {
                    Ok(()) => break,
                    Err(f) => {
                        if !r.failed(&ctx, &mut st, f).await {
                            break;
                        }
                    }
                }
            }
            Reconnect::done(&ctx);
        })
    }
}

/// One connection's worth of consuming; `Ok` when stopped.
async fn session(
    ctx: &SourceContext,
    s: &Settings,
    consumer: &str,
    st: &mut StreamTracker,
    failures: &mut u32,
) -> Result<(), Failure> {
    let password = ctx
        .secret("password")
        .await
        .map_err(|e| retry(format!("cannot read the password from the keychain: {e}")))?;
    let target = Target {
        url: &s.url,
        username: s.username.as_deref(),
        password,
        ca_file: s.tls_ca_file.as_deref(),
    };
    let mut conn = connect(&target, Duration::from_millis(BLOCK_MS + 10_000))
        .await
        .map_err(retry)?;
    let start = match s.start_from {
        StartFrom::Beginning => "0",
        StartFrom::New => "$",
    };
    let made: Result<(), redis::RedisError> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&s.stream)
        .arg(&s.group)
        .arg(start)
        .arg("MKSTREAM")
        .query_async(&mut conn)
        .await;
    if let Err(e) = made {
        if e.code() != Some("BUSYGROUP") {
            return Err(redis_failure("cannot make the consumer group", &e));
        }
    }
    st.connected_once = true;
    st.set("connected", None);
    group_info(st, &mut conn, s).await;
    // This consumer's own pending entries first: read before a stop or a
    // crash, never acknowledged.
    loop {
        let r: StreamReadReply = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&s.group)
            .arg(consumer)
            .arg("COUNT")
            .arg(s.batch)
            .arg("STREAMS")
            .arg(&s.stream)
            .arg("0")
            .query_async(&mut conn)
            .await
            .map_err(|e| redis_failure("cannot read this consumer's pending entries", &e))?;
        let entries = entries_of(r);
        if entries.is_empty() {
            break;
        }
        take(ctx, s, &mut conn, st, entries, true).await?;
    }
    *failures = 0;
    ctx.report(Report::Succeeded {
        latency: Duration::ZERO,
        fetched: 0,
        published: 0,
        skipped: 0,
    });
    let claim_every = Duration::from_millis((s.claim_idle_ms / 2).clamp(500, 30_000));
    let mut claimed_at: Option<Instant> = None;
    let mut info_at = Instant::now();
    let mut stop = ctx.stop.clone();
    loop {
        if stop.is_stopped() {
            return Ok(());
        }
        let backlog = ctx.host.backlog().await;
        if backlog > s.max_backlog {
            st.set(
                "waiting",
                Some(format!(
                    "waiting: {backlog} payloads wait to be processed (more than {}); the stream holds the rest",
                    s.max_backlog
                )),
            );
            if !stop.sleep(Duration::from_millis(250)).await {
                return Ok(());
            }
            continue;
        }
        if st.status.state == "waiting" {
            st.set("connected", None);
        }
        if claimed_at.is_none_or(|t| t.elapsed() >= claim_every) {
            claim(ctx, s, consumer, &mut conn, st).await?;
            claimed_at = Some(Instant::now());
        }
        if info_at.elapsed() >= INFO_EVERY {
            group_info(st, &mut conn, s).await;
            info_at = Instant::now();
        }
        let r: StreamReadReply = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&s.group)
            .arg(consumer)
            .arg("COUNT")
            .arg(s.batch)
            .arg("BLOCK")
            .arg(BLOCK_MS)
            .arg("STREAMS")
            .arg(&s.stream)
            .arg(">")
            .query_async(&mut conn)
            .await
            .map_err(|e| redis_failure("cannot read the stream", &e))?;
        let entries = entries_of(r);
        if !entries.is_empty() {
            take(ctx, s, &mut conn, st, entries, false).await?;
        }
    }
}

/// Claims entries idle too long at any consumer (one that died), a page at
/// a time, and takes them.
async fn claim(
    ctx: &SourceContext,
    s: &Settings,
    consumer: &str,
    conn: &mut Connection,
    st: &mut StreamTracker,
) -> Result<(), Failure> {
    let mut cursor = "0-0".to_string();
    loop {
        let r: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
            .arg(&s.stream)
            .arg(&s.group)
            .arg(consumer)
            .arg(s.claim_idle_ms)
            .arg(&cursor)
            .arg("COUNT")
            .arg(s.batch)
            .query_async(conn)
            .await
            .map_err(|e| redis_failure("cannot claim abandoned entries", &e))?;
        if !r.claimed.is_empty() {
            tracing::info!(instance = %ctx.instance.id, entries = r.claimed.len(), "claimed stream entries left pending by another consumer");
            take(ctx, s, conn, st, r.claimed, true).await?;
        }
        if r.next_stream_id == "0-0" || r.next_stream_id.is_empty() {
            return Ok(());
        }
        cursor = r.next_stream_id;
    }
}

fn entries_of(r: StreamReadReply) -> Vec<StreamId> {
    r.keys.into_iter().flat_map(|k| k.ids).collect()
}

/// Commits a batch (entry ids recorded with it), then acknowledges it and
/// forgets the ids. `redelivered`: the entries were delivered before, so
/// their delivery counts are looked at (poison).
async fn take(
    ctx: &SourceContext,
    s: &Settings,
    conn: &mut Connection,
    st: &mut StreamTracker,
    entries: Vec<StreamId>,
    redelivered: bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    let id = &ctx.instance.id;
    let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    let known = ctx
        .host
        .versions(id, ENTRIES, ids.clone())
        .await
        .map_err(|e| retry(format!("cannot read which entries were stored: {e}")))?;
    let deliveries = if redelivered {
        delivery_counts(conn, s, &ids).await?
    } else {
        HashMap::new()
    };
    let mut payloads = Vec::new();
    let mut versions = Vec::new();
    let mut dead = 0u64;
    for e in entries.iter().filter(|e| !known.contains_key(&e.id)) {
        let times = deliveries.get(&e.id).copied().unwrap_or(1);
        let p = payload(s, e, times);
        dead += u64::from(p.connector_id.as_deref() == Some(ID));
        payloads.push(p);
        versions.push(ItemVersion {
            stream: ENTRIES.into(),
            key: e.id.clone(),
            hash: "stored".into(),
        });
    }
    let published = payloads.len() as u64;
    if !payloads.is_empty() {
        let commit = Commit {
            payloads,
            versions,
            checkpoint: None,
        };
        ctx.host
            .commit(&ctx.instance, commit)
            .await
            .map_err(|e| retry(format!("could not store the entries: {e}")))?;
    }
    let acked: Result<u64, redis::RedisError> = redis::cmd("XACK")
        .arg(&s.stream)
        .arg(&s.group)
        .arg(&ids)
        .query_async(conn)
        .await;
    // Not acknowledged: they stay pending and come back, and the recorded
    // ids keep them from being taken twice.
    acked.map_err(|e| redis_failure("cannot acknowledge the entries", &e))?;
    if let Err(e) = ctx.host.forget_versions(id, ENTRIES, ids.clone()).await {
        tracing::warn!(instance = %id, error = %e, "cannot forget acknowledged entry ids; they are pruned later");
    }
    st.taken(ids.last().cloned(), published, dead);
    ctx.report(Report::Succeeded {
        latency: started.elapsed(),
        fetched: ids.len() as u64,
        published,
        skipped: ids.len() as u64 - published,
    });
    Ok(())
}

/// How often each of `ids` was delivered (`XPENDING` of the group).
async fn delivery_counts(
    conn: &mut Connection,
    s: &Settings,
    ids: &[String],
) -> Result<HashMap<String, u64>, Failure> {
    let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
        return Ok(HashMap::new());
    };
    // Entries of one read come in id order, so one range covers them.
    let (lo, hi) = if first <= last {
        (first, last)
    } else {
        (last, first)
    };
    let r: StreamPendingCountReply = redis::cmd("XPENDING")
        .arg(&s.stream)
        .arg(&s.group)
        .arg(lo)
        .arg(hi)
        .arg(ids.len().max(1) * 2)
        .query_async(conn)
        .await
        .map_err(|e| redis_failure("cannot read the pending entries' delivery counts", &e))?;
    Ok(r.ids
        .into_iter()
        .map(|p| (p.id, p.times_delivered as u64))
        .collect())
}

/// The inbox payload for an entry: its field's bytes for `format`, or a
/// dead letter naming why it cannot be taken in.
pub(super) fn payload(s: &Settings, e: &StreamId, delivered: u64) -> Payload {
    let mut headers = BTreeMap::from([
        (STREAM_HEADER.to_string(), s.stream.clone()),
        (ENTRY_HEADER.to_string(), e.id.clone()),
    ]);
    let body = e.map.get(&s.field).and_then(bytes);
    let problem = match &body {
        _ if delivered > s.max_deliveries => Some(format!(
            "delivered {delivered} times without being stored (more than {})",
            s.max_deliveries
        )),
        None => Some(format!(
            "no field '{}' (it has: {})",
            s.field,
            field_names(e).join(", ")
        )),
        Some(b) if b.len() > MAX_BODY => Some(format!(
            "field '{}' holds {} bytes, over the 256 KB limit",
            s.field,
            b.len()
        )),
        Some(_) => None,
    };
    match (problem, body) {
        (None, Some(body)) => Payload {
            headers,
            body,
            connector_id: Some(s.format.clone()),
        },
        (problem, _) => {
            headers.insert(
                POISON_HEADER.to_string(),
                problem.unwrap_or_else(|| "it could not be read".into()),
            );
            Payload {
                headers,
                body: entry_json(e),
                connector_id: Some(ID.into()),
            }
        }
    }
}

fn bytes(v: &RValue) -> Option<Vec<u8>> {
    match v {
        RValue::BulkString(b) => Some(b.clone()),
        RValue::SimpleString(t) => Some(t.as_bytes().to_vec()),
        _ => None,
    }
}

fn field_names(e: &StreamId) -> Vec<String> {
    let mut names: Vec<String> = e.map.keys().cloned().collect();
    names.sort();
    names
}

/// An entry as JSON (`{"id": …, "fields": {name: text}}`, bodies cut at
/// 256 KB) for its dead letter.
fn entry_json(e: &StreamId) -> Vec<u8> {
    let fields: serde_json::Map<String, serde_json::Value> = e
        .map
        .iter()
        .map(|(k, v)| {
            let text = bytes(v)
                .map(|b| String::from_utf8_lossy(&b[..b.len().min(MAX_BODY)]).into_owned())
                .unwrap_or_else(|| format!("{v:?}"));
            (k.clone(), serde_json::Value::String(text))
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"id": e.id, "fields": fields})).unwrap_or_default()
}

/// Reads the group's lag and pending count and the newest entry. A
/// failure here only leaves the figures as they were.
async fn group_info(st: &mut StreamTracker, conn: &mut Connection, s: &Settings) {
    let groups: Result<StreamInfoGroupsReply, _> = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(&s.stream)
        .query_async(conn)
        .await;
    if let Some(g) = groups
        .ok()
        .and_then(|r| r.groups.into_iter().find(|g| g.name == s.group))
    {
        st.status.lag = g.lag.map(|l| l as u64);
        st.status.pending = g.pending as u64;
    }
    let last: Result<StreamRangeReply, _> = redis::cmd("XREVRANGE")
        .arg(&s.stream)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await;
    if let Ok(r) = last {
        st.status.last_entry_id = r.ids.into_iter().next().map(|e| e.id);
    }
    st.publish();
}
