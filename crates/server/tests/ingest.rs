//! The incident ingest API and the rate limits, against a real server.

mod common;
use common::*;
use serde_json::json;

fn issue(dir: &std::path::Path, scope: &str) -> String {
    let out = std::process::Command::new(BIN)
        .args(["token", "issue", "--scope", scope, "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn request(source_ref: &str) -> serde_json::Value {
    json!({
        "sourceType": "DATADOG",
        "sourceRef": source_ref,
        "title": "checkout p99 latency above 2 s",
        "severity": "high",
        "timeline": {"start": "2026-11-20T02:58:00Z"},
        "metadata": {"service": "checkout", "tags": {"namespace": "shop", "deployment": "checkout"}},
        "evidenceLite": {
            "metrics": [{"name": "p99_latency_ms", "value": 2300.5, "timestamp": "2026-11-20T02:58:30Z"}],
            "events": [{"type": "deploy", "description": "checkout v2.3.1 rolled out", "timestamp": "2026-11-20T02:50:00Z"}]
        }
    })
}

#[tokio::test]
async fn ingest_creates_once_lists_bad_fields_and_checks_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let ingest_token = issue(dir.path(), "ingest");
    let c = reqwest::Client::new();
    let post = |token: Option<&str>, body: &serde_json::Value| {
        let mut r = c.post(s.url("/v1/incidents/ingest")).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };

    assert_eq!(post(None, &request("a")).await.unwrap().status(), 401);
    // No way around the token through the webhook gateway.
    let r = c
        .post(s.url("/webhooks/causeway/default"))
        .json(&request("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        post(Some("cw_nope"), &request("a")).await.unwrap().status(),
        401
    );

    let r = post(Some(&ingest_token), &request("dd-1")).await.unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    let id = created["incidentId"].as_str().unwrap().to_string();
    assert!(id.starts_with("inc-"));
    assert_eq!(created["status"], "created");
    let bundle = created["evidenceBundleId"].as_str().unwrap().to_string();
    assert!(bundle.starts_with("ev-") && bundle.len() == 35);

    // Same (sourceType, sourceRef): 200 and the same incident, even from an admin token.
    let admin = issue(dir.path(), "admin");
    let r = post(Some(&admin), &request("dd-1")).await.unwrap();
    assert_eq!(r.status(), 200);
    let again: serde_json::Value = r.json().await.unwrap();
    assert_eq!(again["incidentId"], id.as_str());
    assert_eq!(again["evidenceBundleId"], bundle.as_str());

    // Every bad field, at once.
    let mut bad = request("dd-2");
    bad["timeline"]["start"] = json!("last tuesday");
    bad["title"] = json!("");
    bad["severity"] = json!("urgent");
    let r = post(Some(&ingest_token), &bad).await.unwrap();
    assert_eq!(r.status(), 400);
    let e: serde_json::Value = r.json().await.unwrap();
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "severity", "timeline.start"]);
    let r = c
        .post(s.url("/v1/incidents/ingest"))
        .bearer_auth(&ingest_token)
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Refused bodies are kept, byte for byte.
    let dl = s.get_json("/api/dead-letters").await;
    assert_eq!(dl["deadLetters"].as_array().unwrap().len(), 2);
    assert_eq!(dl["deadLetters"][0]["connectorId"], "causeway");

    // The incident carries the request's evidence on its timeline.
    let d = s.get_json(&format!("/api/incidents/{id}")).await;
    assert_eq!(d["title"], "checkout p99 latency above 2 s (checkout)");
    assert_eq!(d["severity"], "high");
    let evidence: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "evidence")
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        evidence,
        [
            "event deploy: checkout v2.3.1 rolled out",
            "metric p99_latency_ms = 2300.5"
        ]
    );
    assert_eq!(
        d["signals"][0]["link"]["explanation"],
        "opened the incident: first high alert on Deployment shop/checkout"
    );
    // An info-level request is still an incident: it was declared one.
    let mut mild = request("dd-3");
    mild["severity"] = json!("info");
    mild["metadata"] = json!({});
    let r: serde_json::Value = post(Some(&ingest_token), &mild)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let d = s
        .get_json(&format!(
            "/api/incidents/{}",
            r["incidentId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        d["signals"][0]["link"]["explanation"],
        "declared as an incident by INGEST_DATADOG"
    );
}

#[tokio::test]
async fn a_webhook_flood_gets_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    // A bucket of 100 refilled once a minute (the default takes a storm
    // of thousands).
    let (st, _) = s
        .api(
            "PATCH",
            "/api/connectors/instances/default-alertmanager",
            Some(serde_json::json!({"config": {"rateLimitPerMinute": 1, "rateLimitBurst": 100}})),
        )
        .await;
    assert_eq!(st, 200);
    let body = br#"{"version":"4","status":"firing","alerts":[]}"#.to_vec();
    for i in 0..100 {
        let (status, _) = s.post_webhook(body.clone()).await;
        assert_eq!(status, 202, "request {i}");
    }
    let r = reqwest::Client::new()
        .post(s.url("/webhooks/alertmanager/default"))
        .header("content-type", "application/json")
        .bearer_auth(s.receiver_secret())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], "rate_limited");
    let metrics = s.metrics().await;
    assert!(
        metrics.contains("causeway_events_rejected_total{connector=\"alertmanager\"} 1"),
        "{metrics}"
    );
    // The server still answers.
    let h = reqwest::get(s.url("/healthz")).await.unwrap();
    assert_eq!(h.status(), 200);
}
