//! The HTTP host around [`causeway_app::App`]: the webhook gateway, the UI's
//! JSON API and event stream, `/metrics`, and the web UI itself. Contract:
//! `spec/http-api.md`. The desktop app runs this same router in-process for
//! webhooks.

mod api;
pub mod auth;
mod ingest;
mod static_ui;
mod webhooks;

use axum::routing::{get, post};
use axum::Router;
use causeway_app::App;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// What the handlers share.
#[derive(Clone)]
pub struct Ctx {
    pub app: App,
    pub auth: Arc<auth::Sessions>,
    pub ui_dir: Option<PathBuf>,
}

/// Webhook bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The whole HTTP surface.
pub fn router(ctx: Ctx) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/metrics", get(api::metrics))
        .route(
            "/webhooks/{connector}/{project}",
            post(webhooks::receive).layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/v1/incidents/ingest",
            post(ingest::ingest).layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .nest("/api", api::routes(ctx.clone()))
        .fallback(get(static_ui::serve))
        .with_state(ctx)
}

/// A bound, running server.
pub struct Running {
    pub addr: SocketAddr,
    /// The login token printed in the UI URL.
    pub login_token: String,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The URL a person opens: it trades the token for a session cookie.
    pub fn login_url(&self) -> String {
        format!("http://{}/?token={}", self.addr, self.login_token)
    }
}

/// Binds `listen`, writes the bound address to `DATA_DIR/serve.addr`, and
/// serves until `shutdown` completes.
pub async fn start(
    app: App,
    listen: SocketAddr,
    ui_dir: Option<PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    app.set_base_url(format!("http://{addr}"));
    std::fs::write(app.data_dir().join("serve.addr"), addr.to_string())?;
    let (sessions, login_token) = auth::Sessions::new();
    let ctx = Ctx {
        app,
        auth: Arc::new(sessions),
        ui_dir,
    };
    let task = tokio::spawn(async move {
        axum::serve(listener, router(ctx))
            .with_graceful_shutdown(shutdown)
            .await
    });
    Ok(Running {
        addr,
        login_token,
        task,
    })
}

/// Where the built UI is: `CAUSEWAY_UI_DIR`, else `ui/dist` of this source tree.
pub fn default_ui_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CAUSEWAY_UI_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let built = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist"));
    built.join("index.html").exists().then_some(built)
}
