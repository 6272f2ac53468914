//! The web UI: the built `ui/dist` embedded in the binary (or a folder
//! named with `CAUSEWAY_UI_DIR`), and the login-token trade.

#[path = "static_ui_embedded.rs"]
mod embedded;

use crate::auth::COOKIE;
use crate::Ctx;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::path::Component;

#[derive(Deserialize)]
pub struct Login {
    token: Option<String>,
}

pub async fn serve(
    State(ctx): State<Ctx>,
    uri: Uri,
    headers: HeaderMap,
    Query(login): Query<Login>,
) -> Response {
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
    let path = uri.path().trim_start_matches('/');
    let file = if safe_path(path) { path } else { "index.html" };
    match &ctx.ui_dir {
        Some(dir) => from_dir(dir, file).await,
        None => embedded::serve(file, &headers),
    }
}

/// A file of the UI folder named with `--ui-dir` or `CAUSEWAY_UI_DIR` (a UI
/// being worked on); unknown paths are the single-page app's routes.
async fn from_dir(dir: &std::path::Path, file: &str) -> Response {
    let bytes = match tokio::fs::read(dir.join(file)).await {
        Ok(b) => b,
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

/// Whether the binary carries the UI.
pub fn embedded_present() -> bool {
    embedded::present()
}

/// What a binary built without the UI answers.
const NOT_BUILT: &str = "The web UI is not built into this causeway: build it with Node.js \
     installed (the build runs `npm ci && npm run build` in ui/), or point CAUSEWAY_UI_DIR at a built ui/dist.";

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

pub(crate) fn html(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) fn content_type(file: &str) -> &'static str {
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
