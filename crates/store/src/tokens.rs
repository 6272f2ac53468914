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
