//! The pipeline over a real SQLite file: webhook bodies in, incidents out.

use crate::api::views::{IncidentDetail, IncidentList, SignalList};
use crate::test_support::{app, call, post};
use crate::*;
use causeway_core::{IncidentStatus, LinkStrategy, SignalStatus};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/webhooks/alertmanager"
);

fn am(alerts: &str) -> Vec<u8> {
    format!(r#"{{"version":"4","status":"firing","alerts":[{alerts}]}}"#).into_bytes()
}

fn alert(fp: &str, pod: &str, sev: &str, status: &str, starts: &str) -> String {
    format!(
        r#"{{"status":"{status}","fingerprint":"{fp}","labels":{{"alertname":"A{fp}","namespace":"shop","pod":"{pod}","severity":"{sev}"}},
           "annotations":{{"summary":"alert {fp}"}},"startsAt":"{starts}","endsAt":"2026-11-20T03:30:00Z"}}"#
    )
}

#[tokio::test]
async fn every_fixture_is_accepted_and_shows_up() {
    let (_d, app) = app().await;
    let mut total = 0;
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let body = std::fs::read(entry.unwrap().path()).unwrap();
        let n: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let a = post(&app, &body).await;
        assert_eq!(a.accepted, n["alerts"].as_array().unwrap().len());
        total += a.accepted;
    }
    let all: SignalList = crate::test_support::all_signals(&app).await;
    // The bot's firing and resolved notifications are one alert: one signal.
    assert_eq!(all.signals.len(), total - 1);
    let fire = all
        .signals
        .iter()
        .find(|s| s.signal.title == "Fire")
        .unwrap();
    assert_eq!(fire.signal.status, SignalStatus::Resolved);
    assert_eq!(fire.notifications, 2);
    let list: IncidentList = call(&app, Command::ListIncidents { project: None }).await;
    assert!(!list.incidents.is_empty());
    // The info-level msteams alerts and the lone `high_memory_load` warning
    // match nothing and wait unassigned (a warning does not page), with a reason.
    let un: SignalList = call(
        &app,
        Command::ListSignals {
            unassigned: true,
            project: None,
        },
    )
    .await;
    assert_eq!(un.signals.len(), 4);
    assert!(un
        .signals
        .iter()
        .all(|s| s.unassigned_reason.as_deref().unwrap().contains("below")));
    assert_eq!(
        app.metrics().get(
            crate::telemetry::Counter::EventsReceived,
            "connector=\"alertmanager\""
        ),
        7
    );
}

