//! `causeway`: the headless app and its tools.

mod cli_connectors;
mod incidents_cli;
mod projects_cli;

use causeway_app::App;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// See the workspace Cargo.toml for why.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's own collection (in the library the allocator links in):
    /// frees the calling thread's retained pages; `force` also purges them.
    fn mi_collect(force: bool);
}

/// Gives memory a storm freed back to the system, from the calling thread.
fn release_memory() {
    // SAFETY: mi_collect takes no pointers and may be called from any
    // thread at any time; it only walks mimalloc's own heap of that thread.
    unsafe { mi_collect(true) }
}

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
        /// Default: 127.0.0.1 and the webhook port saved in Settings (8787).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Load the built-in demo storm when the database is empty.
        #[arg(long)]
        demo: bool,
        /// Serve the web UI from this folder instead of the one built into the
        /// binary (default: CAUSEWAY_UI_DIR).
        #[arg(long)]
        ui_dir: Option<PathBuf>,
        /// Kubernetes manifests / ServiceGraph files to correlate over
        /// (default: DATA_DIR/topology when it exists; with --demo, Online Boutique).
        #[arg(long)]
        topology: Option<PathBuf>,
        /// Listen on an address other machines reach (`--listen 0.0.0.0:8787`).
        /// Without it, only loopback addresses are accepted. Put TLS in front.
        #[arg(long)]
        allow_remote: bool,
        /// A host name the UI and API answer to besides IP addresses and
        /// localhost (the name of a reverse proxy in front); repeatable.
        #[arg(long = "allowed-host", value_name = "NAME")]
        allowed_hosts: Vec<String>,
        #[command(flatten)]
        team: TeamArgs,
    },
    /// Print a new one-time login link for the `causeway serve` running on
    /// a data folder (each link opens one browser session; it expires in 10 minutes).
    Login {
        /// Data folder (default: the platform's app-data folder, or CAUSEWAY_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
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
    /// Benchmarks: ingest against Alertmanager, correlation against baselines.
    #[cfg(feature = "bench")]
    Bench {
        #[command(subcommand)]
        command: BenchCmd,
    },
    /// Payloads that could not be taken in: list them, re-play one after a fix.
    DeadLetters {
        #[command(subcommand)]
        command: DeadLetterCmd,
    },
    /// Incidents: list, show, move a signal, merge, split, the decision
    /// ledger, and back-testing correlation settings.
    Incidents {
        #[command(subcommand)]
        command: incidents_cli::IncidentsCmd,
        /// Data folder (default: the platform's app-data folder, or CAUSEWAY_DATA_DIR).
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
    },
    /// Projects (production, staging, ...): list, create, rename, delete.
    Projects {
        #[command(subcommand)]
        command: projects_cli::ProjectsCmd,
        /// Data folder (default: the platform's app-data folder, or CAUSEWAY_DATA_DIR).
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
    },
    /// Connector instances: list, add (secrets to the keychain), test, remove, export.
    Connectors {
        #[command(subcommand)]
        command: cli_connectors::ConnectorsCmd,
    },
    /// API tokens for the ingest API and scripts.
    Token {
        #[command(subcommand)]
        command: TokenCmd,
    },
}

/// Team mode: several Causeways sharing connectors and incidents through
/// a Redis (see the README's "Team mode").
#[derive(clap::Args, Clone)]
struct TeamArgs {
    /// Join the team on this Redis: `redis://host:6379/0` or `rediss://…`
    /// (a password: CAUSEWAY_TEAM_PASSWORD, never on the command line).
    /// Default: the team saved in Settings, if any.
    #[arg(long, value_name = "URL")]
    team: Option<String>,
    /// The team's name (its keys' prefix; several teams may share a Redis).
    #[arg(long, value_name = "NAME", default_value = "causeway")]
    team_name: String,
    /// This member's name as the others see it (default: the host name).
    #[arg(long, value_name = "NAME")]
    member_name: Option<String>,
    /// How long a connector's lease lives without renewal; renewed at a
    /// third of it, and a dead member's connectors move within it.
    #[arg(long, value_name = "MS", default_value_t = 15_000)]
    team_lease_ms: u64,
    /// How long the team log keeps entries (a member joining later catches
    /// up from them).
    #[arg(long, value_name = "DAYS", default_value_t = 7.0)]
    team_retention_days: f64,
}

