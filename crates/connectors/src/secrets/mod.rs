//! Secrets in the OS keychain, and nowhere else.
//!
//! A connector instance's credentials (API tokens, webhook signing keys) are
//! stored in the operating system's keychain: the Secret Service (gnome-keyring,
//! KeePassXC) on Linux, the login keychain on macOS, Credential Manager on
//! Windows. Everything else — SQLite, logs, errors, `Debug` output, API
//! responses — holds only a [`SecretHandle`], a name such as
//! `instance/am-prod/bearer_token` that says where the value lives. A value read
//! back comes wrapped in [`Sensitive`], which prints `***`.
//!
//! There is no fallback: when no keychain is reachable every call fails with
//! [`SecretError::Unavailable`], whose message says how to fix that on this OS.
//! Nothing is ever written anywhere else instead.
//!
//! # Blocking
//!
//! Every [`Keychain`] method is a blocking call into the platform (on Linux a
//! D-Bus round trip per call, which can take as long as the keychain takes to
//! answer). Async callers must run them off the async worker threads, e.g.
//! with `tokio::task::spawn_blocking`.

use causeway_core::Sensitive;
use serde::{Deserialize, Serialize};
use std::fmt;

#[cfg(test)]
mod tests;

/// Where a secret lives in the keychain: its name, never its value.
///
/// Safe to store, log and return from APIs. Serializes as a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHandle(String);

impl SecretHandle {
    /// A handle with the given name (see [`handle_for`] for the usual shape).
    pub fn new(name: impl Into<String>) -> Self {
        SecretHandle(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The handle of a connector instance's secret field: `instance/<instance_id>/<field>`.
///
/// Instance ids and field names are expected to hold no `/`, so that every
/// (instance, field) pair has a handle of its own.
pub fn handle_for(instance_id: &str, field: &str) -> SecretHandle {
    SecretHandle(format!("instance/{instance_id}/{field}"))
}

/// Why a keychain call failed. Messages name handles, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No keychain is reachable, or it is locked. The message says how to fix it.
    #[error("keychain unavailable: {0}")]
    Unavailable(String),
    /// The keychain holds nothing under this handle.
    #[error("no secret stored under {handle}")]
    NotFound { handle: SecretHandle },
    /// Anything else the keychain reported.
    #[error("keychain error: {0}")]
    Other(String),
}

/// What to do when no keychain is reachable, for the OS this was built for.
#[cfg(target_os = "linux")]
const HOW_TO_FIX: &str = "no Secret Service on the session bus: install and start gnome-keyring \
     (or KeePassXC's Secret Service) and unlock it; on a headless machine run under \
     `dbus-run-session` with `gnome-keyring-daemon --unlock`";
#[cfg(target_os = "macos")]
const HOW_TO_FIX: &str = "the macOS keychain is not reachable: log in to a desktop session and \
     unlock the login keychain (Keychain Access, or `security unlock-keychain` over SSH)";
#[cfg(target_os = "windows")]
const HOW_TO_FIX: &str = "Windows Credential Manager is not reachable: run Causeway as a \
     logged-in user whose profile is loaded (not as a service account without one)";
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
const HOW_TO_FIX: &str = "this OS has no supported keychain: Causeway stores secrets only in \
     the Secret Service (Linux), the macOS keychain or Windows Credential Manager";

/// Whether this build has a real keychain backend. Elsewhere the `keyring`
/// crate would fall back to its in-memory mock store; we refuse instead.
const HAS_BACKEND: bool = cfg!(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "windows"
));

fn unavailable(cause: &str) -> SecretError {
    SecretError::Unavailable(format!("{HOW_TO_FIX} (cause: {cause})"))
}

/// Replaces every occurrence of `value` in `message`: a platform error is not
/// supposed to echo a secret, but nothing that leaves this module may hold one.
fn redact(message: String, value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() && message.contains(v) => message.replace(v, "***"),
        _ => message,
    }
}

/// Maps a `keyring` error onto [`SecretError`]. `value` is the secret involved,
/// if any, so that it can be scrubbed from platform messages.
fn map_error(err: keyring::Error, handle: &SecretHandle, value: Option<&str>) -> SecretError {
    use keyring::Error as K;
    match err {
        K::NoEntry => SecretError::NotFound {
            handle: handle.clone(),
        },
        K::PlatformFailure(e) | K::NoStorageAccess(e) => unavailable(&redact(e.to_string(), value)),
        // Carries the stored bytes: never format them.
        K::BadEncoding(_) => SecretError::Other(format!(
            "the keychain entry {handle} does not hold UTF-8 text"
        )),
        K::TooLong(attr, limit) => SecretError::Other(redact(
            format!("{attr} of {handle} is longer than the keychain allows ({limit})"),
            value,
        )),
        K::Invalid(attr, reason) => SecretError::Other(redact(
            format!("the keychain rejected {attr} of {handle}: {reason}"),
            value,
        )),
        K::Ambiguous(items) => SecretError::Other(format!(
            "{} keychain entries match {handle}; delete the duplicates",
            items.len()
        )),
        other => SecretError::Other(redact(other.to_string(), value)),
    }
}

