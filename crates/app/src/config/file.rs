//! Connectors as code: `connectors.json` in the connector framework's
//! format, and the lock that keeps one Causeway per data dir.
//!
//! ```json
//! {"connectors": [{"name": "prod-prometheus", "type": "prometheus", "enabled": true,
//!   "pollIntervalMs": 30000, "requestTimeoutMs": 10000, "maxRetries": 3,
//!   "retryConfig": {"baseDelayMs": 1000, "maxDelayMs": 60000, "jitterRatio": 0.2},
//!   "providerConfig": {"baseUrl": "${PROM_URL}", "token": "${PROM_TOKEN}"}}]}
//! ```
//!
//! `"project": "staging"` puts an entry in that project (made when it does
//! not exist; `default` when left out).
//!
//! `${NAME}` is replaced by the environment variable (an unset one is an
//! error naming it); `providerConfig` fields the descriptor marks secret go
//! to the keychain, the rest to SQLite. The file owns the instances it
//! declares: a reload updates them, disables those marked so and removes
//! those it no longer lists. Export writes secrets as `${VARIABLES}`, never
//! values.

use crate::api::error::{ApiError, Code};
use crate::api::requests::NewInstance;
use crate::App;
use causeway_core::Sensitive;
use causeway_store::instances;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The instance-level keys of the framework's format kept in the instance config.
const RUN_KEYS: &[&str] = &[
    "pollIntervalMs",
    "requestTimeoutMs",
    "maxRetries",
    "retryConfig",
];

/// `${NAME}` → the variable's value, everywhere in `v`.
pub fn substitute(
    v: &Value,
    env: &dyn Fn(&str) -> Option<String>,
    at: &str,
) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => Value::String(substitute_str(s, env, at)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| substitute(x, env, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), substitute(x, env, &format!("{at}.{k}"))?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn substitute_str(
    s: &str,
    env: &dyn Fn(&str) -> Option<String>,
    at: &str,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find('}') else {
            return Err(format!("{at}: '${{' without a closing '}}'"));
        };
        let name = &after[..j];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("{at}: '${{{name}}}' is not a variable name"));
        }
        match env(name) {
            Some(v) => out.push_str(&v),
            None => {
                return Err(format!(
                    "{at} uses ${{{name}}}, but the environment variable {name} is not set: set it, or remove it from the file"
                ))
            }
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One connector of the file, resolved.
#[derive(Debug, Clone)]
pub struct Declared {
    pub name: String,
    pub descriptor_id: String,
    /// The project it belongs to.
    pub project: String,
    pub enabled: bool,
    pub config: Map<String, Value>,
    pub secrets: BTreeMap<String, Sensitive<String>>,
}

/// Where an entry's fields are, for error messages: `connectors[0].type`
/// in the file, `CONNECTOR_JIRA_PROD_TYPE` in the environment
/// ([`crate::config::env`]). The messages are otherwise the same.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place<'a> {
    File(usize),
    /// The variables' prefix, `CONNECTOR_JIRA_PROD`.
    Env(&'a str),
}

impl Place<'_> {
    /// Where `field` (`type`, `providerConfig.baseUrl`; `""`: the entry) is.
    pub(crate) fn at(&self, field: &str) -> String {
        match (self, field) {
            (Place::File(i), "") => format!("connectors[{i}]"),
            (Place::File(i), f) => format!("connectors[{i}].{f}"),
            (Place::Env(prefix), "") => (*prefix).to_string(),
            (Place::Env(prefix), f) => {
                let last = f.rsplit('.').next().unwrap_or(f);
                format!("{prefix}_{}", crate::config::env::screaming(last))
            }
        }
    }
}

/// Parses and resolves a connectors.json text. Errors name the file's
/// entry and field.
pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Declared>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = match &v {
        Value::Array(a) => a.clone(),
        Value::Object(m) => m
            .get("connectors")
            .and_then(Value::as_array)
            .cloned()
            .ok_or("expected {\"connectors\": [...]} or a list")?,
        _ => return Err("expected {\"connectors\": [...]} or a list".into()),
    };
    let mut out = Vec::new();
    let mut names = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let place = Place::File(i);
        let c = substitute(c, env, &place.at(""))?;
        out.push(declare(&c, place, &mut names)?);
    }
    Ok(out)
}

