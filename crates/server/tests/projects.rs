//! Projects over HTTP (the contract in docs/http-api.md) and from the
//! command line, against a real `causeway serve`: a second project made
//! with its own Alertmanager receiver URL, whose incidents do not show in
//! `default`, then deleted from the CLI through the running server.

mod common;
use common::*;

fn projects(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    cli("projects", dir, args)
}

fn alert(fp: &str) -> Vec<u8> {
    format!(
        r#"{{"version":"4","status":"firing","alerts":[{{"status":"firing","fingerprint":"{fp}",
        "labels":{{"alertname":"KubePodCrashLooping","namespace":"shop","pod":"cart-7d9f8b6c5-x2b4k","severity":"critical"}},
        "annotations":{{"summary":"cart crash looping ({fp})"}},"startsAt":"2026-12-07T03:00:00Z"}}]}}"#
    )
    .into_bytes()
}

fn ids(v: &serde_json::Value, list: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_second_project_over_http_and_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);

    let (st, made) = s
        .api(
            "POST",
            "/api/projects",
            Some(serde_json::json!({"id": "staging", "name": "Staging"})),
        )
        .await;
    assert_eq!(st, 201, "{made}");
    assert_eq!(made["id"], "staging");
    let url = made["receiver"]["webhookUrl"].as_str().unwrap().to_string();
    assert_eq!(url, s.url("/webhooks/alertmanager/staging"));
    let secret = made["receiver"]["secret"].as_str().unwrap().to_string();
    let (st, clash) = s
        .api(
            "POST",
            "/api/projects",
            Some(serde_json::json!({"id": "staging", "name": "X"})),
        )
        .await;
    assert_eq!((st, clash["code"].as_str()), (409, Some("conflict")));
    let (st, bad) = s
        .api(
            "POST",
            "/api/projects",
            Some(serde_json::json!({"id": "Not A Slug", "name": "X"})),
        )
        .await;
    assert_eq!((st, bad["code"].as_str()), (400, Some("bad_request")));
    let list = s.get_json("/api/projects").await;
    assert_eq!(ids(&list, "projects"), ["default", "staging"]);
    assert_eq!(list["projects"][1]["name"], "Staging");

    // Its receiver, at its own URL with its own secret.
    let post = |secret: String, body: Vec<u8>| {
        let url = url.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .bearer_auth(secret)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        post(s.receiver_secret(), alert("s1")).await,
        401,
        "default's secret is not staging's"
    );
    assert_eq!(post(secret.clone(), alert("s1")).await, 202);
    assert_eq!(s.post_webhook(alert("p1")).await.0, 202);
    let staging = s
        .wait_for("/api/incidents?project=staging", |v| {
            v["incidents"].as_array().unwrap().len() == 1
        })
        .await;
    let prod = s
        .wait_for("/api/incidents", |v| {
            v["incidents"].as_array().unwrap().len() == 1
        })
        .await;
    assert_ne!(ids(&staging, "incidents"), ids(&prod, "incidents"));
    assert!(prod["incidents"][0]["title"]
        .as_str()
        .unwrap()
        .contains("p1"));
    let same = s.get_json("/api/incidents?project=default").await;
    assert_eq!(ids(&same, "incidents"), ids(&prod, "incidents"));
    let sig = s.get_json("/api/signals?project=staging").await;
    assert_eq!(sig["signals"].as_array().unwrap().len(), 1);
    assert_eq!(sig["signals"][0]["project"], "staging");
    let (st, none) = s.api("GET", "/api/incidents?project=nope", None).await;
    assert_eq!(
        (st, none["message"].as_str()),
        (404, Some("no project 'nope'"))
    );

    // Renamed over HTTP, listed and deleted from the command line: the
    // running server does it.
    let (st, r) = s
        .api(
            "PATCH",
            "/api/projects/staging",
            Some(serde_json::json!({"name": "Pre-prod"})),
        )
        .await;
    assert_eq!((st, r["name"].as_str()), (200, Some("Pre-prod")));
    let (ok, out, err) = projects(dir.path(), &["list"]);
    assert!(ok, "{err}");
    assert!(out.contains("staging") && out.contains("Pre-prod"), "{out}");
    let (ok, _, err) = projects(dir.path(), &["delete", "staging"]);
    assert!(!ok);
    assert!(
        err.contains("1 connector(s) with their keychain secrets, 1 incident(s), 1 signal(s)")
            && err.contains("--yes"),
        "{err}"
    );
    let (ok, out, err) = projects(dir.path(), &["delete", "staging", "--yes"]);
    assert!(ok, "{err}");
    assert!(out.contains("project staging deleted"), "{out}");
    assert_eq!(post(secret, alert("s2")).await, 404);
    let (st, _) = s.api("GET", "/api/incidents?project=staging", None).await;
    assert_eq!(st, 404);
    let (st, gone) = s.api("DELETE", "/api/projects/default", None).await;
    assert_eq!((st, gone["code"].as_str()), (409, Some("conflict")));
    let after = s.get_json("/api/incidents").await;
    assert_eq!(ids(&after, "incidents"), ids(&prod, "incidents"));

    // And created from the command line, with its receiver's URL printed.
    let (ok, out, err) = projects(
        dir.path(),
        &["create", "eu-prod", "--name", "EU production"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("/webhooks/alertmanager/eu-prod"), "{out}");
    assert!(
        out.contains("credentials: "),
        "the Alertmanager snippet: {out}"
    );
    let list = s.get_json("/api/projects").await;
    assert_eq!(ids(&list, "projects"), ["default", "eu-prod"]);
}
