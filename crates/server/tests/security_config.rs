//! What a person or a script configuring connectors can get wrong, and the
//! server no longer lets happen quietly: verification turned off by
//! clearing a setting, a shared token kept with the payload, a secret put
//! in the settings or echoed in an error (docs/security.md).

mod common;
use common::*;
use serde_json::json;

async fn rpc(s: &Server, command: serde_json::Value) -> (u16, serde_json::Value) {
    s.api("POST", "/api/rpc", Some(command)).await
}

async fn deliver(s: &Server, path: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    let mut r = reqwest::Client::new()
        .post(s.url(path))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap().status().as_u16()
}

/// Clearing `verify` falls back to the connector's own scheme; only an
/// explicit `{"type": "none"}` takes unsigned deliveries, and says so.
#[tokio::test]
async fn verification_is_off_only_when_said() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let (st, inst) = s
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({"descriptorId": "github", "name": "gh", "secrets": {"webhookSecret": "gh-secret"}})),
        )
        .await;
    assert_eq!(st, 201, "{inst}");
    assert_eq!(inst["verification"], "github_sha256");
    let push = br#"{"ref":"refs/heads/main","repository":{"full_name":"shop/cart"}}"#;
    let unsigned = [("x-github-event", "push")];
    let patch = |config: serde_json::Value| {
        s.api(
            "PATCH",
            "/api/connectors/instances/github-gh",
            Some(json!({"config": config})),
        )
    };
    let (st, v) = patch(json!({"verify": null})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["verification"], "github_sha256");
    assert_eq!(
        deliver(&s, "/webhooks/github/default", &unsigned, push).await,
        401
    );
    let (st, v) = patch(json!({"verify": {"type": "no-such-scheme"}})).await;
    assert_eq!(st, 400, "{v}");
    let (st, v) = patch(json!({"verify": {"type": "none"}})).await;
    assert_eq!(st, 200);
    assert_eq!(v["verification"], "none", "shown, so the UI can say it");
    assert_eq!(
        deliver(&s, "/webhooks/github/default", &unsigned, push).await,
        202
    );
    // The shipped receiver verifies like any Alertmanager instance.
    let (_, d) = s
        .api(
            "GET",
            "/api/connectors/instances/default-alertmanager",
            None,
        )
        .await;
    assert_eq!(d["verification"], "bearer");
}

/// A shared token in a header of the sender's choosing is checked and
/// dropped: neither the inbox nor dead letters keep it.
#[tokio::test]
async fn a_shared_token_header_is_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let token = "pass-0123456789-abcdef";
    let (st, v) = s
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({"descriptorId": "alertmanager", "name": "Passed",
                "config": {"verify": {"type": "shared_token", "header": "X-Webhook-Pass"}},
                "secrets": {"webhookSecret": token}})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let (_, _) = rpc(&s, json!({"command": "setInstanceEnabled", "args": {"id": "default-alertmanager", "enabled": false}})).await;
    let h = [("x-webhook-pass", token), ("x-request-id", "r-1")];
    let ok = br#"{"version":"4","status":"firing","alerts":[]}"#;
    assert_eq!(
        deliver(&s, "/webhooks/alertmanager/default", &h, ok).await,
        202
    );
    assert_eq!(
        deliver(&s, "/webhooks/alertmanager/default", &h, b"{not json").await,
        400
    );
    let dl = s.get_json("/api/dead-letters").await;
    assert_eq!(dl["deadLetters"].as_array().unwrap().len(), 1);
    s.kill9();
    for f in ["causeway.db", "causeway.db-wal"] {
        let bytes = std::fs::read(dir.path().join(f)).unwrap_or_default();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{f} holds the token"
        );
    }
}

/// Secrets are refused in `config` (they would be stored and shown), and
/// a malformed one is reported by position, never echoed.
#[tokio::test]
async fn secrets_stay_out_of_settings_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let (st, e) = rpc(
        &s,
        json!({"command": "createInstance", "args": {"descriptorId": "github", "name": "gh",
               "secrets": {"webhookSecret": 987654321987654_u64}}}),
    )
    .await;
    assert_eq!(st, 400);
    let text = e.to_string();
    assert!(!text.contains("987654321987"), "{text}");
    assert!(text.contains("expected a string"), "{text}");
    // The REST route names the field.
    let (st, e) = s
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({"descriptorId": "github", "name": "gh",
                "secrets": {"webhookSecret": 987654321987654_u64}})),
        )
        .await;
    assert_eq!(st, 400);
    let text = e.to_string();
    assert!(!text.contains("987654321987"), "{text}");
    assert!(text.contains("secrets.webhookSecret"), "{text}");
    let (st, e) = s
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({"descriptorId": "gitlab-issues", "name": "gl",
                "config": {"baseUrl": "https://gitlab.example", "token": "glpat-in-config"}})),
        )
        .await;
    assert_eq!(st, 400, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("'token' is a secret"),
        "{e}"
    );
    assert!(!e.to_string().contains("glpat-in-config"));
    let (st, e) = s
        .api(
            "PATCH",
            "/api/connectors/instances/default-alertmanager",
            Some(json!({"config": {"webhookSecret": "in-the-clear"}})),
        )
        .await;
    assert_eq!(st, 400, "{e}");
    let listed = s.get_json("/api/connectors/instances").await;
    assert!(!listed.to_string().contains("in-the-clear"));
}

/// A new secret for the default receiver, from the API the UI uses: shown
/// once, and the one before it still verifies until the next rotation.
#[tokio::test]
async fn a_receiver_secret_is_rotated_without_losing_a_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let old = s.receiver_secret();
    let (st, new) = s
        .api(
            "POST",
            "/api/connectors/instances/default-alertmanager/webhook-secret",
            None,
        )
        .await;
    assert_eq!(st, 200, "{new}");
    let fresh = new["secret"].as_str().unwrap().to_string();
    assert_ne!(fresh, old);
    assert_eq!(new["previousKept"], true);
    assert!(new["webhookUrl"]
        .as_str()
        .unwrap()
        .ends_with("/webhooks/alertmanager/default"));
    let body = br#"{"version":"4","status":"firing","alerts":[]}"#;
    for secret in [&old, &fresh] {
        let auth = format!("Bearer {secret}");
        assert_eq!(
            deliver(
                &s,
                "/webhooks/alertmanager/default",
                &[("authorization", &auth)],
                body
            )
            .await,
            202
        );
    }
    let listed = s.get_json("/api/connectors/instances").await;
    assert!(!listed.to_string().contains(&fresh), "never shown again");
    // A provider-issued secret is not ours to make.
    let (st, _) = s
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({"descriptorId": "pagerduty", "name": "pd", "secrets": {"webhookSecret": "pd-issued"}})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, e) = s
        .api(
            "POST",
            "/api/connectors/instances/pagerduty-pd/webhook-secret",
            None,
        )
        .await;
    assert_eq!(st, 400, "{e}");
}
