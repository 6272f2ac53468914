//! The engine and the store stay in step: after a crash between two saves
//! of the engine's state, and after a processing transaction that failed
//! once the engine had already decided.

use crate::api::views::IncidentList;
use crate::test_support::call;
use crate::{App, Command};
use causeway_store::engine_state;

fn am(fp: &str, pod: &str, starts: &str) -> Vec<u8> {
    format!(
        r#"{{"version":"4","status":"firing","alerts":[{{"status":"firing","fingerprint":"{fp}",
        "labels":{{"alertname":"A{fp}","namespace":"shop","pod":"{pod}","severity":"critical"}},
        "annotations":{{"summary":"alert {fp}"}},"startsAt":"{starts}"}}]}}"#
    )
    .into_bytes()
}

async fn send(app: &App, body: Vec<u8>) {
    app.accept_webhook("alertmanager", "default", Default::default(), body)
        .await
        .unwrap();
}

fn engine_json(app: &App) -> String {
    serde_json::to_string(&*app.engine.lock().unwrap()).unwrap()
}

async fn incidents(app: &App) -> IncidentList {
    call(app, Command::ListIncidents { project: None }).await
}

/// Pod name endings as Kubernetes makes them (no vowels, no 0/1/3).
const POD_SUFFIXES: [&str; 4] = ["x2b4k", "q9zz2", "mn7p5", "trs8w"];

/// The characters Kubernetes draws generated name endings from.
const RS_ALPHABET: &str = "bcdfghjklmnpqrstvwxz2456789";

/// Alerts on three workloads, a few minutes apart.
fn storm() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, deploy) in ["cart", "checkout", "payment"].iter().enumerate() {
        for (n, suffix) in POD_SUFFIXES.iter().enumerate() {
            out.push(am(
                &format!("{deploy}{n}"),
                &format!("{deploy}-7d9f8b6c5-{suffix}"),
                &format!("2026-11-20T03:{:02}:00Z", i * 10 + n),
            ));
        }
    }
    out
}

/// Processes an alert on `orders` while the writer's own connection
/// refuses its link, as a full disk would: the batch fails after the
/// engine decided, and the payload stays pending.
async fn fail_a_batch(app: &App) {
    app.store()
        .write(|c| {
            c.execute_batch(
                "CREATE TEMP TRIGGER refuse BEFORE INSERT ON incident_signals
                 WHEN NEW.explanation LIKE '%orders%'
                 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
            )?;
            Ok(())
        })
        .await
        .unwrap();
    send(
        app,
        am("boom", "orders-5f6d7c8b9-q9zz2", "2026-11-20T03:01:00Z"),
    )
    .await;
    app.drain().await;
}

async fn allow_links(app: &App) {
    app.store()
        .write(|c| {
            c.execute_batch("DROP TRIGGER refuse")?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn after_a_crash_the_engine_decides_again_on_what_its_saved_state_missed() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let app = crate::test_support::open(dir.path());
        for body in storm() {
            send(&app, body).await;
            app.drain().await;
        }
        // Processed in twelve batches within a second: never saved yet.
        let saved = app.store().read_blocking(engine_state::load).unwrap();
        assert!(
            saved.is_none(),
            "the state is saved every few seconds, not per batch"
        );
        engine_json(&app)
        // Dropped here without a save: a crash.
    };
    let app = crate::test_support::open(dir.path());
    app.drain().await;
    assert_eq!(
        engine_json(&app),
        before,
        "the engine is exactly where the stored decisions say it was"
    );
    // And it goes on deciding from there: a new Pod of `cart` joins cart's incident.
    send(
        &app,
        am("cart9", "cart-7d9f8b6c5-9zzzk", "2026-11-20T03:05:00Z"),
    )
    .await;
    app.drain().await;
    let list = incidents(&app).await;
    assert_eq!(list.incidents.len(), 3);
    let cart = list
        .incidents
        .iter()
        .find(|i| i.title.contains("cart"))
        .unwrap();
    assert_eq!(cart.signal_count, 5);
}

#[tokio::test]
async fn the_state_is_saved_once_the_inbox_runs_dry() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::test_support::open(dir.path());
    for body in storm().into_iter().take(3) {
        send(&app, body).await;
    }
    app.drain().await;
    // The periodic wake-up finds nothing to do a little later and saves.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.drain().await;
    let saved = app
        .store()
        .read_blocking(engine_state::load)
        .unwrap()
        .expect("saved when idle");
    assert_eq!(saved.processed_seq, 3, "it includes all three payloads");
    assert_eq!(saved.state, engine_json(&app));
}

#[tokio::test]
async fn a_batch_that_fails_after_the_engine_decided_leaves_no_trace_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::test_support::open(dir.path());
    send(
        &app,
        am("ok1", "cart-7d9f8b6c5-x2b4k", "2026-11-20T03:00:00Z"),
    )
    .await;
    app.drain().await;
    let before = engine_json(&app);
    fail_a_batch(&app).await;
    assert_eq!(
        engine_json(&app),
        before,
        "the failed batch's decision was taken back"
    );
    assert_eq!(incidents(&app).await.incidents.len(), 1);
    // Once the fault clears, the payload (still pending) goes through.
    allow_links(&app).await;
    app.drain().await;
    let list = incidents(&app).await;
    assert_eq!(list.incidents.len(), 2, "orders has its incident now");
    assert_ne!(engine_json(&app), before);
}

#[tokio::test]
async fn after_catching_up_on_a_failed_batch_the_next_batch_saves_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::test_support::open(dir.path());
    for body in storm().into_iter().take(3) {
        send(&app, body).await;
    }
    app.drain().await;
    let saved = || app.store().read_blocking(engine_state::load).unwrap();
    assert!(saved().is_none(), "not yet: saves are seconds apart");
    // The engine decides again on the three payloads since its (empty)
    // saved state.
    fail_a_batch(&app).await;
    allow_links(&app).await;
    app.drain().await;
    let state = saved().expect("the batch after the catch-up saved");
    assert_eq!(state.processed_seq, 4);
    assert_eq!(state.state, engine_json(&app));
}

#[tokio::test]
async fn incident_rows_end_up_analysed_after_a_storm() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::test_support::open(dir.path());
    // One incident touched by many batches in quick succession: most of
    // them only update its counts; the analysis catches up at the end.
    for n in 0..20 {
        send(
            &app,
            am(
                &format!("c{n}"),
                &format!("cart-7d9f8b6c5-{}kkkk", &RS_ALPHABET[n..n + 1]),
                &format!("2026-11-20T03:{n:02}:00Z"),
            ),
        )
        .await;
        app.drain().await;
    }
    let list = incidents(&app).await;
    assert_eq!(list.incidents.len(), 1);
    let row = &list.incidents[0];
    assert_eq!(row.signal_count, 20);
    let id = row.id.clone();
    let members: Vec<_> = app
        .store()
        .read_blocking(|c| causeway_store::signals::for_incident(c, &id))
        .unwrap()
        .into_iter()
        .map(|s| s.signal)
        .collect();
    assert_eq!(members.len(), 20);
    let fresh = app.engine.lock().unwrap().analyse(&members);
    assert!(fresh.root_cause.is_some());
    assert_eq!(
        row.root_cause, fresh.root_cause,
        "the stored analysis is the one over all twenty signals"
    );
    assert_eq!(row.pattern, fresh.pattern);
}
