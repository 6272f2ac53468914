//! Webhook signature verification, on the raw body bytes, before any parsing.
//!
//! A webhook endpoint is reachable by anyone who can guess its URL, so the
//! gateway must know a delivery really came from the provider before it commits
//! anything. Verification runs on the exact bytes received: re-serializing a
//! parsed body changes whitespace and key order, and the MAC no longer matches.
//!
//! Each provider signs differently; a [`Scheme`] names one of those ways as
//! data, so a connector descriptor or an instance's settings can say which to
//! use. [`verify`] takes every *active* secret, because secrets rotate: during a
//! rotation the provider may sign with the old or the new one, and both must
//! pass until the old one is retired.
//!
//! One scheme holds no secret: `google_oidc` (authenticated Pub/Sub pushes)
//! checks a token Google signed against the keys Google publishes. Those are
//! fetched off the request path: [`prepare`] (awaited before [`verify`])
//! fetches them when a token names one not cached, and [`verify`] itself
//! only reads the cache.
//!
//! Rules every scheme follows here:
//! - MACs and tokens are compared in constant time, so response timing does not
//!   reveal how many leading bytes of a forgery were right.
//! - Clock windows use the `now` argument, never the system clock, so the same
//!   check replays identically in tests and when re-verifying from the inbox.
//! - A malformed header (bad hex, bad base64, missing prefix) is a refusal,
//!   never a panic.
//! - Errors name headers and windows, never a secret, a token or a computed
//!   MAC: they end up in logs and in the UI.

mod google_oidc;
mod hmac_schemes;
mod jwks;
mod timestamped;
mod tokens;

pub use jwks::GOOGLE_JWKS_URL;

#[cfg(test)]
mod tests;

use causeway_core::Sensitive;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Replay window for Stripe when a descriptor does not set one: Stripe's own
/// libraries default to five minutes.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// How a provider proves a delivery is its own. Serialized as
/// `{"type": "github_sha256"}`, `{"type": "stripe", "tolerance_secs": 300}`,
/// `{"type": "shared_token", "header": "X-Token"}`, so it can live in
/// descriptors and instance settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Scheme {
    /// No verification. For local tools and replays; every delivery passes.
    None,
    /// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`.
    GithubSha256,
    /// GitHub's legacy header: `X-Hub-Signature: sha1=<hex HMAC-SHA1>`. Only for
    /// senders that cannot send the SHA-256 one (old GitHub Enterprise).
    GithubSha1,
    /// PagerDuty v3: `X-PagerDuty-Signature: v1=<hex>,v1=<hex>`; PagerDuty
    /// lists one signature per active secret, any of them may match.
    #[serde(rename = "pagerduty_v3")]
    PagerDutyV3,
    /// Sentry integrations: `Sentry-Hook-Signature: <hex HMAC-SHA256(client secret, body)>`.
    Sentry,
    /// Grafana alerting webhook: `X-Grafana-Alerting-Signature: <hex>`; when
    /// `X-Grafana-Alerting-Signature-Timestamp` is sent the MAC covers
    /// `"<timestamp>:<body>"` and the timestamp must be within five minutes.
    Grafana,
    /// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:<ts>:<body>")>`
    /// with `X-Slack-Request-Timestamp` within five minutes.
    SlackV0,
    /// Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=...]`, MAC over
    /// `"<t>.<body>"`, `t` within `tolerance_secs`.
    Stripe {
        #[serde(default = "default_tolerance")]
        tolerance_secs: i64,
    },
    /// Standard Webhooks (standardwebhooks.com, Svix and others):
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> ...`;
    /// the secret is `whsec_<base64 key>`, the MAC covers `"<id>.<ts>.<body>"`.
    StandardWebhooks,
    /// A fixed token in a header of the sender's choosing, for senders that can
    /// only add a static header. Weaker than a MAC: it does not cover the body.
    SharedToken { header: String },
    /// `Authorization: Basic base64(user:password)`; the secret is `user:password`.
    Basic,
    /// `Authorization: Bearer <secret>` (Alertmanager's `http_config`).
    Bearer,
    /// Google Cloud Pub/Sub authenticated push: `Authorization: Bearer <Google
    /// ID token>`, an RS256 JWT checked against the keys published at
    /// `jwks_url` (Google's, [`GOOGLE_JWKS_URL`], when unset), its `aud`
    /// against `audience` and, when set, its `email` against
    /// `service_account_email`. Needs no secret. An instance's own
    /// `audience`, `serviceAccountEmail` and `jwksUrl` settings win over
    /// these ([`Scheme::with_instance_config`]).
    GoogleOidc {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audience: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service_account_email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jwks_url: Option<String>,
    },
}

