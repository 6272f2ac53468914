import { useMemo } from "react";
import type { Graph } from "../wire";
import { layoutGraph, NODE_H, NODE_W } from "../graphLayout";
import { Empty } from "./States";

const MAX_LABEL = 23;

/** Shortens in the middle, keeping a pod's unique suffix: "redis-cart-5b8…-k7x2p". */
export function clipMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.min(9, Math.floor((max - 1) / 2));
  return `${text.slice(0, max - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/**
 * The incident's entities and how they relate, as plain SVG boxes and
 * arrows. The root-cause node is highlighted; inferred nodes are dashed.
 */
export function GraphView({ graph }: { graph: Graph }) {
  const layout = useMemo(() => layoutGraph(graph), [graph]);
  if (graph.nodes.length === 0) {
    return (
      <div data-testid="graph" className="graph">
        <Empty>No entities to draw: none of the signals names a Kubernetes object or host.</Empty>
      </div>
    );
  }
  return (
    <div data-testid="graph" className="graph">
      <svg
        role="img"
        aria-label={`Graph of ${graph.nodes.length} entities`}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        width={layout.width}
        style={{ maxWidth: "100%", height: "auto" }}
      >
        <defs>
          <marker id="cw-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="graph-arrow" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <g key={`${e.from}->${e.to}:${e.relation}`} className={`graph-edge${e.inferred ? " inferred" : ""}`}>
            <line x1={e.x1} y1={e.y1} x2={e.x2} y2={e.y2} markerEnd="url(#cw-arrow)" />
            <text x={(e.x1 + e.x2) / 2 + 6} y={(e.y1 + e.y2) / 2 + 4} className="graph-edge-label">
              {e.relation}
            </text>
            <title>{`${e.from} ${e.relation} ${e.to}${e.inferred ? " (inferred)" : ""}`}</title>
          </g>
        ))}
        {layout.nodes.map((n) => (
          <g
            key={n.id}
            className={`graph-node${n.root ? " root" : ""}${n.inferred ? " inferred" : ""}${n.firing > 0 ? " firing" : ""}`}
            data-testid="graph-node"
            data-entity={n.id}
            data-root={n.root ? "true" : "false"}
            transform={`translate(${n.x} ${n.y})`}
          >
            <title>
              {`${n.id}\n${n.signalCount} signal(s), ${n.firing} firing${n.root ? "\nmost likely root cause" : ""}${
                n.inferred ? "\ninferred from a signal's entity" : ""
              }`}
            </title>
            <rect width={NODE_W} height={NODE_H} rx={8} ry={8} className="graph-box" />
            <text x={12} y={22} className="graph-kind">
              {n.kind}
            </text>
            <text x={12} y={42} className="graph-label">
              {clipMiddle(n.label, MAX_LABEL)}
            </text>
            {n.root ? (
              <g transform="translate(12 -9)" className="graph-root-tag">
                <rect width={90} height={17} rx={8.5} ry={8.5} />
                <text x={45} y={12.5} textAnchor="middle">
                  root cause
                </text>
              </g>
            ) : null}
            {n.signalCount > 0 ? (
              <g transform={`translate(${NODE_W - 14} 14)`} className="graph-count">
                <circle r={11} />
                <text textAnchor="middle" dy="0.35em">
                  {n.signalCount}
                </text>
              </g>
            ) : null}
          </g>
        ))}
      </svg>
    </div>
  );
}
