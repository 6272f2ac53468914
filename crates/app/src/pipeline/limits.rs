//! Rate limits as token buckets (the `governor` crate), one per key: a
//! connector instance's verified deliveries, its unverified failures, an API
//! token's ingest calls. A bucket holds `burst` tokens and refills at
//! `per_minute`; a request takes one or gets 429 with `Retry-After`.
//!
//! A bucket, not a fixed window: an alert storm arrives as thousands of
//! deliveries in a few seconds and must all be taken (the default burst is
//! sized for that), while a sender that never stops is still held to its
//! rate. Keys are only ever ids the server already knows (an instance that
//! exists, a token that verified), so the map stays as small as the setup.

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter as Bucket};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A bucket's size and refill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Tokens added per minute (the sustained rate).
    pub per_minute: u32,
    /// Tokens the bucket holds: how many may arrive at once.
    pub burst: u32,
}

/// Verified webhook deliveries per instance unless its config says
/// `rateLimitPerMinute` / `rateLimitBurst`: 100 a second sustained, 5,000
/// at once. Alertmanager posts one request per alert group, so a storm of
/// thousands of groups arrives as thousands of requests within seconds.
pub const DEFAULT_WEBHOOKS: Rate = Rate {
    per_minute: 6_000,
    burst: 5_000,
};
/// Deliveries that fail verification, per instance: a sender with a wrong
/// secret notices long before this, and a forger gets 429 soon after — on
/// a budget of its own, so it never spends the real sender's.
pub const UNVERIFIED: Rate = Rate {
    per_minute: 60,
    burst: 30,
};
/// Ingest API requests per token.
pub const INGEST: Rate = Rate {
    per_minute: 300,
    burst: 300,
};

impl Rate {
    /// The rate an instance's config asks for, over `default`: a sustained
    /// `rateLimitPerMinute` alone keeps its old meaning (that many at once
    /// too); `rateLimitBurst` sets the bucket size.
    pub fn from_config(config: &serde_json::Value, default: Rate) -> Rate {
        let n = |k: &str| {
            config
                .get(k)
                .and_then(serde_json::Value::as_u64)
                .map(|n| n.clamp(1, u64::from(u32::MAX)) as u32)
        };
        match (n("rateLimitPerMinute"), n("rateLimitBurst")) {
            (None, None) => default,
            (Some(per_minute), burst) => Rate {
                per_minute,
                burst: burst.unwrap_or(per_minute),
            },
            (None, Some(burst)) => Rate { burst, ..default },
        }
    }

    fn quota(self) -> Quota {
        let one = NonZeroU32::MIN;
        let burst = NonZeroU32::new(self.burst).unwrap_or(one);
        // One token every 60 s / per_minute (nanosecond steps: up to
        // 60 billion a minute, far past anything asked).
        let period = Duration::from_secs(60) / self.per_minute.max(1);
        Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(one))
            .allow_burst(burst)
    }
}

type Direct<C> = Bucket<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    C,
    governor::middleware::NoOpMiddleware<<C as Clock>::Instant>,
>;

/// A bucket and the rate it was made for.
type Keyed<C> = HashMap<String, (Rate, Arc<Direct<C>>)>;

/// Buckets by key, each with the rate it was made for.
pub struct RateLimiter<C: Clock = DefaultClock> {
    clock: C,
    buckets: Mutex<Keyed<C>>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::with_clock(DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    pub fn with_clock(clock: C) -> Self {
        RateLimiter {
            clock,
            buckets: Mutex::default(),
        }
    }

    /// Takes one token from `key`'s bucket; `Err(seconds)` to wait when it
    /// is empty. A changed rate (the config was edited) starts a new bucket.
    pub fn check(&self, key: &str, rate: Rate) -> Result<(), u64> {
        let bucket = {
            let Ok(mut buckets) = self.buckets.lock() else {
                return Ok(());
            };
            match buckets.get(key) {
                Some((r, b)) if *r == rate => b.clone(),
                _ => {
                    let b = Arc::new(Bucket::direct_with_clock(rate.quota(), self.clock.clone()));
                    buckets.insert(key.to_string(), (rate, b.clone()));
                    b
                }
            }
        };
        bucket.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

/// Lets a repeated warning through a few times a minute, so a flood of bad
/// requests cannot fill the log; says how many were held back meanwhile.
pub struct WarnGate {
    bucket: Direct<DefaultClock>,
    held: std::sync::atomic::AtomicU64,
}

impl Default for WarnGate {
    fn default() -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN));
        WarnGate {
            bucket: Bucket::direct(quota),
            held: Default::default(),
        }
    }
}

impl WarnGate {
    /// `Some(n)`: log this one, and say `n` like it were not logged before.
    pub fn allow(&self) -> Option<u64> {
        use std::sync::atomic::Ordering;
        match self.bucket.check() {
            Ok(()) => Some(self.held.swap(0, Ordering::Relaxed)),
            Err(_) => {
                self.held.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    #[test]
    fn a_storm_sized_burst_passes_then_the_rate_holds() {
        let clock = FakeRelativeClock::default();
        let r = RateLimiter::with_clock(clock.clone());
        for i in 0..DEFAULT_WEBHOOKS.burst {
            assert_eq!(r.check("i", DEFAULT_WEBHOOKS), Ok(()), "request {i}");
        }
        assert_eq!(r.check("i", DEFAULT_WEBHOOKS), Err(1));
        assert_eq!(r.check("other", DEFAULT_WEBHOOKS), Ok(()), "keys are apart");
        // 100 a second come back.
        clock.advance(Duration::from_secs(1));
        for _ in 0..100 {
            assert_eq!(r.check("i", DEFAULT_WEBHOOKS), Ok(()));
        }
        assert!(r.check("i", DEFAULT_WEBHOOKS).is_err());
    }

    #[test]
    fn retry_after_says_when_the_next_token_comes() {
        let clock = FakeRelativeClock::default();
        let r = RateLimiter::with_clock(clock.clone());
        let slow = Rate {
            per_minute: 2,
            burst: 1,
        };
        assert_eq!(r.check("k", slow), Ok(()));
        assert_eq!(r.check("k", slow), Err(30));
        clock.advance(Duration::from_secs(20));
        assert_eq!(r.check("k", slow), Err(10));
        clock.advance(Duration::from_secs(10));
        assert_eq!(r.check("k", slow), Ok(()));
        // A changed rate is a new bucket.
        assert_eq!(r.check("k", Rate { burst: 5, ..slow }), Ok(()));
    }

    #[test]
    fn config_sets_the_rate_over_the_default() {
        let d = DEFAULT_WEBHOOKS;
        let c = |v: serde_json::Value| Rate::from_config(&v, d);
        assert_eq!(c(serde_json::json!({})), d);
        assert_eq!(
            c(serde_json::json!({"rateLimitPerMinute": 100})),
            Rate {
                per_minute: 100,
                burst: 100
            }
        );
        assert_eq!(
            c(serde_json::json!({"rateLimitPerMinute": 100, "rateLimitBurst": 9})),
            Rate {
                per_minute: 100,
                burst: 9
            }
        );
        assert_eq!(
            c(serde_json::json!({"rateLimitBurst": 0})),
            Rate { burst: 1, ..d }
        );
    }

    #[test]
    fn the_warn_gate_holds_a_flood_back_and_counts_it() {
        let g = WarnGate::default();
        let let_through = (0..1000).filter(|_| g.allow().is_some()).count();
        assert_eq!(let_through, 20);
    }
}