/// The instance settings `google_oidc` reads, as the gcp-pubsub form names
/// them: its audience, service account and JWKS URL.
const OIDC_SETTINGS: [&str; 3] = ["audience", "serviceAccountEmail", "jwksUrl"];

fn default_tolerance() -> i64 {
    DEFAULT_TOLERANCE_SECS
}

impl Scheme {
    /// Stripe with its default five-minute window.
    pub fn stripe() -> Self {
        Scheme::Stripe {
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }

    /// Whether deliveries are checked against a secret the instance keeps
    /// (`webhookSecret`): every scheme but `none` and `google_oidc`, whose
    /// tokens are checked against the keys Google publishes.
    pub fn needs_secret(&self) -> bool {
        !matches!(self, Scheme::None | Scheme::GoogleOidc { .. })
    }

    /// This scheme with the settings it takes from the instance's config
    /// filled in: for `google_oidc`, the instance's `audience`,
    /// `serviceAccountEmail` and `jwksUrl` (what its setup form asks for), when
    /// set, win over the same settings inside `verify`. Other schemes are
    /// returned as they are.
    pub fn with_instance_config(self, config: &serde_json::Value) -> Scheme {
        let Scheme::GoogleOidc {
            audience,
            service_account_email,
            jwks_url,
        } = self
        else {
            return self;
        };
        let own = |name: &str| {
            config
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        let [a, e, j] = OIDC_SETTINGS.map(own);
        Scheme::GoogleOidc {
            audience: a.or(audience),
            service_account_email: e.or(service_account_email),
            jwks_url: j.or(jwks_url),
        }
    }

    /// The header this scheme's provider puts its delivery id in, if it has one.
    pub fn delivery_header(&self) -> Option<&'static str> {
        match self {
            Scheme::GithubSha256 | Scheme::GithubSha1 => Some("x-github-delivery"),
            Scheme::PagerDutyV3 => Some("x-webhook-id"),
            Scheme::Sentry => Some("request-id"),
            Scheme::StandardWebhooks => Some("webhook-id"),
            _ => None,
        }
    }
}

/// A delivery that passed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Index into `secrets` of the secret that matched; `None` for the
    /// schemes without one ([`Scheme::needs_secret`]). Lets the UI tell when
    /// the old secret of a rotation is still in use, i.e. when it is not yet
    /// safe to retire it.
    pub secret_index: Option<usize>,
    /// The provider's id for this delivery, so the gateway can drop re-sends.
    /// Only Standard Webhooks covers it with the MAC; elsewhere it is a hint.
    pub delivery_id: Option<String>,
}

/// Why a delivery was refused. Messages are for a person and name headers and
/// windows only: never a secret, never a computed MAC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("{header} header is missing")]
    Missing { header: String },
    #[error("{header} does not match any active secret")]
    Mismatch { header: String },
    #[error("{}", stale_message(*age_secs, *tolerance_secs))]
    Stale { age_secs: i64, tolerance_secs: i64 },
    #[error("{0}")]
    Malformed(String),
    #[error("no active secret is configured, so no delivery can be verified")]
    NoSecret,
    /// A signed token (`google_oidc`) that was read but is not trusted: its
    /// algorithm, key, signature, issuer, audience, lifetime or e-mail.
    #[error("Authorization token refused: {0}")]
    TokenRefused(String),
    /// A setting the scheme needs is missing or unusable (`google_oidc`'s
    /// audience or JWKS URL).
    #[error("{0}")]
    Unconfigured(String),
}

/// `age_secs` is `now - timestamp`: negative means dated in the future.
fn stale_message(age_secs: i64, tolerance_secs: i64) -> String {
    if age_secs >= 0 {
        format!(
            "timestamp is {age_secs} s old, outside the {tolerance_secs} s window \
             (a replayed delivery, or the sender's clock is behind)"
        )
    } else {
        format!(
            "timestamp is {} s in the future, outside the {tolerance_secs} s window \
             (the sender's clock is ahead)",
            age_secs.unsigned_abs()
        )
    }
}

