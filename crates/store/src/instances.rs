//! `connector_instances` and `connector_state`.

use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: String,
    pub descriptor_id: String,
    pub project_id: String,
    pub name: String,
    pub enabled: bool,
    pub config: String,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Instance> {
    Ok(Instance {
        id: r.get(0)?,
        descriptor_id: r.get(1)?,
        project_id: r.get(2)?,
        name: r.get(3)?,
        enabled: r.get(4)?,
        config: r.get(5)?,
    })
}

/// The enabled instance of `descriptor_id` in `project_id` that takes webhooks.
pub fn enabled_for(
    conn: &Connection,
    descriptor_id: &str,
    project_id: &str,
) -> Result<Option<Instance>> {
    Ok(conn
        .query_row(
            "SELECT id, descriptor_id, project_id, name, enabled, config FROM connector_instances
             WHERE descriptor_id = ?1 AND project_id = ?2 AND enabled = 1 ORDER BY created_at, id LIMIT 1",
            params![descriptor_id, project_id],
            row,
        )
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<Instance>> {
    let mut st = conn.prepare(
        "SELECT id, descriptor_id, project_id, name, enabled, config FROM connector_instances ORDER BY project_id, name, id",
    )?;
    let rows = st.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Counts a received item, or a dead-lettered one, for the health page.
pub fn count_item(conn: &Connection, instance_id: &str, dead: bool, at: &str) -> Result<()> {
    let (received, dead) = if dead { (0, 1) } else { (1, 0) };
    count_items(conn, instance_id, received, dead, at)
}

/// Adds payloads taken in (`received`, which also marks `at` as the last
/// success) and dead-lettered to an instance's counts: once per processing
/// batch and instance, not per payload.
pub fn count_items(
    conn: &Connection,
    instance_id: &str,
    received: i64,
    dead: i64,
    at: &str,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE connector_state SET items_received = items_received + ?2,
           items_dead_lettered = items_dead_lettered + ?3,
           last_success_at = CASE WHEN ?2 > 0 THEN ?4 ELSE last_success_at END
         WHERE instance_id = ?1",
    )?
    .execute(params![instance_id, received, dead, at])?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Instance>> {
    Ok(conn
        .query_row(
            "SELECT id, descriptor_id, project_id, name, enabled, config FROM connector_instances WHERE id = ?1",
            [id],
            row,
        )
        .optional()?)
}

/// Adds an instance and its (empty) state row.
pub fn insert(conn: &Connection, i: &Instance, at: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO connector_instances (id, descriptor_id, project_id, name, enabled, config, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![i.id, i.descriptor_id, i.project_id, i.name, i.enabled, i.config, at],
    )?;
    conn.execute(
        "INSERT INTO connector_state (instance_id) VALUES (?1)",
        [&i.id],
    )?;
    Ok(())
}

pub fn set_enabled(conn: &Connection, id: &str, enabled: bool) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE connector_instances SET enabled = ?2 WHERE id = ?1",
        params![id, enabled],
    )? > 0)
}

/// Deletes the instance; its state, inbox rows and deliveries go with it.
pub fn delete(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM connector_instances WHERE id = ?1", [id])? > 0)
}

/// Counters the health view shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub items_received: i64,
    pub items_dead_lettered: i64,
    pub last_poll_at: Option<String>,
    pub last_error_class: Option<String>,
    pub last_latency_ms: Option<i64>,
    pub items_fetched: i64,
    pub items_published: i64,
    pub items_skipped: i64,
    pub polls: i64,
    pub next_attempt_at: Option<String>,
    pub quiet_since: Option<String>,
}

