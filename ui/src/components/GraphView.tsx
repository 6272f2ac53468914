import { memo, useEffect, useMemo, useState } from "react";
import {
  BaseEdge,
  EdgeLabelRenderer,
  getBezierPath,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  type Edge,
  type EdgeProps,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { Graph, GraphNode } from "../wire";
import { layoutGraph, NODE_H, NODE_W } from "../graphLayout";
import { layoutInWorker, type Positions } from "../elkLayout";
import { Empty } from "./States";

const MAX_LABEL = 23;

/** Shortens in the middle, keeping a pod's unique suffix: "redis-cart-5b8…-k7x2p". */
export function clipMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.min(9, Math.floor((max - 1) / 2));
  return `${text.slice(0, max - 1 - tail)}…${text.slice(text.length - tail)}`;
}

type EntityData = GraphNode & { highlighted: boolean; dimmed: boolean; selected: boolean };
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
    n.dimmed ? "dimmed" : "",
    n.selected ? "selected" : "",
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
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        style={{ strokeDasharray: inferred ? "6 4" : undefined, strokeWidth: 1.5 }}
      />
      <EdgeLabelRenderer>
        <div
          className={`edge-label${inferred ? " inferred" : ""}`}
          data-testid="edge-label"
          data-inferred={inferred ? "true" : "false"}
          style={{ transform: `translate(-50%, -50%) translate(${lx}px, ${ly}px)` }}
        >
          {data?.relation}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

const nodeTypes = { entity: EntityNode };
const edgeTypes = { relation: RelationEdge };

type Props = {
  graph: Graph;
  /** Entities to highlight (from the timeline brush or a picked entity); null: no selection. */
  highlighted?: ReadonlySet<string> | null;
  selectedEntity?: string | null;
  onSelectEntity?: (entity: string | null) => void;
};

/**
 * The incident's entities and how they relate. A quick layered layout draws
 * at once; ELK's, computed in a Web Worker, replaces it when ready. The root
 * cause is highlighted; inferred nodes and edges are dashed.
 */
export function GraphView({ graph, highlighted = null, selectedEntity = null, onSelectEntity }: Props) {
  const quick = useMemo(() => layoutGraph(graph), [graph]);
  const [elk, setElk] = useState<{ graph: Graph; positions: Positions } | null>(null);

  useEffect(() => {
    if (graph.nodes.length === 0) return;
    let cancelled = false;
    layoutInWorker(graph).then(
      (positions) => !cancelled && setElk({ graph, positions }),
      () => {}, // keep the quick layout
    );
    return () => {
      cancelled = true;
    };
  }, [graph]);

  const positions = elk && elk.graph === graph ? elk.positions : null;

  const nodes = useMemo<EntityNodeType[]>(
    () =>
      quick.nodes.map((n) => {
        const p = positions?.[n.id] ?? { x: n.x, y: n.y };
        const hl = highlighted?.has(n.id) ?? false;
        return {
          id: n.id,
          type: "entity",
          position: p,
          width: NODE_W,
          height: NODE_H,
          draggable: false,
          connectable: false,
          handles: [
            { type: "target", position: Position.Top, x: NODE_W / 2, y: 0, width: 1, height: 1 },
            { type: "source", position: Position.Bottom, x: NODE_W / 2, y: NODE_H, width: 1, height: 1 },
          ],
          data: {
            ...n,
            highlighted: hl,
            dimmed: highlighted !== null && !hl,
            selected: selectedEntity === n.id,
          },
        };
      }),
    [quick, positions, highlighted, selectedEntity],
  );

  const edges = useMemo<RelationEdgeType[]>(
    () =>
      quick.edges.map((e, i) => ({
        id: `${e.from}->${e.to}:${e.relation}:${i}`,
        source: e.from,
        target: e.to,
        type: "relation",
        className: e.inferred ? "inferred" : undefined,
        markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
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
  const height = Math.min(560, Math.max(220, span + 48));
  return (
    <div
      data-testid="graph"
      className="graph"
      data-layout={positions ? "elk" : "quick"}
      style={{ height }}
      role="img"
      aria-label={`Graph of ${graph.nodes.length} entities`}
    >
      <ReactFlow
        key={positions ? "elk" : "quick"}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        fitView
        fitViewOptions={{ padding: 0.1 }}
        minZoom={0.05}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_, node) => onSelectEntity?.(selectedEntity === node.id ? null : node.id)}
        onPaneClick={() => selectedEntity && onSelectEntity?.(null)}
      />
    </div>
  );
}
