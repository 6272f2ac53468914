//! A mapping checked and prepared once at load: paths parsed, templates and
//! regexes compiled, canonical words resolved. A mistake in a descriptor is
//! refused here, naming the file and the JSON path, instead of surfacing as
//! a dead letter on the first payload.

use super::load::DescriptorError;
use super::mapping::{
    Classifier, Condition, Field, KindSpec, MappingSpec, Paths, TagFormat, TimeFormat, When,
};
use super::model::{ConnectorDescriptor, Ingestion};
use causeway_core::{Severity, SignalKind, SignalStatus};
use minijinja::{Environment, UndefinedBehavior};
use regex::Regex;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

/// A ready-to-run mapping for one descriptor.
pub struct Compiled {
    pub(super) env: Environment<'static>,
    pub(super) decode: Option<JsonPath>,
    pub(super) event_header: Option<String>,
    pub(super) event_path: Option<JsonPath>,
    pub(super) event_types: Vec<String>,
    /// Lower-cased: taken, mapped to nothing.
    pub(super) ignored_event_types: Vec<String>,
    pub(super) base: Plan,
    /// Tried in order; the first whose conditions hold replaces the base.
    pub(super) variants: Vec<(Vec<Cond>, Plan)>,
}

/// One mapping with everything resolved.
pub struct Plan {
    pub(super) source_type: String,
    pub(super) items: Option<JsonPath>,
    pub(super) id: Vec<JsonPath>,
    pub(super) fingerprint: Option<CField>,
    pub(super) fingerprint_fields: Vec<JsonPath>,
    pub(super) title: CField,
    pub(super) summary: Option<String>,
    pub(super) description: Option<CField>,
    pub(super) timestamp: Vec<JsonPath>,
    pub(super) timestamp_format: TimeFormat,
    pub(super) ended_at: Vec<JsonPath>,
    pub(super) status: Option<CClassifier<SignalStatus>>,
    pub(super) severity: Option<CClassifier<Severity>>,
    pub(super) kind: Vec<(Vec<Cond>, SignalKind)>,
    pub(super) labels: Vec<JsonPath>,
    pub(super) tags: Vec<(JsonPath, TagFormat)>,
    pub(super) entity: Option<CField>,
    pub(super) service: Option<CField>,
    pub(super) environment: Option<CField>,
    pub(super) region: Option<CField>,
    pub(super) team: Option<CField>,
    pub(super) external_url: Option<CField>,
    pub(super) correlation_key: Option<CField>,
    pub(super) trace_id: Vec<JsonPath>,
    pub(super) participants: Vec<JsonPath>,
    pub(super) related: Vec<(String, CField)>,
    pub(super) raw_fields: Vec<(String, Vec<JsonPath>)>,
    /// Any of these holding skips the item.
    pub(super) skip: Vec<Vec<Cond>>,
    /// When given, an item for which it does not hold is skipped.
    pub(super) only: Option<Vec<Cond>>,
}

/// A text field: paths tried in order, then a template (by its name in the
/// environment), then a default.
pub struct CField {
    pub(super) name: String,
    pub(super) paths: Vec<JsonPath>,
    pub(super) template: Option<String>,
    pub(super) default: Option<String>,
}

pub struct CClassifier<T> {
    pub(super) value: CField,
    /// Keys lower-cased so lookup is case-insensitive.
    pub(super) map: Vec<(String, T)>,
    pub(super) default: Option<T>,
}

pub struct Cond {
    pub(super) path: JsonPath,
    pub(super) equals: Option<Value>,
    pub(super) contains: Option<String>,
    pub(super) exists: Option<bool>,
    pub(super) matches: Option<Regex>,
}

/// Compiles a validated descriptor's (webhook) mapping.
pub fn compile(file: &str, d: &ConnectorDescriptor) -> Result<Compiled, DescriptorError> {
    let Some(Value::Object(mapping)) = &d.mapping else {
        return Err(DescriptorError::new(
            file,
            "/mapping",
            "a generic connector needs a mapping object".into(),
        ));
    };
    compile_mapping(file, "/mapping", mapping, Some(&d.ingestion), None)
}

