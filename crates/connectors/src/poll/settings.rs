//! How often and how patiently an instance polls: the connector framework's
//! settings (`pollIntervalMs`, `requestTimeoutMs`, `maxRetries`,
//! `retryConfig {baseDelayMs, maxDelayMs, jitterRatio}`), read from the
//! instance's config with the descriptor's defaults under them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// Exponential backoff with jitter between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetryConfig {
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// 0.2 spreads each delay over ±20 %.
    pub jitter_ratio: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            base_delay_ms: 1_000,
            max_delay_ms: 60_000,
            jitter_ratio: 0.2,
        }
    }
}

impl RetryConfig {
    /// The delay before retry number `attempt` (1 = the first retry):
    /// `base · 2^(attempt-1)`, capped at `max`, then jittered.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(30));
        jitter(
            Duration::from_millis(exp.min(self.max_delay_ms)),
            self.jitter_ratio,
        )
    }
}

/// Spreads `d` uniformly over `d · (1 ± ratio)` so that many instances
/// started together do not poll in lockstep.
pub fn jitter(d: Duration, ratio: f64) -> Duration {
    let ratio = ratio.clamp(0.0, 1.0);
    if ratio == 0.0 {
        return d;
    }
    let mut b = [0u8; 8];
    // No randomness is no jitter, never an error.
    let unit = match getrandom::fill(&mut b) {
        Ok(()) => (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    };
    let factor = 1.0 + ratio * (2.0 * unit - 1.0);
    Duration::from_secs_f64((d.as_secs_f64() * factor).max(0.0))
}

/// The settings one instance runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    pub poll_interval: Duration,
    pub request_timeout: Duration,
    /// Retries of one request within a poll (0: a failure ends the poll).
    pub max_retries: u32,
    pub retry: RetryConfig,
    /// Requests per minute this instance may send (0: unlimited).
    pub requests_per_minute: u32,
    /// Pages one poll may fetch per stream before it stops (a loop guard).
    pub max_pages: u32,
    /// The largest answer read (`maxResponseBytes`, 16 MB unless set): an
    /// upstream that sends more fails the poll instead of filling memory.
    pub max_response_bytes: u64,
}

/// Answers up to this size are read unless `maxResponseBytes` says.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

impl RunSettings {
    /// Reads the instance config over the defaults given (the descriptor's).
    /// Out-of-range values are clamped to sane bounds, not refused: an
    /// interval of 0 would hammer the upstream.
    pub fn from_config(config: &Value, default_interval: Duration, default_rpm: u32) -> Self {
        let ms = |k: &str| config.get(k).and_then(Value::as_u64);
        let retry = config
            .get("retryConfig")
            .and_then(|v| serde_json::from_value::<RetryConfig>(v.clone()).ok())
            .unwrap_or_default();
        RunSettings {
            poll_interval: Duration::from_millis(
                ms("pollIntervalMs")
                    .unwrap_or(default_interval.as_millis() as u64)
                    .clamp(1_000, 86_400_000),
            ),
            request_timeout: Duration::from_millis(
                ms("requestTimeoutMs").unwrap_or(30_000).clamp(100, 600_000),
            ),
            max_retries: ms("maxRetries").unwrap_or(3).min(10) as u32,
            retry: RetryConfig {
                base_delay_ms: retry.base_delay_ms.clamp(10, 3_600_000),
                max_delay_ms: retry.max_delay_ms.clamp(10, 3_600_000),
                jitter_ratio: retry.jitter_ratio.clamp(0.0, 1.0),
            },
            requests_per_minute: ms("requestsPerMinute")
                .unwrap_or(u64::from(default_rpm))
                .min(100_000) as u32,
            max_pages: ms("maxPages").unwrap_or(50).clamp(1, 10_000) as u32,
            max_response_bytes: ms("maxResponseBytes")
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES)
                .clamp(1024, 1024 * 1024 * 1024),
        }
    }

    /// When to poll again after `failures` consecutive failed polls: the
    /// interval, or the backoff once it grows past it (capped at an hour).
    pub fn next_delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return jitter(self.poll_interval, self.retry.jitter_ratio.min(0.1));
        }
        let backoff = RetryConfig {
            max_delay_ms: self
                .retry
                .max_delay_ms
                .max(self.poll_interval.as_millis() as u64)
                .min(3_600_000),
            ..self.retry
        }
        .delay(failures);
        backoff
            .max(jitter(self.poll_interval, 0.1).min(Duration::from_secs(3600)))
            .min(Duration::from_secs(3600))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backoff_doubles_caps_and_jitters_within_its_ratio() {
        let r = RetryConfig {
            base_delay_ms: 100,
            max_delay_ms: 1_000,
            jitter_ratio: 0.0,
        };
        let ms: Vec<u128> = (1..=6).map(|a| r.delay(a).as_millis()).collect();
        assert_eq!(ms, vec![100, 200, 400, 800, 1000, 1000]);
        let j = RetryConfig {
            jitter_ratio: 0.5,
            ..r
        };
        let all: Vec<u128> = (0..200).map(|_| j.delay(3).as_millis()).collect();
        assert!(all.iter().all(|d| (200..=600).contains(d)), "{all:?}");
        assert!(
            all.iter().any(|d| *d < 380) && all.iter().any(|d| *d > 420),
            "jitter spreads: {all:?}"
        );
    }

    #[test]
    fn settings_come_from_config_over_defaults_and_are_clamped() {
        let s = RunSettings::from_config(
            &json!({"pollIntervalMs": 5000, "requestTimeoutMs": 1500, "maxRetries": 2,
                    "retryConfig": {"baseDelayMs": 50, "maxDelayMs": 400, "jitterRatio": 0.1}}),
            Duration::from_secs(60),
            30,
        );
        assert_eq!(s.poll_interval, Duration::from_secs(5));
        assert_eq!(s.request_timeout, Duration::from_millis(1500));
        assert_eq!(s.max_retries, 2);
        assert_eq!(s.retry.base_delay_ms, 50);
        assert_eq!(s.requests_per_minute, 30);
        let d = RunSettings::from_config(&json!({"pollIntervalMs": 0}), Duration::from_secs(60), 0);
        assert_eq!(
            d.poll_interval,
            Duration::from_secs(1),
            "never below a second"
        );
        assert_eq!(d.max_retries, 3);
        // After failures the next poll is never sooner than the interval...
        assert!(s.next_delay(6) >= Duration::from_millis(4500));
        assert!(s.next_delay(30) <= Duration::from_secs(3600));
        // ...and backs off past it when the retry settings allow.
        let t = RunSettings::from_config(
            &json!({"pollIntervalMs": 5000,
                    "retryConfig": {"baseDelayMs": 1000, "maxDelayMs": 60000, "jitterRatio": 0.1}}),
            Duration::from_secs(60),
            0,
        );
        assert!(t.next_delay(0) <= Duration::from_millis(5500));
        assert!(t.next_delay(8) >= Duration::from_millis(54_000));
    }
}
