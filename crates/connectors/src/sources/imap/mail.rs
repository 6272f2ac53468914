//! An alert e-mail → a signal.
//!
//! Monitors that mail write what matters into fixed templates, so each is
//! read by its template's words rather than by a general text guess:
//!
//! - Nagios (and Icinga 1), from `notify-service-by-email` /
//!   `notify-host-by-email`: `** PROBLEM Service Alert: web1/HTTP is
//!   CRITICAL **`, `** RECOVERY Host Alert: db1 is UP **`. The fingerprint
//!   is host + service, so a RECOVERY resolves its PROBLEM.
//! - Zabbix's default media-type templates: `Problem: <trigger>` and
//!   `Resolved in 5m: <trigger>` (older: `Resolved: <trigger>`), with
//!   `Host:`, `Severity:` and `Original problem ID:` lines in the body. The
//!   fingerprint is the problem id (else host + trigger).
//! - Anything else whose subject says PROBLEM / RECOVERY / RESOLVED: the
//!   fingerprint is the subject without those words and without state
//!   words (CRITICAL, OK, DOWN, UP…), so both halves meet.
//!
//! `occurred_at` is the mail's `Date:`. A message none of these recognise
//! is an error, which sends its raw bytes to dead letters.

use super::{Format, FORMAT_HEADER, ID};
use crate::runtime::{Context, NormalizeError, Normalizer};
use causeway_core::hash::short_hex;
use causeway_core::{Severity, Signal, SignalKind, SignalStatus};
use chrono::{TimeZone, Utc};
use mail_parser::MessageParser;
use serde_json::Value;
use std::collections::BTreeMap;

/// The normalizer of `imap` payloads: raw RFC 822 messages, not JSON.
pub struct Mail;

impl Normalizer for Mail {
    fn id(&self) -> &str {
        ID
    }

    fn item_count(&self, _: &Value) -> usize {
        1
    }

    /// A message is one item; this connector's bodies are never JSON.
    fn count_items(&self, _: &[u8]) -> Result<usize, NormalizeError> {
        Ok(1)
    }

    fn normalize(&self, _: &Value, _: &Context<'_>) -> Result<Vec<Signal>, NormalizeError> {
        Err(NormalizeError::Shape(
            "an imap payload is a raw e-mail message, not JSON".into(),
        ))
    }

    fn normalize_bytes(
        &self,
        body: &[u8],
        ctx: &Context<'_>,
    ) -> Result<Vec<Signal>, NormalizeError> {
        let format = Format::from_header(ctx.headers.get(FORMAT_HEADER).map(String::as_str));
        map_message(body, format, ctx).map(|s| vec![s])
    }
}

/// What a template said, before it becomes a signal.
#[derive(Debug, PartialEq)]
struct Alert {
    source_type: &'static str,
    status: SignalStatus,
    severity: Severity,
    /// Stable across a problem's mails (host/service, problem id…).
    key: String,
    title: String,
    host: Option<String>,
    service: Option<String>,
    tags: BTreeMap<String, String>,
}

