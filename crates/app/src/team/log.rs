//! The team log's entries: what each Redis stream entry holds, read back
//! into a typed [`Entry`]. Every member reads the same entries in the same
//! order, so everything here is a pure function of the entry: an entry one
//! member cannot read, no member can, and all skip it alike.
//!
//! Fields (short names keep a busy log small):
//! `k` kind, `m` the member that wrote it, `n` its outbox row there (when
//! it came through one), and per kind:
//! - `raw` (an accepted payload): `i` instance, `c` connector, `p`
//!   project, `t` received at (team time), `h` headers JSON, `b` body;
//! - `decision` (a person's): `d` JSON [`Decision`], `t` when;
//! - `instance` (a connector definition, never a secret): `x` its id,
//!   `o` `upsert` or `delete`, `d` JSON [`InstanceDef`];
//! - `settings` (correlation settings applied): `d` JSON, `t` when;
//! - `tick` (the engine's clock moves): `t`;
//! - `topology` (a watched cluster's objects): `i` instance, `b` JSON
//!   array, LZ4-compressed, empty when the watch stopped.

use crate::incidents::decision::Decision;
use chrono::{DateTime, Utc};
use redis::Value;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A connector instance as every member stores it: no secret, only the
/// names of the secret fields (each member holds its own values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDef {
    pub id: String,
    pub descriptor_id: String,
    pub project_id: String,
    pub name: String,
    pub enabled: bool,
    /// The non-secret settings, as stored.
    pub config: String,
}

/// One log entry, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Raw {
        instance: String,
        connector: String,
        project: String,
        received_at: DateTime<Utc>,
        headers: String,
        body: Vec<u8>,
    },
    Decision {
        decision: Decision,
        at: DateTime<Utc>,
    },
    Instance {
        id: String,
        delete: bool,
        def: Option<InstanceDef>,
    },
    Tick {
        at: DateTime<Utc>,
    },
    Topology {
        instance: String,
        /// `None`: the watch stopped.
        objects: Option<Vec<serde_json::Value>>,
    },
}

/// An entry with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// The stream id (`1700000000000-0`).
    pub id: String,
    pub member: String,
    /// The writer's outbox row, when it came through one.
    pub outbox: Option<i64>,
    /// The entry, or why it cannot be read.
    pub entry: Result<Entry, String>,
    /// For an entry that cannot be read: its fields as they are (the body's
    /// raw bytes, and the other fields as JSON), for its dead letter, so a
    /// person can see what was written and replay it once fixed.
    pub kept: Option<(String, Vec<u8>)>,
}

/// The milliseconds part of a stream id: when Redis added the entry, by
/// Redis's clock (the same for every member).
pub fn id_ms(id: &str) -> Option<i64> {
    id.split('-').next()?.parse().ok()
}

/// An RFC 3339 time, no later than the entry's own: a member whose clock
/// ran ahead cannot stamp the future (every member clamps alike).
fn time(v: Option<&[u8]>, id: &str) -> Result<DateTime<Utc>, String> {
    let text = v.ok_or("no time (t)")?;
    let t = DateTime::parse_from_rfc3339(&String::from_utf8_lossy(text))
        .map_err(|e| format!("time (t) unreadable: {e}"))?
        .with_timezone(&Utc);
    let added = id_ms(id).and_then(DateTime::<Utc>::from_timestamp_millis);
    Ok(added.map_or(t, |a| t.min(a)))
}

