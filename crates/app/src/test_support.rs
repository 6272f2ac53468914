//! What the app's unit tests share: an app over a fresh SQLite file,
//! commands through the one dispatcher, webhooks taken and processed.

use crate::api::views::{IncidentList, SignalList};
use crate::{dispatch, Accepted, App, Command};

/// An app over a fresh data folder (kept while the `TempDir` lives).
pub(crate) async fn app() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    (dir, app)
}

/// The app over `dir`, its default Alertmanager receiver taking unsigned
/// deliveries (said explicitly, as a user would): these tests are about
/// what happens to a payload, not about who may send one, and run without
/// a keychain.
pub(crate) fn open(dir: &std::path::Path) -> App {
    let app = App::open(dir).unwrap();
    app.store()
        .write_blocking(|c| {
            c.execute(
                "UPDATE connector_instances SET config = json_set(config, '$.verify', json('{\"type\":\"none\"}'))
                 WHERE id = 'default-alertmanager'",
                [],
            )?;
            Ok(())
        })
        .unwrap();
    app
}

/// A command's answer, as the UI would decode it.
pub(crate) async fn call<T: serde::de::DeserializeOwned>(app: &App, c: Command) -> T {
    serde_json::from_value(dispatch(app, c).await.unwrap()).unwrap()
}

/// An Alertmanager notification to the `default` project, taken and processed.
pub(crate) async fn post(app: &App, body: impl AsRef<[u8]>) -> Accepted {
    let a = app
        .accept_webhook(
            "alertmanager",
            "default",
            Default::default(),
            body.as_ref().to_vec(),
        )
        .await
        .unwrap();
    app.drain().await;
    a
}

/// One Alertmanager alert on a Pod of `deploy`.
pub(crate) async fn fire(app: &App, fp: &str, deploy: &str, status: &str, starts: &str) {
    let body = format!(
        r#"{{"version":"4","status":"{status}","alerts":[{{"status":"{status}","fingerprint":"{fp}",
        "labels":{{"alertname":"A{fp}","namespace":"shop","pod":"{deploy}-7d9f8b6c5-x2b4k","severity":"critical"}},
        "annotations":{{"summary":"alert {fp}"}},"startsAt":"{starts}","endsAt":"2026-11-20T03:40:00Z"}}]}}"#
    );
    post(app, body).await;
}

/// The id of the incident whose title holds `title`.
pub(crate) async fn incident_of(app: &App, title: &str) -> String {
    let list: IncidentList = call(app, Command::ListIncidents { project: None }).await;
    list.incidents
        .iter()
        .find(|i| i.title.contains(title))
        .unwrap_or_else(|| panic!("no incident titled {title}: {list:?}"))
        .id
        .clone()
}

/// Every signal of the `default` project, newest first.
pub(crate) async fn all_signals(app: &App) -> SignalList {
    let c = Command::ListSignals {
        unassigned: false,
        project: None,
    };
    call(app, c).await
}
