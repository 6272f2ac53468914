//! "Went quiet" is a signal of its own: a source that sent a signal every
//! ten minutes and then nothing for two hours raises one, and it resolves
//! when the source talks again. Real SQLite, the real pipeline.

use causeway_app::{dispatch, App, Command};
use causeway_store::{inbox, ts};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

fn alert(n: usize, at: chrono::DateTime<Utc>) -> Vec<u8> {
    json!({"version": "4", "status": "firing", "alerts": [{
        "status": "firing", "labels": {"alertname": format!("Heartbeat{n}"), "severity": "info"},
        "annotations": {"summary": format!("heartbeat {n}")}, "startsAt": ts(at)}]})
    .to_string()
    .into_bytes()
}

async fn health_signals(app: &App) -> Vec<Value> {
    app.drain().await;
    let v = dispatch(
        app,
        Command::ListSignals {
            unassigned: false,
            project: None,
        },
    )
    .await
    .unwrap();
    v["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["sourceType"] == "CAUSEWAY_HEALTH")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_source_that_stops_talking_raises_a_quiet_signal_that_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).unwrap();
    // Unsigned deliveries, said explicitly: this is about going quiet.
    app.update_instance(
        "default-alertmanager".into(),
        causeway_app::api::requests::InstanceUpdate {
            config: Some(serde_json::json!({"verify": {"type": "none"}})),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Eight signals ten minutes apart, the last two hours ago.
    let last = Utc::now() - Duration::hours(2);
    for n in 0..8 {
        let at = last - Duration::minutes(10 * (7 - n as i64));
        let body = alert(n, at);
        app.store()
            .write(move |c| {
                inbox::insert(
                    c,
                    "default-alertmanager",
                    "alertmanager",
                    "default",
                    &ts(at),
                    "{}",
                    &body,
                )?;
                Ok(())
            })
            .await
            .unwrap();
    }
    assert!(health_signals(&app).await.is_empty());
    app.check_quiet().await;
    let quiet = health_signals(&app).await;
    assert_eq!(quiet.len(), 1, "{quiet:?}");
    assert_eq!(quiet[0]["status"], "firing");
    assert_eq!(quiet[0]["title"], "Connector Alertmanager went quiet");
    assert!(quiet[0]["description"]
        .as_str()
        .unwrap()
        .contains("every 10 min"));
    let v = app
        .get_instance("default-alertmanager".into())
        .await
        .unwrap();
    assert_eq!(v.health.state, "quiet");
    // Checking again raises nothing new.
    app.check_quiet().await;
    assert_eq!(health_signals(&app).await.len(), 1);

    // It talks again: the same signal resolves, the instance is healthy.
    app.accept_webhook(
        "alertmanager",
        "default",
        Default::default(),
        alert(99, Utc::now()),
    )
    .await
    .unwrap();
    app.drain().await;
    app.check_quiet().await;
    let after = health_signals(&app).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["id"], quiet[0]["id"]);
    assert_eq!(after[0]["status"], "resolved");
    assert_eq!(
        app.get_instance("default-alertmanager".into())
            .await
            .unwrap()
            .health
            .state,
        "healthy"
    );
}
