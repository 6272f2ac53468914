//! OAuth2 against a local authorization server: the authorization-code flow
//! with PKCE through a loopback redirect, refresh with a rotated refresh
//! token written back (one refresh for many waiting requests), client
//! credentials, and `invalid_grant` → needs re-auth.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use causeway_connectors::poll::auth::{authorize, AuthSpec, Authorizer, OAuth2Spec, Template};
use causeway_connectors::poll::http::{Fetcher, Request};
use causeway_connectors::poll::settings::RunSettings;
use causeway_connectors::runtime::{
    stop_pair, BoxFuture, Commit, ErrorClass, Host, HostError, InstanceInfo, Report, SourceContext,
};
use causeway_connectors::secrets::Keychain;
use causeway_core::Sensitive;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct NoHost;
impl Host for NoHost {
    fn commit(&self, _: &InstanceInfo, _: Commit) -> BoxFuture<'_, Result<(), HostError>> {
        Box::pin(async { Err(HostError("not here".into())) })
    }
    fn checkpoint(&self, _: &str) -> BoxFuture<'_, Result<Option<Value>, HostError>> {
        Box::pin(async { Ok(None) })
    }
    fn versions(
        &self,
        _: &str,
        _: &str,
        _: Vec<String>,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, HostError>> {
        Box::pin(async { Ok(BTreeMap::new()) })
    }
    fn report(&self, _: &str, _: Report) {}
}

#[derive(Clone, Default)]
struct Server {
    /// code → PKCE challenge
    codes: Arc<Mutex<HashMap<String, String>>>,
    refreshes: Arc<Mutex<u32>>,
    /// The refresh token currently valid.
    refresh: Arc<Mutex<String>>,
}

async fn authorize_page(
    State(s): State<Server>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["client_id"], "cid");
    let code = format!("code-{}", s.codes.lock().unwrap().len());
    s.codes
        .lock()
        .unwrap()
        .insert(code.clone(), q["code_challenge"].clone());
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
    .into_response()
}

async fn token(State(s): State<Server>, Form(f): Form<HashMap<String, String>>) -> Response {
    let bad = |e: &str| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": e})),
        )
            .into_response()
    };
    match f["grant_type"].as_str() {
        "authorization_code" => {
            let Some(challenge) = s.codes.lock().unwrap().remove(&f["code"]) else {
                return bad("invalid_grant");
            };
            let want = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(f["code_verifier"].as_bytes()));
            if want != challenge {
                return bad("invalid_grant");
            }
            *s.refresh.lock().unwrap() = "r-1".into();
            Json(json!({"access_token": "a-1", "refresh_token": "r-1", "expires_in": 3600}))
                .into_response()
        }
        "refresh_token" => {
            if f["refresh_token"] != *s.refresh.lock().unwrap() {
                return bad("invalid_grant");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let n = {
                let mut r = s.refreshes.lock().unwrap();
                *r += 1;
                *r
            };
            *s.refresh.lock().unwrap() = format!("r-{}", n + 1);
            Json(json!({"access_token": format!("a-{}", n + 1), "refresh_token": format!("r-{}", n + 1), "expires_in": 3600})).into_response()
        }
        "client_credentials" if f["client_secret"] == "csecret" => {
            Json(json!({"access_token": "cc-token", "expires_in": 60})).into_response()
        }
        _ => bad("invalid_client"),
    }
}

fn ctx(secrets: &[(&str, &str)]) -> (SourceContext, causeway_connectors::runtime::StopHandle) {
    let (h, stop) = stop_pair();
    let map: BTreeMap<String, Sensitive<String>> = secrets
        .iter()
        .map(|(k, v)| (k.to_string(), Sensitive::new(v.to_string())))
        .collect();
    (
        SourceContext {
            instance: InstanceInfo {
                id: "slack-x".into(),
                descriptor_id: "slack".into(),
                project_id: "default".into(),
                name: "x".into(),
                config: json!({"clientId": "cid"}),
            },
            host: Arc::new(NoHost),
            keychain: Keychain::new("unused"),
            stop,
            http: causeway_connectors::runtime::http_client().unwrap(),
            overrides: Some(Arc::new(Mutex::new(map))),
        },
        h,
    )
}

fn fetcher(c: &SourceContext) -> Fetcher {
    Fetcher {
        client: c.http.clone(),
        settings: RunSettings::from_config(&json!({"maxRetries": 0}), Duration::from_secs(60), 0),
        pacer: Default::default(),
        overrides: Default::default(),
        record: None,
    }
}

fn spec(base: &str, grant: &str) -> OAuth2Spec {
    OAuth2Spec {
        grant: grant.into(),
        token_url: format!("{base}/token"),
        authorize_url: Some(format!("{base}/authorize")),
        scopes: vec!["channels:history".into()],
        client_id_config: "clientId".into(),
        client_secret: "clientSecret".into(),
    }
}

fn secret(c: &SourceContext, k: &str) -> Option<String> {
    c.overrides
        .as_ref()
        .unwrap()
        .lock()
        .unwrap()
        .get(k)
        .map(|v| v.expose().clone())
}

