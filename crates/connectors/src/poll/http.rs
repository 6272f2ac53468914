//! One HTTP request of a poll, done patiently: the instance's rate limit,
//! a timeout, retries with backoff and jitter for what may heal, the
//! upstream's Retry-After and rate-limit headers honoured, and every failure
//! classed (retry / ignore / fail / needs re-auth) with a message a person
//! understands. Secrets put into a request are scrubbed from everything
//! that leaves here: messages, the dry run's record, `Debug`.

use super::settings::RunSettings;
use crate::runtime::{ErrorClass, Stop};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request as rendered. `secrets` are the values to scrub from anything shown.
#[derive(Clone, Default)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub secrets: Vec<String>,
}

impl Request {
    pub fn get(url: impl Into<String>) -> Request {
        Request {
            method: "GET".into(),
            url: url.into(),
            ..Default::default()
        }
    }

    /// `text` with every secret of this request replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }

    /// The URL as it may be shown.
    pub fn shown_url(&self) -> String {
        self.redact(&self.url)
    }
}

/// Replaces every non-empty secret in `text` (also URL-encoded) with `***`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s.as_str(), "***");
        let enc: String = url_encode(s);
        if enc != *s {
            out = out.replace(&enc, "***");
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for
/// query strings and form bodies alike).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.shown_url())
    }
}

/// A response with its body read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Names lower-cased.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub latency: Duration,
}

/// Why a request (after its retries) did not give a usable response.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchError {
    pub class: ErrorClass,
    /// For a person; names the URL without secrets, never a credential.
    pub message: String,
    pub status: Option<u16>,
    /// The upstream asked us to wait this long (Retry-After, rate-limit reset).
    pub retry_after: Option<Duration>,
    /// The raw body of an unusable response, kept for dead letters.
    pub body: Option<Vec<u8>>,
}

impl FetchError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> FetchError {
        FetchError {
            class,
            message: message.into(),
            status: None,
            retry_after: None,
            body: None,
        }
    }
}

/// One request and its answer as the dry run shows them (secrets scrubbed).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// The first 4 KB of the answer, or the error.
    pub response: String,
}

/// Per-instance pacing: at most N requests a minute, and a pause when the
/// upstream says its quota is spent.
#[derive(Debug, Default)]
pub struct Pacer {
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// Waits for this instance's next slot, then claims it.
    pub async fn wait(&self, per_minute: u32) {
        let wait = {
            let Ok(mut next) = self.next.lock() else {
                return;
            };
            let now = Instant::now();
            let at = next.filter(|t| *t > now).unwrap_or(now);
            let spacing = if per_minute == 0 {
                Duration::ZERO
            } else {
                Duration::from_secs(60) / per_minute
            };
            *next = Some(at + spacing);
            at - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Holds every request back until `d` from now.
    pub fn pause(&self, d: Duration) {
        if let Ok(mut next) = self.next.lock() {
            let until = Instant::now() + d;
            if next.is_none_or(|t| t < until) {
                *next = Some(until);
            }
        }
    }
}

/// Everything a fetch needs besides the request.
#[derive(Clone)]
pub struct Fetcher {
    pub client: reqwest::Client,
    pub settings: RunSettings,
    pub pacer: Arc<Pacer>,
    /// Status → class overrides from the descriptor (`{"404": "ignore"}`).
    pub overrides: BTreeMap<u16, ErrorClass>,
    /// When set, every exchange is recorded here (the dry run).
    pub record: Option<Arc<Mutex<Vec<Exchange>>>>,
}

/// A wait the upstream asks for beyond this ends the poll instead of
/// holding it open; the next poll is scheduled after it.
const LONGEST_IN_POLL_WAIT: Duration = Duration::from_secs(120);

impl Fetcher {
    /// Sends `req`, retrying what may heal, until a usable response or a
    /// classed error. A stop during a backoff ends it (nothing was taken
    /// from that request, so nothing is lost).
    pub async fn fetch(&self, req: &Request, stop: &mut Stop) -> Result<Response, FetchError> {
        let mut attempt = 0u32;
        loop {
            self.pacer.wait(self.settings.requests_per_minute).await;
            let result = self.once(req).await;
            let err = match result {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            attempt += 1;
            if err.class != ErrorClass::Retry || attempt > self.settings.max_retries {
                return Err(err);
            }
            let wait = match err.retry_after {
                Some(w) if w > LONGEST_IN_POLL_WAIT => return Err(err),
                Some(w) => w,
                None => self.settings.retry.delay(attempt),
            };
            tracing::debug!(url = %req.shown_url(), attempt, wait_ms = wait.as_millis() as u64, error = %err.message, "retrying");
            if !stop.sleep(wait).await {
                return Err(err);
            }
        }
    }

    async fn once(&self, req: &Request) -> Result<Response, FetchError> {
        let started = Instant::now();
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|_| {
            FetchError::new(
                ErrorClass::Fail,
                format!("'{}' is not an HTTP method", req.method),
            )
        })?;
        let mut b = self
            .client
            .request(method, &req.url)
            .timeout(self.settings.request_timeout);
        for (k, v) in &req.headers {
            b = b.header(k, v);
        }
        if let Some(body) = &req.body {
            b = b.body(body.clone());
        }
        let sent = b.send().await;
        let outcome = match sent {
            Err(e) => Err(self.transport_error(req, &e)),
            Ok(r) => {
                let status = r.status().as_u16();
                let headers: BTreeMap<String, String> = r
                    .headers()
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((k.as_str().to_string(), v.to_str().ok()?.to_string()))
                    })
                    .collect();
                match self.read_body(req, r).await {
                    Err(e) => Err(e),
                    Ok(body) => Ok(Response {
                        status,
                        headers,
                        body,
                        latency: started.elapsed(),
                    }),
                }
            }
        };
        let outcome = outcome.and_then(|r| self.check_status(req, r));
        self.note(req, &outcome, started.elapsed());
        outcome
    }

