//! The descriptor poller: runs a descriptor's `polling` streams with no
//! code of the connector's own.
//!
//! Per stream and poll: render the request (`since`, `pageToken`, …),
//! send it with the instance's credentials, page through the answer with a
//! page cap and a repeated-token guard, skip items whose version hash did
//! not change, commit each page's new or changed items to the inbox with
//! their hashes, and only then advance the stream's checkpoint (delta,
//! ETag / Last-Modified). A poll cut short leaves the checkpoint where it
//! was; the pages it committed are not published again, thanks to the hashes.

use super::auth::Authorizer;
use super::http::{FetchError, Request, Response};
use super::spec::{Delta, Pagination, PollingSpec, SinceFormat, StreamSpec};
use super::{PollOutcome, PollRun, Poller};
use crate::runtime::{BoxFuture, Commit, ErrorClass, ItemVersion, Payload};
use causeway_core::hash::short_hex;
use chrono::{DateTime, Utc};
use minijinja::{Environment, UndefinedBehavior};
use serde_json::{json, Value};
use serde_json_path::JsonPath;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The inbox header naming the stream a page came from.
pub const STREAM_HEADER: &str = "x-causeway-stream";

/// Polls a descriptor's streams.
pub struct DescriptorPoller {
    pub descriptor_id: String,
    pub spec: PollingSpec,
}

fn fail(message: impl Into<String>) -> FetchError {
    FetchError::new(ErrorClass::Fail, message)
}

/// The template environment, built once: it holds only settings (no
/// templates are added to it), and every request of every page renders
/// several templates.
fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut e = Environment::new();
        e.set_undefined_behavior(UndefinedBehavior::Chainable);
        // A variable with no value yet (the first poll's `sinceId`,
        // `deltaToken`, the first page's `pageToken`) renders as nothing, so
        // its query parameter is left out — never sent as the word "none".
        e.set_formatter(|out, state, value| {
            let value = if value.is_none() {
                &minijinja::Value::UNDEFINED
            } else {
                value
            };
            minijinja::escape_formatter(out, state, value)
        });
        e
    })
}

/// Renders a template over `vars`.
pub fn render(template: &str, vars: &Value) -> Result<String, String> {
    env()
        .render_str(template, vars)
        .map_err(|e| format!("template '{template}': {e}"))
}

fn path(p: &str) -> Result<JsonPath, FetchError> {
    JsonPath::parse(p).map_err(|e| fail(format!("invalid JSONPath {p}: {e}")))
}

/// A path parsed ahead of its use, or the error its parse gave — raised
/// (`?`) where the path is used, as when it was parsed there.
type Parsed = Option<Result<JsonPath, FetchError>>;

fn parsed(p: &Parsed) -> Result<Option<&JsonPath>, FetchError> {
    p.as_ref()
        .map(|r| r.as_ref().map_err(Clone::clone))
        .transpose()
}

/// A stream's JSONPaths, parsed once per stream rather than per page or
/// per item. The items, key and version paths fail the stream up front;
/// the others are kept as [`Parsed`], so a bad one fails at the same point
/// and with the same text as if it were parsed where it is used.
struct Paths {
    items: JsonPath,
    key: JsonPath,
    versions: Vec<JsonPath>,
    /// A timestamp or since-id delta's `itemPath`, read per item.
    delta_item: Parsed,
    /// A token delta's `path`, read per page.
    delta_token: Parsed,
    /// The answer-error `path`, read per page.
    answer_error: Parsed,
    /// Offset pagination's `totalPath`.
    total: Parsed,
    /// Cursor pagination's `cursorPath` and `hasMorePath`.
    cursor: Parsed,
    has_more: Parsed,
}

