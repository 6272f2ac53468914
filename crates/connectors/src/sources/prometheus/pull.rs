//! The poller: firing alerts (`/api/v1/alerts`) and alerting rules that
//! fail to evaluate (`/api/v1/rules`), committed in Alertmanager's webhook
//! shape and published as a diff, as Alertmanager's own poller does.

use crate::poll::http::FetchError;
use crate::poll::{PollOutcome, PollRun, Poller};
use crate::runtime::{BoxFuture, ErrorClass};
use crate::sources::alertmanager::pull::{
    authorizer, base_url, get_json, model_fingerprint, publish_diff,
};
use serde_json::{json, Map, Value};
use std::time::Duration;

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

pub(super) fn data<'v>(v: &'v Value, key: &str, base: &str) -> Result<&'v Vec<Value>, FetchError> {
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
