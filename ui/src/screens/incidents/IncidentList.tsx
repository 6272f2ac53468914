import type { IncidentQuery, IncidentStatus, IncidentSummary, Severity } from "../../wire";
import { formatAge, matchesWords } from "../../components/format";
import { SEVERITIES, SeverityBadge, StatusBadge } from "../../components/Badges";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { EntityText } from "../../components/EntityText";

export type IncidentFilter = { status: "open" | "all" | IncidentStatus; severities: Severity[]; query: string };
export const DEFAULT_FILTER: IncidentFilter = { status: "open", severities: [], query: "" };
const STATUSES: { value: IncidentFilter["status"]; label: string }[] = [
  { value: "open", label: "Open" },
  { value: "all", label: "All" },
  { value: "building", label: "Building" },
  { value: "active", label: "Active" },
  { value: "acknowledged", label: "Acknowledged" },
  { value: "investigating", label: "Investigating" },
  { value: "resolved", label: "Resolved" },
];

/** The same filter as the server's `searchIncidents` query. */
export function queryOf(f: IncidentFilter): IncidentQuery {
  return { status: f.status, severities: f.severities, query: f.query };
}

/** The incidents a filter keeps: by status ("open" is anything not resolved), severity and words. */
export function filterIncidents(list: IncidentSummary[], f: IncidentFilter): IncidentSummary[] {
  return list.filter((i) => {
    if (f.status === "open" ? i.status === "resolved" : f.status !== "all" && i.status !== f.status) return false;
    if (f.severities.length && !f.severities.includes(i.severity)) return false;
    return matchesWords(`${i.title} ${i.id} ${i.pattern ?? ""} ${i.rootCause?.entity ?? ""} ${i.status} ${i.severity}`, f.query);
  });
}

type Props = {
  /** The incidents the filter keeps. */
  incidents: IncidentSummary[] | null;
  /** How many there are before filtering. */
  total: number;
  filter: IncidentFilter;
  onFilter: (f: IncidentFilter) => void;
  error: unknown;
  selectedId: string | null;
  onSelect: (id: string) => void;
  now: number;
  webhookUrl: string;
  /** Nothing is coming (e.g. the session is gone): no spinner. */
  stalled?: boolean;
};

export function IncidentList({ incidents, total, filter, onFilter, error, selectedId, onSelect, now, webhookUrl, stalled }: Props) {
  const filtered = filter.status !== "all" || filter.severities.length > 0 || filter.query !== "";
  return (
    <section className="incident-list" data-testid="incident-list" aria-label="Incidents">
      <h2 className="section-title">
        Incidents{" "}
        {incidents ? (
          <span className="count" data-testid="incident-count">
            {filtered ? `${incidents.length} / ${total}` : total}
          </span>
        ) : null}
      </h2>
      <div className="filters" role="search" aria-label="Filter incidents">
        <input
          type="search"
          className="search"
          placeholder="Search title, root cause, pattern…"
          aria-label="Search incidents"
          data-testid="incident-search"
          value={filter.query}
          onChange={(e) => onFilter({ ...filter, query: e.target.value })}
        />
        <div className="filter-row">
          <select
            aria-label="Status"
            data-testid="status-filter"
            value={filter.status}
            onChange={(e) => onFilter({ ...filter, status: e.target.value as IncidentFilter["status"] })}
          >
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
          <span className="sev-filters" role="group" aria-label="Severity">
            {SEVERITIES.map((sev) => {
              const on = filter.severities.includes(sev);
              return (
                <button
                  key={sev}
                  type="button"
                  className={`chip sev-chip sevc-${sev}${on ? " on" : ""}`}
                  aria-pressed={on}
                  title={`Only ${sev}`}
                  onClick={() =>
                    onFilter({ ...filter, severities: on ? filter.severities.filter((x) => x !== sev) : [...filter.severities, sev] })
                  }
                >
                  {sev.slice(0, 4)}
                </button>
              );
            })}
          </span>
        </div>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {incidents === null ? (
        error || stalled ? null : <Loading what="incidents" />
      ) : total === 0 ? (
        <Empty>
          No incidents yet — point Alertmanager at <code className="break">{webhookUrl}</code> with its bearer secret (printed at the first
          start, or made anew under Connectors → New secret)
        </Empty>
      ) : incidents.length === 0 ? (
        <Empty>
          No incident matches the filter.{" "}
          <button type="button" className="link-button" onClick={() => onFilter(DEFAULT_FILTER.status === filter.status && !filter.query && !filter.severities.length ? { ...DEFAULT_FILTER, status: "all" } : DEFAULT_FILTER)}>
            {filter.status === "open" && !filter.query && !filter.severities.length ? "Show resolved ones too" : "Clear the filter"}
          </button>
        </Empty>
      ) : (
        <ul className="rows" role="listbox" aria-label="Incidents, newest first">
          {incidents.map((inc) => {
            const selected = inc.id === selectedId;
            return (
              <li
                key={inc.id}
                role="option"
                aria-selected={selected}
                tabIndex={0}
                className={`incident-row sevbar-${inc.severity}${selected ? " selected" : ""}${
                  inc.status === "resolved" ? " is-resolved" : ""
                }`}
                data-testid="incident-row"
                data-incident-id={inc.id}
                onClick={() => onSelect(inc.id)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    onSelect(inc.id);
                  } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                    e.preventDefault();
                    const li = e.currentTarget;
                    const next = (e.key === "ArrowDown" ? li.nextElementSibling : li.previousElementSibling) as HTMLElement | null;
                    const id = next?.dataset.incidentId;
                    if (next && id) {
                      next.focus();
                      onSelect(id);
                    }
                  }
                }}
              >
                <div className="row-top">
                  <SeverityBadge severity={inc.severity} />
                  <span className="row-title">{inc.title}</span>
                </div>
                <div className="row-meta">
                  <StatusBadge status={inc.status} />
                  {inc.pattern ? <span className="badge pattern">{inc.pattern}</span> : null}
                  <span title="Signals in this incident">
                    {inc.signalCount} signal{inc.signalCount === 1 ? "" : "s"}
                  </span>
                  <span className="dot" aria-hidden="true">·</span>
                  <time dateTime={inc.openedAt} title={`Opened ${inc.openedAt}`}>
                    {formatAge(inc.openedAt, now)}
                  </time>
                </div>
                {inc.rootCause ? (
                  <div className="row-root" title="Most likely root cause">
                    <span className="muted">root</span> <EntityText entity={inc.rootCause.entity} />
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
