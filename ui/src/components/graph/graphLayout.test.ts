import { describe, expect, it } from "vitest";
import { layoutGraph, MAX_PER_ROW } from "./graphLayout";
import { clipMiddle } from "./GraphView";
import type { GraphNode } from "../../wire";

const node = (id: string): GraphNode => ({
  id,
  kind: id.split("/")[0],
  label: id.split("/").at(-1)!,
  signalCount: 1,
  firing: 1,
  root: false,
  inferred: false,
});

describe("layoutGraph", () => {
  it("puts owners above what they own and keeps every node", () => {
    const l = layoutGraph({
      nodes: [node("pod/a/x-1"), node("deployment/a/x"), node("node/n1")],
      edges: [
        { from: "deployment/a/x", to: "pod/a/x-1", relation: "owns", inferred: true },
        { from: "ghost/none", to: "pod/a/x-1", relation: "owns", inferred: true },
      ],
    });
    const at = (id: string) => l.nodes.find((n) => n.id === id)!;
    expect(l.nodes).toHaveLength(3);
    expect(at("deployment/a/x").y).toBeLessThan(at("pod/a/x-1").y);
    expect(l.edges).toHaveLength(1); // the edge to an unknown node is dropped
    expect(l.edges[0].y1).toBeLessThan(l.edges[0].y2);
  });

  it("survives cycles and wraps wide layers", () => {
    const many = Array.from({ length: MAX_PER_ROW + 2 }, (_, i) => node(`pod/a/p${i}`));
    const l = layoutGraph({
      nodes: [...many, node("x/a"), node("y/b")],
      edges: [
        { from: "x/a", to: "y/b", relation: "calls", inferred: false },
        { from: "y/b", to: "x/a", relation: "calls", inferred: false },
      ],
    });
    expect(l.nodes).toHaveLength(MAX_PER_ROW + 4);
    for (const n of l.nodes) expect(n.x + 1).toBeLessThanOrEqual(l.width);
    expect(new Set(l.nodes.map((n) => `${n.x},${n.y}`)).size).toBe(l.nodes.length); // no overlap
  });
});

describe("clipMiddle", () => {
  it("keeps short labels and a pod's unique suffix", () => {
    expect(clipMiddle("cart", 23)).toBe("cart");
    const c = clipMiddle("redis-cart-5b8f7d9c4-k7x2p-extra-long", 23);
    expect(c).toHaveLength(23);
    expect(c.endsWith("long")).toBe(true);
    expect(c).toContain("…");
  });
});
