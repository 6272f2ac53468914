// The connector catalogue as `listCatalogue` answers it: the generated
// binding, with the JSON-Schema of the setup form spelled out for the wizard.
import type { CatalogueEntry } from "./bindings/CatalogueEntry";

export type ConnectorCategory =
  | "Project Management"
  | "Communication"
  | "Code & DevOps"
  | "Observability"
  | "Documents"
  | "Custom";

export type AuthType = "webhook_secret" | "api_key" | "oauth2" | "basic" | "pat" | "none";

/** Whether the tool pushes to a webhook URL of ours (a streaming connector reads its source itself). */
export function takesWebhooks(mode: string): boolean {
  return mode === "webhook" || mode === "both";
}

/** The catalogue's words for a mode. */
export function modeText(mode: string): string {
  switch (mode) {
    case "both":
      return "webhook + polling";
    case "streaming":
      return "live watch";
    default:
      return mode;
  }
}

/**
 * `x-options` on a setup field: its choices come from a command (`listKubeContexts`).
 * `args` maps each argument of the command to the form field whose value it takes;
 * `value` names the property of each answer item that becomes the field's value.
 */
export type XOptions = { command: string; args?: Record<string, string>; value?: string };

/** The choices a field's `x-options` command offers. */
export type FieldOptions = {
  options: { value: string; label: string; detail?: string }[];
  /** The default the server takes when the field is left empty. */
  current: string | null;
  /** Where they were read from (a kubeconfig path), to say so. */
  source?: string;
};

/** One property of a descriptor's JSON-Schema `configSchema`. */
export type SchemaProperty = {
  type?: string | string[];
  /** For an array: what each item is. */
  items?: SchemaProperty;
  pattern?: string;
  uniqueItems?: boolean;
  /** Choices from a command, drawn as a picker. */
  "x-options"?: XOptions;
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  /** Goes to the OS keychain, never into the instance's config. */
  "x-secret"?: boolean;
};

export type ConfigSchema = {
  type?: string;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
};

/** A catalogue entry as the server generates it, with its form schema typed. */
export type DescriptorSummary = Omit<CatalogueEntry, "configSchema"> & {
  configSchema: ConfigSchema;
};

export type Catalogue = { connectors: DescriptorSummary[] };
