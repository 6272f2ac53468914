//! The settings a person changes from the Settings screen: where the data
//! lives and which port webhooks arrive on. Both are read once, when a host
//! starts (the store is open and the socket bound by then), so a change takes
//! effect at the next start and the screen says so.
//!
//! They are kept in `settings.json` in the platform's config folder
//! (`~/.config/causeway` on Linux, `CAUSEWAY_CONFIG_DIR` to change it), not in
//! the data folder: the data folder is one of them.

use crate::api::error::{ApiError, Code};
use crate::api::requests::{SettingsUpdate, TeamPrefs};
use crate::App;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// The port webhooks arrive on unless the settings say otherwise.
pub const DEFAULT_PORT: u16 = 8787;
const FILE: &str = "settings.json";

/// What is saved. Absent fields mean "the default".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_port: Option<u16>,
    /// How long processed payloads and dead letters are kept (edited in the
    /// file; see [`crate::history::retention`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<crate::history::retention::Retention>,
    /// The team to join at start (its password is in the keychain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamPrefs>,
}

/// The keychain handle of the team's Redis password.
const TEAM_PASSWORD: &str = "team/redis/password";

/// `getSettings`: what is in use now beside what is saved for the next start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    /// The data folder this process uses.
    pub data_dir: String,
    /// The data folder saved for the next start (None: the platform default).
    pub saved_data_dir: Option<String>,
    /// Where this process takes webhooks and serves the API (`http://127.0.0.1:8787`).
    pub listening_on: Option<String>,
    /// The webhook port saved for the next start.
    pub webhook_port: u16,
    /// Where the settings are kept.
    pub settings_file: String,
    /// What overrides the saved settings in this process's environment
    /// (`CAUSEWAY_DATA_DIR`): the saved value is ignored while it is set.
    pub overridden_by: Vec<String>,
    /// Whether what is saved differs from what is in use: a restart applies it.
    pub restart_needed: bool,
    /// The team saved for the next start (`None`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub team: Option<TeamPrefs>,
    /// Whether this process is in a team now.
    pub in_team: bool,
}

/// The folder `settings.json` lives in.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CAUSEWAY_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    crate::platform_config_dir().join("causeway")
}

pub fn settings_file() -> PathBuf {
    config_dir().join(FILE)
}

/// The saved settings; missing or unreadable ones are the defaults (a start
/// never fails over a settings file: it says why in the log).
pub fn load() -> Preferences {
    load_from(&settings_file())
}

fn load_from(path: &Path) -> Preferences {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(file = %path.display(), error = %e, "settings ignored: not valid JSON");
            Preferences::default()
        }),
        Err(_) => Preferences::default(),
    }
}

/// The port to listen on for webhooks when none is given on the command line.
pub fn preferred_port() -> u16 {
    load().webhook_port.unwrap_or(DEFAULT_PORT)
}

/// Applies `update` to `saved`, checking each value; the data folder is
/// created when missing, so a start never fails on it.
pub fn apply(mut saved: Preferences, update: SettingsUpdate) -> Result<Preferences, ApiError> {
    if let Some(port) = update.webhook_port {
        if port < 1024 {
            return Err(ApiError::bad_request(format!(
                "port {port} is reserved for the system: pick one from 1024 to 65535"
            )));
        }
        saved.webhook_port = Some(port);
    }
    if update.reset_data_dir == Some(true) {
        saved.data_dir = None;
    } else if let Some(dir) = update.data_dir {
        let dir = PathBuf::from(dir.trim());
        if !dir.is_absolute() {
            return Err(ApiError::bad_request(format!(
                "the data folder must be an absolute path, not '{}'",
                dir.display()
            )));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| ApiError::bad_request(format!("cannot create {}: {e}", dir.display())))?;
        let probe = dir.join(".causeway-write-test");
        std::fs::write(&probe, b"")
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|e| {
                ApiError::bad_request(format!("cannot write in {}: {e}", dir.display()))
            })?;
        saved.data_dir = Some(dir);
    }
    if let Some(t) = update.team {
        let url = t.url.trim().to_string();
        if url.is_empty() {
            saved.team = None;
        } else {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(ApiError::bad_request(
                    "the team's Redis URL starts with redis:// or rediss://",
                ));
            }
            if reqwest::Url::parse(&url).map_or(true, |u| u.password().is_some()) {
                return Err(ApiError::bad_request(
                    "give the team's Redis URL without a password; the password field puts it in the keychain",
                ));
            }
            let clean =
                |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            saved.team = Some(TeamPrefs {
                url,
                name: clean(t.name),
                member: clean(t.member),
            });
        }
    }
    Ok(saved)
}