/// The OS keychain, under one service name (`"causeway"` in the app), and
/// within it one data folder's scope.
///
/// Entries are keyed by (service, `<scope>/<handle>`). Instance ids repeat
/// from one data folder to the next (`github-gh` in both), so without the
/// scope a second data folder would read, replace and delete the first
/// one's secrets; the app always files under its store's random scope
/// ([`Keychain::scoped`]). Every method blocks: see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keychain {
    service: String,
    scope: Option<String>,
}

impl Keychain {
    /// The service name the app uses.
    pub const DEFAULT_SERVICE: &'static str = "causeway";

    /// The keychain under `service`, unscoped: handles are filed as they
    /// are. Only for entries made before scoping; use [`Keychain::scoped`].
    pub fn new(service: &str) -> Self {
        Keychain {
            service: service.to_string(),
            scope: None,
        }
    }

    /// The same service, every handle filed under `scope` (a data folder's
    /// random id, kept in its database).
    pub fn scoped(&self, scope: &str) -> Self {
        Keychain {
            service: self.service.clone(),
            scope: Some(scope.to_string()),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// The data folder scope, if any.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The keychain's account name of `handle`: `<scope>/<handle>`.
    fn account(&self, handle: &SecretHandle) -> String {
        match &self.scope {
            Some(scope) => format!("{scope}/{handle}"),
            None => handle.as_str().to_string(),
        }
    }

    fn entry(&self, handle: &SecretHandle) -> Result<keyring::Entry, SecretError> {
        if !HAS_BACKEND {
            return Err(unavailable("no keychain backend is built for this OS"));
        }
        keyring::Entry::new(&self.service, &self.account(handle))
            .map_err(|e| map_error(e, handle, None))
    }

    /// Stores `value` under `handle`, replacing what was there. Blocking.
    pub fn put(&self, handle: &SecretHandle, value: &Sensitive<String>) -> Result<(), SecretError> {
        let value = value.expose().as_str();
        self.entry(handle)?
            .set_password(value)
            .map_err(|e| map_error(e, handle, Some(value)))
    }

    /// The value stored under `handle`; [`SecretError::NotFound`] if none. Blocking.
    pub fn get(&self, handle: &SecretHandle) -> Result<Sensitive<String>, SecretError> {
        self.entry(handle)?
            .get_password()
            .map(Sensitive::new)
            .map_err(|e| map_error(e, handle, None))
    }

    /// Removes the entry under `handle`. Removing a missing entry is `Ok`. Blocking.
    pub fn delete(&self, handle: &SecretHandle) -> Result<(), SecretError> {
        match self.entry(handle)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e, handle, None)),
        }
    }

    /// Removes the secrets of one connector instance: the entries
    /// [`handle_for`]`(instance_id, field)` for every field. Tries every field
    /// even if one fails, then returns the first error. Blocking.
    pub fn delete_instance(&self, instance_id: &str, fields: &[&str]) -> Result<(), SecretError> {
        let mut first_error = None;
        for field in fields {
            if let Err(e) = self.delete(&handle_for(instance_id, field)) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Probes the keychain: writes, reads back and deletes a throwaway entry,
    /// so `Ok` means a keychain is reachable, unlocked and working. Blocking.
    pub fn check(&self) -> Result<(), SecretError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static PROBES: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let probe = format!(
            "{}-{nanos}-{}",
            std::process::id(),
            PROBES.fetch_add(1, Ordering::Relaxed)
        );
        let handle = SecretHandle(format!("probe/{probe}"));
        let value = Sensitive::new(format!("causeway keychain probe {probe}"));

        self.put(&handle, &value)?;
        let read = self.get(&handle);
        let deleted = self.delete(&handle);
        match read {
            Ok(v) if v == value => {}
            Ok(_) => {
                return Err(SecretError::Other(
                    "the keychain returned something other than what was just stored in it".into(),
                ))
            }
            Err(SecretError::NotFound { .. }) => {
                return Err(unavailable(
                    "the keychain accepted an entry but could not find it again",
                ))
            }
            Err(e) => return Err(e),
        }
        deleted
    }
}
