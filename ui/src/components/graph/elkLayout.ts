import type { ElkNode } from "elkjs/lib/elk-api";
import type { Graph } from "../../wire";
import { NODE_H, NODE_W } from "./graphLayout";

export type Positions = Record<string, { x: number; y: number }>;

/** The ELK input for an incident graph: owners above what they own. */
export function elkGraphFor(graph: Graph): ElkNode {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const big = graph.nodes.length > 150;
  return {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.layered.spacing.nodeNodeBetweenLayers": "64",
      "elk.spacing.nodeNode": "28",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      // Big graphs: keep it fast rather than perfect. The edges are drawn by
      // React Flow, so ELK's own routing need only be the cheapest.
      "elk.layered.thoroughness": big ? "1" : "7",
      ...(big ? { "elk.edgeRouting": "POLYLINE", "elk.layered.crossingMinimization.greedySwitch.type": "OFF" } : {}),
      "elk.separateConnectedComponents": "true",
    },
    children: graph.nodes.map((n) => ({ id: n.id, width: NODE_W, height: NODE_H })),
    edges: graph.edges
      .filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to)
      .map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
}

type Pending = { resolve: (p: Positions) => void; reject: (e: Error) => void };
let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function getWorker(): Worker | null {
  if (worker) return worker;
  if (typeof Worker === "undefined") return null;
  try {
    worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
  } catch {
    return null;
  }
  worker.onmessage = (e: MessageEvent<{ id: number; positions?: Positions; error?: string }>) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    if (e.data.positions) p.resolve(e.data.positions);
    else p.reject(new Error(e.data.error ?? "layout failed"));
  };
  worker.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(e.message || "layout worker failed"));
    pending.clear();
  };
  return worker;
}

/**
 * Lays the graph out with ELK in a Web Worker. Rejects where there is no
 * Worker (tests, old shells): the caller keeps its quick layered layout.
 */
export function layoutInWorker(graph: Graph): Promise<Positions> {
  const w = getWorker();
  if (!w) return Promise.reject(new Error("no Web Worker here"));
  const id = nextId++;
  return new Promise<Positions>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, graph: elkGraphFor(graph) });
  });
}

/**
 * Starts the worker and has it lay out a two-node graph, so ELK's 1.4 MB is
 * parsed and warm before the first real graph needs it.
 */
export function prewarmLayout(): void {
  layoutInWorker({
    nodes: [
      { id: "a/a", kind: "a", label: "a", signalCount: 0, firing: 0, root: false, inferred: false },
      { id: "b/b", kind: "b", label: "b", signalCount: 0, firing: 0, root: false, inferred: false },
    ],
    edges: [{ from: "a/a", to: "b/b", relation: "owns", inferred: false }],
  }).catch(() => {});
}