fn save_to(path: &Path, p: &Preferences) -> Result<(), ApiError> {
    let fail = |e: std::io::Error| {
        ApiError::new(
            Code::Storage,
            format!("cannot save settings to {}: {e}", path.display()),
        )
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let text = serde_json::to_string_pretty(p)
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?;
    // Written aside then renamed: a crash never leaves half a file.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

impl App {
    pub fn settings(&self) -> SettingsView {
        self.settings_view(&settings_file())
    }

    pub async fn save_settings(
        &self,
        mut update: SettingsUpdate,
    ) -> Result<SettingsView, ApiError> {
        let path = settings_file();
        let password = update.team_password.take();
        let next = apply(load_from(&path), update)?;
        if let Some(p) = password {
            let k = self.keychain().clone();
            tokio::task::spawn_blocking(move || {
                let h = causeway_connectors::secrets::SecretHandle::new(TEAM_PASSWORD);
                if p.expose().is_empty() {
                    k.delete(&h).or_else(|e| match e {
                        causeway_connectors::secrets::SecretError::NotFound { .. } => Ok(()),
                        e => Err(e),
                    })
                } else {
                    k.put(&h, &p)
                }
            })
            .await
            .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
            .map_err(crate::connectors::instances::keychain_error)?;
        }
        save_to(&path, &next)?;
        Ok(self.settings_view(&path))
    }

    /// The team saved in Settings, with its password from the keychain:
    /// what the desktop app (and `causeway serve` without `--team`) joins.
    pub fn team_from_settings(&self) -> Option<crate::team::TeamConfig> {
        let t = load().team?;
        let mut c = crate::team::TeamConfig::new(&t.url);
        if let Some(n) = t.name {
            c.name = n;
        }
        if let Some(m) = t.member {
            c.member_name = m;
        }
        let h = causeway_connectors::secrets::SecretHandle::new(TEAM_PASSWORD);
        c.password = self.keychain().get(&h).ok();
        Some(c)
    }

    fn settings_view(&self, path: &Path) -> SettingsView {
        let saved = load_from(path);
        let listening_on = self.base_url.read().ok().and_then(|b| b.clone());
        let port_now = listening_on
            .as_deref()
            .and_then(|u| u.rsplit(':').next())
            .and_then(|p| p.parse::<u16>().ok());
        let webhook_port = saved.webhook_port.unwrap_or(DEFAULT_PORT);
        let overridden_by: Vec<String> = std::env::var_os("CAUSEWAY_DATA_DIR")
            .filter(|d| !d.is_empty())
            .map(|_| "CAUSEWAY_DATA_DIR".to_string())
            .into_iter()
            .collect();
        let data_dir = self.data_dir();
        // Only what was saved can be pending: a folder or port given on the
        // command line is this run's business.
        let dir_pending =
            overridden_by.is_empty() && saved.data_dir.as_ref().is_some_and(|d| *d != data_dir);
        let port_pending = saved
            .webhook_port
            .is_some_and(|p| port_now.is_some_and(|now| now != p));
        SettingsView {
            data_dir: data_dir.display().to_string(),
            saved_data_dir: saved.data_dir.as_ref().map(|d| d.display().to_string()),
            listening_on,
            webhook_port,
            settings_file: path.display().to_string(),
            restart_needed: dir_pending || port_pending || saved.team.is_some() != self.in_team(),
            overridden_by,
            team: saved.team,
            in_team: self.in_team(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_below_1024_are_refused_and_others_kept() {
        let e = apply(
            Preferences::default(),
            SettingsUpdate {
                webhook_port: Some(80),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, crate::Code::BadRequest);
        assert!(e.message.contains("1024"), "{}", e.message);
        let p = apply(
            Preferences::default(),
            SettingsUpdate {
                webhook_port: Some(9797),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.webhook_port, Some(9797));
    }

    #[test]
    fn a_data_folder_must_be_absolute_and_is_created() {
        let e = apply(
            Preferences::default(),
            SettingsUpdate {
                data_dir: Some("relative/dir".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.message.contains("absolute"), "{}", e.message);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new").join("data");
        let p = apply(
            Preferences::default(),
            SettingsUpdate {
                data_dir: Some(dir.display().to_string()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.data_dir.as_deref(), Some(dir.as_path()));
        assert!(dir.is_dir());
        let reset = apply(
            p,
            SettingsUpdate {
                reset_data_dir: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(reset.data_dir, None);
    }

    #[test]
    fn a_team_is_saved_without_a_password_and_an_empty_url_leaves_it() {
        let team = |url: &str| SettingsUpdate {
            team: Some(TeamPrefs {
                url: url.into(),
                name: Some(" sre ".into()),
                member: Some("".into()),
            }),
            ..Default::default()
        };
        let p = apply(Preferences::default(), team("rediss://redis.lan:6380/1")).unwrap();
        let t = p.team.clone().unwrap();
        assert_eq!((t.name.as_deref(), t.member), (Some("sre"), None));
        let e = apply(Preferences::default(), team("redis://:hunter2@h:1")).unwrap_err();
        assert!(e.message.contains("password field") && !e.message.contains("hunter2"));
        assert!(apply(Preferences::default(), team("http://h")).is_err());
        assert_eq!(apply(p, team(" ")).unwrap().team, None);
    }

    #[test]
    fn saved_settings_round_trip_and_a_broken_file_reads_as_defaults() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("cfg").join(FILE);
        assert_eq!(load_from(&path), Preferences::default());
        let p = Preferences {
            data_dir: Some(tmp.path().join("d")),
            webhook_port: Some(9000),
            retention: Some(crate::history::retention::Retention {
                inbox_days: 2,
                dead_letter_days: 90,
            }),
            team: Some(TeamPrefs {
                url: "redis://redis.lan:6379/0".into(),
                name: Some("sre".into()),
                member: None,
            }),
        };
        save_to(&path, &p).unwrap();
        assert_eq!(load_from(&path), p);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(load_from(&path), Preferences::default());
    }
}
