import { useMemo, useState } from "react";
import type { InstanceView } from "../wire";
import type { Catalogue, DescriptorSummary } from "../catalogueTypes";
import { formatAge, formatClock } from "../format";
import { ApiError, errorText } from "../platform/errors";
import { Empty, ErrorBox, Loading } from "../components/States";

export type Loaded<T> = { data: T | null; error: unknown };

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
  if (mine.some((i) => i.enabled && (i.health.state === "error" || i.health.state === "degraded"))) return "unhealthy";
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

export function ConnectorIcon({ d }: { d: Pick<DescriptorSummary, "id" | "name" | "icon"> }) {
  return (
    <span className="connector-icon" data-icon={d.icon} aria-hidden="true" style={{ background: `hsl(${hue(d.icon || d.id)} 55% 45%)` }}>
      {(d.name || d.id).slice(0, 1).toUpperCase()}
    </span>
  );
}

function matches(d: DescriptorSummary, q: string): boolean {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const text = `${d.id} ${d.name} ${d.description} ${d.category}`.toLowerCase();
  return words.every((w) => text.includes(w));
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
                          {d.ingestion.mode === "both" ? "webhook + polling" : d.ingestion.mode} · {d.kind}
                        </span>
                      </div>
                      <span className={`conn-status st-${status.replace(" ", "-")}`} data-testid="connector-status">
                        {status}
                      </span>
                    </div>
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

const HEALTH_TEXT: Record<string, string> = {
  waiting: "Waiting for data",
  healthy: "Healthy",
  degraded: "Degraded",
  error: "Error",
};

type MonitoringProps = {
  instances: Loaded<InstanceView[]>;
  now: number;
  onSetEnabled: (id: string, enabled: boolean) => Promise<unknown>;
  onDelete: (id: string) => Promise<unknown>;
};

/** Each configured instance: health, counts, an on/off switch and disconnect. */
export function Monitoring({ instances, now, onSetEnabled, onDelete }: MonitoringProps) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const run = async (id: string, f: () => Promise<unknown>) => {
    setBusy(id);
    setErrors((e) => ({ ...e, [id]: "" }));
    try {
      await f();
    } catch (e) {
      setErrors((x) => ({ ...x, [id]: errorText(e) }));
    } finally {
      setBusy(null);
    }
  };
  const list = instances.data;
  return (
    <section className="panel" data-testid="monitoring" aria-label="Connected instances">
      <h2 className="section-title">
        Connected {list ? <span className="count">{list.length}</span> : null}
      </h2>
      {instances.error ? <ErrorBox error={instances.error} /> : null}
      {list === null ? (
        instances.error ? null : <Loading what="connector instances" />
      ) : list.length === 0 ? (
        <Empty>Nothing connected yet: pick a connector from the catalogue.</Empty>
      ) : (
        <ul className="instances">
          {list.map((i) => {
            const state = i.enabled ? i.health.state : "disabled";
            return (
              <li key={i.id} className="instance" data-testid="instance" data-instance-id={i.id} data-state={i.health.state}>
                <div className="instance-head">
                  <span className={`health-dot h-${state}`} aria-hidden="true" />
                  <strong className="instance-name">{i.name}</strong>
                  <span className="muted small">
                    {i.descriptorId} · project {i.projectId}
                  </span>
                  <span className={`health h-${state}`} data-testid="health-state" title={i.health.lastError ?? undefined}>
                    {i.enabled ? (HEALTH_TEXT[i.health.state] ?? i.health.state) : "Disabled"}
                  </span>
                  <span className="spacer" />
                  <label className="switch">
                    <input
                      type="checkbox"
                      role="switch"
                      aria-label={`Enable ${i.name}`}
                      checked={i.enabled}
                      disabled={busy === i.id}
                      onChange={(e) => void run(i.id, () => onSetEnabled(i.id, e.target.checked))}
                    />
                    <span>{i.enabled ? "On" : "Off"}</span>
                  </label>
                  {confirming === i.id ? (
                    <span className="confirm" role="group" aria-label="Confirm disconnect">
                      <span className="small">Disconnect {i.name}? Its secrets leave the keychain.</span>
                      <button
                        type="button"
                        className="btn btn-danger"
                        disabled={busy === i.id}
                        onClick={() => void run(i.id, () => onDelete(i.id)).then(() => setConfirming(null))}
                      >
                        Yes, disconnect
                      </button>
                      <button type="button" className="btn btn-quiet" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="btn btn-quiet" onClick={() => setConfirming(i.id)}>
                      Disconnect
                    </button>
                  )}
                </div>
                <dl className="instance-stats small">
                  <div>
                    <dt>Last success</dt>
                    <dd data-testid="last-success">
                      {i.health.lastSuccessAt ? (
                        <time dateTime={i.health.lastSuccessAt} title={formatClock(i.health.lastSuccessAt, now)}>
                          {formatAge(i.health.lastSuccessAt, now)}
                        </time>
                      ) : (
                        "never"
                      )}
                    </dd>
                  </div>
                  <div>
                    <dt>Received</dt>
                    <dd data-testid="items-received">{i.health.itemsReceived}</dd>
                  </div>
                  <div>
                    <dt>Dead-lettered</dt>
                    <dd data-testid="items-dead-lettered">{i.health.itemsDeadLettered}</dd>
                  </div>
                  {i.webhookUrl ? (
                    <div className="wide">
                      <dt>Webhook</dt>
                      <dd>
                        <code className="break">{i.webhookUrl}</code>
                      </dd>
                    </div>
                  ) : null}
                  {i.health.lastError ? (
                    <div className="wide">
                      <dt>Last error</dt>
                      <dd className="inline-error">{i.health.lastError}</dd>
                    </div>
                  ) : null}
                </dl>
                {errors[i.id] ? (
                  <div className="inline-error" role="alert">
                    {errors[i.id]}
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
