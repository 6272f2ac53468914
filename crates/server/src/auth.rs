//! Who may use the API: the browser session (a cookie traded for the login
//! token that `causeway serve` prints), or a Bearer token issued with
//! `causeway token issue`. Only SHA-256 hashes of tokens are stored or compared.

use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "causeway_session";

/// The login token of this run (kept as a hash).
pub struct Sessions {
    login_hash: [u8; 32],
}

impl Sessions {
    /// A fresh login token for this run, and the sessions that accept it.
    pub fn new() -> (Sessions, String) {
        let token = new_token();
        (
            Sessions {
                login_hash: sha256(&token),
            },
            token,
        )
    }

    /// Whether `token` is this run's login token (constant time).
    pub fn is_login(&self, token: &str) -> bool {
        constant_eq(&sha256(token), &self.login_hash)
    }
}

/// A random token: `cw_` and 64 hex digits (256 bits), as the app issues
/// them; without OS randomness the server cannot start safely.
pub fn new_token() -> String {
    causeway_app::tokens::new_token().expect("the OS random source is available")
}

pub fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The stored form of a token (the one definition, shared with the app).
pub use causeway_app::tokens::token_hash;

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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
    causeway_app::tokens::issue_blocking(store, scope)
        .map(|t| t.token)
        .map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_cookies() {
        let (s, t) = Sessions::new();
        assert!(t.starts_with("cw_") && t.len() == 67);
        assert!(s.is_login(&t));
        assert!(!s.is_login("cw_0"));
        assert_ne!(new_token(), new_token());
        assert_eq!(
            cookie("a=1; causeway_session=xyz; b=2", COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie("a=1", COOKIE), None);
    }
}