/// Maps one raw message with `format`.
pub fn map_message(
    raw: &[u8],
    format: Format,
    ctx: &Context<'_>,
) -> Result<Signal, NormalizeError> {
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| NormalizeError::Shape("not an e-mail message".into()))?;
    let subject = msg
        .subject()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| NormalizeError::Shape("the message has no Subject".into()))?;
    let body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
    let alert = match format {
        Format::Nagios => nagios(&subject, &body),
        Format::Zabbix => zabbix(&subject, &body),
        Format::Generic => generic(&subject),
        Format::Auto => nagios(&subject, &body)
            .or_else(|| zabbix(&subject, &body))
            .or_else(|| generic(&subject)),
    }
    .ok_or_else(|| {
        NormalizeError::Shape(format!(
            "not a {} alert mail: subject {:?}",
            if format == Format::Auto {
                "recognised"
            } else {
                format.as_str()
            },
            cut(&subject, 120)
        ))
    })?;
    let occurred_at = msg
        .date()
        .and_then(|d| Utc.timestamp_opt(d.to_timestamp(), 0).single())
        .unwrap_or(ctx.received_at);
    let message_id = msg.message_id().map(str::to_string);
    let fingerprint = format!("mail:{}", short_hex(&[&alert.key]));
    let mut tags = alert.tags;
    if let Some(from) = msg.from().and_then(|f| f.first()).and_then(|a| a.address()) {
        tags.insert("from".into(), from.to_string());
    }
    // A mail's PROBLEM and RECOVERY are one alert, and the signals table
    // keeps one row per id (a repeat updates it): so the id is the alert's
    // identity alone, as a recovery mail does not say when its problem
    // began. Notices (acknowledgements, downtime) get rows of their own so
    // they never overwrite the alert's state.
    let id = match alert.status {
        SignalStatus::Info => short_hex(&[
            ctx.project,
            ID,
            &fingerprint,
            "info",
            &occurred_at.to_rfc3339(),
            message_id.as_deref().unwrap_or(""),
        ]),
        _ => short_hex(&[ctx.project, ID, &fingerprint]),
    };
    Ok(Signal {
        id: format!("sig-{id}"),
        project: ctx.project.to_string(),
        connector_instance: ctx.instance.to_string(),
        source_type: alert.source_type.into(),
        external_id: message_id,
        source_ref: None,
        kind: SignalKind::Alert,
        status: alert.status,
        severity: alert.severity,
        title: alert.title,
        description: Some(cut(body.trim(), 4000)).filter(|d| !d.is_empty()),
        service: alert.service,
        environment: None,
        region: None,
        team: None,
        entity: None,
        correlation_key: fingerprint.clone(),
        fingerprint,
        trace_id: None,
        span_id: None,
        request_id: None,
        tags: {
            if let Some(h) = alert.host {
                tags.insert("host".into(), h);
            }
            tags
        },
        occurred_at,
        received_at: ctx.received_at,
        ended_at: (alert.status == SignalStatus::Resolved).then_some(occurred_at),
        external_url: None,
        raw_ref: Some(ctx.raw_ref.to_string()),
    })
}

/// At most `n` characters of `s`.
fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The value of a `Name: value` line of a template's body.
fn field<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    body.lines().find_map(|l| {
        let (k, v) = l.trim().split_once(':')?;
        (k.trim().eq_ignore_ascii_case(name))
            .then(|| v.trim())
            .filter(|v| !v.is_empty())
    })
}

/// A Nagios notification type as a status: a PROBLEM fires, a RECOVERY
/// resolves, the rest (acknowledgements, flapping, downtime) inform.
fn nagios_status(kind: &str) -> SignalStatus {
    match kind {
        "PROBLEM" => SignalStatus::Firing,
        "RECOVERY" => SignalStatus::Resolved,
        _ => SignalStatus::Info,
    }
}

/// A Nagios host or service state as a severity.
fn nagios_severity(state: &str) -> Severity {
    match state.to_ascii_uppercase().as_str() {
        "CRITICAL" | "DOWN" => Severity::Critical,
        "UNREACHABLE" => Severity::High,
        "WARNING" => Severity::Medium,
        "UNKNOWN" => Severity::Low,
        _ => Severity::Info,
    }
}

/// `** TYPE Service Alert: host/service is STATE **` or
/// `** TYPE Host Alert: host is STATE **`.
fn nagios(subject: &str, body: &str) -> Option<Alert> {
    let inner = subject.trim().strip_prefix("**")?.trim_end();
    let inner = inner.strip_suffix("**").unwrap_or(inner).trim();
    let (kind, rest) = inner.split_once(' ')?;
    let (what, rest) = if let Some(r) = rest.strip_prefix("Service Alert:") {
        ("service", r)
    } else {
        ("host", rest.strip_prefix("Host Alert:")?)
    };
    let (name, state) = rest.trim().rsplit_once(" is ")?;
    let (host, service) = match what {
        "service" => {
            let (h, s) = name.split_once('/')?;
            (h.trim().to_string(), Some(s.trim().to_string()))
        }
        _ => (name.trim().to_string(), None),
    };
    let state = state.trim().to_string();
    let mut tags = BTreeMap::from([
        ("notification_type".to_string(), kind.to_string()),
        ("state".to_string(), state.clone()),
    ]);
    if let Some(a) = field(body, "Address") {
        tags.insert("address".into(), a.to_string());
    }
    let title = match &service {
        Some(s) => format!("{s} on {host} is {state}"),
        None => format!("{host} is {state}"),
    };
    Some(Alert {
        source_type: "NAGIOS",
        status: nagios_status(kind),
        severity: nagios_severity(&state),
        key: format!("nagios\n{host}\n{}", service.as_deref().unwrap_or("")),
        title,
        service: service.clone(),
        host: Some(host),
        tags,
    })
}

