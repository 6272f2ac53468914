//! `api_tokens`: only the SHA-256 of each token is kept.

use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};

pub fn insert(conn: &Connection, id: &str, scope: &str, token_hash: &str, at: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO api_tokens (id, scope, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, scope, token_hash, at],
    )?;
    Ok(())
}

/// The scope of a live (not revoked) token with this hash.
pub fn scope_of(conn: &Connection, token_hash: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT scope FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
            [token_hash],
            |r| r.get(0),
        )
        .optional()?)
}

/// One issued token as the Settings screen lists it: never the hash.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: String,
    pub scope: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Every token, newest first, revoked ones included (they say when).
pub fn list(conn: &Connection) -> Result<Vec<TokenRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, scope, created_at, revoked_at FROM api_tokens ORDER BY created_at DESC, id",
    )?;
    let rows = stmt.query_map([], token_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Revokes a token: it stops working at once and stays listed. Revoking it
/// again keeps the first time. Returns the row, or None when no such id.
pub fn revoke(conn: &Connection, id: &str, at: &str) -> Result<Option<TokenRow>> {
    conn.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, at],
    )?;
    Ok(conn
        .query_row(
            "SELECT id, scope, created_at, revoked_at FROM api_tokens WHERE id = ?1",
            [id],
            token_row,
        )
        .optional()?)
}

fn token_row(r: &rusqlite::Row) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0)?,
        scope: r.get(1)?,
        created_at: r.get(2)?,
        revoked_at: r.get(3)?,
    })
}

/// Removes a token outright: for the short-lived one a CLI command uses to
/// reach the running server, which should leave no row behind.
pub fn delete(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("DELETE FROM api_tokens WHERE id = ?1", [id])?;
    Ok(())
}
