//! Credentials on a request: API keys (header, query, bearer), personal
//! access tokens, basic auth and OAuth2 — refresh with rotated refresh
//! tokens written back to the keychain (one refresh at a time per
//! instance), client credentials, and the authorization-code flow with PKCE
//! through the system browser and a loopback redirect on an ephemeral port.
//!
//! Values come from the keychain through the [`SourceContext`] and go only
//! into the request; every one is added to the request's scrub list.

use super::http::{redact, FetchError, Fetcher, Request};
use crate::runtime::{ErrorClass, SourceContext};
use base64::Engine as _;
use causeway_core::Sensitive;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a request carries credentials. A list applies each in turn
/// (Datadog wants an API key and an application key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthSpec {
    None,
    /// `Authorization: Bearer <secret>` (API keys, PATs, Linear-style raw keys with `prefix: ""`).
    Bearer {
        secret: String,
        #[serde(default)]
        prefix: Option<String>,
    },
    /// A header of its own (`DD-API-KEY`, `X-Api-Key`, `Authorization: GenieKey …`).
    Header {
        name: String,
        secret: String,
        #[serde(default)]
        prefix: Option<String>,
    },
    /// A query parameter (`?key=…&token=…`).
    Query {
        name: String,
        secret: String,
    },
    /// Basic auth: the user from a config field, the password from a secret.
    Basic {
        #[serde(rename = "usernameConfig")]
        username_config: String,
        secret: String,
    },
    Oauth2(OAuth2Spec),
}

/// An OAuth2 provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuth2Spec {
    /// `authorization_code` (a person signs in once) or `client_credentials`.
    pub grant: String,
    /// Templates over the config (`{{ config.baseUrl }}/oauth/token`).
    pub token_url: String,
    #[serde(default)]
    pub authorize_url: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Config field holding the client id; secret field holding the client secret.
    #[serde(default = "client_id")]
    pub client_id_config: String,
    #[serde(default = "client_secret")]
    pub client_secret: String,
}

fn client_id() -> String {
    "clientId".into()
}
fn client_secret() -> String {
    "clientSecret".into()
}

impl AuthSpec {
    /// The keychain fields this spec reads (an OAuth client's secret is
    /// optional, so OAuth needs none up front).
    pub fn secret_fields(&self) -> Vec<String> {
        match self {
            AuthSpec::None | AuthSpec::Oauth2(_) => vec![],
            AuthSpec::Bearer { secret, .. }
            | AuthSpec::Header { secret, .. }
            | AuthSpec::Query { secret, .. }
            | AuthSpec::Basic { secret, .. } => vec![secret.clone()],
        }
    }
}

impl AuthSpec {
    /// Whether an instance with `config` and the keychain fields `have`
    /// was given what this needs to poll. An OAuth sign-in counts as given
    /// once the client id is set: polling then says "authorise the
    /// connector" until a person has signed in.
    pub fn configured(&self, config: &Value, have: &[&str]) -> bool {
        match self {
            AuthSpec::None => true,
            AuthSpec::Oauth2(o) if o.grant == "authorization_code" => config
                .get(&o.client_id_config)
                .and_then(Value::as_str)
                .is_some_and(|c| !c.trim().is_empty()),
            AuthSpec::Oauth2(o) => have.contains(&o.client_secret.as_str()),
            other => other
                .secret_fields()
                .iter()
                .all(|f| have.contains(&f.as_str())),
        }
    }
}

/// Renders a template over the instance's settings (token and authorize URLs).
pub type Template = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// Keychain fields the OAuth tokens live in.
pub const ACCESS_TOKEN: &str = "accessToken";
pub const REFRESH_TOKEN: &str = "refreshToken";
pub const EXPIRES_AT: &str = "accessTokenExpiresAt";

