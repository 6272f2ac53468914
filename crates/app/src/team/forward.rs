//! The outbox forwarder: moves what this member accepted onto the team
//! log, oldest first, a batch per script call, and deletes it locally once
//! Redis has it. Redis remembers the last row each member forwarded, so a
//! batch sent again after a crash (on the log, not yet deleted here) adds
//! nothing twice. While Redis cannot be reached the rows wait, and the
//! team view says how many.

use super::{scripts, Team};
use crate::App;
use causeway_store::team_outbox;
use std::sync::Arc;
use std::time::Duration;

/// Rows per script call, and their bytes at most.
const BATCH: i64 = 256;
const BATCH_BYTES: usize = 4 * 1024 * 1024;

pub(super) async fn run(app: App, team: Arc<Team>) {
    let mut failures = 0u32;
    loop {
        let rows = match app.store().read(|c| team_outbox::oldest(c, BATCH)).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the team outbox");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if rows.is_empty() {
            team.lock().outbox = 0;
            tokio::select! {
                _ = team.forward.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        let mut batch = Vec::new();
        let mut bytes = 0;
        for r in rows {
            bytes += r.body.len() + r.headers.len();
            if !batch.is_empty() && bytes > BATCH_BYTES {
                break;
            }
            batch.push(r);
        }
        let last = batch.last().map_or(0, |r| r.id);
        match send(&team, &batch).await {
            Ok(()) => {
                failures = 0;
                team.ok();
                if let Err(e) = app
                    .store()
                    .write(move |c| team_outbox::delete_through(c, last))
                    .await
                {
                    // Sent again next turn; Redis skips what it has.
                    tracing::error!(error = %e, "cannot clear the team outbox");
                }
                let left = app.store().read(team_outbox::count).await.unwrap_or(0);
                team.lock().outbox = left.max(0) as u64;
            }
            Err(e) => {
                team.failed(e).await;
                let left = app.store().read(team_outbox::count).await.unwrap_or(0);
                team.lock().outbox = left.max(0) as u64;
                failures = failures.saturating_add(1);
                let wait = Duration::from_millis(200 * u64::from(failures.min(10)));
                tokio::select! {
                    _ = team.forward.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

async fn send(team: &Team, rows: &[team_outbox::OutboxItem]) -> Result<(), String> {
    let mut conn = team.conn().await?;
    let s = scripts::forward();
    let mut inv = s.prepare_invoke();
    inv.key(team.key("log"))
        .key(team.key("forwarded"))
        .key(team.key("instances"))
        .key(team.key("correlation"))
        .arg(&team.member_id)
        .arg(rows.len());
    for r in rows {
        inv.arg(r.id)
            .arg(&r.kind)
            .arg(r.instance_id.as_deref().unwrap_or(""))
            .arg(r.connector_id.as_deref().unwrap_or(""))
            .arg(r.project_id.as_deref().unwrap_or(""))
            .arg(&r.received_at)
            .arg(&r.headers)
            .arg(&r.body[..]);
    }
    let added: Result<i64, redis::RedisError> = inv.invoke_async(&mut conn).await;
    added.map(|_| ()).map_err(|e| {
        format!(
            "cannot put accepted items on the team log: {}",
            causeway_connectors::sources::redis_streams::describe(&e)
        )
    })
}
