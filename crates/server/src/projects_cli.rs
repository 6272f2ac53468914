//! `causeway projects list|create|rename|delete`: production and staging
//! kept apart. Like `causeway incidents`, a command goes to the `causeway
//! serve` running on the data dir when there is one (its engine forgets a
//! deleted project), else runs in this process.

use crate::incidents_cli::answers;
use causeway_app::api::commands::Command;
use clap::Subcommand;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

#[derive(Subcommand)]
pub enum ProjectsCmd {
    /// Every project.
    List,
    /// A new project, with an Alertmanager receiver of its own; prints its
    /// webhook URL and bearer secret (shown this once).
    Create {
        /// A slug: lowercase letters, digits and inner hyphens (`staging`).
        id: String,
        #[arg(long)]
        name: String,
    },
    /// Rename a project (its id, in URLs, stays).
    Rename {
        id: String,
        #[arg(long)]
        name: String,
    },
    /// Delete a project with its connectors (and their keychain secrets),
    /// incidents, signals and dead letters. Says what goes; `--yes` does it.
    Delete {
        id: String,
        #[arg(long)]
        yes: bool,
    },
}

pub fn run(cmd: ProjectsCmd, data_dir: &Path) -> Result<(), String> {
    let one = |c: Command| -> Result<Value, String> {
        Ok(answers(vec![c], data_dir)?.pop().unwrap_or(Value::Null))
    };
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or("").to_string();
    let mut out = std::io::stdout().lock();
    let text = match cmd {
        ProjectsCmd::List => {
            let v = one(Command::ListProjects)?;
            let mut t = String::new();
            for p in v["projects"].as_array().into_iter().flatten() {
                t.push_str(&format!("{:<24} {}\n", s(p, "id"), s(p, "name")));
            }
            t
        }
        ProjectsCmd::Create { id, name } => {
            let v = one(Command::CreateProject { id, name })?;
            let r = &v["receiver"];
            let url = r["webhookUrl"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| {
                    format!("http://HOST:PORT/webhooks/alertmanager/{}", s(&v, "id"))
                });
            format!(
                "project {} ({}) created\nits Alertmanager receiver: {url}\n\
                 bearer secret (shown this once): {}\n\n{}",
                s(&v, "id"),
                s(&v, "name"),
                s(r, "secret"),
                causeway_app::connectors::webhook_secrets::alertmanager_snippet(
                    &url,
                    &s(r, "secret")
                )
            )
        }
        ProjectsCmd::Rename { id, name } => {
            let v = one(Command::RenameProject { id, name })?;
            format!("project {} is now named {}\n", s(&v, "id"), s(&v, "name"))
        }
        ProjectsCmd::Delete { id, yes } => {
            let what = one(Command::GetProject { id: id.clone() })?;
            let n = |k: &str| what[k].as_i64().unwrap_or(0);
            let goes = format!(
                "{} connector(s) with their keychain secrets, {} incident(s), {} signal(s), \
                 {} dead letter(s), {} payload(s) waiting",
                n("connectors"),
                n("incidents"),
                n("signals"),
                n("deadLetters"),
                n("waiting")
            );
            if !yes {
                return Err(format!(
                    "deleting project {id} ({}) deletes {goes}. Run again with --yes to delete it.",
                    s(&what, "name")
                ));
            }
            one(Command::DeleteProject { id: id.clone() })?;
            format!("project {id} deleted: {goes}\n")
        }
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())
}