/// Zabbix's default templates: `Problem: NAME`, `Resolved in AGE: NAME`,
/// `Resolved: NAME`, `Updated problem in AGE: NAME`, with the body's
/// `Host:`, `Severity:` and `Original problem ID:` lines.
fn zabbix(subject: &str, body: &str) -> Option<Alert> {
    let (head, name) = subject.split_once(':')?;
    let head = head.trim();
    let status = if head == "Problem" {
        SignalStatus::Firing
    } else if head == "Resolved" || head.starts_with("Resolved in ") {
        SignalStatus::Resolved
    } else if head.starts_with("Updated problem") {
        SignalStatus::Info
    } else {
        return None;
    };
    // Only Zabbix writes these lines; a generic "Problem: …" mail has none.
    let problem_id = field(body, "Original problem ID");
    let event_name = field(body, "Problem name");
    if problem_id.is_none() && event_name.is_none() {
        return None;
    }
    let name = event_name.unwrap_or(name.trim()).to_string();
    let host = field(body, "Host").map(str::to_string);
    let severity_word = field(body, "Severity").unwrap_or("Not classified");
    let severity = match severity_word.to_ascii_lowercase().as_str() {
        "disaster" => Severity::Critical,
        "high" => Severity::High,
        "average" => Severity::Medium,
        "warning" => Severity::Low,
        _ => Severity::Info,
    };
    let key = match problem_id {
        Some(id) => format!("zabbix\n{id}"),
        None => format!("zabbix\n{}\n{name}", host.as_deref().unwrap_or("")),
    };
    let mut tags = BTreeMap::from([("severity".to_string(), severity_word.to_string())]);
    if let Some(id) = problem_id {
        tags.insert("problem_id".into(), id.to_string());
    }
    if let Some(d) = field(body, "Operational data") {
        tags.insert("operational_data".into(), d.to_string());
    }
    Some(Alert {
        source_type: "ZABBIX",
        status,
        severity,
        key,
        title: match &host {
            Some(h) => format!("{name} on {h}"),
            None => name,
        },
        host,
        service: None,
        tags,
    })
}

/// Words that say whether the alert fires or ends.
const FIRING: &[&str] = &["PROBLEM", "ALERT", "FIRING", "ALARM"];
const RESOLVED: &[&str] = &["RECOVERY", "RECOVERED", "RESOLVED", "CLEARED"];
/// Words that say a state and differ between the two halves.
const STATES: &[&str] = &[
    "CRITICAL",
    "WARNING",
    "UNKNOWN",
    "OK",
    "DOWN",
    "UP",
    "UNREACHABLE",
];

