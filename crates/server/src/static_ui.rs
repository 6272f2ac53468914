//! The web UI: files from the built `ui/dist`, and the login-token trade.

use crate::auth::COOKIE;
use crate::Ctx;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::path::Component;

#[derive(Deserialize)]
pub struct Login {
    token: Option<String>,
}

pub async fn serve(State(ctx): State<Ctx>, uri: Uri, Query(login): Query<Login>) -> Response {
    if let Some(token) = login.token {
        let Some(session) = ctx.auth.login(ctx.app.store(), &token).await else {
            return (
                StatusCode::UNAUTHORIZED,
                "This login link was used already, or is not one of this server's: \
                 run `causeway login` for a new one (each link opens one session).",
            )
                .into_response();
        };
        // The link's token is spent; the cookie holds a session id, and
        // the address bar loses the token.
        let cookie = format!(
            "{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
            crate::auth::LONGEST.as_secs()
        );
        return (
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, cookie),
                (header::LOCATION, "/".to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
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
    let file = if safe_path(path) { path } else { "index.html" };
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

/// Whether `path` (the URL path without its leading `/`) names a file inside
/// the UI folder: only normal components (no root, no drive or UNC prefix,
/// no `.` or `..`), none hidden, and no `:` or `\\` anywhere, so that
/// `C:/…` or `C:\\…` cannot replace the folder on Windows whatever OS
/// this was built on.
fn safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains([':', '\\'])
        && std::path::Path::new(path).components().all(|c| match c {
            Component::Normal(p) => !p.to_string_lossy().starts_with('.'),
            _ => false,
        })
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

#[cfg(test)]
mod tests {
    use super::safe_path;

    #[test]
    fn only_plain_relative_paths_name_ui_files() {
        for ok in ["index.html", "assets/index-abc.js", "favicon.svg"] {
            assert!(safe_path(ok), "{ok}");
        }
        for no in [
            "",
            "C:/Windows/win.ini",
            "c:/Users/me/.ssh/id_rsa",
            "C:\\Windows\\win.ini",
            "assets/C:/x",
            "//server/share/x",
            "/etc/passwd",
            "../etc/passwd",
            "assets/../../etc/passwd",
            "./index.html",
            ".env",
            "assets/.hidden",
            "index.html::$DATA",
        ] {
            assert!(!safe_path(no), "{no}");
        }
    }
}
