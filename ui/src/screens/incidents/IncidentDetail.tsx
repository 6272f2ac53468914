import { useCallback, useEffect, useMemo, useState } from "react";
import type { IncidentDetail as Detail, IncidentStatus, SignalView } from "../../wire";
import { formatAge, formatClock, formatDuration, formatPercent } from "../../components/format";
import { useRun } from "../../components/useRun";
import { isTyping } from "../../components/listKeys";
import { SeverityBadge, StatusBadge } from "../../components/Badges";
import { GraphView } from "../../components/graph/GraphView";
import { SignalsTable } from "../../components/SignalsTable";
import { Empty, ErrorBox, InlineError, Loading } from "../../components/States";
import { NO_SERVICE, Swimlanes, type LaneBy, type TimeRange } from "./Swimlanes";
import { EntityText } from "../../components/EntityText";
import { Ledger } from "./Ledger";
import { MergeControl, PickedBar, useSignalPicks, type Manage } from "../../components/ManageIncident";
import type { LedgerEntry } from "../../wire";

type Props = {
  detail: Detail;
  now: number;
  /** Present when the user may change the status (acknowledge, resolve). */
  onSetStatus?: (status: IncidentStatus) => Promise<unknown>;
  refreshing?: boolean;
  /** Present when the user may move, merge and split (recorded in the ledger). */
  manage?: Manage;
  /** The incident's decision ledger (entries null: not loaded yet). */
  ledger?: { entries: LedgerEntry[] | null; error: unknown };
  /** The incident's signals from `offset` on, a page at a time (the detail holds the first ones). */
  loadMore?: (offset: number) => Promise<SignalView[]>;
};

const ACTIONS: { status: IncidentStatus; label: string }[] = [
  { status: "acknowledged", label: "Acknowledge" },
  { status: "resolved", label: "Resolve" },
];

/** What the user picked in the graph or the timeline; both narrow the signals list. */
export type Selection = { entity: string | null; service?: string | null; range: TimeRange | null };

const TIMELINE_TEXT_MAX = 100;
/** Impacted entities listed before "and N more". */
const IMPACTED_SHOWN = 8;

export function inRange(s: SignalView, range: TimeRange): boolean {
  const a = Date.parse(s.occurredAt);
  const b = s.endedAt ? Date.parse(s.endedAt) : a;
  return (a >= range[0] && a <= range[1]) || (b >= range[0] && b <= range[1]);
}

/**
 * The signals a selection keeps, and the entities and services to highlight
 * for it (null: nothing picked).
 */
export function applySelection(
  signals: SignalView[],
  sel: Selection,
): { signals: SignalView[]; entities: Set<string> | null; services: Set<string> | null } {
  if (!sel.entity && !sel.service && !sel.range) return { signals, entities: null, services: null };
  const kept = signals.filter(
    (s) =>
      (!sel.entity || s.entity === sel.entity) &&
      (!sel.service || (s.service ?? NO_SERVICE) === sel.service) &&
      (!sel.range || inRange(s, sel.range)),
  );
  const entities = new Set<string>();
  const services = new Set<string>();
  if (sel.entity) entities.add(sel.entity);
  if (sel.service) services.add(sel.service);
  for (const s of kept) {
    if (s.entity) entities.add(s.entity);
    services.add(s.service ?? NO_SERVICE);
  }
  return { signals: kept, entities, services };
}

