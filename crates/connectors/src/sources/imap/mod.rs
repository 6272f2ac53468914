//! The native `imap` connector: alert e-mails read from a mail folder.
//!
//! Many older monitors (Nagios, Zabbix, a cron job's `mail -s PROBLEM …`)
//! can only send e-mail. This connector logs in to the mailbox they write
//! to, waits with IMAP IDLE (or polls, on a server without it), and hands
//! each unseen message, raw, to the inbox, where [`Mail`] maps it to a
//! signal: a PROBLEM fires, its RECOVERY resolves it (same fingerprint).
//!
//! Delivery is at-least-once made exactly-once, like the Redis consumer's:
//!
//! - messages are read with `BODY.PEEK[]`, so reading alone never marks
//!   them; `\Seen` is stored only after the host says the commit is done,
//!   and a message the host could not store stays unseen and comes back;
//! - the commit also records `UIDVALIDITY:UID`, so a message stored just
//!   before a crash (and so still unseen) is flagged, not taken twice;
//! - a message that cannot be mapped is still committed: its raw bytes go
//!   to dead letters with the reason, never lost.
//!
//! Implicit TLS (port 993) is the default; STARTTLS and plain text only
//! when set explicitly (plain: for a loopback server). The password is a
//! keychain secret, never in the settings, never logged.

mod connect;
mod consume;
mod mail;
mod probe;
#[cfg(test)]
mod tests;

pub use consume::ImapSource;
pub use mail::{map_message, Mail};
pub use probe::{probe, Probe};

use serde::Deserialize;
use serde_json::Value;

/// The descriptor id of this connector (and of its normalizer).
pub const ID: &str = "imap";

/// The item-version stream message ids are recorded under until flagged.
pub const MESSAGES: &str = "messages";

/// Headers stored with each message: the folder, its `UIDVALIDITY:UID`,
/// and how the instance maps messages (read by [`Mail`]).
pub const FOLDER_HEADER: &str = "x-causeway-imap-folder";
pub const UID_HEADER: &str = "x-causeway-imap-uid";
pub const FORMAT_HEADER: &str = "x-causeway-mail-format";

/// Messages larger than this are cut to it before they are stored: an
/// alert mail is a few KB; a huge one (an attachment) is kept in part.
pub const MAX_MESSAGE: usize = 1024 * 1024;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Security {
    /// TLS from the first byte (port 993).
    #[default]
    Tls,
    /// Plain text upgraded with `STARTTLS` (port 143); refused if the
    /// server cannot.
    Starttls,
    /// No TLS at all: only for a server on this machine.
    Plain,
}

/// Which monitor's mails the folder holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Recognised by the subject: Nagios's, Zabbix's, else generic.
    #[default]
    Auto,
    /// A subject that says PROBLEM / RECOVERY / RESOLVED.
    Generic,
    /// Nagios's (and Icinga's) `notify-*-by-email` commands.
    Nagios,
    /// Zabbix's default e-mail media type templates.
    Zabbix,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Generic => "generic",
            Format::Nagios => "nagios",
            Format::Zabbix => "zabbix",
        }
    }

    /// The format a stored header names (unknown: auto).
    pub fn from_header(v: Option<&str>) -> Format {
        serde_json::from_value(Value::String(v.unwrap_or("auto").into())).unwrap_or_default()
    }
}

/// An instance's settings (its `config`), as the setup form writes them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub host: String,
    /// Empty: 993 for TLS, 143 otherwise.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    pub username: String,
    #[serde(default = "default_folder")]
    pub folder: String,
    #[serde(default)]
    pub format: Format,
    /// A PEM file of the CA that signed the server's certificate; empty:
    /// the system's roots.
    #[serde(default)]
    pub tls_ca_file: Option<String>,
    /// How often to look for new mail on a server without IDLE (and how
    /// long one IDLE lasts before it is renewed), in seconds.
    #[serde(default = "default_poll")]
    pub poll_seconds: u64,
    /// Messages fetched and committed at a time.
    #[serde(default = "default_batch")]
    pub batch: usize,
}

fn default_folder() -> String {
    "INBOX".into()
}
fn default_poll() -> u64 {
    60
}
fn default_batch() -> usize {
    50
}

impl Settings {
    /// Reads and checks an instance's config (other keys belong to the app).
    pub fn from_config(config: &Value) -> Result<Settings, String> {
        // Which setting is wrong, by name (`format: unknown variant …`).
        let mut s: Settings = serde_path_to_error::deserialize(config.clone())
            .map_err(|e| format!("imap settings: {}: {}", e.path(), e.inner()))?;
        s.host = s.host.trim().to_string();
        s.username = s.username.trim().to_string();
        if s.tls_ca_file
            .as_deref()
            .is_some_and(|f| f.trim().is_empty())
        {
            s.tls_ca_file = None;
        }
        if s.host.is_empty() || s.host.contains(['/', ' ', '@']) {
            return Err(
                "imap settings: host must be a host name or address (no URL, no user)".into(),
            );
        }
        if s.username.is_empty() {
            return Err("imap settings: username must not be empty".into());
        }
        if s.folder.trim().is_empty() || s.folder.contains(['\r', '\n', '"', '\\']) {
            return Err("imap settings: folder must be a mailbox name, like INBOX".into());
        }
        if s.port == Some(0) {
            s.port = None;
        }
        s.poll_seconds = s.poll_seconds.clamp(5, 29 * 60);
        s.batch = s.batch.clamp(1, 500);
        Ok(s)
    }

    /// The port: as set, else the one of the security chosen.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 993,
            _ => 143,
        })
    }

    /// `host:port/folder` as shown to a person (no user, no password).
    pub fn shown(&self) -> String {
        format!("{}:{}/{}", self.host, self.port(), self.folder)
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_default_to_tls_on_993_and_refuse_what_cannot_work() {
        let s = Settings::from_config(&json!({"host": "mail.example", "username": "ops",
            "secretFields": ["password"]}))
        .unwrap();
        assert_eq!(
            (s.security, s.port(), s.folder.as_str()),
            (Security::Tls, 993, "INBOX")
        );
        assert_eq!(s.format, Format::Auto);
        let p = Settings::from_config(&json!({"host": "127.0.0.1", "username": "u",
            "security": "plain", "format": "nagios"}))
        .unwrap();
        assert_eq!((p.port(), p.format), (143, Format::Nagios));
        let bad = |c: Value| Settings::from_config(&c).unwrap_err();
        assert!(bad(json!({"host": "imaps://x", "username": "u"})).contains("host"));
        assert!(bad(json!({"host": "x", "username": " "})).contains("username"));
        assert!(bad(json!({"host": "x", "username": "u", "folder": "a\"b"})).contains("folder"));
        assert!(bad(json!({"host": "x", "username": "u", "format": "hp-ov"})).contains("format"));
        assert!(
            bad(json!({"host": "x", "username": "u", "security": "ssl3"})).contains("security")
        );
        assert_eq!(Format::from_header(Some("zabbix")), Format::Zabbix);
        assert_eq!(Format::from_header(Some("nope")), Format::Auto);
    }
}
