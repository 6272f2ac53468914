//! `causeway connectors list|add|test|remove|export`: the same commands the
//! API runs, on a data dir. A running `causeway serve` on that dir picks
//! changes up within seconds. Secrets are read from environment variables
//! or standard input, never from the command line (shell history, `ps`).

use causeway_app::api::requests::NewInstance;
use causeway_app::connectors::ops::TestResult;
use causeway_app::{dispatch, App, Command};
use causeway_core::Sensitive;
use clap::Subcommand;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ConnectorsCmd {
    /// Every instance with its health.
    List {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Add an instance; prints its id.
    Add {
        /// The connector (`prometheus`, `jira`, …; see the catalogue).
        #[arg(long = "type")]
        kind: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "default")]
        project: String,
        /// Settings as a JSON object.
        #[arg(long)]
        config: Option<String>,
        /// A secret from an environment variable: FIELD=VARIABLE (repeatable).
        #[arg(long = "secret-env")]
        secret_env: Vec<String>,
        /// A secret read from a line of standard input: FIELD (repeatable, in order).
        #[arg(long = "secret-stdin")]
        secret_stdin: Vec<String>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Dry-run an instance: requests, answers and would-be signals; nothing is stored.
    Test {
        id: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Delete an instance and its keychain secrets.
    Remove {
        id: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Print every instance in connectors.json's format (secrets as ${VARIABLES}).
    Export {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn secrets(
    env: &[String],
    stdin: &[String],
) -> Result<BTreeMap<String, Sensitive<String>>, String> {
    let mut out = BTreeMap::new();
    for pair in env {
        let (field, var) = pair
            .split_once('=')
            .ok_or(format!("--secret-env {pair}: expected FIELD=VARIABLE"))?;
        let v = std::env::var(var)
            .map_err(|_| format!("--secret-env {field}: the variable {var} is not set"))?;
        out.insert(field.to_string(), Sensitive::new(v));
    }
    for field in stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("--secret-stdin {field}: {e}"))?;
        out.insert(
            field.to_string(),
            Sensitive::new(line.trim_end_matches(['\r', '\n']).to_string()),
        );
    }
    Ok(out)
}

pub fn run(cmd: ConnectorsCmd) -> Result<(), String> {
    let dir = match &cmd {
        ConnectorsCmd::List { data_dir }
        | ConnectorsCmd::Add { data_dir, .. }
        | ConnectorsCmd::Test { data_dir, .. }
        | ConnectorsCmd::Remove { data_dir, .. }
        | ConnectorsCmd::Export { data_dir } => data_dir.clone(),
    }
    .unwrap_or_else(causeway_app::default_data_dir);
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        // Not started: this process changes the table; the app that runs polls.
        let app = App::open(&dir).map_err(|e| e.message)?;
        if let Err(e) = app.load_user_descriptors() {
            eprintln!("causeway: {}", e.message);
        }
        let call = |c: Command| {
            let app = app.clone();
            async move { dispatch(&app, c).await.map_err(|e| e.message) }
        };
        match cmd {
            ConnectorsCmd::List { .. } => {
                let v = call(Command::ListInstances { project: None }).await?;
                for i in v["instances"].as_array().into_iter().flatten() {
                    let h = &i["health"];
                    println!(
                        "{:<32} {:<18} {:<8} {:<12} {}",
                        i["id"].as_str().unwrap_or_default(),
                        i["descriptorId"].as_str().unwrap_or_default(),
                        if i["enabled"] == true {
                            "enabled"
                        } else {
                            "disabled"
                        },
                        h["state"].as_str().unwrap_or_default(),
                        h["lastError"].as_str().unwrap_or_default()
                    );
                }
            }
            ConnectorsCmd::Add {
                kind,
                name,
                project,
                config,
                secret_env,
                secret_stdin,
                ..
            } => {
                let config = match config {
                    Some(c) => serde_json::from_str(&c)
                        .map_err(|e| format!("--config is not JSON: {e}"))?,
                    None => serde_json::json!({}),
                };
                let new = NewInstance {
                    descriptor_id: kind,
                    project_id: project,
                    name,
                    config,
                    secrets: secrets(&secret_env, &secret_stdin)?,
                };
                let v = call(Command::CreateInstance(new)).await?;
                println!("{}", v["id"].as_str().unwrap_or_default());
            }
            ConnectorsCmd::Test { id, .. } => {
                let v = call(Command::TestInstance { id }).await?;
                let t: TestResult = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
                for r in &t.requests {
                    println!(
                        "{} {} → {}",
                        r["method"].as_str().unwrap_or_default(),
                        r["url"].as_str().unwrap_or_default(),
                        r["status"]
                    );
                }
                for s in &t.sample {
                    println!(
                        "  would signal: [{}] {} ({})",
                        s.status.as_str(),
                        s.title,
                        s.severity.as_str()
                    );
                }
                println!("{}: {}", if t.ok { "ok" } else { "failed" }, t.message);
                if !t.ok {
                    return Err("the test failed".into());
                }
            }
            ConnectorsCmd::Remove { id, .. } => {
                call(Command::DeleteInstance { id: id.clone() }).await?;
                println!("removed {id} and its keychain secrets");
            }
            ConnectorsCmd::Export { .. } => {
                let v = call(Command::ExportConnectors).await?;
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            }
        }
        Ok(())
    })
}
