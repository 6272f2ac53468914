import { useState } from "react";
import type { IncidentDetail as Detail, IncidentStatus } from "../wire";
import { formatAge, formatClock, formatDuration, formatPercent } from "../format";
import { errorText } from "../platform/errors";
import { SeverityBadge, StatusBadge } from "./Badges";
import { GraphView } from "./GraphView";
import { SignalsTable } from "./SignalsTable";
import { Empty } from "./States";
import { EntityText } from "./EntityText";

type Props = {
  detail: Detail;
  now: number;
  /** Present when the user may change the status (acknowledge, resolve). */
  onSetStatus?: (status: IncidentStatus) => Promise<unknown>;
  refreshing?: boolean;
};

const ACTIONS: { status: IncidentStatus; label: string }[] = [
  { status: "acknowledged", label: "Acknowledge" },
  { status: "resolved", label: "Resolve" },
];

export function IncidentDetail({ detail, now, onSetStatus, refreshing }: Props) {
  const [busy, setBusy] = useState<IncidentStatus | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const act = async (status: IncidentStatus) => {
    if (!onSetStatus) return;
    setBusy(status);
    setActionError(null);
    try {
      await onSetStatus(status);
    } catch (e) {
      setActionError(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  const canAct = (status: IncidentStatus) =>
    detail.status !== "resolved" && detail.status !== status && !(status === "acknowledged" && detail.status === "investigating");

  return (
    <article className="incident-detail" data-testid="incident-detail" data-incident-id={detail.id} aria-busy={refreshing}>
      <header className="detail-header">
        <div className="detail-badges">
          <SeverityBadge severity={detail.severity} />
          <StatusBadge status={detail.status} />
          {detail.pattern ? <span className="badge pattern">{detail.pattern}</span> : null}
        </div>
        <h2 className="detail-title">{detail.title}</h2>
        <div className="detail-meta muted">
          Opened {formatAge(detail.openedAt, now)} ({formatClock(detail.openedAt, now)}) · updated{" "}
          {formatAge(detail.updatedAt, now)}
          {detail.resolvedAt
            ? ` · resolved ${formatAge(detail.resolvedAt, now)} after ${formatDuration(detail.openedAt, detail.resolvedAt, now)}`
            : ` · open for ${formatDuration(detail.openedAt, null, now)}`}{" "}
          · {detail.signalCount} signal{detail.signalCount === 1 ? "" : "s"}
        </div>
        {onSetStatus ? (
          <div className="actions">
            {ACTIONS.map((a) => (
              <button
                key={a.status}
                type="button"
                className={`btn btn-${a.status}`}
                disabled={busy !== null || !canAct(a.status)}
                onClick={() => void act(a.status)}
              >
                {busy === a.status ? `${a.label}…` : a.label}
              </button>
            ))}
            {actionError ? (
              <span className="inline-error" role="alert">
                {actionError}
              </span>
            ) : null}
          </div>
        ) : null}
      </header>

      <p className="insight" data-testid="insight">
        {detail.insight ?? <span className="muted">No insight yet: none of the signals names an entity.</span>}
      </p>

      <div className="cards">
        <section className="card" data-testid="root-cause" aria-label="Root cause">
          <h3>Root cause</h3>
          {detail.rootCause ? (
            <>
              <div className="root-entity">
                <span data-testid="root-cause-entity">
                  <EntityText entity={detail.rootCause.entity} />
                </span>
                <span className="confidence" title="How sure the engine is">
                  {formatPercent(detail.rootCause.confidence)} confidence
                </span>
              </div>
              <div className="meter" aria-hidden="true">
                <span style={{ width: formatPercent(detail.rootCause.confidence) }} />
              </div>
              <p className="explanation">{detail.rootCause.explanation}</p>
            </>
          ) : (
            <p className="muted">Not determined yet.</p>
          )}
        </section>
        <section className="card" aria-label="Impacted entities">
          <h3>Impacted</h3>
          {detail.impacted.length ? (
            <ul className="impacted">
              {detail.impacted.map((e) => (
                <li key={e}>
                  <EntityText entity={e} />
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">Nothing beyond the root cause.</p>
          )}
        </section>
      </div>

      <section className="block" aria-label="Graph">
        <h3>Graph</h3>
        <GraphView graph={detail.graph} />
      </section>

      <section className="block" aria-label="Timeline">
        <h3>Timeline</h3>
        {detail.timeline.length ? (
          <ol className="timeline">
            {detail.timeline.map((t, i) => (
              <li key={`${t.at}-${i}`} className={`tl tl-${t.kind}`}>
                <time dateTime={t.at} title={t.at}>
                  {formatClock(t.at, now)}
                </time>
                <span className="tl-dot" aria-hidden="true" />
                <span className="tl-text">{t.text}</span>
              </li>
            ))}
          </ol>
        ) : (
          <Empty>Nothing has happened yet.</Empty>
        )}
      </section>

      <section className="block" aria-label="Signals">
        <h3>
          Signals <span className="count">{detail.signals.length}</span>
        </h3>
        {detail.signals.length ? (
          <SignalsTable signals={detail.signals} now={now} />
        ) : (
          <Empty>No signals in this incident.</Empty>
        )}
      </section>
    </article>
  );
}
