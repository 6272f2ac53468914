//! Evidence for an incident: range queries (`/api/v1/query_range`) over its
//! window, of the alerting rules it names and of configured queries.

use super::pull::{data, rule_list};
use crate::poll::http::FetchError;
use crate::poll::PollRun;
use crate::runtime::ErrorClass;
use crate::sources::alertmanager::pull::{authorizer, base_url, get_json};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

/// One range query's result for an incident's window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// What it shows (the alert or the configured query's name).
    pub name: String,
    pub query: String,
    /// `[{"labels": {...}, "points": [[epoch_s, value], ...]}]`
    pub series: Value,
}

/// Runs range queries over `[start, end]`: the expression of each alerting
/// rule named in `alertnames`, plus `extra` (name, PromQL) queries.
pub async fn collect_evidence(
    run: &mut PollRun,
    alertnames: &[String],
    extra: &[(String, String)],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Evidence>, FetchError> {
    let base = base_url(run)?;
    let auth = authorizer(run);
    let rules = get_json(run, &auth, format!("{base}/api/v1/rules?type=alert")).await?;
    let mut queries: Vec<(String, String)> = Vec::new();
    for (_, r) in rule_list(&rules) {
        let name = r["name"].as_str().unwrap_or_default().to_string();
        if alertnames.contains(&name) {
            if let Some(q) = r["query"].as_str() {
                if !queries.iter().any(|(_, x)| x == q) {
                    queries.push((name, q.to_string()));
                }
            }
        }
    }
    queries.extend(extra.iter().cloned());
    let span = (end - start).num_seconds().max(60);
    // About 120 points per series, never finer than 15 s; the grid is laid
    // back from `end`, so the last point is now: an incident that has just
    // become active may have only seconds of its fault to show.
    let step = (span / 120).max(15);
    let (end, start) = (end.timestamp(), end.timestamp() - span / step * step);
    let mut out = Vec::new();
    for (name, q) in queries {
        let mut url = reqwest::Url::parse(&format!("{base}/api/v1/query_range"))
            .map_err(|e| FetchError::new(ErrorClass::Fail, e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("query", &q)
            .append_pair("start", &start.to_string())
            .append_pair("end", &end.to_string())
            .append_pair("step", &step.to_string());
        let v = get_json(run, &auth, url.to_string()).await?;
        let result = data(&v, "result", &base)?;
        let series: Vec<Value> = result
            .iter()
            .map(|s| {
                let points: Vec<Value> = s["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| {
                        let t = p[0].as_f64()?;
                        let v: f64 = p[1].as_str()?.parse().ok()?;
                        Some(json!([
                            t as i64,
                            if v.is_finite() { json!(v) } else { Value::Null }
                        ]))
                    })
                    .collect();
                json!({"labels": s["metric"], "points": points})
            })
            .collect();
        out.push(Evidence {
            name,
            query: q,
            series: Value::Array(series),
        });
    }
    Ok(out)
}
