//! The one place that names each connector: from a connector id to its
//! normalizer, to the source that runs an instance of it (and the poller a
//! dry run uses), and to the checks of its settings that need to know the
//! other connectors.
//!
//! Native connectors (under [`crate::sources`]) are matched by id, one line
//! each; every other id is a descriptor, built in or the user's
//! ([`crate::descriptor`]). Nothing else in the crate names a connector, so
//! the connectors' folders and the shared [`crate::runtime`] never depend on
//! this file, and a new connector is one folder plus its lines here.

use crate::descriptor;
use crate::poll;
use crate::runtime::{parse_json, Context, NormalizeError, Normalizer, Source};
use crate::sources::{alertmanager, causeway, health, imap, kubernetes, prometheus, redis_streams};
use causeway_core::Signal;
use serde_json::Value;
use std::sync::Arc;

/// The normalizer for a connector id, when one exists: a native connector's
/// own code, else the descriptor-driven one (built-in or user). The
/// native Kubernetes connector's inbox bodies are core/v1 Events, mapped by
/// the `kubernetes-events` descriptor exactly as an exporter's webhook is.
pub fn normalizer(id: &str) -> Option<&'static dyn Normalizer> {
    match id {
        "alertmanager" => Some(&alertmanager::Alertmanager),
        "causeway" => Some(&causeway::Causeway),
        health::ID => Some(&health::Health),
        imap::ID => Some(&imap::Mail),
        kubernetes::CONNECTOR_ID => Some(&kubernetes::EventNormalizer),
        prometheus::ID => Some(&prometheus::Prometheus),
        redis_streams::ID => Some(&redis_streams::Poison),
        _ => descriptor::normalizer(id).map(|n| n as &'static dyn Normalizer),
    }
}

/// Checks that `body` is JSON and counts its items for `connector_id` (0
/// when no normalizer knows that connector).
pub fn count_items(connector_id: &str, body: &[u8]) -> Result<usize, NormalizeError> {
    match normalizer(connector_id) {
        Some(n) => n.count_items(body),
        None => parse_json(body).map(|_| 0),
    }
}

/// Parses a body with the named connector: the whole path from bytes to signals.
pub fn normalize_bytes(
    connector_id: &str,
    body: &[u8],
    ctx: &Context<'_>,
) -> Result<Vec<Signal>, NormalizeError> {
    let n = normalizer(connector_id)
        .ok_or_else(|| NormalizeError::UnknownSource(connector_id.to_string()))?;
    n.normalize_bytes(body, ctx)
}

/// The source that runs an instance of `descriptor_id` with `config`, or
/// `None` when the instance only receives (a webhook-only connector, or an
/// Alertmanager instance with no `baseUrl` to pull from).
pub fn source_for(descriptor_id: &str, config: &Value) -> Option<Arc<dyn Source>> {
    // Native streaming sources are matched here first, one line each; the
    // rest poll.
    if descriptor_id == kubernetes::CONNECTOR_ID {
        return Some(Arc::new(kubernetes::KubernetesSource));
    }
    if descriptor_id == redis_streams::ID {
        return Some(Arc::new(redis_streams::RedisStreamSource {
            maps: maps_bodies,
        }));
    }
    if descriptor_id == imap::ID {
        return Some(Arc::new(imap::ImapSource));
    }
    poller_for(descriptor_id, config)
        .map(|p| Arc::new(poll::PollingSource::new(p)) as Arc<dyn Source>)
}

/// The poller of an instance, for polling sources (and their dry runs).
/// Native pollers are listed by id; every generic descriptor with a
/// `polling` section runs on the descriptor poller.
pub fn poller_for(descriptor_id: &str, config: &Value) -> Option<Arc<dyn poll::Poller>> {
    match descriptor_id {
        prometheus::ID => Some(Arc::new(prometheus::PrometheusPoller)),
        // Alertmanager takes webhooks; it also pulls when given its address.
        "alertmanager" => config
            .get("baseUrl")
            .and_then(Value::as_str)
            .filter(|b| !b.trim().is_empty())
            .map(|_| Arc::new(alertmanager::pull::AlertmanagerPoller) as Arc<dyn poll::Poller>),
        id => {
            let d = descriptor::builtin_or_user(id)?;
            let spec = d.polling.clone()?;
            // A connector that also takes webhooks polls only when the
            // instance was given what polling needs (or says `poll: true`),
            // so a webhook-only instance does not fail polls for lack of a key.
            if d.ingestion.mode == descriptor::IngestionMode::Both
                && config.get("poll").and_then(Value::as_bool) != Some(true)
            {
                let have: Vec<&str> = config
                    .get("secretFields")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let auth = spec.auth.list();
                let some = auth
                    .iter()
                    .any(|a| !matches!(a, poll::auth::AuthSpec::None));
                if !some || !auth.iter().all(|a| a.configured(config, &have)) {
                    return None;
                }
            }
            Some(Arc::new(poll::generic::DescriptorPoller {
                descriptor_id: d.id.clone(),
                spec,
            }))
        }
    }
}

