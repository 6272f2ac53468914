//! Pulling alerts instead of receiving them: Alertmanager's
//! `GET /api/v2/alerts` and Prometheus' `GET /api/v1/alerts` (+ rules).
//!
//! Both APIs list what fires *now*; an alert that is gone has resolved. So
//! each poll compares the list with the alerts active at the last poll
//! (kept in the checkpoint), and commits one payload in Alertmanager's
//! webhook shape holding what is new or changed as firing and what went
//! away as resolved — the same normalizer then reads it, and the same
//! fingerprint (Prometheus' label hash, which Alertmanager uses too)
//! identifies an alert whichever way it came in. The checkpoint is
//! committed with that payload, in one transaction.

use crate::poll::auth::{AuthSpec, Authorizer};
use crate::poll::http::{FetchError, Request};
use crate::poll::{PollOutcome, PollRun, Poller};
use crate::runtime::{BoxFuture, Commit, ErrorClass, Payload};
use causeway_core::hash::short_hex;
use chrono::Utc;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Prometheus' fingerprint of a label set (FNV-1a 64 over sorted
/// name/value pairs with a 0xff separator), as Alertmanager reports it.
pub fn model_fingerprint(labels: &Map<String, Value>) -> String {
    let mut names: Vec<&String> = labels.keys().collect();
    names.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for n in names {
        add(n.as_bytes());
        add(&[0xff]);
        add(labels[n].as_str().unwrap_or_default().as_bytes());
        add(&[0xff]);
    }
    format!("{h:016x}")
}

/// Credentials for an instance pointing at a Prometheus-style API: a
/// bearer token (secret `token`) or basic auth (`username` + secret `password`).
pub fn api_auth(config: &Value) -> Vec<AuthSpec> {
    if config
        .get("username")
        .and_then(Value::as_str)
        .is_some_and(|u| !u.is_empty())
    {
        return vec![AuthSpec::Basic {
            username_config: "username".into(),
            secret: "password".into(),
        }];
    }
    if config.get("auth").and_then(Value::as_str) == Some("bearer") {
        return vec![AuthSpec::Bearer {
            secret: "token".into(),
            prefix: None,
        }];
    }
    Vec::new()
}

/// Sends an authenticated GET and parses its JSON.
pub async fn get_json(
    run: &mut PollRun,
    auth: &Authorizer,
    url: String,
) -> Result<Value, FetchError> {
    let req = auth
        .apply(&run.ctx, &run.fetcher, Request::get(url))
        .await?;
    let mut stop = run.ctx.stop.clone();
    let r = run.fetcher.fetch(&req, &mut stop).await?;
    serde_json::from_slice(&r.body).map_err(|e| FetchError {
        class: ErrorClass::Fail,
        message: format!("GET {}: the answer is not JSON ({e})", req.shown_url()),
        status: None,
        retry_after: None,
        body: Some(r.body),
    })
}

pub fn base_url(run: &PollRun) -> Result<String, FetchError> {
    let b = run.ctx.instance.text("baseUrl").ok_or_else(|| {
        FetchError::new(
            ErrorClass::Fail,
            "no baseUrl: set the server's address (http://host:port)",
        )
    })?;
    let b = b.trim_end_matches('/').to_string();
    reqwest::Url::parse(&b).map_err(|e| {
        FetchError::new(ErrorClass::Fail, format!("baseUrl '{b}' is not a URL: {e}"))
    })?;
    Ok(b)
}

pub fn authorizer(run: &PollRun) -> Authorizer {
    let config = run.ctx.instance.config.clone();
    Authorizer::new(
        api_auth(&config),
        Arc::new(move |t: &str| crate::poll::generic::render(t, &json!({ "config": config }))),
    )
}

/// Diffs the alerts firing now against those active at the last poll and
/// commits the change. `current` are webhook-shaped alerts (labels,
/// annotations, startsAt, fingerprint, …).
pub async fn publish_diff(
    run: &mut PollRun,
    external_url: &str,
    current: Vec<Value>,
) -> Result<PollOutcome, FetchError> {
    let prev = run.checkpoint().await?.unwrap_or_else(|| json!({}));
    let prev_active = prev["active"].as_object().cloned().unwrap_or_default();
    let mut active = Map::new();
    let mut out = PollOutcome {
        fetched: current.len() as u64,
        ..Default::default()
    };
    let mut changed = Vec::new();
    for a in current {
        let fp = a["fingerprint"].as_str().unwrap_or_default().to_string();
        let version = short_hex(&[
            &a["labels"].to_string(),
            &a["annotations"].to_string(),
            a["startsAt"].as_str().unwrap_or_default(),
        ]);
        if prev_active.get(&fp).and_then(|p| p["version"].as_str()) == Some(version.as_str()) {
            out.skipped += 1;
        } else {
            changed.push(a.clone());
        }
        active.insert(fp, json!({"version": version, "alert": a}));
    }
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for (fp, p) in &prev_active {
        if active.contains_key(fp) {
            continue;
        }
        let mut a = p["alert"].clone();
        a["status"] = json!("resolved");
        a["endsAt"] = json!(now);
        changed.push(a);
    }
    out.published = changed.len() as u64;
    let status = if changed.iter().all(|a| a["status"] == "resolved") {
        "resolved"
    } else {
        "firing"
    };
    let mut commit = Commit {
        checkpoint: Some(json!({ "active": active })),
        ..Default::default()
    };
    if !changed.is_empty() {
        let body = json!({
            "version": "4",
            "status": status,
            "receiver": "causeway-pull",
            "externalURL": external_url,
            "alerts": changed,
        });
        commit.payloads.push(Payload::json(
            BTreeMap::from([("content-type".to_string(), "application/json".to_string())]),
            &body,
        ));
    }
    if prev_active != active || !commit.payloads.is_empty() {
        run.commit(commit).await?;
    }
    Ok(out)
}

/// `GET /api/v2/alerts` of an Alertmanager.
pub struct AlertmanagerPoller;

impl Poller for AlertmanagerPoller {
    fn defaults(&self) -> (Duration, u32) {
        (Duration::from_secs(30), 0)
    }

    fn poll<'a>(&'a self, run: &'a mut PollRun) -> BoxFuture<'a, Result<PollOutcome, FetchError>> {
        Box::pin(async move {
            let base = base_url(run)?;
            let auth = authorizer(run);
            let v = get_json(
                run,
                &auth,
                format!("{base}/api/v2/alerts?active=true&silenced=false&inhibited=false"),
            )
            .await?;
            let list = v.as_array().ok_or_else(|| {
                FetchError::new(ErrorClass::Fail, format!("GET {base}/api/v2/alerts: expected a list of alerts (is this an Alertmanager?)"))
            })?;
            let current = list
                .iter()
                .filter(|a| a["status"]["state"] != "suppressed")
                .map(|a| {
                    let labels = a["labels"].as_object().cloned().unwrap_or_default();
                    let fp = a["fingerprint"]
                        .as_str()
                        .map_or_else(|| model_fingerprint(&labels), str::to_string);
                    json!({
                        "status": "firing",
                        "labels": labels,
                        "annotations": a["annotations"],
                        "startsAt": a["startsAt"],
                        "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": a["generatorURL"],
                        "fingerprint": fp,
                    })
                })
                .collect();
            publish_diff(run, &base, current).await
        })
    }
}
