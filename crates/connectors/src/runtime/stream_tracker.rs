//! What a consuming source (a Redis stream consumer, an IMAP folder
//! reader) tells the host about itself while it runs: its state with how
//! long it has been in it, and what it has taken. Kept here so every
//! consumer reports the same way.

use super::{SourceContext, StreamStatus};
use chrono::Utc;

pub struct StreamTracker {
    ctx: SourceContext,
    pub status: StreamStatus,
    /// It reached its server at least once (a later failure is a
    /// reconnection, not a setup mistake).
    pub connected_once: bool,
}

impl StreamTracker {
    /// A tracker in state `connecting`, published at once. `stream` is what
    /// it reads (a stream, a folder), `group` its consumer group (empty when
    /// the protocol has none).
    pub fn new(
        ctx: &SourceContext,
        server: String,
        stream: &str,
        group: &str,
        consumer: &str,
    ) -> StreamTracker {
        let t = StreamTracker {
            ctx: ctx.clone(),
            status: StreamStatus {
                state: "connecting".into(),
                message: None,
                server,
                stream: stream.to_string(),
                group: group.to_string(),
                consumer: consumer.to_string(),
                lag: None,
                pending: 0,
                last_entry_id: None,
                last_taken_id: None,
                last_taken_at: None,
                taken: 0,
                dead_lettered: 0,
                since: Utc::now(),
            },
            connected_once: false,
        };
        t.publish();
        t
    }

    /// Tells the host the status as it is now.
    pub fn publish(&self) {
        self.ctx
            .host
            .stream_status(&self.ctx.instance.id, Some(self.status.clone()));
    }

    /// Moves to `state` (the time in it restarts only when it changes).
    pub fn set(&mut self, state: &str, message: Option<String>) {
        if self.status.state != state {
            self.status.since = Utc::now();
        }
        self.status.state = state.into();
        self.status.message = message;
        self.publish();
    }

    /// `n` items committed (`dead` of them as dead letters), the last one `last`.
    pub fn taken(&mut self, last: Option<String>, n: u64, dead: u64) {
        self.status.taken += n;
        self.status.dead_lettered += dead;
        if n > 0 {
            self.status.last_taken_at = Some(Utc::now());
        }
        if last.is_some() {
            self.status.last_taken_id = last;
        }
        self.publish();
    }
}
