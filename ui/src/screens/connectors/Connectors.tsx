import { useMemo, useState } from "react";
import type { InstanceView } from "../../wire";
import type { Catalogue, CatalogueEntry as DescriptorSummary } from "../../wire";
import { modeText } from "./catalogue";
import { ApiError } from "../../platform/errors";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { matchesWords } from "../../components/format";
import { BRAND_ICONS } from "./brandIcons";
import type { Loaded } from "../../app/useResource";

export const CATEGORIES = [
  "Observability",
  "Code & DevOps",
  "Communication",
  "Project Management",
  "Documents",
  "Custom",
] as const;

export type ConnectorStatus = "connected" | "not configured" | "unhealthy";

/** A catalogue entry's status from its instances: none, any unhealthy or off, or all well. */
export function connectorStatus(descriptorId: string, instances: InstanceView[] | null): ConnectorStatus {
  const mine = (instances ?? []).filter((i) => i.descriptorId === descriptorId);
  if (mine.length === 0) return "not configured";
  if (mine.some((i) => i.enabled && ["error", "degraded", "needs_reauth"].includes(i.health.state))) return "unhealthy";
  if (!mine.some((i) => i.enabled)) return "not configured";
  return "connected";
}

/** Says plainly when the server predates the catalogue. */
export function catalogueErrorTitle(error: unknown): string {
  return error instanceof ApiError && error.code === "bad_request"
    ? "Connector catalogue unavailable: this server does not answer listCatalogue yet."
    : "Could not load the connector catalogue.";
}

const HUES: Record<string, number> = {};
function hue(id: string): number {
  if (HUES[id] === undefined) {
    let h = 0;
    for (const c of id) h = (h * 31 + c.charCodeAt(0)) % 360;
    HUES[id] = h;
  }
  return HUES[id];
}

/** The brand's mark in its colour when Simple Icons has it, else its initial on a hue of its own. */
export function ConnectorIcon({ d }: { d: Pick<DescriptorSummary, "id" | "name" | "icon"> }) {
  const brand = BRAND_ICONS[d.icon];
  if (brand) {
    return (
      <span className="connector-icon brand" data-icon={d.icon} aria-hidden="true" style={{ background: `#${brand.hex}` }}>
        <svg viewBox="0 0 24 24" role="presentation">
          <path d={brand.path} />
        </svg>
      </span>
    );
  }
  return (
    <span className="connector-icon" data-icon={d.icon} aria-hidden="true" style={{ background: `hsl(${hue(d.icon || d.id)} 55% 45%)` }}>
      {(d.name || d.id).slice(0, 1).toUpperCase()}
    </span>
  );
}

function matches(d: DescriptorSummary, q: string): boolean {
  return matchesWords(`${d.id} ${d.name} ${d.description} ${d.category}`, q);
}

type CatalogueProps = {
  catalogue: Loaded<Catalogue>;
  instances: InstanceView[] | null;
  onSetup: (descriptorId: string) => void;
};

/** Every connector, by category, with a search and its status here. */
export function CatalogueGrid({ catalogue, instances, onSetup }: CatalogueProps) {
  const [query, setQuery] = useState("");
  const groups = useMemo(() => {
    const list = (catalogue.data?.connectors ?? []).filter((d) => matches(d, query));
    const by = new Map<string, DescriptorSummary[]>();
    for (const d of list) by.set(d.category, [...(by.get(d.category) ?? []), d]);
    const order = (c: string) => {
      const i = (CATEGORIES as readonly string[]).indexOf(c);
      return i < 0 ? CATEGORIES.length : i;
    };
    return [...by.entries()]
      .sort((a, b) => order(a[0]) - order(b[0]) || a[0].localeCompare(b[0]))
      .map(([category, ds]) => ({ category, ds: ds.sort((a, b) => a.name.localeCompare(b.name)) }));
  }, [catalogue.data, query]);

  return (
    <section className="panel" data-testid="catalogue" aria-label="Connector catalogue">
      <div className="screen-head">
        <h2 className="section-title">
          Catalogue {catalogue.data ? <span className="count">{catalogue.data.connectors.length}</span> : null}
        </h2>
        <input
          type="search"
          className="search"
          placeholder="Search connectors…"
          aria-label="Search connectors"
          data-testid="catalogue-search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      {catalogue.error ? <ErrorBox error={catalogue.error} title={catalogueErrorTitle(catalogue.error)} /> : null}
      {catalogue.data === null ? (
        catalogue.error ? null : <Loading what="the catalogue" />
      ) : groups.length === 0 ? (
        <Empty>{query ? `No connector matches “${query}”.` : "The catalogue is empty."}</Empty>
      ) : (
        groups.map((g) => (
          <div key={g.category} className="category" data-testid="category" data-category={g.category}>
            <h3 className="category-title">{g.category}</h3>
            <ul className="cards-grid">
              {g.ds.map((d) => {
                const status = connectorStatus(d.id, instances);
                return (
                  <li key={d.id} className="connector-card" data-testid="connector-card" data-connector-id={d.id}>
                    <div className="card-top">
                      <ConnectorIcon d={d} />
                      <div className="card-name">
                        <strong>{d.name}</strong>
                        <span className="muted small">
                          {modeText(d.ingestion.mode)} · {d.kind}
                        </span>
                      </div>
                    </div>
                    <span className={`conn-status st-${status.replace(" ", "-")}`} data-testid="connector-status">
                      {status}
                    </span>
                    <p className="card-desc small">{d.description}</p>
                    <button type="button" className="btn" onClick={() => onSetup(d.id)} aria-label={`Set up ${d.name}`}>
                      {status === "not configured" ? "Set up" : "Add another"}
                    </button>
                  </li>
                );
              })}
            </ul>
          </div>
        ))
      )}
    </section>
  );
}

export { Monitoring } from "./Monitoring";
