//! What "Test connection" finds for a source that consumes (a Redis stream,
//! an IMAP folder): whether it got in, and the next items as they would be
//! stored, without taking them.

use super::Payload;
use std::time::{Duration, Instant};

/// What a test found.
#[derive(Debug, Clone)]
pub struct Probe {
    pub ok: bool,
    pub latency: Duration,
    /// For a person: what worked, or what failed and what to do.
    pub message: String,
    /// The next items as inbox payloads (a dead letter's for one that
    /// cannot be read).
    pub payloads: Vec<Payload>,
}

impl Probe {
    /// A test that failed, `started` ago, for `message`'s reason.
    pub fn failed(started: Instant, message: String) -> Probe {
        Probe {
            ok: false,
            latency: started.elapsed(),
            message,
            payloads: Vec::new(),
        }
    }
}
