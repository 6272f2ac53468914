//! `incident_assignments`: what the auto-incident rule that opened an
//! incident gave it (assignee, team, runbook).

use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// One incident's assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    pub rule: Option<String>,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub runbook: Option<String>,
}

impl Assignment {
    pub fn is_empty(&self) -> bool {
        self.rule.is_none()
            && self.assignee.is_none()
            && self.team.is_none()
            && self.runbook.is_none()
    }
}

pub fn upsert(conn: &Connection, incident_id: &str, a: &Assignment) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO incident_assignments (incident_id, rule, assignee, team, runbook)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(incident_id) DO UPDATE SET rule = excluded.rule, assignee = excluded.assignee,
           team = excluded.team, runbook = excluded.runbook",
    )?
    .execute(params![incident_id, a.rule, a.assignee, a.team, a.runbook])?;
    Ok(())
}

pub fn get(conn: &Connection, incident_id: &str) -> Result<Option<Assignment>> {
    Ok(conn
        .query_row(
            "SELECT rule, assignee, team, runbook FROM incident_assignments WHERE incident_id = ?1",
            [incident_id],
            |r| {
                Ok(Assignment {
                    rule: r.get(0)?,
                    assignee: r.get(1)?,
                    team: r.get(2)?,
                    runbook: r.get(3)?,
                })
            },
        )
        .optional()?)
}
