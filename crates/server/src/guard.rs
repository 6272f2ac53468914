//! What a web page in the user's browser must not be able to do with this
//! server: reach the UI and API under a name of its own (DNS rebinding), or
//! send a request the user's session would authorize (CSRF). And the
//! headers that keep the UI from being framed, sniffed or scripted.

use crate::Ctx;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use causeway_app::Code;
use std::net::IpAddr;

/// The web UI's content security policy: its own scripts, styles (React
/// Flow sets inline styles), workers and API only; never framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; worker-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A refused request: its status and `{code, message}`.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        crate::api::refusal(self.status, self.code, self.message)
    }
}

fn refuse(status: StatusCode, code: Code, message: String) -> Refusal {
    Refusal {
        status,
        code,
        message,
    }
}

/// The host name of a `Host` value (`name`, `name:port`, `[v6]:port`),
/// lower case, without a trailing dot.
fn host_name(value: &str) -> Option<String> {
    let v = value.trim();
    let name = if let Some(rest) = v.strip_prefix('[') {
        rest.split(']').next()?
    } else {
        match v.rsplit_once(':') {
            Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => v,
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some(name)
}

/// Whether a request to this server may carry this `Host`: an IP address
/// (a page cannot make a browser send one of ours under its origin),
/// `localhost`, or a name given with `--allowed-host`. DNS rebinding needs
/// the attacker's own name in `Host`, which is none of these.
pub fn host_allowed(host: Option<&str>, allowed: &[String]) -> bool {
    let Some(name) = host.and_then(host_name) else {
        return false;
    };
    name.parse::<IpAddr>().is_ok() || name == "localhost" || allowed.contains(&name)
}

/// Checks `Host` on everything but the webhook gateway and the ingest API
/// (machines that send with credentials of their own, under whatever name
/// they were given), and adds the security headers to every answer.
pub async fn host_and_headers(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let machine = path.starts_with("/webhooks/") || path == "/v1/incidents/ingest";
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let mut resp = if machine || host_allowed(host, &ctx.guard.allowed_hosts) {
        next.run(req).await
    } else {
        let shown: String = host.unwrap_or("").chars().take(80).collect();
        refuse(
            StatusCode::MISDIRECTED_REQUEST,
            Code::Forbidden,
            format!(
                "this server does not answer to the name '{shown}': open it as 127.0.0.1 or localhost, \
                 or start it with --allowed-host NAME for a name of your own"
            ),
        )
        .into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !machine {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    resp
}

/// A request authorized by the session cookie must come from the UI itself:
/// a state-changing one carries `Origin` naming this server (browsers send
/// it on every POST, PATCH and DELETE, and `SameSite` does not tell two
/// ports of 127.0.0.1 apart), is not marked cross-site by `Sec-Fetch-Site`,
/// and sends JSON (`text/plain` and form bodies are what a page can send
/// cross-origin without asking). `Err` is the refusal.
pub fn same_origin(method: &Method, headers: &HeaderMap) -> Result<(), Refusal> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let forbid = |why: &str| {
        Err(refuse(
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            format!("{why}: a signed-in request must come from the Causeway UI itself"),
        ))
    };
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if text(header::HeaderName::from_static("sec-fetch-site")).is_some_and(|s| s != "same-origin") {
        return forbid("the browser says the request is cross-site");
    }
    let Some(origin) = text(header::ORIGIN) else {
        return forbid("the request has no Origin");
    };
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let host = text(header::HOST);
    if authority.is_none() || authority != host {
        return forbid("the request comes from another origin");
    }
    let sends_body = text(header::CONTENT_LENGTH).is_some_and(|n| n.trim() != "0")
        || headers.contains_key(header::TRANSFER_ENCODING);
    let json = text(header::CONTENT_TYPE)
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if sends_body && !json {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            "the API takes application/json".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_names_this_server_has() {
        let mine = vec!["causeway.internal".to_string()];
        for ok in [
            "127.0.0.1:8787",
            "localhost:8787",
            "LOCALHOST",
            "[::1]:8787",
            "10.0.0.5",
            "causeway.internal:443",
            "causeway.internal.",
        ] {
            assert!(host_allowed(Some(ok), &mine), "{ok}");
        }
        for no in [
            "evil.example",
            "evil.example:8787",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "",
        ] {
            assert!(!host_allowed(Some(no), &mine), "{no}");
        }
        assert!(!host_allowed(None, &mine));
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn only_the_ui_itself_may_change_things_with_the_cookie() {
        let ui = [
            ("host", "127.0.0.1:8787"),
            ("origin", "http://127.0.0.1:8787"),
            ("content-type", "application/json"),
            ("content-length", "2"),
        ];
        assert!(same_origin(&Method::POST, &headers(&ui)).is_ok());
        assert!(same_origin(
            &Method::GET,
            &headers(&[("origin", "https://evil.example")])
        )
        .is_ok());
        let other_port = [
            ("host", "127.0.0.1:8787"),
            ("origin", "http://127.0.0.1:9999"),
            ("content-type", "text/plain"),
            ("content-length", "40"),
        ];
        let r = same_origin(&Method::POST, &headers(&other_port)).unwrap_err();
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let no_origin = [("host", "127.0.0.1:8787")];
        assert!(same_origin(&Method::DELETE, &headers(&no_origin)).is_err());
        let text = [
            ("host", "127.0.0.1:8787"),
            ("origin", "http://127.0.0.1:8787"),
            ("content-type", "text/plain"),
            ("content-length", "40"),
        ];
        let r = same_origin(&Method::POST, &headers(&text)).unwrap_err();
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let mut cross = ui.to_vec();
        cross.push(("sec-fetch-site", "same-site"));
        assert!(same_origin(&Method::POST, &headers(&cross)).is_err());
    }
}
