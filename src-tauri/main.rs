//! The desktop shell: a window on the same UI, one `rpc` command forwarding to
//! `causeway-app`, change events forwarded to the window, and the webhook
//! server running in-process. Everything else lives in the crates.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod desktop;

use causeway_app::{ApiError, App};
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use tauri::{Emitter, Manager, WindowEvent};

/// The UI's one entry point: a `Command` in, its JSON answer or `{code, message}` out.
#[tauri::command]
async fn rpc(
    app: tauri::State<'_, App>,
    request: serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    causeway_app::dispatch(&app, causeway_app::api::commands::parse(request)?).await
}

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAUSEWAY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let data_dir = causeway_app::default_data_dir();
    let app = match App::open(&data_dir) {
        Ok(app) => app,
        Err(e) => {
            eprintln!(
                "causeway: cannot open {}: {}",
                data_dir.display(),
                e.message
            );
            std::process::exit(1);
        }
    };
    let background = app.clone();
    let moved = Arc::new(AtomicU64::new(0));
    let result = tauri::Builder::default()
        // First: a second launch hands over to the running app and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            desktop::show_main(app)
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        .manage(app)
        .invoke_handler(tauri::generate_handler![rpc])
        .on_window_event(move |window, event| {
            if matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_)) {
                desktop::save_state_soon(window.app_handle(), &moved);
            }
        })
        .setup(move |handle| {
            // One Causeway per data dir (a `causeway serve` on it would poll
            // twice). Taken here, after the single-instance plugin: a second
            // launch of this app hands over instead of meeting the lock.
            let lock = background
                .lock_data_dir()
                .map_err(|e| format!("causeway: {}", e.message))?;
            handle.manage(lock);
            let handle = handle.handle().clone();
            let tray = desktop::tray(&handle);
            tauri::async_runtime::spawn(run_background(background, handle, tray));
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("causeway: the window could not start: {e}");
        std::process::exit(1);
    }
}

/// Processing, the first-run demo, the webhook server, change events, and
/// the tray and notifications.
async fn run_background(app: App, handle: tauri::AppHandle, tray: Option<tauri::tray::TrayIcon>) {
    // The user's manifests when there are some, else the demo's cluster; the
    // team saved in Settings, if any; the demo storm on a lone laptop's
    // first start. A step that fails is logged: the window is open anyway.
    let team = app.team_from_settings();
    let boot = causeway_app::boot::Boot {
        topology: None,
        demo: true,
        team,
        reload: None,
        failures: causeway_app::boot::Failures::Continue,
    };
    match boot.run(&app).await {
        Ok(b) => b
            .topology_warnings
            .iter()
            .for_each(|w| tracing::warn!(warning = %w, "topology")),
        Err(e) => tracing::error!(error = %e.message, "start-up failed"),
    }
    let mut events = app.subscribe();
    let emitter = handle.clone();
    tauri::async_runtime::spawn(async move {
        while let Ok(e) = events.recv().await {
            let _ = emitter.emit("causeway://change", e);
        }
    });
    tauri::async_runtime::spawn(desktop::watch(app.clone(), handle, tray));
    // The port saved in Settings (8787 unless changed), or any free one when
    // it is taken (by a `causeway serve` on the same machine, say).
    let preferred = SocketAddr::from((
        [127, 0, 0, 1],
        causeway_app::config::settings::preferred_port(),
    ));
    let started =
        match causeway_server::start(app.clone(), preferred, None, std::future::pending()).await {
            Ok(r) => Ok(r),
            Err(_) => {
                let any: SocketAddr = "127.0.0.1:0".parse().expect("a valid address");
                causeway_server::start(app, any, None, std::future::pending()).await
            }
        };
    match started {
        Ok(r) => {
            tracing::info!(addr = %r.addr, "webhooks: POST http://{}/webhooks/alertmanager/default", r.addr)
        }
        Err(e) => tracing::error!(error = %e, "the webhook server could not start"),
    }
}