/// Looks up a header by name; the caller's lookup is case-insensitive because
/// it lowercases names, so this lowercases too.
pub type Headers<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Checks that `body` was sent by whoever holds one of `secrets`, the way
/// `scheme` says. Succeeds if ANY secret matches (rotation). Empty secrets are
/// ignored: an empty key or token would let anyone through.
pub fn verify(
    scheme: &Scheme,
    secrets: &[Sensitive<String>],
    headers: Headers<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, VerifyError> {
    let secret_index = match scheme {
        Scheme::None => None,
        Scheme::GoogleOidc {
            audience,
            service_account_email,
            jwks_url,
        } => {
            let settings = google_oidc::Settings {
                audience: audience.as_deref(),
                email: service_account_email.as_deref(),
                jwks_url: jwks_url.as_deref().unwrap_or(GOOGLE_JWKS_URL),
            };
            google_oidc::check(&jwks::KEYS, &settings, headers, now)?;
            None
        }
        _ => {
            let keys: Vec<Key<'_>> = secrets
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.expose().is_empty())
                .map(|(index, s)| Key {
                    index,
                    bytes: s.expose().as_bytes(),
                })
                .collect();
            if keys.is_empty() {
                return Err(VerifyError::NoSecret);
            }
            Some(match scheme {
                Scheme::None | Scheme::GoogleOidc { .. } => unreachable!("handled above"),
                Scheme::GithubSha256 => hmac_schemes::github_sha256(&keys, headers, body)?,
                Scheme::GithubSha1 => hmac_schemes::github_sha1(&keys, headers, body)?,
                Scheme::PagerDutyV3 => hmac_schemes::pagerduty_v3(&keys, headers, body)?,
                Scheme::Sentry => hmac_schemes::sentry(&keys, headers, body)?,
                Scheme::Grafana => timestamped::grafana(&keys, headers, body, now)?,
                Scheme::SlackV0 => timestamped::slack_v0(&keys, headers, body, now)?,
                Scheme::Stripe { tolerance_secs } => {
                    timestamped::stripe(&keys, headers, body, now, *tolerance_secs)?
                }
                Scheme::StandardWebhooks => {
                    timestamped::standard_webhooks(&keys, headers, body, now)?
                }
                Scheme::SharedToken { header } => tokens::shared_token(&keys, headers, header)?,
                Scheme::Basic => tokens::basic(&keys, headers)?,
                Scheme::Bearer => tokens::bearer(&keys, headers)?,
            })
        }
    };
    let delivery_id = match scheme.delivery_header() {
        Some(name) => header(headers, name),
        None => delivery_id(headers),
    };
    Ok(Verified {
        secret_index,
        delivery_id,
    })
}

/// What [`verify`] needs fetched before it can decide, as a future that owns
/// all it needs (it borrows nothing from the request, so a handler awaits it
/// before verifying): for `google_oidc`, the signing keys when the token names
/// a key not cached or the cached keys are past their max-age, at most one
/// fetch a minute per key URL. Ready at once for every other scheme, and for
/// a token whose key is cached. Never fails: when the keys cannot be had,
/// [`verify`] refuses and says why.
pub fn prepare(
    scheme: &Scheme,
    headers: Headers<'_>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let wanted = match scheme {
        Scheme::GoogleOidc { jwks_url, .. } => {
            let url = jwks_url.as_deref().unwrap_or(GOOGLE_JWKS_URL);
            let kid = google_oidc::kid_of(headers);
            google_oidc::jwks_url(url)
                .ok()
                .filter(|url| {
                    jwks::KEYS.wants_fetch(url, kid.as_deref(), std::time::Instant::now())
                })
                .map(|url| (url.to_string(), kid))
        }
        _ => None,
    };
    async move {
        if let Some((url, kid)) = wanted {
            jwks::KEYS.refresh(&url, kid.as_deref()).await;
        }
    }
}

/// The delivery id from whichever well-known header carries one
/// (`X-GitHub-Delivery`, `webhook-id`, PagerDuty's `X-Webhook-Id`, Sentry's
/// `Request-ID`), for deduplicating re-sends when the scheme is not known.
pub fn delivery_id(headers: Headers<'_>) -> Option<String> {
    [
        "x-github-delivery",
        "webhook-id",
        "x-webhook-id",
        "request-id",
    ]
    .iter()
    .find_map(|name| header(headers, name))
}

