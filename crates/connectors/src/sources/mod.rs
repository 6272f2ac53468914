//! The native connectors, one folder each: code for a provider that a
//! descriptor cannot express (Alertmanager's and Prometheus's APIs, a
//! Kubernetes watch, a Redis consumer group, an IMAP mailbox, the ingest API's own format)
//! and Causeway's own health signal.
//!
//! Each is written against [`crate::runtime`]'s shared types and is named
//! only by [`crate::registry`]: no folder here knows the registry, and one
//! connector uses another's code only where it reads the same format
//! (Prometheus's alerts are Alertmanager's).

pub mod alertmanager;
pub mod causeway;
pub mod health;
pub mod imap;
pub mod kubernetes;
#[cfg(test)]
mod memory_host;
pub mod prometheus;
pub mod reconnect;
pub mod redis_streams;
