//! "Test connection" for the setup form: the context's API server answers,
//! every watched kind can be listed, and which of the recent Events would
//! become signals. Nothing is stored.

use super::events::to_item;
use super::kinds::{self, Scope};
use super::problems::describe_client;
use super::{kubeconfig, Settings};
use kube::api::{Api, DynamicObject, ListParams};
use std::time::{Duration, Instant};

/// What a test found.
#[derive(Debug, Clone)]
pub struct Probe {
    pub ok: bool,
    pub latency: Duration,
    /// For a person: what worked, or what failed and what to do.
    pub message: String,
    /// The recent Events that would become signals, as inbox bodies.
    pub events: Vec<Vec<u8>>,
}

/// Events looked at, at most, per namespace.
const EVENTS: u32 = 500;

/// Connects with the settings' context and lists what the connector would
/// watch (one object of each kind, and the recent Events).
pub async fn probe(settings: &Settings) -> Probe {
    let started = Instant::now();
    let failed = |message: String| Probe {
        ok: false,
        latency: started.elapsed(),
        message,
        events: Vec::new(),
    };
    let (client, context, server) =
        match kubeconfig::client(settings.kubeconfig.as_deref(), settings.context.as_deref()).await
        {
            Ok(c) => c,
            Err(p) => return failed(p.message),
        };
    let version = match client.apiserver_version().await {
        Ok(v) => v.git_version,
        Err(e) => return failed(describe_client(&e, "its version", &server, &context).message),
    };
    let namespaces: Vec<Option<String>> = if settings.namespaces.is_empty() {
        vec![None]
    } else {
        settings.namespaces.iter().cloned().map(Some).collect()
    };
    let mut events = Vec::new();
    let mut seen = 0;
    for kind in kinds::watched() {
        let scopes: &[Option<String>] = if kind.namespaced {
            &namespaces
        } else {
            &[None]
        };
        for ns in scopes {
            let scope = Scope {
                kind: kind.resource.kind.clone(),
                plural: kind.resource.plural.clone(),
                namespace: ns.clone(),
            };
            let api: Api<DynamicObject> = match ns {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &kind.resource),
                None => Api::all_with(client.clone(), &kind.resource),
            };
            let limit = if kind.is_event { EVENTS } else { 1 };
            let list = match api.list(&ListParams::default().limit(limit)).await {
                Ok(l) => l,
                Err(e) => {
                    let what = scope.describe(kind.namespaced);
                    return failed(describe_client(&e, &what, &server, &context).message);
                }
            };
            if kind.is_event {
                for obj in list.items {
                    seen += 1;
                    let v = kinds::to_json(obj, &kind.resource);
                    if let Some(item) = to_item(&v, settings.events) {
                        events.push(item.body);
                    }
                }
            }
        }
    }
    Probe {
        ok: true,
        latency: started.elapsed(),
        message: format!(
            "Connected to {server} (Kubernetes {version}) with context '{context}': every watched kind can be listed; {} of the {seen} recent events would become signals.",
            events.len()
        ),
        events,
    }
}
