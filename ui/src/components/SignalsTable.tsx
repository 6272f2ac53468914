import { memo, useCallback, useRef, type CSSProperties, type ReactNode } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { SignalView } from "../wire";
import { formatAge, formatScore } from "./format";
import { ConfidenceBadge, SeverityBadge, StatusBadge } from "./Badges";
import { EntityText } from "./EntityText";

/** Why a signal belongs where it is: its link, or why it has none. */
export function LinkReason({ signal }: { signal: SignalView }) {
  const link = signal.link;
  if (!link) {
    return (
      <div className="link-reason" data-testid="link-reason">
        <span className="muted">{signal.unassignedReason ?? "not linked to an incident"}</span>
      </div>
    );
  }
  return (
    <div className="link-reason" data-testid="link-reason">
      <div className="link-head">
        <span className="strategy" title="Correlation strategy">
          {link.strategy}
        </span>
        <ConfidenceBadge confidence={link.confidence} />
        <span className="score" title="Correlation score">
          {formatScore(link.score)}
        </span>
      </div>
      <div className="link-explanation" title={link.explanation}>
        {link.explanation}
      </div>
    </div>
  );
}

/** `ALERTMANAGER` → "alertmanager", `K8S_EVENT` → "k8s event". */
function sourceName(sourceType: string): string {
  return sourceType.toLowerCase().replace(/_/g, " ");
}

type Props = {
  signals: SignalView[];
  now: number;
  showReason?: "link" | "unassigned";
  /** More rows than this are virtualized: only what is on screen is in the DOM. */
  virtualizeAbove?: number;
  /** With it, each row has a checkbox (to move, split or assign the signals picked). */
  selection?: Selection;
};

/** Picked rows, and how to pick one. */
export type Selection = { picked: ReadonlySet<string>; onToggle: (id: string) => void };

export const VIRTUALIZE_ABOVE = 80;
/** A virtualized row's fixed height (CSS `.signals.virtual .signal-row`): no measuring, no forced layout. */
export const ROW_H = 76;

const SignalRow = memo(function SignalRow({
  s,
  now,
  style,
  index,
  picked,
  onToggle,
}: {
  s: SignalView;
  now: number;
  style?: CSSProperties;
  index?: number;
  picked?: boolean;
  onToggle?: (id: string) => void;
}) {
  return (
    <div
      role="row"
      className={`signal-row${picked ? " picked" : ""}`}
      data-testid="signal-row"
      data-signal-id={s.id}
      data-index={index}
      aria-selected={onToggle ? picked : undefined}
      style={style}
    >
      {onToggle ? (
        <div role="cell" className="c-pick">
          <input type="checkbox" aria-label={`Pick ${s.title}`} data-testid="pick-signal" checked={picked ?? false} onChange={() => onToggle(s.id)} />
        </div>
      ) : null}
      <div role="cell" className="c-sev">
        <SeverityBadge severity={s.severity} />
      </div>
      <div role="cell" className="c-status">
        <StatusBadge status={s.status} />
      </div>
      <div role="cell" className="c-signal">
        <div className="signal-title">{s.title}</div>
        <div className="muted small">
          {sourceName(s.sourceType)} · {s.kind} ·{" "}
          <time dateTime={s.occurredAt} title={s.occurredAt}>
            {formatAge(s.occurredAt, now)}
          </time>
          {s.notifications > 1 ? ` · ${s.notifications} notifications` : ""}
          {s.externalUrl ? (
            <>
              {" · "}
              <a className="source-link" href={s.externalUrl} target="_blank" rel="noreferrer noopener">
                source ↗
              </a>
            </>
          ) : null}
        </div>
      </div>
      <div role="cell" className="entity-cell">
        {s.entity ? <EntityText entity={s.entity} /> : <span className="muted">—</span>}
      </div>
      <div role="cell" className="c-reason">
        <LinkReason signal={s} />
      </div>
    </div>
  );
});

export function SignalsTable({ signals, now, showReason = "link", virtualizeAbove = VIRTUALIZE_ABOVE, selection }: Props) {
  const head = (
    <div role="row" className="signals-head">
      {selection ? <div role="columnheader" aria-label="Picked" /> : null}
      <div role="columnheader">Severity</div>
      <div role="columnheader">Status</div>
      <div role="columnheader">Signal</div>
      <div role="columnheader">Entity</div>
      <div role="columnheader">{showReason === "link" ? "Why it is here" : "Why it is unassigned"}</div>
    </div>
  );
  if (signals.length <= virtualizeAbove) {
    return (
      <div className={`signals${selection ? " selectable" : ""}`} role="table" aria-rowcount={signals.length}>
        {head}
        {signals.map((s) => (
          <SignalRow key={s.id} s={s} now={now} picked={selection?.picked.has(s.id)} onToggle={selection?.onToggle} />
        ))}
      </div>
    );
  }
  return <VirtualSignals signals={signals} now={now} head={head} selection={selection} />;
}

function VirtualSignals({ signals, now, head, selection }: { signals: SignalView[]; now: number; head: ReactNode; selection?: Selection }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({
    count: signals.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 6,
    initialRect: { width: 1000, height: 640 },
    getItemKey: useCallback((i: number) => signals[i].id, [signals]),
  });
  return (
    <div className={`signals virtual${selection ? " selectable" : ""}`} role="table" aria-rowcount={signals.length} data-virtual="true">
      {head}
      <div ref={scrollRef} className="signals-scroll" data-testid="signals-scroll">
        <div style={{ height: v.getTotalSize(), position: "relative" }}>
          {v.getVirtualItems().map((item) => (
            <SignalRow
              key={item.key}
              s={signals[item.index]}
              now={now}
              index={item.index}
              picked={selection?.picked.has(signals[item.index].id)}
              onToggle={selection?.onToggle}
              style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_H, transform: `translateY(${item.start}px)` }}
            />
          ))}
        </div>
      </div>
    </div>
  );
}