/// Whether entries of a stream can be mapped by connector `id` (a
/// `redis-streams` instance's `format`): some normalizer knows it.
fn maps_bodies(id: &str) -> bool {
    normalizer(id).is_some()
}

impl redis_streams::Settings {
    /// Reads and checks a `redis-streams` instance's config (other keys
    /// belong to the app), its `format` against the connectors named here.
    /// Defined here, not beside [`redis_streams::Settings::read`], because it
    /// needs this registry, which names that connector.
    pub fn from_config(config: &Value) -> Result<redis_streams::Settings, String> {
        redis_streams::Settings::read(config, maps_bodies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::{builtin_descriptors, IngestionMode};
    use chrono::{DateTime, TimeZone, Utc};
    use serde_json::json;
    use std::collections::BTreeMap;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/webhooks");

    fn received() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
    }

    /// A payload's context with no headers, as a test delivery has.
    fn ctx() -> Context<'static> {
        static NO_HEADERS: BTreeMap<String, String> = BTreeMap::new();
        Context {
            project: "p",
            instance: "i",
            received_at: received(),
            raw_ref: "x",
            headers: &NO_HEADERS,
        }
    }

    #[test]
    fn every_catalogue_connector_that_takes_bodies_maps_a_fixture() {
        for d in builtin_descriptors() {
            let name = format!("{}.json", d.id);
            // A connector that only polls is covered by its recorded API
            // answers (tests/catalogue_polling.rs), the Prometheus poller by
            // a real one; a stream consumer's entries carry another source's
            // bodies, mapped by the descriptor its settings name
            // (sources::redis_streams::tests).
            if matches!(
                d.ingestion.mode,
                IngestionMode::Polling | IngestionMode::Stream
            ) {
                continue;
            }
            // At least one fixture of the source maps to a signal through the
            // registry (Alertmanager's own code included).
            // The native Kubernetes connector takes Events from the API, not
            // from a webhook: its recorded ones are with the other API objects.
            let dir = match d.id.as_str() {
                "kubernetes" => format!("{FIXTURES}/../k8s/changes"),
                id => format!("{FIXTURES}/{id}"),
            };
            let first = std::fs::read_dir(&dir)
                .unwrap_or_else(|_| panic!("{name}: no fixtures in {dir}"))
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .min()
                .unwrap();
            let ctx = ctx();
            let body = std::fs::read(format!("{dir}/{first}")).unwrap();
            let signals = normalize_bytes(&d.id, &body, &ctx)
                .unwrap_or_else(|e| panic!("{name}: {first}: {e}"));
            assert!(!signals.is_empty(), "{name}: {first} yields no signal");
            let n = normalizer(&d.id).unwrap();
            assert_eq!(n.id(), d.id);
        }
    }

    #[test]
    fn an_unknown_connector_is_an_error_that_names_it() {
        let ctx = ctx();
        assert_eq!(
            normalize_bytes("nosuch", b"{}", &ctx).unwrap_err(),
            NormalizeError::UnknownSource("nosuch".into())
        );
    }

    #[test]
    fn an_imap_instance_reads_its_folder_and_maps_raw_mail() {
        let config = json!({"host": "127.0.0.1", "username": "u", "security": "plain"});
        assert!(source_for(imap::ID, &config).is_some());
        let n = normalizer(imap::ID).unwrap();
        assert_eq!(n.id(), imap::ID);
        let headers = BTreeMap::from([(imap::FORMAT_HEADER.to_string(), "generic".to_string())]);
        let ctx = Context {
            project: "p",
            instance: "i",
            received_at: received(),
            raw_ref: "x",
            headers: &headers,
        };
        let mail = b"Subject: PROBLEM: disk full on db1\r\n\r\n/var is 99% full\r\n";
        assert_eq!(count_items(imap::ID, mail), Ok(1), "a mail is no JSON");
        let s = normalize_bytes(imap::ID, mail, &ctx).unwrap();
        assert_eq!(s[0].status, causeway_core::SignalStatus::Firing);
    }

    #[test]
    fn a_redis_stream_maps_its_entries_with_any_connector_but_itself() {
        let with = |format: &str| json!({"url": "redis://127.0.0.1:6379/0", "stream": "s", "format": format});
        for known in ["alertmanager", "causeway", "kubernetes-events", "grafana"] {
            assert!(
                redis_streams::Settings::from_config(&with(known)).is_ok(),
                "{known}"
            );
        }
        for refused in ["nope", redis_streams::ID] {
            let e = redis_streams::Settings::from_config(&with(refused)).unwrap_err();
            assert!(e.contains("format"), "{refused}: {e}");
        }
    }
}
