//! Projects kept apart: a second project with its own Alertmanager receiver,
//! incidents that never show in (or join) `default`'s, and a deletion that
//! takes its data and keychain secrets. A real SQLite file and the real
//! Secret Service (a private gnome-keyring).

use causeway_app::api::views::{DeadLetterList, IncidentList, SignalList};
use causeway_app::connectors::instances::InstanceList;
use causeway_app::projects::{ProjectCreated, ProjectDetail, ProjectList, ProjectView};
use causeway_app::{dispatch, App, Code, Command, WebhookRejection};
use causeway_connectors::secrets::{handle_for, SecretError};
use causeway_testkit::keyring as test_keyring;
use std::collections::BTreeMap;

async fn call<T: serde::de::DeserializeOwned>(app: &App, c: Command) -> T {
    serde_json::from_value(dispatch(app, c).await.unwrap()).unwrap()
}

async fn refused(app: &App, c: Command) -> (Code, String) {
    let e = dispatch(app, c).await.unwrap_err();
    (e.code, e.message)
}

/// The same crash-looping Pod, as each project's Prometheus sees it.
fn crash(fp: &str, starts: &str) -> Vec<u8> {
    format!(
        r#"{{"version":"4","status":"firing","alerts":[{{"status":"firing","fingerprint":"{fp}",
        "labels":{{"alertname":"KubePodCrashLooping","namespace":"shop","pod":"cart-7d9f8b6c5-x2b4k","severity":"critical"}},
        "annotations":{{"summary":"cart is crash looping"}},"startsAt":"{starts}"}}]}}"#
    )
    .into_bytes()
}

fn bearer(secret: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("authorization".to_string(), format!("Bearer {secret}"))])
}

async fn incidents(app: &App, project: &str) -> IncidentList {
    let project = Some(project.to_string());
    call(app, Command::ListIncidents { project }).await
}