fn plain() -> Template {
    Arc::new(|t: &str| Ok(t.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_sign_in_then_one_refresh_with_a_rotated_token() {
    let s = Server::default();
    let app = Router::new()
        .route("/authorize", get(authorize_page))
        .route("/token", post(token))
        .with_state(s.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });

    // Sign in: the "browser" follows the authorize link, the provider
    // redirects to the loopback listener, the code is exchanged with the verifier.
    let (c, _h) = ctx(&[]);
    let a = authorize(
        c.clone(),
        fetcher(&c),
        spec(&base, "authorization_code"),
        plain(),
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    assert!(
        a.authorize_url.contains("code_challenge=")
            && a.authorize_url
                .contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A")
    );
    let browser = tokio::spawn({
        let url = a.authorize_url.clone();
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    });
    a.finish.await.unwrap();
    assert!(browser.await.unwrap().contains("Signed in"));
    assert_eq!(secret(&c, "accessToken").as_deref(), Some("a-1"));
    assert_eq!(secret(&c, "refreshToken").as_deref(), Some("r-1"));

    // The access token expires; eight requests at once make one refresh.
    c.overrides
        .as_ref()
        .unwrap()
        .lock()
        .unwrap()
        .insert("accessTokenExpiresAt".into(), Sensitive::new("0".into()));
    let auth = Arc::new(Authorizer::new(
        vec![AuthSpec::Oauth2(spec(&base, "authorization_code"))],
        plain(),
    ));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (auth, c) = (auth.clone(), c.clone());
        tasks.push(tokio::spawn(async move {
            let f = fetcher(&c);
            auth.apply(&c, &f, Request::get("http://x/"))
                .await
                .unwrap()
                .headers
        }));
    }
    for t in tasks {
        let h = t.await.unwrap();
        assert!(
            h.contains(&("authorization".to_string(), "Bearer a-2".to_string())),
            "{h:?}"
        );
    }
    assert_eq!(
        *s.refreshes.lock().unwrap(),
        1,
        "one refresh for all of them"
    );
    assert_eq!(
        secret(&c, "refreshToken").as_deref(),
        Some("r-2"),
        "the rotated token is written back"
    );

    // The grant is revoked: needs re-auth, not a retry.
    *s.refresh.lock().unwrap() = "revoked".into();
    c.overrides
        .as_ref()
        .unwrap()
        .lock()
        .unwrap()
        .insert("accessTokenExpiresAt".into(), Sensitive::new("0".into()));
    let e = auth
        .apply(&c, &fetcher(&c), Request::get("http://x/"))
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::NeedsReauth);
    assert!(
        e.message.contains("invalid_grant") && !e.message.contains("r-2"),
        "{}",
        e.message
    );

    // Client credentials.
    let (c2, _h2) = ctx(&[("clientSecret", "csecret")]);
    let cc = Authorizer::new(
        vec![AuthSpec::Oauth2(spec(&base, "client_credentials"))],
        plain(),
    );
    let r = cc
        .apply(&c2, &fetcher(&c2), Request::get("http://x/"))
        .await
        .unwrap();
    assert!(r
        .headers
        .contains(&("authorization".to_string(), "Bearer cc-token".to_string())));
    assert!(
        r.secrets.contains(&"cc-token".to_string()),
        "scrubbed from what is shown"
    );
    let (c3, _h3) = ctx(&[("clientSecret", "wrong")]);
    let e = cc
        .apply(&c3, &fetcher(&c3), Request::get("http://x/"))
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::NeedsReauth);
}

/// The loopback listener serves each connection on its own, within a few
/// seconds: an idle connection does not block the sign-in, and a request
/// without this sign-in's `state` (`?error=` from a page probing the port)
/// is answered 400 and ends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loopback_callback_waits_for_its_own_state() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Server::default();
    let app = Router::new()
        .route("/authorize", get(authorize_page))
        .route("/token", post(token))
        .with_state(s.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let (c, _h) = ctx(&[]);
    let a = authorize(
        c.clone(),
        fetcher(&c),
        spec(&base, "authorization_code"),
        plain(),
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    let url = reqwest::Url::parse(&a.authorize_url).unwrap();
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    let port = reqwest::Url::parse(&redirect).unwrap().port().unwrap();
    let finish = tokio::spawn(a.finish);
    // A connection that says nothing, held open.
    let _idle = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    // A refusal without state: 400, and the sign-in goes on.
    let mut probe = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    probe
        .write_all(b"GET /callback?error=access_denied HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    probe.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // The person signs in: the provider redirects with code and state.
    let page = reqwest::get(a.authorize_url.clone())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Signed in"), "{page}");
    tokio::time::timeout(Duration::from_secs(10), finish)
        .await
        .expect("the sign-in finished despite the idle connection")
        .unwrap()
        .unwrap();
    assert_eq!(secret(&c, "accessToken").as_deref(), Some("a-1"));
}
