//! The keys ID tokens are signed with (a JWKS: Google publishes its own at
//! [`GOOGLE_JWKS_URL`]), fetched off the request path and cached by key id.
//!
//! Verification reads this cache synchronously and never waits on the
//! network. The keys of a JWKS URL are fetched:
//! - before a delivery is verified ([`super::prepare`]), when its token names
//!   a key the cache does not hold or the cached keys are past the
//!   `Cache-Control: max-age` their answer gave (an hour when it gave none);
//! - in the background when verification itself finds them missing, for a
//!   caller that did not prepare: the sender's retry finds them;
//! - at most once a minute per URL however that came about, so tokens naming
//!   made-up key ids cannot make us hammer the key server.
//!
//! A fetch that fails keeps the keys there were: out-of-date keys still
//! verify for an hour past their max-age, so a short outage of the key server
//! does not refuse real deliveries, while keys it stopped publishing do not
//! verify for longer than that.

use crate::poll::http::error_chain;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Where Google publishes the keys of its ID tokens.
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
/// How long keys hold when their answer has no `max-age`.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);
/// The longest `max-age` believed, whatever the answer says.
const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// How long past their max-age keys still verify while they cannot be
/// fetched again.
const STALE_GRACE: Duration = Duration::from_secs(3600);
/// The least time between two fetches of one URL.
pub(crate) const REFETCH_AFTER: Duration = Duration::from_secs(60);
/// How long a fetch may take: a delivery that prepares may wait this long.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A JWKS is a few KB; anything much bigger is not one.
const MAX_BODY: usize = 64 * 1024;
/// Keys kept from one answer.
const MAX_KEYS: usize = 32;

/// base64url with or without padding (JWKs and JWTs leave it out).
pub(super) const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// An RSA public key: modulus and exponent, big-endian, no leading zeros.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PublicKey {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

/// The keys of one JWKS URL, and how fetching them went.
#[derive(Default)]
struct KeySet {
    keys: HashMap<String, Arc<PublicKey>>,
    /// When the keys came, and their max-age.
    fetched: Option<(Instant, Duration)>,
    /// When a fetch was last started, whatever came of it.
    tried: Option<Instant>,
    /// Why the last fetch failed; cleared by one that succeeds.
    error: Option<String>,
    /// Held while fetching: one fetch per URL at a time.
    gate: Arc<tokio::sync::Mutex<()>>,
}

/// Keys by JWKS URL, then by key id.
pub(crate) struct KeyCache {
    sets: Mutex<HashMap<String, KeySet>>,
    refetch_after: Duration,
}

/// The cache [`super::verify`] and [`super::prepare`] share.
pub(crate) static KEYS: LazyLock<KeyCache> = LazyLock::new(|| KeyCache::new(REFETCH_AFTER));

impl KeyCache {
    pub(crate) fn new(refetch_after: Duration) -> KeyCache {
        KeyCache {
            sets: Mutex::new(HashMap::new()),
            refetch_after,
        }
    }

    fn sets(&self) -> MutexGuard<'_, HashMap<String, KeySet>> {
        // Every update leaves the map whole, so a panic elsewhere while it
        // was held does not make it wrong.
        self.sets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The key `kid` of `url`'s set as of `at`, or why there is none (for a
    /// person: names the URL and the last fetch error, never a token).
    pub(crate) fn key(&self, url: &str, kid: &str, at: Instant) -> Result<Arc<PublicKey>, String> {
        let sets = self.sets();
        let set = sets.get(url);
        let failed = set
            .and_then(|s| s.error.as_deref())
            .map(|e| format!("; fetching them failed: {e}"))
            .unwrap_or_default();
        let Some((set, (fetched, max_age))) = set.and_then(|s| Some((s, s.fetched?))) else {
            return Err(format!(
                "the signing keys at {url} are not fetched yet{failed}"
            ));
        };
        if at.saturating_duration_since(fetched) > max_age + STALE_GRACE {
            return Err(format!(
                "the signing keys from {url} are out of date{failed}"
            ));
        }
        set.keys.get(kid).cloned().ok_or_else(|| {
            format!("the token's signing key (kid) is not one of the keys at {url}{failed}")
        })
    }

