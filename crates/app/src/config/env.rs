//! Connectors from the environment alone, the connector framework's form
//! for containers and CI:
//!
//! ```sh
//! ENABLED_CONNECTORS=weather-noaa,jira-prod
//! CONNECTOR_JIRA_PROD_TYPE=jira
//! CONNECTOR_JIRA_PROD_POLL_INTERVAL_MS=60000      # also _REQUEST_TIMEOUT_MS, _MAX_RETRIES,
//! CONNECTOR_JIRA_PROD_BASE_URL=https://acme.atlassian.net   # _RETRY_BASE_DELAY_MS, ...
//! CONNECTOR_JIRA_PROD_API_TOKEN=…                 # a secret field: to the keychain
//! CONNECTOR_JIRA_PROD_PROJECT=staging             # default: the default project
//! ```
//!
//! A connector's variables are `CONNECTOR_<NAME>_…`, its name upper-cased
//! with `-` and `.` as `_`; every other suffix is a provider field, snake
//! case to camel case (`_BASE_URL` → `baseUrl`), read as the descriptor's
//! setup form types it. The entries then go through the same checks as
//! connectors.json ([`crate::config::file::declare`]), with the same
//! messages naming the variable at fault; a field the connector does not
//! have is refused too, since a misspelt variable would otherwise be
//! silently ignored.

use crate::api::error::ApiError;
use crate::config::file::{declare, Declared, Place};
use crate::App;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The variable listing the connectors.
pub const ENABLED: &str = "ENABLED_CONNECTORS";

/// Run keys, by their variable suffix.
const RUN: &[(&str, &str)] = &[
    ("POLL_INTERVAL_MS", "pollIntervalMs"),
    ("REQUEST_TIMEOUT_MS", "requestTimeoutMs"),
    ("MAX_RETRIES", "maxRetries"),
];

/// `retryConfig` keys, by their variable suffix.
const RETRY: &[(&str, &str)] = &[
    ("RETRY_BASE_DELAY_MS", "baseDelayMs"),
    ("RETRY_MAX_DELAY_MS", "maxDelayMs"),
    ("RETRY_JITTER_RATIO", "jitterRatio"),
];

/// `baseUrl` → `BASE_URL`; `jira-prod` → `JIRA_PROD`.
pub fn screaming(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    out
}

/// `BASE_URL` → `baseUrl`.
fn camel(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('_').filter(|p| !p.is_empty()).enumerate() {
        let lower = part.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut cs = lower.chars();
            if let Some(first) = cs.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(cs);
            }
        }
    }
    out
}

/// A whole number of the run keys; `var` names it when it is not one.
fn whole(var: &str, v: &str) -> Result<Value, String> {
    v.trim()
        .parse::<u64>()
        .map(Value::from)
        .map_err(|_| format!("{var} must be a whole number"))
}

/// A provider field's text as its setup form types it.
fn typed(var: &str, text: &str, schema: &Value) -> Result<Value, String> {
    let t = text.trim();
    Ok(match schema["type"].as_str() {
        Some("integer") => t
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("{var} must be a whole number"))?,
        Some("number") => t
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .ok_or(format!("{var} must be a number"))?,
        Some("boolean") => match t.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Value::Bool(true),
            "false" | "0" | "no" => Value::Bool(false),
            _ => return Err(format!("{var} must be true or false")),
        },
        // A JSON list, or words separated by commas.
        Some("array") => match serde_json::from_str::<Value>(t) {
            Ok(v @ Value::Array(_)) => v,
            _ => Value::Array(
                t.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.into()))
                    .collect(),
            ),
        },
        Some("object") => serde_json::from_str::<Value>(t)
            .ok()
            .filter(Value::is_object)
            .ok_or(format!("{var} must be a JSON object"))?,
        _ => Value::String(text.to_string()),
    })
}

