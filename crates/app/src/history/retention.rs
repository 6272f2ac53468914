//! How long the store keeps what it no longer needs: processed inbox rows
//! (the raw payloads, kept for re-processing and back-tests), dead letters
//! and the delivery ids that catch re-sends. Without it the inbox grew by
//! every payload ever received. Signals, incidents and their ledgers are
//! the product and are kept.
//!
//! Set in `settings.json` (`{"retention": {"inboxDays": 7,
//! "deadLetterDays": 30}}`); read at start. An inbox row is never deleted
//! before the engine's saved state includes it: recovery after a crash
//! decides again on the rows after that state.

use crate::App;
use causeway_store::{dead_letters, inbox, ts, webhook_deliveries};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Rows deleted per writer job, so intake never waits long behind one.
const CHUNK: i64 = 2000;
/// How often the old rows are looked for (and once shortly after start).
const EVERY: Duration = Duration::from_secs(3600);
const FIRST_AFTER: Duration = Duration::from_secs(60);

/// Days to keep each kind of row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Retention {
    /// Processed inbox rows (and delivery ids) older than this go.
    pub inbox_days: u32,
    /// Dead letters older than this go, re-played or not.
    pub dead_letter_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            inbox_days: 7,
            dead_letter_days: 30,
        }
    }
}

/// What one pass deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Pruned {
    pub inbox: usize,
    pub dead_letters: usize,
    pub deliveries: usize,
}

/// Runs [`App::prune`] in the background, now and then.
pub(crate) fn spawn(app: App, r: Retention) {
    tokio::spawn(async move {
        tokio::time::sleep(FIRST_AFTER).await;
        loop {
            let now = chrono::Utc::now();
            match app.prune(r, now).await {
                Ok(p) if p != Pruned::default() => tracing::info!(?p, "old rows deleted"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention pass failed; will retry"),
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

impl App {
    /// Deletes what `r` no longer keeps at `now`, a chunk per writer job.
    pub async fn prune(
        &self,
        r: Retention,
        now: chrono::DateTime<chrono::Utc>,
    ) -> causeway_store::Result<Pruned> {
        let days = |d: u32| ts(now - chrono::Duration::days(i64::from(d)));
        let (inbox_before, dead_before) = (days(r.inbox_days), days(r.dead_letter_days));
        let kept_seq = self
            .keeper
            .lock()
            .map_err(|_| crate::pipeline::process::poisoned())?
            .saved_seq();
        let mut out = Pruned::default();
        loop {
            let before = inbox_before.clone();
            let n = self
                .store
                .write(move |c| inbox::delete_processed_before(c, &before, kept_seq, CHUNK))
                .await?;
            out.inbox += n;
            if n < CHUNK as usize {
                break;
            }
        }
        let before = inbox_before.clone();
        out.deliveries = self
            .store
            .write(move |c| webhook_deliveries::delete_before(c, &before))
            .await?;
        out.dead_letters = self
            .store
            .write(move |c| dead_letters::delete_before(c, &dead_before))
            .await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn am(fp: &str) -> Vec<u8> {
        format!(
            r#"{{"version":"4","status":"firing","alerts":[{{"status":"firing","fingerprint":"{fp}",
            "labels":{{"alertname":"A{fp}","namespace":"shop","pod":"cart-7d9f8b6c5-x2b4k","severity":"warning"}},
            "startsAt":"2026-11-20T03:00:00Z"}}]}}"#
        )
        .into_bytes()
    }

    #[tokio::test]
    async fn old_processed_payloads_and_dead_letters_go_and_recent_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let app = crate::test_support::open(dir.path());
        for fp in ["a", "b"] {
            app.accept_webhook("alertmanager", "default", Default::default(), am(fp))
                .await
                .unwrap();
        }
        // A body that is not JSON: a dead letter at once.
        let _ = app
            .accept_webhook(
                "alertmanager",
                "default",
                Default::default(),
                b"{oops".to_vec(),
            )
            .await;
        app.drain().await;
        let count = |sql: &'static str| {
            app.store()
                .read_blocking(move |c| Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))?))
                .unwrap()
        };
        let r = Retention::default();
        let now = chrono::Utc::now();
        // Nothing is old yet.
        assert_eq!(app.prune(r, now).await.unwrap(), Pruned::default());
        // Eight days on, the engine's state not yet saved: the inbox stays
        // (recovery would need it), the dead letter too (30 days).
        let later = now + chrono::Duration::days(8);
        assert_eq!(app.prune(r, later).await.unwrap().inbox, 0);
        // Once the state is saved, the processed rows may go.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        app.drain().await;
        let p = app.prune(r, later).await.unwrap();
        assert_eq!((p.inbox, p.dead_letters), (2, 0));
        assert_eq!(count("SELECT COUNT(*) FROM inbox"), 0);
        assert_eq!(count("SELECT COUNT(*) FROM signals"), 2, "signals are kept");
        let p = app
            .prune(r, now + chrono::Duration::days(31))
            .await
            .unwrap();
        assert_eq!(p.dead_letters, 1);
        assert_eq!(count("SELECT COUNT(*) FROM dead_letters"), 0);
    }
}
