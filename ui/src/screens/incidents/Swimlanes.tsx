import { memo, useMemo, useRef, useState } from "react";
import type { SignalView, TimelineEntry } from "../../wire";
import { formatClock } from "../../components/format";
import { clipMiddle } from "../../components/graph/GraphView";

export const LANE_H = 22;
const VIEW_W = 1000;
const NO_ENTITY = "(incident)";
export const NO_SERVICE = "(no service)";

/** What a lane is: an entity (Pod, Deployment, Node…) or a service. */
export type LaneBy = "entity" | "service";

export type TimeRange = [number, number];

export type Lane = { entity: string; marks: { t: number; kind: string; signalId: string | null }[] };

/**
 * One lane per entity (or per service), in order of first activity; a mark
 * per fired / resolved / evidence entry. `Lane.entity` is the lane's key.
 */
export function buildLanes(timeline: TimelineEntry[], signals: SignalView[], by: LaneBy = "entity"): { lanes: Lane[]; t0: number; t1: number } {
  const entityOf = new Map<string, string | null>();
  const serviceOf = new Map<string, string | null>();
  for (const s of signals) {
    entityOf.set(s.id, s.entity);
    serviceOf.set(s.id, s.service);
  }
  const byEntity = new Map<string, Lane>();
  let t0 = Number.POSITIVE_INFINITY;
  let t1 = Number.NEGATIVE_INFINITY;
  for (const e of timeline) {
    const t = Date.parse(e.at);
    if (Number.isNaN(t)) continue;
    t0 = Math.min(t0, t);
    t1 = Math.max(t1, t);
    if (e.kind === "opened") continue;
    const entity =
      by === "service"
        ? ((e.signalId ? serviceOf.get(e.signalId) : null) ?? NO_SERVICE)
        : (e.entity ?? (e.signalId ? entityOf.get(e.signalId) : null) ?? NO_ENTITY);
    let lane = byEntity.get(entity);
    if (!lane) {
      lane = { entity, marks: [] };
      byEntity.set(entity, lane);
    }
    lane.marks.push({ t, kind: e.kind, signalId: e.signalId });
  }
  if (!Number.isFinite(t0)) {
    t0 = 0;
    t1 = 1;
  }
  if (t1 - t0 < 1000) t1 = t0 + 1000;
  return { lanes: [...byEntity.values()], t0, t1 };
}

/** Pixel offsets within a width → a time range over [t0, t1], ordered and clamped. */
export function rangeFromPixels(a: number, b: number, width: number, t0: number, t1: number): TimeRange {
  const f = (x: number) => Math.min(1, Math.max(0, width > 0 ? x / width : 0));
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  return [t0 + f(lo) * (t1 - t0), t0 + f(hi) * (t1 - t0)];
}

type Props = {
  timeline: TimelineEntry[];
  signals: SignalView[];
  now: number;
  range: TimeRange | null;
  /** The picked lane's key (an entity, or a service when `by` is "service"). */
  selectedEntity: string | null;
  /** Lane keys to highlight. */
  highlighted: ReadonlySet<string> | null;
  onBrush: (range: TimeRange | null) => void;
  onSelectEntity: (entity: string | null) => void;
  by?: LaneBy;
  onBy?: (by: LaneBy) => void;
};

/**
 * The timeline as swimlanes: a row per entity, time across. Drag across the
 * marks to pick a time range; click an entity's name to pick it.
 */