/// One entry in the framework's format (`name`, `type`, the run keys,
/// `providerConfig`), checked the same way wherever it was written; `names`
/// are the (type, name) pairs declared before it.
pub(crate) fn declare(
    c: &Value,
    place: Place<'_>,
    names: &mut Vec<(String, String, String)>,
) -> Result<Declared, String> {
    let name = c["name"]
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .ok_or(format!("{} is required", place.at("name")))?;
    let kind = c["type"].as_str().ok_or(format!(
        "{} is required (a connector id such as prometheus)",
        place.at("type")
    ))?;
    let d = causeway_connectors::descriptor::builtin_or_user(kind)
        .ok_or(format!("{}: no connector '{kind}'", place.at("type")))?;
    let project = match &c["project"] {
        Value::Null => crate::projects::DEFAULT_PROJECT.to_string(),
        Value::String(p) => {
            crate::projects::check_id(p)
                .map_err(|e| format!("{}: {}", place.at("project"), e.message))?;
            p.clone()
        }
        _ => return Err(format!("{} must be a string", place.at("project"))),
    };
    let key = (kind.to_string(), name.to_string(), project.clone());
    if names.contains(&key) {
        return Err(format!("{}: a second {kind} named '{name}'", place.at("")));
    }
    names.push(key);
    let secret_keys = secret_fields_of(d);
    let mut config = Map::new();
    let mut secrets = BTreeMap::new();
    match &c["providerConfig"] {
        Value::Null => {}
        Value::Object(m) => {
            for (k, v) in m {
                if secret_keys.contains(k) {
                    let s = v.as_str().ok_or(format!(
                        "{} must be a string",
                        place.at(&format!("providerConfig.{k}"))
                    ))?;
                    secrets.insert(k.clone(), Sensitive::new(s.to_string()));
                } else {
                    config.insert(k.clone(), v.clone());
                }
            }
        }
        _ => return Err(format!("{} must be an object", place.at("providerConfig"))),
    }
    // What the setup form would not let through stops the start here,
    // rather than as a poll failing later with the field's name lost.
    let required = d.config_schema["required"].as_array();
    for k in required.into_iter().flatten().filter_map(Value::as_str) {
        let given = match config.get(k) {
            None | Some(Value::Null) => secrets.contains_key(k),
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(_) => true,
        };
        if !given {
            let title = d.config_schema["properties"][k]["title"]
                .as_str()
                .unwrap_or(k);
            return Err(format!(
                "{} is required ({title})",
                place.at(&format!("providerConfig.{k}"))
            ));
        }
    }
    for k in RUN_KEYS {
        if let Some(v) = c.get(*k) {
            config.insert((*k).to_string(), v.clone());
        }
    }
    Ok(Declared {
        name: name.to_string(),
        descriptor_id: kind.to_string(),
        project,
        enabled: c["enabled"].as_bool().unwrap_or(true),
        config,
        secrets,
    })
}

/// The settings a descriptor marks secret (`"x-secret": true`).
pub(crate) fn secret_fields_of(
    d: &causeway_connectors::descriptor::ConnectorDescriptor,
) -> Vec<String> {
    d.config_schema["properties"]
        .as_object()
        .map(|p| {
            p.iter()
                .filter(|(_, s)| s["x-secret"] == true)
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Where connectors.json is: `CONNECTORS_CONFIG_PATH`, else `DATA_DIR/connectors.json`.
pub fn config_path(data_dir: &Path) -> PathBuf {
    std::env::var_os("CONNECTORS_CONFIG_PATH")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir.join("connectors.json"))
}

/// Who declared an instance (`managed_by` in the store): it updates and
/// removes only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    File,
    Env,
}

impl Owner {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Owner::File => "file",
            Owner::Env => "env",
        }
    }

    fn parse(s: &str) -> Option<Owner> {
        match s {
            "file" => Some(Owner::File),
            "env" => Some(Owner::Env),
            _ => None,
        }
    }

    /// As a person would say where it was declared.
    fn said(self) -> &'static str {
        match self {
            Owner::File => "connectors.json",
            Owner::Env => "ENABLED_CONNECTORS",
        }
    }
}