pub fn state(conn: &Connection, id: &str) -> Result<State> {
    Ok(conn
        .query_row(
            "SELECT last_success_at, last_error, consecutive_failures, items_received, items_dead_lettered,
                    last_poll_at, last_error_class, last_latency_ms, items_fetched, items_published,
                    items_skipped, polls, next_attempt_at, quiet_since
             FROM connector_state WHERE instance_id = ?1",
            [id],
            |r| {
                Ok(State {
                    last_success_at: r.get(0)?,
                    last_error: r.get(1)?,
                    consecutive_failures: r.get(2)?,
                    items_received: r.get(3)?,
                    items_dead_lettered: r.get(4)?,
                    last_poll_at: r.get(5)?,
                    last_error_class: r.get(6)?,
                    last_latency_ms: r.get(7)?,
                    items_fetched: r.get(8)?,
                    items_published: r.get(9)?,
                    items_skipped: r.get(10)?,
                    polls: r.get(11)?,
                    next_attempt_at: r.get(12)?,
                    quiet_since: r.get(13)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// A poll started.
pub fn poll_started(conn: &Connection, id: &str, at: &str) -> Result<()> {
    conn.execute(
        "UPDATE connector_state SET last_poll_at = ?2, polls = polls + 1 WHERE instance_id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// A poll succeeded: counts added, failures cleared.
pub fn poll_succeeded(
    conn: &Connection,
    id: &str,
    at: &str,
    latency_ms: i64,
    counts: (i64, i64, i64),
    next_at: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE connector_state SET last_success_at = ?2, last_latency_ms = ?3, consecutive_failures = 0,
           last_error = NULL, last_error_class = NULL, items_fetched = items_fetched + ?4,
           items_published = items_published + ?5, items_skipped = items_skipped + ?6, next_attempt_at = ?7
         WHERE instance_id = ?1",
        params![id, at, latency_ms, counts.0, counts.1, counts.2, next_at],
    )?;
    Ok(())
}

/// A poll failed: the error (for a person), its class, and when it is tried again.
pub fn poll_failed(
    conn: &Connection,
    id: &str,
    error: &str,
    class: &str,
    latency_ms: Option<i64>,
    next_at: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE connector_state SET last_error = ?2, last_error_class = ?3,
           last_latency_ms = COALESCE(?4, last_latency_ms), consecutive_failures = consecutive_failures + 1,
           next_attempt_at = ?5
         WHERE instance_id = ?1",
        params![id, error, class, latency_ms, next_at],
    )?;
    Ok(())
}

pub fn checkpoint(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT checkpoint FROM connector_state WHERE instance_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

pub fn set_checkpoint(conn: &Connection, id: &str, checkpoint: &str) -> Result<()> {
    conn.execute(
        "UPDATE connector_state SET checkpoint = ?2 WHERE instance_id = ?1",
        params![id, checkpoint],
    )?;
    Ok(())
}

/// Marks the instance quiet since `at`, or (None) not quiet.
pub fn set_quiet(conn: &Connection, id: &str, at: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE connector_state SET quiet_since = ?2 WHERE instance_id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// Updates an instance's settings (name, config, enabled, owner).
pub fn update(conn: &Connection, i: &Instance) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE connector_instances SET name = ?2, enabled = ?3, config = ?4 WHERE id = ?1",
        params![i.id, i.name, i.enabled, i.config],
    )? > 0)
}

/// Who manages the instance: `Some("file")` for connectors.json.
pub fn managed_by(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT managed_by FROM connector_instances WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

pub fn set_managed_by(conn: &Connection, id: &str, by: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE connector_instances SET managed_by = ?2 WHERE id = ?1",
        params![id, by],
    )?;
    Ok(())
}

/// Received times of an instance's signals since `since`, oldest first
/// (health monitor signals left out: they are about the instance, not from it).
pub fn signal_times(conn: &Connection, id: &str, since: &str) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT received_at FROM signals WHERE instance_id = ?1 AND received_at >= ?2
           AND source_type <> 'CAUSEWAY_HEALTH' ORDER BY received_at",
    )?;
    let rows = st.query_map(params![id, since], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An instance's signals before `now` (health signals aside): per hour of
/// age for the last 24 hours, oldest first, and the 24 h and 7 d totals.
/// Counted by SQLite: a busy instance has a week of storms behind it, and
/// the health view asks on every refresh.
pub fn signal_counts(
    conn: &Connection,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<i64>, i64, i64)> {
    let (now_s, day_ago) = (crate::ts(now), crate::ts(now - chrono::Duration::hours(24)));
    let week_ago = crate::ts(now - chrono::Duration::days(7));
    let week: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM signals WHERE instance_id = ?1 AND received_at > ?2
               AND source_type <> 'CAUSEWAY_HEALTH'",
        )?
        .query_row(params![id, week_ago], |r| r.get(0))?;
    let mut hours = vec![0i64; 24];
    let mut st = conn.prepare_cached(
        "SELECT CAST(ROUND((julianday(?2) - julianday(received_at)) * 86400000) AS INTEGER) / 3600000,
                COUNT(*)
         FROM signals WHERE instance_id = ?1 AND received_at > ?3 AND received_at <= ?2
           AND source_type <> 'CAUSEWAY_HEALTH'
         GROUP BY 1",
    )?;
    let rows = st.query_map(params![id, now_s, day_ago], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut day = 0;
    for row in rows {
        let (age_hours, n) = row?;
        hours[23 - age_hours.clamp(0, 23) as usize] += n;
        day += n;
    }
    Ok((hours, day, week))
}

/// Dead letters of an instance received since `since`.
pub fn dead_letters_since(conn: &Connection, id: &str, since: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM dead_letters WHERE instance_id = ?1 AND received_at >= ?2 AND replayed_at IS NULL",
        params![id, since],
        |r| r.get(0),
    )?)
}

pub fn project_exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM projects WHERE id = ?1")?
        .exists([id])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    #[test]
    fn signal_counts_bucket_the_last_day_by_hour_and_total_the_week() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = crate::db::open_connection(dir.path()).unwrap();
        crate::db::migrate(&mut c).unwrap();
        let now = Utc::now();
        let add = |id: &str, instance: &str, source: &str, ago: Duration| {
            let at = crate::ts(now - ago);
            c.execute(
                "INSERT INTO signals (id, project_id, instance_id, source_type, kind, status, severity,
                   title, fingerprint, correlation_key, occurred_at, received_at, last_seen_at, data)
                 VALUES (?1, 'default', ?2, ?3, 'alert', 'firing', 'high', 't', ?1, ?1, ?4, ?4, ?4, '{}')",
                params![id, instance, source, at],
            )
            .unwrap();
        };
        add("a", "i", "PROMETHEUS", Duration::minutes(30));
        add("b", "i", "PROMETHEUS", Duration::minutes(23 * 60 + 30));
        add("c", "i", "PROMETHEUS", Duration::days(3));
        add("old", "i", "PROMETHEUS", Duration::days(8));
        add("health", "i", "CAUSEWAY_HEALTH", Duration::minutes(10));
        add("other", "j", "PROMETHEUS", Duration::minutes(5));
        let (hours, day, week) = signal_counts(&c, "i", now).unwrap();
        assert_eq!(hours.len(), 24);
        assert_eq!((hours[23], hours[0], day, week), (1, 1, 2, 3));
        assert_eq!(hours.iter().sum::<i64>(), day);
        let (hours, day, week) = signal_counts(&c, "none", now).unwrap();
        assert_eq!((hours, day, week), (vec![0; 24], 0, 0));
    }
}
