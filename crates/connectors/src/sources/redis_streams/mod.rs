//! The native `redis-streams` connector: a Redis stream read through a
//! consumer group.
//!
//! Each entry's field (`payload` by default) holds a provider body, mapped
//! by the connector named in `format` (an Alertmanager webhook, a
//! Kubernetes Event, an ingest-API incident…), exactly as if it had been
//! posted to that connector's webhook. Delivery is the broker's at-least-once
//! made exactly-once here:
//!
//! - an entry is `XACK`ed only after its body is committed to the inbox;
//!   the commit also records the entry id, so an entry redelivered after a
//!   crash between the commit and the ack is acknowledged, not taken again;
//! - on start the consumer's own pending entries come first (what it read
//!   before it stopped), and entries idle too long at other consumers (one
//!   that died) are claimed with `XAUTOCLAIM`;
//! - an entry that cannot be taken in (no such field, over 256 KB, or
//!   delivered too often without being stored) goes to dead letters with its
//!   stream id, then is acknowledged: one bad entry never blocks the group;
//! - while the inbox is behind, reading pauses (backpressure): the stream,
//!   not the laptop's memory, holds a flood.
//!
//! The password (or an ACL user's) is a keychain secret; `rediss://` speaks
//! TLS, against the system's roots or a CA file.

mod connect;
mod consume;
mod poison;
mod probe;
#[cfg(test)]
mod tests;

pub use connect::{connect, describe, redacted_url, Connection, Target};
pub use consume::RedisStreamSource;
pub use poison::Poison;
pub use probe::{probe, Probe};

use serde::Deserialize;
use serde_json::Value;

/// The descriptor id of this connector (and of its dead letters' normalizer).
pub const ID: &str = "redis-streams";

/// The item-version stream entry ids are recorded under until acknowledged.
pub const ENTRIES: &str = "entries";

/// Headers stored with each entry's body: which stream and entry it was.
pub const STREAM_HEADER: &str = "x-causeway-redis-stream";
pub const ENTRY_HEADER: &str = "x-causeway-redis-entry";
/// Why an entry went to dead letters (read by [`Poison`]).
pub const POISON_HEADER: &str = "x-causeway-poison";

/// Entries larger than this go to dead letters (the webhook body limit).
pub const MAX_BODY: usize = 256 * 1024;

/// Where a new group starts reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartFrom {
    /// Every entry the stream still holds (`XGROUP CREATE … 0`).
    #[default]
    Beginning,
    /// Only entries added after the group is made (`$`).
    New,
}

/// An instance's settings (its `config`), as the setup form writes them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub url: String,
    pub stream: String,
    #[serde(default = "default_group")]
    pub group: String,
    #[serde(default)]
    pub consumer: Option<String>,
    #[serde(default = "default_field")]
    pub field: String,
    pub format: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub tls_ca_file: Option<String>,
    #[serde(default)]
    pub start_from: StartFrom,
    #[serde(default = "default_batch")]
    pub batch: usize,
    #[serde(default = "default_claim_idle")]
    pub claim_idle_ms: u64,
    #[serde(default = "default_max_deliveries")]
    pub max_deliveries: u64,
    #[serde(default = "default_max_backlog")]
    pub max_backlog: u64,
}

fn default_group() -> String {
    "causeway".into()
}
fn default_field() -> String {
    "payload".into()
}
fn default_batch() -> usize {
    100
}
fn default_claim_idle() -> u64 {
    60_000
}
fn default_max_deliveries() -> u64 {
    5
}
fn default_max_backlog() -> u64 {
    10_000
}

impl Settings {
    /// Reads and checks an instance's config (other keys belong to the app).
    /// `maps` says whether a connector id can map an entry's body (the
    /// `format`): the registry's answer, handed in so that this folder names
    /// no other connector. [`Settings::from_config`] reads with it.
    pub fn read(config: &Value, maps: fn(&str) -> bool) -> Result<Settings, String> {
        let mut s: Settings = serde_json::from_value(config.clone())
            .map_err(|e| format!("redis-streams settings: {e}"))?;
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|t| t.trim().is_empty());
        if blank(&s.consumer) {
            s.consumer = None;
        }
        if blank(&s.username) {
            s.username = None;
        }
        if blank(&s.tls_ca_file) {
            s.tls_ca_file = None;
        }
        if !(s.url.starts_with("redis://") || s.url.starts_with("rediss://")) {
            return Err("redis-streams settings: url must start with redis:// or rediss://".into());
        }
        let parsed = reqwest::Url::parse(&s.url)
            .map_err(|e| format!("redis-streams settings: url is not a URL: {e}"))?;
        if parsed.password().is_some() {
            return Err(
                "redis-streams settings: put the password in the password field (it goes to the keychain), not in the URL"
                    .into(),
            );
        }
        for (name, v) in [
            ("stream", &s.stream),
            ("group", &s.group),
            ("field", &s.field),
        ] {
            if v.trim().is_empty() {
                return Err(format!("redis-streams settings: {name} must not be empty"));
            }
        }
        if s.format == ID || !maps(&s.format) {
            return Err(format!(
                "redis-streams settings: no connector '{}' to map the entries with (format)",
                s.format
            ));
        }
        s.batch = s.batch.clamp(1, 1000);
        s.claim_idle_ms = s.claim_idle_ms.max(1000);
        s.max_deliveries = s.max_deliveries.max(1);
        Ok(s)
    }

    /// The consumer name: as set, else the host's member name, else `causeway`.
    pub fn consumer_or(&self, member: Option<String>) -> String {
        self.consumer
            .clone()
            .or(member)
            .unwrap_or_else(|| "causeway".into())
    }
}

#[cfg(test)]
mod settings_tests {
    use super::tests::alertmanager_only;
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_take_defaults_and_refuse_what_cannot_work() {
        let s = Settings::read(
            &json!({
                "url": "redis://127.0.0.1:6379/0", "stream": "alerts", "format": "alertmanager",
                "consumer": " ", "secretFields": ["password"]
            }),
            alertmanager_only,
        )
        .unwrap();
        assert_eq!(
            (s.group.as_str(), s.field.as_str()),
            ("causeway", "payload")
        );
        assert_eq!(s.start_from, StartFrom::Beginning);
        assert_eq!(s.consumer_or(Some("ann".into())), "ann");
        assert_eq!(s.consumer_or(None), "causeway");
        let bad = |c: Value| Settings::read(&c, alertmanager_only).unwrap_err();
        let base = json!({"url": "redis://h:1", "stream": "s", "format": "alertmanager"});
        let with = |k: &str, v: Value| {
            let mut c = base.clone();
            c[k] = v;
            c
        };
        assert!(bad(with("url", json!("http://h:1"))).contains("redis://"));
        let e = bad(with("url", json!("redis://:hunter2@h:1")));
        assert!(
            e.contains("password field") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(bad(with("format", json!("nope"))).contains("'nope'"));
        assert!(bad(with("format", json!(ID))).contains("format"));
        assert!(bad(with("stream", json!(" "))).contains("stream"));
        assert!(Settings::read(&with("startFrom", json!("new")), alertmanager_only).is_ok());
    }
}
