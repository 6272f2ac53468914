//! `store_meta`: facts about the data folder itself (its keychain scope).

use crate::{Result, StoreError};
use rusqlite::{params, Connection, OptionalExtension};

/// The key of the data folder's keychain scope.
pub const KEYCHAIN_SCOPE: &str = "keychain_scope";
/// Set while secrets filed before scoping may still wait to be copied.
pub const KEYCHAIN_UNSCOPED: &str = "keychain_unscoped";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM store_meta WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO store_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub fn remove(conn: &Connection, key: &str) -> Result<()> {
    conn.execute("DELETE FROM store_meta WHERE key = ?1", [key])?;
    Ok(())
}

/// This data folder's keychain scope (made by the migration, never changed).
pub fn keychain_scope(conn: &Connection) -> Result<String> {
    get(conn, KEYCHAIN_SCOPE)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| StoreError::Invalid("the data folder has no keychain scope".into()))
}
