//! E-mail alerts end to end: a real Dovecot (Debian's package) on a
//! loopback port, an app over a temp SQLite file and the real keychain, and
//! an `imap` instance set up as a person would. A Nagios PROBLEM mail
//! delivered to the mailbox becomes a firing signal, its RECOVERY resolves
//! it, both are flagged seen once stored, and a mail that is no alert is
//! kept in dead letters.

use causeway_app::App;
use causeway_core::SignalStatus;
use causeway_testkit::dovecot::Dovecot;
use serde_json::json;
use std::time::{Duration, Instant};
use support::{add, started_app, wait};

#[path = "support/instances.rs"]
mod support;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mail");

async fn nagios_signals(app: &App) -> Vec<causeway_core::Signal> {
    app.drain().await;
    let v = causeway_app::dispatch(
        app,
        causeway_app::Command::ListSignals {
            unassigned: false,
            project: None,
        },
    )
    .await
    .unwrap();
    let list: causeway_app::api::views::SignalList = serde_json::from_value(v).unwrap();
    list.signals
        .into_iter()
        .map(|s| s.signal)
        .filter(|s| s.source_type == "NAGIOS")
        .collect()
}

async fn until(what: &str, d: &Dovecot, mut f: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f().await {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; dovecot log:\n{}",
            d.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_mail_becomes_a_signal_and_its_recovery_resolves_it() {
    let d = Dovecot::start();
    let (_dir, app) = started_app("imap").await;
    let mail = |name: &str| std::fs::read(format!("{FIXTURES}/{name}")).unwrap();
    let problem = d.deliver(&mail("nagios-service-problem.eml"));
    let config = json!({"host": "127.0.0.1", "port": d.port, "security": "plain",
        "username": d.user, "format": "nagios", "pollSeconds": 5});

    // Refused when saved: a setting that cannot work.
    let bad = app
        .create_instance(causeway_app::api::requests::NewInstance {
            descriptor_id: "imap".into(),
            project_id: "default".into(),
            name: "bad".into(),
            config: json!({"host": "imaps://x", "username": "u"}),
            secrets: Default::default(),
        })
        .await;
    assert!(bad.is_err());

    // The form's Test before saving: the unseen PROBLEM, mapped, and
    // still unseen.
    let t = app
        .test_connection(causeway_app::api::requests::NewInstance {
            descriptor_id: "imap".into(),
            project_id: "default".into(),
            name: "nagios mail".into(),
            config: config.clone(),
            secrets: support::secrets(&[("password", &d.password)]),
        })
        .await
        .unwrap();
    assert!(t.ok, "{}", t.message);
    assert_eq!(t.sample.len(), 1, "{}", t.message);
    assert_eq!(t.sample[0].title, "HTTP on web01 is CRITICAL");
    assert!(!d.seen(&problem), "a test flags nothing");

    let id = add(
        &app,
        "imap",
        "nagios mail",
        config,
        &[("password", &d.password)],
    )
    .await;
    until("the problem as a firing signal", &d, async || {
        nagios_signals(&app)
            .await
            .iter()
            .any(|s| s.status == SignalStatus::Firing)
    })
    .await;
    until("the problem flagged seen", &d, async || d.seen(&problem)).await;
    // The instance's health counts what it took in.
    wait(&app, &id, "the mail counted", |v| {
        v.health.items_published >= Some(1)
    })
    .await;
    let firing = nagios_signals(&app).await.remove(0);
    assert_eq!(firing.title, "HTTP on web01 is CRITICAL");
    assert_eq!(firing.severity, causeway_core::Severity::Critical);

    let recovery = d.deliver(&mail("nagios-service-recovery.eml"));
    until("the signal resolved", &d, async || {
        nagios_signals(&app)
            .await
            .iter()
            .filter(|s| s.fingerprint == firing.fingerprint)
            .all(|s| s.status == SignalStatus::Resolved)
    })
    .await;
    until("the recovery flagged seen", &d, async || d.seen(&recovery)).await;

    // A mail that is no alert is stored all the same, in dead letters.
    let junk = d.deliver(&mail("not-an-alert.eml"));
    until("the junk flagged seen", &d, async || d.seen(&junk)).await;
    until("the junk in dead letters", &d, async || {
        app.drain().await;
        causeway_app::dispatch(
            &app,
            causeway_app::Command::ListDeadLetters { project: None },
        )
        .await
        .unwrap()
        .to_string()
        .contains("monthly invoice")
    })
    .await;
}
