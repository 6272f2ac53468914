//! Time-scripted scenarios for the engine's stages.

use super::*;
use crate::signal::SignalStatus;
use chrono::TimeZone;

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

fn sig(fp: &str, entity: Option<&str>, sev: Severity, status: SignalStatus, min: i64) -> Signal {
    let title = format!("alert {fp}");
    let mut s = crate::signal::test_alert(format!("sig-{fp}-{min}"), fp, entity, &title, t(min));
    s.severity = sev;
    s.status = status;
    s.ended_at = (status == SignalStatus::Resolved).then(|| t(min));
    s
}

fn attach(d: Decision) -> (CorrelationLink, bool, IncidentBrief) {
    match d {
        Decision::Attach {
            link,
            opened,
            incident,
        } => (link, opened, *incident),
        Decision::Unassigned { reason } => panic!("expected attach, got unassigned: {reason}"),
    }
}

use SignalStatus::{Firing, Resolved};

#[test]
fn pods_of_one_deployment_group_within_the_window() {
    let mut e = Engine::default();
    let a = e.observe(&sig(
        "a",
        Some("pod/shop/cart-7d9f8b6c5-x2b4k"),
        Severity::High,
        Firing,
        0,
    ));
    let (l, opened, inc) = attach(a);
    assert!(opened);
    assert_eq!(l.strategy, LinkStrategy::Rule);
    assert_eq!(inc.status, IncidentStatus::Building);
    let id = inc.id.clone();

    let b = e.observe(&sig(
        "b",
        Some("deployment/shop/cart"),
        Severity::Critical,
        Firing,
        3,
    ));
    let (l, opened, inc) = attach(b);
    assert!(!opened);
    assert_eq!(inc.id, id);
    assert_eq!(l.strategy, LinkStrategy::Resource);
    assert_eq!(
        l.explanation,
        "same Deployment shop/cart, 3 min after its last alert there"
    );
    // Joining raises severity and confirms the incident.
    assert_eq!(inc.severity, Severity::Critical);
    assert_eq!(inc.status, IncidentStatus::Active);

    let c = e.observe(&sig(
        "c",
        Some("pod/shop/cart-7d9f8b6c5-q9zz2"),
        Severity::Medium,
        Firing,
        10,
    ));
    let (l, _, _) = attach(c);
    assert_eq!(
        l.explanation,
        "same Deployment shop/cart via Pod cart-7d9f8b6c5-q9zz2, 7 min after its last alert there"
    );
}

#[test]
fn outside_the_window_or_other_workload_opens_a_new_incident() {
    let mut e = Engine::default();
    let first = attach(e.observe(&sig(
        "a",
        Some("deployment/shop/cart"),
        Severity::High,
        Firing,
        0,
    )))
    .2
    .id
    .clone();
    let late = e.observe(&sig(
        "b",
        Some("deployment/shop/cart"),
        Severity::High,
        Firing,
        31,
    ));
    let (_, opened, inc) = attach(late);
    assert!(
        opened,
        "31 min after the last signal is past the 30 min window"
    );
    assert_ne!(inc.id, first);
    let other = e.observe(&sig(
        "c",
        Some("deployment/shop/payment"),
        Severity::High,
        Firing,
        32,
    ));
    assert!(attach(other).1);
}

