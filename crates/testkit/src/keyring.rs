//! A real, private Secret Service for the tests: gnome-keyring on a private
//! D-Bus session bus, started once per test process.
//!
//! [`ensure`] starts, on first use:
//!
//! - a `dbus-daemon` from a minimal config written into a temp dir: it listens
//!   on a socket in that dir and has no service directories, so nothing is
//!   ever D-Bus-activated behind our back (no second, locked keyring; no
//!   prompter);
//! - `gnome-keyring-daemon --replace --foreground --unlock --components=secrets`
//!   on that bus with a password on stdin, and `HOME`, `XDG_*` pointed into the
//!   temp dir, so it never sees the user's keyrings. With `--unlock` and a
//!   fresh home, gnome-keyring creates the "login" collection from that
//!   password, unlocked, and makes it the default alias, which is where the
//!   `keyring` crate creates items. That is what keeps every prompt away:
//!   creating or unlocking a collection through the Secret Service API would
//!   need a prompt, and we never do either. [`ensure`] checks both facts
//!   before any test runs, so a changed gnome-keyring fails loudly here
//!   instead of hanging in a test.
//!
//! Then it points `DBUS_SESSION_BUS_ADDRESS` of this process at the bus.
//!
//! If any of that fails, every test that called [`ensure`] fails with the
//! reason: there is no skipping.
//!
//! Clean-up, so that nothing outlives the test process:
//! - at normal exit (also after failed tests) an `atexit` hook kills both
//!   daemons, reaps them (no zombies, even under an init that does not reap)
//!   and removes the temp dir;
//! - if the process dies without running it (SIGKILL, abort), a watchdog `sh`
//!   whose stdin is a pipe from this process sees EOF, kills the daemons and
//!   removes the temp dir. Its pid list arrives on that same pipe, one pid a
//!   line, as each daemon starts.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long the daemons get to come up.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// The password of the throwaway "login" keyring.
const KEYRING_PASSWORD: &str = "causeway-test-keyring";

/// The running daemons, for the exit hook.
struct Running {
    dir: PathBuf,
    watchdog: Child,
    watchdog_stdin: Option<ChildStdin>,
    daemons: Vec<Child>,
}

static RUNNING: Mutex<Option<Running>> = Mutex::new(None);

static STARTED: OnceLock<Result<String, String>> = OnceLock::new();

/// Makes sure the private Secret Service is up and `DBUS_SESSION_BUS_ADDRESS`
/// points at it; panics with the reason (and how to fix it) if it cannot be.
/// Returns the bus address.
pub fn ensure() -> &'static str {
    let started = STARTED.get_or_init(|| {
        let result = start();
        if result.is_err() {
            stop();
        }
        result
    });
    match started {
        Ok(address) => address,
        Err(e) => panic!(
            "could not start a private gnome-keyring for the keychain tests: {e}\n\
             These tests need the real Secret Service: install dbus-daemon and \
             gnome-keyring (Debian/Ubuntu: apt-get install dbus-daemon gnome-keyring)."
        ),
    }
}

/// An item as gnome-keyring itself reports it.
#[derive(Debug)]
pub struct StoredItem {
    pub attributes: std::collections::HashMap<String, String>,
    pub secret: Vec<u8>,
}

