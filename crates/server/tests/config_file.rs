//! connectors.json as a user runs it: `${ENV}` substitution, a clear
//! startup error for an unset variable, hot reload on change and on
//! SIGHUP, a disabled connector stopped, and one Causeway per data dir.

mod common;
use causeway_connectors::secrets::handle_for;
use causeway_testkit::keyring as test_keyring;
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

fn file(prom: &str, interval: u64, enabled: bool, extra: &str) -> String {
    format!(
        r#"{{"connectors": [
  {{"name": "prod", "type": "prometheus", "enabled": {enabled}, "pollIntervalMs": {interval},
    "requestTimeoutMs": 2000, "maxRetries": 1,
    "retryConfig": {{"baseDelayMs": 100, "maxDelayMs": 1000, "jitterRatio": 0.1}},
    "providerConfig": {{"baseUrl": "${{CW_TEST_PROM}}", "auth": "bearer", "token": "${{CW_TEST_TOKEN}}"}}}}{extra}
]}}"#
    )
    .replace("${CW_TEST_PROM}", prom)
}

async fn instances(s: &Server) -> serde_json::Value {
    s.get_json("/api/connectors/instances").await
}

async fn until(
    s: &Server,
    what: &str,
    f: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = instances(s).await;
        if f(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out: {what}: {v}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

fn find<'a>(v: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    v["instances"]
        .as_array()?
        .iter()
        .find(|i| i["name"] == name)
}

#[tokio::test]
async fn connectors_json_loads_with_env_and_hot_reloads() {
    test_keyring::ensure();
    let service = format!("causeway-cfg-test-{}", std::process::id());
    std::env::set_var("CAUSEWAY_KEYCHAIN_SERVICE", &service);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("conf").join("connectors.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    // Nothing listens there: the instance polls and fails, which is fine here.
    let prom = "http://127.0.0.1:9";
    std::fs::write(&cfg, file(prom, 60000, true, "")).unwrap();

    // An unset variable stops the start, naming it.
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("CONNECTORS_CONFIG_PATH", &cfg)
        .env_remove("CW_TEST_TOKEN")
        .env("CAUSEWAY_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CW_TEST_TOKEN") && err.contains("not set"),
        "{err}"
    );

    std::env::set_var("CONNECTORS_CONFIG_PATH", &cfg);
    std::env::set_var("CW_TEST_TOKEN", "cfg-token-5e6f7a8b9c");
    let s = Server::start(dir.path(), &[]);
    let v = until(&s, "loaded", |v| find(v, "prod").is_some()).await;
    let prod = find(&v, "prod").unwrap().clone();
    let id = prod["id"].as_str().unwrap().to_string();
    assert_eq!(prod["config"]["baseUrl"], prom);
    assert_eq!(prod["config"]["pollIntervalMs"], 60000);
    assert!(
        prod["config"].get("token").is_none(),
        "secrets are not settings"
    );
    assert_eq!(
        keychain(dir.path())
            .get(&handle_for(&id, "token"))
            .unwrap()
            .expose(),
        "cfg-token-5e6f7a8b9c"
    );

    // One Causeway per data dir.
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("CAUSEWAY_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another Causeway"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Edited on disk: the change is picked up, and a new connector appears.
    let second = r#",
  {"name": "am", "type": "alertmanager", "providerConfig": {"baseUrl": "http://127.0.0.1:9"}}"#;
    std::fs::write(&cfg, file(prom, 5000, true, second)).unwrap();
    let v = until(&s, "reloaded", |v| {
        find(v, "prod").is_some_and(|p| p["config"]["pollIntervalMs"] == 5000)
            && find(v, "am").is_some()
    })
    .await;
    assert_eq!(
        find(&v, "prod").unwrap()["id"],
        id.as_str(),
        "the same instance, updated"
    );

    // SIGHUP reloads at once; disabled stops the connector; a dropped one is removed.
    std::fs::write(&cfg, file(prom, 5000, false, "")).unwrap();
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    let v = until(&s, "disabled and removed", |v| {
        find(v, "prod").is_some_and(|p| p["enabled"] == false && p["health"]["running"] == false)
            && find(v, "am").is_none()
    })
    .await;
    assert_eq!(find(&v, "prod").unwrap()["health"]["state"], "disabled");

    // Export gives the file back with secrets as variables.
    let e = s.get_json("/api/connectors/export").await;
    let text = e.to_string();
    assert!(
        text.contains("\"type\":\"prometheus\"") && text.contains("${"),
        "{text}"
    );
    assert!(!text.contains("cfg-token-5e6f7a8b9c"));

    // A broken edit leaves what runs alone.
    std::fs::write(&cfg, "{ not json").unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(find(&instances(&s).await, "prod").is_some());
}