#[test]
fn repeats_and_resolves_follow_the_first_firing_and_resolve_after_a_quiet_period() {
    let mut e = Engine::default();
    let id = attach(e.observe(&sig("a", Some("node/n1"), Severity::High, Firing, 0)))
        .2
        .id
        .clone();
    attach(e.observe(&sig("b", Some("node/n1"), Severity::High, Firing, 1)));
    let rep = e.observe(&sig("a", Some("node/n1"), Severity::High, Firing, 0));
    let (l, _, inc) = attach(rep);
    assert_eq!(
        (l.strategy, inc.id.as_str()),
        (LinkStrategy::Key, id.as_str())
    );

    let (_, _, inc) = attach(e.observe(&sig("a", Some("node/n1"), Severity::High, Resolved, 5)));
    assert_eq!(inc.status, IncidentStatus::Active, "b still fires");
    let (_, _, inc) = attach(e.observe(&sig("b", Some("node/n1"), Severity::High, Resolved, 6)));
    assert_eq!(
        inc.status,
        IncidentStatus::Active,
        "all resolved, but the quiet period has not passed"
    );
    // Time passes (any later signal carries it): quiet for 5 min, resolved.
    let changed = e.advance(t(11));
    assert_eq!(changed, vec![id.clone()]);
    let inc = e.incident(&id).unwrap();
    assert_eq!(inc.status, IncidentStatus::Resolved);
    assert_eq!(inc.resolved_at, Some(t(6)));
    assert!(e
        .effects()
        .ledger
        .iter()
        .any(|l| l.action == LedgerAction::Resolved && l.incident_id == id));

    // A resolved incident never absorbs an unrelated later signal on the same node...
    let (_, opened, _) = attach(e.observe(&sig("z", Some("node/n1"), Severity::High, Firing, 12)));
    assert!(opened);
    // ...nor the resolve of an episode it never saw, which waits: the end
    // of an alert never starts anything...
    let mut stale = sig("a", Some("node/n1"), Severity::High, Resolved, 12);
    stale.id = "sig-a-elsewhere".into();
    stale.occurred_at = t(11);
    assert!(matches!(e.observe(&stale), Decision::Unassigned { .. }));
    // ...but the same alert firing again soon re-opens it.
    let (l, opened, inc) =
        attach(e.observe(&sig("a", Some("node/n1"), Severity::High, Firing, 14)));
    assert!(!opened);
    assert_eq!(inc.id, id);
    assert_eq!(inc.status, IncidentStatus::Active);
    assert!(
        l.explanation.contains("fired again 8 min after"),
        "{}",
        l.explanation
    );
    assert!(e
        .effects()
        .ledger
        .iter()
        .any(|l| l.action == LedgerAction::Reopened));
}

#[test]
fn a_new_firing_during_the_quiet_period_keeps_it_open() {
    let mut e = Engine::default();
    let id = attach(e.observe(&sig(
        "a",
        Some("deployment/x/web"),
        Severity::High,
        Firing,
        0,
    )))
    .2
    .id;
    attach(e.observe(&sig(
        "a",
        Some("deployment/x/web"),
        Severity::High,
        Resolved,
        2,
    )));
    let (_, _, inc) = attach(e.observe(&sig(
        "b",
        Some("pod/x/web-7d9f8b6c5-x2b4k"),
        Severity::High,
        Firing,
        4,
    )));
    assert_eq!(inc.id, id);
    e.advance(t(30));
    assert_eq!(e.incident(&id).unwrap().status, IncidentStatus::Active);
}

#[test]
fn events_never_keep_an_incident_open() {
    let mut e = Engine::default();
    let mut ev = sig("ev", Some("node/n2"), Severity::High, Firing, 0);
    ev.source_type = "K8S_EVENT".into();
    let id = attach(e.observe(&ev)).2.id;
    assert!(e.incident(&id).unwrap().firing.is_empty());
    e.advance(t(6));
    assert_eq!(e.incident(&id).unwrap().status, IncidentStatus::Resolved);
}

#[test]
fn resolved_incidents_leave_the_indexes_and_memory() {
    let mut e = Engine::default();
    let id = attach(e.observe(&sig(
        "a",
        Some("deployment/x/web"),
        Severity::High,
        Firing,
        0,
    )))
    .2
    .id;
    attach(e.observe(&sig(
        "a",
        Some("deployment/x/web"),
        Severity::High,
        Resolved,
        1,
    )));
    e.advance(t(10));
    assert_eq!(e.incident(&id).unwrap().status, IncidentStatus::Resolved);
    assert!(e.by_place.is_empty(), "out of the hot index");
    // A day later the engine forgets it (the store keeps it).
    e.advance(t(10 + 24 * 60 + 1));
    assert!(e.incident(&id).is_none());
    assert!(e.by_fingerprint.is_empty() && e.memory.is_empty());
}

#[test]
fn a_warning_waits_and_joins_the_incident_that_opens_at_its_place() {
    let mut e = Engine::default();
    let w = e.observe(&sig(
        "mem",
        Some("pod/shop/db-7d9f8b6c5-x2b4k"),
        Severity::Medium,
        Firing,
        0,
    ));
    assert!(matches!(w, Decision::Unassigned { .. }));
    let (_, opened, inc) = attach(e.observe(&sig(
        "oom",
        Some("pod/shop/db-7d9f8b6c5-x2b4k"),
        Severity::Critical,
        Firing,
        3,
    )));
    assert!(opened);
    let adopted = &e.effects().adopted;
    assert_eq!(adopted.len(), 1);
    assert_eq!(adopted[0].signal_id, "sig-mem-0");
    assert_eq!(adopted[0].incident_id, inc.id);
    assert!(
        adopted[0].explanation.contains("waited unassigned"),
        "{}",
        adopted[0].explanation
    );
    // Its repeats now go there.
    let (l, _, again) = attach(e.observe(&sig(
        "mem",
        Some("pod/shop/db-7d9f8b6c5-x2b4k"),
        Severity::Medium,
        Firing,
        0,
    )));
    assert_eq!((again.id, l.strategy), (inc.id, LinkStrategy::Key));
}

