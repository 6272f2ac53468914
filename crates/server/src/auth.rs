//! Who may use the API: a browser session, or a Bearer token issued with
//! `causeway token issue`. Only SHA-256 hashes of tokens are stored or
//! compared.
//!
//! A browser gets its session by opening a login link (`/?token=…`, printed
//! by `causeway serve` or `causeway login`). The link's token works once and
//! is traded for a random session id in an HttpOnly cookie: the token in
//! the terminal's scroll-back or the browser's history opens nothing later,
//! and the cookie holds no credential that outlives the session. Sessions
//! live in this process only and end after [`IDLE`] unused or [`LONGEST`].

use causeway_store::{login_tokens, ts, Store};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "causeway_session";
/// A session unused this long is over.
pub const IDLE: Duration = Duration::from_secs(12 * 3600);
/// No session lasts longer than this.
pub const LONGEST: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a link from `causeway login` may wait to be opened.
pub const LINK_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

struct Session {
    started: Instant,
    last_used: Instant,
}

/// This run's browser sessions, by the SHA-256 of their id.
#[derive(Default)]
pub struct Sessions {
    live: Mutex<HashMap<[u8; 32], Session>>,
}

impl Sessions {
    /// Trades a login link's token for a new session id, once: `None` when
    /// the token is unknown, used or expired.
    pub async fn login(&self, store: &Store, token: &str) -> Option<String> {
        let hash = token_hash(token);
        let now = ts(chrono::Utc::now());
        let redeemed = store
            .write(move |c| login_tokens::redeem(c, &hash, &now))
            .await
            .unwrap_or(false);
        if !redeemed {
            return None;
        }
        let id = new_token();
        let now = Instant::now();
        if let Ok(mut live) = self.live.lock() {
            live.retain(|_, s| fresh(s, now));
            live.insert(
                sha256(&id),
                Session {
                    started: now,
                    last_used: now,
                },
            );
        }
        Some(id)
    }

    /// Whether `id` is a live session; using it keeps it alive.
    pub fn check(&self, id: &str) -> bool {
        let now = Instant::now();
        let Ok(mut live) = self.live.lock() else {
            return false;
        };
        let key = sha256(id);
        match live.get_mut(&key) {
            Some(s) if fresh(s, now) => {
                s.last_used = now;
                true
            }
            Some(_) => {
                live.remove(&key);
                false
            }
            None => false,
        }
    }
}

fn fresh(s: &Session, now: Instant) -> bool {
    now.duration_since(s.last_used) < IDLE && now.duration_since(s.started) < LONGEST
}

/// A new login link's token for the server on `store`'s data folder, kept
/// (as a hash) until used or `expires`.
pub fn new_login_token(store: &Store, expires: Option<chrono::Duration>) -> Result<String, String> {
    let token = new_token();
    let (hash, now) = (token_hash(&token), chrono::Utc::now());
    let expires = expires.map(|d| ts(now + d));
    store
        .write_blocking(move |c| login_tokens::insert(c, &hash, &ts(now), expires.as_deref()))
        .map_err(|e| e.to_string())?;
    Ok(token)
}

/// A random token: `cw_` and 64 hex digits (256 bits), as the app issues
/// them; without OS randomness the server cannot start safely.
pub fn new_token() -> String {
    causeway_app::api::tokens::new_token().expect("the OS random source is available")
}

pub fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The stored form of a token (the one definition, shared with the app).
pub use causeway_app::api::tokens::token_hash;

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Issues a token of `scope` (`ingest` or `admin`) into the store; returns it.
/// It is shown once: only its hash is kept. The same code issues tokens from
/// the Settings screen.
pub fn issue(store: &causeway_store::Store, scope: &str) -> Result<String, String> {
    causeway_app::api::tokens::issue_blocking(store, scope)
        .map(|t| t.token)
        .map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_login_link_opens_one_session_and_is_spent() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let sessions = Sessions::default();
        let token = new_login_token(&store, None).unwrap();
        assert!(token.starts_with("cw_") && token.len() == 67);
        let id = sessions.login(&store, &token).await.unwrap();
        assert_ne!(id, token, "the cookie is not the link's token");
        assert!(sessions.check(&id));
        assert!(!sessions.check(&token));
        assert_eq!(sessions.login(&store, &token).await, None, "used once");
        assert_eq!(sessions.login(&store, "cw_0").await, None);
        // An expired link opens nothing.
        let old = new_login_token(&store, Some(chrono::Duration::seconds(-1))).unwrap();
        assert_eq!(sessions.login(&store, &old).await, None);
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let now = Instant::now();
        let s = |started: u64, used: u64| Session {
            started: now - Duration::from_secs(started),
            last_used: now - Duration::from_secs(used),
        };
        assert!(fresh(&s(100, 10), now));
        assert!(!fresh(&s(IDLE.as_secs() + 10, IDLE.as_secs() + 1), now));
        assert!(!fresh(&s(LONGEST.as_secs() + 1, 0), now));
    }

    #[test]
    fn cookies_are_read_by_name() {
        assert_eq!(
            cookie("a=1; causeway_session=xyz; b=2", COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie("a=1", COOKIE), None);
    }
}
