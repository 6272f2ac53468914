//! `causeway incidents ...`: list and show incidents, move a signal, merge
//! and split incidents, read an incident's decision ledger, and back-test
//! correlation settings before applying them.
//!
//! Every subcommand is an app [`Command`]. When `causeway serve` runs on
//! the data dir (its `serve.addr` answers), the command goes to it over
//! `POST /api/rpc` with a fresh admin token, so the running engine makes the
//! change; otherwise the command runs in this process on the data dir.

use causeway_app::api::commands::Command;
use causeway_app::App;
use causeway_core::CorrelationConfig;
use clap::Subcommand;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum IncidentsCmd {
    /// A project's incidents, newest first.
    List {
        /// The project (default: `default`).
        #[arg(long)]
        project: Option<String>,
    },
    /// One incident: its signals with the reason each joined, and its ledger.
    Show { id: String },
    /// Move a signal (and its alert's later repeats) into an incident.
    Move {
        signal: String,
        #[arg(long)]
        to: String,
    },
    /// Merge incident FROM into INTO.
    Merge {
        from: String,
        #[arg(long)]
        into: String,
    },
    /// Split signals off an incident into a new one.
    Split {
        id: String,
        #[arg(required = true)]
        signals: Vec<String>,
    },
    /// Every decision about an incident, with its reason.
    Ledger { id: String },
    /// Replay the stored history with the settings in FILE
    /// (`{"correlation": {...}}`, as `replay --rules`) and show what would
    /// change; `--apply` applies them afterwards.
    Backtest {
        #[arg(long)]
        rules: PathBuf,
        #[arg(long)]
        apply: bool,
        /// The project whose history and settings (default: `default`).
        #[arg(long)]
        project: Option<String>,
    },
}

/// Runs one `causeway incidents` subcommand and prints its answer.
pub fn run(cmd: IncidentsCmd, data_dir: &Path) -> Result<(), String> {
    let commands: Vec<Command> = match &cmd {
        IncidentsCmd::List { project } => vec![Command::ListIncidents {
            project: project.clone(),
        }],
        IncidentsCmd::Show { id } => vec![
            Command::GetIncident { id: id.clone() },
            Command::GetLedger { id: id.clone() },
        ],
        IncidentsCmd::Move { signal, to } => vec![Command::MoveSignal {
            signal_id: signal.clone(),
            incident_id: to.clone(),
        }],
        IncidentsCmd::Merge { from, into } => vec![Command::MergeIncidents {
            from: from.clone(),
            into: into.clone(),
        }],
        IncidentsCmd::Split { id, signals } => vec![Command::SplitIncident {
            id: id.clone(),
            signal_ids: signals.clone(),
        }],
        IncidentsCmd::Ledger { id } => vec![Command::GetLedger { id: id.clone() }],
        IncidentsCmd::Backtest {
            rules,
            apply,
            project,
        } => {
            let config = read_rules(rules)?;
            let mut c = vec![Command::Backtest {
                config: config.clone(),
                project: project.clone(),
            }];
            if *apply {
                c.push(Command::ApplyCorrelationSettings {
                    config,
                    project: project.clone(),
                });
            }
            c
        }
    };
    let answers = answers(commands, data_dir)?;
    print!("{}", render(&cmd, &answers));
    Ok(())
}

/// Runs `commands` on the `causeway serve` of `data_dir` when one runs (so
/// its engine makes the change), else in this process; their answers.
pub(crate) fn answers(commands: Vec<Command>, data_dir: &Path) -> Result<Vec<Value>, String> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        match running_server(data_dir).await {
            Some(addr) => {
                // A token for these calls only, removed after them.
                let store = causeway_store::Store::open(data_dir).map_err(|e| e.to_string())?;
                let issued = causeway_app::api::tokens::issue_blocking(&store, "admin")
                    .map_err(|e| e.message)?;
                let out = async {
                    let mut out = Vec::new();
                    for c in &commands {
                        out.push(remote(&addr, &issued.token, c).await?);
                    }
                    Ok::<_, String>(out)
                }
                .await;
                let id = issued.view.id;
                store
                    .write_blocking(move |c| causeway_store::tokens::delete(c, &id))
                    .map_err(|e| e.to_string())?;
                out
            }
            None => {
                let app = App::open(data_dir).map_err(|e| e.message)?;
                let mut out = Vec::new();
                for c in commands {
                    let v = causeway_app::dispatch(&app, c)
                        .await
                        .map_err(|e| format!("{}: {}", e.code, e.message))?;
                    out.push(v);
                }
                Ok(out)
            }
        }
    })
}

fn read_rules(path: &Path) -> Result<CorrelationConfig, String> {
    let raw = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --rules {}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&raw)
        .map_err(|e| format!("--rules {} is not JSON: {e}", path.display()))?;
    let c = v
        .get("correlation")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    serde_json::from_value(c)
        .map_err(|e| format!("--rules {}: bad 'correlation': {e}", path.display()))
}