impl TeamArgs {
    fn config(&self, app: &App) -> Option<causeway_app::team::TeamConfig> {
        let mut c = match &self.team {
            Some(url) => {
                let mut c = causeway_app::team::TeamConfig::new(url);
                c.name = self.team_name.clone();
                c
            }
            None => app.team_from_settings()?,
        };
        if let Ok(p) = std::env::var("CAUSEWAY_TEAM_PASSWORD") {
            if !p.is_empty() {
                c.password = Some(causeway_core::Sensitive::new(p));
            }
        }
        if let Some(m) = &self.member_name {
            c.member_name = m.clone();
        }
        c.lease_ttl = std::time::Duration::from_millis(self.team_lease_ms.max(300));
        c.retention =
            std::time::Duration::from_secs_f64(self.team_retention_days.max(0.0) * 86_400.0);
        Some(c)
    }
}

#[cfg(feature = "bench")]
#[derive(Subcommand)]
enum BenchCmd {
    /// Alerts/s, latency and memory of Causeway's webhook intake against
    /// Alertmanager's (`apt-get install prometheus-alertmanager`).
    Ingest(causeway_bench::ingest::IngestArgs),
    /// Score correlation on labelled storms beside the baselines: our own
    /// generator's scenarios over online-boutique and sock-shop, and with
    /// --storms every labelled storm folder under a directory; --cv chooses
    /// the settings by cross-validation and prints the held-out figures and
    /// the calibration of link confidences.
    Correlation(causeway_bench::correlation::Args),
    /// Team log throughput and a late member's catch-up: `causeway serve
    /// --team` members on one redis-server (`apt-get install redis-server`).
    Team(causeway_bench::team::TeamArgs),
    /// Root-cause accuracy on the AIOps Challenge 2022 storms (Online
    /// Boutique cloudbed-1) beside the "entity with the most alerts"
    /// heuristic. The data is not shipped: pass the `data/` folder of
    /// https://github.com/boerste/rca-llm-reasoning (research use).
    Aiops {
        /// The dataset's `data/` folder (holding fault-alerts/ and system-knowledge-graphs/).
        #[arg(long)]
        dataset: PathBuf,
        /// Write the converted topology and each fault's events.ndjson here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DeadLetterCmd {
    /// List dead letters not yet re-played, newest first.
    List {
        /// Data folder (default: the platform's app-data folder, or CAUSEWAY_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Put a dead letter's exact bytes back into the inbox; the running app
    /// (or the next `causeway serve`) processes it again.
    Replay {
        /// The dead letter's id, from `list`.
        id: i64,
        /// Data folder (default: the platform's app-data folder, or CAUSEWAY_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
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
        #[cfg(feature = "bench")]
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
            topology,
            allow_remote,
            allowed_hosts,
            team,
        } => {
            let guard = causeway_server::Guard {
                allowed_hosts: allowed_hosts
                    .iter()
                    .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                    .collect(),
                remote: allow_remote,
            };
            serve(data_dir, listen, demo, ui_dir, topology, guard, team)
        }
        Cmd::Login { data_dir } => login(data_dir),
        Cmd::Replay {
            events,
            topology,
            rules,
            out,
        } => replay(events, topology, rules, out),
        Cmd::Token {
            command: TokenCmd::Issue { scope, data_dir },
        } => token_issue(&scope, data_dir),
        Cmd::DeadLetters { command } => dead_letters(command),
        Cmd::Incidents { command, data_dir } => incidents_cli::run(
            command,
            &data_dir.unwrap_or_else(causeway_app::default_data_dir),
        ),
        Cmd::Projects { command, data_dir } => projects_cli::run(
            command,
            &data_dir.unwrap_or_else(causeway_app::default_data_dir),
        ),
        Cmd::Connectors { command } => cli_connectors::run(command),
        #[cfg(feature = "bench")]
        Cmd::Bench {
            command: BenchCmd::Ingest(args),
        } => causeway_bench::ingest::run(args),
        #[cfg(feature = "bench")]
        Cmd::Bench {
            command: BenchCmd::Team(args),
        } => causeway_bench::team::run(args),
        #[cfg(feature = "bench")]
        Cmd::Bench {
            command: BenchCmd::Correlation(args),
        } => causeway_bench::correlation::run(&args).map(|md| print!("{md}")),
        #[cfg(feature = "bench")]
        Cmd::Bench {
            command: BenchCmd::Aiops { dataset, out },
        } => causeway_bench::correlation::aiops(&dataset, out.as_deref()).map(|md| print!("{md}")),
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
    listen: Option<SocketAddr>,
    demo: bool,
    ui_dir: Option<PathBuf>,
    topology: Option<PathBuf>,
    guard: causeway_server::Guard,
    team: TeamArgs,
) -> Result<(), String> {
    let data_dir = data_dir.unwrap_or_else(causeway_app::default_data_dir);
    let listen = listen.unwrap_or_else(|| {
        SocketAddr::from((
            [127, 0, 0, 1],
            causeway_app::config::settings::preferred_port(),
        ))
    });
    if !listen.ip().is_loopback() && !guard.remote {
        return Err(format!(
            "--listen {listen} would let other machines reach the UI, the API and the webhooks; \
             to mean it, add --allow-remote (and put TLS in front: Causeway speaks plain HTTP)"
        ));
    }
    let ui_dir = ui_dir.or_else(causeway_server::default_ui_dir);
    if ui_dir.is_none() && !causeway_server::ui_embedded() {
        tracing::warn!("the web UI is not built into this binary; the API and webhooks still work");
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let app = App::open(&data_dir).map_err(|e| e.message)?;
        causeway_app::set_memory_release(release_memory);
        // One Causeway per data dir: otherwise every instance polls twice.
        let _lock = app.lock_data_dir().map_err(|e| e.message)?;
        let team = team.config(&app);
        let booted = causeway_app::boot::Boot {
            topology,
            demo,
            team,
            reload: Some(hangups()),
            failures: causeway_app::boot::Failures::Stop,
        }
        .run(&app)
        .await
        .map_err(|e| e.message)?;
        if !booted.descriptors.is_empty() {
            tracing::info!(ids = ?booted.descriptors, "user descriptors loaded");
        }
        for w in &booted.topology_warnings {
            eprintln!("warning: topology: {w}");
        }
        if booted.from_file > 0 {
            tracing::info!(connectors = booted.from_file, "connectors.json applied");
        }
        if booted.from_env > 0 {
            tracing::info!(connectors = booted.from_env, "connectors from the environment applied");
        }
        if booted.demo_loaded {
            tracing::info!("demo storm loaded");
        }
        let remote = guard.remote;
        let options = causeway_server::Options {
            listen,
            ui_dir,
            guard,
        };
        let running = causeway_server::start_with(app.clone(), options, shutdown_signal())
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        tracing::info!(addr = %running.addr, data_dir = %data_dir.display(), "causeway serving");
        if remote {
            tracing::warn!(addr = %running.addr, "listening beyond loopback: other machines reach the UI, API and webhooks over plain HTTP; put TLS in front");
        }
        // A new data folder's default receiver gets its secret now, shown
        // this once (before the login link, which ends the greeting).
        match app.ensure_default_receiver_secret().await {
            Ok(Some(new)) => {
                let url = new.webhook_url.unwrap_or_default();
                println!(
                    "Alertmanager → Causeway: add this receiver to alertmanager.yml. The secret is shown \
                     only now (a new one: Connectors → Alertmanager → New secret):\n\n{}",
                    causeway_app::connectors::webhook_secrets::alertmanager_snippet(&url, &new.secret)
                );
            }
            Ok(None) => {}
            Err(e) => eprintln!(
                "warning: the default Alertmanager receiver has no secret yet, so it refuses every delivery: {}",
                e.message
            ),
        }
        println!("{}", running.login_url());
        let served = running.task.await;
        // Polls in flight finish and commit before the process goes.
        app.stop_sources().await;
        served.map_err(|e| e.to_string())?.map_err(|e| e.to_string())
    })
}

/// SIGHUP → a message per signal (reload connectors.json).
fn hangups() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut s) = signal(SignalKind::hangup()) else {
            return;
        };
        while s.recv().await.is_some() {
            if tx.send(()).await.is_err() {
                return;
            }
        }
    });
    #[cfg(not(unix))]
    drop(tx);
    rx
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
    let topology = topology.map(|dir| load_topology(&dir)).transpose()?;
    let report = causeway_app::history::replay::replay(&text, config, topology.as_ref());
    std::fs::write(&out, causeway_app::history::replay::to_json(&report))
        .map_err(|e| format!("cannot write --out {}: {e}", out.display()))
}