    /// The answer's body, read a chunk at a time up to the instance's
    /// `maxResponseBytes`: an upstream that sends more (or says it will)
    /// fails the poll with a message, never takes the memory.
    async fn read_body(
        &self,
        req: &Request,
        mut r: reqwest::Response,
    ) -> Result<Vec<u8>, FetchError> {
        let max = self.settings.max_response_bytes;
        let too_big = || {
            FetchError::new(
                ErrorClass::Fail,
                format!(
                    "{} {}: the answer is over {} MB, the most Causeway reads; ask for smaller pages, \
                     or raise maxResponseBytes in the instance's settings",
                    req.method,
                    req.shown_url(),
                    max / (1024 * 1024)
                ),
            )
        };
        if r.content_length().is_some_and(|n| n > max) {
            return Err(too_big());
        }
        let mut body = Vec::new();
        loop {
            match r.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > max {
                        return Err(too_big());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => return Err(self.transport_error(req, &e)),
            }
        }
    }

    /// Honours rate-limit headers and turns unusable statuses into errors.
    fn check_status(&self, req: &Request, r: Response) -> Result<Response, FetchError> {
        if let Some(d) = quota_reset(&r.headers) {
            self.pacer.pause(d.min(Duration::from_secs(3600)));
        }
        let status = r.status;
        if (200..300).contains(&status) || status == 304 {
            return Ok(r);
        }
        let class = self
            .overrides
            .get(&status)
            .copied()
            .unwrap_or_else(|| class_of_status(status));
        if class == ErrorClass::Ignore {
            return Ok(Response {
                status: 204,
                body: Vec::new(),
                ..r
            });
        }
        let retry_after = retry_after(&r.headers);
        if let Some(d) = retry_after {
            self.pacer.pause(d.min(Duration::from_secs(3600)));
        }
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let what = match class {
            ErrorClass::NeedsReauth => {
                "the credentials were refused (expired or revoked?): authorise the connector again"
            }
            ErrorClass::Retry if status == 429 => {
                "rate limited by the upstream; waiting as it asks"
            }
            ErrorClass::Retry => "the upstream is failing; retrying with backoff",
            _ if status == 403 => "forbidden: the credentials lack a permission this needs",
            _ if status == 404 => {
                "not found: check the base URL and the settings that go into the path"
            }
            _ => "the upstream refused the request",
        };
        Err(FetchError {
            class,
            message: format!(
                "{} {}: HTTP {status} {reason} — {what}{}",
                req.method,
                req.shown_url(),
                upstream_hint(req, &r.body)
            ),
            status: Some(status),
            retry_after,
            body: Some(r.body),
        })
    }

    /// A transport failure, told apart: DNS, refused, TLS, timeout.
    fn transport_error(&self, req: &Request, e: &reqwest::Error) -> FetchError {
        let chain = req.redact(&error_chain(e));
        let host = reqwest::Url::parse(&req.url)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
            })
            .unwrap_or_else(|| req.shown_url());
        let lower = chain.to_ascii_lowercase();
        let (class, text) = if e.is_redirect() {
            (
                ErrorClass::Fail,
                format!(
                    "{host} redirected to another origin; Causeway does not follow such redirects, \
                     so credentials never go to a host they were not meant for: set the URL to where it points ({chain})"
                ),
            )
        } else if e.is_timeout() {
            (
                ErrorClass::Retry,
                format!(
                    "no answer from {host} within {} ms (request timeout); retrying with backoff",
                    self.settings.request_timeout.as_millis()
                ),
            )
        } else if lower.contains("dns error")
            || lower.contains("failed to lookup")
            || lower.contains("name or service not known")
        {
            (
                ErrorClass::Retry,
                format!("cannot resolve the host name of {host} (DNS): check the URL; retrying in case the network is down ({chain})"),
            )
        } else if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake")
            || lower.contains("corrupt message")
            || lower.contains("invalidcontenttype")
        {
            (
                ErrorClass::Fail,
                format!("TLS with {host} failed: check that the URL's scheme (https/http) matches the server and that its certificate is valid for that name ({chain})"),
            )
        } else if lower.contains("connection refused") {
            (
                ErrorClass::Retry,
                format!("{host} refused the connection: is the service running and the port right? Retrying with backoff"),
            )
        } else if e.is_builder() || e.is_request() && reqwest::Url::parse(&req.url).is_err() {
            (
                ErrorClass::Fail,
                format!("the URL {} is not usable ({chain})", req.shown_url()),
            )
        } else {
            (
                ErrorClass::Retry,
                format!("cannot reach {host}: {chain}; retrying with backoff"),
            )
        };
        FetchError::new(class, format!("{} {}: {text}", req.method, req.shown_url()))
    }

    fn note(&self, req: &Request, outcome: &Result<Response, FetchError>, took: Duration) {
        let Some(record) = &self.record else { return };
        let (status, response) = match outcome {
            Ok(r) => (
                Some(r.status),
                req.redact(&String::from_utf8_lossy(&r.body[..r.body.len().min(4096)])),
            ),
            Err(e) => (e.status, e.message.clone()),
        };
        let ex = Exchange {
            method: req.method.clone(),
            url: req.shown_url(),
            headers: req
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), req.redact(v)))
                .collect(),
            body: req
                .body
                .as_ref()
                .map(|b| req.redact(&String::from_utf8_lossy(b))),
            status,
            latency_ms: took.as_millis() as u64,
            response,
        };
        if let Ok(mut r) = record.lock() {
            r.push(ex);
        }
    }
}

