//! A panic while processing one payload is contained to that payload.

use crate::api::views::{DeadLetterList, SignalList};
use crate::test_support::call;
use crate::Command;
use causeway_store::inbox::InboxItem;

/// Bodies carrying this text make processing panic (tests only): no real
/// payload is known to panic, and the containment must hold for the one
/// that someday will.
const PANIC_MARK: &[u8] = b"causeway-test-panic";

pub(crate) fn maybe_panic(item: &InboxItem) {
    if item.body.windows(PANIC_MARK.len()).any(|w| w == PANIC_MARK) {
        panic!("injected panic for inbox row {}", item.id);
    }
}

fn am(fp: &str, extra: &str) -> Vec<u8> {
    format!(
        r#"{{"version":"4","status":"firing","alerts":[{{"status":"firing","fingerprint":"{fp}",
        "labels":{{"alertname":"A{fp}","namespace":"shop","pod":"cart-7d9f8b6c5-x2b4k","severity":"critical"}},
        "annotations":{{"summary":"alert {fp} {extra}"}},"startsAt":"2026-11-20T03:00:00Z"}}]}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn a_payload_that_panics_is_dead_lettered_and_the_others_are_processed() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::test_support::open(dir.path());
    for body in [am("a1", ""), am("a2", "causeway-test-panic"), am("a3", "")] {
        app.accept_webhook("alertmanager", "default", Default::default(), body)
            .await
            .unwrap();
    }
    app.drain().await;
    let signals: SignalList = crate::test_support::all_signals(&app).await;
    let mut titles: Vec<String> = signals
        .signals
        .iter()
        .map(|s| s.signal.title.clone())
        .collect();
    titles.sort();
    assert_eq!(titles.len(), 2, "{titles:?}");
    let dead: DeadLetterList = call(&app, Command::ListDeadLetters { project: None }).await;
    assert_eq!(dead.dead_letters.len(), 1);
    let d = &dead.dead_letters[0];
    assert!(
        d.error.contains("panicked") && d.error.contains("injected panic"),
        "{}",
        d.error
    );
    assert!(
        d.preview.contains("causeway-test-panic"),
        "its exact bytes are kept"
    );
    let pending = app
        .store()
        .read_blocking(causeway_store::inbox::pending_count)
        .unwrap();
    assert_eq!(pending, 0, "nothing stalls behind it");
    // And processing goes on afterwards.
    app.accept_webhook("alertmanager", "default", Default::default(), am("a4", ""))
        .await
        .unwrap();
    app.drain().await;
    let signals: SignalList = crate::test_support::all_signals(&app).await;
    assert_eq!(signals.signals.len(), 3);
}

#[tokio::test]
async fn a_job_that_panicked_holding_the_engine_does_not_stop_processing() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::test_support::open(dir.path());
    app.accept_webhook("alertmanager", "default", Default::default(), am("b1", ""))
        .await
        .unwrap();
    app.drain().await;
    // A job panics with the engine locked (as a panic in the ingest API's
    // processing would): the writer goes on, the lock is poisoned.
    let engine = app.engine.clone();
    let failed = app
        .store()
        .write(move |_| -> causeway_store::Result<()> {
            let _held = engine.lock().unwrap();
            panic!("injected panic holding the engine");
        })
        .await;
    assert!(failed.is_err());
    assert!(app.engine.is_poisoned());
    app.accept_webhook("alertmanager", "default", Default::default(), am("b2", ""))
        .await
        .unwrap();
    app.drain().await;
    let signals: SignalList = crate::test_support::all_signals(&app).await;
    assert_eq!(
        signals.signals.len(),
        2,
        "the engine was taken back and went on"
    );
    assert!(!app.engine.is_poisoned());
}

#[test]
fn a_backlog_older_than_a_moment_gets_longer_slices_of_the_writer() {
    use crate::pipeline::process::{min_slice, LAGGING_MIN_SLICE, MIN_SLICE};
    let now = causeway_store::parse_ts("2026-11-20T03:00:10.000Z").unwrap();
    // A burst just taken in: intake keeps its short wait.
    assert_eq!(min_slice("2026-11-20T03:00:09.800Z", now), MIN_SLICE);
    // A storm's backlog: processing holds the writer longer.
    assert_eq!(
        min_slice("2026-11-20T03:00:08.900Z", now),
        LAGGING_MIN_SLICE
    );
    assert!(LAGGING_MIN_SLICE > MIN_SLICE);
    // An arrival time that does not read is no reason to slow senders.
    assert_eq!(min_slice("yesterday", now), MIN_SLICE);
}

#[tokio::test]
async fn the_analysis_of_a_storm_sized_incident_reads_its_ends_and_says_so() {
    use crate::api::views::{IncidentDetail, IncidentList};
    let dir = tempfile::tempdir().unwrap();
    let app = crate::test_support::open(dir.path());
    // One notification of 5,100 alerts on one Pod: one incident.
    let alerts: Vec<String> = (0..5_100)
        .map(|i| {
            format!(
                r#"{{"status":"firing","fingerprint":"fp{i}","labels":{{"alertname":"A{i}","namespace":"shop",
                "pod":"cart-7d9f8b6c5-x2b4k","severity":"critical"}},"annotations":{{"summary":"alert {i}"}},
                "startsAt":"2026-11-20T03:00:00Z"}}"#
            )
        })
        .collect();
    let body = format!(
        r#"{{"version":"4","status":"firing","alerts":[{}]}}"#,
        alerts.join(",")
    );
    app.accept_webhook(
        "alertmanager",
        "default",
        Default::default(),
        body.into_bytes(),
    )
    .await
    .unwrap();
    app.drain().await;
    let list: IncidentList = call(&app, Command::ListIncidents { project: None }).await;
    assert_eq!(list.incidents.len(), 1);
    let d: IncidentDetail = call(
        &app,
        Command::GetIncident {
            id: list.incidents[0].id.clone(),
        },
    )
    .await;
    assert_eq!(d.signal_total, 5_100);
    assert_eq!(d.signals_analysed, Some(5_000));
    assert!(d.insight.is_some(), "it is analysed all the same");
}