/// Reads every `*.yaml`, `*.yml` and `*.json` file directly in `dir` (not
/// recursive) into a topology; what cannot be used is a warning, not an error.
fn load_topology(dir: &std::path::Path) -> Result<causeway_core::Topology, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read --topology {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read --topology {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !path.is_file() || !causeway_app::topology::is_topology_file(&name) {
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((name, text)),
            Err(e) => eprintln!("warning: --topology {}: skipped: {e}", path.display()),
        }
    }
    if files.is_empty() {
        eprintln!(
            "warning: --topology {} holds no *.yaml, *.yml or *.json file",
            dir.display()
        );
    }
    let loaded = causeway_app::topology::load(&files);
    for w in &loaded.warnings {
        eprintln!("warning: --topology {}/{w}", dir.display());
    }
    Ok(loaded.topology)
}

/// A new login link for the server running on the data folder.
fn login(data_dir: Option<PathBuf>) -> Result<(), String> {
    let data_dir = data_dir.unwrap_or_else(causeway_app::default_data_dir);
    let addr: SocketAddr = std::fs::read_to_string(data_dir.join("serve.addr"))
        .ok()
        .and_then(|a| a.trim().parse().ok())
        .ok_or_else(|| {
            format!(
                "no `causeway serve` has run on {}: start one, it prints the first link",
                data_dir.display()
            )
        })?;
    let store = causeway_store::Store::open(&data_dir).map_err(|e| e.to_string())?;
    let token =
        causeway_server::auth::new_login_token(&store, Some(causeway_server::auth::LINK_LIFETIME))?;
    println!("{}", causeway_server::login_url(addr, &token));
    Ok(())
}

