//! The app's side of connectors that hold a connection (a Kubernetes watch,
//! a Redis stream consumer): their settings are checked before they are
//! stored, a test shows what the next entries would become without taking
//! them, and the inbox's backlog is what a stream consumer waits on.

use crate::api::error::ApiError;
use crate::connectors::ops::{test_signals, TestResult};
use crate::App;
use causeway_connectors::runtime::InstanceInfo;
use causeway_connectors::secrets::{handle_for, SecretError};
use causeway_connectors::sources::redis_streams::{self, Settings};
use causeway_core::Sensitive;
use serde_json::Value;
use std::collections::BTreeMap;

/// Checks the settings of a connector whose source reads them at start,
/// so a mistake is refused when it is saved rather than shown later.
pub(crate) fn check_config(descriptor_id: &str, config: &Value) -> Result<(), ApiError> {
    if descriptor_id == causeway_connectors::sources::kubernetes::CONNECTOR_ID {
        return crate::connectors::kubernetes::check_config(config);
    }
    if descriptor_id == redis_streams::ID {
        return Settings::from_config(config)
            .map(|_| ())
            .map_err(ApiError::bad_request);
    }
    Ok(())
}

impl App {
    /// Payloads committed and not yet processed.
    pub(crate) async fn backlog(&self) -> u64 {
        self.store()
            .read(causeway_store::inbox::pending_count)
            .await
            .map_or(0, |n| n.max(0) as u64)
    }

    /// "Test" for a Redis stream: the next entries the group would get,
    /// mapped, none acknowledged.
    pub(crate) async fn test_stream(
        &self,
        info: InstanceInfo,
        secrets: Option<BTreeMap<String, Sensitive<String>>>,
    ) -> TestResult {
        let settings = match Settings::from_config(&info.config) {
            Ok(s) => s,
            Err(message) => return failed(message),
        };
        let password = match secrets {
            Some(s) => s.get("password").cloned(),
            None => {
                let (k, h) = (self.keychain().clone(), handle_for(&info.id, "password"));
                match tokio::task::spawn_blocking(move || k.get(&h)).await {
                    Ok(Ok(v)) => Some(v),
                    Ok(Err(SecretError::NotFound { .. })) => None,
                    Ok(Err(e)) => return failed(format!("cannot read the password: {e}")),
                    Err(e) => return failed(format!("keychain task failed: {e}")),
                }
            }
        };
        let probe = redis_streams::probe(&settings, password).await;
        let mut sample = Vec::new();
        let mut unreadable = Vec::new();
        for (i, p) in probe.payloads.iter().enumerate() {
            let connector = p.connector_id.as_deref().unwrap_or(redis_streams::ID);
            match test_signals(&info, i, connector, &p.headers, &p.body) {
                Ok(s) => sample.extend(s),
                Err(e) => unreadable.push(e.to_string()),
            }
        }
        let mut message = probe.message;
        if !unreadable.is_empty() {
            message.push_str(&format!(
                " {} would go to dead letters: {}",
                unreadable.len(),
                unreadable.join("; ")
            ));
        }
        TestResult {
            ok: probe.ok,
            latency_ms: probe.latency.as_millis() as u64,
            message,
            sample,
            requests: Vec::new(),
            error_class: (!probe.ok).then(|| "fail".into()),
        }
    }
}

fn failed(message: String) -> TestResult {
    TestResult {
        ok: false,
        latency_ms: 0,
        message,
        sample: Vec::new(),
        requests: Vec::new(),
        error_class: Some("fail".into()),
    }
}
