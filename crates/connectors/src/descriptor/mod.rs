//! Connector descriptors and the engine that runs generic ones.
//!
//! A descriptor (`descriptors/*.json`, checked against `descriptors/schema.json`)
//! says what a connector is; for a generic connector its `mapping` also says
//! how a payload becomes signals, so adding a push source is a data change.
//! See `model` for the descriptor, `mapping` for the mapping language.

mod compile;
mod engine;
mod load;
pub mod mapping;
pub mod model;
#[cfg(test)]
mod tests;
mod values;

pub use load::{parse_descriptor, DescriptorError, SCHEMA};
pub use model::{
    Auth, AuthType, Category, ConnectorDescriptor, DescriptorKind, DescriptorSummary, Ingestion,
    IngestionMode,
};

use crate::runtime::{Context, NormalizeError, Normalizer};
use causeway_core::Signal;
use serde_json::Value;
use std::path::Path;
use std::sync::{OnceLock, RwLock};

/// A [`Normalizer`] driven by a descriptor's mappings: the webhook one,
/// and one per polled stream (chosen by the inbox row's stream header).
pub struct DescriptorNormalizer {
    descriptor: ConnectorDescriptor,
    compiled: Option<compile::Compiled>,
    streams: Vec<(String, compile::Compiled)>,
}

impl DescriptorNormalizer {
    /// Compiles the mappings of a checked descriptor; `file` names it in errors.
    pub fn new(file: &str, descriptor: ConnectorDescriptor) -> Result<Self, DescriptorError> {
        let compiled = match &descriptor.mapping {
            Some(_) => Some(compile::compile(file, &descriptor)?),
            None => None,
        };
        let mut streams = Vec::new();
        if let Some(p) = &descriptor.polling {
            for (i, s) in p.streams.iter().enumerate() {
                let at = format!("/polling/streams/{i}/mapping");
                let Some(m) = s.mapping.as_object() else {
                    return Err(DescriptorError::new(file, &at, "must be an object".into()));
                };
                for (j, other) in p.streams[..i].iter().enumerate() {
                    if other.name == s.name {
                        return Err(DescriptorError::new(
                            file,
                            &format!("/polling/streams/{i}/name"),
                            format!("'{}' is already the name of stream {j}", s.name),
                        ));
                    }
                }
                let c = compile::compile_mapping(file, &at, m, None, Some("$.root.items[*]"))?;
                streams.push((s.name.clone(), c));
            }
        }
        Ok(DescriptorNormalizer {
            descriptor,
            compiled,
            streams,
        })
    }

    /// The mapping for a payload: its stream's when it was polled.
    fn pick(
        &self,
        headers: &std::collections::BTreeMap<String, String>,
    ) -> Result<&compile::Compiled, NormalizeError> {
        if let Some(name) = headers.get(crate::poll::generic::STREAM_HEADER) {
            return self
                .streams
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| c)
                .ok_or_else(|| {
                    NormalizeError::Shape(format!(
                        "{}: no polled stream '{name}'",
                        self.descriptor.id
                    ))
                });
        }
        self.compiled.as_ref().ok_or_else(|| {
            NormalizeError::Shape(format!(
                "{}: this connector takes no webhooks",
                self.descriptor.id
            ))
        })
    }

    pub fn descriptor(&self) -> &ConnectorDescriptor {
        &self.descriptor
    }
}

impl Normalizer for DescriptorNormalizer {
    fn id(&self) -> &str {
        &self.descriptor.id
    }

    fn item_count(&self, body: &Value) -> usize {
        self.compiled.as_ref().map_or(0, |c| c.item_count(body))
    }

    fn normalize(&self, body: &Value, ctx: &Context<'_>) -> Result<Vec<Signal>, NormalizeError> {
        self.pick(ctx.headers)?
            .normalize(&self.descriptor.id, body, ctx)
    }
}

struct Builtins {
    loaded: Vec<load::Loaded>,
    errors: Vec<DescriptorError>,
}

