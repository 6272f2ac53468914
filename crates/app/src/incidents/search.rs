//! `searchIncidents`: the incident list's filter and search run over the whole
//! table, so an incident older than the latest page is still found.

use crate::api::error::ApiError;
use crate::api::requests::IncidentQuery;
use crate::api::views::IncidentList;
use crate::incidents::queries::summary;
use crate::App;
use causeway_core::IncidentStatus;
use causeway_store::incidents::{self, Filter};

/// At most this many answers, as the plain list.
const MAX: i64 = 500;

/// The store's filter for a query, or why the query makes no sense.
pub fn filter_of(q: IncidentQuery, project: String) -> Result<Filter, ApiError> {
    let status = q.status.unwrap_or_else(|| "open".into());
    let (open_only, status) = match status.as_str() {
        "open" => (true, None),
        "all" => (false, None),
        s => match IncidentStatus::parse(s) {
            Some(s) => (false, Some(s)),
            None => {
                return Err(ApiError::bad_request(format!(
                    "status must be open, all, building, active, acknowledged, investigating or resolved, not '{s}'"
                )))
            }
        },
    };
    Ok(Filter {
        project,
        open_only,
        status,
        severities: q.severities.unwrap_or_default(),
        words: q
            .query
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        limit: q.limit.unwrap_or(MAX).clamp(1, MAX),
    })
}

impl App {
    pub async fn search_incidents(&self, q: IncidentQuery) -> Result<IncidentList, ApiError> {
        let project = self.project_or_default(q.project.clone()).await?;
        let f = filter_of(q, project)?;
        let rows = self.store().read(move |c| incidents::search(c, &f)).await?;
        Ok(IncidentList {
            incidents: rows.into_iter().map(summary).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{dispatch, Command};
    use causeway_core::{RootCause, Severity};
    use causeway_store::incidents::IncidentRow;

    fn row(
        id: &str,
        title: &str,
        sev: Severity,
        status: IncidentStatus,
        minute: u32,
    ) -> IncidentRow {
        let at = chrono::DateTime::parse_from_rfc3339(&format!("2026-01-01T10:{minute:02}:00Z"))
            .unwrap()
            .to_utc();
        IncidentRow {
            id: id.into(),
            project_id: "default".into(),
            title: title.into(),
            severity: sev,
            status,
            pattern: (id == "c").then(|| "resource_exhaustion".into()),
            group_key: None,
            root_cause: (id == "a").then(|| RootCause {
                entity: causeway_core::Entity::parse("node/node-3").unwrap(),
                confidence: 0.8,
                explanation: "x".into(),
            }),
            signal_count: 1,
            opened_at: at,
            updated_at: at,
            resolved_at: None,
        }
    }

    async fn ids(app: &App, q: serde_json::Value) -> Vec<String> {
        let v = dispatch(
            app,
            Command::SearchIncidents(serde_json::from_value(q).unwrap()),
        )
        .await
        .unwrap();
        v["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn filters_by_status_severity_and_words_over_the_whole_table() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path()).unwrap();
        let rows = vec![
            row(
                "a",
                "Node not ready",
                Severity::Critical,
                IncidentStatus::Active,
                1,
            ),
            row(
                "b",
                "Disk 100% full_on cart",
                Severity::High,
                IncidentStatus::Resolved,
                2,
            ),
            row(
                "c",
                "Cart memory",
                Severity::Medium,
                IncidentStatus::Acknowledged,
                3,
            ),
        ];
        app.store()
            .write(move |c| {
                for r in &rows {
                    incidents::upsert(c, r)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(ids(&app, serde_json::json!({})).await, ["c", "a"]);
        assert_eq!(
            ids(&app, serde_json::json!({"status": "all"})).await,
            ["c", "b", "a"]
        );
        assert_eq!(
            ids(&app, serde_json::json!({"status": "resolved"})).await,
            ["b"]
        );
        assert_eq!(
            ids(
                &app,
                serde_json::json!({"status": "all", "severities": ["critical", "high"]})
            )
            .await,
            ["b", "a"]
        );
        assert_eq!(
            ids(&app, serde_json::json!({"status": "all", "query": "CART"})).await,
            ["c", "b"]
        );
        // In the root cause and the pattern too; every word must match.
        assert_eq!(
            ids(&app, serde_json::json!({"query": "node-3"})).await,
            ["a"]
        );
        assert_eq!(
            ids(&app, serde_json::json!({"query": "exhaustion cart"})).await,
            ["c"]
        );
        // LIKE's wildcards are literal characters here.
        assert_eq!(
            ids(&app, serde_json::json!({"status": "all", "query": "100%"})).await,
            ["b"]
        );
        assert_eq!(
            ids(&app, serde_json::json!({"status": "all", "query": "l_on"})).await,
            ["b"]
        );
        assert!(ids(&app, serde_json::json!({"status": "all", "query": "%"})).await == ["b"]);
        let e = dispatch(
            &app,
            Command::SearchIncidents(IncidentQuery {
                status: Some("closed".into()),
                ..Default::default()
            }),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, crate::Code::BadRequest);
    }
}
