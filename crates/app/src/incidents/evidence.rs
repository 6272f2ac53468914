//! Evidence for an incident's window from Prometheus: the firing rules'
//! own expressions (and any queries the instance adds) as range queries
//! over the window, stored with the incident and shown on its timeline.
//! The window is the ingest API's `collectionContext`: minutes before the
//! incident opened and after it last changed.
//!
//! It is collected on request (`POST /api/incidents/{id}/evidence`), for an
//! ingested incident that asks for it, and on its own for an incident that
//! holds Prometheus-sourced signals: once when it becomes active, and once
//! more when it resolves (so the window covers the recovery). Bounded: each
//! incident at most once per phase, a few per look, one at a time.

use crate::api::error::{ApiError, Code};
use crate::App;
use causeway_connectors::poll::{http::Fetcher, settings::RunSettings, PollRun};
use causeway_connectors::runtime::{stop_pair, InstanceInfo};
use causeway_core::IncidentStatus;
use causeway_store::{evidence, incidents, instances, parse_ts, signals, ts};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use ts_rs::TS;

/// The signals that make an incident "Prometheus-sourced": pulled from
/// Prometheus, or its alerts delivered through Alertmanager.
const PROMETHEUS_SOURCES: &[&str] = &["PROMETHEUS", "ALERTMANAGER"];
/// Incidents are looked over this often even when none was announced.
const SWEEP: std::time::Duration = std::time::Duration::from_secs(30);
/// A burst of changes settles this long into one look.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);
/// Collections per look, one after another.
const PER_LOOK: usize = 4;
/// The most recently changed incidents looked at.
const LOOK_AT: i64 = 200;
/// A resolution older than this gets no collection of its own (one that
/// happened while Causeway was not running, long ago).
const RESOLVED_WITHIN_HOURS: i64 = 6;