fn builtins() -> &'static Builtins {
    static B: OnceLock<Builtins> = OnceLock::new();
    B.get_or_init(|| {
        let mut loaded = Vec::new();
        let mut errors = Vec::new();
        for (file, text) in load::BUILTIN {
            match load::load(file, text) {
                Ok(l) => loaded.push(l),
                Err(e) => errors.push(e),
            }
        }
        Builtins { loaded, errors }
    })
}

/// User descriptors live for the whole process: [`normalizer`] hands
/// out `'static` references, so each is leaked once when added (a handful,
/// loaded at startup).
static USER: RwLock<Vec<&'static load::Loaded>> = RwLock::new(Vec::new());

/// Built-in descriptors that failed to load. Empty in any tested build; a
/// broken one is left out of the catalogue rather than taking the app down.
pub fn builtin_errors() -> &'static [DescriptorError] {
    &builtins().errors
}

/// Every built-in descriptor (native and generic), in catalogue order.
pub fn builtin_descriptors() -> impl Iterator<Item = &'static ConnectorDescriptor> {
    builtins().loaded.iter().map(|l| &l.descriptor)
}

/// A loaded descriptor by id: built-in, else user. Both live for the whole
/// process, so lookups hand out references and never copy a descriptor.
fn loaded(id: &str) -> Option<&'static load::Loaded> {
    if let Some(l) = builtins().loaded.iter().find(|l| l.descriptor.id == id) {
        return Some(l);
    }
    let user = USER.read().ok()?;
    user.iter().find(|l| l.descriptor.id == id).copied()
}

/// The descriptor-driven normalizer for a connector id, built-in or user.
pub fn normalizer(id: &str) -> Option<&'static DescriptorNormalizer> {
    loaded(id)?.normalizer.as_ref()
}

/// Adds the user descriptors in `dir` (`*.json`). All or nothing: a broken
/// file, a duplicate, or an id that would shadow a built-in or an already
/// added connector refuses the folder with an error naming the file.
/// Returns the ids added.
pub fn load_user_descriptors(dir: &Path) -> Result<Vec<String>, DescriptorError> {
    let loaded = load::read_dir(dir)?;
    let mut user = USER
        .write()
        .map_err(|_| DescriptorError::new("", "", "descriptor registry is poisoned".into()))?;
    let mut seen: Vec<&str> = Vec::new();
    for l in &loaded {
        let id = l.descriptor.id.as_str();
        let taken = if builtins().loaded.iter().any(|b| b.descriptor.id == id) {
            Some("a built-in connector")
        } else if user.iter().any(|u| u.descriptor.id == id) || seen.contains(&id) {
            Some("another user descriptor")
        } else {
            None
        };
        if let Some(by) = taken {
            return Err(DescriptorError::new(
                &l.file,
                "/id",
                format!("id '{id}' is already used by {by}; a descriptor may not shadow it"),
            ));
        }
        seen.push(id);
    }
    let ids = loaded.iter().map(|l| l.descriptor.id.clone()).collect();
    user.extend(loaded.into_iter().map(|l| &*Box::leak(Box::new(l))));
    Ok(ids)
}

/// Whether the webhook gateway takes bodies for this connector: not for one
/// that reads its source itself (a Kubernetes watch). Unknown ids say yes and
/// are refused later for having no instance.
pub fn takes_webhooks(id: &str) -> bool {
    // Runs for every webhook: looks the descriptor up, never copies the
    // catalogue.
    loaded(id).is_none_or(|l| l.descriptor.ingestion.mode.takes_webhooks())
}

/// What the UI lists: built-ins first (file order), then user descriptors.
pub fn catalogue() -> Vec<DescriptorSummary> {
    let mut out: Vec<DescriptorSummary> = builtin_descriptors().map(Into::into).collect();
    if let Ok(user) = USER.read() {
        out.extend(user.iter().map(|l| (&l.descriptor).into()));
    }
    out
}

/// A descriptor by id, built-in or user.
pub fn builtin_or_user(id: &str) -> Option<&'static ConnectorDescriptor> {
    loaded(id).map(|l| &l.descriptor)
}
