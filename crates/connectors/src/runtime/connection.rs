//! A watching source's connection health as a person reads it: connected,
//! reconnecting or error, with a sentence that says what is wrong and what to
//! do, plus the counts that show it is working (objects known, events taken
//! in). The Kubernetes connector writes it; the app reads it through
//! [`Host::connection`](super::Host::connection), which is why it lives with
//! the runtime's shared types rather than in that connector's folder.
//!
//! Each watch scope reports on its own; the instance's state is the worst of
//! them. A transient failure (the server went away, a 410 Gone, a 5xx) after
//! the cluster was once reached reads "reconnecting"; the same failure before
//! it was ever reached, and failures that retrying alone will not fix (401
//! credentials, 403 forbidden, a kubeconfig that cannot be used), read
//! "error". Retrying never stops either way: a refreshed login or a granted
//! role is picked up on the next try.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a connected stream may hear nothing before it is silent, unless
/// its source says otherwise ([`Health::new`]): the Kubernetes connector's
/// default (`Tuning::silence`), since a calm cluster still hears from every
/// Node at least every five minutes.
pub const DEFAULT_SILENCE: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Listing the cluster for the first time.
    Connecting,
    Connected,
    /// Was connected; a watch failed and is being resumed.
    Reconnecting,
    Error,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Connecting => "connecting",
            State::Connected => "connected",
            State::Reconnecting => "reconnecting",
            State::Error => "error",
        }
    }
}

/// What the API and the UI show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    pub state: State,
    /// Why it is not connected, in words; `None` when connected.
    pub message: Option<String>,
    /// The kubeconfig context and API server in use, once known.
    pub context: Option<String>,
    pub server: Option<String>,
    /// Topology objects currently known (Pods, Services, …).
    pub objects: usize,
    /// Kubernetes Events taken into the inbox since the connector started.
    pub events: u64,
    pub last_event_at: Option<DateTime<Utc>>,
    /// When a watch last delivered anything (a list, an object change, an
    /// Event): the stream's own sign of life.
    pub last_heard_at: Option<DateTime<Utc>>,
    /// When `state` last changed.
    pub since: DateTime<Utc>,
}

/// Why something failed, and whether retrying alone can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub message: String,
    pub fatal: bool,
    /// Rejected credentials: worth reading the kubeconfig again after a
    /// while, since a new login rewrites it.
    pub reload: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum ScopeState {
    Listing,
    Ok,
    Failing(Problem),
}

#[derive(Debug)]
struct Inner {
    setup: Option<Problem>,
    scopes: BTreeMap<String, ScopeState>,
    ever_connected: bool,
    /// How long a connected stream may hear nothing before it is silent.
    silence: Duration,
    report: HealthReport,
    /// The state and message, for whoever follows changes.
    changes: tokio::sync::watch::Sender<(State, Option<String>)>,
}

/// A shared handle: the connector writes, the app reads.
#[derive(Debug, Clone)]
pub struct Health(Arc<Mutex<Inner>>);

impl Default for Health {
    fn default() -> Self {
        Health::new(DEFAULT_SILENCE)
    }
}

impl Health {
    /// A fresh handle; a connected stream that hears nothing for `silence`
    /// is silent ([`Health::silent_since`]).
    pub fn new(silence: Duration) -> Self {
        Health(Arc::new(Mutex::new(Inner {
            setup: None,
            scopes: BTreeMap::new(),
            ever_connected: false,
            silence,
            changes: tokio::sync::watch::channel((State::Connecting, None)).0,
            report: HealthReport {
                state: State::Connecting,
                message: None,
                context: None,
                server: None,
                objects: 0,
                events: 0,
                last_event_at: None,
                last_heard_at: None,
                since: Utc::now(),
            },
        })))
    }

    pub fn report(&self) -> HealthReport {
        self.with(|i| i.report.clone())
    }