/// Applies credentials; may refresh an OAuth token first.
///
/// Built once per poll. Changing an instance's secrets restarts its source,
/// so what one Authorizer read stays current for as long as it lives.
pub struct Authorizer {
    specs: Vec<AuthSpec>,
    /// One refresh at a time per instance.
    refresh: Arc<tokio::sync::Mutex<()>>,
    template: Template,
    /// The fixed secrets (bearer, header, query, basic) already read, by
    /// instance and field: each keychain read is a blocking D-Bus round
    /// trip, and a poll applies the same ones to every page. OAuth tokens
    /// are not kept here: they expire and are refreshed in the keychain.
    fixed: Mutex<BTreeMap<(String, String), Sensitive<String>>>,
}

fn missing(field: &str) -> FetchError {
    FetchError::new(
        ErrorClass::NeedsReauth,
        format!(
            "the secret '{field}' is not in the keychain: add it again in the connector's settings"
        ),
    )
}

fn keychain(e: crate::secrets::SecretError) -> FetchError {
    FetchError::new(ErrorClass::Retry, e.to_string())
}

impl Authorizer {
    /// `template` renders a string over the instance's config (for token URLs).
    pub fn new(specs: Vec<AuthSpec>, template: Template) -> Authorizer {
        Authorizer {
            specs,
            refresh: Arc::default(),
            template,
            fixed: Mutex::default(),
        }
    }

    /// A fixed secret: from the keychain the first time, then as read. A
    /// missing one or a keychain error is not kept, so the next request
    /// reads again.
    async fn need(
        &self,
        ctx: &SourceContext,
        field: &str,
    ) -> Result<Sensitive<String>, FetchError> {
        let key = (ctx.instance.id.clone(), field.to_string());
        if let Some(v) = self.fixed.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(v);
        }
        let v = ctx
            .secret(field)
            .await
            .map_err(keychain)?
            .ok_or_else(|| missing(field))?;
        if let Ok(mut m) = self.fixed.lock() {
            m.insert(key, v.clone());
        }
        Ok(v)
    }

    /// Puts the credentials on `req`.
    pub async fn apply(
        &self,
        ctx: &SourceContext,
        fetcher: &Fetcher,
        mut req: Request,
    ) -> Result<Request, FetchError> {
        for spec in &self.specs {
            match spec {
                AuthSpec::None => {}
                AuthSpec::Bearer { secret, prefix } => {
                    let v = self.need(ctx, secret).await?;
                    let p = prefix.as_deref().unwrap_or("Bearer ");
                    req.headers
                        .push(("authorization".into(), format!("{p}{}", v.expose())));
                    req.secrets.push(v.expose().clone());
                }
                AuthSpec::Header {
                    name,
                    secret,
                    prefix,
                } => {
                    let v = self.need(ctx, secret).await?;
                    let p = prefix.as_deref().unwrap_or("");
                    req.headers
                        .push((name.clone(), format!("{p}{}", v.expose())));
                    req.secrets.push(v.expose().clone());
                }
                AuthSpec::Query { name, secret } => {
                    let v = self.need(ctx, secret).await?;
                    let mut url = reqwest::Url::parse(&req.url).map_err(|e| {
                        FetchError::new(ErrorClass::Fail, format!("the URL is not usable: {e}"))
                    })?;
                    url.query_pairs_mut().append_pair(name, v.expose());
                    req.url = url.to_string();
                    req.secrets.push(v.expose().clone());
                }
                AuthSpec::Basic {
                    username_config,
                    secret,
                } => {
                    let user = ctx
                        .instance
                        .text(username_config)
                        .unwrap_or_default()
                        .to_string();
                    let v = self.need(ctx, secret).await?;
                    let raw = format!("{user}:{}", v.expose());
                    let enc = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
                    req.headers
                        .push(("authorization".into(), format!("Basic {enc}")));
                    req.secrets.push(v.expose().clone());
                    req.secrets.push(enc);
                }
                AuthSpec::Oauth2(o) => {
                    let token = self.access_token(ctx, fetcher, o).await?;
                    req.headers
                        .push(("authorization".into(), format!("Bearer {}", token.expose())));
                    req.secrets.push(token.expose().clone());
                }
            }
        }
        Ok(req)
    }

    /// A valid access token: the stored one, else a refreshed or newly
    /// granted one. Refreshes are serialized per instance, and whoever waited
    /// re-reads the keychain first, so one expiry is one refresh.
    async fn access_token(
        &self,
        ctx: &SourceContext,
        fetcher: &Fetcher,
        o: &OAuth2Spec,
    ) -> Result<Sensitive<String>, FetchError> {
        if let Some(t) = fresh_token(ctx).await? {
            return Ok(t);
        }
        let _one = self.refresh.lock().await;
        if let Some(t) = fresh_token(ctx).await? {
            return Ok(t);
        }
        let token_url = (self.template)(&o.token_url)
            .map_err(|e| FetchError::new(ErrorClass::Fail, format!("oauth2 tokenUrl: {e}")))?;
        let client_id = ctx
            .instance
            .text(&o.client_id_config)
            .unwrap_or_default()
            .to_string();
        let client_secret = ctx.secret(&o.client_secret).await.map_err(keychain)?;
        let mut form: Vec<(&str, String)> = vec![("client_id", client_id)];
        let mut secrets = Vec::new();
        if let Some(s) = &client_secret {
            form.push(("client_secret", s.expose().clone()));
            secrets.push(s.expose().clone());
        }
        if o.grant == "client_credentials" {
            form.push(("grant_type", "client_credentials".into()));
            if !o.scopes.is_empty() {
                form.push(("scope", o.scopes.join(" ")));
            }
        } else {
            let refresh = ctx
                .secret(REFRESH_TOKEN)
                .await
                .map_err(keychain)?
                .ok_or_else(|| {
                    FetchError::new(
                        ErrorClass::NeedsReauth,
                        "not signed in yet (no OAuth refresh token): authorise the connector",
                    )
                })?;
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", refresh.expose().clone()));
            secrets.push(refresh.expose().clone());
        }
        let answer = token_request(ctx, fetcher, &token_url, &form, secrets).await?;
        store_tokens(ctx, &answer).await?;
        Ok(answer.access_token)
    }
}