/// The connectors `vars` declare (none without `ENABLED_CONNECTORS`).
/// Errors name the variable at fault.
pub fn parse(vars: &BTreeMap<String, String>) -> Result<Vec<Declared>, String> {
    let Some(list) = vars.get(ENABLED) else {
        return Ok(Vec::new());
    };
    let names: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let prefixes: Vec<String> = names
        .iter()
        .map(|n| format!("CONNECTOR_{}", screaming(n)))
        .collect();
    // Names that share their variables are refused before any is read.
    for (i, (name, prefix)) in names.iter().zip(&prefixes).enumerate() {
        if let Some(j) = prefixes[..i].iter().position(|p| p == prefix) {
            return Err(format!(
                "{ENABLED}: '{name}' and '{}' both take the variables {prefix}_*; rename one",
                names[j]
            ));
        }
    }
    let mut out = Vec::new();
    let mut declared = Vec::new();
    for (name, prefix) in names.iter().zip(&prefixes) {
        // This connector's variables, not those of a longer name that
        // begins like it (`jira` and `jira-prod`).
        let own: BTreeMap<&str, &str> = vars
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(prefix.as_str())?.strip_prefix('_')?, k, v)))
            .filter(|(_, k, _)| {
                !prefixes
                    .iter()
                    .any(|p| p.len() > prefix.len() && k.starts_with(&format!("{p}_")))
            })
            .map(|(suffix, _, v)| (suffix, v.as_str()))
            .collect();
        let place = Place::Env(prefix);
        let var = |suffix: &str| format!("{prefix}_{suffix}");
        let mut entry = json!({ "name": name });
        let mut provider = Map::new();
        let mut retry = Map::new();
        let descriptor = own
            .get("TYPE")
            .and_then(|t| causeway_connectors::descriptor::builtin_or_user(t.trim()));
        for (suffix, value) in &own {
            if let Some((_, key)) = RUN.iter().find(|(s, _)| s == suffix) {
                entry[*key] = whole(&var(suffix), value)?;
            } else if let Some((_, key)) = RETRY.iter().find(|(s, _)| s == suffix) {
                let v = if suffix.ends_with("_MS") {
                    whole(&var(suffix), value)?
                } else {
                    typed(&var(suffix), value, &json!({"type": "number"}))?
                };
                retry.insert((*key).into(), v);
            } else if *suffix == "TYPE" {
                entry["type"] = Value::String(value.trim().to_string());
            } else if *suffix == "PROJECT" {
                entry["project"] = Value::String(value.trim().to_string());
            } else if *suffix == "ENABLED" {
                entry["enabled"] = typed(&var(suffix), value, &json!({"type": "boolean"}))?;
            } else if let Some(d) = descriptor {
                let field = camel(suffix);
                let props = &d.config_schema["properties"];
                let Some(schema) = props.get(&field) else {
                    let known: Vec<&String> = props
                        .as_object()
                        .map(|p| p.keys().collect())
                        .unwrap_or_default();
                    return Err(format!(
                        "{}: the {} connector has no setting '{field}' (its settings: {})",
                        var(suffix),
                        d.id,
                        known
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                };
                provider.insert(field, typed(&var(suffix), value, schema)?);
            }
        }
        if !retry.is_empty() {
            entry["retryConfig"] = Value::Object(retry);
        }
        entry["providerConfig"] = Value::Object(provider);
        out.push(declare(&entry, place, &mut declared)?);
    }
    Ok(out)
}

/// This process's environment. `std::env::vars()` panics on a variable
/// that is not UTF-8; such a one cannot be a connector's, so it is passed
/// over.
pub(crate) fn vars() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

