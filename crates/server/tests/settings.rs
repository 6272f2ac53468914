//! Settings and API tokens through the real `causeway serve`: a data folder
//! and webhook port saved in Settings are what the next start uses, and a
//! token issued from the UI's command list works until it is revoked.

mod common;

use common::{free_port, keychain_service, Server, BIN};
use std::process::{Command, Stdio};

async fn rpc(s: &Server, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(s.url("/api/rpc"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn serve_starts_on_the_saved_data_folder_and_port() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config");
    let data = tmp.path().join("saved-data");
    let port = free_port();
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("settings.json"),
        serde_json::json!({ "dataDir": data, "webhookPort": port }).to_string(),
    )
    .unwrap();
    // No --data-dir, no --listen: the saved settings decide.
    keychain_service();
    let child = Command::new(BIN)
        .arg("serve")
        .env("CAUSEWAY_CONFIG_DIR", &config)
        .env_remove("CAUSEWAY_DATA_DIR")
        .env("CAUSEWAY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut s = Server::from_child(child, &data).unwrap();
    s.session = s.trade(&s.token.clone()).unwrap();
    assert_eq!(s.base, format!("http://127.0.0.1:{port}"));
    assert_eq!(
        std::fs::read_to_string(data.join("serve.addr")).unwrap(),
        format!("127.0.0.1:{port}")
    );
    let v = s.get_json("/api/settings").await;
    assert_eq!(v["dataDir"], data.display().to_string());
    assert_eq!(v["webhookPort"], port);
    assert_eq!(v["restartNeeded"], false);

    // A new port is saved for the next start, and the answer says so.
    let (status, v) = rpc(
        &s,
        serde_json::json!({"command": "saveSettings", "args": {"webhookPort": 9797}}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["restartNeeded"], true);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(config.join("settings.json")).unwrap()).unwrap();
    assert_eq!(saved["webhookPort"], 9797);
    assert_eq!(saved["dataDir"], data.display().to_string());

    let (status, v) = rpc(
        &s,
        serde_json::json!({"command": "saveSettings", "args": {"dataDir": "relative"}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(v["code"], "bad_request");
}

#[tokio::test]
async fn a_token_issued_through_the_api_is_an_admin_bearer_until_revoked() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &[]);
    let (status, issued) = rpc(
        &s,
        serde_json::json!({"command": "issueToken", "args": {"scope": "admin"}}),
    )
    .await;
    assert_eq!(status, 200, "{issued}");
    let token = issued["token"].as_str().unwrap().to_string();
    let id = issued["id"].as_str().unwrap().to_string();
    let get = |t: String| {
        let url = s.url("/api/incidents");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(get(token.clone()).await, 200);
    let listed = s.get_json("/api/tokens").await;
    assert!(!listed.to_string().contains(&token));
    assert_eq!(listed["tokens"][0]["id"], id.as_str());

    let r = reqwest::Client::new()
        .post(s.url(&format!("/api/tokens/{id}/revoke")))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get(token).await, 401);
}