/// Compiles one mapping found at JSON pointer `at` of the descriptor. A
/// polled stream's mapping has no event-type rules, and its items default
/// to `items_default` (`$.root.items[*]`: a committed page of items).
pub fn compile_mapping(
    file: &str,
    at: &str,
    mapping: &Map<String, Value>,
    ingestion: Option<&Ingestion>,
    items_default: Option<&str>,
) -> Result<Compiled, DescriptorError> {
    let err = |path: &str, message: String| DescriptorError::new(file, path, message);
    let mut c = Compiler {
        file,
        env: Environment::new(),
    };
    c.env.set_undefined_behavior(UndefinedBehavior::Strict);
    c.env.add_filter("regex_replace", regex_replace);
    let (event_header, event_path, event_types) = match ingestion {
        Some(i) => c.ingestion(i)?,
        None => (None, None, Vec::new()),
    };
    let ignored_event_types = ingestion
        .map(|i| {
            i.ignored_event_types
                .iter()
                .map(|t| t.to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let mut base = mapping.clone();
    if let (Some(d), false) = (items_default, base.contains_key("itemsPath")) {
        base.insert("itemsPath".into(), Value::String(d.into()));
    }
    let variants = base.remove("variants");
    let decode = match base.remove("decode") {
        Some(v) => {
            let path = v.get("path").and_then(Value::as_str).unwrap_or_default();
            Some(c.path(&format!("{at}/decode/path"), path)?)
        }
        None => None,
    };
    let base_plan = c.plan(at, &base)?;
    let mut out = Vec::new();
    if let Some(Value::Array(vs)) = variants {
        for (i, v) in vs.iter().enumerate() {
            let at = format!("{at}/variants/{i}");
            let Value::Object(v) = v else {
                return Err(err(&at, "a variant must be an object".into()));
            };
            let mut merged = base.clone();
            let mut when = None;
            for (k, val) in v {
                match k.as_str() {
                    "when" => when = Some(val.clone()),
                    "name" => {}
                    _ => {
                        merged.insert(k.clone(), val.clone());
                    }
                }
            }
            let when: When = serde_json::from_value(when.unwrap_or(Value::Null))
                .map_err(|e| err(&format!("{at}/when"), e.to_string()))?;
            let conds = c.when(&format!("{at}/when"), &when)?;
            out.push((conds, c.plan(&at, &merged)?));
        }
    }
    Ok(Compiled {
        env: c.env,
        decode,
        event_header,
        event_path,
        event_types,
        ignored_event_types,
        base: base_plan,
        variants: out,
    })
}

struct Compiler<'f> {
    file: &'f str,
    env: Environment<'static>,
}

type EventRule = (Option<String>, Option<JsonPath>, Vec<String>);

impl Compiler<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> DescriptorError {
        DescriptorError::new(self.file, path, message.into())
    }

    fn ingestion(&mut self, i: &Ingestion) -> Result<EventRule, DescriptorError> {
        let path = match &i.event_type_path {
            Some(p) => Some(self.path("/ingestion/eventTypePath", p)?),
            None => None,
        };
        let header = i.event_type_header.as_ref().map(|h| h.to_ascii_lowercase());
        Ok((header, path, i.event_types.clone()))
    }

    fn path(&self, at: &str, p: &str) -> Result<JsonPath, DescriptorError> {
        JsonPath::parse(p).map_err(|e| self.err(at, format!("invalid JSONPath: {e}")))
    }

    fn paths(&self, at: &str, p: Option<&Paths>) -> Result<Vec<JsonPath>, DescriptorError> {
        let Some(p) = p else { return Ok(Vec::new()) };
        let many = matches!(p, Paths::Many(_));
        p.list()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let at = if many {
                    format!("{at}/{i}")
                } else {
                    at.to_string()
                };
                self.path(&at, s)
            })
            .collect()
    }

    fn template(&mut self, at: &str, source: &str) -> Result<String, DescriptorError> {
        self.env
            .add_template_owned(at.to_string(), source.to_string())
            .map_err(|e| self.err(at, format!("invalid template: {e}")))?;
        Ok(at.to_string())
    }

    fn field(&mut self, at: &str, f: Option<&Field>) -> Result<Option<CField>, DescriptorError> {
        let Some(f) = f else { return Ok(None) };
        let spec = f.spec();
        let tpl_at = match f {
            Field::Template(_) => at.to_string(),
            Field::Spec(_) => format!("{at}/template"),
        };
        Ok(Some(CField {
            name: at.to_string(),
            paths: self.paths(&format!("{at}/path"), spec.path.as_ref())?,
            template: match &spec.template {
                Some(t) => Some(self.template(&tpl_at, t)?),
                None => None,
            },
            default: spec.default,
        }))
    }

    fn classifier<T>(
        &mut self,
        at: &str,
        c: Option<&Classifier>,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Option<CClassifier<T>>, DescriptorError> {
        let Some(c) = c else { return Ok(None) };
        let value = CField {
            name: at.to_string(),
            paths: self.paths(&format!("{at}/path"), c.path.as_ref())?,
            template: match &c.template {
                Some(t) => Some(self.template(&format!("{at}/template"), t)?),
                None => None,
            },
            default: None,
        };
        let mut map = Vec::new();
        for (k, v) in &c.map {
            let t = parse(v).ok_or_else(|| {
                self.err(
                    &format!("{at}/map/{k}"),
                    format!("'{v}' is not a canonical value"),
                )
            })?;
            map.push((k.to_ascii_lowercase(), t));
        }
        let default = match &c.default {
            Some(v) => Some(parse(v).ok_or_else(|| {
                self.err(
                    &format!("{at}/default"),
                    format!("'{v}' is not a canonical value"),
                )
            })?),
            None => None,
        };
        Ok(Some(CClassifier {
            value,
            map,
            default,
        }))
    }

    fn when(&self, at: &str, w: &When) -> Result<Vec<Cond>, DescriptorError> {
        let many = matches!(w, When::All(_));
        w.list()
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let at = if many {
                    format!("{at}/{i}")
                } else {
                    at.to_string()
                };
                self.cond(&at, c)
            })
            .collect()
    }

    fn cond(&self, at: &str, c: &Condition) -> Result<Cond, DescriptorError> {
        Ok(Cond {
            path: self.path(&format!("{at}/path"), &c.path)?,
            equals: c.equals.clone(),
            contains: c.contains.clone(),
            exists: c.exists,
            matches: match &c.matches {
                Some(re) => Some(Regex::new(re).map_err(|e| {
                    self.err(&format!("{at}/matches"), format!("invalid regex: {e}"))
                })?),
                None => None,
            },
        })
    }

    fn plan(&mut self, at: &str, m: &Map<String, Value>) -> Result<Plan, DescriptorError> {
        let spec: MappingSpec = serde_json::from_value(Value::Object(m.clone()))
            .map_err(|e| self.err(at, e.to_string()))?;
        let p = |k: &str| format!("{at}/{k}");
        let kind = match &spec.kind {
            None => Vec::new(),
            Some(KindSpec::Fixed(k)) => vec![(Vec::new(), self.kind(&p("kind"), k)?)],
            Some(KindSpec::Rules(rules)) => {
                let mut out = Vec::new();
                for (i, r) in rules.iter().enumerate() {
                    let rat = format!("{at}/kind/{i}");
                    let conds = match &r.when {
                        Some(w) => self.when(&format!("{rat}/when"), w)?,
                        None => Vec::new(),
                    };
                    out.push((conds, self.kind(&format!("{rat}/then"), &r.then)?));
                }
                out
            }
        };
        let mut related = Vec::new();
        for (name, f) in &spec.related_items {
            if let Some(f) = self.field(&p(&format!("relatedItems/{name}")), Some(f))? {
                related.push((name.clone(), f));
            }
        }
        let prefix = spec
            .raw_fields_prefix
            .clone()
            .unwrap_or_else(|| "raw.".into());
        let mut raw_fields = Vec::new();
        for (name, paths) in &spec.raw_fields {
            let ps = self.paths(&p(&format!("rawFields/{name}")), Some(paths))?;
            raw_fields.push((format!("{prefix}{name}"), ps));
        }
        let mut tags = Vec::new();
        for (i, t) in spec.tags.iter().enumerate() {
            tags.push((
                self.path(&format!("{at}/tags/{i}/path"), &t.path)?,
                t.format,
            ));
        }
        let mut skip = Vec::new();
        for (i, w) in spec.skip_when.iter().enumerate() {
            skip.push(self.when(&format!("{at}/skipWhen/{i}"), w)?);
        }
        let summary = match &spec.summary_template {
            Some(t) => Some(self.template(&p("summaryTemplate"), t)?),
            None => None,
        };
        Ok(Plan {
            source_type: spec.source_type.clone(),
            items: match &spec.items_path {
                Some(ip) => Some(self.path(&p("itemsPath"), ip)?),
                None => None,
            },
            id: self.paths(&p("idPath"), spec.id_path.as_ref())?,
            fingerprint: self.field(&p("fingerprint"), spec.fingerprint.as_ref())?,
            fingerprint_fields: spec
                .fingerprint_fields
                .iter()
                .enumerate()
                .map(|(i, s)| self.path(&format!("{at}/fingerprintFields/{i}"), s))
                .collect::<Result<_, _>>()?,
            title: self
                .field(&p("title"), Some(&spec.title))?
                .ok_or_else(|| self.err(&p("title"), "missing"))?,
            summary,
            description: self.field(&p("description"), spec.description.as_ref())?,
            timestamp: self.paths(&p("timestampPath"), spec.timestamp_path.as_ref())?,
            timestamp_format: spec.timestamp_format,
            ended_at: self.paths(&p("endedAtPath"), spec.ended_at_path.as_ref())?,
            status: self.classifier(&p("status"), spec.status.as_ref(), SignalStatus::parse)?,
            severity: self.classifier(&p("severity"), spec.severity.as_ref(), Severity::parse)?,
            kind,
            labels: self.paths(&p("labelsPath"), spec.labels_path.as_ref())?,
            tags,
            entity: self.field(&p("entity"), spec.entity.as_ref())?,
            service: self.field(&p("service"), spec.service.as_ref())?,
            environment: self.field(&p("environment"), spec.environment.as_ref())?,
            region: self.field(&p("region"), spec.region.as_ref())?,
            team: self.field(&p("team"), spec.team.as_ref())?,
            external_url: self.field(&p("externalUrl"), spec.external_url.as_ref())?,
            correlation_key: self.field(&p("correlationKey"), spec.correlation_key.as_ref())?,
            trace_id: self.paths(&p("traceIdPath"), spec.trace_id_path.as_ref())?,
            participants: self.paths(&p("participants"), spec.participants.as_ref())?,
            related,
            raw_fields,
            skip,
            only: match &spec.only_when {
                Some(w) => Some(self.when(&p("onlyWhen"), w)?),
                None => None,
            },
        })
    }

    fn kind(&self, at: &str, k: &str) -> Result<SignalKind, DescriptorError> {
        SignalKind::parse(k).ok_or_else(|| self.err(at, format!("'{k}' is not a signal kind")))
    }
}

/// `{{ title | regex_replace('^\\[[^]]*\\]\\s*', '') }}`: providers decorate
/// titles (`[Triggered] …`) and the decoration must not split one alert in two.
fn regex_replace(
    value: &str,
    pattern: &str,
    replacement: &str,
) -> Result<String, minijinja::Error> {
    let re = Regex::new(pattern).map_err(|e| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("invalid regex: {e}"),
        )
    })?;
    Ok(re.replace_all(value, replacement).into_owned())
}
