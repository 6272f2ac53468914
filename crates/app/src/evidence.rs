//! Evidence for an incident's window from Prometheus: the firing rules'
//! own expressions (and any queries the instance adds) as range queries
//! over the window, stored with the incident and shown on its timeline.
//! The window is the ingest API's `collectionContext`: minutes before the
//! incident opened and after it last changed.

use crate::error::ApiError;
use crate::App;
use causeway_connectors::poll::{http::Fetcher, settings::RunSettings, PollRun};
use causeway_connectors::runtime::{stop_pair, InstanceInfo};
use causeway_store::{evidence, incidents, instances, signals, ts};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
                    .filter(|i| i.enabled && i.descriptor_id == causeway_connectors::prometheus::ID)
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
                .map_err(|e| ApiError::new("internal", e))?;
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
            match causeway_connectors::prometheus::collect_evidence(
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
            self.emit(crate::views::ChangeEvent::IncidentsChanged {
                ids: vec![incident_id],
            });
        }
        Ok(out)
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
        "evidence {}: `{}` — {} series{range} over the incident's window",
        e.name,
        e.query,
        list.len()
    )
}
