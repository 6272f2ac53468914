//! Connectors from the environment alone (`ENABLED_CONNECTORS` and
//! `CONNECTOR_*`), as a container or CI job starts Causeway: a Healthchecks
//! connector polls a local fake serving the documented answer, with its API
//! key from a variable sent where the provider wants it and kept in the
//! keychain only; a bad variable stops the start, naming it; a connector
//! dropped from the list is removed at the next start, and one moved to
//! connectors.json is taken over by the file.

mod common;
use axum::http::HeaderMap;
use causeway_connectors::secrets::handle_for;
use causeway_testkit::keyring as test_keyring;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

const KEY: &str = "hc-env-key-3f9a1c7e5b";

/// `causeway serve` on `dir` with exactly these connector variables (none
/// inherited from the test's own environment).
fn command(dir: &Path, vars: &[(&str, &str)]) -> Command {
    keychain_service();
    let mut c = Command::new(BIN);
    c.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("CAUSEWAY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k == "ENABLED_CONNECTORS" || k.starts_with("CONNECTOR_") {
            c.env_remove(k);
        }
    }
    for (k, v) in vars {
        c.env(k, v);
    }
    c
}

fn start(dir: &Path, vars: &[(&str, &str)]) -> Server {
    let child = command(dir, vars).spawn().expect("spawn causeway serve");
    let mut s = Server::from_child(child, dir).unwrap_or_else(|e| panic!("{e}"));
    s.session = s.trade(&s.token.clone()).expect("a session");
    s
}

/// What a start that must fail said on stderr.
fn refused(dir: &Path, vars: &[(&str, &str)]) -> String {
    let out = command(dir, vars).output().unwrap();
    assert!(!out.status.success(), "it started with {vars:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn the_environment_alone_starts_a_polling_connector() {
    test_keyring::ensure();
    std::env::set_var(
        "CAUSEWAY_KEYCHAIN_SERVICE",
        format!("causeway-env-test-{}", std::process::id()),
    );
    // The fake Healthchecks API: the recorded answer, and the key each
    // request carried.
    let body = std::fs::read(format!("{FIXTURES}/api/healthchecks/checks.json")).unwrap();
    let keys: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = keys.clone();
    let app = axum::Router::new().route(
        "/api/v3/checks/",
        axum::routing::get(move |h: HeaderMap| {
            let (body, seen) = (body.clone(), seen.clone());
            async move {
                let key = h.get("x-api-key").and_then(|v| v.to_str().ok());
                seen.lock().unwrap().push(key.unwrap_or("").to_string());
                ([("content-type", "application/json")], body)
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let good = [
        ("ENABLED_CONNECTORS", "hc-prod"),
        ("CONNECTOR_HC_PROD_TYPE", "healthchecks"),
        ("CONNECTOR_HC_PROD_BASE_URL", base.as_str()),
        ("CONNECTOR_HC_PROD_API_KEY", KEY),
        ("CONNECTOR_HC_PROD_POLL_INTERVAL_MS", "60000"),
        ("CONNECTOR_HC_PROD_REQUEST_TIMEOUT_MS", "5000"),
        ("CONNECTOR_HC_PROD_MAX_RETRIES", "1"),
    ];

    // A bad variable is a startup error naming it, and nothing is made.
    let with = |k: &'static str, v: &'static str| {
        let mut vars = good.to_vec();
        vars.push((k, v));
        vars
    };
    let e = refused(
        dir.path(),
        &with("CONNECTOR_HC_PROD_POLL_INTERVAL_MS", "soon"),
    );
    assert!(
        e.contains("CONNECTOR_HC_PROD_POLL_INTERVAL_MS must be a whole number"),
        "{e}"
    );
    let e = refused(dir.path(), &with("CONNECTOR_HC_PROD_APIKEY", "x"));
    assert!(
        e.contains("CONNECTOR_HC_PROD_APIKEY") && e.contains("no setting 'apikey'"),
        "{e}"
    );
    let e = refused(dir.path(), &with("CONNECTOR_HC_PROD_TYPE", "healthcheck"));
    assert!(
        e.contains("CONNECTOR_HC_PROD_TYPE: no connector 'healthcheck'"),
        "{e}"
    );
    assert!(!e.contains(KEY), "a secret in an error: {e}");

    // The good set polls: the fake saw the key, the down check is a
    // firing signal.
    let s = start(dir.path(), &good);
    let v = s
        .wait_for("/api/signals", |v| {
            v.to_string().contains("Check nightly-backup is down")
        })
        .await;
    let down = v["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["title"] == "Check nightly-backup is down")
        .unwrap();
    assert_eq!(down["status"], "firing", "{down}");
    assert!(keys.lock().unwrap().iter().all(|k| k == KEY), "{keys:?}");
    let list = s.get_json("/api/connectors/instances").await;
    let hc = list["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "hc-prod")
        .unwrap_or_else(|| panic!("{list}"))
        .clone();
    assert_eq!(hc["descriptorId"], "healthchecks", "{hc}");
    assert_eq!(hc["config"]["baseUrl"], base.as_str());
    assert_eq!(hc["config"]["pollIntervalMs"], 60000);
    assert_eq!(hc["config"]["requestTimeoutMs"], 5000);
    assert!(
        hc["config"].get("apiKey").is_none(),
        "a secret is no setting"
    );
    let id = hc["id"].as_str().unwrap().to_string();
    let chain = keychain(dir.path());
    assert_eq!(chain.get(&handle_for(&id, "apiKey")).unwrap().expose(), KEY);
    drop(s);

    // Dropped from the list: removed at the next start, with its secret.
    let s = start(dir.path(), &[]);
    let list = s.get_json("/api/connectors/instances").await;
    assert!(!list.to_string().contains("hc-prod"), "{list}");
    assert!(chain.get(&handle_for(&id, "apiKey")).is_err());
    drop(s);

    // Moved from the environment to connectors.json: the file takes the
    // same instance over instead of calling it declared twice.
    drop(start(dir.path(), &good));
    let file = format!(
        r#"{{"connectors": [{{"name": "hc-prod", "type": "healthchecks",
            "providerConfig": {{"baseUrl": "{base}", "apiKey": "${{CW_HC_KEY}}"}}}}]}}"#
    );
    std::fs::write(dir.path().join("connectors.json"), file).unwrap();
    let s = start(dir.path(), &[("CW_HC_KEY", KEY)]);
    let list = s.get_json("/api/connectors/instances").await;
    let moved = list["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "hc-prod")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(moved["id"], id.as_str(), "{moved}");
    assert_eq!(chain.get(&handle_for(&id, "apiKey")).unwrap().expose(), KEY);
    drop(s);

    // The key never reached the data dir.
    for f in walk(dir.path()) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "the key is in {}",
            f.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