fn text(v: Option<&[u8]>, what: &str) -> Result<String, String> {
    let b = v.ok_or_else(|| format!("no {what}"))?;
    String::from_utf8(b.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
}

/// Reads one stream entry (its id and field map).
pub fn read(id: &str, map: &HashMap<String, Value>) -> Read {
    let field = |k: &str| -> Option<&[u8]> {
        match map.get(k)? {
            Value::BulkString(b) => Some(b.as_slice()),
            Value::SimpleString(s) => Some(s.as_bytes()),
            _ => None,
        }
    };
    let member = field("m")
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .unwrap_or_default();
    let outbox = field("n").and_then(|n| String::from_utf8_lossy(n).parse().ok());
    let entry = (|| -> Result<Entry, String> {
        let kind = text(field("k"), "kind (k)")?;
        Ok(match kind.as_str() {
            "raw" => Entry::Raw {
                instance: text(field("i"), "instance (i)")?,
                connector: text(field("c"), "connector (c)")?,
                project: text(field("p"), "project (p)")?,
                received_at: time(field("t"), id)?,
                headers: field("h")
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .unwrap_or_else(|| "{}".into()),
                body: field("b").ok_or("no body (b)")?.to_vec(),
            },
            "decision" => Entry::Decision {
                decision: serde_json::from_slice(field("d").ok_or("no decision (d)")?)
                    .map_err(|e| format!("decision unreadable: {e}"))?,
                at: time(field("t"), id)?,
            },
            "instance" => {
                let delete = field("o") == Some(b"delete".as_slice());
                let def: Option<InstanceDef> = match field("d") {
                    Some(d) if !delete => Some(
                        serde_json::from_slice(d)
                            .map_err(|e| format!("instance unreadable: {e}"))?,
                    ),
                    _ => None,
                };
                if !delete && def.is_none() {
                    return Err("an instance entry without its definition (d)".into());
                }
                Entry::Instance {
                    id: text(field("x"), "instance id (x)")?,
                    delete,
                    def,
                }
            }
            "settings" => Entry::Decision {
                decision: Decision::Settings {
                    config: serde_json::from_slice(field("d").ok_or("no settings (d)")?)
                        .map_err(|e| format!("settings unreadable: {e}"))?,
                    // Entries from before projects had settings of their own.
                    project: text(field("p"), "project (p)")
                        .unwrap_or_else(|_| crate::api::requests::default_project()),
                },
                at: time(field("t"), id)?,
            },
            "tick" => Entry::Tick {
                at: time(field("t"), id)?,
            },
            "topology" => {
                let b = field("b").unwrap_or_default();
                let objects = if b.is_empty() {
                    None
                } else {
                    let raw = lz4_flex::block::decompress_size_prepended(b)
                        .map_err(|e| format!("topology does not decompress: {e}"))?;
                    Some(
                        serde_json::from_slice(&raw)
                            .map_err(|e| format!("topology unreadable: {e}"))?,
                    )
                };
                Entry::Topology {
                    instance: text(field("i"), "instance (i)")?,
                    objects,
                }
            }
            other => return Err(format!("unknown kind '{other}'")),
        })
    })();
    let kept = entry.is_err().then(|| {
        let mut others = serde_json::Map::new();
        let mut names: Vec<&String> = map.keys().collect();
        names.sort();
        for k in names {
            if k != "b" {
                let v = field(k).map(|v| String::from_utf8_lossy(v).into_owned());
                others.insert(k.clone(), v.map_or(serde_json::Value::Null, Into::into));
            }
        }
        let raw = field("b")
            .or_else(|| field("d"))
            .unwrap_or_default()
            .to_vec();
        (serde_json::Value::Object(others).to_string(), raw)
    });
    Read {
        id: id.to_string(),
        member,
        outbox,
        entry,
        kept,
    }
}

/// A topology snapshot as the `b` field carries it.
pub fn pack_topology(objects: Option<&[std::sync::Arc<serde_json::Value>]>) -> Vec<u8> {
    match objects {
        None => Vec::new(),
        Some(o) => {
            let all: Vec<&serde_json::Value> = o.iter().map(|v| v.as_ref()).collect();
            let json = serde_json::to_vec(&all).unwrap_or_default();
            lz4_flex::block::compress_prepend_size(&json)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &[u8])]) -> HashMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::BulkString(v.to_vec())))
            .collect()
    }

    #[test]
    fn entries_read_back_and_a_bad_one_says_why() {
        let r = read(
            "1767225600000-0",
            &map(&[
                ("k", b"raw"),
                ("m", b"ab12"),
                ("n", b"7"),
                ("i", b"default-alertmanager"),
                ("c", b"alertmanager"),
                ("p", b"default"),
                ("t", b"2026-01-01T00:00:00.000Z"),
                ("b", b"{}"),
            ]),
        );
        assert_eq!((r.member.as_str(), r.outbox), ("ab12", Some(7)));
        assert_eq!(r.kept, None);
        assert!(matches!(r.entry, Ok(Entry::Raw { ref headers, .. }) if headers == "{}"));
        let d = read(
            "1-0",
            &map(&[
                ("k", b"decision"),
                ("d", br#"{"op":"merge","from":"a","into":"b"}"#),
                ("t", b"2026-01-01T00:00:00.000Z"),
            ]),
        );
        // A time later than the entry's own is clamped to it.
        assert_eq!(
            d.entry,
            Ok(Entry::Decision {
                decision: Decision::Merge {
                    from: "a".into(),
                    into: "b".into()
                },
                at: DateTime::<Utc>::from_timestamp_millis(1).unwrap(),
            })
        );
        for (fields, why) in [
            (map(&[("k", b"nonsense")]), "unknown kind"),
            (map(&[("k", b"raw"), ("i", b"x")]), "no connector"),
            (
                map(&[("k", b"decision"), ("d", b"{")]),
                "decision unreadable",
            ),
            (
                map(&[("k", b"topology"), ("i", b"x"), ("b", b"\xff\x00")]),
                "does not decompress",
            ),
            (map(&[]), "no kind"),
        ] {
            let r = read("1-0", &fields);
            let e = r.entry.unwrap_err();
            assert!(e.contains(why), "{e}");
            assert!(r.kept.is_some(), "an unreadable entry keeps its fields");
        }
    }

    #[test]
    fn settings_name_their_project_and_older_ones_are_defaults() {
        let project_of = |fields: &[(&str, &[u8])]| match read("1-0", &map(fields)).entry {
            Ok(Entry::Decision {
                decision: Decision::Settings { project, .. },
                ..
            }) => project,
            other => panic!("not settings: {other:?}"),
        };
        let t: &[u8] = b"2026-01-01T00:00:00.000Z";
        let staging = [
            ("k", &b"settings"[..]),
            ("p", b"staging"),
            ("t", t),
            ("d", b"{}"),
        ];
        assert_eq!(project_of(&staging), "staging");
        let older = [("k", &b"settings"[..]), ("t", t), ("d", b"{}")];
        assert_eq!(project_of(&older), "default");
    }
}
