//! Schemes that present a secret rather than a MAC: a shared header token,
//! HTTP Basic, and Bearer.
//!
//! These prove only that the sender knows the secret; they do not cover the
//! body, so they are for senders that can do nothing better (Alertmanager's
//! `http_config`, a tool that can only add a static header). The comparison is
//! still constant-time and over digests, so timing reveals neither the token
//! nor its length.

use super::{mismatch, require, token_eq, Headers, Key, VerifyError};
use base64::Engine;

const AUTHORIZATION: &str = "Authorization";

/// The configured header's value equals one of the secrets.
pub(super) fn shared_token(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    header_name: &str,
) -> Result<usize, VerifyError> {
    let value = require(headers, header_name)?;
    first_equal(keys, value.as_bytes()).ok_or_else(|| mismatch(header_name))
}

/// `Authorization: Basic base64(user:password)`; each secret is `user:password`.
/// The decoded pair is compared as a whole so a right user with a wrong
/// password is indistinguishable from a wrong user.
pub(super) fn basic(keys: &[Key<'_>], headers: Headers<'_>) -> Result<usize, VerifyError> {
    let encoded = credentials(headers, "Basic")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_bytes())
        .map_err(|_| {
            VerifyError::Malformed(format!(
                "{AUTHORIZATION} Basic credentials are not valid base64"
            ))
        })?;
    first_equal(keys, &decoded).ok_or_else(|| mismatch(AUTHORIZATION))
}

/// `Authorization: Bearer <secret>`.
pub(super) fn bearer(keys: &[Key<'_>], headers: Headers<'_>) -> Result<usize, VerifyError> {
    let token = credentials(headers, "Bearer")?;
    first_equal(keys, token.as_bytes()).ok_or_else(|| mismatch(AUTHORIZATION))
}

/// The credentials after the auth scheme word, which HTTP says is
/// case-insensitive (`bearer x` is as valid as `Bearer x`).
pub(super) fn credentials(headers: Headers<'_>, auth_scheme: &str) -> Result<String, VerifyError> {
    let value = require(headers, AUTHORIZATION)?;
    let (word, rest) = value.split_once(' ').unwrap_or((value.as_str(), ""));
    let rest = rest.trim();
    if !word.eq_ignore_ascii_case(auth_scheme) || rest.is_empty() {
        return Err(VerifyError::Malformed(format!(
            "{AUTHORIZATION} is not \"{auth_scheme} <credentials>\""
        )));
    }
    Ok(rest.to_string())
}

fn first_equal(keys: &[Key<'_>], presented: &[u8]) -> Option<usize> {
    keys.iter()
        .find(|key| token_eq(presented, key.bytes))
        .map(|key| key.index)
}
