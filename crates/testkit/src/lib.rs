//! Stand-ins for what cannot run inside a test, shared by the tests of every
//! crate (and by the `fake-kube-api` process the browser tests start).
//!
//! None of them knows Causeway's own types: each speaks only the protocol of
//! what it replaces, so a test checks the real client code against it.
//!
//! - [`kube_api`]: a Kubernetes API server serving recorded objects, with
//!   list, watch, compaction (410 Gone) and dropped-connection behaviour;
//! - [`google_oidc`]: Google's JWKS endpoint, and ID tokens signed as
//!   Google signs an authenticated Pub/Sub push's;
//! - [`keyring`] (Linux): a private gnome-keyring on a private D-Bus, so the
//!   keychain tests use the real Secret Service and never the user's;
//! - [`prometheus_api`]: a Prometheus server's API with one firing alert,
//!   counting the requests it gets;
//! - [`redis_server`]: a real `redis-server` on a free loopback port that can
//!   be stopped and started again, to test an outage;
//! - [`dovecot`]: a real Dovecot IMAP server on a free loopback port with one
//!   user's Maildir, mail delivered into it and its flags read back;
//! - [`team`]: what the team tests ask of any member (in-process or a
//!   process): the alerts they send, and "every member shows the same".

pub mod dovecot;
pub mod google_oidc;
#[cfg(target_os = "linux")]
pub mod keyring;
pub mod kube_api;
pub mod prometheus_api;
pub mod redis_server;
pub mod team;
