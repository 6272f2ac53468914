// The connector catalogue as `listCatalogue` answers it. Written by hand
// against the agreed shape until the Rust side generates a binding: then this
// file becomes `export type { ... } from "./bindings/..."`.

export type ConnectorCategory =
  | "Project Management"
  | "Communication"
  | "Code & DevOps"
  | "Observability"
  | "Documents"
  | "Custom";

export type AuthType = "webhook_secret" | "api_key" | "oauth2" | "basic" | "pat" | "none";

/** One property of a descriptor's JSON-Schema `configSchema`. */
export type SchemaProperty = {
  type?: string | string[];
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

export type DescriptorSummary = {
  id: string;
  name: string;
  description: string;
  category: ConnectorCategory | string;
  icon: string;
  kind: "native" | "generic";
  auth: { type: AuthType | string; scheme?: { type: string; [k: string]: unknown } };
  ingestion: { mode: "webhook" | "polling" | "both"; [k: string]: unknown };
  configSchema: ConfigSchema;
};

export type Catalogue = { connectors: DescriptorSummary[] };