impl Paths {
    fn new(spec: &PollingSpec, stream: &StreamSpec) -> Result<Paths, FetchError> {
        let items = path(&stream.items_path)?;
        let key = path(&stream.item_key)?;
        let versions = stream
            .version_fields
            .iter()
            .map(|p| path(p))
            .collect::<Result<_, _>>()?;
        let (delta_item, delta_token) = match &stream.delta {
            Some(Delta::Timestamp { item_path, .. } | Delta::SinceId { item_path }) => {
                (Some(path(item_path)), None)
            }
            Some(Delta::Token { path: p }) => (None, Some(path(p))),
            Some(Delta::Cursor) | None => (None, None),
        };
        let (total, cursor, has_more) = match &stream.pagination {
            Some(Pagination::Offset { total_path, .. }) => {
                (total_path.as_deref().map(path), None, None)
            }
            Some(Pagination::Cursor {
                cursor_path,
                has_more_path,
            }) => (
                None,
                Some(path(cursor_path)),
                has_more_path.as_deref().map(path),
            ),
            _ => (None, None, None),
        };
        Ok(Paths {
            items,
            key,
            versions,
            delta_item,
            delta_token,
            answer_error: spec.answer_error.as_ref().map(|a| path(&a.path)),
            total,
            cursor,
            has_more,
        })
    }
}

impl Poller for DescriptorPoller {
    fn defaults(&self) -> (Duration, u32) {
        (
            Duration::from_secs(self.spec.interval_seconds),
            self.spec.requests_per_minute,
        )
    }

    fn overrides(&self) -> BTreeMap<u16, ErrorClass> {
        self.spec
            .errors
            .iter()
            .filter_map(|(k, v)| Some((k.parse().ok()?, *v)))
            .collect()
    }

    fn poll<'a>(&'a self, run: &'a mut PollRun) -> BoxFuture<'a, Result<PollOutcome, FetchError>> {
        Box::pin(async move {
            let mut checkpoint = run.checkpoint().await?.unwrap_or_else(|| json!({}));
            let mut total = PollOutcome::default();
            let config = run.ctx.instance.config.clone();
            let template: super::auth::Template =
                Arc::new(move |t: &str| render(t, &json!({ "config": config })));
            // One per poll, shared by its streams: it keeps the secrets it read.
            let auth = Authorizer::new(self.spec.auth.list(), template);
            for stream in &self.spec.streams {
                let prev = checkpoint["streams"][&stream.name].clone();
                let (o, next) = self.stream(run, &auth, stream, &prev).await?;
                total.fetched += o.fetched;
                total.published += o.published;
                total.skipped += o.skipped;
                if next != prev {
                    checkpoint["streams"][&stream.name] = next;
                    // Every page of this stream is committed: now, and only
                    // now, the checkpoint moves.
                    run.commit(Commit {
                        checkpoint: Some(checkpoint.clone()),
                        ..Default::default()
                    })
                    .await?;
                }
            }
            Ok(total)
        })
    }
}

/// Where one stream stands between polls.
#[derive(Default)]
struct Progress {
    newest_time: Option<DateTime<Utc>>,
    largest_id: Option<i64>,
    last_cursor: Option<String>,
    delta_token: Option<String>,
}

