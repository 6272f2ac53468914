//! Schemes that sign a timestamp along with the body: Grafana (optionally),
//! Slack, Stripe and Standard Webhooks.
//!
//! The timestamp is inside the MAC, so it cannot be refreshed by an attacker,
//! and a delivery outside the window is refused: a captured request stops
//! being replayable after a few minutes.
//!
//! The MAC is checked before the window. A forgery is then always a
//! `Mismatch`, and `Stale` only ever describes a delivery the sender really
//! signed, which points a person at the right cause (clock skew or a replay)
//! instead of the wrong one.

use super::{
    first_matching_key, header, hex_signature, mismatch, require, unix_timestamp, within_window,
    Algo, Headers, Key, VerifyError, DEFAULT_TOLERANCE_SECS,
};
use base64::Engine;
use chrono::{DateTime, Utc};

const GRAFANA_SIGNATURE: &str = "X-Grafana-Alerting-Signature";
const GRAFANA_TIMESTAMP: &str = "X-Grafana-Alerting-Signature-Timestamp";
const SLACK_SIGNATURE: &str = "X-Slack-Signature";
const SLACK_TIMESTAMP: &str = "X-Slack-Request-Timestamp";
const STRIPE_SIGNATURE: &str = "Stripe-Signature";
const WEBHOOK_ID: &str = "webhook-id";
const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
const WEBHOOK_SIGNATURE: &str = "webhook-signature";

/// Slack and Standard Webhooks both fix their window at five minutes, and
/// Grafana documents none, so it gets the same.
const FIVE_MINUTES: i64 = DEFAULT_TOLERANCE_SECS;

