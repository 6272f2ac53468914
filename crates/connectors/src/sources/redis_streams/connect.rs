//! Connecting to Redis: the URL, the password from the keychain (never in
//! the URL, never logged), TLS for `rediss://` with the system's roots or a
//! CA file, and errors said in words. Team mode connects the same way.

use causeway_core::Sensitive;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo, RedisError};
use std::time::Duration;

/// An open connection (multiplexed: clones share it).
pub type Connection = MultiplexedConnection;

/// How to reach a Redis server.
#[derive(Clone, Default)]
pub struct Target<'a> {
    pub url: &'a str,
    pub username: Option<&'a str>,
    pub password: Option<Sensitive<String>>,
    /// PEM CA certificate file for `rediss://`; `None`: the system's roots.
    pub ca_file: Option<&'a str>,
}

/// The URL as it may be shown: no user or password.
pub fn redacted_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string()
        }
        Err(_) => "(an unreadable URL)".into(),
    }
}

/// Opens a connection whose commands time out after `response` (longer
/// than any `BLOCK` the caller uses); connecting times out after 3 s.
pub async fn connect(target: &Target<'_>, response: Duration) -> Result<Connection, String> {
    let shown = redacted_url(target.url);
    let mut info = target
        .url
        .into_connection_info()
        .map_err(|e| format!("{shown} is not a Redis URL: {}", e.kind_text()))?;
    let mut settings = info.redis_settings().clone();
    if let Some(user) = target.username {
        settings = settings.set_username(user);
    }
    if let Some(p) = &target.password {
        settings = settings.set_password(p.expose());
    }
    info = info.set_redis_settings(settings);
    let client = match target.ca_file {
        Some(path) => {
            let root = std::fs::read(path)
                .map_err(|e| format!("cannot read the CA certificate {path}: {e}"))?;
            Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root),
                },
            )
        }
        None => Client::open(info),
    }
    .map_err(|e| format!("{shown}: {}", describe(&e)))?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(response));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| format!("cannot connect to {shown}: {}", describe(&e)))
}

/// A Redis error for a person: what it means, with the server's own words
/// (which never hold a password), and what to do for the usual ones.
pub fn describe(e: &RedisError) -> String {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    if lower.contains("wrongpass")
        || lower.contains("invalid password")
        || lower.contains("invalid username-password")
        || e.kind() == redis::ErrorKind::AuthenticationFailed
    {
        "the password (or ACL user) was refused: set the right one in the connector's settings"
            .into()
    } else if lower.contains("noauth") || lower.contains("authentication required") {
        "the server wants a password: give it in the connector's settings".into()
    } else if lower.contains("noperm") {
        format!("the ACL user may not run a command it needs: {text}")
    } else if e.is_connection_refusal() {
        "connection refused (is redis-server running on that host and port?)".into()
    } else if e.is_timeout() {
        "the server did not answer in time".into()
    } else if e.is_io_error() || e.is_connection_dropped() {
        format!("the connection broke: {text}")
    } else {
        text
    }
}

/// What a `RedisError` is, without its detail (for URL errors).
trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for RedisError {
    fn kind_text(&self) -> String {
        format!("{:?}", self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_credentials() {
        let shown = redacted_url("rediss://ops:hunter2@redis.example:6380/2");
        assert_eq!(shown, "rediss://redis.example:6380/2");
        assert!(!redacted_url("redis://:pw@h:1/0").contains("pw"));
        assert_eq!(redacted_url("not a url"), "(an unreadable URL)");
    }
}
