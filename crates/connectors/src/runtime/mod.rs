//! The shared basic types every connector is written against, and nothing
//! that names a connector (that is [`crate::registry`]'s job):
//!
//! - [`Normalizer`] and its [`Context`]: how a provider's payload becomes
//!   signals;
//! - [`Source`] and its [`Host`]: how a pull or streaming connector runs
//!   inside the task the app gives each enabled instance, and hands what it
//!   fetched to the app (the app owns the lifecycle and implements [`Host`]);
//! - [`Health`]: a watching source's connection health, which the host shows;
//! - [`StreamTracker`]: how a consuming source reports its state and what
//!   it took;
//! - [`http_client`]: the HTTP client every puller shares.

mod connection;
mod normalize;
mod probe;
mod source;
mod stream_tracker;

pub(crate) use connection::Problem;
pub use connection::{Health, HealthReport, State, DEFAULT_SILENCE};
pub use normalize::{headers_from_json, parse_json, Context, NormalizeError, Normalizer};
pub use probe::Probe;
pub use source::{
    stop_pair, BoxFuture, Commit, ErrorClass, Host, HostError, InstanceInfo, ItemVersion, Payload,
    Report, Source, SourceContext, Stop, StopHandle, StreamStatus,
};
pub use stream_tracker::StreamTracker;

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
