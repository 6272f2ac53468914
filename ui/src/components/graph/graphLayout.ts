import type { Graph, GraphNode } from "../../wire";

export const NODE_W = 216;
export const NODE_H = 56;
const GAP_X = 28;
const GAP_Y = 52;
const PAD = 14;
/** Nodes per visual row; a wider layer wraps onto more rows. */
export const MAX_PER_ROW = 4;

export type PlacedNode = GraphNode & { x: number; y: number };
export type PlacedEdge = {
  from: string;
  to: string;
  relation: string;
  inferred: boolean;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
};
export type Layout = { nodes: PlacedNode[]; edges: PlacedEdge[]; width: number; height: number };

/**
 * A layered top-down layout: owners above what they own. Each node's layer is
 * the longest edge path that reaches it (cycles are cut); within a layer,
 * nodes sit under the average position of their parents.
 */
export function layoutGraph(graph: Graph): Layout {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to);
  const parents = new Map<string, string[]>();
  for (const n of graph.nodes) parents.set(n.id, []);
  for (const e of edges) parents.get(e.to)!.push(e.from);

  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle: cut it here
    visiting.add(id);
    let d = 0;
    for (const p of parents.get(id) ?? []) d = Math.max(d, depthOf(p) + 1);
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const layers: GraphNode[][] = [];
  for (const n of graph.nodes) {
    const d = depthOf(n.id);
    (layers[d] ??= []).push(n);
  }

  const columnOf = new Map<string, number>();
  const rows: GraphNode[][] = [];
  for (const layer of layers) {
    if (!layer) continue;
    const key = (n: GraphNode) => {
      const ps = (parents.get(n.id) ?? []).map((p) => columnOf.get(p)).filter((c): c is number => c !== undefined);
      return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : Number.POSITIVE_INFINITY;
    };
    const sorted = [...layer].sort((a, b) => key(a) - key(b) || a.id.localeCompare(b.id));
    for (let i = 0; i < sorted.length; i += MAX_PER_ROW) {
      const row = sorted.slice(i, i + MAX_PER_ROW);
      row.forEach((n, col) => columnOf.set(n.id, col));
      rows.push(row);
    }
  }

  const widest = Math.max(1, ...rows.map((r) => r.length));
  const width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const height = PAD * 2 + rows.length * NODE_H + Math.max(0, rows.length - 1) * GAP_Y;
  const placed = new Map<string, PlacedNode>();
  rows.forEach((row, r) => {
    const rowWidth = row.length * NODE_W + (row.length - 1) * GAP_X;
    const start = (width - rowWidth) / 2;
    row.forEach((n, c) => {
      placed.set(n.id, { ...n, x: start + c * (NODE_W + GAP_X), y: PAD + r * (NODE_H + GAP_Y) });
    });
  });

  const placedEdges: PlacedEdge[] = edges.map((e) => {
    const a = placed.get(e.from)!;
    const b = placed.get(e.to)!;
    const down = b.y >= a.y;
    return {
      ...e,
      x1: a.x + NODE_W / 2,
      y1: down ? a.y + NODE_H : a.y,
      x2: b.x + NODE_W / 2,
      y2: down ? b.y : b.y + NODE_H,
    };
  });
  return { nodes: graph.nodes.map((n) => placed.get(n.id)!), edges: placedEdges, width, height };
}