/// Every item whose `service` attribute is `service`, read straight from the
/// private gnome-keyring over D-Bus (not through the `keyring` crate): what
/// the tests use to see that a value really is in the Secret Service.
pub fn stored_items(service: &str) -> Vec<StoredItem> {
    use dbus::arg::{RefArg, Variant};
    use dbus::blocking::stdintf::org_freedesktop_dbus::Properties;
    use std::collections::HashMap;

    let conn = connect(ensure()).expect("connect to the private bus");
    let timeout = Duration::from_secs(10);
    let secrets = conn.with_proxy(
        "org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        timeout,
    );
    let (_, session): (Variant<Box<dyn RefArg>>, dbus::Path<'static>) = secrets
        .method_call(
            "org.freedesktop.Secret.Service",
            "OpenSession",
            ("plain", Variant(String::new())),
        )
        .expect("OpenSession");
    let query = HashMap::from([("service", service)]);
    let (unlocked, locked): (Vec<dbus::Path<'static>>, Vec<dbus::Path<'static>>) = secrets
        .method_call("org.freedesktop.Secret.Service", "SearchItems", (query,))
        .expect("SearchItems");
    assert!(
        locked.is_empty(),
        "locked items in the test keyring: {locked:?}"
    );
    unlocked
        .into_iter()
        .map(|path| {
            let item = conn.with_proxy("org.freedesktop.secrets", path, timeout);
            let attributes: HashMap<String, String> = item
                .get("org.freedesktop.Secret.Item", "Attributes")
                .expect("item attributes");
            let ((_, _, secret, _),): ((dbus::Path<'static>, Vec<u8>, Vec<u8>, String),) = item
                .method_call(
                    "org.freedesktop.Secret.Item",
                    "GetSecret",
                    (session.clone(),),
                )
                .expect("GetSecret");
            StoredItem { attributes, secret }
        })
        .collect()
}

fn connect(address: &str) -> Result<dbus::blocking::Connection, String> {
    let mut channel = dbus::channel::Channel::open_private(address)
        .map_err(|e| format!("cannot connect to the private bus {address}: {e}"))?;
    channel
        .register()
        .map_err(|e| format!("cannot register on the private bus: {e}"))?;
    Ok(dbus::blocking::Connection::from(channel))
}

/// Starts everything; returns the bus address.
fn start() -> Result<String, String> {
    let dir = tempfile::Builder::new()
        .prefix("causeway-keyring-")
        .tempdir()
        .map_err(|e| format!("cannot create a temp dir: {e}"))?
        .keep();
    let watchdog = spawn_watchdog(&dir)?;
    *RUNNING.lock().unwrap_or_else(|p| p.into_inner()) = Some(Running {
        dir: dir.clone(),
        watchdog: watchdog.0,
        watchdog_stdin: Some(watchdog.1),
        daemons: Vec::new(),
    });
    register_exit_hook();

    let home = dir.join("home");
    let runtime = dir.join("run");
    for d in [&home, &runtime] {
        fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // gnome-keyring insists on a private runtime dir.
        fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot chmod {}: {e}", runtime.display()))?;
    }

    let address = start_bus(&dir)?;
    start_gnome_keyring(&dir, &home, &runtime, &address)?;
    wait_until_ready(&dir, &address)?;

    // Only now, before any test thread talks to D-Bus: every keychain test
    // waits in `ensure` until this has happened.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
    Ok(address)
}

/// The watchdog: on EOF on stdin, kills the pids it was sent and removes `dir`.
fn spawn_watchdog(dir: &Path) -> Result<(Child, ChildStdin), String> {
    // INT and HUP are ignored so that a Ctrl-C reaching the whole process
    // group still leaves the watchdog to clean up after the daemons.
    let script = r#"trap '' INT HUP
pids=
while read -r pid; do pids="$pids $pid"; done
[ -n "$pids" ] && kill $pids 2>/dev/null
rm -rf "$1"
exit 0"#;
    let mut child = Command::new("sh")
        .args(["-c", script, "causeway-keyring-watchdog"])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the watchdog `sh`: {e}"))?;
    let stdin = child.stdin.take().expect("piped stdin");
    Ok((child, stdin))
}

/// Records a daemon so that the exit hook and the watchdog stop it.
fn track(child: Child) -> Result<u32, String> {
    let pid = child.id();
    let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    let running = running.as_mut().expect("started");
    running.daemons.push(child);
    if let Some(stdin) = running.watchdog_stdin.as_mut() {
        writeln!(stdin, "{pid}").map_err(|e| format!("the watchdog is gone: {e}"))?;
    }
    Ok(pid)
}

fn log_file(dir: &Path, name: &str) -> Result<File, String> {
    File::create(dir.join(name)).map_err(|e| format!("cannot create {name}: {e}"))
}

fn read_log(dir: &Path, name: &str) -> String {
    match fs::read_to_string(dir.join(name)) {
        Ok(s) if !s.trim().is_empty() => format!("\n--- {name} ---\n{}", s.trim_end()),
        _ => String::new(),
    }
}

/// Starts the private bus; returns its address.
fn start_bus(dir: &Path) -> Result<String, String> {
    let socket = dir.join("bus");
    let socket = socket
        .to_str()
        .filter(|s| !s.contains(['<', '>', '&', '"', '\'', ',', ';', '=']))
        .ok_or_else(|| format!("unusable temp dir for a bus socket: {}", dir.display()))?;
    // A session bus with no <servicedir>: nothing can be auto-started on it.
    let config = format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
    );
    let config_path = dir.join("bus.conf");
    fs::write(&config_path, config).map_err(|e| format!("cannot write bus.conf: {e}"))?;

    let mut bus = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config_path.display()))
        .args(["--nofork", "--nopidfile", "--print-address=1"])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file(dir, "dbus-daemon.log")?)
        .spawn()
        .map_err(|e| format!("cannot run dbus-daemon: {e}"))?;
    let stdout = bus.stdout.take().expect("piped stdout");
    track(bus)?;

    // The address is its first line of output; EOF means it died.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(line) if !line.trim().is_empty() => Ok(line.trim().to_string()),
        Ok(_) => Err(format!(
            "dbus-daemon exited without printing its address{}",
            read_log(dir, "dbus-daemon.log")
        )),
        Err(_) => Err(format!(
            "dbus-daemon printed no address within {STARTUP_TIMEOUT:?}{}",
            read_log(dir, "dbus-daemon.log")
        )),
    }
}