/// One active secret and its position in the caller's list.
pub(crate) struct Key<'a> {
    pub index: usize,
    pub bytes: &'a [u8],
}

/// A header's trimmed value; an empty value counts as absent.
pub(crate) fn header(headers: Headers<'_>, name: &str) -> Option<String> {
    headers(&name.to_ascii_lowercase())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A header that must be present; `display` is the name as people write it.
pub(crate) fn require(headers: Headers<'_>, display: &str) -> Result<String, VerifyError> {
    header(headers, display).ok_or_else(|| VerifyError::Missing {
        header: display.to_string(),
    })
}

pub(crate) fn mismatch(header: &str) -> VerifyError {
    VerifyError::Mismatch {
        header: header.to_string(),
    }
}

/// The hash under an HMAC.
#[derive(Clone, Copy)]
pub(crate) enum Algo {
    Sha1,
    Sha256,
}

/// HMAC of the concatenated `parts` with `key`. Feeding parts avoids copying
/// the body into a `"<ts>.<body>"` buffer.
fn hmac_tag(algo: Algo, key: &[u8], parts: &[&[u8]]) -> Option<Vec<u8>> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Option<Vec<u8>> {
        // HMAC accepts keys of any length, so this never fails in practice;
        // still no unwrap on the request path.
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).ok()?;
        for part in parts {
            mac.update(part);
        }
        Some(mac.finalize().into_bytes().to_vec())
    }
    match algo {
        Algo::Sha1 => run::<Hmac<Sha1>>(key, parts),
        Algo::Sha256 => run::<Hmac<Sha256>>(key, parts),
    }
}

/// The index of the first key whose MAC over `parts` equals any of
/// `candidates` (the signatures the sender listed). Each key's MAC is computed
/// once and compared to every candidate in constant time.
pub(crate) fn first_matching_key(
    algo: Algo,
    keys: &[Key<'_>],
    parts: &[&[u8]],
    candidates: &[Vec<u8>],
) -> Option<usize> {
    keys.iter().find_map(|key| {
        let tag = hmac_tag(algo, key.bytes, parts)?;
        candidates
            .iter()
            .any(|c| ct_eq(&tag, c))
            .then_some(key.index)
    })
}

/// Constant-time equality of two byte strings. The length is not secret (a
/// MAC's length is fixed by its hash), so unequal lengths return at once; equal
/// lengths are compared with an xor-fold that reads every byte. Empty never
/// equals anything: an empty signature must not match an empty tag.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Constant-time equality for tokens of any length: both sides are hashed
/// first, so the comparison is over two fixed-length digests and timing reveals
/// neither the content nor the length of the secret.
pub(crate) fn token_eq(presented: &[u8], secret: &[u8]) -> bool {
    ct_eq(&Sha256::digest(presented), &Sha256::digest(secret))
}

/// Decodes hex (either case). `None` for odd length or a non-hex digit.
pub(crate) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?))
        .collect()
}

/// Decodes one hex signature named by `header`, refusing empty or non-hex
/// values as malformed (without echoing them).
pub(crate) fn hex_signature(header: &str, value: &str) -> Result<Vec<u8>, VerifyError> {
    match decode_hex(value) {
        Some(bytes) if !bytes.is_empty() => Ok(bytes),
        _ => Err(VerifyError::Malformed(format!(
            "{header} does not hold a hex signature"
        ))),
    }
}

/// Parses a Unix-seconds timestamp header.
pub(crate) fn unix_timestamp(header: &str, value: &str) -> Result<i64, VerifyError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| VerifyError::Malformed(format!("{header} is not a Unix timestamp in seconds")))
}

/// Refuses a timestamp more than `tolerance_secs` away from `now`, in either
/// direction: an old one may be a captured delivery replayed, a future one
/// would stay "fresh" for longer than the window.
pub(crate) fn within_window(
    timestamp: i64,
    now: DateTime<Utc>,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let age_secs = now.timestamp().saturating_sub(timestamp);
    if age_secs.unsigned_abs() > tolerance_secs.max(0).unsigned_abs() {
        return Err(VerifyError::Stale {
            age_secs,
            tolerance_secs,
        });
    }
    Ok(())
}