impl DescriptorPoller {
    fn vars(&self, run: &PollRun, prev: &Value, stream: &StreamSpec) -> Value {
        let mut since = Value::Null;
        let mut since_id = Value::Null;
        let mut delta_token = Value::Null;
        let mut page_token = Value::Null;
        match &stream.delta {
            Some(Delta::Timestamp {
                look_back_seconds,
                initial_look_back_seconds,
                format,
                ..
            }) => {
                let base = prev["since"]
                    .as_str()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc) - chrono::Duration::seconds(*look_back_seconds))
                    .unwrap_or_else(|| {
                        Utc::now() - chrono::Duration::seconds(*initial_look_back_seconds)
                    });
                since = Value::String(format_since(base, *format));
            }
            Some(Delta::SinceId { .. }) => since_id = prev["sinceId"].clone(),
            Some(Delta::Token { .. }) => delta_token = prev["token"].clone(),
            Some(Delta::Cursor) => page_token = prev["cursor"].clone(),
            None => {}
        }
        json!({
            "config": run.ctx.instance.config,
            "since": since,
            "sinceId": since_id,
            "deltaToken": delta_token,
            "pageToken": page_token,
            "offset": 0,
            "page": 1,
            "limit": 0,
            "now": Utc::now().to_rfc3339(),
        })
    }

    fn request(
        &self,
        stream: &StreamSpec,
        vars: &Value,
        link: Option<&str>,
    ) -> Result<Request, FetchError> {
        let r = |t: &str| render(t, vars).map_err(fail);
        let url = match link {
            Some(l) => l.to_string(),
            None => {
                let base = r(&self.spec.base_url)?;
                let base = base.trim_end_matches('/');
                if base.is_empty() {
                    return Err(fail("no base URL: set the connector's baseUrl"));
                }
                let mut url =
                    reqwest::Url::parse(&format!("{base}{}", r(&stream.request.path)?))
                        .map_err(|e| fail(format!("the URL is not usable ({e}): check baseUrl")))?;
                for (k, t) in &stream.request.query {
                    let v = r(t)?;
                    if !v.is_empty() {
                        url.query_pairs_mut().append_pair(k, &v);
                    }
                }
                url.to_string()
            }
        };
        let mut headers = vec![("accept".to_string(), "application/json".to_string())];
        for (k, t) in self.spec.headers.iter().chain(&stream.request.headers) {
            headers.push((k.to_ascii_lowercase(), r(t)?));
        }
        let body = match &stream.request.body {
            Some(t) => {
                headers.push(("content-type".into(), "application/json".into()));
                Some(r(t)?.into_bytes())
            }
            None => None,
        };
        Ok(Request {
            method: stream.request.method.to_ascii_uppercase(),
            url,
            headers,
            body,
            secrets: Vec::new(),
        })
    }

    /// One stream of one poll: every page, then the stream's next checkpoint.
    async fn stream(
        &self,
        run: &mut PollRun,
        auth: &Authorizer,
        stream: &StreamSpec,
        prev: &Value,
    ) -> Result<(PollOutcome, Value), FetchError> {
        let paths = Paths::new(&self.spec, stream)?;
        let mut vars = self.vars(run, prev, stream);
        let mut out = PollOutcome::default();
        let mut progress = Progress::default();
        let mut seen_tokens: BTreeSet<String> = BTreeSet::new();
        let mut link: Option<String> = None;
        let mut offset = 0u64;
        let mut page = match &stream.pagination {
            Some(Pagination::Page { start, .. }) => *start,
            _ => 1,
        };
        let mut next = prev.clone();
        if !next.is_object() {
            next = json!({});
        }
        let max_pages = run.fetcher.settings.max_pages;
        for n in 0..max_pages {
            if let Some(Pagination::Offset { limit, .. } | Pagination::Page { limit, .. }) =
                &stream.pagination
            {
                vars["limit"] = json!(limit);
            }
            vars["offset"] = json!(offset);
            vars["page"] = json!(page);
            let mut req = self.request(stream, &vars, link.as_deref())?;
            // Conditional requests on the first page only: that is what the
            // upstream's validators describe.
            if n == 0 && !run.dry {
                if let Some(e) = prev["etag"].as_str() {
                    req.headers.push(("if-none-match".into(), e.into()));
                }
                if let Some(m) = prev["lastModified"].as_str() {
                    req.headers.push(("if-modified-since".into(), m.into()));
                }
            }
            let req = auth.apply(&run.ctx, &run.fetcher, req).await?;
            let mut stop = run.ctx.stop.clone();
            let resp = run.fetcher.fetch(&req, &mut stop).await?;
            if resp.status == 304 {
                return Ok((out, next));
            }
            if n == 0 {
                for (h, k) in [("etag", "etag"), ("last-modified", "lastModified")] {
                    if let Some(v) = resp.headers.get(h) {
                        next[k] = json!(v);
                    }
                }
            }
            let body: Value = if resp.body.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&resp.body).map_err(|e| FetchError {
                    class: ErrorClass::Fail,
                    message: format!(
                        "{} {}: the answer is not JSON ({e}); kept in dead letters as it came",
                        req.method,
                        req.shown_url()
                    ),
                    status: None,
                    retry_after: None,
                    body: Some(resp.body.clone()),
                })?
            };
            if let Some(e) = self.answer_error(&paths, &body, &req, resp.status)? {
                if e.class == ErrorClass::Ignore {
                    return Ok((out, prev.clone()));
                }
                return Err(e);
            }
            let items: Vec<Value> = paths
                .items
                .query(&body)
                .all()
                .into_iter()
                .cloned()
                .collect();
            if !body.is_null() && items.is_empty() && n == 0 && !items_path_may_be_empty(&body) {
                return Err(fail(format!(
                    "{} {}: the answer has no items at {} — unexpected shape (is this the right API?)",
                    req.method,
                    req.shown_url(),
                    stream.items_path
                )));
            }
            out.fetched += items.len() as u64;
            self.publish(run, stream, &paths, &items, &mut progress, &mut out)
                .await?;
            if run.dry {
                break;
            }
            if let Some(p) = parsed(&paths.delta_token)? {
                if let Some(t) = p.query(&body).first().and_then(text) {
                    progress.delta_token = Some(t);
                }
            }
            // The next page, if any.
            let more = match &stream.pagination {
                None => false,
                Some(Pagination::Offset { limit, .. }) => {
                    offset += items.len() as u64;
                    let total = match parsed(&paths.total)? {
                        Some(p) => p.query(&body).first().and_then(Value::as_u64),
                        None => None,
                    };
                    // A server may cap the page below what was asked: with
                    // a total, page until it is reached; without, until a short page.
                    !items.is_empty()
                        && match total {
                            Some(t) => offset < t,
                            None => items.len() as u64 >= *limit,
                        }
                }
                Some(Pagination::Page { limit, .. }) => {
                    page += 1;
                    items.len() as u64 >= *limit
                }
                Some(Pagination::Cursor { .. }) => {
                    let token = parsed(&paths.cursor)?
                        .and_then(|p| p.query(&body).first())
                        .and_then(text);
                    let more = match parsed(&paths.has_more)? {
                        Some(p) => p
                            .query(&body)
                            .first()
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        None => true,
                    };
                    match token {
                        Some(t) if more => {
                            guard(&mut seen_tokens, &t, &req)?;
                            progress.last_cursor = Some(t.clone());
                            vars["pageToken"] = json!(t);
                            true
                        }
                        // The last page's cursor is where a feed resumes
                        // (Dropbox's `list_folder/continue`): kept for a
                        // cursor delta, not followed now.
                        Some(t) => {
                            progress.last_cursor = Some(t);
                            false
                        }
                        None => false,
                    }
                }
                Some(Pagination::Link) => match next_link(&resp) {
                    Some(l) => {
                        guard(&mut seen_tokens, &l, &req)?;
                        link = Some(l);
                        true
                    }
                    None => false,
                },
            };
            if !more {
                break;
            }
            if n + 1 == max_pages {
                tracing::warn!(stream = %stream.name, pages = max_pages, "page cap reached; the rest comes with the next poll");
            }
        }
        if let Some(t) = progress.newest_time {
            let older = next["since"]
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .is_some_and(|p| p.with_timezone(&Utc) >= t);
            if !older {
                next["since"] = json!(t.to_rfc3339());
            }
        }
        if let Some(id) = progress.largest_id {
            if next["sinceId"].as_i64().is_none_or(|p| p < id) {
                next["sinceId"] = json!(id);
            }
        }
        if let Some(c) = progress.last_cursor {
            if matches!(stream.delta, Some(Delta::Cursor)) {
                next["cursor"] = json!(c);
            }
        }
        if let Some(t) = progress.delta_token {
            next["token"] = json!(t);
        }
        Ok((out, next))
    }

    /// The error a 2xx answer carries in its body, if the descriptor says
    /// where to look and there is one.
    fn answer_error(
        &self,
        paths: &Paths,
        body: &Value,
        req: &Request,
        status: u16,
    ) -> Result<Option<FetchError>, FetchError> {
        let (Some(spec), Some(p)) = (&self.spec.answer_error, parsed(&paths.answer_error)?) else {
            return Ok(None);
        };
        let Some(code) = p.query(body).first().and_then(text) else {
            return Ok(None);
        };
        let class = spec.classes.get(&code).copied().unwrap_or(ErrorClass::Fail);
        let what = match class {
            ErrorClass::NeedsReauth => {
                "the credentials were refused (expired or revoked?): authorise the connector again"
            }
            ErrorClass::Retry => "the upstream is failing; retrying with backoff",
            _ => "check the connector's settings (an id, a permission)",
        };
        Ok(Some(FetchError {
            class,
            message: format!(
                "{} {}: the upstream answered '{}' — {what}",
                req.method,
                req.shown_url(),
                req.redact(&code)
            ),
            status: Some(status),
            retry_after: None,
            body: None,
        }))
    }

    /// Commits the items of one page whose version changed.
    async fn publish(
        &self,
        run: &mut PollRun,
        stream: &StreamSpec,
        paths: &Paths,
        items: &[Value],
        progress: &mut Progress,
        out: &mut PollOutcome,
    ) -> Result<(), FetchError> {
        let mut keyed = Vec::new();
        for item in items {
            let key = paths
                .key
                .query(item)
                .first()
                .and_then(text)
                .unwrap_or_else(|| short_hex(&[&item.to_string()]));
            let version = if paths.versions.is_empty() {
                short_hex(&[&item.to_string()])
            } else {
                let parts: Vec<String> = paths
                    .versions
                    .iter()
                    .map(|p| {
                        p.query(item)
                            .first()
                            .map(|v| v.to_string())
                            .unwrap_or_default()
                    })
                    .collect();
                let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
                short_hex(&refs)
            };
            if let Some(p) = parsed(&paths.delta_item)? {
                let at = p.query(item).first();
                match &stream.delta {
                    Some(Delta::Timestamp { .. }) => {
                        if let Some(t) = at.and_then(time) {
                            progress.newest_time =
                                Some(progress.newest_time.map_or(t, |p| p.max(t)));
                        }
                    }
                    Some(Delta::SinceId { .. }) => {
                        if let Some(id) =
                            at.and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                        {
                            progress.largest_id =
                                Some(progress.largest_id.map_or(id, |p| p.max(id)));
                        }
                    }
                    _ => {}
                }
            }
            keyed.push((key, version, item));
        }
        let known = if run.dry {
            BTreeMap::new()
        } else {
            run.ctx
                .host
                .versions(
                    &run.ctx.instance.id,
                    &stream.name,
                    keyed.iter().map(|k| k.0.clone()).collect(),
                )
                .await
                .map_err(|e| {
                    FetchError::new(
                        ErrorClass::Retry,
                        format!("could not read item versions: {e}"),
                    )
                })?
        };
        let mut fresh = Vec::new();
        let mut versions = Vec::new();
        let mut in_page = BTreeSet::new();
        for (key, version, item) in keyed {
            if known.get(&key) == Some(&version) || !in_page.insert(key.clone()) {
                out.skipped += 1;
                continue;
            }
            fresh.push(item.clone());
            versions.push(ItemVersion {
                stream: stream.name.clone(),
                key,
                hash: version,
            });
        }
        if fresh.is_empty() {
            return Ok(());
        }
        out.published += fresh.len() as u64;
        let headers = BTreeMap::from([
            (STREAM_HEADER.to_string(), stream.name.clone()),
            ("content-type".to_string(), "application/json".to_string()),
        ]);
        // The instance's (non-secret) settings travel with the page, so a
        // mapping can name them (`{{ root.config.baseUrl }}`) and a replay
        // of the row needs nothing else.
        let mut config = run.ctx.instance.config.clone();
        if let Some(m) = config.as_object_mut() {
            m.remove("secretFields");
            m.remove("verify");
        }
        run.commit(Commit {
            payloads: vec![Payload::json(
                headers,
                &json!({ "items": fresh, "config": config }),
            )],
            versions,
            checkpoint: None,
        })
        .await
    }
}