#[tokio::test]
async fn one_deployment_storm_becomes_one_incident_with_reasons() {
    let (_d, app) = app().await;
    post(
        &app,
        &am(&alert(
            "f1",
            "cart-7d9f8b6c5-x2b4k",
            "warning",
            "firing",
            "2026-11-20T03:00:00Z",
        )),
    )
    .await;
    post(
        &app,
        &am(&alert(
            "f2",
            "cart-7d9f8b6c5-q9zz2",
            "critical",
            "firing",
            "2026-11-20T03:02:00Z",
        )),
    )
    .await;
    post(
        &app,
        &am(&alert(
            "f1",
            "cart-7d9f8b6c5-x2b4k",
            "warning",
            "firing",
            "2026-11-20T03:00:00Z",
        )),
    )
    .await;
    let list: IncidentList = call(&app, Command::ListIncidents { project: None }).await;
    assert_eq!(list.incidents.len(), 1);
    let inc = &list.incidents[0];
    assert_eq!((inc.signal_count, inc.status), (2, IncidentStatus::Active));
    assert_eq!(inc.severity, causeway_core::Severity::Critical);
    let d: IncidentDetail = call(&app, Command::GetIncident { id: inc.id.clone() }).await;
    // The warning waited unassigned; the critical alert opened the incident
    // and adopted it, saying so.
    let link_of = |fp: &str| {
        d.signals
            .iter()
            .find(|s| s.signal.fingerprint == fp)
            .and_then(|s| s.link.clone())
            .unwrap()
    };
    assert_eq!(link_of("f2").strategy, LinkStrategy::Rule);
    let adopted = link_of("f1");
    assert_eq!(adopted.strategy, LinkStrategy::Resource);
    assert!(
        adopted
            .explanation
            .contains("waited unassigned; same place (Deployment shop/cart)"),
        "{}",
        adopted.explanation
    );
    let un: SignalList = call(
        &app,
        Command::ListSignals {
            unassigned: true,
            project: None,
        },
    )
    .await;
    assert!(
        un.signals.is_empty(),
        "adopted signals are no longer unassigned"
    );
    let root = d.summary.root_cause.unwrap();
    assert_eq!(root.entity.to_string(), "deployment/shop/cart");
    assert!(root
        .explanation
        .starts_with("all 2 alerting entities belong to Deployment shop/cart"));
    assert!(
        d.impacted.is_empty(),
        "the pods are the deployment's own: {:?}",
        d.impacted
    );
    assert!(d
        .graph
        .nodes
        .iter()
        .any(|n| n.id.to_string() == "deployment/shop/cart" && n.inferred));
    assert_eq!(
        d.insight.unwrap(),
        "Root cause: Deployment shop/cart — alert f1"
    );
    assert!(d
        .graph
        .nodes
        .iter()
        .any(|n| n.root && n.id.to_string() == "deployment/shop/cart"));
    // The warning fired first; the critical alert opened the incident.
    assert_eq!(d.timeline[0].kind, "fired");
    assert!(d.timeline.iter().any(|t| t.kind == "opened"));

    // Resolving both resolves the incident once it stays quiet.
    post(
        &app,
        &am(&[
            alert(
                "f1",
                "cart-7d9f8b6c5-x2b4k",
                "warning",
                "resolved",
                "2026-11-20T03:00:00Z",
            ),
            alert(
                "f2",
                "cart-7d9f8b6c5-q9zz2",
                "critical",
                "resolved",
                "2026-11-20T03:02:00Z",
            ),
        ]
        .join(",")),
    )
    .await;
    let list: IncidentList = call(&app, Command::ListIncidents { project: None }).await;
    assert_eq!(
        list.incidents[0].status,
        IncidentStatus::Active,
        "quiet period"
    );
    let later = chrono::Utc::now() + chrono::Duration::minutes(6);
    assert_eq!(
        app.advance_engine(later).await.unwrap(),
        vec![list.incidents[0].id.clone()]
    );
    let list: IncidentList = call(&app, Command::ListIncidents { project: None }).await;
    assert_eq!(list.incidents[0].status, IncidentStatus::Resolved);
    assert_eq!(list.incidents[0].signal_count, 2);
}

#[tokio::test]
async fn not_json_is_refused_and_its_exact_bytes_kept_and_replayable() {
    let (_d, app) = app().await;
    let bytes = b"\x00\xffnot json {".to_vec();
    let err = app
        .accept_webhook("alertmanager", "default", Default::default(), bytes.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, WebhookRejection::NotJson { .. }), "{err:?}");
    let dl: api::views::DeadLetterList =
        call(&app, Command::ListDeadLetters { project: None }).await;
    assert_eq!(dl.dead_letters.len(), 1);
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&dl.dead_letters[0].raw_base64)
        .unwrap();
    assert_eq!(raw, bytes);
    assert!(dl.dead_letters[0].error.contains("not JSON"));

    // JSON of the wrong shape is accepted, then dead-lettered by the processor.
    post(&app, br#"{"hello":"world"}"#).await;
    let dl: api::views::DeadLetterList =
        call(&app, Command::ListDeadLetters { project: None }).await;
    assert_eq!(dl.dead_letters.len(), 2);
    assert!(dl.dead_letters[0].error.contains("no 'alerts' array"));
    // Re-play puts it back through the pipeline (it fails again the same way).
    let r: api::views::Replayed = call(
        &app,
        Command::ReplayDeadLetter {
            id: dl.dead_letters[0].id,
        },
    )
    .await;
    assert!(r.inbox_id > 0);
    app.drain().await;
    let dl2: api::views::DeadLetterList =
        call(&app, Command::ListDeadLetters { project: None }).await;
    assert_eq!(
        dl2.dead_letters.len(),
        2,
        "the re-played one failed again and is back"
    );
    assert_ne!(dl2.dead_letters[0].id, dl.dead_letters[0].id);

    let unknown = app
        .accept_webhook("nope", "default", Default::default(), b"{}".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(unknown, WebhookRejection::NoInstance { .. }));
    let e = dispatch(&app, Command::GetIncident { id: "inc-x".into() })
        .await
        .unwrap_err();
    assert_eq!(e.code, crate::Code::NotFound);
}

