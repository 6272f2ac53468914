//! `causeway`: the headless app and its tools.

mod bench;

use causeway_app::App;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "causeway",
    version,
    about = "Causeway: a local-first incident workbench"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the full app headless: webhook gateway, correlation, SQLite, and the web UI.
    Serve {
        /// Data folder (default: the platform's app-data folder, or CAUSEWAY_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Address to listen on; loopback unless told otherwise. Port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Load the built-in demo storm when the database is empty.
        #[arg(long)]
        demo: bool,
        /// The built web UI (default: CAUSEWAY_UI_DIR, else ui/dist of the source tree).
        #[arg(long)]
        ui_dir: Option<PathBuf>,
    },
    /// Run normalize → correlate over a recorded NDJSON stream and write the report.
    Replay {
        /// NDJSON events: {at, source, headers?, body} per line.
        #[arg(long)]
        events: PathBuf,
        /// Folder of Kubernetes manifests / ServiceGraph files.
        #[arg(long)]
        topology: Option<PathBuf>,
        /// JSON file of correlation settings: {"correlation": {...}}.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Where to write REPORT.json.
        #[arg(long)]
        out: PathBuf,
    },
    /// Benchmarks against peers, on this machine (loopback only).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCmd,
    },
    /// API tokens for the ingest API and scripts.
    Token {
        #[command(subcommand)]
        command: TokenCmd,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Issue a new token and print it once; only its hash is stored.
    Issue {
        /// `ingest` (POST /v1/incidents/ingest) or `admin` (everything).
        #[arg(long)]
        scope: String,
        /// Data folder (default: the platform's app-data folder, or CAUSEWAY_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A benchmark prints its own progress; the store's notes would be noise.
    let level = match cli.command {
        Cmd::Bench { .. } => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAUSEWAY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Cmd::Serve {
            data_dir,
            listen,
            demo,
            ui_dir,
        } => serve(data_dir, listen, demo, ui_dir),
        Cmd::Replay {
            events,
            topology,
            rules,
            out,
        } => replay(events, topology, rules, out),
        Cmd::Bench { command } => bench::run(command),
        Cmd::Token {
            command: TokenCmd::Issue { scope, data_dir },
        } => token_issue(&scope, data_dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("causeway: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    data_dir: Option<PathBuf>,
    listen: SocketAddr,
    demo: bool,
    ui_dir: Option<PathBuf>,
) -> Result<(), String> {
    let data_dir = data_dir.unwrap_or_else(causeway_app::default_data_dir);
    let ui_dir = ui_dir.or_else(causeway_server::default_ui_dir);
    if ui_dir.is_none() {
        tracing::warn!("the web UI is not built (ui/dist); the API and webhooks still work");
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let app = App::open(&data_dir).map_err(|e| e.message)?;
        app.start();
        if demo && app.load_demo_if_empty().await.map_err(|e| e.message)? {
            tracing::info!("demo storm loaded");
        }
        let running = causeway_server::start(app, listen, ui_dir, shutdown_signal())
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        tracing::info!(addr = %running.addr, data_dir = %data_dir.display(), "causeway serving");
        println!("{}", running.login_url());
        running
            .task
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn replay(
    events: PathBuf,
    topology: Option<PathBuf>,
    rules: Option<PathBuf>,
    out: PathBuf,
) -> Result<(), String> {
    let text = std::fs::read_to_string(&events)
        .map_err(|e| format!("cannot read --events {}: {e}", events.display()))?;
    let mut config = causeway_core::CorrelationConfig::default();
    if let Some(rules) = rules {
        let raw = std::fs::read_to_string(&rules)
            .map_err(|e| format!("cannot read --rules {}: {e}", rules.display()))?;
        let v: serde_json::Value = serde_json::from_str(&raw)
            .map_err(|e| format!("--rules {} is not JSON: {e}", rules.display()))?;
        if let Some(c) = v.get("correlation") {
            config = serde_json::from_value(c.clone())
                .map_err(|e| format!("--rules {}: bad 'correlation': {e}", rules.display()))?;
        }
    }
    if let Some(dir) = topology {
        let n = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read --topology {}: {e}", dir.display()))?
            .count();
        eprintln!(
            "warning: --topology {} ({n} entries) is not used yet: this engine groups by owner chain only",
            dir.display()
        );
    }
    let report = causeway_app::replay::replay(&text, config);
    std::fs::write(&out, causeway_app::replay::to_json(&report))
        .map_err(|e| format!("cannot write --out {}: {e}", out.display()))
}

fn token_issue(scope: &str, data_dir: Option<PathBuf>) -> Result<(), String> {
    let data_dir = data_dir.unwrap_or_else(causeway_app::default_data_dir);
    let store = causeway_store::Store::open(&data_dir).map_err(|e| e.to_string())?;
    let token = causeway_server::auth::issue(&store, scope)?;
    println!("{token}");
    Ok(())
}