    /// The state and its message, as they change.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<(State, Option<String>)> {
        self.with(|i| i.changes.subscribe())
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        // A panic while holding this lock cannot leave it half-written in a
        // way that matters: take the data either way.
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let out = f(&mut guard);
        guard.settle();
        out
    }

    pub(crate) fn connecting(&self, context: &str, server: &str) {
        self.with(|i| {
            i.setup = None;
            i.report.context = Some(context.to_string());
            i.report.server = Some(server.to_string());
        })
    }

    /// The kubeconfig, the client or the store failed: nothing is watched.
    pub(crate) fn setup_failed(&self, p: Problem) {
        self.with(|i| i.setup = Some(p))
    }

    pub(crate) fn setup_ok(&self) {
        self.with(|i| i.setup = None)
    }

    pub(crate) fn scope_listing(&self, scope: &str) {
        self.with(|i| {
            i.scopes
                .entry(scope.to_string())
                .or_insert(ScopeState::Listing);
        })
    }

    pub(crate) fn scope_ok(&self, scope: &str) {
        self.with(|i| {
            i.scopes.insert(scope.to_string(), ScopeState::Ok);
            i.ever_connected = true;
        })
    }

    pub(crate) fn scope_failed(&self, scope: &str, p: Problem) {
        self.with(|i| {
            i.scopes.insert(scope.to_string(), ScopeState::Failing(p));
        })
    }

    /// The API server answers again: scopes that failed for a passing reason
    /// are taken as resumed (their watches restart on their own backoff and
    /// report again if they still fail).
    pub(crate) fn reachable(&self) {
        self.with(|i| {
            for s in i.scopes.values_mut() {
                if matches!(s, ScopeState::Failing(p) if !p.fatal) {
                    *s = ScopeState::Ok;
                }
            }
        })
    }

    /// Whether some scope's credentials are being rejected.
    pub(crate) fn needs_reload(&self) -> bool {
        self.with(|i| {
            i.scopes
                .values()
                .any(|s| matches!(s, ScopeState::Failing(p) if p.reload))
        })
    }

    /// Whether any scope is failing for a passing reason.
    pub(crate) fn has_transient_failure(&self) -> bool {
        self.with(|i| {
            i.scopes
                .values()
                .any(|s| matches!(s, ScopeState::Failing(p) if !p.fatal))
        })
    }

    /// A watch delivered something. Called for every item, so it skips
    /// the state bookkeeping: this changes no state.
    pub(crate) fn heard(&self) {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        guard.report.last_heard_at = Some(Utc::now());
    }

    /// Since when a connected stream has heard nothing, once that is longer
    /// than its silence limit at `now`; `None` while it hears, and when it
    /// is not connected (a failing connection has a state of its own).
    pub fn silent_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let i = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if i.report.state != State::Connected {
            return None;
        }
        let last = i.report.last_heard_at.unwrap_or(i.report.since);
        let silence = chrono::Duration::from_std(i.silence).unwrap_or(chrono::Duration::MAX);
        (now - last > silence).then_some(last)
    }

    /// Called on every store change, so, like [`Health::heard`], it writes
    /// through the lock and skips the state bookkeeping: a count is not state.
    pub(crate) fn objects(&self, n: usize) {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        guard.report.objects = n;
    }

    pub(crate) fn events_taken(&self, n: usize, at: DateTime<Utc>) {
        self.with(|i| {
            i.report.events += n as u64;
            i.report.last_event_at = Some(at);
        })
    }
}

impl Inner {
    /// Recomputes the state from the scopes; `since` moves only on a change.
    fn settle(&mut self) {
        let failing = |fatal: bool| {
            self.scopes.values().find_map(|s| match s {
                ScopeState::Failing(p) if p.fatal == fatal => Some(p.message.clone()),
                _ => None,
            })
        };
        let (state, message) = if let Some(p) = &self.setup {
            (State::Error, Some(p.message.clone()))
        } else if let Some(m) = failing(true) {
            (State::Error, Some(m))
        } else if let Some(m) = failing(false) {
            if self.ever_connected {
                (State::Reconnecting, Some(m))
            } else {
                (State::Error, Some(m))
            }
        } else if self.scopes.is_empty() || self.scopes.values().any(|s| *s == ScopeState::Listing)
        {
            (State::Connecting, None)
        } else {
            (State::Connected, None)
        };
        if state != self.report.state {
            self.report.since = Utc::now();
        }
        self.report.state = state;
        self.report.message = message.clone();
        self.changes.send_if_modified(|now| {
            let changed = now.0 != state || now.1 != message;
            *now = (state, message);
            changed
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transient_failure_reads_reconnecting_only_after_a_first_connection() {
        let h = Health::default();
        assert_eq!(h.report().state, State::Connecting);
        let down = Problem {
            message: "cannot reach the API server".into(),
            fatal: false,
            reload: false,
        };
        h.scope_listing("pods");
        h.scope_failed("pods", down.clone());
        let r = h.report();
        assert_eq!(r.state, State::Error, "never reached: an error");
        assert_eq!(r.message.as_deref(), Some("cannot reach the API server"));
        h.scope_ok("pods");
        assert_eq!(h.report().state, State::Connected);
        h.scope_failed("pods", down);
        assert_eq!(h.report().state, State::Reconnecting);
        assert!(h.has_transient_failure());
        h.reachable();
        assert_eq!(h.report().state, State::Connected);
        assert_eq!(h.report().message, None);
    }

    #[test]
    fn a_connected_stream_is_silent_only_after_hearing_nothing_for_its_limit() {
        let h = Health::new(std::time::Duration::from_secs(600));
        let now = Utc::now();
        h.scope_listing("pods");
        assert_eq!(
            h.silent_since(now + chrono::Duration::hours(1)),
            None,
            "not connected yet"
        );
        h.scope_ok("pods");
        h.heard();
        let heard = h.report().last_heard_at.unwrap();
        assert_eq!(h.silent_since(heard + chrono::Duration::seconds(599)), None);
        assert_eq!(
            h.silent_since(heard + chrono::Duration::seconds(601)),
            Some(heard)
        );
        h.scope_failed(
            "pods",
            Problem {
                message: "cannot reach the API server".into(),
                fatal: false,
                reload: false,
            },
        );
        assert_eq!(
            h.silent_since(heard + chrono::Duration::hours(2)),
            None,
            "a broken connection is reconnecting, not quiet"
        );
    }

    #[test]
    fn a_fatal_failure_in_one_scope_is_an_error_that_a_probe_does_not_clear() {
        let h = Health::default();
        h.scope_ok("pods in namespace shop");
        h.scope_failed(
            "pods in namespace vault",
            Problem {
                message: "not allowed".into(),
                fatal: true,
                reload: false,
            },
        );
        h.reachable();
        let r = h.report();
        assert_eq!(r.state, State::Error);
        assert_eq!(r.message.as_deref(), Some("not allowed"));
    }
}