/// The class a status falls into unless the descriptor says otherwise.
pub fn class_of_status(status: u16) -> ErrorClass {
    match status {
        401 => ErrorClass::NeedsReauth,
        408 | 425 | 429 | 500..=599 => ErrorClass::Retry,
        _ => ErrorClass::Fail,
    }
}

/// A short, secret-free reason from an error body (`{"message": …}`,
/// `{"error": …}`, `{"errors": [...]}`), so a person sees what the upstream said.
fn upstream_hint(req: &Request, body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    let pick = |v: &serde_json::Value| -> Option<String> {
        for k in [
            "error_description",
            "message",
            "error",
            "errorMessages",
            "errors",
            "detail",
            "title",
        ] {
            match v.get(k) {
                Some(serde_json::Value::String(s)) if !s.is_empty() => return Some(s.clone()),
                Some(serde_json::Value::Array(a)) if !a.is_empty() => {
                    return Some(a[0].to_string())
                }
                Some(serde_json::Value::Object(o)) => {
                    if let Some(serde_json::Value::String(s)) = o.get("message") {
                        return Some(s.clone());
                    }
                }
                _ => {}
            }
        }
        None
    };
    match pick(&v) {
        Some(s) => {
            let s: String = s.chars().take(200).collect();
            format!(" (upstream says: {})", req.redact(&s))
        }
        None => String::new(),
    }
}

/// `e` and its causes, joined.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(h: &BTreeMap<String, String>) -> Option<Duration> {
    let v = h.get("retry-after")?.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// How long until the quota resets, when the upstream says it is spent:
/// `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset` (epoch seconds, or
/// seconds from now) or the IETF `RateLimit-Remaining` / `RateLimit-Reset`.
pub fn quota_reset(h: &BTreeMap<String, String>) -> Option<Duration> {
    let remaining = h
        .get("x-ratelimit-remaining")
        .or_else(|| h.get("ratelimit-remaining"))?
        .trim()
        .parse::<f64>()
        .ok()?;
    if remaining > 0.0 {
        return None;
    }
    let reset = h
        .get("x-ratelimit-reset")
        .or_else(|| h.get("ratelimit-reset"))?
        .trim()
        .parse::<f64>()
        .ok()?;
    let now = chrono::Utc::now().timestamp() as f64;
    let secs = if reset > 1e9 { reset - now } else { reset };
    Some(Duration::from_secs_f64(secs.clamp(0.0, 3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_fall_into_classes() {
        assert_eq!(class_of_status(401), ErrorClass::NeedsReauth);
        assert_eq!(class_of_status(429), ErrorClass::Retry);
        assert_eq!(class_of_status(503), ErrorClass::Retry);
        assert_eq!(class_of_status(404), ErrorClass::Fail);
        assert_eq!(class_of_status(400), ErrorClass::Fail);
    }

    #[test]
    fn rate_limit_headers_are_read() {
        let h = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            retry_after(&h(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            quota_reset(&h(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "30")
            ])),
            Some(Duration::from_secs(30))
        );
        let soon = (chrono::Utc::now().timestamp() + 20).to_string();
        let d = quota_reset(&h(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &soon),
        ]))
        .unwrap();
        assert!(
            d <= Duration::from_secs(20) && d >= Duration::from_secs(18),
            "{d:?}"
        );
        assert_eq!(
            quota_reset(&h(&[
                ("x-ratelimit-remaining", "5"),
                ("x-ratelimit-reset", "30")
            ])),
            None
        );
    }

    #[test]
    fn secrets_are_scrubbed_plain_and_url_encoded() {
        let s = vec!["p@ss word".to_string()];
        assert_eq!(redact("a=p@ss word&b=p%40ss%20word", &s), "a=***&b=***");
        let r = Request {
            url: "https://x/?k=p@ss word".into(),
            secrets: s,
            ..Request::get("")
        };
        assert_eq!(format!("{r:?}"), "GET https://x/?k=***");
    }
}
