//! Reading payload values: JSONPath lookups as text, times in the formats
//! providers use, tag lists in their several spellings, condition tests.

use super::compile::Cond;
use super::mapping::{TagFormat, TimeFormat};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;
use serde_json_path::JsonPath;
use std::collections::BTreeMap;

/// A scalar as text; objects and arrays as compact JSON; null and "" are none.
pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(_) | Value::Number(_) => Some(v.to_string()),
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        _ => Some(v.to_string()),
    }
}

/// The first non-empty value any of the paths (tried in order) finds.
pub fn first_value<'v>(paths: &[JsonPath], scope: &'v Value) -> Option<&'v Value> {
    paths.iter().find_map(|p| {
        p.query(scope)
            .all()
            .into_iter()
            .find(|v| as_text(v).is_some())
    })
}

pub fn first_text(paths: &[JsonPath], scope: &Value) -> Option<String> {
    first_value(paths, scope).and_then(as_text)
}

/// Every scalar the paths find, in order (arrays are flattened one level).
pub fn all_texts(paths: &[JsonPath], scope: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        for v in p.query(scope).all() {
            match v {
                Value::Array(a) => out.extend(a.iter().filter_map(as_text)),
                other => out.extend(as_text(other)),
            }
        }
    }
    out
}

/// Epoch numbers above this are milliseconds (year 5138 in seconds).
const MS_THRESHOLD: f64 = 1e11;

/// Reads a time; `None` when absent, unparseable or before 1970 (Alertmanager's
/// zero time), so the caller falls back to the arrival time.
pub fn parse_time(v: &Value, format: TimeFormat) -> Option<DateTime<Utc>> {
    let t = match (format, v) {
        (TimeFormat::Rfc3339, Value::String(s)) => rfc3339(s),
        (TimeFormat::EpochS, v) => epoch(number(v)?, false),
        (TimeFormat::EpochMs, v) => epoch(number(v)?, true),
        (TimeFormat::Auto, Value::Number(n)) => {
            let n = n.as_f64()?;
            epoch(n, n.abs() >= MS_THRESHOLD)
        }
        (TimeFormat::Auto, Value::String(s)) => rfc3339(s)
            .or_else(|| {
                let n: f64 = s.trim().parse().ok()?;
                epoch(n, n.abs() >= MS_THRESHOLD)
            })
            .or_else(|| loose(s)),
        _ => None,
    }?;
    (t.timestamp() > 0).then_some(t)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn epoch(n: f64, ms: bool) -> Option<DateTime<Utc>> {
    if !n.is_finite() {
        return None;
    }
    let ms_total = if ms { n } else { n * 1000.0 };
    if ms_total.abs() > 8.0e15 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    Utc.timestamp_millis_opt(ms_total.round() as i64).single()
}

/// Spellings seen in the wild without a zone (read as UTC) or in RFC 2822.
fn loose(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S %Z",
    ] {
        // With an offset first: a naive parse would drop it.
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    // "2019-08-15 11:14:03 UTC" and similar zone names.
    let (rest, zone) = s.rsplit_once(' ')?;
    if matches!(zone, "UTC" | "GMT" | "Z") {
        return NaiveDateTime::parse_from_str(rest, "%Y-%m-%d %H:%M:%S%.f")
            .ok()
            .map(|t| Utc.from_utc_datetime(&t));
    }
    None
}

/// A JSON object of scalars as a string map (labels).
pub fn string_map(v: &Value, out: &mut BTreeMap<String, String>) {
    if let Value::Object(m) = v {
        for (k, v) in m {
            if let (false, Some(t)) = (v.is_object() || v.is_array(), as_text(v)) {
                out.insert(k.clone(), t);
            }
        }
    }
}

/// Tags in the given spelling into `out`. A bare tag without `:` is kept with
/// an empty value so nothing the source said is dropped.
pub fn parse_tags(v: &Value, format: TagFormat, out: &mut BTreeMap<String, String>) {
    fn kv(s: &str, out: &mut BTreeMap<String, String>) {
        let s = s.trim();
        if s.is_empty() {
            return;
        }
        match s.split_once(':') {
            Some((k, v)) => out.insert(k.trim().to_string(), v.trim().to_string()),
            None => out.insert(s.to_string(), String::new()),
        };
    }
    match (format, v) {
        (TagFormat::Object, v) => string_map(v, out),
        (TagFormat::CsvKv, Value::String(s)) => s.split(',').for_each(|t| kv(t, out)),
        (TagFormat::ListKv | TagFormat::CsvKv, Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => kv(s, out),
                    // Sentry's `[["browser", "Chrome"], …]`
                    Value::Array(pair) => {
                        if let [k, v] = pair.as_slice() {
                            if let Some(k) = as_text(k) {
                                out.insert(k, as_text(v).unwrap_or_default());
                            }
                        }
                    }
                    Value::Object(o) => {
                        let k = o.get("key").or_else(|| o.get("name")).and_then(as_text);
                        let val = o.get("value").and_then(as_text).unwrap_or_default();
                        if let Some(k) = k {
                            out.insert(k, val);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Whether every condition holds over the scope.
pub fn holds_all(conds: &[Cond], scope: &Value) -> bool {
    conds.iter().all(|c| holds(c, scope))
}

fn holds(c: &Cond, scope: &Value) -> bool {
    let nodes = c.path.query(scope).all();
    if let Some(want) = c.exists {
        let present = nodes.iter().any(|v| !v.is_null());
        if present != want {
            return false;
        }
        if c.equals.is_none() && c.contains.is_none() && c.matches.is_none() {
            return true;
        }
    }
    nodes.iter().any(|v| {
        let text = as_text(v).unwrap_or_default();
        let eq = c
            .equals
            .as_ref()
            .is_none_or(|e| *v == e || as_text(e).is_some_and(|e| e == text));
        let contains = c.contains.as_ref().is_none_or(|s| match v {
            Value::Array(a) => a.iter().any(|x| as_text(x).as_deref() == Some(s.as_str())),
            _ => text.contains(s.as_str()),
        });
        let matches = c.matches.as_ref().is_none_or(|re| re.is_match(&text));
        eq && contains && matches
    })
}