/// The stored access token when it is good for another minute.
async fn fresh_token(ctx: &SourceContext) -> Result<Option<Sensitive<String>>, FetchError> {
    let Some(t) = ctx.secret(ACCESS_TOKEN).await.map_err(keychain)? else {
        return Ok(None);
    };
    let exp = ctx.secret(EXPIRES_AT).await.map_err(keychain)?;
    let good = match exp.and_then(|e| e.expose().parse::<i64>().ok()) {
        Some(at) => at > chrono::Utc::now().timestamp() + 60,
        None => true,
    };
    Ok(good.then_some(t))
}

/// A token endpoint's answer.
pub struct Tokens {
    pub access_token: Sensitive<String>,
    pub refresh_token: Option<Sensitive<String>>,
    pub expires_in: Option<i64>,
}

async fn token_request(
    ctx: &SourceContext,
    fetcher: &Fetcher,
    url: &str,
    form: &[(&str, String)],
    secrets: Vec<String>,
) -> Result<Tokens, FetchError> {
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{k}={}", super::http::url_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let req = Request {
        method: "POST".into(),
        url: url.to_string(),
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("accept".into(), "application/json".into()),
        ],
        body: Some(body.into_bytes()),
        secrets,
    };
    let mut stop = ctx.stop.clone();
    let r = match fetcher.fetch(&req, &mut stop).await {
        Ok(r) => r,
        Err(mut e) => {
            // invalid_grant / invalid_client: the grant is dead, a person must act.
            let said = e
                .body
                .as_deref()
                .and_then(|b| serde_json::from_slice::<Value>(b).ok())
                .and_then(|v| v["error"].as_str().map(str::to_string));
            if matches!(
                said.as_deref(),
                Some("invalid_grant" | "invalid_client" | "unauthorized_client")
            ) {
                e.class = ErrorClass::NeedsReauth;
                e.message = format!(
                    "the OAuth provider refused the grant ({}): authorise the connector again",
                    said.unwrap_or_default()
                );
            }
            return Err(e);
        }
    };
    let v: Value = serde_json::from_slice(&r.body).map_err(|e| {
        FetchError::new(
            ErrorClass::Retry,
            format!("the OAuth token endpoint answered with something that is not JSON: {e}"),
        )
    })?;
    // Some providers refuse with a 200 (Slack: `{"ok": false, "error":
    // "invalid_code"}`): the grant did not go through, a person must act.
    if let Some(said) = v["error"].as_str().filter(|_| v["access_token"].is_null()) {
        return Err(FetchError::new(
            ErrorClass::NeedsReauth,
            format!(
                "the OAuth provider refused the grant ({}): authorise the connector again",
                redact(said, &req.secrets)
            ),
        ));
    }
    let access = v["access_token"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            FetchError::new(
                ErrorClass::Fail,
                "the OAuth token endpoint gave no access_token",
            )
        })?;
    Ok(Tokens {
        access_token: Sensitive::new(access.to_string()),
        refresh_token: v["refresh_token"]
            .as_str()
            .map(|s| Sensitive::new(s.to_string())),
        expires_in: v["expires_in"].as_i64(),
    })
}

