//! A back-test through the app's commands, on a real SQLite file: what
//! proposed settings would change is shown, and nothing changes until they
//! are applied.

use crate::api::commands::Command;
use crate::api::views::IncidentList;
use crate::history::backtest::BacktestReport;
use crate::test_support::{app, call, fire};
use causeway_core::CorrelationConfig;

#[tokio::test]
async fn a_backtest_shows_the_difference_before_settings_are_applied() {
    let (_d, app) = app().await;
    fire(&app, "a", "cart", "firing", "2026-11-20T03:00:00Z").await;
    fire(&app, "b", "payment", "firing", "2026-11-20T03:01:00Z").await;
    let current: CorrelationConfig =
        call(&app, Command::GetCorrelationSettings { project: None }).await;
    assert_eq!(current, CorrelationConfig::default());
    // Propose: only critical... nothing here is more than critical; so ask
    // for a rule that keeps payment's alerts for review.
    let mut proposed = current.clone();
    proposed.rules.push(causeway_core::IncidentRule {
        name: "payment is noisy".into(),
        when: causeway_core::RuleMatch {
            tags: [("pod".to_string(), "payment-*".to_string())].into(),
            ..Default::default()
        },
        open: false,
        title: None,
        severity: None,
        assignee: None,
        team: None,
        runbook: None,
    });
    let r: BacktestReport = call(
        &app,
        Command::Backtest {
            config: proposed.clone(),
            project: None,
        },
    )
    .await;
    assert_eq!(
        (r.signals, r.current.incidents, r.proposed.incidents),
        (2, 2, 1)
    );
    assert_eq!(r.changes.len(), 1);
    assert_eq!(r.changes[0].kind, "dropped");
    assert!(r.changes[0].current[0].title.contains("alert b"));
    // Nothing changed until it is applied...
    assert_eq!(
        call::<CorrelationConfig>(&app, Command::GetCorrelationSettings { project: None }).await,
        current
    );
    let _: CorrelationConfig = call(
        &app,
        Command::ApplyCorrelationSettings {
            config: proposed.clone(),
            project: None,
        },
    )
    .await;
    assert_eq!(
        call::<CorrelationConfig>(&app, Command::GetCorrelationSettings { project: None }).await,
        proposed
    );
    // ...and from then on the rule decides.
    fire(&app, "e", "payment", "firing", "2026-11-20T03:20:00Z").await;
    let list: IncidentList = call(&app, Command::ListIncidents { project: None }).await;
    assert!(!list.incidents.iter().any(|i| i.title.contains("alert e")));
}
