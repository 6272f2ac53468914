import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { Topology } from "./Topology";
import type { ImpactView, TopologyView } from "../../wire";
import { ApiError } from "../../platform/errors";

afterEach(cleanup);

const node = (id: string, extra: Partial<TopologyView["graph"]["nodes"][0]> = {}) => ({
  id,
  kind: id.split("/")[0],
  label: id.split("/").pop()!,
  signalCount: 0,
  firing: 0,
  root: false,
  inferred: false,
  ...extra,
});

const view: TopologyView = {
  loaded: true,
  graph: {
    nodes: [
      node("service/shop/frontend"),
      node("service/shop/cart"),
      node("deployment/shop/cart", { signalCount: 3, firing: 2, root: true }),
      node("deployment/shop/frontend"),
    ],
    edges: [
      { from: "service/shop/frontend", to: "service/shop/cart", relation: "calls", inferred: false },
      { from: "service/shop/cart", to: "deployment/shop/cart", relation: "selects", inferred: false },
      { from: "service/shop/frontend", to: "deployment/shop/frontend", relation: "selects", inferred: false },
    ],
  },
  roots: [{ incidentId: "inc-1", title: "cart out of memory", entity: "deployment/shop/cart" }],
};

const impact: ImpactView = {
  entity: "deployment/shop/cart",
  impacted: ["service/shop/cart", "service/shop/frontend"],
  paths: [["service/shop/cart selects deployment/shop/cart"], ["service/shop/frontend calls service/shop/cart", "service/shop/cart selects deployment/shop/cart"]],
  known: true,
};

describe("Topology", () => {
  it("says how to load a topology when there is none", () => {
    render(<Topology topology={{ data: { loaded: false, graph: { nodes: [], edges: [] }, roots: [] }, error: null }} entity={null} api={{ topologyImpact: vi.fn() }} go={vi.fn()} />);
    expect(screen.getByTestId("topology").textContent).toContain("No topology loaded");
    expect(screen.getByTestId("topology").textContent).toContain("--topology DIR");
  });

  it("shows a loading state, then an error as {code, message}", () => {
    const { rerender } = render(<Topology topology={{ data: null, error: null }} entity={null} api={{ topologyImpact: vi.fn() }} go={vi.fn()} />);
    expect(screen.getByRole("status").textContent).toContain("Loading the topology");
    rerender(<Topology topology={{ data: null, error: new ApiError("storage", "disk I/O error") }} entity={null} api={{ topologyImpact: vi.fn() }} go={vi.fn()} />);
    expect(screen.getByRole("alert").textContent).toContain("disk I/O error (storage)");
  });

  it("lists failing entities first and picks one by its address", () => {
    const go = vi.fn();
    render(<Topology topology={{ data: view, error: null }} entity={null} api={{ topologyImpact: vi.fn() }} go={go} />);
    const picks = screen.getAllByTestId("entity-pick");
    expect(picks[0].dataset.entity).toBe("deployment/shop/cart");
    expect(screen.getByTestId("topology-roots").textContent).toContain("cart out of memory");
    fireEvent.change(screen.getByTestId("entity-search"), { target: { value: "front" } });
    const left = screen.getAllByTestId("entity-pick");
    expect(left.map((p) => p.dataset.entity)).toEqual(["deployment/shop/frontend", "service/shop/frontend"]);
    fireEvent.click(left[1]);
    expect(go).toHaveBeenCalledWith({ screen: "topology", entity: "service/shop/frontend" });
  });

  it("asks what fails with the picked entity and marks the answer on the graph", async () => {
    const topologyImpact = vi.fn().mockResolvedValue(impact);
    render(<Topology topology={{ data: view, error: null }} entity="deployment/shop/cart" api={{ topologyImpact }} go={vi.fn()} />);
    expect(screen.getByTestId("picked-entity").textContent).toContain("3 signal(s) in open incidents, 2 firing");
    fireEvent.click(screen.getByTestId("what-if"));
    const answer = await screen.findByTestId("impact");
    expect(topologyImpact).toHaveBeenCalledWith("deployment/shop/cart");
    expect(within(answer).getByTestId("impact-count").textContent).toBe("2");
    const items = within(answer).getAllByTestId("impacted-entity");
    expect(items.map((i) => i.dataset.entity)).toEqual(["service/shop/cart", "service/shop/frontend"]);
    expect(items[1].textContent).toContain("service/shop/frontend calls service/shop/cart");
    const graph = screen.getByTestId("graph");
    const cls = (id: string) => graph.querySelector(`[data-entity="${id}"]`)!.getAttribute("class")!;
    await waitFor(() => expect(cls("deployment/shop/cart")).toContain("impact-source"));
    expect(cls("service/shop/frontend")).toContain("impacted");
    // Everything not reached is dimmed (by the graph's class, not per node).
    expect(graph.className).toContain("picking");
    expect(cls("deployment/shop/frontend")).not.toContain("highlighted");
  });

  it("shows why the question failed", async () => {
    const topologyImpact = vi.fn().mockRejectedValue(new ApiError("not_found", "no topology loaded"));
    render(<Topology topology={{ data: view, error: null }} entity="service/shop/cart" api={{ topologyImpact }} go={vi.fn()} />);
    fireEvent.click(screen.getByTestId("what-if"));
    expect((await screen.findByRole("alert")).textContent).toContain("no topology loaded (not_found)");
  });
});
