//! Read side of the API: stored rows → views.

use crate::api::error::{ApiError, Code};
use crate::api::views::*;
use crate::App;
use base64::Engine as _;
use causeway_core::analysis::{analyse, Analysis};
use causeway_core::words::describe;
use causeway_core::SignalStatus;
use causeway_store::{dead_letters, incidents, ingest_requests, links, signals, ts};
use serde_json::Value;
use std::collections::BTreeMap;

const LIST_LIMIT: i64 = 500;

/// The signals an incident's page shows at first, the first to join it (a
/// storm's cause is usually among them); the rest come a page at a time
/// (`ListIncidentSignals`). A storm's incident holds tens of thousands:
/// reading, linking and sending all of them made its page take seconds.
pub const DETAIL_SIGNALS: i64 = 500;

/// The most signals one `ListIncidentSignals` answer holds.
const MAX_PAGE: i64 = 2000;

pub(crate) fn summary(r: incidents::IncidentRow) -> IncidentSummary {
    IncidentSummary {
        id: r.id,
        title: r.title,
        severity: r.severity,
        status: r.status,
        pattern: r.pattern,
        root_cause: r.root_cause,
        signal_count: r.signal_count,
        opened_at: ts(r.opened_at),
        updated_at: ts(r.updated_at),
        resolved_at: r.resolved_at.map(ts),
    }
}

impl App {
    pub async fn list_incidents(&self, project: Option<String>) -> Result<IncidentList, ApiError> {
        let project = self.project_or_default(project).await?;
        let rows = self
            .store()
            .read(move |c| incidents::list(c, Some(&project), LIST_LIMIT))
            .await?;
        Ok(IncidentList {
            incidents: rows.into_iter().map(summary).collect(),
        })
    }
}

impl App {
    pub async fn get_incident(&self, id: String) -> Result<IncidentDetail, ApiError> {
        let key = id.clone();
        let (row, (members, links, total), ingested, collected, stored) = self
            .store()
            .read(move |c| {
                Ok((
                    incidents::get(c, &key)?,
                    page(c, &key, 0, DETAIL_SIGNALS)?,
                    ingest_requests::for_incident(c, &key)?,
                    causeway_store::evidence::for_incident(c, &key)?,
                    incidents::analysis(c, &key)?,
                ))
            })
            .await?;
        let row = row.ok_or_else(|| ApiError::not_found(format!("no incident {id}")))?;
        // The analysis stored when the incident was last analysed (at most a
        // second or so behind its signals during a storm); analysing thousands
        // of signals per request made a big incident's page slow.
        let stored = stored.and_then(|a| serde_json::from_str::<Analysis>(&a).ok());
        let analysis = match stored {
            Some(a) => a,
            None => {
                // Not analysed yet (processing is behind): all its signals.
                let key = id.clone();
                let all = self
                    .store()
                    .read(move |c| signals::for_incident(c, &key))
                    .await?;
                let sigs: Vec<_> = all.into_iter().map(|s| s.signal).collect();
                // The engine knows more than the rows: its topology, recent
                // changes and recurrences. Its lock may wait for a processing
                // batch, and a big incident takes a while to analyse: both off
                // the async threads.
                let engine = self.engine.clone();
                use crate::pipeline::process::{GRAPH_NODES, IMPACTED_LISTED};
                tokio::task::spawn_blocking(move || match engine.lock() {
                    Ok(engine) => engine.analyse(&sigs),
                    Err(_) => analyse(&sigs),
                })
                .await
                .map_err(|e| {
                    ApiError::new(Code::Internal, format!("incident analysis failed: {e}"))
                })?
                .bounded(GRAPH_NODES, IMPACTED_LISTED)
            }
        };
        let mut timeline = timeline(&row, &members);
        for r in &ingested {
            timeline.extend(evidence_entries(r));
        }
        for e in &collected {
            timeline.push(TimelineEntry {
                at: e.window_start.clone(),
                kind: "evidence".into(),
                signal_id: None,
                entity: None,
                text: crate::incidents::evidence::describe(e),
            });
        }
        timeline.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(IncidentDetail {
            summary: summary(row),
            signals: views(members, links),
            signal_total: total,
            timeline,
            graph: analysis.graph,
            impacted: analysis.impacted,
            impacted_omitted: analysis.impacted_omitted,
            signals_analysed: analysis.signals_analysed,
            insight: analysis.insight,
            suggested_action: analysis.action,
        })
    }
}

/// A page of an incident's signals with their links, and how many it holds.
fn page(
    c: &causeway_store::Connection,
    id: &str,
    offset: i64,
    limit: i64,
) -> causeway_store::Result<(
    Vec<signals::StoredSignal>,
    Vec<causeway_core::CorrelationLink>,
    i64,
)> {
    let members = signals::page_for_incident(c, id, offset, limit)?;
    let ids: Vec<&str> = members.iter().map(|m| m.signal.id.as_str()).collect();
    let links = links::for_signals(c, id, &ids)?;
    Ok((members, links, links::count_for_incident(c, id)?))
}

fn views(
    members: Vec<signals::StoredSignal>,
    links: Vec<causeway_core::CorrelationLink>,
) -> Vec<SignalView> {
    let mut by_signal: BTreeMap<String, _> = links
        .into_iter()
        .map(|l| (l.signal_id.clone(), l))
        .collect();
    members
        .into_iter()
        .map(|s| SignalView {
            link: by_signal.remove(&s.signal.id),
            notifications: s.notifications,
            last_seen_at: s.last_seen_at,
            unassigned_reason: s.unassigned_reason,
            signal: s.signal,
        })
        .collect()
}

