import { memo, startTransition, useEffect, useMemo, useRef, useState } from "react";
import {
  BaseEdge,
  Controls,
  getBezierPath,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  type Edge,
  type EdgeProps,
  type Node,
  type NodeProps,
  useReactFlow,
  useStore,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { Graph, GraphNode } from "../../wire";
import { layoutGraph, NODE_H, NODE_W } from "./graphLayout";
import { layoutInWorker, type Positions } from "./elkLayout";
import { Empty } from "../States";

const MAX_LABEL = 23;

/** Shortens in the middle, keeping a pod's unique suffix: "redis-cart-5b8…-k7x2p". */
export function clipMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.min(9, Math.floor((max - 1) / 2));
  return `${text.slice(0, max - 1 - tail)}…${text.slice(text.length - tail)}`;
}

type EntityData = GraphNode & { highlighted: boolean; selected: boolean; mark: string };
type EntityNodeType = Node<EntityData, "entity">;
type RelationEdgeType = Edge<{ relation: string; inferred: boolean }, "relation">;

const EntityNode = memo(function EntityNode({ data, positionAbsoluteX, positionAbsoluteY }: NodeProps<EntityNodeType>) {
  const n = data;
  const cls = [
    "graph-node",
    n.root ? "root" : "",
    n.inferred ? "inferred" : "",
    n.firing > 0 ? "firing" : "",
    n.highlighted ? "highlighted" : "",
    n.selected ? "selected" : "",
    n.mark,
  ]
    .filter(Boolean)
    .join(" ");
  return (
    <div
      className={cls}
      data-testid="graph-node"
      data-entity={n.id}
      data-root={n.root ? "true" : "false"}
      data-highlighted={n.highlighted ? "true" : "false"}
      data-x={Math.round(positionAbsoluteX)}
      data-y={Math.round(positionAbsoluteY)}
      title={`${n.id}\n${n.signalCount} signal(s), ${n.firing} firing${n.root ? "\nmost likely root cause" : ""}${
        n.inferred ? "\ninferred from a signal's entity" : ""
      }`}
      style={{ width: NODE_W, height: NODE_H }}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} className="graph-handle" />
      <div className="graph-kind">{n.kind}</div>
      <div className="graph-label">{clipMiddle(n.label, MAX_LABEL)}</div>
      {n.root ? <span className="graph-root-tag">root cause</span> : null}
      {n.signalCount > 0 ? (
        <span className="graph-count" data-testid="graph-count" title={`${n.signalCount} signal(s)`}>
          {n.signalCount}
        </span>
      ) : null}
      <Handle type="source" position={Position.Bottom} isConnectable={false} className="graph-handle" />
    </div>
  );
});

function RelationEdge(props: EdgeProps<RelationEdgeType>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, markerEnd } = props;
  const [path, lx, ly] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const inferred = data?.inferred ?? false;
  // The label is SVG text in the edge's own group: no HTML overlay per edge,
  // which is what a 900-edge graph cannot afford. The stroke is a halo in the
  // background colour so the label reads over the line.
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        style={{ strokeDasharray: inferred ? "6 4" : undefined, strokeWidth: 1.5 }}
      />
      <text
        x={lx}
        y={ly}
        className={`edge-label${inferred ? " inferred" : ""}`}
        data-testid="edge-label"
        data-inferred={inferred ? "true" : "false"}
        textAnchor="middle"
        dominantBaseline="central"
      >
        {data?.relation}
      </text>
    </>
  );
}

const nodeTypes = { entity: EntityNode };
const edgeTypes = { relation: RelationEdge };

/** Above this many nodes the graph waits for ELK instead of drawing twice. */
export const BIG_GRAPH = 120;
/** How long a big graph waits for ELK before it draws the quick layout. */
const ELK_PATIENCE_MS = 10_000;

type Props = {
  graph: Graph;
  /** Entities to highlight (from the timeline brush or a picked entity); null: no selection. */
  highlighted?: ReadonlySet<string> | null;
  selectedEntity?: string | null;
  onSelectEntity?: (entity: string | null) => void;
  /** Extra class per entity (the Topology screen marks what an impact reaches). */
  marks?: ReadonlyMap<string, string> | null;
  /** Fill the screen's height (Topology) instead of sizing to the graph. */
  tall?: boolean;
  /** Called with the layout that is shown, once it is (for measurements). */
  onLaidOut?: (kind: "elk" | "quick") => void;
};

