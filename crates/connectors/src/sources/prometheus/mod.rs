//! Prometheus, pulled: its firing alerts (`/api/v1/alerts`) and alerting
//! rules (`/api/v1/rules`) become signals — a rule that fails to evaluate is
//! a signal too — and range queries (`/api/v1/query_range`) collect
//! evidence over an incident's window.
//!
//! Alerts are committed in Alertmanager's webhook shape (see
//! [`crate::sources::alertmanager::pull`]), so one normalizer reads both, with
//! source type `PROMETHEUS`.

use crate::poll::http::FetchError;
use crate::poll::{PollOutcome, PollRun, Poller};
use crate::runtime::{BoxFuture, ErrorClass};
use crate::runtime::{Context, NormalizeError, Normalizer};
use crate::sources::alertmanager::normalize_as;
use crate::sources::alertmanager::pull::{
    authorizer, base_url, get_json, model_fingerprint, publish_diff,
};
use causeway_core::Signal;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::time::Duration;

pub const ID: &str = "prometheus";

/// The normalizer for committed Prometheus payloads.
pub struct Prometheus;

impl Normalizer for Prometheus {
    fn id(&self) -> &str {
        ID
    }

    fn item_count(&self, body: &Value) -> usize {
        body["alerts"].as_array().map_or(0, Vec::len)
    }

    fn normalize(&self, body: &Value, ctx: &Context<'_>) -> Result<Vec<Signal>, NormalizeError> {
        normalize_as(body, ctx, ID, "PROMETHEUS")
    }
}

/// Polls one Prometheus server.
pub struct PrometheusPoller;

impl Poller for PrometheusPoller {
    fn defaults(&self) -> (Duration, u32) {
        (Duration::from_secs(30), 0)
    }

    fn poll<'a>(&'a self, run: &'a mut PollRun) -> BoxFuture<'a, Result<PollOutcome, FetchError>> {
        Box::pin(async move {
            let base = base_url(run)?;
            let auth = authorizer(run);
            let alerts = get_json(run, &auth, format!("{base}/api/v1/alerts")).await?;
            let rules = get_json(run, &auth, format!("{base}/api/v1/rules?type=alert")).await?;
            let list = data(&alerts, "alerts", &base)?;
            let mut current = Vec::new();
            for a in list.iter().filter(|a| a["state"] == "firing") {
                let labels = a["labels"].as_object().cloned().unwrap_or_default();
                current.push(json!({
                    "status": "firing",
                    "labels": labels,
                    "annotations": a["annotations"],
                    "startsAt": a["activeAt"],
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": format!("{base}/alerts"),
                    "fingerprint": model_fingerprint(&labels),
                }));
            }
            for (group, r) in rule_list(&rules) {
                if r["health"] != "err" {
                    continue;
                }
                let name = r["name"].as_str().unwrap_or_default();
                let mut labels = Map::new();
                labels.insert("alertname".into(), json!("PrometheusRuleFailing"));
                labels.insert("rule".into(), json!(name));
                labels.insert("rule_group".into(), json!(group));
                labels.insert("severity".into(), json!("warning"));
                current.push(json!({
                    "status": "firing",
                    "labels": labels,
                    "annotations": {
                        "summary": format!("Prometheus cannot evaluate rule {name}"),
                        "description": r["lastError"],
                    },
                    "startsAt": r["lastEvaluation"],
                    "generatorURL": format!("{base}/rules"),
                    "fingerprint": model_fingerprint(&labels),
                }));
            }
            publish_diff(run, &base, current).await
        })
    }
}

fn data<'v>(v: &'v Value, key: &str, base: &str) -> Result<&'v Vec<Value>, FetchError> {
    if v["status"] != "success" {
        return Err(FetchError::new(
            ErrorClass::Fail,
            format!(
                "{base}: Prometheus answered status {} ({})",
                v["status"],
                v["error"].as_str().unwrap_or("no error text")
            ),
        ));
    }
    v["data"][key].as_array().ok_or_else(|| {
        FetchError::new(
            ErrorClass::Fail,
            format!("{base}: no data.{key} in the answer (is this a Prometheus?)"),
        )
    })
}

/// `(group name, rule)` for every rule of a `/api/v1/rules` answer.
pub fn rule_list(v: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for g in v["data"]["groups"].as_array().into_iter().flatten() {
        let name = g["name"].as_str().unwrap_or_default().to_string();
        for r in g["rules"].as_array().into_iter().flatten() {
            out.push((name.clone(), r.clone()));
        }
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_the_ones_alertmanager_sends() {
        // A real Alertmanager delivery (fixture) carries its own fingerprint.
        let body: Value = serde_json::from_slice(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/webhooks/alertmanager/zulip-firing-2alerts.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let a = &body["alerts"][0];
        let labels = a["labels"].as_object().unwrap();
        assert_eq!(
            model_fingerprint(labels),
            a["fingerprint"].as_str().unwrap()
        );
        assert_eq!(model_fingerprint(&Map::new()), "cbf29ce484222325");
    }
}
