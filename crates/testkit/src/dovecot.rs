//! A real Dovecot IMAP server (Debian's `dovecot-imapd`) on a free loopback
//! port, for tests: its own folder holds its configuration, its runtime
//! files, one passwd-file user and that user's Maildir. It runs as whoever
//! runs the test (root in CI), on 127.0.0.1 only, and is stopped when
//! dropped. [`Dovecot::start_tls`] also speaks TLS (STARTTLS on the plain
//! port, implicit TLS on a second one) with a certificate for 127.0.0.1
//! signed by a throwaway CA that `openssl` makes in the same folder.
//!
//! Mail is delivered the way a local delivery agent does it — written to
//! `tmp/` and renamed into `new/` — and flags are read back from the file
//! names Dovecot keeps them in (`…:2,S` is `\Seen`), so a test sees the
//! server's own state rather than what a client says about it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running test Dovecot.
pub struct Dovecot {
    pub port: u16,
    pub dir: PathBuf,
    pub user: String,
    pub password: String,
    /// With [`Dovecot::start_tls`]: the implicit-TLS port and the CA's PEM.
    pub tls_port: Option<u16>,
    pub ca_file: Option<PathBuf>,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// `id ARGS`'s answer: who runs the test, or a system user.
fn id(args: &[&str]) -> String {
    Command::new("id")
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Where Debian puts the binary; `dovecot` on the PATH elsewhere.
fn binary() -> &'static str {
    if Path::new("/usr/sbin/dovecot").exists() {
        "/usr/sbin/dovecot"
    } else {
        "dovecot"
    }
}

impl Dovecot {
    /// Starts one with the user `alerts` (password `imap-test-pw`), plain
    /// text only.
    pub fn start() -> Dovecot {
        Dovecot::start_with(false)
    }

    /// The same, also speaking TLS.
    pub fn start_tls() -> Dovecot {
        Dovecot::start_with(true)
    }

    fn start_with(tls: bool) -> Dovecot {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("causeway-dovecot-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut d = Dovecot {
            port: free_port(),
            dir,
            user: "alerts".into(),
            password: "imap-test-pw".into(),
            tls_port: tls.then(free_port),
            ca_file: None,
            child: None,
        };
        for sub in ["run", "state", "home", "mail"] {
            std::fs::create_dir_all(d.dir.join(sub)).expect("a folder for dovecot");
        }
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(d.maildir().join(sub)).expect("a Maildir");
        }
        if let Some((user, group, _, _)) = d.as_root() {
            // The mail belongs to the unprivileged user Dovecot reads it as.
            let owner = format!("{user}:{group}");
            for sub in ["mail", "home"] {
                let ok = Command::new("chown")
                    .args(["-R", &owner])
                    .arg(d.dir.join(sub))
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "cannot give the Maildir to {owner}");
            }
        }
        std::fs::write(
            d.dir.join("users"),
            format!("{}:{{PLAIN}}{}::::::\n", d.user, d.password),
        )
        .expect("the passwd-file");
        if tls {
            d.ca_file = Some(d.certificates());
        }
        std::fs::write(d.dir.join("dovecot.conf"), d.config()).expect("dovecot.conf");
        d.run();
        d
    }

    /// Run as root (CI), Dovecot will not run its login process as root
    /// nor read mail as uid 0: then its own system users (made by Debian's
    /// package) do that, and this is `(user, group, uid, gid)` of the one
    /// that reads mail. `None` for anyone else, who runs everything as
    /// themselves.
    fn as_root(&self) -> Option<(String, String, String, String)> {
        (id(&["-u"]) == "0").then(|| {
            (
                "dovecot".to_string(),
                "dovecot".to_string(),
                id(&["-u", "dovecot"]),
                id(&["-g", "dovecot"]),
            )
        })
    }

    /// A CA and a server certificate for 127.0.0.1 (and localhost) signed
    /// by it, as rustls checks them: the CA marked as one, the server's
    /// not, with the address in its subjectAltName. Returns the CA's PEM.
    fn certificates(&self) -> PathBuf {
        let dir = self.dir.join("tls");
        std::fs::create_dir_all(&dir).expect("a folder for the certificates");
        std::fs::write(
            dir.join("server.ext"),
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .expect("the extensions file");
        const EC: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        let steps = [
            format!(
                "req -x509 {EC} -keyout ca.key -out ca.pem -days 2 -subj /CN=causeway-test-CA \
                 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign"
            ),
            format!("req {EC} -keyout server.key -out server.csr -subj /CN=127.0.0.1"),
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
             -days 2 -extfile server.ext"
                .to_string(),
        ];
        for step in steps {
            let args: Vec<&str> = step.split_whitespace().collect();
            let out = Command::new("openssl")
                .args(&args)
                .current_dir(&dir)
                .output()
                .expect("cannot run openssl (Debian: apt-get install openssl)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        dir.join("ca.pem")
    }

    /// The configuration: IMAP only, plain text allowed (loopback only),
    /// mail in Maildirs under `dir`.
    fn config(&self) -> String {
        let dir = self.dir.display();
        let (internal, group, login, uid, gid) = match self.as_root() {
            Some((user, group, uid, gid)) => (user, group, "dovenull".to_string(), uid, gid),
            None => {
                let user = id(&["-un"]);
                (user.clone(), id(&["-gn"]), user, id(&["-u"]), id(&["-g"]))
            }
        };
        let ssl = match self.tls_port {
            Some(_) => format!(
                "ssl = yes\nssl_cert = <{dir}/tls/server.pem\nssl_key = <{dir}/tls/server.key\n"
            ),
            None => "ssl = no\n".to_string(),
        };
        format!(
            r#"
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{dir}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"#,
            port = self.port,
            tls_port = self.tls_port.unwrap_or(0),
        )
    }

    fn run(&mut self) {
        let child = Command::new(binary())
            .arg("-F")
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start dovecot (Debian: apt-get install dovecot-imapd)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                let mut err = String::new();
                if let Some(mut e) = self.child.take().and_then(|mut c| c.stderr.take()) {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                panic!("dovecot exited ({status}): {err}{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "dovecot did not come up: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Dovecot's log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    /// The user's INBOX.
    pub fn maildir(&self) -> PathBuf {
        self.dir.join("mail").join(&self.user)
    }

    /// Delivers a raw message to the INBOX as a delivery agent does:
    /// written under `tmp/`, then renamed into `new/`. Returns its base name.
    pub fn deliver(&self, raw: &[u8]) -> String {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let name = format!(
            "{}.M{}P{}Q{n}.causeway-test",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id()
        );
        let tmp = self.maildir().join("tmp").join(&name);
        std::fs::write(&tmp, raw).expect("write to the Maildir");
        std::fs::rename(&tmp, self.maildir().join("new").join(&name)).expect("deliver");
        name
    }

    /// The flags Dovecot stored for a delivered message (`S` for `\Seen`,
    /// …), empty while it has none or has not seen the message yet.
    pub fn flags(&self, name: &str) -> String {
        let cur = std::fs::read_dir(self.maildir().join("cur"));
        cur.into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .find(|f| f.starts_with(name))
            .and_then(|f| f.split_once(":2,").map(|(_, flags)| flags.to_string()))
            .unwrap_or_default()
    }

    /// Whether the message is flagged `\Seen`.
    pub fn seen(&self, name: &str) -> bool {
        self.flags(name).contains('S')
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SIGTERM lets the master stop its children; then make sure.
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
