//! Opening an IMAP session: TCP, then TLS (implicit, or after `STARTTLS`)
//! with rustls on the ring provider against the system's roots or a CA
//! file, then `LOGIN` with the keychain's password. Errors are said in
//! words a person can act on, and never hold the password (nor does any
//! log: see the `log` line in this crate's Cargo.toml).

use super::{Security, Settings};
use causeway_core::Sensitive;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// How long connecting, the TLS handshake and the login may take each.
const STEP: Duration = Duration::from_secs(15);

/// The connection under the session: plain (only when set so) or TLS.
#[derive(Debug)]
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// A logged-in session.
pub(super) type Session = async_imap::Session<Stream>;

/// Why opening failed, and whether retrying alone can fix it.
#[derive(Debug)]
pub(super) struct OpenError {
    pub message: String,
    /// Credentials or TLS refused: a person must change something.
    pub fatal: bool,
}

fn passing(message: String) -> OpenError {
    OpenError {
        message,
        fatal: false,
    }
}

fn fatal(message: String) -> OpenError {
    OpenError {
        message,
        fatal: true,
    }
}

/// Connects, protects and logs in.
pub(super) async fn open(s: &Settings, password: &Sensitive<String>) -> Result<Session, OpenError> {
    let shown = s.shown();
    let tcp = tokio::time::timeout(STEP, TcpStream::connect((s.host.as_str(), s.port())))
        .await
        .map_err(|_| passing(format!("{shown}: connecting timed out")))?
        .map_err(|e| passing(format!("cannot connect to {shown}: {e}")))?;
    let stream = match s.security {
        Security::Tls => Stream::Tls(Box::new(handshake(s, tcp).await?)),
        Security::Plain | Security::Starttls => Stream::Plain(tcp),
    };
    let mut client = async_imap::Client::new(stream);
    greeting(&mut client, &shown).await?;
    if s.security == Security::Starttls {
        within(
            client.run_command_and_check_ok("STARTTLS", None),
            &shown,
            "STARTTLS",
        )
        .await?
        .map_err(|e| fatal(format!("{shown} refused STARTTLS: {}", describe(&e))))?;
        let Stream::Plain(tcp) = client.into_inner() else {
            return Err(fatal(format!("{shown}: STARTTLS on a TLS connection")));
        };
        // The server says nothing after the handshake: no second greeting.
        client = async_imap::Client::new(Stream::Tls(Box::new(handshake(s, tcp).await?)));
    }
    within(client.login(&s.username, password.expose()), &shown, "login")
        .await?
        .map_err(|(e, _)| match e {
            async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => fatal(format!(
                "{shown} refused the login of '{}': check the username and the password in the connector's settings",
                s.username
            )),
            e => passing(format!("{shown}: login failed: {}", describe(&e))),
        })
}

/// Runs one step with the step's time limit.
async fn within<T>(
    f: impl std::future::Future<Output = T>,
    shown: &str,
    what: &str,
) -> Result<T, OpenError> {
    tokio::time::timeout(STEP, f)
        .await
        .map_err(|_| passing(format!("{shown}: {what} timed out")))
}

/// Reads the server's `* OK` greeting.
async fn greeting(client: &mut async_imap::Client<Stream>, shown: &str) -> Result<(), OpenError> {
    match within(client.read_response(), shown, "the greeting").await? {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(passing(format!("{shown} closed the connection at once"))),
        Err(e) => Err(passing(format!("{shown}: no IMAP greeting: {e}"))),
    }
}

/// The TLS handshake, with the server's name checked against its certificate.
async fn handshake(
    s: &Settings,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, OpenError> {
    let shown = s.shown();
    let config = tls_config(s.tls_ca_file.as_deref()).map_err(fatal)?;
    let name = rustls::pki_types::ServerName::try_from(s.host.clone())
        .map_err(|_| fatal(format!("'{}' is not a host name TLS can check", s.host)))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    within(connector.connect(name, tcp), &shown, "the TLS handshake")
        .await?
        .map_err(|e| fatal(format!("TLS with {shown} failed: {e}")))
}

/// rustls on ring, trusting the CA file when given, else the system's roots.
fn tls_config(ca_file: Option<&str>) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read the CA certificate {path}: {e}"))?;
            for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("{path} is not a PEM certificate: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("{path}: unusable certificate: {e}"))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                // One unusable system certificate does not stop the rest.
                let _ = roots.add(cert);
            }
        }
    }
    if roots.is_empty() {
        return Err("no CA certificate to check the server's with".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// An IMAP error in words (the server's own text never holds the password).
pub(super) fn describe(e: &async_imap::error::Error) -> String {
    use async_imap::error::Error;
    match e {
        Error::No(m) => format!("the server said NO: {m}"),
        Error::Bad(m) => format!("the server said BAD: {m}"),
        Error::ConnectionLost => "the connection was lost".into(),
        Error::Io(e) => format!("the connection broke: {e}"),
        other => other.to_string(),
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_log_crate_cannot_print_the_commands_async_imap_sends() {
        // async-imap traces each command, LOGIN's password included.
        assert!(log::STATIC_MAX_LEVEL < log::LevelFilter::Trace);
    }
}