/// The data dir's lock, held for the process's life.
pub struct DataDirLock {
    _file: std::fs::File,
}

impl App {
    /// Takes the data dir's lock: a second Causeway on the same data would
    /// poll every instance twice. The error says who holds it.
    pub fn lock_data_dir(&self) -> Result<DataDirLock, ApiError> {
        let path = self.data_dir().join("causeway.lock");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| {
                ApiError::new(
                    Code::Storage,
                    format!("cannot open {}: {e}", path.display()),
                )
            })?;
        match file.try_lock() {
            Ok(()) => {
                use std::io::{Seek, Write};
                let _ = file.set_len(0);
                let _ = file.seek(std::io::SeekFrom::Start(0));
                let _ = write!(file, "{}", std::process::id());
                Ok(DataDirLock { _file: file })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path).unwrap_or_default();
                Err(ApiError::new(
                    Code::Locked,
                    format!(
                        "another Causeway (pid {}) is running on {}; stop it first, or use another --data-dir",
                        pid.trim(),
                        self.data_dir().display()
                    ),
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(ApiError::new(
                Code::Storage,
                format!("cannot lock {}: {e}", path.display()),
            )),
        }
    }

    /// Applies connectors.json at `path` (absent: nothing to do). Instances
    /// it declares are created or updated; file-owned instances it no longer
    /// lists are removed with their secrets. Returns how many it declares.
    pub async fn apply_connectors_file(&self, path: &Path) -> Result<usize, ApiError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => {
                return Err(ApiError::bad_request(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        let declared = parse(&text, &|k| std::env::var(k).ok())
            .map_err(|e| ApiError::bad_request(format!("{}: {e}", path.display())))?;
        self.apply_declared(&declared, Owner::File).await
    }

    /// Applies `declared` as owned by `owner`: created or updated, and the
    /// instances `owner` made before but no longer declares removed with
    /// their secrets. An instance the other owner holds is not taken over.
    pub(crate) async fn apply_declared(
        &self,
        declared: &[Declared],
        owner: Owner,
    ) -> Result<usize, ApiError> {
        // The instances, and who made each (one read).
        let (existing, makers) = self
            .store()
            .read(|c| {
                let all = instances::list(c)?;
                let mut makers = BTreeMap::new();
                for i in &all {
                    if let Some(by) = instances::managed_by(c, &i.id)? {
                        makers.insert(i.id.clone(), by);
                    }
                }
                Ok((all, makers))
            })
            .await?;
        let mut keep = Vec::new();
        for d in declared {
            let found = existing.iter().find(|i| {
                i.descriptor_id == d.descriptor_id && i.name == d.name && i.project_id == d.project
            });
            let other = found
                .and_then(|i| makers.get(&i.id))
                .filter(|by| by.as_str() != owner.as_str())
                .filter(|by| {
                    // Moved from one to the other: the new one takes it.
                    Owner::parse(by).is_none_or(|o| self.still_declares(o, d))
                });
            if let Some(by) = other {
                return Err(ApiError::bad_request(format!(
                    "{} '{}' is declared both in {} and in {}: keep one",
                    d.descriptor_id,
                    d.name,
                    owner.said(),
                    Owner::parse(by).map_or(by.as_str(), |o| o.said())
                )));
            }
            let id = match found {
                Some(i) => {
                    let mut config = d.config.clone();
                    // Keys that are gone from the declaration are removed.
                    let old: Map<String, Value> =
                        serde_json::from_str(&i.config).unwrap_or_default();
                    for k in old.keys() {
                        if !config.contains_key(k) && k != "secretFields" && k != "verify" {
                            config.insert(k.clone(), Value::Null);
                        }
                    }
                    let u = crate::api::requests::InstanceUpdate {
                        name: None,
                        enabled: Some(d.enabled),
                        config: Some(Value::Object(config)),
                        secrets: d.secrets.clone(),
                    };
                    self.update_instance(i.id.clone(), u).await?;
                    i.id.clone()
                }
                None => {
                    // A project named only here is made for it.
                    let project = d.project.clone();
                    self.store()
                        .write(move |c| {
                            let at = causeway_store::ts(chrono::Utc::now());
                            causeway_store::projects::ensure(c, &project, &at)
                        })
                        .await?;
                    let v = self
                        .create_instance(NewInstance {
                            descriptor_id: d.descriptor_id.clone(),
                            project_id: d.project.clone(),
                            name: d.name.clone(),
                            config: Value::Object(d.config.clone()),
                            secrets: d.secrets.clone(),
                        })
                        .await?;
                    if !d.enabled {
                        self.set_instance_enabled(v.id.clone(), false).await?;
                    }
                    v.id
                }
            };
            let mid = id.clone();
            self.store()
                .write(move |c| instances::set_managed_by(c, &mid, Some(owner.as_str())))
                .await?;
            keep.push(id);
        }
        let gone = makers
            .into_iter()
            .filter(|(id, by)| by == owner.as_str() && !keep.contains(id));
        for (id, _) in gone {
            tracing::info!(instance = %id, "no longer declared in {}", owner.said());
            self.delete_instance(id).await?;
        }
        self.sync_sources().await;
        Ok(declared.len())
    }

    /// Whether `owner` still declares `it` (same kind, name and project; one that cannot
    /// be read counts as declaring it, so nothing is taken by mistake).
    fn still_declares(&self, owner: Owner, it: &Declared) -> bool {
        let declared = match owner {
            Owner::Env => crate::config::env::parse(&crate::config::env::vars()),
            Owner::File => match std::fs::read_to_string(config_path(&self.data_dir())) {
                Ok(text) => parse(&text, &|k| std::env::var(k).ok()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(_) => return true,
            },
        };
        declared.map_or(true, |all| {
            all.iter().any(|d| {
                d.descriptor_id == it.descriptor_id && d.name == it.name && d.project == it.project
            })
        })
    }

    /// Reloads connectors.json when it changes on disk (checked every
    /// `every`) or when `hup` fires (SIGHUP, where the host has one). A
    /// broken file is reported and the running connectors are left as they are.
    pub fn watch_connectors_file(
        &self,
        path: PathBuf,
        every: std::time::Duration,
        mut hup: Option<tokio::sync::mpsc::Receiver<()>>,
    ) {
        let app = self.clone();
        tokio::spawn(async move {
            let stamp = |p: &Path| {
                std::fs::read(p)
                    .ok()
                    .map(|b| causeway_core::hash::short_hex(&[&String::from_utf8_lossy(&b)]))
            };
            let mut last = stamp(&path);
            loop {
                let forced = tokio::select! {
                    _ = tokio::time::sleep(every) => false,
                    r = async {
                        match hup.as_mut() {
                            Some(h) => h.recv().await,
                            None => std::future::pending().await,
                        }
                    } => r.is_some(),
                };
                let now = stamp(&path);
                if !forced && now == last {
                    continue;
                }
                last = now;
                match app.apply_connectors_file(&path).await {
                    Ok(n) => {
                        tracing::info!(path = %path.display(), connectors = n, "connectors.json reloaded")
                    }
                    Err(e) => {
                        tracing::error!(error = %e.message, "connectors.json not applied; the running connectors are unchanged")
                    }
                }
            }
        });
    }

    /// Every instance in connectors.json's format; secrets as `${VARIABLES}`.
    pub async fn export_connectors(&self) -> Result<Value, ApiError> {
        let list = self.store().read(instances::list).await?;
        let mut out = Vec::new();
        for i in list.into_iter().filter(|i| i.descriptor_id != "causeway") {
            let mut config: Map<String, Value> =
                serde_json::from_str(&i.config).unwrap_or_default();
            let fields =
                crate::connectors::instances::secret_fields(&Value::Object(config.clone()));
            config.remove("secretFields");
            config.remove("verify");
            let mut entry = json!({"name": i.name, "type": i.descriptor_id, "enabled": i.enabled});
            if i.project_id != crate::projects::DEFAULT_PROJECT {
                entry["project"] = Value::String(i.project_id.clone());
            }
            for k in RUN_KEYS {
                if let Some(v) = config.remove(*k) {
                    entry[*k] = v;
                }
            }
            for f in fields {
                let var: String = format!("{}_{}", i.id, f)
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_uppercase()
                        } else {
                            '_'
                        }
                    })
                    .collect();
                config.insert(f, json!(format!("${{{var}}}")));
            }
            entry["providerConfig"] = Value::Object(config);
            out.push(entry);
        }
        Ok(json!({ "connectors": out }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_substituted_and_an_unset_one_is_named() {
        let env = |k: &str| (k == "PROM_URL").then(|| "http://127.0.0.1:9090".to_string());
        let v = json!({"providerConfig": {"baseUrl": "${PROM_URL}/x", "n": 3}});
        assert_eq!(
            substitute(&v, &env, "c").unwrap()["providerConfig"]["baseUrl"],
            "http://127.0.0.1:9090/x"
        );
        let e = substitute(&json!({"token": "${NOPE}"}), &env, "connectors[0]").unwrap_err();
        assert!(
            e.contains("NOPE") && e.contains("connectors[0].token"),
            "{e}"
        );
        assert!(substitute(&json!("${bad-name}"), &env, "x").is_err());
    }

    #[test]
    fn the_file_splits_secrets_from_settings() {
        let env = |k: &str| (k == "T").then(|| "s3cret".to_string());
        let d = parse(
            r#"{"connectors": [{"name": "p", "type": "prometheus", "pollIntervalMs": 5000,
                "providerConfig": {"baseUrl": "http://x", "auth": "bearer", "token": "${T}"}}]}"#,
            &env,
        )
        .unwrap();
        assert_eq!(d[0].secrets["token"].expose(), "s3cret");
        assert!(!d[0].config.contains_key("token"));
        assert_eq!(d[0].config["pollIntervalMs"], 5000);
        assert!(parse(r#"[{"name": "p", "type": "nope"}]"#, &env)
            .unwrap_err()
            .contains("no connector 'nope'"));
        assert_eq!(
            parse(r#"[{"name": "p", "type": "prometheus"}]"#, &env).unwrap_err(),
            "connectors[0].providerConfig.baseUrl is required (Prometheus URL)"
        );
    }

    #[test]
    fn an_entry_names_its_project_and_the_same_name_may_serve_two() {
        let env = |_: &str| None;
        let prom = |project: &str| {
            format!(
                r#"{{"name": "p", "type": "prometheus", {project}"providerConfig": {{"baseUrl": "http://x"}}}}"#
            )
        };
        let two = format!("[{}, {}]", prom(""), prom(r#""project": "staging", "#));
        let d = parse(&two, &env).unwrap();
        assert_eq!(
            (d[0].project.as_str(), d[1].project.as_str()),
            ("default", "staging")
        );
        let twice = format!("[{}, {}]", prom(""), prom(r#""project": "default", "#));
        assert!(parse(&twice, &env)
            .unwrap_err()
            .contains("a second prometheus named 'p'"));
        let bad = format!("[{}]", prom(r#""project": "Prod EU", "#));
        assert!(parse(&bad, &env)
            .unwrap_err()
            .starts_with("connectors[0].project: a project id is"));
    }

    #[tokio::test]
    async fn a_declared_project_is_made_with_its_connector() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path()).unwrap();
        let text = r#"[{"name": "p", "type": "prometheus", "project": "staging",
            "providerConfig": {"baseUrl": "http://127.0.0.1:9"}}]"#;
        let declared = parse(text, &|_| None).unwrap();
        assert_eq!(app.apply_declared(&declared, Owner::File).await.unwrap(), 1);
        let theirs = app.list_instances(Some("staging".into())).await.unwrap();
        assert_eq!(theirs.instances.len(), 1);
        let ours = app.list_instances(None).await.unwrap();
        assert!(ours
            .instances
            .iter()
            .all(|i| i.name != "p" || i.project_id == "staging"));
        // Applied again: the same instance, not a second one.
        app.apply_declared(&declared, Owner::File).await.unwrap();
        let again = app.list_instances(Some("staging".into())).await.unwrap();
        assert_eq!(again.instances.len(), 1);
        let exported = app.export_connectors().await.unwrap();
        let entry = exported["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "p")
            .unwrap()
            .clone();
        assert_eq!(entry["project"], "staging");
    }
}