export function IncidentDetail({ detail: page, now, onSetStatus, refreshing, manage, ledger, loadMore }: Props) {
  const picks = useSignalPicks();
  const [selection, setSelection] = useState<Selection>({ entity: null, service: null, range: null });
  const [laneBy, setLaneBy] = useState<LaneBy>("entity");
  // A storm's incident comes with its first signals; more are asked for.
  const [more, setMore] = useState<SignalView[]>([]);
  const detail = useMemo(() => {
    if (!more.length) return page;
    const have = new Set(page.signals.map((s) => s.id));
    return { ...page, signals: page.signals.concat(more.filter((s) => !have.has(s.id))) };
  }, [page, more]);
  const [loadingMore, loadError, runLoad] = useRun();
  const missing = Math.max(0, detail.signalTotal - detail.signals.length);
  const showMore = loadMore
    ? () => runLoad("more", async () => {
        const next = await loadMore(detail.signals.length);
        setMore((m) => m.concat(next));
      })
    : undefined;
  const picked = useMemo(() => applySelection(detail.signals, selection), [detail.signals, selection]);
  const pickEntity = useCallback((entity: string | null) => setSelection((s) => ({ ...s, entity })), []);
  const brush = useCallback((range: TimeRange | null) => setSelection((s) => ({ ...s, range })), []);
  const pickService = useCallback((service: string | null) => setSelection((s) => ({ ...s, service })), []);
  const picking = picked.entities !== null;
  // Escape lets go of what is picked (outside a text field).
  useEffect(() => {
    if (!picking) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || isTyping(e.target)) return;
      setSelection({ entity: null, service: null, range: null });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [picking]);
  const timelineText = useMemo(() => {
    const keep = picked.entities === null ? null : new Set(picked.signals.map((s) => s.id));
    const rows = keep === null ? detail.timeline : detail.timeline.filter((t) => t.signalId === null || keep.has(t.signalId));
    return { rows: rows.slice(0, TIMELINE_TEXT_MAX), more: Math.max(0, rows.length - TIMELINE_TEXT_MAX) };
  }, [detail.timeline, picked]);
  const [busy, actionError, run] = useRun();
  const [allImpacted, setAllImpacted] = useState(false);

  const act = async (status: IncidentStatus) => {
    if (onSetStatus) await run(status, () => onSetStatus(status));
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
            {manage ? <MergeControl incidentId={detail.id} title={detail.title} manage={manage} /> : null}
            <InlineError text={actionError} />
          </div>
        ) : null}
      </header>

      <p className="insight" data-testid="insight">
        {detail.insight ?? <span className="muted">No insight yet: none of the signals names an entity.</span>}
      </p>
      {detail.signalsAnalysed ? (
        <p className="muted small" data-testid="signals-analysed">
          Analysed from {detail.signalsAnalysed} of its {detail.signalTotal} signals: the first and the latest to join it.
        </p>
      ) : null}
      {detail.suggestedAction ? (
        <p className="suggested-action" data-testid="suggested-action">
          <strong>Try first:</strong> {detail.suggestedAction}
        </p>
      ) : null}

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
              {detail.impacted.slice(0, allImpacted ? undefined : IMPACTED_SHOWN).map((e) => (
                <li key={e}>
                  <EntityText entity={e} />
                </li>
              ))}
              {!allImpacted && detail.impacted.length > IMPACTED_SHOWN ? (
                <li className="more">
                  <button type="button" className="link-button" onClick={() => setAllImpacted(true)}>
                    and {detail.impacted.length - IMPACTED_SHOWN + (detail.impactedOmitted ?? 0)} more
                  </button>
                </li>
              ) : null}
              {allImpacted && detail.impactedOmitted ? (
                <li className="more muted" data-testid="impacted-omitted">
                  and {detail.impactedOmitted} more, not listed
                </li>
              ) : null}
            </ul>
          ) : (
            <p className="muted">Nothing beyond the root cause.</p>
          )}
        </section>
      </div>

      {picked.entities !== null ? (
        <div className="selection-bar" data-testid="selection-bar" role="status">
          Showing {picked.signals.length} of {detail.signals.length} signals
          {selection.entity ? (
            <>
              {" · entity "}
              <EntityText entity={selection.entity} />
            </>
          ) : null}
          {selection.service ? (
            <>
              {" · service "}
              <code>{selection.service}</code>
            </>
          ) : null}
          {selection.range ? (
            <>
              {" · "}
              {formatClock(new Date(selection.range[0]).toISOString(), now)}–
              {formatClock(new Date(selection.range[1]).toISOString(), now)}
            </>
          ) : null}
          <button type="button" className="btn btn-quiet" onClick={() => setSelection({ entity: null, service: null, range: null })}>
            Clear
          </button>
        </div>
      ) : null}

      <section className="block" aria-label="Graph">
        <h3>Graph</h3>
        {detail.graph.omitted ? (
          <p className="muted small" data-testid="graph-omitted">
            The {detail.graph.nodes.length} entities with the most firing signals; {detail.graph.omitted} more are left out.
          </p>
        ) : null}
        <GraphView
          graph={detail.graph}
          highlighted={picked.entities}
          selectedEntity={selection.entity}
          onSelectEntity={pickEntity}
        />
      </section>

      <section className="block" aria-label="Timeline">
        <h3>Timeline</h3>
        {detail.timeline.length ? (
          <>
            <Swimlanes
              timeline={detail.timeline}
              signals={detail.signals}
              now={now}
              range={selection.range}
              selectedEntity={laneBy === "service" ? (selection.service ?? null) : selection.entity}
              highlighted={laneBy === "service" ? picked.services : picked.entities}
              onBrush={brush}
              onSelectEntity={laneBy === "service" ? pickService : pickEntity}
              by={laneBy}
              onBy={setLaneBy}
            />
            <details className="timeline-log">
              <summary>Event log</summary>
              <ol className="timeline">
                {timelineText.rows.map((t, i) => (
                  <li key={`${t.at}-${i}`} className={`tl tl-${t.kind}`}>
                    <time dateTime={t.at} title={t.at}>
                      {formatClock(t.at, now)}
                    </time>
                    <span className="tl-dot" aria-hidden="true" />
                    <span className="tl-text">{t.text}</span>
                  </li>
                ))}
              </ol>
              {timelineText.more ? <p className="muted small">…and {timelineText.more} more.</p> : null}
            </details>
          </>
        ) : (
          <Empty>Nothing has happened yet.</Empty>
        )}
      </section>

      <section className="block" aria-label="Signals">
        <h3>
          Signals <span className="count" data-testid="signal-count">{picked.entities === null ? detail.signals.length : `${picked.signals.length} / ${detail.signals.length}`}</span>
        </h3>
        {manage ? <PickedBar incidentId={detail.id} picked={picks.picked} clear={picks.clear} manage={manage} /> : null}
        {missing > 0 ? (
          <p className="muted small" data-testid="signals-more">
            The first {detail.signals.length} of {detail.signalTotal} signals, in the order they joined.{" "}
            {showMore ? (
              <button type="button" className="btn btn-quiet" disabled={!!loadingMore} onClick={showMore}>
                {loadingMore ? "Loading…" : `Show ${Math.min(500, missing)} more`}
              </button>
            ) : null}
            <InlineError text={loadError} />
          </p>
        ) : null}
        {picked.signals.length ? (
          <SignalsTable signals={picked.signals} now={now} selection={manage ? picks.selection : undefined} />
        ) : detail.signals.length ? (
          <Empty>No signal matches the selection.</Empty>
        ) : (
          <Empty>No signals in this incident.</Empty>
        )}
      </section>

      {ledger ? (
        <section className="block" aria-label="Decisions">
          <h3>
            Decisions {ledger.entries ? <span className="count">{ledger.entries.length}</span> : null}
          </h3>
          <p className="muted small">Every decision about this incident, the engine&apos;s and people&apos;s, with its reason.</p>
          {ledger.error ? <ErrorBox error={ledger.error} title="The decision ledger could not be loaded." /> : null}
          {ledger.entries ? <Ledger entries={ledger.entries} now={now} /> : ledger.error ? null : <Loading what="the decisions" />}
        </section>
      ) : null}
    </article>
  );
}
