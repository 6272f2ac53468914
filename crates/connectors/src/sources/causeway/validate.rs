//! Field-level validation of an ingest request: every bad field is listed,
//! not just the first, so a caller can fix a request in one go.

use chrono::DateTime;
use serde::Serialize;
use serde_json::{Map, Value};

/// One bad field: `{"field": "timeline.start", "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// A string field within `min..=max` characters; absent/null allowed unless required.
    fn string(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
        len: (usize, usize),
    ) {
        let field = join(path, key);
        match obj.get(key) {
            None | Some(Value::Null) if required => self.fail(&field, "is required"),
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if n < len.0 {
                    self.fail(
                        &field,
                        format!("must not be shorter than {} characters", len.0),
                    );
                } else if n > len.1 {
                    self.fail(
                        &field,
                        format!("must be at most {} characters (got {n})", len.1),
                    );
                }
            }
            Some(_) => self.fail(&field, "must be a string"),
        }
    }

    fn one_of(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
        allowed: &[&str],
    ) {
        let field = join(path, key);
        match obj.get(key) {
            None | Some(Value::Null) if required => self.fail(&field, "is required"),
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
            Some(_) => self.fail(&field, format!("must be one of {}", allowed.join(", "))),
        }
    }

    fn time(&mut self, obj: &Map<String, Value>, path: &str, key: &str, required: bool) {
        let field = join(path, key);
        match obj.get(key) {
            None | Some(Value::Null) if required => self.fail(&field, "is required"),
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if DateTime::parse_from_rfc3339(s).is_ok() => {}
            Some(_) => self.fail(
                &field,
                "must be an RFC 3339 date-time, e.g. 2026-11-20T03:00:00Z",
            ),
        }
    }

    fn number(&mut self, obj: &Map<String, Value>, path: &str, key: &str, required: bool) {
        let field = join(path, key);
        match obj.get(key) {
            None | Some(Value::Null) if required => self.fail(&field, "is required"),
            None | Some(Value::Null) => {}
            Some(Value::Number(_)) => {}
            Some(_) => self.fail(&field, "must be a number"),
        }
    }

    fn int_range(&mut self, obj: &Map<String, Value>, path: &str, key: &str, lo: i64, hi: i64) {
        let field = join(path, key);
        match obj.get(key) {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_i64() {
                Some(n) if (lo..=hi).contains(&n) => {}
                _ => self.fail(&field, format!("must be a whole number from {lo} to {hi}")),
            },
        }
    }

    fn boolean(&mut self, obj: &Map<String, Value>, path: &str, key: &str) {
        if let Some(v) = obj.get(key) {
            if !v.is_boolean() && !v.is_null() {
                self.fail(&join(path, key), "must be true or false");
            }
        }
    }

    fn string_map(&mut self, obj: &Map<String, Value>, path: &str, key: &str) {
        let field = join(path, key);
        match obj.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    if !v.is_string() {
                        self.fail(&format!("{field}.{k}"), "must be a string");
                    }
                }
            }
            Some(_) => self.fail(&field, "must be an object of strings"),
        }
    }

    /// An optional object: `Some` when present and an object.
    fn object<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<&'a Map<String, Value>> {
        let field = join(path, key);
        match obj.get(key) {
            None | Some(Value::Null) if required => {
                self.fail(&field, "is required");
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                self.fail(&field, "must be an object");
                None
            }
        }
    }

    /// An optional array of objects, each checked by `each`.
    fn list(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        each: impl Fn(&mut Check, &Map<String, Value>, &str),
    ) {
        let field = join(path, key);
        match obj.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{field}[{i}]");
                    match item.as_object() {
                        Some(m) => each(self, m, &at),
                        None => self.fail(&at, "must be an object"),
                    }
                }
            }
            Some(_) => self.fail(&field, "must be an array"),
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Checks an ingest request body; empty means valid.
pub fn validate(body: &Value) -> Vec<FieldError> {
    let mut c = Check { errors: Vec::new() };
    let Some(root) = body.as_object() else {
        c.fail("body", "must be a JSON object");
        return c.errors;
    };
    c.one_of(root, "", "sourceType", true, super::SOURCE_TYPES);
    c.string(root, "", "sourceRef", true, (1, 512));
    c.string(root, "", "title", true, (1, 500));
    c.string(root, "", "description", false, (0, 5000));
    c.one_of(
        root,
        "",
        "severity",
        false,
        &["critical", "high", "medium", "low", "info"],
    );
    if let Some(t) = c.object(root, "", "timeline", true) {
        c.time(t, "timeline", "start", true);
        for k in ["end", "detectedAt", "resolvedAt"] {
            c.time(t, "timeline", k, false);
        }
    }
    if let Some(m) = c.object(root, "", "metadata", false) {
        for k in ["service", "region", "environment", "team"] {
            c.string(m, "metadata", k, false, (0, 500));
        }
        c.string_map(m, "metadata", "tags");
        c.object(m, "metadata", "customFields", false);
    }
    if let Some(e) = c.object(root, "", "evidenceLite", false) {
        c.list(e, "evidenceLite", "metrics", |c, m, at| {
            c.string(m, at, "name", true, (1, 500));
            c.number(m, at, "value", true);
            c.time(m, at, "timestamp", true);
            c.string_map(m, at, "labels");
        });
        c.list(e, "evidenceLite", "logs", |c, m, at| {
            c.string(m, at, "message", true, (1, 5000));
            c.string(m, at, "level", false, (0, 50));
            c.time(m, at, "timestamp", true);
            c.string(m, at, "service", false, (0, 500));
        });
        c.list(e, "evidenceLite", "traces", |c, m, at| {
            for k in ["traceId", "spanId", "service", "operation"] {
                c.string(m, at, k, true, (1, 500));
            }
            c.number(m, at, "duration", false);
            c.time(m, at, "timestamp", true);
        });
        c.list(e, "evidenceLite", "events", |c, m, at| {
            c.string(m, at, "type", true, (1, 200));
            c.string(m, at, "description", true, (1, 5000));
            c.time(m, at, "timestamp", true);
            c.object(m, at, "metadata", false);
        });
    }
    if let Some(cc) = c.object(root, "", "collectionContext", false) {
        c.int_range(cc, "collectionContext", "windowMinutesBefore", 1, 120);
        c.int_range(cc, "collectionContext", "windowMinutesAfter", 1, 120);
        c.boolean(cc, "collectionContext", "forceCollect");
    }
    c.errors
}
