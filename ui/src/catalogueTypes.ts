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

/** A catalogue entry as the server generates it, with its form schema typed. */
export type DescriptorSummary = Omit<CatalogueEntry, "configSchema"> & {
  configSchema: ConfigSchema;
};

export type Catalogue = { connectors: DescriptorSummary[] };