/// An answer that is an empty list or an object with an empty list is a
/// page with no items, not an unexpected shape.
fn items_path_may_be_empty(body: &Value) -> bool {
    match body {
        Value::Array(_) => true,
        Value::Object(m) => {
            m.values().any(|v| v.as_array().is_some_and(Vec::is_empty))
                || m.values()
                    .any(|v| v.is_object() && items_path_may_be_empty(v))
        }
        _ => false,
    }
}

/// Stops a pagination loop: the same token (or next link) twice in one poll.
fn guard(seen: &mut BTreeSet<String>, token: &str, req: &Request) -> Result<(), FetchError> {
    if seen.insert(token.to_string()) {
        return Ok(());
    }
    Err(fail(format!(
        "{} {}: the upstream sent the same page token twice (a pagination loop); stopped paging — what was fetched is kept, the checkpoint stays put",
        req.method,
        req.shown_url()
    )))
}

/// `Link: <https://…?page=2>; rel="next", <…>; rel="last"` → the next URL.
pub fn next_link(r: &Response) -> Option<String> {
    let link = r.headers.get("link")?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    let epoch = |f: f64| {
        let secs = if f > 1e11 { f / 1000.0 } else { f };
        DateTime::from_timestamp(secs as i64, 0)
    };
    match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
            .ok()
            .map(|t| t.with_timezone(&Utc))
            // Slack's `ts` ("1512085950.000216") and other epochs as text.
            .or_else(|| epoch(s.trim().parse::<f64>().ok().filter(|f| f.is_finite())?)),
        Value::Number(n) => epoch(n.as_f64()?),
        _ => None,
    }
}

