/// <reference lib="webworker" />
// ELK's layered layout, off the main thread: a 500-node graph takes a while
// and the page must stay responsive meanwhile.
import ELK from "elkjs/lib/elk.bundled.js";
import type { ElkNode } from "elkjs/lib/elk-api";

const elk = new ELK();

type Request = { id: number; graph: ElkNode };

self.onmessage = async (e: MessageEvent<Request>) => {
  const { id, graph } = e.data;
  const started = performance.now();
  try {
    const out = await elk.layout(graph);
    const positions: Record<string, { x: number; y: number }> = {};
    for (const c of out.children ?? []) positions[c.id] = { x: c.x ?? 0, y: c.y ?? 0 };
    self.postMessage({ id, positions, ms: performance.now() - started });
  } catch (err) {
    self.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
