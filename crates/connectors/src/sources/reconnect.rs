//! The loop every consuming source runs (a Redis stream consumer, an IMAP
//! folder reader): a session until it fails, then the same again after a
//! backoff, with the state the host shows (`error` for a setup mistake or
//! before the server was ever reached, `reconnecting` after), until stopped.

use crate::poll::settings::RetryConfig;
use crate::runtime::{ErrorClass, Report, SourceContext, Stop, StreamTracker};

/// Why a session ended other than by stop.
pub struct Failure {
    pub message: String,
    pub class: ErrorClass,
}

/// A failure worth trying again.
pub fn retry(message: String) -> Failure {
    Failure {
        message,
        class: ErrorClass::Retry,
    }
}

/// Settings that cannot be used: checked when the instance is saved, so
/// only a hand-edited row gets here. It says so and waits for a fix.
pub async fn unusable(ctx: &SourceContext, message: String) {
    ctx.report(Report::Failed {
        class: ErrorClass::Fail,
        message,
        latency: None,
        retry_in: None,
    });
    ctx.stop.clone().stopped().await;
}

/// The reconnection loop's bookkeeping, the same for every consuming
/// source: `while r.again(&ctx) { match session(.., &mut r.failures) {
/// Ok => break, Err(f) => if !r.failed(&ctx, &mut st, f).await { break } } }`,
/// then [`Reconnect::done`]. (The loop stays in the source: its session
/// borrows the source's settings, which a shared loop taking it as an
/// async closure could not keep `Send`.)
pub struct Reconnect {
    backoff: RetryConfig,
    stop: Stop,
    /// Failures in a row; a session resets it once it is connected.
    pub failures: u32,
    /// Names the source in the log.
    what: &'static str,
}

impl Reconnect {
    /// Backoff from half a second up to `max_delay_ms`.
    pub fn new(ctx: &SourceContext, max_delay_ms: u64, what: &'static str) -> Reconnect {
        Reconnect {
            backoff: RetryConfig {
                base_delay_ms: 500,
                max_delay_ms,
                jitter_ratio: 0.2,
            },
            stop: ctx.stop.clone(),
            failures: 0,
            what,
        }
    }

    /// Whether to start a session (not stopped); says it is starting.
    pub fn again(&mut self, ctx: &SourceContext) -> bool {
        if self.stop.is_stopped() {
            return false;
        }
        ctx.report(Report::Started);
        true
    }

    /// Reports a session's failure (the state shown: `error` for a setup
    /// mistake or a server never reached, `reconnecting` after) and waits
    /// out the backoff; `false` when stopped meanwhile.
    pub async fn failed(
        &mut self,
        ctx: &SourceContext,
        st: &mut StreamTracker,
        f: Failure,
    ) -> bool {
        self.failures = self.failures.saturating_add(1);
        let wait = self.backoff.delay(self.failures);
        tracing::warn!(instance = %ctx.instance.id, error = %f.message, "{} failed; connecting again", self.what);
        let state = if f.class == ErrorClass::Fail || !st.connected_once {
            "error"
        } else {
            "reconnecting"
        };
        st.set(state, Some(f.message.clone()));
        ctx.report(Report::Failed {
            class: f.class,
            message: f.message,
            latency: None,
            retry_in: Some(wait),
        });
        self.stop.sleep(wait).await
    }

    /// The source stopped: it has no stream status any more.
    pub fn done(ctx: &SourceContext) {
        ctx.host.stream_status(&ctx.instance.id, None);
    }
}