fn token_issue(scope: &str, data_dir: Option<PathBuf>) -> Result<(), String> {
    let data_dir = data_dir.unwrap_or_else(causeway_app::default_data_dir);
    let store = causeway_store::Store::open(&data_dir).map_err(|e| e.to_string())?;
    let token = causeway_server::auth::issue(&store, scope)?;
    println!("{token}");
    Ok(())
}

fn dead_letters(command: DeadLetterCmd) -> Result<(), String> {
    let (data_dir, replay) = match command {
        DeadLetterCmd::List { data_dir } => (data_dir, None),
        DeadLetterCmd::Replay { id, data_dir } => (data_dir, Some(id)),
    };
    let data_dir = data_dir.unwrap_or_else(causeway_app::default_data_dir);
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        // Not started: this process only reads or queues; the app that runs
        // processes (one engine per data dir).
        let app = App::open(&data_dir).map_err(|e| e.message)?;
        if let Some(id) = replay {
            let r = app.replay_dead_letter(id).await.map_err(|e| e.message)?;
            println!("dead letter {id} is back in the inbox as row {}; the running app processes it within seconds (or the next `causeway serve`)", r.inbox_id);
            return Ok(());
        }
        let v = causeway_app::dispatch(&app, causeway_app::Command::ListDeadLetters { project: None })
            .await
            .map_err(|e| e.message)?;
        let list = v["deadLetters"].as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            println!("no dead letters");
        }
        for d in list {
            let error: String = d["error"].as_str().unwrap_or_default().chars().take(100).collect();
            println!(
                "{:>6}  {:<14} {}  {}",
                d["id"],
                d["connectorId"].as_str().unwrap_or_default(),
                d["receivedAt"].as_str().unwrap_or_default(),
                error
            );
        }
        Ok(())
    })
}