    /// Whether `url`'s keys should be fetched at `at`: they are missing,
    /// past their max-age, or lack `kid`; and no fetch started in the last
    /// minute.
    pub(crate) fn wants_fetch(&self, url: &str, kid: Option<&str>, at: Instant) -> bool {
        let sets = self.sets();
        let set = sets.get(url);
        let needed = match set {
            None => true,
            Some(s) => {
                s.fetched
                    .is_none_or(|(t, age)| at.saturating_duration_since(t) >= age)
                    || kid.is_some_and(|k| !s.keys.contains_key(k))
            }
        };
        let allowed = set
            .and_then(|s| s.tried)
            .is_none_or(|t| at.saturating_duration_since(t) >= self.refetch_after);
        needed && allowed
    }

    /// Fetches `url`'s keys when [`Self::wants_fetch`] says so. Callers that
    /// come while a fetch is running wait for it, then find nothing to do.
    pub(crate) async fn refresh(&self, url: &str, kid: Option<&str>) {
        let gate = self.sets().entry(url.to_string()).or_default().gate.clone();
        let _fetching = gate.lock().await;
        let started = Instant::now();
        if !self.wants_fetch(url, kid, started) {
            return;
        }
        if let Some(set) = self.sets().get_mut(url) {
            set.tried = Some(started);
        }
        let result = fetch(url).await;
        if let Err(e) = &result {
            tracing::warn!(url, error = %e, "cannot fetch token signing keys");
        }
        self.store(url, result, Instant::now());
    }

    /// Starts [`Self::refresh`] on the current Tokio runtime when a fetch
    /// is wanted; does nothing outside one.
    pub(crate) fn refresh_in_background(&'static self, url: &str, kid: &str) {
        if !self.wants_fetch(url, Some(kid), Instant::now()) {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (url, kid) = (url.to_string(), kid.to_string());
            runtime.spawn(async move { self.refresh(&url, Some(&kid)).await });
        }
    }

    /// Keeps what a fetch of `url` brought at `at`: new keys replace the
    /// old; a failure keeps them and says why.
    pub(crate) fn store(
        &self,
        url: &str,
        result: Result<(HashMap<String, Arc<PublicKey>>, Duration), String>,
        at: Instant,
    ) {
        let mut sets = self.sets();
        let set = sets.entry(url.to_string()).or_default();
        match result {
            Ok((keys, max_age)) => {
                set.keys = keys;
                set.fetched = Some((at, max_age));
                set.error = None;
            }
            Err(e) => set.error = Some(e),
        }
    }
}

/// GETs a JWKS: its usable keys, and how long they hold.
async fn fetch(url: &str) -> Result<(HashMap<String, Arc<PublicKey>>, Duration), String> {
    let client = crate::runtime::http_client()?;
    let mut response = client
        .get(url)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| error_chain(&e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let max_age = response
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(max_age)
        .unwrap_or(DEFAULT_MAX_AGE);
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| error_chain(&e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "the answer is over {} KB, too big for a JWKS",
                MAX_BODY / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((parse(&body)?, max_age))
}

/// `max-age` of a `Cache-Control` value, at most a day.
pub(crate) fn max_age(cache_control: &str) -> Option<Duration> {
    cache_control.split(',').find_map(|directive| {
        let (name, value) = directive.trim().split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        let secs: u64 = value.trim().trim_matches('"').parse().ok()?;
        Some(Duration::from_secs(secs).min(MAX_MAX_AGE))
    })
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// The RS256 signing keys of a JWKS document, by key id. Keys of another
/// type, algorithm or use, or without an id, are left out; a document with
/// none left is an error.
pub(crate) fn parse(body: &[u8]) -> Result<HashMap<String, Arc<PublicKey>>, String> {
    let jwks: Jwks = serde_json::from_slice(body)
        .map_err(|e| format!("the answer is not a JWKS ({{\"keys\": [...]}}): {e}"))?;
    let keys: HashMap<String, Arc<PublicKey>> = jwks
        .keys
        .into_iter()
        .filter(|k| k.kty == "RSA")
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == "RS256"))
        .filter(|k| k.usage.as_deref().is_none_or(|u| u == "sig"))
        .filter_map(|k| {
            let n = unsigned(k.n.as_deref()?)?;
            let e = unsigned(k.e.as_deref()?)?;
            Some((
                k.kid.filter(|id| !id.is_empty())?,
                Arc::new(PublicKey { n, e }),
            ))
        })
        .take(MAX_KEYS)
        .collect();
    if keys.is_empty() {
        return Err("the JWKS holds no RS256 signing key with a key id".into());
    }
    Ok(keys)
}

/// A base64url big-endian unsigned integer, without leading zeros.
fn unsigned(b64: &str) -> Option<Vec<u8>> {
    let bytes = B64URL.decode(b64).ok()?;
    let start = bytes.iter().position(|b| *b != 0)?;
    Some(bytes[start..].to_vec())
}