/**
 * The entities and how they relate. A small graph draws its quick layered
 * layout at once and moves to ELK's (computed in a Web Worker) when ready; a
 * big one waits for ELK, so it is drawn once, while the rest of the screen is
 * already usable. The root cause is highlighted; inferred nodes and edges are
 * dashed. Node objects keep their identity while their look is unchanged, so
 * a click re-renders the nodes it changes, not all of them.
 */
export const GraphView = memo(function GraphView({ graph, highlighted = null, selectedEntity = null, onSelectEntity, marks = null, tall = false, onLaidOut }: Props) {
  const big = graph.nodes.length > BIG_GRAPH;
  // The layout depends on the graph's shape only: a refetch that changes a
  // count or a flag keeps the positions and does not lay out again.
  const shape = useMemo(() => shapeOf(graph), [graph]);
  const latest = useRef(graph);
  latest.current = graph;
  const quick = useMemo(() => layoutGraph(latest.current), [shape]);
  const current = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph]);
  const [elk, setElk] = useState<{ shape: string; positions: Positions | null } | null>(null);

  useEffect(() => {
    const g = latest.current;
    if (g.nodes.length === 0) return;
    let cancelled = false;
    const giveUp = setTimeout(() => !cancelled && setElk({ shape, positions: null }), ELK_PATIENCE_MS);
    layoutInWorker(g).then(
      // A transition: drawing 500 nodes yields to clicks and scrolls.
      (positions) => !cancelled && startTransition(() => setElk({ shape, positions })),
      () => !cancelled && setElk({ shape, positions: null }), // keep the quick layout
    );
    return () => {
      cancelled = true;
      clearTimeout(giveUp);
    };
  }, [shape]);

  const settled = elk !== null && elk.shape === shape;
  const positions = settled ? elk.positions : null;
  const layout: "elk" | "quick" | "pending" = positions ? "elk" : settled || !big ? "quick" : "pending";

  useEffect(() => {
    if (layout !== "pending") onLaidOut?.(layout);
  }, [layout, onLaidOut]);

  const fit = useMemo(() => {
    const focus = big ? focusOf(latest.current) : [];
    return focus.length ? { ...FIT, nodes: focus, maxZoom: 1 } : FIT;
  }, [shape, big]);

  const cache = useRef(new Map<string, { key: string; node: EntityNodeType }>());
  // Until the user zooms or pans, the view keeps fitting its box (a window
  // resized, a scrollbar that came with the signals list).
  const moved = useRef(false);
  const nodes = useMemo<EntityNodeType[]>(() => {
    if (layout === "pending") return [];
    const next = new Map<string, { key: string; node: EntityNodeType }>();
    const out = quick.nodes.map((placed) => {
      const n = current.get(placed.id) ?? placed;
      const p = positions?.[n.id] ?? { x: placed.x, y: placed.y };
      const hl = highlighted?.has(n.id) ?? false;
      const selected = selectedEntity === n.id;
      const mark = marks?.get(n.id) ?? "";
      const key = `${p.x},${p.y},${hl},${selected},${mark},${n.signalCount},${n.firing},${n.root}`;
      const old = cache.current.get(n.id);
      if (old && old.key === key) {
        next.set(n.id, old);
        return old.node;
      }
      const node: EntityNodeType = {
        id: n.id,
        type: "entity",
        position: p,
        width: NODE_W,
        height: NODE_H,
        draggable: false,
        connectable: false,
        handles: HANDLES,
        data: { ...n, highlighted: hl, selected, mark },
      };
      next.set(n.id, { key, node });
      return node;
    });
    cache.current = next;
    return out;
  }, [quick, current, positions, layout, highlighted, selectedEntity, marks]);

  const edges = useMemo<RelationEdgeType[]>(
    () =>
      quick.edges.map((e, i) => ({
        id: `${e.from}->${e.to}:${e.relation}:${i}`,
        source: e.from,
        target: e.to,
        type: "relation",
        className: e.inferred ? "inferred" : undefined,
        markerEnd: ARROW,
        data: { relation: e.relation, inferred: e.inferred },
      })),
    [quick],
  );

  if (graph.nodes.length === 0) {
    return (
      <div data-testid="graph" className="graph">
        <Empty>No entities to draw: none of the signals names a Kubernetes object or host.</Empty>
      </div>
    );
  }
  const span = positions ? Math.max(0, ...Object.values(positions).map((p) => p.y)) + NODE_H + 28 : quick.height;
  const height = tall ? undefined : Math.min(560, Math.max(220, span + 48));
  return (
    <div
      data-testid="graph"
      // Dimming what is not picked is one class here, not a change to every
      // node: a click re-renders the nodes it picks, not all 500.
      className={`graph${tall ? " tall" : ""}${highlighted !== null ? " picking" : ""}`}
      data-layout={layout}
      style={{ height }}
      role="group"
      aria-label={`Graph of ${graph.nodes.length} entities`}
      aria-busy={layout === "pending"}
    >
      {layout === "pending" ? (
        <div className="state state-loading graph-pending" role="status">
          <span className="spinner" aria-hidden="true" /> Laying out {graph.nodes.length} entities…
        </div>
      ) : (
        <ReactFlow
          // A small graph moves from the quick layout to ELK's: a new mount
          // fits the view to it (cheap below BIG_GRAPH); a big one mounts once.
          key={layout}
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          fitView
          fitViewOptions={fit}
          minZoom={0.005}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          proOptions={{ hideAttribution: true }}
          colorMode="system"
          onNodeClick={(_, node) => onSelectEntity?.(selectedEntity === node.id ? null : node.id)}
          onPaneClick={() => selectedEntity && onSelectEntity?.(null)}
          onMoveStart={(event) => {
            if (event) moved.current = true;
          }}
        >
          <FitOnReady options={fit} moved={moved} />
          {tall || big ? <Controls showInteractive={false} fitViewOptions={FIT} /> : null}
        </ReactFlow>
      )}
    </div>
  );
});