impl App {
    /// A page of an incident's signals in the order they joined, with their links.
    pub async fn list_incident_signals(
        &self,
        id: String,
        offset: i64,
        limit: i64,
    ) -> Result<SignalPage, ApiError> {
        if offset < 0 || !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "offset is 0 or more, limit 1 to {MAX_PAGE}"
            )));
        }
        let key = id.clone();
        let (exists, (members, links, total)) = self
            .store()
            .read(move |c| {
                Ok((
                    incidents::get(c, &key)?.is_some(),
                    page(c, &key, offset, limit)?,
                ))
            })
            .await?;
        if !exists {
            return Err(ApiError::not_found(format!("no incident {id}")));
        }
        Ok(SignalPage {
            incident_id: id,
            offset,
            total,
            signals: views(members, links),
        })
    }
}

fn timeline(row: &incidents::IncidentRow, members: &[signals::StoredSignal]) -> Vec<TimelineEntry> {
    let mut out = vec![TimelineEntry {
        at: ts(row.opened_at),
        kind: "opened".into(),
        signal_id: None,
        entity: None,
        text: format!("Incident opened: {}", row.title),
    }];
    for s in members.iter().map(|m| &m.signal) {
        let on = s
            .entity
            .as_ref()
            .map(|e| format!(" on {}", describe(e)))
            .unwrap_or_default();
        out.push(TimelineEntry {
            at: ts(s.occurred_at),
            kind: "fired".into(),
            signal_id: Some(s.id.clone()),
            entity: s.entity.clone(),
            text: format!("{} ({}){on}", s.title, s.severity.as_str()),
        });
        if let (SignalStatus::Resolved, Some(end)) = (s.status, s.ended_at) {
            out.push(TimelineEntry {
                at: ts(end),
                kind: "resolved".into(),
                signal_id: Some(s.id.clone()),
                entity: s.entity.clone(),
                text: format!("Resolved: {}{on}", s.title),
            });
        }
    }
    if let Some(end) = row.resolved_at {
        out.push(TimelineEntry {
            at: ts(end),
            kind: "resolved".into(),
            signal_id: None,
            entity: None,
            text: "Incident resolved".into(),
        });
    }
    // Stable: by time, then in the order written above.
    out.sort_by(|a, b| a.at.cmp(&b.at));
    out
}

/// The evidence an ingest request carried, as timeline entries.
fn evidence_entries(r: &ingest_requests::IngestRecord) -> Vec<TimelineEntry> {
    let Some(ev) = r
        .evidence
        .as_deref()
        .and_then(|e| serde_json::from_str::<Value>(e).ok())
    else {
        return Vec::new();
    };
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let mut out = Vec::new();
    let mut push = |item: &Value, line: String| {
        let at = text(item, "timestamp");
        out.push(TimelineEntry {
            // The same shape as every other entry, so text order is time order.
            at: causeway_store::parse_ts(&at).map(ts).unwrap_or(at),
            kind: "evidence".into(),
            signal_id: Some(r.signal_id.clone()),
            entity: None,
            text: line,
        })
    };
    for m in ev["metrics"].as_array().into_iter().flatten() {
        push(m, format!("metric {} = {}", text(m, "name"), m["value"]));
    }
    for l in ev["logs"].as_array().into_iter().flatten() {
        let level = l["level"]
            .as_str()
            .map(|v| format!("[{v}] "))
            .unwrap_or_default();
        let svc = l["service"]
            .as_str()
            .map(|v| format!("{v}: "))
            .unwrap_or_default();
        push(l, format!("log {level}{svc}{}", text(l, "message")));
    }
    for t in ev["traces"].as_array().into_iter().flatten() {
        let dur = t["duration"]
            .as_f64()
            .map(|d| format!(" {d} ms"))
            .unwrap_or_default();
        push(
            t,
            format!(
                "trace {} {}{dur} (trace {})",
                text(t, "service"),
                text(t, "operation"),
                text(t, "traceId")
            ),
        );
    }
    for e in ev["events"].as_array().into_iter().flatten() {
        push(
            e,
            format!("event {}: {}", text(e, "type"), text(e, "description")),
        );
    }
    out
}

impl App {
    pub async fn list_signals(
        &self,
        unassigned: bool,
        project: Option<String>,
    ) -> Result<SignalList, ApiError> {
        let project = self.project_or_default(project).await?;
        let rows = self
            .store()
            .read(move |c| signals::list(c, &project, unassigned, LIST_LIMIT))
            .await?;
        Ok(SignalList {
            signals: rows
                .into_iter()
                .map(|s| SignalView {
                    link: None,
                    notifications: s.notifications,
                    last_seen_at: s.last_seen_at,
                    unassigned_reason: s.unassigned_reason,
                    signal: s.signal,
                })
                .collect(),
        })
    }
}

impl App {
    pub async fn list_dead_letters(
        &self,
        project: Option<String>,
    ) -> Result<DeadLetterList, ApiError> {
        let project = self.project_or_default(project).await?;
        let rows = self
            .store()
            .read(move |c| dead_letters::list(c, &project, LIST_LIMIT))
            .await?;
        Ok(DeadLetterList {
            dead_letters: rows
                .into_iter()
                .map(|d| {
                    let cut = d.raw.len().min(4096);
                    DeadLetterView {
                        id: d.id,
                        connector_id: d.connector_id,
                        project_id: d.project_id,
                        received_at: d.received_at,
                        error: d.error,
                        raw_base64: base64::engine::general_purpose::STANDARD.encode(&d.raw),
                        preview: String::from_utf8_lossy(&d.raw[..cut]).into_owned(),
                    }
                })
                .collect(),
        })
    }
}

#[cfg(test)]
#[path = "queries_tests.rs"]
mod tests;
