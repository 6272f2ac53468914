//! What the polling test binaries share: an app over a temp data dir and a
//! private keychain, creating instances, and waiting on their health.

use causeway_app::api::requests::NewInstance;
use causeway_app::connectors::instances::InstanceView;
use causeway_app::App;
use causeway_core::Sensitive;
use causeway_testkit::keyring as test_keyring;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A started app in a fresh data dir, its secrets under a keychain service
/// of this test binary's own (`name`).
pub async fn started_app(name: &str) -> (tempfile::TempDir, App) {
    test_keyring::ensure();
    std::env::set_var(
        "CAUSEWAY_KEYCHAIN_SERVICE",
        format!("causeway-{name}-{}", std::process::id()),
    );
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).unwrap();
    app.start();
    (dir, app)
}

/// Secret fields as the instance API takes them.
pub fn secrets(pairs: &[(&str, &str)]) -> BTreeMap<String, Sensitive<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Sensitive::new(v.to_string())))
        .collect()
}

/// Creates an instance in the default project; returns its id.
pub async fn add(
    app: &App,
    descriptor: &str,
    name: &str,
    config: Value,
    pairs: &[(&str, &str)],
) -> String {
    app.create_instance(NewInstance {
        descriptor_id: descriptor.into(),
        project_id: "default".into(),
        name: name.into(),
        config,
        secrets: secrets(pairs),
    })
    .await
    .unwrap()
    .id
}

/// Polls the instance's view until `done` holds (30 s at most).
pub async fn wait(
    app: &App,
    id: &str,
    what: &str,
    done: impl Fn(&InstanceView) -> bool,
) -> InstanceView {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = app.get_instance(id.to_string()).await.unwrap();
        if done(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            v.health
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