/// Writes the tokens back; a rotated refresh token replaces the old one.
async fn store_tokens(ctx: &SourceContext, t: &Tokens) -> Result<(), FetchError> {
    ctx.put_secret(ACCESS_TOKEN, t.access_token.clone())
        .await
        .map_err(keychain)?;
    if let Some(r) = &t.refresh_token {
        ctx.put_secret(REFRESH_TOKEN, r.clone())
            .await
            .map_err(keychain)?;
    }
    let exp = t
        .expires_in
        .map(|s| chrono::Utc::now().timestamp() + s)
        .unwrap_or(i64::MAX / 2);
    ctx.put_secret(EXPIRES_AT, Sensitive::new(exp.to_string()))
        .await
        .map_err(keychain)
}

/// A PKCE verifier (43+ chars of base64url) and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let mut b = [0u8; 32];
    let _ = getrandom::fill(&mut b);
    let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A sign-in in progress: open `authorize_url` in a browser; `finish`
/// resolves once the provider redirected back to the loopback listener and
/// the code was exchanged and stored.
pub struct Authorization {
    pub authorize_url: String,
    pub finish: crate::runtime::BoxFuture<'static, Result<(), FetchError>>,
}

/// Starts the authorization-code flow with PKCE: listens on an ephemeral
/// loopback port for the redirect, builds the authorize URL, and returns it
/// with the future that completes the exchange (within `wait`).
pub async fn authorize(
    ctx: SourceContext,
    fetcher: Fetcher,
    o: OAuth2Spec,
    template: Template,
    wait: Duration,
) -> Result<Authorization, FetchError> {
    let authorize = o
        .authorize_url
        .as_deref()
        .ok_or_else(|| FetchError::new(ErrorClass::Fail, "this connector has no authorizeUrl"))?;
    let authorize = template(authorize).map_err(|e| FetchError::new(ErrorClass::Fail, e))?;
    let token_url = template(&o.token_url).map_err(|e| FetchError::new(ErrorClass::Fail, e))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| {
            FetchError::new(ErrorClass::Fail, format!("cannot listen on loopback: {e}"))
        })?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (verifier, challenge) = pkce_pair();
    let mut sb = [0u8; 16];
    let _ = getrandom::fill(&mut sb);
    let state = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sb);
    let client_id = ctx
        .instance
        .text(&o.client_id_config)
        .unwrap_or_default()
        .to_string();
    let mut url = reqwest::Url::parse(&authorize).map_err(|e| {
        FetchError::new(ErrorClass::Fail, format!("authorizeUrl is not a URL: {e}"))
    })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", &state);
    if !o.scopes.is_empty() {
        url.query_pairs_mut()
            .append_pair("scope", &o.scopes.join(" "));
    }
    let finish = Box::pin(async move {
        let code = tokio::time::timeout(wait, callback(&listener, &state))
            .await
            .map_err(|_| {
                FetchError::new(
                    ErrorClass::NeedsReauth,
                    "nobody finished signing in in time",
                )
            })??;
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", redirect),
            ("client_id", client_id),
            ("code_verifier", verifier.clone()),
        ];
        let mut secrets = vec![code, verifier];
        if let Some(s) = ctx.secret(&o.client_secret).await.map_err(keychain)? {
            form.push(("client_secret", s.expose().clone()));
            secrets.push(s.expose().clone());
        }
        let t = token_request(&ctx, &fetcher, &token_url, &form, secrets).await?;
        store_tokens(&ctx, &t).await
    });
    Ok(Authorization {
        authorize_url: url.to_string(),
        finish,
    })
}