/// Grafana: hex HMAC-SHA256 of the body, or of `"<timestamp>:<body>"` when the
/// timestamp header is sent (Grafana only sends it when configured to). The
/// timestamp is hashed exactly as received: it is the sender's string that was
/// signed, not our re-rendering of the number.
pub(super) fn grafana(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<usize, VerifyError> {
    let value = require(headers, GRAFANA_SIGNATURE)?;
    let signature = hex_signature(GRAFANA_SIGNATURE, &value)?;
    let Some(ts_raw) = header(headers, GRAFANA_TIMESTAMP) else {
        return first_matching_key(Algo::Sha256, keys, &[body], &[signature])
            .ok_or_else(|| mismatch(GRAFANA_SIGNATURE));
    };
    let ts = unix_timestamp(GRAFANA_TIMESTAMP, &ts_raw)?;
    let parts: [&[u8]; 3] = [ts_raw.as_bytes(), b":", body];
    let index = first_matching_key(Algo::Sha256, keys, &parts, &[signature])
        .ok_or_else(|| mismatch(GRAFANA_SIGNATURE))?;
    within_window(ts, now, FIVE_MINUTES)?;
    Ok(index)
}

/// Slack: `X-Slack-Signature: v0=<hex>` over `"v0:<timestamp>:<body>"`.
pub(super) fn slack_v0(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<usize, VerifyError> {
    let value = require(headers, SLACK_SIGNATURE)?;
    let ts_raw = require(headers, SLACK_TIMESTAMP)?;
    let ts = unix_timestamp(SLACK_TIMESTAMP, &ts_raw)?;
    let hex = value.strip_prefix("v0=").ok_or_else(|| {
        VerifyError::Malformed(format!("{SLACK_SIGNATURE} does not start with \"v0=\""))
    })?;
    let signature = hex_signature(SLACK_SIGNATURE, hex)?;
    let parts: [&[u8]; 4] = [b"v0:", ts_raw.as_bytes(), b":", body];
    let index = first_matching_key(Algo::Sha256, keys, &parts, &[signature])
        .ok_or_else(|| mismatch(SLACK_SIGNATURE))?;
    within_window(ts, now, FIVE_MINUTES)?;
    Ok(index)
}

/// Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>...]`, MAC over
/// `"<t>.<body>"`. Several `v1` entries appear while an endpoint secret is
/// being rolled; `v0` (test-mode legacy) and unknown keys are ignored, as
/// Stripe's own libraries do.
pub(super) fn stripe(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance_secs: i64,
) -> Result<usize, VerifyError> {
    let value = require(headers, STRIPE_SIGNATURE)?;
    let mut ts_raw = None;
    let mut candidates = Vec::new();
    for entry in value.split(',') {
        match entry.trim().split_once('=') {
            Some(("t", t)) if ts_raw.is_none() => ts_raw = Some(t.trim()),
            Some(("v1", hex)) => candidates.push(hex_signature(STRIPE_SIGNATURE, hex.trim())?),
            _ => {}
        }
    }
    let ts_raw = ts_raw
        .ok_or_else(|| VerifyError::Malformed(format!("{STRIPE_SIGNATURE} has no t= timestamp")))?;
    let ts = unix_timestamp(STRIPE_SIGNATURE, ts_raw)?;
    if candidates.is_empty() {
        return Err(VerifyError::Malformed(format!(
            "{STRIPE_SIGNATURE} has no v1 signature"
        )));
    }
    let parts: [&[u8]; 3] = [ts_raw.as_bytes(), b".", body];
    let index = first_matching_key(Algo::Sha256, keys, &parts, &candidates)
        .ok_or_else(|| mismatch(STRIPE_SIGNATURE))?;
    within_window(ts, now, tolerance_secs)?;
    Ok(index)
}

/// Standard Webhooks (<https://www.standardwebhooks.com/>): `webhook-signature`
/// is a space-separated list of `<version>,<base64>`; only `v1` (HMAC-SHA256)
/// is checked, others (e.g. `v1a`, asymmetric) are skipped. The key is the
/// base64 after `whsec_`, not the secret's text. The id is signed too, which
/// makes it the one delivery id here that a sender cannot be impersonated on.
pub(super) fn standard_webhooks(
    keys: &[Key<'_>],
    headers: Headers<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<usize, VerifyError> {
    let b64 = &base64::engine::general_purpose::STANDARD;
    let id = require(headers, WEBHOOK_ID)?;
    let ts_raw = require(headers, WEBHOOK_TIMESTAMP)?;
    let ts = unix_timestamp(WEBHOOK_TIMESTAMP, &ts_raw)?;
    let value = require(headers, WEBHOOK_SIGNATURE)?;
    let candidates = value
        .split_whitespace()
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .map(|sig| {
            b64.decode(sig)
                .ok()
                .filter(|bytes| !bytes.is_empty())
                .ok_or_else(|| {
                    VerifyError::Malformed(format!(
                        "{WEBHOOK_SIGNATURE} has a v1 entry that is not base64"
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if candidates.is_empty() {
        return Err(VerifyError::Malformed(format!(
            "{WEBHOOK_SIGNATURE} has no v1 signature"
        )));
    }

    // A secret that does not decode is skipped rather than fatal, so one bad
    // entry in a rotation does not lock out the good one.
    let decoded: Vec<(usize, Vec<u8>)> = keys
        .iter()
        .filter_map(|key| {
            let text = std::str::from_utf8(key.bytes).ok()?.trim();
            let encoded = text.strip_prefix("whsec_").unwrap_or(text);
            let bytes = b64.decode(encoded).ok().filter(|b| !b.is_empty())?;
            Some((key.index, bytes))
        })
        .collect();
    if decoded.is_empty() {
        return Err(VerifyError::Malformed(
            "no active secret is a Standard Webhooks key (whsec_ followed by base64)".to_string(),
        ));
    }
    let decoded_keys: Vec<Key<'_>> = decoded
        .iter()
        .map(|(index, bytes)| Key {
            index: *index,
            bytes,
        })
        .collect();

    let parts: [&[u8]; 5] = [id.as_bytes(), b".", ts_raw.as_bytes(), b".", body];
    let index = first_matching_key(Algo::Sha256, &decoded_keys, &parts, &candidates)
        .ok_or_else(|| mismatch(WEBHOOK_SIGNATURE))?;
    within_window(ts, now, FIVE_MINUTES)?;
    Ok(index)
}
