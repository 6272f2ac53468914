//! Auto-incident rules: what happens to a signal nothing claimed.
//!
//! Rules are tried in order; the first whose conditions match decides —
//! open an incident from its templates, or keep the signal for review. When
//! none matches, a firing signal at least `open_min_severity` opens one.
//!
//! Templates substitute `{{title}}`, `{{severity}}`, `{{source}}`,
//! `{{service}}`, `{{namespace}}`, `{{entity}}`, `{{place}}` and
//! `{{tags.NAME}}` (any label or tag of the signal); an unknown variable is
//! left empty. Nothing else is evaluated: a rule cannot run code.

use super::{describe, Engine, Obs};
use crate::signal::{Severity, Signal, SignalKind, SignalStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// One auto-incident rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncidentRule {
    pub name: String,
    #[serde(default)]
    pub when: RuleMatch,
    /// Open an incident (default), or keep matching signals for review.
    #[serde(default = "yes")]
    pub open: bool,
    /// Title template; default: the signal's title and its place.
    #[serde(default)]
    pub title: Option<String>,
    /// The incident's severity; default: the signal's.
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub runbook: Option<String>,
}

fn yes() -> bool {
    true
}

/// A rule's conditions; all given ones must hold (an empty list or `None`
/// holds for everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct RuleMatch {
    /// Signal kinds (`alert`, `change`...), any of.
    pub kinds: Vec<SignalKind>,
    /// Source types (`ALERTMANAGER`, `DATADOG_ALERT`...), any of, any case.
    pub sources: Vec<String>,
    pub min_severity: Option<Severity>,
    /// Label or tag → pattern (`*` matches any run of characters); all must match.
    pub tags: BTreeMap<String, String>,
    /// Pattern on the title.
    pub title: Option<String>,
    /// Pattern on the service.
    pub service: Option<String>,
}

/// What the rules decided for a signal nothing claimed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Opening {
    pub open: bool,
    pub rule: Option<String>,
    pub title: String,
    pub severity: Option<Severity>,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub runbook: Option<String>,
}

impl Opening {
    pub(crate) fn declared(o: &Obs) -> Opening {
        Opening {
            open: true,
            rule: None,
            title: default_title(o),
            severity: None,
            assignee: None,
            team: None,
            runbook: None,
        }
    }
}

impl Opening {
    /// A chronic condition's own incident, at its own severity.
    pub(crate) fn chronic(o: &Obs) -> Opening {
        Opening {
            title: format!("Recurring: {}", default_title(o)),
            ..Opening::declared(o)
        }
    }
}

fn default_title(o: &Obs) -> String {
    match &o.place {
        Some(p) => format!("{} ({})", o.title, p.name),
        None => o.title.clone(),
    }
}

impl RuleMatch {
    fn matches(&self, s: &Signal) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&s.kind))
            && (self.sources.is_empty()
                || self
                    .sources
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(&s.source_type)))
            && self.min_severity.is_none_or(|m| s.severity >= m)
            && self
                .tags
                .iter()
                .all(|(k, p)| s.tags.get(k).is_some_and(|v| glob(p, v)))
            && self.title.as_deref().is_none_or(|p| glob(p, &s.title))
            && self
                .service
                .as_deref()
                .is_none_or(|p| s.service.as_deref().is_some_and(|v| glob(p, v)))
    }
}

impl Engine {
    /// The first matching rule's verdict, else the severity floor's; `None`
    /// when nothing says to open (or to keep).
    pub(super) fn decide_opening(&self, s: &Signal, o: &Obs) -> Option<Opening> {
        if s.status != SignalStatus::Firing && s.status != SignalStatus::Info {
            return None;
        }
        if let Some(rule) = self.config.rules.iter().find(|r| r.when.matches(s)) {
            let fill = |t: &Option<String>| t.as_deref().map(|t| render(t, s, o));
            return Some(Opening {
                open: rule.open,
                rule: Some(rule.name.clone()),
                title: fill(&rule.title)
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_else(|| default_title(o)),
                severity: rule.severity,
                assignee: fill(&rule.assignee).filter(|v| !v.is_empty()),
                team: fill(&rule.team).filter(|v| !v.is_empty()),
                runbook: fill(&rule.runbook).filter(|v| !v.is_empty()),
            });
        }
        // Heartbeats, forecasts and evictions are not failures: they join
        // what explains them, they never open anything.
        let open = s.status == SignalStatus::Firing
            && s.kind != SignalKind::Change
            && !o.class.heartbeat
            && !o.class.forecast
            && !o.class.eviction
            && s.severity >= self.config.open_min_severity;
        open.then(|| Opening::declared(o))
    }
}

/// Fills `{{name}}` variables from the signal.
pub(crate) fn render(template: &str, s: &Signal, o: &Obs) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        out.push_str(&variable(name, s, o));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn variable(name: &str, s: &Signal, o: &Obs) -> String {
    let ns = s
        .entity
        .as_ref()
        .and_then(|e| e.namespace.clone())
        .or_else(|| s.tags.get("namespace").cloned());
    match name {
        "title" => s.title.clone(),
        "severity" => s.severity.as_str().to_string(),
        "source" => s.source_type.clone(),
        "service" => s
            .service
            .clone()
            .or_else(|| o.place.as_ref().map(|p| p.name.clone()))
            .unwrap_or_default(),
        "namespace" => ns.unwrap_or_default(),
        "entity" => s
            .entity
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        "place" => o.place.as_ref().map(describe).unwrap_or_default(),
        _ => name
            .strip_prefix("tags.")
            .and_then(|k| s.tags.get(k).cloned())
            .unwrap_or_default(),
    }
}

/// `*` matches any run of characters (case-sensitive otherwise).
pub(crate) fn glob(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || !value[first.len()..].ends_with(last) {
        return false;
    }
    let mut at = first.len();
    let end = value.len() - last.len();
    for p in &parts[1..parts.len() - 1] {
        match value[at..end].find(p) {
            Some(i) => at += i + p.len(),
            None => return false,
        }
    }
    at <= end
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("Kube*", "KubePodCrashLooping"));
        assert!(glob("*Crash*", "KubePodCrashLooping"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxc"));
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }
}
