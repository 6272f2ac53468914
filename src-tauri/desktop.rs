//! What only the desktop has: the tray icon with the open-incident count, a
//! native notification when a new critical incident opens, and the window
//! state saved as the user moves it. Everything it knows comes from
//! `causeway-app` through the same commands the UI uses.

use causeway_app::api::requests::IncidentQuery;
use causeway_app::api::views::{ChangeEvent, IncidentSummary};
use causeway_app::App;
use causeway_core::{IncidentStatus, Severity};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tauri::menu::{MenuBuilder, MenuItemBuilder};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

/// An incident opened longer ago than this is not "new" (a recording, a
/// re-played dead letter, the first-run demo): no notification for it.
const NEW_FOR: chrono::TimeDelta = chrono::TimeDelta::minutes(15);
/// Moves and resizes come in bursts: the state is saved once they stop.
const SAVE_AFTER: Duration = Duration::from_millis(400);

/// Brings the main window up (tray click, a second launch).
pub fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// The tray icon, or None where the platform has no tray library (Linux
/// without libayatana-appindicator3): the app runs on without it.
pub fn tray(app: &AppHandle) -> Option<TrayIcon> {
    if !tray_library_present() {
        tracing::warn!("no tray icon: install libayatana-appindicator3-1 (or libappindicator3-1)");
        return None;
    }
    let show = MenuItemBuilder::with_id("show", "Show Causeway")
        .build(app)
        .ok()?;
    let quit = MenuItemBuilder::with_id("quit", "Quit").build(app).ok()?;
    let menu = MenuBuilder::new(app).items(&[&show, &quit]).build().ok()?;
    let mut builder = TrayIconBuilder::with_id("main")
        .tooltip("Causeway")
        .menu(&menu)
        .on_menu_event(|app, e| match e.id().as_ref() {
            "show" => show_main(app),
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    match builder.build(app) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(error = %e, "no tray icon");
            None
        }
    }
}

#[cfg(target_os = "linux")]
fn tray_library_present() -> bool {
    // The tray crate loads one of these at run time and panics without them.
    [
        "libayatana-appindicator3.so.1",
        "libappindicator3.so.1",
        "libayatana-appindicator3.so",
        "libappindicator3.so",
    ]
    .iter()
    // SAFETY: loading a system library whose initialisers are plain C.
    .any(|name| unsafe { libloading::Library::new(name) }.is_ok())
}

#[cfg(not(target_os = "linux"))]
fn tray_library_present() -> bool {
    true
}

/// "3 open incidents", for the tray's label and tooltip.
pub fn open_text(open: usize) -> String {
    match open {
        0 => "No open incident".to_string(),
        1 => "1 open incident".to_string(),
        n => format!("{n} open incidents"),
    }
}

/// The incidents among `list` to notify about: critical, not resolved, not
/// seen before, and opened within `NEW_FOR` of `now`.
pub fn to_notify<'a>(
    list: &'a [IncidentSummary],
    seen: &HashSet<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<&'a IncidentSummary> {
    list.iter()
        .filter(|i| !seen.contains(&i.id))
        .filter(|i| i.severity == Severity::Critical && i.status != IncidentStatus::Resolved)
        .filter(|i| {
            chrono::DateTime::parse_from_rfc3339(&i.opened_at)
                .is_ok_and(|t| now.signed_duration_since(t) <= NEW_FOR)
        })
        .collect()
}

/// The open incidents of every project (up to the search's cap in each):
/// what the tray counts and what may be newly critical. The person on call
/// hears of a critical staging incident whichever project the window shows.
async fn incidents(app: &App) -> Option<Vec<IncidentSummary>> {
    let mut all = Vec::new();
    for p in app.list_projects().await.ok()?.projects {
        let q = IncidentQuery {
            project: Some(p.id),
            ..IncidentQuery::default()
        };
        all.extend(app.search_incidents(q).await.ok()?.incidents);
    }
    Some(all)
}