#[tokio::test]
async fn a_second_project_has_its_own_receiver_incidents_and_deletion() {
    test_keyring::ensure();
    let service = format!("causeway-projects-test-{}", std::process::id());
    std::env::set_var("CAUSEWAY_KEYCHAIN_SERVICE", &service);
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).unwrap();
    let default_secret = app.ensure_default_receiver_secret().await.unwrap().unwrap();

    // Created, with a receiver of its own and its secret shown once.
    let made: ProjectCreated = call(
        &app,
        Command::CreateProject {
            id: "staging".into(),
            name: "Staging".into(),
        },
    )
    .await;
    assert_eq!(made.receiver.instance_id, "staging-alertmanager");
    assert_eq!(made.receiver.secret.len(), 64);
    assert_ne!(made.receiver.secret, default_secret.secret);
    let list: ProjectList = call(&app, Command::ListProjects).await;
    let ids: Vec<&str> = list.projects.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["default", "staging"]);

    // Ids are slugs and unique; `default` stays.
    let again = Command::CreateProject {
        id: "staging".into(),
        name: "Other".into(),
    };
    assert_eq!(refused(&app, again).await.0, Code::Conflict);
    for bad in ["", "Staging", "a b", "-x", "x-", "../etc", &"x".repeat(41)] {
        let c = Command::CreateProject {
            id: bad.into(),
            name: "n".into(),
        };
        assert_eq!(refused(&app, c).await.0, Code::BadRequest, "{bad:?}");
    }
    let d = Command::DeleteProject {
        id: "default".into(),
    };
    assert_eq!(refused(&app, d).await.0, Code::Conflict);
    let r: ProjectView = call(
        &app,
        Command::RenameProject {
            id: "staging".into(),
            name: "  Pre-production ".into(),
        },
    )
    .await;
    assert_eq!(r.name, "Pre-production");

    // Each receiver takes its own secret only.
    let staging_body = crash("aaa", "2026-12-07T03:00:00Z");
    let wrong = app
        .accept_webhook(
            "alertmanager",
            "staging",
            bearer(&default_secret.secret),
            staging_body.clone(),
        )
        .await;
    assert!(
        matches!(wrong, Err(WebhookRejection::Unauthorized(_))),
        "{wrong:?}"
    );
    app.accept_webhook(
        "alertmanager",
        "staging",
        bearer(&made.receiver.secret),
        staging_body,
    )
    .await
    .unwrap();
    // The same Pod failing in production a minute later: in one project it
    // would join; here it is production's own incident.
    app.accept_webhook(
        "alertmanager",
        "default",
        bearer(&default_secret.secret),
        crash("bbb", "2026-12-07T03:01:00Z"),
    )
    .await
    .unwrap();
    app.drain().await;

    let staging = incidents(&app, "staging").await.incidents;
    let prod = incidents(&app, "default").await.incidents;
    assert_eq!((staging.len(), prod.len()), (1, 1), "{staging:?} {prod:?}");
    assert_ne!(staging[0].id, prod[0].id);
    assert_eq!(staging[0].signal_count, 1);
    assert_eq!(prod[0].signal_count, 1);
    let none: IncidentList = call(&app, Command::ListIncidents { project: None }).await;
    assert_eq!(none.incidents, prod, "no project named is `default`");
    let signals: SignalList = call(
        &app,
        Command::ListSignals {
            unassigned: false,
            project: Some("staging".into()),
        },
    )
    .await;
    assert_eq!(signals.signals.len(), 1);
    assert_eq!(signals.signals[0].signal.project, "staging");
    let unknown = Command::ListIncidents {
        project: Some("nope".into()),
    };
    assert_eq!(
        refused(&app, unknown).await,
        (Code::NotFound, "no project 'nope'".to_string())
    );
    let theirs: InstanceList = call(
        &app,
        Command::ListInstances {
            project: Some("staging".into()),
        },
    )
    .await;
    let ids: Vec<&str> = theirs.instances.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["staging-alertmanager"]);

    // Its own correlation settings: applied to staging, back-tested over
    // staging's history only, and default's stay as they were.
    let strict = causeway_core::CorrelationConfig {
        group_window_secs: 60,
        ..Default::default()
    };
    let staging_id = Some("staging".to_string());
    let report: serde_json::Value = call(
        &app,
        Command::Backtest {
            config: strict.clone(),
            project: staging_id.clone(),
        },
    )
    .await;
    assert_eq!(report["signals"], 1, "staging's history only: {report}");
    let applied: causeway_core::CorrelationConfig = call(
        &app,
        Command::ApplyCorrelationSettings {
            config: strict.clone(),
            project: staging_id.clone(),
        },
    )
    .await;
    assert_eq!(applied, strict);
    let get = |project: Option<String>| Command::GetCorrelationSettings { project };
    let theirs: causeway_core::CorrelationConfig = call(&app, get(staging_id.clone())).await;
    let ours: causeway_core::CorrelationConfig = call(&app, get(None)).await;
    assert_eq!(theirs, strict);
    assert_eq!(ours, causeway_core::CorrelationConfig::default());

    // A dead letter of its own.
    app.accept_webhook(
        "alertmanager",
        "staging",
        bearer(&made.receiver.secret),
        b"{\"alerts\": 3}".to_vec(),
    )
    .await
    .unwrap();
    app.drain().await;
    let dead: DeadLetterList = call(
        &app,
        Command::ListDeadLetters {
            project: Some("staging".into()),
        },
    )
    .await;
    assert_eq!(dead.dead_letters.len(), 1);
    let dead: DeadLetterList = call(&app, Command::ListDeadLetters { project: None }).await;
    assert!(dead.dead_letters.is_empty());

    // What deleting it takes, then the deletion.
    let what: ProjectDetail = call(
        &app,
        Command::GetProject {
            id: "staging".into(),
        },
    )
    .await;
    assert_eq!(
        (
            what.connectors,
            what.incidents,
            what.signals,
            what.dead_letters
        ),
        (1, 1, 1, 1)
    );
    let gone: ProjectDetail = call(
        &app,
        Command::DeleteProject {
            id: "staging".into(),
        },
    )
    .await;
    assert_eq!(gone, what);
    let h = handle_for("staging-alertmanager", "webhookSecret");
    assert!(
        matches!(app.keychain().get(&h), Err(SecretError::NotFound { .. })),
        "its keychain secret goes with it"
    );
    let late = app
        .accept_webhook(
            "alertmanager",
            "staging",
            bearer(&made.receiver.secret),
            crash("ccc", "2026-12-07T03:02:00Z"),
        )
        .await;
    assert!(
        matches!(late, Err(WebhookRejection::NoInstance { .. })),
        "{late:?}"
    );
    let list: ProjectList = call(&app, Command::ListProjects).await;
    assert_eq!(list.projects.len(), 1);
    assert_eq!(incidents(&app, "default").await.incidents, prod);

    // A project made again under the same id starts empty, also after a
    // restart (the engine's saved state forgot the old one).
    drop(app);
    let app = App::open(dir.path()).unwrap();
    let again: ProjectCreated = call(
        &app,
        Command::CreateProject {
            id: "staging".into(),
            name: "Staging".into(),
        },
    )
    .await;
    assert!(incidents(&app, "staging").await.incidents.is_empty());
    app.accept_webhook(
        "alertmanager",
        "staging",
        bearer(&again.receiver.secret),
        crash("aaa", "2026-12-07T03:00:00Z"),
    )
    .await
    .unwrap();
    app.drain().await;
    let fresh = incidents(&app, "staging").await.incidents;
    assert_eq!(fresh.len(), 1);
    assert_eq!(fresh[0].signal_count, 1);
    assert_eq!(incidents(&app, "default").await.incidents, prod);
}
