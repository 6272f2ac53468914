//! The HTTP host around [`causeway_app::App`]: the webhook gateway, the UI's
//! JSON API and event stream, `/metrics`, and the web UI itself. Contract:
//! `docs/http-api.md`. The desktop app runs this same router in-process for
//! webhooks. What guards it, and against whom: `docs/security.md`.

mod accept;
mod api;
pub mod auth;
mod body;
mod errors;
mod guard;
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
    pub guard: Arc<Guard>,
}

/// Who the server answers, beyond loopback.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// Host names (besides IP addresses and `localhost`) the UI and API
    /// answer to: the names a reverse proxy or other machines use.
    pub allowed_hosts: Vec<String>,
    /// Listening beyond loopback: `/metrics` wants a token too.
    pub remote: bool,
}

/// Webhook bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 256 * 1024;
/// API request bodies above this are refused with 413.
pub const API_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The whole HTTP surface.
pub fn router(ctx: Ctx) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/metrics", get(api::metrics))
        .route("/webhooks/{connector}/{project}", post(webhooks::receive))
        .route("/v1/incidents/ingest", post(ingest::ingest))
        .nest("/api", api::routes(ctx.clone()))
        .fallback(get(static_ui::serve))
        .layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            guard::host_and_headers,
        ))
        .with_state(ctx)
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub ui_dir: Option<PathBuf>,
    pub guard: Guard,
}

/// A bound, running server.
pub struct Running {
    pub addr: SocketAddr,
    /// The first login link's token: it opens one browser session.
    pub login_token: String,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The URL a person opens: it trades the token for a session cookie.
    pub fn login_url(&self) -> String {
        login_url(self.addr, &self.login_token)
    }
}

/// `http://ADDR/?token=…`, with a loopback address for a server listening
/// on all of them.
pub fn login_url(addr: SocketAddr, token: &str) -> String {
    format!("http://{}/?token={token}", shown_addr(addr))
}

/// An address a browser on this machine can open.
fn shown_addr(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    }
}

/// Binds `listen` (loopback only), writes the bound address to
/// `DATA_DIR/serve.addr`, and serves until `shutdown` completes.
pub async fn start(
    app: App,
    listen: SocketAddr,
    ui_dir: Option<PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<Running> {
    let options = Options {
        listen,
        ui_dir,
        guard: Guard::default(),
    };
    start_with(app, options, shutdown).await
}

/// [`start`] with every option.
pub async fn start_with(
    app: App,
    options: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let addr = listener.local_addr()?;
    app.set_base_url(format!("http://{}", shown_addr(addr)));
    std::fs::write(
        app.data_dir().join("serve.addr"),
        shown_addr(addr).to_string(),
    )?;
    // Links of an earlier run open nothing; this run's first is printed.
    let store = app.store().clone();
    store
        .write(|c| causeway_store::login_tokens::clear(c))
        .await
        .map_err(std::io::Error::other)?;
    let login_token = tokio::task::spawn_blocking(move || auth::new_login_token(&store, None))
        .await
        .map_err(std::io::Error::other)?
        .map_err(std::io::Error::other)?;
    let ctx = Ctx {
        app,
        auth: Arc::default(),
        ui_dir: options.ui_dir,
        guard: Arc::new(options.guard),
    };
    let task = tokio::spawn(accept::serve(listener, router(ctx), shutdown));
    Ok(Running {
        addr,
        login_token,
        task,
    })
}

/// A UI folder to serve instead of the embedded one: `CAUSEWAY_UI_DIR`; in a
/// build without the embedded UI (the desktop app's), `ui/dist` of this
/// source tree when it was built.
pub fn default_ui_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CAUSEWAY_UI_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if ui_embedded() {
        return None;
    }
    let built = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist"));
    built.join("index.html").exists().then_some(built)
}

/// Whether this binary carries the built web UI.
pub fn ui_embedded() -> bool {
    static_ui::embedded_present()
}
