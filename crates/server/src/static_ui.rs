//! The web UI: files from the built `ui/dist`, and the login-token trade.

use crate::auth::COOKIE;
use crate::Ctx;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Login {
    token: Option<String>,
}

pub async fn serve(State(ctx): State<Ctx>, uri: Uri, Query(login): Query<Login>) -> Response {
    if let Some(token) = login.token {
        if !ctx.auth.is_login(&token) {
            return (
                StatusCode::UNAUTHORIZED,
                "This login link is not valid for this run: open the one `causeway serve` printed last.",
            )
                .into_response();
        }
        // Trade the token for a cookie and drop it from the address bar.
        let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
        return (
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, cookie),
                (header::LOCATION, "/".to_string()),
            ],
        )
            .into_response();
    }
    let Some(dir) = &ctx.ui_dir else {
        return (
            StatusCode::NOT_FOUND,
            "The web UI is not built: run `npm ci && npm run build` in ui/, or set CAUSEWAY_UI_DIR.",
        )
            .into_response();
    };
    let path = uri.path().trim_start_matches('/');
    // Only plain relative paths: no `..`, no absolute or hidden parts.
    let safe = path
        .split('/')
        .all(|p| !p.is_empty() && !p.starts_with('.') && !p.contains('\\'));
    let file = if path.is_empty() || !safe {
        "index.html"
    } else {
        path
    };
    let bytes = match tokio::fs::read(dir.join(file)).await {
        Ok(b) => b,
        // Unknown paths are the single-page app's routes.
        Err(_) => match tokio::fs::read(dir.join("index.html")).await {
            Ok(b) => return html(b),
            Err(e) => {
                return (
                    StatusCode::NOT_FOUND,
                    format!("UI not found in {}: {e}", dir.display()),
                )
                    .into_response()
            }
        },
    };
    if file == "index.html" {
        return html(bytes);
    }
    ([(header::CONTENT_TYPE, content_type(file))], bytes).into_response()
}

fn html(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response()
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}
