//! A storm's incident is read a page at a time: its detail holds the first
//! signals to join it and the total, and the pages cover every signal once.

use crate::api::views::{IncidentDetail, SignalPage};
use crate::test_support::{app, call, incident_of, post};
use crate::{dispatch, Code, Command};
use std::collections::BTreeSet;

/// `n` Pods of one Deployment crash-looping, a second apart, in one body.
fn storm(n: usize) -> String {
    let alerts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"status":"firing","fingerprint":"fp{i:04}",
                "labels":{{"alertname":"KubePodCrashLooping","namespace":"shop","pod":"cart-7d9f8b6c5-{i:05}","severity":"critical"}},
                "annotations":{{"summary":"cart is crash looping"}},
                "startsAt":"2026-11-20T03:{:02}:{:02}Z"}}"#,
                i / 60,
                i % 60
            )
        })
        .collect();
    format!(
        r#"{{"version":"4","status":"firing","alerts":[{}]}}"#,
        alerts.join(",")
    )
}

#[tokio::test]
async fn a_big_incident_is_read_a_page_at_a_time() {
    let (_d, app) = app().await;
    post(&app, storm(1200)).await;
    let id = incident_of(&app, "crash looping").await;

    let d: IncidentDetail = call(&app, Command::GetIncident { id: id.clone() }).await;
    assert_eq!(d.signal_total, 1200);
    assert_eq!(d.signals.len(), 500);
    assert!(
        d.signals.iter().all(|s| s.link.is_some()),
        "each with its reason"
    );
    let first: Vec<_> = d.signals.iter().map(|s| s.signal.occurred_at).collect();
    assert!(
        first.windows(2).all(|w| w[0] <= w[1]),
        "in the order they joined (here, their onsets')"
    );

    let mut seen = BTreeSet::new();
    let mut offset = 0;
    while offset < 1200 {
        let p: SignalPage = call(
            &app,
            Command::ListIncidentSignals {
                id: id.clone(),
                offset,
                limit: 700,
            },
        )
        .await;
        assert_eq!(p.total, 1200);
        assert!(p
            .signals
            .iter()
            .all(|s| s.link.as_ref().is_some_and(|l| l.incident_id == id)));
        for s in &p.signals {
            assert!(seen.insert(s.signal.id.clone()), "{} twice", s.signal.id);
        }
        offset += 700;
    }
    assert_eq!(seen.len(), 1200);

    for (offset, limit) in [(-1, 10), (0, 0), (0, 2001)] {
        let c = Command::ListIncidentSignals {
            id: id.clone(),
            offset,
            limit,
        };
        assert_eq!(dispatch(&app, c).await.unwrap_err().code, Code::BadRequest);
    }
    let none = Command::ListIncidentSignals {
        id: "inc-nope".into(),
        offset: 0,
        limit: 10,
    };
    assert_eq!(dispatch(&app, none).await.unwrap_err().code, Code::NotFound);
}