/// Keeps the tray's count current and notifies new critical incidents, for
/// as long as the app runs.
pub async fn watch(app: App, handle: AppHandle, tray: Option<TrayIcon>) {
    let mut events = app.subscribe();
    let mut seen: HashSet<String> = HashSet::new();
    let mut first = true;
    loop {
        if let Some(list) = incidents(&app).await {
            let open = list
                .iter()
                .filter(|i| i.status != IncidentStatus::Resolved)
                .count();
            if let Some(t) = &tray {
                let text = open_text(open);
                let _ = t.set_tooltip(Some(format!("Causeway — {text}")));
                // Linux shows the title beside the icon; keep it short.
                let _ = t.set_title(Some(open.to_string()));
            }
            if !first {
                for i in to_notify(&list, &seen, chrono::Utc::now()) {
                    let shown = handle
                        .notification()
                        .builder()
                        .title(format!("Critical incident: {}", i.title))
                        .body(
                            i.root_cause
                                .as_ref()
                                .map(|r| format!("Root cause: {}", r.entity))
                                .unwrap_or_else(|| "Open Causeway to see what broke".into()),
                        )
                        .show();
                    if let Err(e) = shown {
                        tracing::warn!(error = %e, "notification not shown");
                    }
                }
            }
            seen.extend(list.into_iter().map(|i| i.id));
            first = false;
        }
        // Wait for the next incident change; anything else does not move the count.
        loop {
            match events.recv().await {
                Ok(ChangeEvent::IncidentsChanged { .. }) => break,
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
        // A burst of changes is one refresh.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Saves the window's size and place once a move or resize settles, so a
/// crash or a kill keeps it too (the plugin alone saves at exit).
pub fn save_state_soon(app: &AppHandle, generation: &Arc<AtomicU64>) {
    let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
    let (app, generation) = (app.clone(), generation.clone());
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(SAVE_AFTER).await;
        if generation.load(Ordering::SeqCst) == mine {
            if let Err(e) = app.save_window_state(StateFlags::all()) {
                tracing::warn!(error = %e, "window state not saved");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use causeway_app::api::views::IncidentSummary;

    fn inc(id: &str, sev: Severity, status: IncidentStatus, opened: &str) -> IncidentSummary {
        IncidentSummary {
            id: id.into(),
            title: id.into(),
            severity: sev,
            status,
            pattern: None,
            root_cause: None,
            signal_count: 1,
            opened_at: opened.into(),
            updated_at: opened.into(),
            resolved_at: None,
        }
    }

    /// An Alertmanager receiver taking unsigned deliveries in `project`.
    async fn receiver(app: &App, project: &'static str) {
        app.store()
            .write(move |c| {
                let at = causeway_store::ts(chrono::Utc::now());
                causeway_store::projects::ensure(c, project, &at)?;
                c.execute(
                    "INSERT INTO connector_instances (id, descriptor_id, project_id, name, config, created_at)
                     VALUES (?1 || '-alertmanager', 'alertmanager', ?1, 'AM', '{}', ?2)
                     ON CONFLICT(id) DO NOTHING",
                    [project, at.as_str()],
                )?;
                c.execute(
                    "UPDATE connector_instances SET config = '{\"verify\":{\"type\":\"none\"}}'
                     WHERE id = ?1 || '-alertmanager'",
                    [project],
                )?;
                Ok(())
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_tray_counts_the_open_incidents_of_every_project() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path()).unwrap();
        for (project, fp) in [("default", "a"), ("staging", "b")] {
            receiver(&app, project).await;
            let body = format!(
                r#"{{"version":"4","status":"firing","alerts":[{{"status":"firing","fingerprint":"{fp}",
                "labels":{{"alertname":"KubePodCrashLooping","namespace":"shop","pod":"cart-7d9f8b6c5-x2b4k","severity":"critical"}},
                "startsAt":"2026-12-07T03:00:00Z"}}]}}"#
            );
            app.accept_webhook(
                "alertmanager",
                project,
                Default::default(),
                body.into_bytes(),
            )
            .await
            .unwrap();
        }
        app.drain().await;
        let open = incidents(&app).await.unwrap();
        assert_eq!(open.len(), 2, "{open:?}");
    }

    #[test]
    fn only_new_recent_open_critical_incidents_are_notified() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let list = vec![
            inc(
                "new",
                Severity::Critical,
                IncidentStatus::Active,
                "2026-01-01T09:58:00Z",
            ),
            inc(
                "seen",
                Severity::Critical,
                IncidentStatus::Active,
                "2026-01-01T09:59:00Z",
            ),
            inc(
                "high",
                Severity::High,
                IncidentStatus::Active,
                "2026-01-01T09:59:00Z",
            ),
            inc(
                "old",
                Severity::Critical,
                IncidentStatus::Building,
                "2026-01-01T08:00:00Z",
            ),
            inc(
                "done",
                Severity::Critical,
                IncidentStatus::Resolved,
                "2026-01-01T09:59:00Z",
            ),
        ];
        let seen = HashSet::from(["seen".to_string()]);
        let ids: Vec<&str> = to_notify(&list, &seen, now)
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(ids, ["new"]);
        assert_eq!(open_text(0), "No open incident");
        assert_eq!(open_text(1), "1 open incident");
        assert_eq!(open_text(4), "4 open incidents");
    }
}