#[test]
fn mild_or_orphan_signals_wait_unassigned() {
    let mut e = Engine::default();
    match e.observe(&sig("i", Some("pod/x/y"), Severity::Info, Firing, 0)) {
        Decision::Unassigned { reason } => assert!(reason.contains("below")),
        d => panic!("{d:?}"),
    }
    match e.observe(&sig("r", None, Severity::High, Resolved, 0)) {
        Decision::Unassigned { reason } => assert!(reason.contains("not seen firing")),
        d => panic!("{d:?}"),
    }
    // An info signal on a workload with an open incident does join it.
    attach(e.observe(&sig(
        "a",
        Some("deployment/x/web"),
        Severity::High,
        Firing,
        1,
    )));
    let (l, opened, _) = attach(e.observe(&sig(
        "i2",
        Some("pod/x/web-7d9f8b6c5-x2b4k"),
        Severity::Info,
        Firing,
        2,
    )));
    assert!(!opened);
    assert_eq!(l.strategy, LinkStrategy::Resource);
}

#[test]
fn state_survives_serialization_and_decides_the_same() {
    let mut a = Engine::default();
    attach(a.observe(&sig(
        "a",
        Some("deployment/shop/cart"),
        Severity::High,
        Firing,
        0,
    )));
    let mut b: Engine = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    let next = sig(
        "b",
        Some("pod/shop/cart-7d9f8b6c5-x2b4k"),
        Severity::High,
        Firing,
        4,
    );
    assert_eq!(a.observe(&next), b.observe(&next));
}

#[test]
fn human_durations() {
    assert_eq!(human_secs(40), "40 s");
    assert_eq!(human_secs(150), "2 min 30 s");
    assert_eq!(human_secs(7200), "2 h");
    assert_eq!(human_secs(3700), "1 h 1 min");
}

#[test]
fn a_declared_incident_opens_even_when_mild_or_resolved() {
    let mut e = Engine::default();
    let (l, opened, inc) = attach(e.observe_declared(&sig("d", None, Severity::Info, Resolved, 0)));
    assert!(opened);
    assert_eq!(l.strategy, LinkStrategy::Rule);
    assert!(
        l.explanation.starts_with("declared as an incident"),
        "{}",
        l.explanation
    );
    // Never firing: it resolves once quiet.
    assert_eq!(inc.status, IncidentStatus::Building);
    e.advance(t(5));
    assert_eq!(
        e.incident(&inc.id).unwrap().status,
        IncidentStatus::Resolved
    );
    // A declared signal that matches an open incident joins it instead.
    let id = attach(e.observe(&sig(
        "a",
        Some("deployment/x/web"),
        Severity::High,
        Firing,
        1,
    )))
    .2
    .id;
    let (_, opened, inc) = attach(e.observe_declared(&sig(
        "d2",
        Some("deployment/x/web"),
        Severity::Info,
        Firing,
        2,
    )));
    assert!(!opened);
    assert_eq!(inc.id, id);
}

#[test]
fn alerts_that_never_join_an_incident_are_forgotten_too() {
    let mut e = Engine::default();
    // A low alert alone waits unassigned: no incident will forget it.
    let d = e.observe(&sig(
        "w",
        Some("deployment/x/web"),
        Severity::Low,
        Firing,
        0,
    ));
    assert!(matches!(d, Decision::Unassigned { .. }), "{d:?}");
    e.observe(&sig(
        "w",
        Some("deployment/x/web"),
        Severity::Low,
        Resolved,
        5,
    ));
    assert!(e.episodes.contains_key("w"), "remembered for recurrences");
    e.advance(t(6 * 24 * 60));
    assert!(e.episodes.contains_key("w"), "kept for a week");
    e.advance(t(7 * 24 * 60 + 1));
    assert!(e.episodes.is_empty(), "then forgotten");
    // Still firing a week on: kept, and looked at again later.
    e.observe(&sig(
        "f",
        Some("deployment/x/web"),
        Severity::Low,
        Firing,
        8 * 24 * 60,
    ));
    e.advance(t(15 * 24 * 60 + 1));
    assert!(e.episodes.contains_key("f"));
}
