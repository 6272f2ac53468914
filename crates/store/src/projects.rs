//! `projects`: production and staging kept apart. Every other table names
//! its project; deleting one deletes what names it (the connector tables by
//! their foreign keys, the rest here).

use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: r.get(2)?,
    })
}

/// Every project, `default` first, then by name.
pub fn list(conn: &Connection) -> Result<Vec<Project>> {
    let mut st = conn.prepare(
        "SELECT id, name, created_at FROM projects ORDER BY id <> 'default', lower(name), id",
    )?;
    let rows = st.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Project>> {
    Ok(conn
        .query_row(
            "SELECT id, name, created_at FROM projects WHERE id = ?1",
            [id],
            row,
        )
        .optional()?)
}

/// Adds a project; `false` when the id is taken.
pub fn insert(conn: &Connection, p: &Project) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO projects (id, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO NOTHING",
        params![p.id, p.name, p.created_at],
    )?;
    Ok(n == 1)
}

/// Adds project `id` (named as its id) unless it exists.
pub fn ensure(conn: &Connection, id: &str, at: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO projects (id, name, created_at) VALUES (?1, ?1, ?2) ON CONFLICT(id) DO NOTHING",
        params![id, at],
    )?;
    Ok(())
}

/// Renames a project; `false` when there is none.
pub fn rename(conn: &Connection, id: &str, name: &str) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE projects SET name = ?2 WHERE id = ?1",
        params![id, name],
    )? == 1)
}

/// What a project holds: what its deletion would take.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contents {
    pub connectors: i64,
    pub incidents: i64,
    pub signals: i64,
    pub dead_letters: i64,
    pub waiting: i64,
}

pub fn contents(conn: &Connection, id: &str) -> Result<Contents> {
    let count = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [id], |r| r.get(0))?) };
    Ok(Contents {
        connectors: count("SELECT COUNT(*) FROM connector_instances WHERE project_id = ?1")?,
        incidents: count("SELECT COUNT(*) FROM incidents WHERE project_id = ?1")?,
        signals: count("SELECT COUNT(*) FROM signals WHERE project_id = ?1")?,
        dead_letters: count("SELECT COUNT(*) FROM dead_letters WHERE project_id = ?1")?,
        waiting: count(
            "SELECT COUNT(*) FROM inbox WHERE project_id = ?1 AND processed_at IS NULL",
        )?,
    })
}

/// Deletes a project and everything that names it; `false` when there is
/// none. Links, ledgers, evidence and assignments go with their incidents,
/// the inbox and connector state with their instances (foreign keys).
pub fn delete(conn: &Connection, id: &str) -> Result<bool> {
    for sql in [
        "DELETE FROM dead_letters WHERE project_id = ?1",
        "DELETE FROM incidents WHERE project_id = ?1",
        "DELETE FROM signals WHERE project_id = ?1",
        "DELETE FROM team_outbox WHERE project_id = ?1",
        "DELETE FROM correlation_settings WHERE project_id = ?1",
    ] {
        conn.execute(sql, [id])?;
    }
    Ok(conn.execute("DELETE FROM projects WHERE id = ?1", [id])? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_is_added_renamed_and_deleted_with_what_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = crate::db::open_connection(dir.path()).unwrap();
        crate::db::migrate(&mut db).unwrap();
        let staging = Project {
            id: "staging".into(),
            name: "Staging".into(),
            created_at: "2026-12-07T00:00:00Z".into(),
        };
        assert!(insert(&db, &staging).unwrap());
        assert!(!insert(&db, &staging).unwrap(), "a taken id is refused");
        assert!(rename(&db, "staging", "Pre-production").unwrap());
        assert!(!rename(&db, "nope", "x").unwrap());
        let ids: Vec<String> = list(&db).unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(ids, ["default", "staging"]);
        db.execute_batch(
            "INSERT INTO connector_instances (id, descriptor_id, project_id, name, config, created_at)
               VALUES ('staging-am', 'alertmanager', 'staging', 'AM', '{}', 'now');
             INSERT INTO inbox (instance_id, connector_id, project_id, received_at, headers, body)
               VALUES ('staging-am', 'alertmanager', 'staging', 'now', '{}', x'7b7d');
             INSERT INTO dead_letters (connector_id, project_id, received_at, error, raw)
               VALUES ('alertmanager', 'staging', 'now', 'bad', x'00');",
        )
        .unwrap();
        let c = contents(&db, "staging").unwrap();
        assert_eq!((c.connectors, c.waiting, c.dead_letters), (1, 1, 1));
        assert!(delete(&db, "staging").unwrap());
        assert_eq!(contents(&db, "staging").unwrap(), Contents::default());
        // The default project's receiver is untouched.
        assert_eq!(contents(&db, "default").unwrap().connectors, 2);
        assert!(get(&db, "staging").unwrap().is_none());
    }
}
