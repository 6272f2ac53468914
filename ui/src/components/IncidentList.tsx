import type { IncidentSummary } from "../wire";
import { formatAge } from "../format";
import { SeverityBadge, StatusBadge } from "./Badges";
import { Empty, ErrorBox, Loading } from "./States";
import { EntityText } from "./EntityText";

type Props = {
  incidents: IncidentSummary[] | null;
  error: unknown;
  selectedId: string | null;
  onSelect: (id: string) => void;
  now: number;
  webhookUrl: string;
  /** Nothing is coming (e.g. the session is gone): no spinner. */
  stalled?: boolean;
};

export function IncidentList({ incidents, error, selectedId, onSelect, now, webhookUrl, stalled }: Props) {
  return (
    <section className="incident-list" data-testid="incident-list" aria-label="Incidents">
      <h2 className="section-title">
        Incidents {incidents ? <span className="count">{incidents.length}</span> : null}
      </h2>
      {error ? <ErrorBox error={error} /> : null}
      {incidents === null ? (
        error || stalled ? null : <Loading what="incidents" />
      ) : incidents.length === 0 ? (
        <Empty>
          No incidents yet — point Alertmanager at <code className="break">{webhookUrl}</code>
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
