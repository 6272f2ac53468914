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