/// The address of a `causeway serve` running on this data dir, if one answers.
async fn running_server(data_dir: &Path) -> Option<String> {
    let addr = std::fs::read_to_string(data_dir.join("serve.addr")).ok()?;
    let addr = addr.trim().to_string();
    let connect = tokio::net::TcpStream::connect(&addr);
    match tokio::time::timeout(std::time::Duration::from_secs(2), connect).await {
        Ok(Ok(_)) => Some(addr),
        _ => None,
    }
}

/// `POST /api/rpc` to the running server (loopback).
async fn remote(addr: &str, token: &str, c: &Command) -> Result<Value, String> {
    let answer = reqwest::Client::new()
        .post(format!("http://{addr}/api/rpc"))
        .bearer_auth(token)
        .json(c)
        .timeout(std::time::Duration::from_secs(120))
        .send()
        .await
        .map_err(|e| format!("cannot reach causeway serve at {addr}: {e}"))?;
    let status = answer.status().as_u16();
    let text = answer.text().await.map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| format!("causeway serve answered {status} with no JSON: {e}"))?;
    if status >= 400 {
        return Err(format!(
            "{}: {}",
            v["code"].as_str().unwrap_or("error"),
            v["message"].as_str().unwrap_or("")
        ));
    }
    Ok(v)
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

/// Human-readable answers.
fn render(cmd: &IncidentsCmd, answers: &[Value]) -> String {
    let mut out = String::new();
    let first = answers.first().cloned().unwrap_or(Value::Null);
    match cmd {
        IncidentsCmd::List { .. } => {
            let list = first["incidents"].as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                out.push_str("no incidents\n");
            }
            for i in list {
                out.push_str(&format!(
                    "{}  {:<13} {:<8} {:>4} signals  {}\n",
                    s(&i, "id"),
                    s(&i, "status"),
                    s(&i, "severity"),
                    i["signalCount"],
                    s(&i, "title")
                ));
            }
        }
        IncidentsCmd::Show { .. } => {
            out.push_str(&format!(
                "{}  {}  {}  {}\n",
                s(&first, "id"),
                s(&first, "status"),
                s(&first, "severity"),
                s(&first, "title")
            ));
            if let Some(i) = first["insight"].as_str() {
                out.push_str(&format!("{i}\n"));
            }
            if let Some(a) = first["suggestedAction"].as_str() {
                out.push_str(&format!("suggested: {a}\n"));
            }
            out.push_str("signals:\n");
            for sig in first["signals"].as_array().cloned().unwrap_or_default() {
                let link = &sig["link"];
                out.push_str(&format!(
                    "  {}  {}  [{} {}] {}\n",
                    s(&sig, "id"),
                    s(&sig, "title"),
                    s(link, "strategy"),
                    s(link, "confidence"),
                    s(link, "explanation")
                ));
            }
            if let Some(l) = answers.get(1) {
                out.push_str("ledger:\n");
                out.push_str(&ledger(l));
            }
        }
        IncidentsCmd::Ledger { .. } => out.push_str(&ledger(&first)),
        IncidentsCmd::Move { .. } | IncidentsCmd::Merge { .. } | IncidentsCmd::Split { .. } => {
            out.push_str(&format!(
                "done: the signals are in {}; changed {}\n",
                s(&first, "incidentId"),
                first["incidents"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            ));
        }
        IncidentsCmd::Backtest { apply, .. } => {
            out.push_str(&format!(
                "{} signals replayed: now {} incidents ({} unassigned), with the proposed settings {} ({} unassigned)\n",
                first["signals"],
                first["current"]["incidents"],
                first["current"]["unassigned"],
                first["proposed"]["incidents"],
                first["proposed"]["unassigned"]
            ));
            let changes = first["changes"].as_array().cloned().unwrap_or_default();
            if changes.is_empty() {
                out.push_str("no incident would change\n");
            }
            for c in changes {
                let names = |k: &str| {
                    c[k].as_array()
                        .map(|a| {
                            a.iter()
                                .map(|i| {
                                    format!(
                                        "{} \"{}\" ({} signals)",
                                        s(i, "id"),
                                        s(i, "title"),
                                        i["signals"]
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(" + ")
                        })
                        .unwrap_or_default()
                };
                out.push_str(&format!(
                    "{:<8} {} -> {}\n",
                    s(&c, "kind"),
                    names("current"),
                    names("proposed")
                ));
            }
            out.push_str(if *apply {
                "applied: new decisions use these settings\n"
            } else {
                "not applied (add --apply)\n"
            });
        }
    }
    out
}

fn ledger(v: &Value) -> String {
    let mut out = String::new();
    for e in v["entries"].as_array().cloned().unwrap_or_default() {
        out.push_str(&format!(
            "  {}  {:<6} {:<15} {}\n",
            s(&e, "at"),
            s(&e, "actor"),
            s(&e, "action"),
            s(&e, "text")
        ));
    }
    out
}
