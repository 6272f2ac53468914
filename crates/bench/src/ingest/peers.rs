//! The two servers under test, each a child process in a temp folder that is
//! killed and removed when its [`Server`] drops (also on error or Ctrl-C),
//! and what `/proc` says about them.

use super::load;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Alertmanager of Debian's `prometheus-alertmanager` package.
pub const DEFAULT_ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";
/// The webhook rate limit the benchmark's own Causeway instance gets.
const BENCH_RATE_LIMIT: u32 = 1_000_000_000;
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A temp folder removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let p = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
        Ok(TempDir(p))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child killed (and reaped) on drop.
pub(crate) struct ChildGuard(pub(crate) Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running peer. Fields drop in order: the process first, then its folder.
pub struct Server {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub pid: u32,
    /// Causeway only: an admin API token for the bench's reads.
    pub token: String,
    child: ChildGuard,
    dir: TempDir,
}

impl Server {
    /// Causeway's data folder (only meaningful for Causeway).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The last lines the child logged, for error messages.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    fn exited(&mut self) -> Option<String> {
        match self.child.0.try_wait() {
            Ok(Some(status)) => Some(format!(
                "{} exited ({status}) while starting; its log ends:\n{}",
                self.name,
                self.log_tail()
            )),
            _ => None,
        }
    }

    /// Waits until `path` answers 200.
    async fn ready(mut self, path: &str) -> Result<Server, String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(e) = self.exited() {
                return Err(e);
            }
            if let Ok(r) = load::get(self.addr, path).await {
                if r.status == 200 {
                    return Ok(self);
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not answer {path} within {START_TIMEOUT:?}",
                    self.name
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub(crate) fn spawn(
    program: &Path,
    args: &[String],
    dir: &Path,
    envs: &[(&str, &str)],
) -> Result<Child, String> {
    let log = |name: &str| {
        std::fs::File::create(dir.join(name))
            .map(Stdio::from)
            .map_err(|e| format!("cannot create a log file in {}: {e}", dir.display()))
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(log("stdout.log")?)
        .stderr(log("stderr.log")?);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))
}

/// `causeway serve` (this very binary) on a fresh data folder whose
/// Alertmanager instance allows the benchmark's request rate. `envs` go to
/// the server (`CAUSEWAY_INTAKE_SYNC`).
pub async fn start_causeway(envs: &[(&str, &str)]) -> Result<Server, String> {
    start_causeway_with(envs, &[]).await
}

/// [`start_causeway`] with more `serve` arguments (`--team URL`, …).
pub async fn start_causeway_with(
    envs: &[(&str, &str)],
    extra: &[String],
) -> Result<Server, String> {
    let dir = TempDir::new("causeway-bench")?;
    let data = dir.path().join("data");
    let store = causeway_store::Store::open(&data).map_err(|e| e.to_string())?;
    store
        .write(|conn| {
            let n = conn.execute(
                // A load test on loopback: unsigned deliveries (said
                // explicitly) and a bucket as large as the run.
                "UPDATE connector_instances SET config = json_set(config, '$.rateLimitPerMinute', ?1,
                   '$.rateLimitBurst', ?1, '$.verify', json('{\"type\":\"none\"}'))
                 WHERE id = 'default-alertmanager'",
                [BENCH_RATE_LIMIT],
            )?;
            if n != 1 {
                return Err(causeway_store::StoreError::Invalid(
                    "the default-alertmanager instance is missing".into(),
                ));
            }
            Ok(())
        })
        .await
        .map_err(|e| format!("cannot configure the bench data folder: {e}"))?;
    let token = causeway_app::api::tokens::issue_blocking(&store, "admin")
        .map(|t| t.token)
        .map_err(|e| e.message)?;
    drop(store);
    serve_causeway(dir, token, envs, extra).await
}

/// Kills Causeway with SIGKILL, as a crash would, and starts it again on
/// the same data folder.
pub async fn crash_and_restart(server: Server, envs: &[(&str, &str)]) -> Result<Server, String> {
    let Server {
        token, child, dir, ..
    } = server;
    drop(child);
    let _ = std::fs::remove_file(dir.path().join("data").join("serve.addr"));
    serve_causeway(dir, token, envs, &[]).await
}

async fn serve_causeway(
    dir: TempDir,
    token: String,
    envs: &[(&str, &str)],
    extra: &[String],
) -> Result<Server, String> {
    let data = dir.path().join("data");
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut args = vec![
        "serve".into(),
        "--data-dir".into(),
        data.display().to_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
    ];
    args.extend(extra.iter().cloned());
    let child = ChildGuard(spawn(&exe, &args, dir.path(), envs)?);
    let pid = child.0.id();
    // `serve` writes the address it bound to into the data folder.
    let addr_file = data.join("serve.addr");
    let deadline = Instant::now() + START_TIMEOUT;
    let mut server = Server {
        name: "Causeway",
        addr: ([127, 0, 0, 1], 0).into(),
        pid,
        token,
        child,
        dir,
    };
    let addr = loop {
        if let Some(a) = std::fs::read_to_string(&addr_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            break a;
        }
        if let Some(e) = server.exited() {
            return Err(e);
        }
        if Instant::now() > deadline {
            return Err("causeway serve did not write serve.addr in time".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    server.addr = addr;
    server.ready("/healthz").await
}

/// Alertmanager with one route to a receiver that sends nowhere, no cluster.
pub async fn start_alertmanager(bin: &Path) -> Result<Server, String> {
    if !bin.exists() {
        return Err(format!(
            "Alertmanager is not installed at {}: run `apt-get install prometheus-alertmanager` \
             (Debian's package), or pass --alertmanager PATH",
            bin.display()
        ));
    }
    let dir = TempDir::new("alertmanager-bench")?;
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n",
    )
    .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    let storage = dir.path().join("storage");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", storage.display()),
        format!("--web.listen-address={addr}"),
        "--cluster.listen-address=".to_string(),
    ];
    let child = ChildGuard(spawn(bin, &args, dir.path(), &[])?);
    let pid = child.0.id();
    Server {
        name: "Alertmanager",
        addr,
        pid,
        token: String::new(),
        child,
        dir,
    }
    .ready("/-/ready")
    .await
}

/// Resident memory of a process, KiB: now and its peak.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss_kib: field("VmRSS:"),
        hwm_kib: field("VmHWM:"),
    }
}

