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
    if dead {
        conn.execute(
            "UPDATE connector_state SET items_dead_lettered = items_dead_lettered + 1 WHERE instance_id = ?1",
            [instance_id],
        )?;
    } else {
        conn.execute(
            "UPDATE connector_state SET items_received = items_received + 1, last_success_at = ?2 WHERE instance_id = ?1",
            params![instance_id, at],
        )?;
    }
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
}

pub fn state(conn: &Connection, id: &str) -> Result<State> {
    Ok(conn
        .query_row(
            "SELECT last_success_at, last_error, consecutive_failures, items_received, items_dead_lettered
             FROM connector_state WHERE instance_id = ?1",
            [id],
            |r| {
                Ok(State {
                    last_success_at: r.get(0)?,
                    last_error: r.get(1)?,
                    consecutive_failures: r.get(2)?,
                    items_received: r.get(3)?,
                    items_dead_lettered: r.get(4)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

pub fn project_exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM projects WHERE id = ?1")?
        .exists([id])?)
}
