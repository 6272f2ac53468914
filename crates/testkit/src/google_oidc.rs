//! Google's side of an authenticated Pub/Sub push: ID tokens signed the way
//! Google signs them (RS256 JWTs naming their key in `kid`), and the JWKS
//! Google publishes its signing keys in (`https://www.googleapis.com/oauth2/v3/certs`),
//! served on a loopback port with a `Cache-Control: max-age` like Google's.
//!
//! The RSA keys are throwaway test keys that `openssl` makes once per test
//! process (as the Dovecot fake makes its CA): nothing private is kept in
//! the repository, and no key made here signs anything outside a test.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RsaPublicKeyComponents, RSA_PKCS1_SHA256};
use serde_json::{json, Value};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The issuer Google's ID tokens name.
pub const ISSUER: &str = "https://accounts.google.com";
/// The key id [`FakeGoogle::start`] serves its first key under.
pub const KID: &str = "causeway-test-key-1";
/// A service account e-mail, as Pub/Sub puts it in its tokens.
pub const SERVICE_ACCOUNT: &str = "pubsub-push@causeway-test.iam.gserviceaccount.com";

/// A throwaway 2048-bit RSA key pair (see the module's notes).
pub struct TestKey {
    pair: RsaKeyPair,
}

/// Test key `0` or `1`, made on first use and kept for the process: two, so
/// a test can sign with a key Google does not have under a `kid` it does.
pub fn key(which: usize) -> &'static TestKey {
    static KEYS: [OnceLock<TestKey>; 2] = [OnceLock::new(), OnceLock::new()];
    KEYS[which].get_or_init(|| {
        let out = Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .args(["-outform", "DER"])
            .output()
            .expect("cannot run openssl (Debian: apt-get install openssl)");
        assert!(
            out.status.success(),
            "openssl genpkey: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // OpenSSL 3 writes DER keys as PKCS#1, earlier ones as PKCS#8.
        let pair = RsaKeyPair::from_der(&out.stdout)
            .or_else(|_| RsaKeyPair::from_pkcs8(&out.stdout))
            .expect("openssl made an RSA key");
        TestKey { pair }
    })
}

impl TestKey {
    /// The public key as a JWKS entry, as Google lists it.
    pub fn jwk(&self, kid: &str) -> Value {
        let public: RsaPublicKeyComponents<Vec<u8>> = self.pair.public().into();
        json!({
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&public.n),
            "e": URL_SAFE_NO_PAD.encode(&public.e),
        })
    }

    /// A compact JWT of `header` and `claims`, signed with RS256 whatever
    /// `header` says (a test writes the `alg` it wants to see refused).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signed.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing");
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// An ID token as Google makes one: `{"alg":"RS256","kid":…,"typ":"JWT"}`.
    pub fn token(&self, kid: &str, claims: &Value) -> String {
        self.sign(&json!({"alg": "RS256", "kid": kid, "typ": "JWT"}), claims)
    }
}

/// The claims of a Pub/Sub push token for `audience`, issued at `iat`
/// (Unix seconds) and valid for the hour Google's are.
pub fn push_claims(audience: &str, iat: i64) -> Value {
    json!({
        "aud": audience,
        "azp": "113774264463038321964",
        "email": SERVICE_ACCOUNT,
        "email_verified": true,
        "exp": iat + 3600,
        "iat": iat,
        "iss": ISSUER,
        "sub": "113774264463038321964",
    })
}

/// What the fake answers at its JWKS URL.
struct Served {
    keys: Vec<Value>,
    cache_control: Option<String>,
    status: StatusCode,
}

/// Google's JWKS endpoint on a loopback port; it serves until the test's
/// runtime ends.
pub struct FakeGoogle {
    /// The JWKS URL to configure (`…/oauth2/v3/certs`).
    pub certs_url: String,
    served: Arc<Mutex<Served>>,
    requests: Arc<AtomicUsize>,
}

impl FakeGoogle {
    /// Starts one serving test key 0 under [`KID`], with
    /// `Cache-Control: public, max-age=3600`.
    pub async fn start() -> FakeGoogle {
        let served = Arc::new(Mutex::new(Served {
            keys: vec![key(0).jwk(KID)],
            cache_control: Some("public, max-age=3600, must-revalidate, no-transform".into()),
            status: StatusCode::OK,
        }));
        let requests = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route("/oauth2/v3/certs", get(certs))
            .with_state((served.clone(), requests.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let certs_url = format!("http://{}/oauth2/v3/certs", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeGoogle {
            certs_url,
            served,
            requests,
        }
    }

    /// Serves these keys from now on (Google rotating its keys).
    pub fn serve(&self, keys: Vec<Value>) {
        self.served.lock().unwrap().keys = keys;
    }

    /// The `Cache-Control` header sent from now on (`None`: none).
    pub fn cache_control(&self, value: Option<&str>) {
        self.served.lock().unwrap().cache_control = value.map(String::from);
    }

    /// Answers with this status (and no keys) from now on: an outage.
    pub fn status(&self, status: u16) {
        self.served.lock().unwrap().status = StatusCode::from_u16(status).unwrap();
    }

    /// JWKS requests so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// A push token for `audience` issued at `iat`, signed with test key 0
    /// under [`KID`].
    pub fn token(&self, audience: &str, iat: i64) -> String {
        key(0).token(KID, &push_claims(audience, iat))
    }
}

async fn certs(
    State((served, requests)): State<(Arc<Mutex<Served>>, Arc<AtomicUsize>)>,
) -> Response {
    requests.fetch_add(1, Ordering::SeqCst);
    let served = served.lock().unwrap();
    if !served.status.is_success() {
        return served.status.into_response();
    }
    let body = json!({"keys": served.keys}).to_string();
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(cc) = &served.cache_control {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, cc.parse().unwrap());
    }
    response
}
