//! Overrides that stick, the ledger, back-testing: through the app's
//! commands, on a real SQLite file.

use crate::api::views::IncidentDetail;
use crate::api::views::LedgerView;
use crate::incidents::overrides::{FeedbackList, OverrideResult};
use crate::test_support::{app, call, fire, incident_of};
use crate::App;
use crate::{dispatch, Command};
use causeway_core::{CorrelationConfig, LedgerAction, LinkStrategy, Severity};

async fn signal_of(app: &App, incident: &str, fp: &str) -> String {
    let d: IncidentDetail = call(
        app,
        Command::GetIncident {
            id: incident.into(),
        },
    )
    .await;
    d.signals
        .iter()
        .find(|s| s.signal.fingerprint == fp)
        .unwrap()
        .signal
        .id
        .clone()
}

#[tokio::test]
async fn a_moved_signal_and_its_later_repeats_stay_where_a_person_put_it() {
    let (_d, app) = app().await;
    fire(&app, "a", "cart", "firing", "2026-11-20T03:00:00Z").await;
    fire(&app, "b", "payment", "firing", "2026-11-20T03:01:00Z").await;
    let cart = incident_of(&app, "alert a").await;
    let pay = incident_of(&app, "alert b").await;
    let b = signal_of(&app, &pay, "b").await;

    let r: OverrideResult = call(
        &app,
        Command::MoveSignal {
            signal_id: b.clone(),
            incident_id: cart.clone(),
        },
    )
    .await;
    assert_eq!(r.incident_id, cart);
    let d: IncidentDetail = call(&app, Command::GetIncident { id: cart.clone() }).await;
    let moved = d.signals.iter().find(|s| s.signal.id == b).unwrap();
    assert_eq!(moved.link.as_ref().unwrap().strategy, LinkStrategy::Manual);

    // The alert is re-sent, then resolves: both follow the person's decision.
    fire(&app, "b", "payment", "firing", "2026-11-20T03:01:00Z").await;
    fire(&app, "b", "payment", "resolved", "2026-11-20T03:01:00Z").await;
    let d: IncidentDetail = call(&app, Command::GetIncident { id: cart.clone() }).await;
    assert!(d.signals.iter().any(|s| s.signal.id == b));
    let d: IncidentDetail = call(&app, Command::GetIncident { id: pay.clone() }).await;
    assert!(d.signals.is_empty(), "nothing went back: {:?}", d.signals);

    // The ledgers say who did what; the feedback is kept.
    let l: LedgerView = call(&app, Command::GetLedger { id: cart.clone() }).await;
    let moved_in = l
        .entries
        .iter()
        .find(|e| e.action == LedgerAction::MovedIn)
        .unwrap();
    assert_eq!(moved_in.actor, "person");
    assert!(l.entries.iter().any(|e| e.action == LedgerAction::Opened));
    let l: LedgerView = call(&app, Command::GetLedger { id: pay.clone() }).await;
    assert!(l.entries.iter().any(|e| e.action == LedgerAction::MovedOut));
    let f: FeedbackList = call(&app, Command::ListFeedback).await;
    assert_eq!(f.feedback.len(), 1);

    // Moving into an incident that does not exist is refused, clearly.
    let e = dispatch(
        &app,
        Command::MoveSignal {
            signal_id: b,
            incident_id: "inc-nope".into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, crate::Code::NotFound);
}

#[tokio::test]
async fn merged_incidents_stay_merged_and_a_split_is_not_undone() {
    let (_d, app) = app().await;
    fire(&app, "a", "cart", "firing", "2026-11-20T03:00:00Z").await;
    fire(&app, "b", "payment", "firing", "2026-11-20T03:01:00Z").await;
    let cart = incident_of(&app, "alert a").await;
    let pay = incident_of(&app, "alert b").await;
    let _: OverrideResult = call(
        &app,
        Command::MergeIncidents {
            from: pay.clone(),
            into: cart.clone(),
        },
    )
    .await;
    // A later alert on payment's workload joins where its incident went.
    fire(&app, "c", "payment", "firing", "2026-11-20T03:03:00Z").await;
    let d: IncidentDetail = call(&app, Command::GetIncident { id: cart.clone() }).await;
    assert_eq!(d.signals.len(), 3, "{:?}", d.signals);
    let l: LedgerView = call(&app, Command::GetLedger { id: cart.clone() }).await;
    assert!(l.entries.iter().any(|e| e.action == LedgerAction::Merged));

    // Split payment's alerts off again: they and their repeats stay apart.
    let b = signal_of(&app, &cart, "b").await;
    let c = signal_of(&app, &cart, "c").await;
    let r: OverrideResult = call(
        &app,
        Command::SplitIncident {
            id: cart.clone(),
            signal_ids: vec![b.clone(), c.clone()],
        },
    )
    .await;
    let split = r.incident_id;
    assert_ne!(split, cart);
    fire(&app, "c", "payment", "firing", "2026-11-20T03:03:00Z").await;
    fire(&app, "d", "payment", "firing", "2026-11-20T03:04:00Z").await;
    let d: IncidentDetail = call(&app, Command::GetIncident { id: split.clone() }).await;
    let fps: Vec<&str> = d
        .signals
        .iter()
        .map(|s| s.signal.fingerprint.as_str())
        .collect();
    assert_eq!(fps.len(), 3, "{fps:?}");
    let d: IncidentDetail = call(&app, Command::GetIncident { id: cart.clone() }).await;
    assert_eq!(d.signals.len(), 1, "only cart's own alert is left");
}

#[tokio::test]
async fn an_auto_incident_rule_fills_title_assignee_and_runbook() {
    let (_d, app) = app().await;
    let mut config = CorrelationConfig::default();
    config.rules.push(causeway_core::IncidentRule {
        name: "cart team".into(),
        when: causeway_core::RuleMatch {
            sources: vec!["alertmanager".into()],
            min_severity: Some(Severity::High),
            tags: [("pod".to_string(), "cart-*".to_string())].into(),
            ..Default::default()
        },
        open: true,
        title: Some("{{tags.alertname}} on {{service}} ({{namespace}})".into()),
        severity: Some(Severity::Critical),
        assignee: Some("cart-oncall".into()),
        team: Some("cart".into()),
        runbook: Some("https://runbooks.example.com/{{tags.alertname}}".into()),
    });
    let _: CorrelationConfig = call(
        &app,
        Command::ApplyCorrelationSettings {
            config,
            project: None,
        },
    )
    .await;
    fire(&app, "a", "cart", "firing", "2026-11-20T03:00:00Z").await;
    let id = incident_of(&app, "Aa on cart (shop)").await;
    let l: LedgerView = call(&app, Command::GetLedger { id: id.clone() }).await;
    assert!(
        l.entries[0].text.contains("rule 'cart team'"),
        "{:?}",
        l.entries[0]
    );
    let a = app
        .store()
        .read(move |c| causeway_store::assignments::get(c, &id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.assignee.as_deref(), Some("cart-oncall"));
    assert_eq!(
        a.runbook.as_deref(),
        Some("https://runbooks.example.com/Aa")
    );
}