/// Collects evidence on its own as incidents become active and resolve.
pub(crate) async fn auto_collect(app: App) {
    let mut rx = app.subscribe();
    // Phases tried in this process: "id active", "id resolved <at>".
    let mut tried: HashSet<String> = HashSet::new();
    loop {
        tokio::select! {
            r = rx.recv() => match r {
                Ok(crate::api::views::ChangeEvent::IncidentsChanged { .. }) | Err(RecvError::Lagged(_)) => {}
                Ok(_) => continue,
                Err(RecvError::Closed) => return,
            },
            _ = tokio::time::sleep(SWEEP) => {}
        }
        tokio::time::sleep(SETTLE).await;
        // What came meanwhile is covered by this look.
        while let Ok(_) | Err(TryRecvError::Lagged(_)) = rx.try_recv() {}
        app.collect_due_evidence(&mut tried).await;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceCollected {
    /// Queries stored.
    pub collected: usize,
    pub window_start: String,
    pub window_end: String,
    /// Per instance that failed: what went wrong.
    pub errors: Vec<String>,
}

impl App {
    /// Collects range queries for `incident_id` from every enabled
    /// Prometheus instance of its project.
    pub async fn collect_evidence(
        &self,
        incident_id: String,
        before_minutes: Option<i64>,
        after_minutes: Option<i64>,
    ) -> Result<EvidenceCollected, ApiError> {
        let key = incident_id.clone();
        let (row, members, proms) = self
            .store()
            .read(move |c| {
                let row = incidents::get(c, &key)?;
                let members = signals::for_incident(c, &key)?;
                let proms: Vec<_> = instances::list(c)?
                    .into_iter()
                    .filter(|i| {
                        i.enabled && i.descriptor_id == causeway_connectors::sources::prometheus::ID
                    })
                    .collect();
                Ok((row, members, proms))
            })
            .await?;
        let row = row.ok_or_else(|| ApiError::not_found(format!("no incident {incident_id}")))?;
        let start =
            row.opened_at - Duration::minutes(before_minutes.unwrap_or(30).clamp(0, 24 * 60));
        let end = (row.resolved_at.unwrap_or(row.updated_at)
            + Duration::minutes(after_minutes.unwrap_or(10).clamp(0, 24 * 60)))
        .min(Utc::now());
        let mut alertnames: Vec<String> = members
            .iter()
            .filter_map(|s| s.signal.tags.get("alertname").cloned())
            .collect();
        alertnames.sort();
        alertnames.dedup();
        let mut out = EvidenceCollected {
            collected: 0,
            window_start: ts(start),
            window_end: ts(end),
            errors: Vec::new(),
        };
        for inst in proms.into_iter().filter(|i| i.project_id == row.project_id) {
            let config: serde_json::Value = serde_json::from_str(&inst.config).unwrap_or_default();
            let extra: Vec<(String, String)> = config["evidenceQueries"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|q| {
                    Some((
                        q["name"].as_str()?.to_string(),
                        q["query"].as_str()?.to_string(),
                    ))
                })
                .collect();
            let info = InstanceInfo {
                id: inst.id.clone(),
                descriptor_id: inst.descriptor_id.clone(),
                project_id: inst.project_id.clone(),
                name: inst.name.clone(),
                config: config.clone(),
            };
            let (_keep, stop) = stop_pair();
            let ctx = self
                .source_context(info, stop, None)
                .map_err(|e| ApiError::new(Code::Internal, e))?;
            let fetcher = Fetcher {
                client: ctx.http.clone(),
                settings: RunSettings::from_config(&config, std::time::Duration::from_secs(30), 0),
                pacer: Default::default(),
                overrides: Default::default(),
                record: None,
            };
            let mut run = PollRun {
                ctx,
                fetcher,
                dry: true,
                dry_payloads: Vec::new(),
            };
            match causeway_connectors::sources::prometheus::collect_evidence(
                &mut run,
                &alertnames,
                &extra,
                start,
                end,
            )
            .await
            {
                Err(e) => out.errors.push(format!("{}: {}", inst.name, e.message)),
                Ok(found) => {
                    let n = found.len();
                    let (iid, inc, s, e) = (inst.id.clone(), row.id.clone(), ts(start), ts(end));
                    self.store()
                        .write(move |c| {
                            let tx = c.transaction()?;
                            let now = ts(Utc::now());
                            for ev in found {
                                evidence::upsert(
                                    &tx,
                                    &evidence::Evidence {
                                        incident_id: inc.clone(),
                                        instance_id: iid.clone(),
                                        name: ev.name,
                                        query: ev.query,
                                        window_start: s.clone(),
                                        window_end: e.clone(),
                                        collected_at: now.clone(),
                                        series: ev.series.to_string(),
                                    },
                                )?;
                            }
                            tx.commit()?;
                            Ok(())
                        })
                        .await?;
                    out.collected += n;
                }
            }
        }
        if out.collected > 0 {
            self.emit(crate::api::views::ChangeEvent::IncidentsChanged {
                ids: vec![incident_id],
            });
        }
        Ok(out)
    }
}

impl App {
    /// One look: collects for the incidents whose phase has no evidence yet.
    async fn collect_due_evidence(&self, tried: &mut HashSet<String>) {
        let skip = tried.clone();
        let now = Utc::now();
        let due = self
            .store()
            .read(move |c| {
                let mut out = Vec::new();
                // No Prometheus to ask: nothing can be due.
                let prometheus = instances::list(c)?.into_iter().any(|i| {
                    i.enabled && i.descriptor_id == causeway_connectors::sources::prometheus::ID
                });
                if !prometheus {
                    return Ok(out);
                }
                for i in incidents::list(c, None, LOOK_AT)? {
                    let key = match (i.status, i.resolved_at) {
                        (IncidentStatus::Building, _) => continue,
                        (IncidentStatus::Resolved, Some(at))
                            if now - at < Duration::hours(RESOLVED_WITHIN_HOURS) =>
                        {
                            format!("{} resolved {}", i.id, ts(at))
                        }
                        (IncidentStatus::Resolved, _) => continue,
                        _ => format!("{} active", i.id),
                    };
                    if skip.contains(&key) {
                        continue;
                    }
                    // Collected already for this phase (on request, by the
                    // ingest API, or by an earlier run)?
                    let last = evidence::last_collected(c, &i.id)?.and_then(|t| parse_ts(&t).ok());
                    let done = match i.resolved_at {
                        Some(at) if i.status == IncidentStatus::Resolved => {
                            last.is_some_and(|l| l >= at)
                        }
                        _ => last.is_some(),
                    };
                    if done || !signals::incident_has_source(c, &i.id, PROMETHEUS_SOURCES)? {
                        continue;
                    }
                    out.push((i.id, key));
                }
                Ok(out)
            })
            .await;
        let due = match due {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for incidents needing evidence");
                return;
            }
        };
        for (id, key) in due.into_iter().take(PER_LOOK) {
            tried.insert(key.clone());
            match self.collect_evidence(id.clone(), None, None).await {
                Ok(c) if c.errors.is_empty() => {
                    let phase = key.rsplit_once(' ').map_or(key.as_str(), |(_, p)| p);
                    tracing::info!(incident = %id, phase, collected = c.collected, "evidence collected")
                }
                Ok(c) => {
                    tracing::warn!(incident = %id, errors = ?c.errors, "evidence collection failed")
                }
                Err(e) => {
                    tracing::warn!(incident = %id, error = %e.message, "evidence collection failed")
                }
            }
        }
    }
}

/// A stored evidence row as one timeline line: what was queried and what
/// it showed over the window.
pub(crate) fn describe(e: &evidence::Evidence) -> String {
    let series: serde_json::Value = serde_json::from_str(&e.series).unwrap_or_default();
    let list = series.as_array().cloned().unwrap_or_default();
    let values: Vec<f64> = list
        .iter()
        .flat_map(|s| s["points"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p[1].as_f64())
        .collect();
    let range = match (
        values.iter().cloned().reduce(f64::min),
        values.iter().cloned().reduce(f64::max),
    ) {
        (Some(lo), Some(hi)) => format!(", values {lo} to {hi}"),
        _ => String::new(),
    };
    format!(
        "evidence {}: `{}` — {} series{range} over the incident's window ({} to {})",
        e.name,
        e.query,
        list.len(),
        e.window_start,
        e.window_end
    )
}