/// How long one connection to the loopback listener may take to send its
/// request: a connection that says nothing is dropped, not waited on.
const CALLBACK_READ: Duration = Duration::from_secs(5);

/// Serves the loopback redirect until a request carrying this sign-in's
/// `state` arrives, and returns its code (or the provider's refusal). Each
/// connection is served by a task of its own within [`CALLBACK_READ`], so
/// an idle one cannot hold the listener; a request without the right
/// `state` (another page probing the port, a stale tab) gets 400 and
/// changes nothing.
async fn callback(listener: &tokio::net::TcpListener, state: &str) -> Result<String, FetchError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<String, String>>(4);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (sock, _) = accepted.map_err(|e| {
                    FetchError::new(ErrorClass::Fail, format!("loopback accept: {e}"))
                })?;
                let (tx, state) = (tx.clone(), state.to_string());
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(CALLBACK_READ, answer_callback(sock, &state, &tx)).await;
                });
            }
            Some(outcome) = rx.recv() => {
                return outcome.map_err(|e| {
                    FetchError::new(
                        ErrorClass::NeedsReauth,
                        format!("the provider refused the sign-in: {e}"),
                    )
                });
            }
        }
    }
}

/// Reads one request on the loopback listener, answers it, and reports a
/// code or a refusal that carries `state`.
async fn answer_callback(
    mut sock: tokio::net::TcpStream,
    state: &str,
    outcome: &tokio::sync::mpsc::Sender<Result<String, String>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let query = reqwest::Url::parse(&format!("http://127.0.0.1{target}")).ok();
    let get = |k: &str| {
        query.as_ref().and_then(|u| {
            u.query_pairs()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v.into_owned())
        })
    };
    let ours = get("state").is_some_and(|s| {
        s.len() == state.len()
            && s.bytes()
                .zip(state.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    let (status, text, result) = match (ours, get("code"), get("error")) {
        (false, _, _) => (
            "400 Bad Request",
            "This is not the sign-in Causeway is waiting for.",
            None,
        ),
        (true, _, Some(err)) => (
            "200 OK",
            "Sign-in was refused. You can close this tab.",
            Some(Err(err)),
        ),
        (true, Some(code), None) => (
            "200 OK",
            "Signed in. You can close this tab and return to Causeway.",
            Some(Ok(code)),
        ),
        (true, None, None) => ("400 Bad Request", "The provider sent no code.", None),
    };
    let resp = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = sock.write_all(resp.as_bytes()).await;
    if let Some(r) = result {
        let _ = outcome.send(r).await;
    }
}

/// Opens `url` in the system browser. Only http(s) URLs, and never through
/// a shell: `cmd /C start` would read `&` in a provider's URL as the start
/// of another command.
pub fn open_browser(url: &str) -> std::io::Result<()> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "only http(s) links are opened",
        ));
    }
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    cmd.arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
}
