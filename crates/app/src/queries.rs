//! Read side of the API: stored rows → views.

use crate::error::ApiError;
use crate::views::*;
use crate::App;
use base64::Engine as _;
use causeway_core::analysis::analyse;
use causeway_core::correlate::describe;
use causeway_core::SignalStatus;
use causeway_store::{dead_letters, incidents, links, signals, ts};
use std::collections::BTreeMap;

const LIST_LIMIT: i64 = 500;

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

pub(crate) async fn list_incidents(app: &App) -> Result<IncidentList, ApiError> {
    let rows = app.store().read(|c| incidents::list(c, LIST_LIMIT)).await?;
    Ok(IncidentList {
        incidents: rows.into_iter().map(summary).collect(),
    })
}

pub(crate) async fn get_incident(app: &App, id: String) -> Result<IncidentDetail, ApiError> {
    let key = id.clone();
    let (row, members, links) = app
        .store()
        .read(move |c| {
            Ok((
                incidents::get(c, &key)?,
                signals::for_incident(c, &key)?,
                links::for_incident(c, &key)?,
            ))
        })
        .await?;
    let row = row.ok_or_else(|| ApiError::not_found(format!("no incident {id}")))?;
    let analysis = analyse(&members.iter().map(|s| s.signal.clone()).collect::<Vec<_>>());
    let mut by_signal: BTreeMap<String, _> = links
        .into_iter()
        .map(|l| (l.signal_id.clone(), l))
        .collect();
    let timeline = timeline(&row, &members);
    let signals = members
        .into_iter()
        .map(|s| SignalView {
            link: by_signal.remove(&s.signal.id),
            notifications: s.notifications,
            last_seen_at: s.last_seen_at,
            unassigned_reason: s.unassigned_reason,
            signal: s.signal,
        })
        .collect();
    Ok(IncidentDetail {
        summary: summary(row),
        signals,
        timeline,
        graph: analysis.graph,
        impacted: analysis.impacted,
        insight: analysis.insight,
    })
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

pub(crate) async fn list_signals(app: &App, unassigned: bool) -> Result<SignalList, ApiError> {
    let rows = app
        .store()
        .read(move |c| signals::list(c, unassigned, LIST_LIMIT))
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

pub(crate) async fn list_dead_letters(app: &App) -> Result<DeadLetterList, ApiError> {
    let rows = app
        .store()
        .read(|c| dead_letters::list(c, LIST_LIMIT))
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
