//! The UI built into the binary: `ui/dist` as build.rs left it, each file
//! gzip-compressed, sent as is to clients that take gzip (all browsers)
//! and unpacked for the others. The ETag is the hash of those bytes, so a
//! browser asks again with `If-None-Match` and gets 304; Vite's hashed
//! `assets/` never change under their name and are cached for a year.

use super::{content_type, NOT_BUILT};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[cfg(feature = "embed-ui")]
#[derive(rust_embed::Embed)]
#[folder = "$CAUSEWAY_UI_EMBED"]
struct Ui;

/// An embedded file: its gzip bytes and their hash.
struct Found {
    gz: std::borrow::Cow<'static, [u8]>,
    hash: [u8; 32],
}

#[cfg(feature = "embed-ui")]
fn get(file: &str) -> Option<Found> {
    Ui::get(file).map(|f| Found {
        hash: f.metadata.sha256_hash(),
        gz: f.data,
    })
}

#[cfg(not(feature = "embed-ui"))]
fn get(_file: &str) -> Option<Found> {
    None
}

/// Whether this binary carries the UI.
pub fn present() -> bool {
    get("index.html").is_some()
}

/// Answers with `file`, else (an app route) with `index.html`.
pub fn serve(file: &str, headers: &HeaderMap) -> Response {
    let (name, found) = match get(file) {
        Some(f) => (file, f),
        None => match get("index.html") {
            Some(f) => ("index.html", f),
            None => return (StatusCode::NOT_FOUND, NOT_BUILT).into_response(),
        },
    };
    let etag = format!(
        "\"{}\"",
        found.hash[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let cache = if name == "index.html" {
        "no-cache"
    } else if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    let mut out = HeaderMap::new();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, v);
    }
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    if takes_gzip(headers) {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return (out, found.gz.into_owned()).into_response();
    }
    let mut plain = Vec::new();
    match std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&*found.gz), &mut plain) {
        Ok(_) => (out, plain).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("embedded UI file unreadable: {e}"),
        )
            .into_response(),
    }
}

/// Whether `Accept-Encoding` admits gzip (and does not refuse it with q=0).
fn takes_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::takes_gzip;
    use axum::http::{header, HeaderMap, HeaderValue};

    #[test]
    fn gzip_is_sent_only_to_clients_that_take_it() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            takes_gzip(&h)
        };
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, GZIP;q=0.5"));
        assert!(with("*"));
        assert!(!with("gzip;q=0"));
        assert!(!with("br, identity"));
        assert!(!takes_gzip(&HeaderMap::new()));
    }
}