impl App {
    /// Applies the connectors this process's environment declares
    /// (`ENABLED_CONNECTORS`); those it declared at an earlier start and no
    /// longer does are removed with their secrets. Returns how many.
    pub async fn apply_connectors_env(&self) -> Result<usize, ApiError> {
        let declared =
            parse(&vars()).map_err(|e| ApiError::bad_request(format!("environment: {e}")))?;
        self.apply_declared(&declared, crate::config::file::Owner::Env)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn names_and_fields_change_case_both_ways() {
        assert_eq!(screaming("jira-prod"), "JIRA_PROD");
        assert_eq!(screaming("baseUrl"), "BASE_URL");
        assert_eq!(screaming("weather.noaa2"), "WEATHER_NOAA2");
        assert_eq!(camel("BASE_URL"), "baseUrl");
        assert_eq!(camel("API_KEY"), "apiKey");
        assert_eq!(camel("NAMESPACES"), "namespaces");
    }

    #[test]
    fn the_environment_declares_what_the_file_would() {
        let d = parse(&vars(&[
            ("ENABLED_CONNECTORS", "prom, prom-eu"),
            ("CONNECTOR_PROM_TYPE", "prometheus"),
            ("CONNECTOR_PROM_BASE_URL", "http://127.0.0.1:9090"),
            ("CONNECTOR_PROM_POLL_INTERVAL_MS", "5000"),
            ("CONNECTOR_PROM_MAX_RETRIES", "2"),
            ("CONNECTOR_PROM_RETRY_BASE_DELAY_MS", "100"),
            ("CONNECTOR_PROM_TOKEN", "s3cret"),
            ("CONNECTOR_PROM_EU_TYPE", "prometheus"),
            ("CONNECTOR_PROM_EU_BASE_URL", "http://127.0.0.1:9091"),
            ("CONNECTOR_PROM_EU_ENABLED", "false"),
            ("CONNECTOR_PROM_EU_PROJECT", "eu-prod"),
            ("CONNECTOR_UNLISTED_TYPE", "nope"),
        ]))
        .unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].name.as_str(), d[0].descriptor_id.as_str()),
            ("prom", "prometheus")
        );
        assert_eq!(d[0].config["baseUrl"], "http://127.0.0.1:9090");
        assert_eq!(d[0].config["pollIntervalMs"], 5000);
        assert_eq!(d[0].config["maxRetries"], 2);
        assert_eq!(d[0].config["retryConfig"]["baseDelayMs"], 100);
        assert_eq!(d[0].secrets["token"].expose(), "s3cret");
        assert!(!d[0].config.contains_key("token"), "a secret is no setting");
        // `prom`'s variables are not `prom-eu`'s.
        assert_eq!(d[1].config["baseUrl"], "http://127.0.0.1:9091");
        assert!(!d[1].enabled);
        assert_eq!(
            (d[0].project.as_str(), d[1].project.as_str()),
            ("default", "eu-prod")
        );
        assert!(
            !d[1].config.contains_key("project"),
            "a project is no setting"
        );
        assert!(parse(&vars(&[("CONNECTOR_X_TYPE", "prometheus")]))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_bad_variable_is_named() {
        let err = |pairs: &[(&str, &str)]| parse(&vars(pairs)).unwrap_err();
        let e = err(&[("ENABLED_CONNECTORS", "jira-prod")]);
        assert_eq!(
            e,
            "CONNECTOR_JIRA_PROD_TYPE is required (a connector id such as prometheus)"
        );
        let e = err(&[("ENABLED_CONNECTORS", "a"), ("CONNECTOR_A_TYPE", "nope")]);
        assert_eq!(e, "CONNECTOR_A_TYPE: no connector 'nope'");
        let e = err(&[
            ("ENABLED_CONNECTORS", "a"),
            ("CONNECTOR_A_TYPE", "prometheus"),
            ("CONNECTOR_A_POLL_INTERVAL_MS", "soon"),
        ]);
        assert_eq!(e, "CONNECTOR_A_POLL_INTERVAL_MS must be a whole number");
        let e = err(&[
            ("ENABLED_CONNECTORS", "a"),
            ("CONNECTOR_A_TYPE", "prometheus"),
            ("CONNECTOR_A_BASEURL", "http://x"),
        ]);
        assert!(
            e.starts_with("CONNECTOR_A_BASEURL: the prometheus connector has no setting 'baseurl'"),
            "{e}"
        );
        let e = err(&[
            ("ENABLED_CONNECTORS", "a"),
            ("CONNECTOR_A_TYPE", "prometheus"),
        ]);
        assert_eq!(e, "CONNECTOR_A_BASE_URL is required (Prometheus URL)");
        let e = err(&[
            ("ENABLED_CONNECTORS", "jira-prod"),
            ("CONNECTOR_JIRA_PROD_TYPE", "jira"),
            ("CONNECTOR_JIRA_PROD_BASE_URL", "https://acme.atlassian.net"),
            ("CONNECTOR_JIRA_PROD_EMAIL", " "),
        ]);
        assert!(
            e.starts_with("CONNECTOR_JIRA_PROD_EMAIL is required"),
            "{e}"
        );
        let e = err(&[("ENABLED_CONNECTORS", "a-b,a.b")]);
        assert!(e.contains("CONNECTOR_A_B_*"), "{e}");
    }
}
