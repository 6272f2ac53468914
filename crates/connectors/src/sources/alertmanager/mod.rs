//! Alertmanager's webhook receiver (`webhook_config`, payload versions 3 and 4).
//!
//! Each `alerts[i]` becomes one signal, in payload order. Alertmanager resends
//! a group on every `group_interval` and again on resolve; its per-alert
//! `fingerprint` (or, from older senders, a hash of the labels) plus
//! `startsAt` identifies an alert across those notifications, so repeats
//! fold into one signal.

mod normalize;
pub mod pull;
#[cfg(test)]
mod tests;

pub use normalize::{normalize_as, Alertmanager};
