//! Connector instances with secrets in the real OS keychain (a private
//! gnome-keyring), and webhook verification against them, over real HTTP.

mod common;
use causeway_connectors::secrets::{handle_for, SecretError};
use causeway_testkit::keyring as test_keyring;
use common::*;
use hmac::{Hmac, Mac};
use serde_json::json;

fn github_sig(secret: &str, body: &[u8]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body);
    let hex: String = m
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

async fn rpc(s: &Server, command: serde_json::Value) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(s.url("/api/rpc"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .json(&command)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn secrets_live_in_the_keychain_and_signatures_are_checked() {
    test_keyring::ensure();
    let service = format!("causeway-test-{}", std::process::id());
    std::env::set_var("CAUSEWAY_KEYCHAIN_SERVICE", &service);
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let c = reqwest::Client::new();
    let token = "s3cret-token-value-0123456789";

    // Close the open default instance, then add one that wants a Bearer token.
    let (st, _) = rpc(&s, json!({"command": "setInstanceEnabled", "args": {"id": "default-alertmanager", "enabled": false}})).await;
    assert_eq!(st, 200);
    let r = c
        .post(s.url("/api/connectors/instances"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .json(&json!({"descriptorId": "alertmanager", "projectId": "default", "name": "Prod AM",
                      "config": {"verify": {"type": "bearer"}}, "secrets": {"webhookSecret": token}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let text = r.text().await.unwrap();
    assert!(!text.contains(token), "the secret never comes back: {text}");
    let inst: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = inst["id"].as_str().unwrap().to_string();
    assert_eq!(id, "alertmanager-prod-am");
    assert_eq!(inst["secretFields"], json!(["webhookSecret"]));
    assert!(inst["webhookUrl"]
        .as_str()
        .unwrap()
        .ends_with("/webhooks/alertmanager/default"));
    // It is in the keychain, and nowhere in the database.
    let keychain = keychain(dir.path());
    assert_eq!(
        keychain
            .get(&handle_for(&id, "webhookSecret"))
            .unwrap()
            .expose(),
        token
    );
    for f in ["causeway.db", "causeway.db-wal"] {
        let bytes = std::fs::read(dir.path().join(f)).unwrap_or_default();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{f} holds the secret"
        );
    }

    let body =
        serde_json::to_vec(&json!({"version": "4", "status": "firing", "alerts": []})).unwrap();
    let send = |auth: Option<String>| {
        let mut r = c
            .post(s.url("/webhooks/alertmanager/default"))
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send()
    };
    assert_eq!(send(None).await.unwrap().status(), 401);
    let wrong = send(Some("Bearer nope".into())).await.unwrap();
    assert_eq!(wrong.status(), 401);
    let e: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(e["code"], "unauthorized");
    assert!(!e["message"].as_str().unwrap().contains(token));
    assert_eq!(
        send(Some(format!("Bearer {token}")))
            .await
            .unwrap()
            .status(),
        202
    );

    // Rotation with GitHub-style HMAC: the previous secret still verifies;
    // a re-sent delivery is taken once.
    let (st, _) = rpc(&s, json!({"command": "deleteInstance", "args": {"id": id}})).await;
    assert_eq!(st, 200);
    assert!(
        matches!(
            keychain.get(&handle_for(&id, "webhookSecret")),
            Err(SecretError::NotFound { .. })
        ),
        "deleted with its instance"
    );
    let r = c
        .post(s.url("/api/connectors/instances"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .json(&json!({"descriptorId": "alertmanager", "name": "Signed AM",
                      "config": {"verify": {"type": "github_sha256"}},
                      "secrets": {"webhookSecret": "new-secret", "webhookSecretPrevious": "old-secret"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let signed = |secret: &str, delivery: &str, payload: &[u8]| {
        c.post(s.url("/webhooks/alertmanager/default"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", github_sig(secret, payload))
            .header("x-github-delivery", delivery)
            .body(payload.to_vec())
            .send()
    };
    assert_eq!(
        signed("old-secret", "d-1", &body).await.unwrap().status(),
        202
    );
    assert_eq!(
        signed("new-secret", "d-2", &body).await.unwrap().status(),
        202
    );
    let again = signed("new-secret", "d-2", &body).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap(),
        json!({"accepted": 0, "duplicate": true})
    );
    let mut tampered = body.clone();
    tampered.push(b' ');
    let r = c
        .post(s.url("/webhooks/alertmanager/default"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", github_sig("new-secret", &body))
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(signed("wrong", "d-3", &body).await.unwrap().status(), 401);
    let metrics = s.metrics().await;
    assert!(
        metrics.contains("causeway_events_rejected_total{connector=\"alertmanager\"} 4"),
        "{metrics}"
    );

    // The catalogue lists every connector with what its setup form needs,
    // and knows which ones are configured.
    let cat = s.get_json("/api/connectors/catalogue").await;
    let list = cat["connectors"].as_array().unwrap();
    assert!(list.len() >= 13, "{}", list.len());
    let gh = list.iter().find(|c| c["id"] == "github").unwrap();
    assert_eq!(gh["category"], "Code & DevOps");
    assert_eq!(gh["auth"]["scheme"]["type"], "github_sha256");
    assert!(gh["configSchema"].is_object());
    let am = list.iter().find(|c| c["id"] == "alertmanager").unwrap();
    assert_eq!(
        am["instances"], 2,
        "the disabled default and the signed one"
    );
    // A connector that signs its webhooks needs its secret.
    let r = c
        .post(s.url("/api/connectors/instances"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .json(&json!({"descriptorId": "github", "name": "gh"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("secrets.webhookSecret"),
        "{e}"
    );

    // Bad requests are refused without echoing what was sent.
    let r = c
        .post(s.url("/api/connectors/instances"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .json(&json!({"descriptorId": "nosuch", "name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(s.url("/api/connectors/instances"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .json(&json!({"descriptorId": "alertmanager", "name": "x", "secrets": {"webhookSecret": 12345678}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(!r.text().await.unwrap().contains("12345678"));
}
