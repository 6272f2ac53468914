//! Per-key rate limits (a connector instance, an API token): a fixed
//! one-minute window per key. A flood gets 429 with `Retry-After` instead of
//! filling the disk or starving the other senders.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Webhooks per instance per minute unless its config says `rateLimitPerMinute`.
pub const DEFAULT_WEBHOOKS_PER_MINUTE: u32 = 100;
/// Ingest API requests per token per minute.
pub const INGEST_PER_MINUTE: u32 = 300;

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// Counts one request for `key`; `Err(seconds)` to wait when over `per_minute`.
    pub fn check(&self, key: &str, per_minute: u32) -> Result<(), u64> {
        self.check_at(key, per_minute, Instant::now())
    }

    fn check_at(&self, key: &str, per_minute: u32, now: Instant) -> Result<(), u64> {
        let Ok(mut w) = self.windows.lock() else {
            return Ok(());
        };
        let slot = w.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(slot.0) >= WINDOW {
            *slot = (now, 0);
        }
        if slot.1 >= per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(slot.0));
            return Err(left.as_secs().max(1));
        }
        slot.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_cut_off_until_the_window_turns() {
        let r = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(r.check_at("a", 3, t0), Ok(()));
        }
        let wait = r
            .check_at("a", 3, t0 + Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(wait, 40);
        assert_eq!(r.check_at("b", 3, t0), Ok(()), "keys are independent");
        assert_eq!(r.check_at("a", 3, t0 + Duration::from_secs(61)), Ok(()));
    }
}
