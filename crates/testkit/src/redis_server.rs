//! A real `redis-server` (Debian's `redis-server` package) on a free
//! loopback port, for tests: its own folder, append-only file on, killed
//! when dropped. It can be stopped and started again on the same port and
//! folder, to test a Redis restart (or an outage).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) test Redis.
pub struct RedisServer {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
    password: Option<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

impl RedisServer {
    /// Starts one (no password).
    pub fn start() -> RedisServer {
        RedisServer::start_with(None)
    }

    /// Starts one that wants `password` (`requirepass`).
    pub fn start_with(password: Option<&str>) -> RedisServer {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("causeway-redis-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder for redis-server");
        let mut s = RedisServer {
            port: free_port(),
            dir,
            child: None,
            password: password.map(str::to_string),
        };
        s.resume();
        s
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts it again after [`RedisServer::stop`] (same port and data:
    /// the append-only file brings its streams back).
    pub fn resume(&mut self) {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .args(["--save", "", "--protected-mode", "no"])
            .arg("--dir")
            .arg(&self.dir);
        if let Some(p) = &self.password {
            cmd.args(["--requirepass", p]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start redis-server (Debian: apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it (`SIGKILL`: an outage, not a clean shutdown).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `redis-cli ARGS` against it; what it printed.
    pub fn cli(&self, args: &[&str]) -> String {
        self.client().cli(args)
    }

    /// A `redis-cli` for another thread (the server stays with the test).
    pub fn client(&self) -> RedisCli {
        RedisCli {
            port: self.port,
            password: self.password.clone(),
        }
    }
}

/// `redis-cli` against a [`RedisServer`], from any thread.
#[derive(Clone)]
pub struct RedisCli {
    port: u16,
    password: Option<String>,
}

impl RedisCli {
    /// `redis-cli ARGS`; what it printed.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-p", &self.port.to_string()]);
        if let Some(p) = &self.password {
            cmd.args(["-a", p, "--no-auth-warning"]);
        }
        let out = cmd.args(args).output().expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