#[tokio::test]
async fn state_survives_a_restart_and_pending_rows_are_processed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let app = crate::test_support::open(dir.path());
        post(
            &app,
            &am(&alert(
                "f1",
                "cart-7d9f8b6c5-x2b4k",
                "critical",
                "firing",
                "2026-11-20T03:00:00Z",
            )),
        )
        .await;
        // Accepted but never processed: as if killed right after the 202.
        app.accept_webhook(
            "alertmanager",
            "default",
            Default::default(),
            am(&alert(
                "f2",
                "cart-7d9f8b6c5-q9zz2",
                "critical",
                "firing",
                "2026-11-20T03:01:00Z",
            )),
        )
        .await
        .unwrap();
    }
    let app = crate::test_support::open(dir.path());
    app.drain().await;
    let list: IncidentList = call(&app, Command::ListIncidents { project: None }).await;
    assert_eq!(
        list.incidents.len(),
        1,
        "the restored engine still groups by deployment"
    );
    assert_eq!(list.incidents[0].signal_count, 2);
    // A person's status sticks.
    let s: api::views::IncidentSummary = call(
        &app,
        Command::SetIncidentStatus {
            id: list.incidents[0].id.clone(),
            status: IncidentStatus::Acknowledged,
        },
    )
    .await;
    assert_eq!(s.status, IncidentStatus::Acknowledged);
    // ...and is in the incident's ledger, as a person's decision.
    let ledger: crate::api::views::LedgerView = call(
        &app,
        Command::GetLedger {
            id: list.incidents[0].id.clone(),
        },
    )
    .await;
    let last = ledger.entries.last().expect("the ledger has entries");
    assert_eq!(last.action, causeway_core::LedgerAction::StatusSet);
    assert_eq!(last.actor, "person");
}

#[tokio::test]
async fn the_demo_shows_a_correlated_incident_once() {
    let (_d, app) = app().await;
    assert!(app.load_demo_if_empty().await.unwrap());
    app.drain().await;
    assert!(
        !app.load_demo_if_empty().await.unwrap(),
        "never loads twice"
    );
    let list: IncidentList = call(&app, Command::ListIncidents { project: None }).await;
    let redis = list
        .incidents
        .iter()
        .find(|i| i.title.contains("redis-cart"))
        .expect("the redis-cart incident");
    assert!(redis.signal_count >= 4, "{redis:?}");
    assert_eq!(redis.severity, causeway_core::Severity::Critical);
    let d: IncidentDetail = call(
        &app,
        Command::GetIncident {
            id: redis.id.clone(),
        },
    )
    .await;
    assert!(d.signals.iter().all(|s| s.link.is_some()));
    assert!(
        d.signals
            .iter()
            .filter(|s| s.link.as_ref().unwrap().strategy == LinkStrategy::Resource)
            .count()
            >= 3
    );
}

#[test]
fn replay_follows_the_contract_and_is_byte_identical() {
    let events = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/replay/mixed.ndjson"
    ))
    .unwrap();
    let a = history::replay::to_json(&history::replay::replay(&events, Default::default(), None));
    let b = history::replay::to_json(&history::replay::replay(&events, Default::default(), None));
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    let mut refs: Vec<String> = v["unassigned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    for inc in v["incidents"].as_array().unwrap() {
        refs.extend(
            inc["signals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string()),
        );
    }
    let n = refs.len();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), n, "every ref exactly once");
    assert_eq!(n as u64, v["stats"]["signals"].as_u64().unwrap());
    let rejected = v["rejected"].as_array().unwrap();
    // Every built-in source normalizes; only a source that does not exist is refused.
    assert!(rejected.iter().any(|r| r["error"]
        .as_str()
        .unwrap()
        .contains("no normalizer for source 'nosuch'")));
    let lines: Vec<&str> = events.lines().filter(|l| !l.trim().is_empty()).collect();
    for source in [
        "grafana",
        "pagerduty",
        "github",
        "kubernetes-events",
        "datadog",
    ] {
        let n = lines
            .iter()
            .position(|l| l.contains(&format!("\"source\":\"{source}\"")))
            .unwrap();
        assert!(
            refs.iter().any(|r| r == &format!("{n}:0")),
            "{source} (line {n}) yields a signal: {rejected:?}"
        );
        assert!(
            !rejected.iter().any(|r| r["line"] == n),
            "{source} rejected"
        );
    }
    assert!(rejected
        .iter()
        .any(|r| r["error"].as_str().unwrap().contains("not JSON")));
    // Lines that yield signals are never rejected.
    for r in rejected {
        let line = r["line"].as_u64().unwrap();
        assert!(!refs.iter().any(|x| x.starts_with(&format!("{line}:"))));
    }
}
