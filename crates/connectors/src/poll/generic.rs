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
use super::{PollOutcome, PollRun, Poller};
use crate::descriptor::polling::{Delta, Pagination, PollingSpec, SinceFormat, StreamSpec};
use crate::runtime::{BoxFuture, Commit, ErrorClass, ItemVersion, Payload};
use causeway_core::hash::short_hex;
use chrono::{DateTime, Utc};
use minijinja::{Environment, UndefinedBehavior};
use serde_json::{json, Map, Value};
use serde_json_path::JsonPath;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
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

fn env() -> Environment<'static> {
    let mut e = Environment::new();
    e.set_undefined_behavior(UndefinedBehavior::Chainable);
    e
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
            for stream in &self.spec.streams {
                let prev = checkpoint["streams"][&stream.name].clone();
                let (o, next) = self.stream(run, stream, &prev).await?;
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
        run: &PollRun,
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
        let _ = run;
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
        stream: &StreamSpec,
        prev: &Value,
    ) -> Result<(PollOutcome, Value), FetchError> {
        let config = run.ctx.instance.config.clone();
        let template: super::auth::Template =
            Arc::new(move |t: &str| render(t, &json!({ "config": config })));
        let auth = Authorizer::new(self.spec.auth.list(), template);
        let items_path = path(&stream.items_path)?;
        let key_path = path(&stream.item_key)?;
        let version_paths: Vec<JsonPath> = stream
            .version_fields
            .iter()
            .map(|p| path(p))
            .collect::<Result<_, _>>()?;
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
            let mut req = self.request(run, stream, &vars, link.as_deref())?;
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
            let items: Vec<Value> = items_path.query(&body).all().into_iter().cloned().collect();
            if !body.is_null() && items.is_empty() && n == 0 && !items_path_may_be_empty(&body) {
                return Err(fail(format!(
                    "{} {}: the answer has no items at {} — unexpected shape (is this the right API?)",
                    req.method,
                    req.shown_url(),
                    stream.items_path
                )));
            }
            out.fetched += items.len() as u64;
            self.publish(
                run,
                stream,
                &key_path,
                &version_paths,
                &items,
                &mut progress,
                &mut out,
            )
            .await?;
            if run.dry {
                break;
            }
            if let Some(Delta::Token { path: p }) = &stream.delta {
                if let Some(t) = path(p)?.query(&body).first().and_then(text) {
                    progress.delta_token = Some(t);
                }
            }
            // The next page, if any.
            let more = match &stream.pagination {
                None => false,
                Some(Pagination::Offset { limit, total_path }) => {
                    offset += items.len() as u64;
                    let total = match total_path {
                        Some(p) => path(p)?.query(&body).first().and_then(Value::as_u64),
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
                Some(Pagination::Cursor {
                    cursor_path,
                    has_more_path,
                }) => {
                    let token = path(cursor_path)?.query(&body).first().and_then(text);
                    let more = match has_more_path {
                        Some(p) => path(p)?
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
                        _ => false,
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

    /// Commits the items of one page whose version changed.
    #[allow(clippy::too_many_arguments)]
    async fn publish(
        &self,
        run: &mut PollRun,
        stream: &StreamSpec,
        key_path: &JsonPath,
        version_paths: &[JsonPath],
        items: &[Value],
        progress: &mut Progress,
        out: &mut PollOutcome,
    ) -> Result<(), FetchError> {
        let mut keyed = Vec::new();
        for item in items {
            let key = key_path
                .query(item)
                .first()
                .and_then(text)
                .unwrap_or_else(|| short_hex(&[&item.to_string()]));
            let version = if version_paths.is_empty() {
                short_hex(&[&item.to_string()])
            } else {
                let parts: Vec<String> = version_paths
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
            match &stream.delta {
                Some(Delta::Timestamp { item_path, .. }) => {
                    if let Some(t) = path(item_path)?.query(item).first().and_then(time) {
                        progress.newest_time = Some(progress.newest_time.map_or(t, |p| p.max(t)));
                    }
                }
                Some(Delta::SinceId { item_path }) => {
                    if let Some(id) = path(item_path)?
                        .query(item)
                        .first()
                        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                    {
                        progress.largest_id = Some(progress.largest_id.map_or(id, |p| p.max(id)));
                    }
                }
                _ => {}
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
    match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        Value::Number(n) => {
            let f = n.as_f64()?;
            let secs = if f > 1e11 { f / 1000.0 } else { f };
            DateTime::from_timestamp(secs as i64, 0)
        }
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

/// The polling spec's streams as `(name, mapping)` pairs, for compiling.
pub fn stream_mappings(spec: &PollingSpec) -> Vec<(String, &Map<String, Value>)> {
    spec.streams
        .iter()
        .filter_map(|s| Some((s.name.clone(), s.mapping.as_object()?)))
        .collect()
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