fn format_since(t: DateTime<Utc>, f: SinceFormat) -> String {
    match f {
        SinceFormat::Rfc3339 => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        SinceFormat::EpochS => t.timestamp().to_string(),
        SinceFormat::EpochMs => t.timestamp_millis().to_string(),
        SinceFormat::Jql => t.format("%Y/%m/%d %H:%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_give_the_next_page() {
        let r = Response {
            status: 200,
            headers: BTreeMap::from([(
                "link".to_string(),
                r#"<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last""#.to_string(),
            )]),
            body: vec![],
            latency: Duration::ZERO,
        };
        assert_eq!(
            next_link(&r).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
    }

    #[test]
    fn unset_variables_render_as_nothing_and_epoch_text_is_a_time() {
        let vars = json!({"sinceId": null, "pageToken": "abc"});
        assert_eq!(render("{{ sinceId }}", &vars).unwrap(), "");
        assert_eq!(render("{{ nothing.at.all }}", &vars).unwrap(), "");
        assert_eq!(render("{{ pageToken }}", &vars).unwrap(), "abc");
        assert_eq!(render("{{ sinceId | tojson }}", &vars).unwrap(), "null");
        assert_eq!(
            time(&json!("1512085950.000216")).map(|t| t.timestamp()),
            Some(1512085950)
        );
        assert_eq!(
            time(&json!("1700000000000")).map(|t| t.timestamp()),
            Some(1700000000)
        );
        assert_eq!(time(&json!("soon")), None);
    }

    #[test]
    fn since_is_written_in_each_format() {
        let t = DateTime::parse_from_rfc3339("2026-11-20T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            format_since(t, SinceFormat::Rfc3339),
            "2026-11-20T03:04:05Z"
        );
        assert_eq!(format_since(t, SinceFormat::Jql), "2026/11/20 03:04");
        assert_eq!(format_since(t, SinceFormat::EpochS), "1795143845");
    }
}
