//! "Test connection" for the setup form: the server answers with these
//! credentials, the key is a stream, and the next entries the group would
//! be given, read with `XRANGE` from the group's position. Nothing is
//! acknowledged and no group is made: a test changes nothing at the broker.

use super::connect::{connect, describe, redacted_url, Target};
use super::consume::payload;
use super::Settings;
use crate::runtime::Payload;
pub use crate::runtime::Probe;
use causeway_core::Sensitive;
use redis::streams::{StreamInfoGroupsReply, StreamRangeReply};
use std::time::{Duration, Instant};

/// Entries shown, at most.
const SHOWN: usize = 10;

/// Connects and reads the next entries the group would get.
pub async fn probe(s: &Settings, password: Option<Sensitive<String>>) -> Probe {
    let started = Instant::now();
    let failed = |message: String| Probe::failed(started, message);
    let shown = redacted_url(&s.url);
    let target = Target {
        url: &s.url,
        username: s.username.as_deref(),
        password,
        ca_file: s.tls_ca_file.as_deref(),
    };
    let mut conn = match connect(&target, Duration::from_secs(5)).await {
        Ok(c) => c,
        Err(m) => return failed(m),
    };
    let kind: Result<String, _> = redis::cmd("TYPE")
        .arg(&s.stream)
        .query_async(&mut conn)
        .await;
    match kind {
        Ok(k) if k == "stream" => {}
        Ok(k) if k == "none" => {
            return Probe {
                ok: true,
                latency: started.elapsed(),
                message: format!(
                    "Connected to {shown}; there is no stream '{}' yet: it is made (with the group '{}') when the connector starts, and entries added to it are taken in.",
                    s.stream, s.group
                ),
                payloads: Vec::new(),
            }
        }
        Ok(k) => {
            return failed(format!(
                "'{}' on {shown} is a {k}, not a stream",
                s.stream
            ))
        }
        Err(e) => return failed(format!("{shown}: {}", describe(&e))),
    }
    let groups: StreamInfoGroupsReply = match redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(&s.stream)
        .query_async(&mut conn)
        .await
    {
        Ok(g) => g,
        Err(e) => return failed(format!("cannot read the stream's groups: {}", describe(&e))),
    };
    let group = groups.groups.into_iter().find(|g| g.name == s.group);
    // The group's position, exclusive; a group not made yet starts as the
    // settings say.
    let from = match (&group, s.start_from) {
        (Some(g), _) => format!("({}", g.last_delivered_id),
        (None, super::StartFrom::Beginning) => "-".to_string(),
        (None, super::StartFrom::New) => {
            return Probe {
                ok: true,
                latency: started.elapsed(),
                message: format!(
                    "Connected to {shown}: stream '{}' exists; the group '{}' will be made at its end, so only entries added after the connector starts are taken in.",
                    s.stream, s.group
                ),
                payloads: Vec::new(),
            }
        }
    };
    let next: StreamRangeReply = match redis::cmd("XRANGE")
        .arg(&s.stream)
        .arg(&from)
        .arg("+")
        .arg("COUNT")
        .arg(SHOWN)
        .query_async(&mut conn)
        .await
    {
        Ok(r) => r,
        Err(e) => return failed(format!("cannot read the stream: {}", describe(&e))),
    };
    let payloads: Vec<Payload> = next.ids.iter().map(|e| payload(s, e, 1)).collect();
    let lag = group
        .as_ref()
        .and_then(|g| g.lag)
        .map(|l| format!(", {l} waiting for the group"))
        .unwrap_or_default();
    Probe {
        ok: true,
        latency: started.elapsed(),
        message: format!(
            "Connected to {shown}: stream '{}'{lag}; the next {} entr{} shown below (nothing was acknowledged).",
            s.stream,
            payloads.len(),
            if payloads.len() == 1 { "y is" } else { "ies are" }
        ),
        payloads,
    }
}