fn start_gnome_keyring(
    dir: &Path,
    home: &Path,
    runtime: &Path,
    address: &str,
) -> Result<(), String> {
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args([
            "--replace",
            "--foreground",
            "--unlock",
            "--components=secrets",
        ])
        .arg(format!(
            "--control-directory={}",
            runtime.join("keyring").display()
        ))
        // Nothing from the user's session: no DISPLAY to prompt on, no
        // GNOME_KEYRING_CONTROL of a real daemon, no real home.
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", runtime)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdin(Stdio::piped())
        .stdout(log_file(dir, "gnome-keyring.out")?)
        .stderr(log_file(dir, "gnome-keyring.log")?)
        .spawn()
        .map_err(|e| format!("cannot run gnome-keyring-daemon: {e}"))?;
    let mut stdin = keyring.stdin.take().expect("piped stdin");
    track(keyring)?;
    // `--unlock` reads the password up to EOF: write it and close.
    stdin
        .write_all(KEYRING_PASSWORD.as_bytes())
        .map_err(|e| format!("cannot pass the password to gnome-keyring-daemon: {e}"))
}

/// Whether gnome-keyring (the last daemon started) has exited already.
fn keyring_exited() -> Option<std::process::ExitStatus> {
    let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    let keyring = running.as_mut()?.daemons.last_mut()?;
    keyring.try_wait().ok().flatten()
}

/// Waits until org.freedesktop.secrets answers with an unlocked default collection.
fn wait_until_ready(dir: &Path, address: &str) -> Result<(), String> {
    use dbus::blocking::stdintf::org_freedesktop_dbus::Properties;

    let logs = || read_log(dir, "gnome-keyring.log") + &read_log(dir, "dbus-daemon.log");
    let conn = connect(address)?;
    let timeout = Duration::from_secs(5);

    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let bus = conn.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", timeout);
    loop {
        let (owned,): (bool,) = bus
            .method_call(
                "org.freedesktop.DBus",
                "NameHasOwner",
                ("org.freedesktop.secrets",),
            )
            .map_err(|e| format!("the private bus does not answer: {e}"))?;
        if owned {
            break;
        }
        if let Some(status) = keyring_exited() {
            return Err(format!(
                "gnome-keyring-daemon exited ({status}) before owning org.freedesktop.secrets{}",
                logs()
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "org.freedesktop.secrets did not appear within {STARTUP_TIMEOUT:?}{}",
                logs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    // The prompt-free path: a default collection exists and is unlocked.
    let service = conn.with_proxy(
        "org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        timeout,
    );
    let (default,): (dbus::Path<'static>,) = service
        .method_call("org.freedesktop.Secret.Service", "ReadAlias", ("default",))
        .map_err(|e| {
            format!(
                "the Secret Service does not answer ReadAlias: {e}{}",
                logs()
            )
        })?;
    if &*default == "/" {
        return Err(format!(
            "gnome-keyring has no default collection (creating one would need a prompt); \
             `--unlock` with a fresh home should have created \"login\"{}",
            logs()
        ));
    }
    let collection = conn.with_proxy("org.freedesktop.secrets", default.clone(), timeout);
    let locked: bool = collection
        .get("org.freedesktop.Secret.Collection", "Locked")
        .map_err(|e| format!("cannot read Locked of {default}: {e}"))?;
    if locked {
        return Err(format!(
            "the default collection {default} is locked (unlocking would need a prompt){}",
            logs()
        ));
    }
    Ok(())
}

/// Stops and reaps everything and removes the temp dir. Idempotent.
fn stop() {
    // try_lock: never block process exit on a test thread that died holding it.
    let running = match RUNNING.try_lock() {
        Ok(mut guard) => guard.take(),
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().take(),
        Err(std::sync::TryLockError::WouldBlock) => None,
    };
    let Some(mut running) = running else { return };
    // EOF makes the watchdog kill the daemons. They stay our unreaped children
    // until we wait for them below, so their pids cannot be reused meanwhile.
    drop(running.watchdog_stdin.take());
    reap(&mut running.watchdog);
    for daemon in &mut running.daemons {
        reap(daemon);
    }
    let _ = fs::remove_dir_all(&running.dir);
}

/// Waits up to a few seconds for a child to exit, then kills it; always reaps.
fn reap(child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

extern "C" fn stop_at_exit() {
    stop();
}

fn register_exit_hook() {
    extern "C" {
        fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
    }
    // SAFETY: `atexit` is the C library's; `stop_at_exit` is a plain
    // `extern "C" fn` that never unwinds (it only locks with try_lock, kills,
    // waits and removes files, ignoring every error) and stays valid for the
    // whole life of the process. It runs when the test harness calls `exit`.
    let rc = unsafe { atexit(stop_at_exit) };
    assert_eq!(rc, 0, "atexit failed");
}
