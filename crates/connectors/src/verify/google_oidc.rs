//! Google's OIDC tokens on authenticated Pub/Sub pushes (`google_oidc`).
//!
//! Pub/Sub sends each push of a subscription with authentication turned on
//! with `Authorization: Bearer <Google ID token>`: a JWT signed RS256 with
//! one of the keys Google publishes ([`super::jwks`]). A push is taken when:
//! - the token's header says `alg: RS256` (never `none`, never an HMAC,
//!   whatever key the header names) and its `kid` is one of those keys;
//! - the signature verifies with that key;
//! - `iss` is Google's (`https://accounts.google.com` or `accounts.google.com`);
//! - `aud` is the configured audience (Pub/Sub's default is the push
//!   endpoint's URL, so a token minted for another service is refused);
//! - `exp` has not passed and `iat` is not in the future, give or take a
//!   minute of clock skew;
//! - `email_verified` is true and, when a service account is configured,
//!   `email` is that account.
//!
//! Unlike the MAC schemes the token does not cover the body: like a bearer
//! token it proves who sent the request, for the hour a Google token lasts.
//! Refusals say which check failed and never repeat the token; the claims
//! they name (audience, e-mail) are read only once the signature holds.

use super::jwks::{KeyCache, B64URL};
use super::{tokens, Headers, VerifyError};
use base64::Engine;
use chrono::{DateTime, Utc};
use ring::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use serde_json::{Map, Value};
use std::time::Instant;

/// The issuers Google's ID tokens name.
pub const ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];
/// Clock skew allowed on `exp`, `iat` and `nbf`.
pub const LEEWAY_SECS: i64 = 60;
/// Google's tokens are about 1 KB; a bigger header is not one of them.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// What an instance checks tokens against.
pub(super) struct Settings<'a> {
    pub audience: Option<&'a str>,
    pub email: Option<&'a str>,
    pub jwks_url: &'a str,
}

/// A token taken apart, its signature not yet checked.
struct Parts<'a> {
    /// `header.payload`: what the signature covers.
    signed: &'a str,
    payload: &'a str,
    kid: String,
    signature: Vec<u8>,
}

/// Checks the delivery's token against `settings`, with keys from `cache`
/// (a fetch is started in the background when they are missing or old).
pub(super) fn check(
    cache: &'static KeyCache,
    settings: &Settings<'_>,
    headers: Headers<'_>,
    now: DateTime<Utc>,
) -> Result<(), VerifyError> {
    let audience = settings
        .audience
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            VerifyError::Unconfigured(
                "no audience is configured for Google's OIDC tokens, so no push can be \
                 verified: set it to the push subscription's audience (by default its \
                 endpoint URL)"
                    .into(),
            )
        })?;
    let url = jwks_url(settings.jwks_url)?;
    let token = tokens::credentials(headers, "Bearer")?;
    let parts = split(&token)?;
    // Missing or past their max-age: fetched for the next delivery (a
    // caller that prepared has fetched them already).
    cache.refresh_in_background(url, &parts.kid);
    let key = cache
        .key(url, &parts.kid, Instant::now())
        .map_err(refused)?;
    let public = RsaPublicKeyComponents {
        n: &key.n,
        e: &key.e,
    };
    public
        .verify(
            &RSA_PKCS1_2048_8192_SHA256,
            parts.signed.as_bytes(),
            &parts.signature,
        )
        .map_err(|_| refused("its signature does not verify with the signing key it names"))?;
    let claims = json_object(parts.payload, "claims")?;
    check_claims(&claims, audience, settings.email, now)
}

/// The key id a bearer token's header names, if it reads as a JWT: what
/// [`super::prepare`] fetches keys for.
pub(super) fn kid_of(headers: Headers<'_>) -> Option<String> {
    let token = tokens::credentials(headers, "Bearer").ok()?;
    split(&token).ok().map(|p| p.kid)
}

/// The JWKS URL, if it is an http(s) one.
pub(super) fn jwks_url(url: &str) -> Result<&str, VerifyError> {
    let url = url.trim();
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url)
    } else {
        Err(VerifyError::Unconfigured(
            "the JWKS URL of the OIDC token keys is not an http(s) URL".into(),
        ))
    }
}

fn refused(why: impl Into<String>) -> VerifyError {
    VerifyError::TokenRefused(why.into())
}

