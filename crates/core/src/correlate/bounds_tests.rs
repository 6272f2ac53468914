//! A storm of distinct alerts (a new Pod name in every label set) does not
//! grow the engine without bound: what it keeps of alerts outside incidents
//! is capped, the alerts seen longest ago go first, and no timer outlives
//! what it was set for.

use super::*;
use chrono::TimeZone;

#[test]
fn a_storm_of_distinct_alerts_keeps_the_engine_bounded() {
    let mut e = Engine::new(CorrelationConfig::default());
    let base = Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap();
    let n = memory::ALERTS_KEEP + 10_000;
    let fp = |i: usize| format!("storm-{i}");
    for i in 0..n {
        // Warnings on Pods of as many Deployments, 10 ms apart: each waits
        // unassigned, each is its own alert and condition.
        let at = base + chrono::Duration::milliseconds(10 * i as i64);
        let pod = format!("pod/shop/app{i}-7d9f8b6c5-x2b4k");
        let mut s = crate::signal::test_alert(
            format!("sig-{i}"),
            &fp(i),
            Some(&pod),
            "Pod container waiting longer than 1 hour",
            at,
        );
        s.severity = Severity::Medium;
        e.observe(&s);
    }
    assert!(e.incidents.is_empty(), "{} incidents", e.incidents.len());
    assert!(
        e.pending.len() <= pending::PENDING_KEEP,
        "{}",
        e.pending.len()
    );
    assert!(
        e.episodes.len() <= memory::ALERTS_KEEP,
        "{}",
        e.episodes.len()
    );
    assert!(
        e.conditions.len() <= chronic::CONDITIONS_KEEP + 1,
        "{}",
        e.conditions.len()
    );
    // One timer per waiting signal and per remembered alert, and the sweep:
    // none left behind for what was forgotten early.
    assert!(
        e.timers.len() <= e.pending.len() + e.episodes.len() + 1,
        "{} timers for {} waiting and {} alerts",
        e.timers.len(),
        e.pending.len(),
        e.episodes.len()
    );
    // The newest are remembered, the oldest forgotten.
    assert!(e.episodes.contains_key(&fp(n - 1)));
    assert!(e.pending.contains_key(&format!("sig-{}", n - 1)));
    assert!(!e.episodes.contains_key(&fp(0)));
    let newest = e.locate(&crate::signal::test_alert(
        format!("sig-{}", n - 1),
        &fp(n - 1),
        Some(&format!("pod/shop/app{}-7d9f8b6c5-x2b4k", n - 1)),
        "Pod container waiting longer than 1 hour",
        base,
    ));
    assert!(e.conditions.contains_key(&newest.condition));
}

/// The timers that look at an alert's memory: none while it is in an
/// incident (the incident's own forgetting looks at it), one again once
/// the incident is forgotten, and the memory goes a week after.
#[test]
fn an_alert_in_an_incident_is_looked_at_again_when_the_incident_is_forgotten() {
    let mut e = Engine::new(CorrelationConfig::default());
    let base = Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap();
    let forget_timers = |e: &Engine| {
        e.timers
            .iter()
            .filter(|t| t.1 == lifecycle::Work::ForgetAlert && t.2 == "fp-db")
            .count()
    };
    let mut s = crate::signal::test_alert(
        "sig-1".into(),
        "fp-db",
        Some("pod/shop/db-7d9f8b6c5-x2b4k"),
        "Pod crash looping",
        base,
    );
    s.severity = Severity::Critical;
    assert!(matches!(
        e.observe(&s),
        Decision::Attach { opened: true, .. }
    ));
    assert!(e.episodes.contains_key("fp-db"));
    assert_eq!(forget_timers(&e), 0, "{:?}", e.timers);
    let mut end = s.clone();
    end.id = "sig-2".into();
    end.status = crate::signal::SignalStatus::Resolved;
    end.ended_at = Some(base + chrono::Duration::minutes(5));
    end.received_at = base + chrono::Duration::minutes(5);
    e.observe(&end);
    // Quiet, resolved; then its retention passes.
    e.advance(base + chrono::Duration::hours(1));
    e.advance(base + chrono::Duration::days(3));
    assert!(e.incidents.is_empty(), "the resolved incident is forgotten");
    assert_eq!(forget_timers(&e), 1, "{:?}", e.timers);
    e.advance(base + chrono::Duration::days(20));
    assert!(!e.episodes.contains_key("fp-db"));
    assert_eq!(forget_timers(&e), 0);
}

/// An incident's members keep their place's key; a state saved when they
/// kept the place itself loads to the same engine.
#[test]
fn a_state_saved_with_member_places_loads_with_their_keys() {
    let mut e = Engine::new(CorrelationConfig::default());
    let base = Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap();
    let s = crate::signal::test_alert(
        "sig-1".into(),
        "fp-db",
        Some("pod/shop/db-7d9f8b6c5-x2b4k"),
        "Pod crash looping",
        base,
    );
    e.observe(&s);
    let mut saved = serde_json::to_value(&e).unwrap();
    let (id, mem) = saved["memory"]
        .as_object_mut()
        .unwrap()
        .iter_mut()
        .next()
        .unwrap();
    let member = &mut mem["members"]["fp-db"];
    assert_eq!(
        member["place"].as_u64(),
        Some(apply::place_key(e.incidents[id].root.as_ref().unwrap()))
    );
    member["place"] = serde_json::json!("deployment/shop/db");
    let loaded: Engine = serde_json::from_value(saved).unwrap();
    assert_eq!(loaded.memory, e.memory);
}
