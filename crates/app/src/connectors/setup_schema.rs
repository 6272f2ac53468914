//! The setup form of a connector, as the UI's wizard reads it from a
//! catalogue entry's `configSchema`. The descriptor keeps its whole JSON
//! Schema as JSON (the server validates and reads it as such); these types
//! name the part the wizard draws, so that its TypeScript is generated with
//! the rest of the wire (`ui/src/bindings/`) rather than written by hand.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// A descriptor's `configSchema`: one object of named settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConfigSchema {
    #[ts(optional)]
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<String, SchemaProperty>>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Vec<String>>,
}

/// One setting of the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SchemaProperty {
    /// `"string"`, or several types (`["integer", "string"]`).
    #[ts(optional, type = "string | Array<string>")]
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<serde_json::Value>,
    /// For an array: what each item is.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<SchemaProperty>>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_items: Option<bool>,
    /// Choices from a command, drawn as a picker.
    #[ts(optional, rename = "x-options")]
    #[serde(rename = "x-options", default, skip_serializing_if = "Option::is_none")]
    pub x_options: Option<XOptions>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[ts(optional, type = "unknown")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    #[ts(optional, rename = "enum", type = "Array<unknown>")]
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<serde_json::Value>>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Goes to the OS keychain, never into the instance's config.
    #[ts(optional, rename = "x-secret")]
    #[serde(rename = "x-secret", default, skip_serializing_if = "Option::is_none")]
    pub x_secret: Option<bool>,
}

/// `x-options` on a setting: its choices come from a command
/// (`listKubeContexts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct XOptions {
    pub command: String,
    /// Each argument of the command, and the form field whose value it takes.
    #[ts(optional, type = "Record<string, string>")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<BTreeMap<String, String>>,
    /// The property of each answer item that becomes the field's value.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every descriptor that ships reads as these types: they describe the
    /// forms there are, not a schema of their own. The Kubernetes one has a
    /// picker whose choices come from a command.
    #[test]
    fn every_shipped_descriptor_s_form_reads_as_a_config_schema() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../descriptors");
        let (mut forms, mut pickers) = (0, Vec::new());
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let d: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            // `schema.json` beside them is the schema of descriptors, not one.
            let Some(schema) = d.get("configSchema") else {
                continue;
            };
            let form: ConfigSchema = serde_json::from_value(schema.clone())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            forms += 1;
            for p in form.properties.unwrap_or_default().into_values() {
                pickers.extend(p.x_options.map(|x| x.command));
            }
        }
        assert!(forms > 10, "read {forms} descriptors");
        assert!(
            pickers.iter().any(|c| c == "listKubeContexts"),
            "{pickers:?}"
        );
    }
}