/// A subject that says PROBLEM / RECOVERY / RESOLVED.
fn generic(subject: &str) -> Option<Alert> {
    let words: Vec<String> = subject
        .split(|c: char| !c.is_alphanumeric() && !matches!(c, '.' | '-' | '_' | '/'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let has = |set: &[&str]| {
        words
            .iter()
            .any(|w| set.contains(&w.to_ascii_uppercase().as_str()))
    };
    let status = if has(RESOLVED) {
        SignalStatus::Resolved
    } else if has(FIRING) {
        SignalStatus::Firing
    } else {
        return None;
    };
    let severity = words
        .iter()
        .filter(|w| !w.eq_ignore_ascii_case("ok"))
        .find_map(|w| match w.to_ascii_uppercase().as_str() {
            "DOWN" | "DISASTER" => Some(Severity::Critical),
            _ => Severity::from_word(w),
        })
        .unwrap_or(match status {
            SignalStatus::Firing => Severity::High,
            _ => Severity::Info,
        });
    // Reply/forward prefixes, status and state words out; what is left
    // names the alert on both halves.
    let rest: Vec<String> = words
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .skip_while(|w| matches!(w.as_str(), "re" | "fw" | "fwd"))
        .filter(|w| {
            let u = w.to_ascii_uppercase();
            !FIRING.contains(&u.as_str())
                && !RESOLVED.contains(&u.as_str())
                && !STATES.contains(&u.as_str())
        })
        .collect();
    let key = rest.join(" ");
    Some(Alert {
        source_type: "EMAIL",
        status,
        severity,
        key: format!("generic\n{key}"),
        title: subject.to_string(),
        host: None,
        service: None,
        tags: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mail");

    fn map(name: &str, format: Format) -> Result<Signal, NormalizeError> {
        let raw = std::fs::read(format!("{FIXTURES}/{name}")).unwrap();
        let headers = BTreeMap::new();
        let ctx = Context {
            project: "p",
            instance: "i",
            received_at: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            raw_ref: "inbox:1",
            headers: &headers,
        };
        map_message(&raw, format, &ctx)
    }

    /// Each problem fires, its recovery resolves, and both share a fingerprint.
    fn pair(problem: &str, recovery: &str, format: Format) -> (Signal, Signal) {
        let p = map(problem, format).unwrap();
        let r = map(recovery, format).unwrap();
        assert_eq!(p.status, SignalStatus::Firing, "{problem}");
        assert_eq!(r.status, SignalStatus::Resolved, "{recovery}");
        assert_eq!(p.fingerprint, r.fingerprint, "{problem} / {recovery}");
        assert_eq!(p.id, r.id, "one alert, one signal row");
        assert!(r.ended_at.is_some());
        (p, r)
    }

    #[test]
    fn nagios_service_and_host_mails_fire_and_resolve() {
        for f in [Format::Nagios, Format::Auto] {
            let (p, _) = pair(
                "nagios-service-problem.eml",
                "nagios-service-recovery.eml",
                f,
            );
            assert_eq!(p.source_type, "NAGIOS");
            assert_eq!(p.severity, Severity::Critical);
            assert_eq!(p.service.as_deref(), Some("HTTP"));
            assert_eq!(p.tags["host"], "web01");
            assert_eq!(p.title, "HTTP on web01 is CRITICAL");
            assert_eq!(p.occurred_at.to_rfc3339(), "2026-11-30T09:14:02+00:00");
            let (h, _) = pair("nagios-host-problem.eml", "nagios-host-recovery.eml", f);
            assert_eq!(
                (h.severity, h.tags["host"].as_str()),
                (Severity::Critical, "db02")
            );
            assert_ne!(p.fingerprint, h.fingerprint);
        }
    }

    #[test]
    fn zabbix_mails_fire_and_resolve_by_problem_id() {
        for f in [Format::Zabbix, Format::Auto] {
            let (p, r) = pair("zabbix-problem.eml", "zabbix-resolved.eml", f);
            assert_eq!(p.source_type, "ZABBIX");
            assert_eq!(p.severity, Severity::High);
            assert_eq!(p.tags["problem_id"], "4711");
            assert_eq!(p.tags["host"], "app03");
            assert_eq!(r.title, p.title);
            pair("zabbix-problem.eml", "zabbix-resolved-old.eml", f);
        }
    }

    #[test]
    fn generic_subjects_fire_and_resolve_on_the_same_words() {
        let (p, _) = pair(
            "generic-problem.eml",
            "generic-recovery.eml",
            Format::Generic,
        );
        assert_eq!(p.source_type, "EMAIL");
        assert_eq!(p.severity, Severity::Critical);
        let (a, _) = pair("generic-problem.eml", "generic-recovery.eml", Format::Auto);
        assert_eq!(a.fingerprint, p.fingerprint);
    }

    #[test]
    fn a_message_that_is_no_alert_is_an_error_not_a_panic() {
        let e = map("not-an-alert.eml", Format::Auto).unwrap_err();
        assert!(e.to_string().contains("not a recognised alert mail"), "{e}");
        let e = map("nagios-service-problem.eml", Format::Zabbix).unwrap_err();
        assert!(e.to_string().contains("not a zabbix alert mail"), "{e}");
        let headers = BTreeMap::new();
        let ctx = Context {
            project: "p",
            instance: "i",
            received_at: Utc::now(),
            raw_ref: "inbox:1",
            headers: &headers,
        };
        for junk in [
            &b""[..],
            b"\xff\xfe\x00garbage",
            b"Subject:\r\n\r\n",
            b"Subject: ** PROBLEM Service Alert: nohost is **\r\n\r\n",
            b"Subject: Problem:\r\n\r\nOriginal problem ID:",
        ] {
            let r = Mail.normalize_bytes(junk, &ctx);
            assert!(
                r.is_err() || r.as_ref().is_ok_and(|s| s.len() == 1),
                "{junk:?}"
            );
        }
        assert!(Mail.normalize_bytes(b"\xff\xfe\x00garbage", &ctx).is_err());
    }
}
