//! `login_tokens`: the one-time links that open a browser session on
//! `causeway serve`. Only SHA-256 hashes are kept; a link is traded once.

use crate::Result;
use rusqlite::{params, Connection};

/// Keeps a new link's hash; `expires_at` None lasts until [`clear`].
pub fn insert(
    conn: &Connection,
    token_hash: &str,
    created_at: &str,
    expires_at: Option<&str>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO login_tokens (token_hash, created_at, expires_at) VALUES (?1, ?2, ?3)",
        params![token_hash, created_at, expires_at],
    )?;
    Ok(())
}

/// Uses the link with this hash: true when it existed, was unused and had
/// not expired at `now`. Either way it cannot be used again.
pub fn redeem(conn: &Connection, token_hash: &str, now: &str) -> Result<bool> {
    let n = conn.execute(
        "UPDATE login_tokens SET used_at = ?2
         WHERE token_hash = ?1 AND used_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
        params![token_hash, now],
    )?;
    Ok(n == 1)
}

/// Forgets every link: a new server run starts with only its own.
pub fn clear(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM login_tokens", [])?;
    Ok(())
}
