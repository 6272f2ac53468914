//! `poll_items`: the version hash each polled item was last published with.

use crate::Result;
use rusqlite::{params, Connection};
use std::collections::BTreeMap;

/// The stored hashes of `keys` in `stream` (keys never published are absent).
pub fn versions(
    conn: &Connection,
    instance_id: &str,
    stream: &str,
    keys: &[String],
) -> Result<BTreeMap<String, String>> {
    let mut st = conn.prepare_cached(
        "SELECT version_hash FROM poll_items WHERE instance_id = ?1 AND stream = ?2 AND item_key = ?3",
    )?;
    let mut out = BTreeMap::new();
    for k in keys {
        let mut rows = st.query(params![instance_id, stream, k])?;
        if let Some(r) = rows.next()? {
            out.insert(k.clone(), r.get(0)?);
        }
    }
    Ok(out)
}

/// Records the version an item was published with.
pub fn put(
    conn: &Connection,
    instance_id: &str,
    stream: &str,
    key: &str,
    hash: &str,
    at: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO poll_items (instance_id, stream, item_key, version_hash, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (instance_id, stream, item_key) DO UPDATE SET version_hash = ?4, updated_at = ?5",
    )?
    .execute(params![instance_id, stream, key, hash, at])?;
    Ok(())
}

/// Forgets the versions of `stream`'s items last published before `before`
/// (a [`ts`](crate::ts) timestamp); returns how many.
pub fn prune(conn: &Connection, instance_id: &str, stream: &str, before: &str) -> Result<u64> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM poll_items WHERE instance_id = ?1 AND stream = ?2 AND updated_at < ?3",
        )?
        .execute(params![instance_id, stream, before])? as u64)
}

/// Forgets the versions of these keys of `stream` (a stream consumer's
/// entry ids, once the broker has their acknowledgement).
pub fn forget(conn: &Connection, instance_id: &str, stream: &str, keys: &[String]) -> Result<()> {
    let mut st = conn.prepare_cached(
        "DELETE FROM poll_items WHERE instance_id = ?1 AND stream = ?2 AND item_key = ?3",
    )?;
    for k in keys {
        st.execute(params![instance_id, stream, k])?;
    }
    Ok(())
}

/// How many items of an instance have a stored version.
pub fn count(conn: &Connection, instance_id: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM poll_items WHERE instance_id = ?1",
        [instance_id],
        |r| r.get(0),
    )?)
}