export const Swimlanes = memo(function Swimlanes({ timeline, signals, now, range, selectedEntity, highlighted, onBrush, onSelectEntity, by = "entity", onBy }: Props) {
  const { lanes, t0, t1 } = useMemo(() => buildLanes(timeline, signals, by), [timeline, signals, by]);
  const svgRef = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const x = (t: number) => ((t - t0) / (t1 - t0)) * VIEW_W;
  const height = Math.max(1, lanes.length) * LANE_H;

  const paths = useMemo(
    () =>
      lanes.map((lane, i) => {
        const y = i * LANE_H;
        const by: Record<string, string[]> = {};
        for (const m of lane.marks) {
          const k = m.kind === "fired" || m.kind === "resolved" ? m.kind : "evidence";
          (by[k] ??= []).push(`M${x(m.t).toFixed(1)} ${y + 4}v${LANE_H - 8}`);
        }
        return by;
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [lanes, t0, t1],
  );

  const px = (clientX: number) => {
    const r = svgRef.current!.getBoundingClientRect();
    return { off: clientX - r.left, width: r.width };
  };
  const finish = (clientX: number) => {
    if (!drag) return;
    const { off, width } = px(clientX);
    setDrag(null);
    if (Math.abs(off - drag.from) < 3) {
      onBrush(null); // a click clears the range
      return;
    }
    onBrush(rangeFromPixels(drag.from, off, width, t0, t1));
  };

  if (lanes.length === 0) return null;
  const shown = drag
    ? { a: Math.min(drag.from, drag.to), b: Math.max(drag.from, drag.to), px: true }
    : range
      ? { a: x(range[0]), b: x(range[1]), px: false }
      : null;

  return (
    <div className="swimlanes" data-testid="swimlanes">
      <div className="lanes-axis muted small">
        <span>{formatClock(new Date(t0).toISOString(), now)}</span>
        <span>
          {onBy ? (
            <span className="lanes-by" role="group" aria-label="Lanes by">
              lanes by{" "}
              {(["entity", "service"] as const).map((b) => (
                <button key={b} type="button" className={`chip${by === b ? " on" : ""}`} aria-pressed={by === b} onClick={() => onBy(b)}>
                  {b}
                </button>
              ))}{" "}
              ·{" "}
            </span>
          ) : null}
          drag across the lanes to pick a time range · click {by === "service" ? "a service" : "an entity"} to pick it
        </span>
        <span>{formatClock(new Date(t1).toISOString(), now)}</span>
      </div>
      <div className="lanes-scroll">
        <div className="lanes-body" style={{ height }}>
          <ul className="lane-labels">
            {lanes.map((lane) => (
              <LaneLabel
                key={lane.entity}
                entity={lane.entity}
                marks={lane.marks.length}
                selected={selectedEntity === lane.entity}
                highlighted={highlighted?.has(lane.entity) ?? false}
                onSelectEntity={onSelectEntity}
              />
            ))}
          </ul>
          <svg
            ref={svgRef}
            className="lanes-plot"
            data-testid="lanes-plot"
            viewBox={`0 0 ${VIEW_W} ${height}`}
            preserveAspectRatio="none"
            style={{ height }}
            onPointerDown={(e) => {
              const { off } = px(e.clientX);
              (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
              setDrag({ from: off, to: off });
            }}
            onPointerMove={(e) => drag && setDrag({ ...drag, to: px(e.clientX).off })}
            onPointerUp={(e) => finish(e.clientX)}
          >
            {lanes.map((lane, i) => (
              <rect
                key={lane.entity}
                x={0}
                y={i * LANE_H}
                width={VIEW_W}
                height={LANE_H}
                className={`lane-bg${i % 2 ? " odd" : ""}${selectedEntity === lane.entity ? " selected" : ""}`}
              />
            ))}
            {paths.map((by, i) =>
              Object.entries(by).map(([kind, segs]) => (
                <path key={`${i}-${kind}`} d={segs.join("")} className={`mark mark-${kind}`} vectorEffect="non-scaling-stroke" />
              )),
            )}
            {shown ? (
              <BrushRect a={shown.px ? (shown.a / (svgRef.current?.getBoundingClientRect().width || 1)) * VIEW_W : shown.a}
                b={shown.px ? (shown.b / (svgRef.current?.getBoundingClientRect().width || 1)) * VIEW_W : shown.b}
                height={height} />
            ) : null}
          </svg>
        </div>
      </div>
    </div>
  );
});

/** One lane's name: memoized, so a pick re-renders the lanes it changes. */
const LaneLabel = memo(function LaneLabel({
  entity,
  marks,
  selected,
  highlighted,
  onSelectEntity,
}: {
  entity: string;
  marks: number;
  selected: boolean;
  highlighted: boolean;
  onSelectEntity: (entity: string | null) => void;
}) {
  return (
    <li
      data-testid="lane"
      data-entity={entity}
      data-marks={marks}
      className={`lane-label${selected ? " selected" : ""}${highlighted ? " highlighted" : ""}`}
      style={{ height: LANE_H }}
    >
      <button
        type="button"
        className="lane-button"
        title={`${entity}: ${marks} event(s)`}
        aria-pressed={selected}
        onClick={() => onSelectEntity(selected ? null : entity)}
      >
        {clipMiddle(entity, 38)}
      </button>
      <span className="lane-count">{marks}</span>
    </li>
  );
});

function BrushRect({ a, b, height }: { a: number; b: number; height: number }) {
  return <rect data-testid="brush" className="brush" x={a} y={0} width={Math.max(1, b - a)} height={height} />;
}
