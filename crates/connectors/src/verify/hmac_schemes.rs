//! Schemes whose MAC covers the body alone: GitHub, PagerDuty v3, Sentry.
//!
//! None of these carries a timestamp, so a captured delivery verifies forever;
//! the delivery id in [`super::Verified`] is what lets the gateway drop a
//! replayed copy.

use super::{
    first_matching_key, hex_signature, mismatch, require, Algo, Headers, Key, VerifyError,
};

const GITHUB_SHA256: &str = "X-Hub-Signature-256";
const GITHUB_SHA1: &str = "X-Hub-Signature";
const PAGERDUTY: &str = "X-PagerDuty-Signature";
const SENTRY: &str = "Sentry-Hook-Signature";

/// `X-Hub-Signature-256: sha256=<hex>`.
pub(super) fn github_sha256(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    body: &[u8],
) -> Result<usize, VerifyError> {
    github(keys, headers, body, GITHUB_SHA256, "sha256=", Algo::Sha256)
}

/// `X-Hub-Signature: sha1=<hex>`, GitHub's legacy header.
pub(super) fn github_sha1(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    body: &[u8],
) -> Result<usize, VerifyError> {
    github(keys, headers, body, GITHUB_SHA1, "sha1=", Algo::Sha1)
}

/// GitHub's two headers differ only in name, prefix and hash. The prefix is
/// required: it names the algorithm, and accepting a bare hex value would let
/// a SHA-1 signature be tried where SHA-256 is expected.
fn github(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    body: &[u8],
    name: &str,
    prefix: &str,
    algo: Algo,
) -> Result<usize, VerifyError> {
    let value = require(headers, name)?;
    let hex = value.strip_prefix(prefix).ok_or_else(|| {
        VerifyError::Malformed(format!("{name} does not start with \"{prefix}\""))
    })?;
    let signature = hex_signature(name, hex)?;
    first_matching_key(algo, keys, &[body], &[signature]).ok_or_else(|| mismatch(name))
}

/// `X-PagerDuty-Signature: v1=<hex>,v1=<hex>`. PagerDuty sends one `v1` per
/// secret it is signing with (it rotates by signing with both for a while), so
/// any listed signature may match any of our secrets. Entries of other
/// versions are skipped so a future `v2` does not break verification.
pub(super) fn pagerduty_v3(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    body: &[u8],
) -> Result<usize, VerifyError> {
    let value = require(headers, PAGERDUTY)?;
    let candidates = value
        .split(',')
        .filter_map(|entry| entry.trim().strip_prefix("v1="))
        .map(|hex| hex_signature(PAGERDUTY, hex))
        .collect::<Result<Vec<_>, _>>()?;
    if candidates.is_empty() {
        return Err(VerifyError::Malformed(format!(
            "{PAGERDUTY} has no v1 signature"
        )));
    }
    first_matching_key(Algo::Sha256, keys, &[body], &candidates).ok_or_else(|| mismatch(PAGERDUTY))
}

/// `Sentry-Hook-Signature: <hex>`, keyed with the integration's client secret.
pub(super) fn sentry(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    body: &[u8],
) -> Result<usize, VerifyError> {
    let value = require(headers, SENTRY)?;
    let signature = hex_signature(SENTRY, &value)?;
    first_matching_key(Algo::Sha256, keys, &[body], &[signature]).ok_or_else(|| mismatch(SENTRY))
}
