//! Running connectors: the [`Source`] trait every pull or streaming
//! connector implements, and the registry that finds one for an instance.
//!
//! The app owns the lifecycle (one task per enabled instance, stopped
//! gracefully when disabled, changed or deleted) and implements [`Host`];
//! this module owns what runs inside the task.

mod source;

pub use source::{
    stop_pair, BoxFuture, Commit, ErrorClass, Host, HostError, InstanceInfo, ItemVersion, Payload,
    Report, Source, SourceContext, Stop, StopHandle, StreamStatus,
};

use serde_json::Value;
use std::sync::Arc;

/// The source that runs an instance of `descriptor_id` with `config`, or
/// `None` when the instance only receives (a webhook-only connector, or an
/// Alertmanager instance with no `baseUrl` to pull from).
pub fn source_for(descriptor_id: &str, config: &Value) -> Option<Arc<dyn Source>> {
    // Native streaming sources are matched here first, one line each; the
    // rest poll.
    if descriptor_id == crate::kubernetes::CONNECTOR_ID {
        return Some(Arc::new(crate::kubernetes::KubernetesSource));
    }
    if descriptor_id == crate::redis_streams::ID {
        return Some(Arc::new(crate::redis_streams::RedisStreamSource));
    }
    poller_for(descriptor_id, config)
        .map(|p| Arc::new(crate::poll::PollingSource::new(p)) as Arc<dyn Source>)
}

/// The poller of an instance, for polling sources (and their dry runs).
/// Native pollers are listed by id; every generic descriptor with a
/// `polling` section runs on the descriptor poller.
pub fn poller_for(descriptor_id: &str, config: &Value) -> Option<Arc<dyn crate::poll::Poller>> {
    match descriptor_id {
        crate::prometheus::ID => Some(Arc::new(crate::prometheus::PrometheusPoller)),
        // Alertmanager takes webhooks; it also pulls when given its address.
        "alertmanager" => config
            .get("baseUrl")
            .and_then(Value::as_str)
            .filter(|b| !b.trim().is_empty())
            .map(|_| {
                Arc::new(crate::alertmanager::pull::AlertmanagerPoller)
                    as Arc<dyn crate::poll::Poller>
            }),
        id => {
            let d = crate::descriptor::builtin_or_user(id)?;
            let spec = d.polling.clone()?;
            // A connector that also takes webhooks polls only when the
            // instance was given what polling needs (or says `poll: true`),
            // so a webhook-only instance does not fail polls for lack of a key.
            if d.ingestion.mode == crate::descriptor::IngestionMode::Both
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
                    .any(|a| !matches!(a, crate::poll::auth::AuthSpec::None));
                if !some || !auth.iter().all(|a| a.configured(config, &have)) {
                    return None;
                }
            }
            Some(Arc::new(crate::poll::generic::DescriptorPoller {
                descriptor_id: d.id.clone(),
                spec,
            }))
        }
    }
}

/// The HTTP client pollers share: rustls with the ring provider and the OS's
/// root certificates, no proxy discovery, and redirects followed only
/// within the origin ([`same_origin_redirect`]).
pub fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(concat!("causeway/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let from = attempt.previous().last().cloned();
            match from {
                _ if attempt.previous().len() > 5 => attempt.error("more than 5 redirects"),
                Some(from) if same_origin_redirect(&from, attempt.url()) => attempt.follow(),
                _ => {
                    let to = attempt.url().origin().ascii_serialization();
                    attempt.error(format!("redirect to another origin ({to}) refused"))
                }
            }
        }))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Whether a redirect from `from` to `to` may be followed with the same
/// credentials: the same scheme, host and port, or the same host moving
/// from http to https on the default ports. reqwest drops only
/// `Authorization` and `Cookie` when the host changes, while connectors
/// send keys in `DD-API-KEY`, `PRIVATE-TOKEN`, `api-key`, `X-Api-Key` and
/// query parameters; so no redirect leaves the origin at all.
pub fn same_origin_redirect(from: &reqwest::Url, to: &reqwest::Url) -> bool {
    if from.origin() == to.origin() {
        return true;
    }
    from.scheme() == "http"
        && to.scheme() == "https"
        && from.host() == to.host()
        && from.port().is_none()
        && to.port().is_none()
}