fn malformed(what: &str) -> VerifyError {
    VerifyError::Malformed(format!("Authorization Bearer token {what}"))
}

/// Splits a compact JWT, checking its header: RS256, a key id, nothing
/// critical it does not know.
fn split(token: &str) -> Result<Parts<'_>, VerifyError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed("is too long to be a Google ID token"));
    }
    let mut pieces = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err(malformed("is not a JWT (three dot-separated parts)"));
    };
    let head = json_object(header, "header")?;
    match head.get("alg").and_then(Value::as_str) {
        Some("RS256") => {}
        Some("none") => return Err(refused("it is unsigned (alg none); Google signs RS256")),
        Some(_) => return Err(refused("it is not signed RS256, as Google's tokens are")),
        None => return Err(malformed("header names no algorithm (alg)")),
    }
    if head.contains_key("crit") {
        return Err(refused("its header lists critical extensions (crit)"));
    }
    let kid = head
        .get("kid")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty() && k.len() <= 256)
        .ok_or_else(|| malformed("header names no signing key (kid)"))?;
    let signature = B64URL
        .decode(signature)
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("has no base64url signature"))?;
    Ok(Parts {
        signed: &token[..header.len() + 1 + payload.len()],
        payload,
        kid: kid.to_string(),
        signature,
    })
}

/// A base64url JSON object (a JWT's header or claims).
fn json_object(b64: &str, what: &str) -> Result<Map<String, Value>, VerifyError> {
    B64URL
        .decode(b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .ok_or_else(|| malformed(&format!("{what} cannot be read as base64url JSON")))
}

/// The claims of a token whose signature held.
fn check_claims(
    claims: &Map<String, Value>,
    audience: &str,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), VerifyError> {
    let iss = claims.get("iss").and_then(Value::as_str);
    if !iss.is_some_and(|i| ISSUERS.contains(&i)) {
        return Err(refused(
            "its issuer (iss) is not Google (accounts.google.com)",
        ));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        // RFC 7519 allows a list; Pub/Sub sends one string.
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(refused(format!(
            "its audience (aud) is {}, not this receiver's \"{audience}\" (set the \
             push subscription's audience and this connector's to the same value)",
            shown(claims.get("aud"))
        )));
    }
    let now = now.timestamp();
    let exp = time(claims, "exp")?.ok_or_else(|| refused("it has no expiry (exp)"))?;
    if now > exp.saturating_add(LEEWAY_SECS) {
        return Err(refused(format!(
            "it expired {} s ago (allowing {LEEWAY_SECS} s of clock skew)",
            now.saturating_sub(exp)
        )));
    }
    let iat = time(claims, "iat")?.ok_or_else(|| refused("it has no issue time (iat)"))?;
    for (name, at) in [("iat", Some(iat)), ("nbf", time(claims, "nbf")?)] {
        if let Some(at) = at.filter(|at| *at > now.saturating_add(LEEWAY_SECS)) {
            return Err(refused(format!(
                "it is dated {} s in the future ({name}; allowing {LEEWAY_SECS} s of \
                 clock skew: is this machine's clock behind?)",
                at.saturating_sub(now)
            )));
        }
    }
    if claims.get("email_verified") != Some(&Value::Bool(true)) {
        return Err(refused("its e-mail is not verified (email_verified)"));
    }
    if let Some(want) = email.map(str::trim).filter(|e| !e.is_empty()) {
        let got = claims.get("email").and_then(Value::as_str);
        if !got.is_some_and(|g| g.eq_ignore_ascii_case(want)) {
            return Err(refused(format!(
                "it is for {}, not the configured service account {want}",
                shown(claims.get("email"))
            )));
        }
    }
    Ok(())
}

/// A NumericDate claim in whole seconds; `None` when absent.
fn time(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| malformed(&format!("claim {name} is not a number of seconds"))),
    }
}

/// A claim for a refusal message: a short plain string as it is, anything
/// else described (it is signed by Google, yet needs no room in a log).
fn shown(v: Option<&Value>) -> String {
    match v.and_then(Value::as_str) {
        Some(s) if s.len() <= 200 && !s.chars().any(char::is_control) => format!("\"{s}\""),
        Some(_) => "a string not shown here".into(),
        None if v.is_none() => "missing".into(),
        None => "not a string".into(),
    }
}