/// CPU time (user + system) a process has used, seconds; USER_HZ is 100 on Linux.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let f: Vec<u64> = after.split(' ').map(|x| x.parse().unwrap_or(0)).collect();
    // Fields 14 and 15 (utime, stime); `after` starts at field 3.
    (f.get(11).unwrap_or(&0) + f.get(12).unwrap_or(&0)) as f64 / 100.0
}

/// The 1-minute load average.
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// How far Causeway's processor got through its inbox.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Drain {
    pub rows: i64,
    pub pending: i64,
    pub dead_lettered: i64,
    /// When the last row was processed (its `processed_at`).
    pub last_processed_at: Option<String>,
    pub signals: i64,
}

pub fn drain_state(data_dir: &Path) -> Result<Drain, String> {
    let conn = causeway_store::open_connection(data_dir).map_err(|e| e.to_string())?;
    let q = |sql: &str| {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map_err(|e| e.to_string())
    };
    Ok(Drain {
        rows: q("SELECT COUNT(*) FROM inbox")?,
        pending: q("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")?,
        dead_lettered: q("SELECT COUNT(*) FROM inbox WHERE outcome = 'dead_letter'")?,
        last_processed_at: conn
            .query_row("SELECT MAX(processed_at) FROM inbox", [], |r| r.get(0))
            .map_err(|e| e.to_string())?,
        signals: q("SELECT COUNT(*) FROM signals")?,
    })
}

/// Sum of a counter over its label sets in a Prometheus text exposition.
pub fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with('{') || r.starts_with(' '))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// The database file and its write-ahead log, MiB.
pub fn file_sizes(data_dir: &Path) -> (f64, f64) {
    let size = |name: String| {
        std::fs::metadata(data_dir.join(name)).map_or(0.0, |m| m.len() as f64 / 1048576.0)
    };
    (
        size(causeway_store::DB_FILE.to_string()),
        size(format!("{}-wal", causeway_store::DB_FILE)),
    )
}