const FIT = { padding: 0.1 };
const ARROW = { type: MarkerType.ArrowClosed, width: 16, height: 16 };
const HANDLES: EntityNodeType["handles"] = [
  { type: "target", position: Position.Top, x: NODE_W / 2, y: 0, width: 1, height: 1 },
  { type: "source", position: Position.Bottom, x: NODE_W / 2, y: NODE_H, width: 1, height: 1 },
];

/** What the layout depends on: the nodes and the edges, not their counts. */
export function shapeOf(graph: Graph): string {
  const nodes = graph.nodes.map((n) => n.id).join("\n");
  const edges = graph.edges.map((e) => `${e.from}>${e.to}:${e.relation}:${e.inferred ? 1 : 0}`).join("\n");
  return `${nodes}\n|\n${edges}`;
}

/**
 * Where a big graph opens: its root causes at a readable zoom, rather than
 * 500 specks; "fit view" in the controls shows it all. (Their neighbours can
 * sit a layer-width away in a wide layout, so they are not fitted too.)
 */
export function focusOf(graph: Graph): { id: string }[] {
  return graph.nodes.filter((n) => n.root).map((n) => ({ id: n.id }));
}

/**
 * Fits the view again when its box changes size (a window resized, a
 * scrollbar that came with the signals list), until the user has zoomed or
 * panned: from then on the view is theirs. The first fit is React Flow's
 * `fitView` (on the root causes, for a big graph).
 */
function FitOnReady({
  options,
  moved,
}: {
  options: typeof FIT & { nodes?: { id: string }[]; maxZoom?: number };
  moved: { readonly current: boolean };
}) {
  const rf = useReactFlow();
  // React Flow's own measure of its box: a fit after it changed uses the new size.
  const width = useStore((st) => st.width);
  const height = useStore((st) => st.height);
  useEffect(() => {
    if (!width || !height || moved.current) return;
    const id = requestAnimationFrame(() => void rf.fitView(options));
    return () => cancelAnimationFrame(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [width, height, rf]);
  return null;
}
