import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { IncidentDetail, applySelection } from "./IncidentDetail";
import { buildLanes, rangeFromPixels } from "./Swimlanes";
import { SignalsTable } from "../../components/SignalsTable";
import { sampleDetail } from "../../test/sample";
import { stormDetail } from "../../test/storm";

afterEach(cleanup);
const now = Date.parse("2026-01-01T10:05:00Z");

describe("swimlanes, graph and signals, linked", () => {
  it("draws a lane per entity with a mark per fired entry", () => {
    const { lanes, t0, t1 } = buildLanes(sampleDetail.timeline, sampleDetail.signals);
    expect(lanes.map((l) => l.entity)).toEqual(["deployment/shop/cart"]);
    expect(lanes[0].marks).toHaveLength(1);
    expect(t1).toBeGreaterThan(t0);
    expect(rangeFromPixels(80, 20, 100, 0, 1000)).toEqual([200, 800]);
    expect(rangeFromPixels(-5, 500, 100, 0, 1000)).toEqual([0, 1000]);
  });

  it("clicking a graph node highlights it and filters the signal list", () => {
    render(<IncidentDetail detail={sampleDetail} now={now} />);
    expect(screen.getAllByTestId("signal-row")).toHaveLength(3);
    const graph = screen.getByTestId("graph");
    const node = graph.querySelector('[data-entity="deployment/shop/cart"]')!;
    fireEvent.click(node);
    const rows = screen.getAllByTestId("signal-row");
    expect(rows).toHaveLength(1);
    expect(rows[0].getAttribute("data-signal-id")).toBe("s2");
    expect(graph.querySelector('[data-entity="deployment/shop/cart"]')!.getAttribute("data-highlighted")).toBe("true");
    expect(graph.querySelector('[data-entity="service/shop/cart"]')!.getAttribute("data-highlighted")).toBe("false");
    expect(screen.getByTestId("selection-bar").textContent).toContain("Showing 1 of 3 signals");
    // The lane of the picked entity is marked too.
    expect(screen.getByTestId("lane").className).toContain("selected");
    fireEvent.click(within(screen.getByTestId("selection-bar")).getByRole("button", { name: "Clear" }));
    expect(screen.getAllByTestId("signal-row")).toHaveLength(3);
    // Escape lets go too.
    fireEvent.click(graph.querySelector('[data-entity="deployment/shop/cart"]')!);
    expect(screen.getAllByTestId("signal-row")).toHaveLength(1);
    fireEvent.keyDown(window, { key: "Escape" });
    expect(screen.getAllByTestId("signal-row")).toHaveLength(3);
    expect(screen.queryByTestId("selection-bar")).toBeNull();
  });

  it("lanes by service: a lane per service, and picking one keeps its signals", () => {
    // The one signal with a timeline entry moves to another service, and gets a lane of its own.
    const fired = sampleDetail.timeline.find((t) => t.kind === "fired")!.signalId!;
    const other = sampleDetail.signals.find((s) => s.id !== fired)!;
    const detail = {
      ...sampleDetail,
      signals: sampleDetail.signals.map((s) => (s.id === fired ? { ...s, service: "frontend" } : s)),
      timeline: [...sampleDetail.timeline, { at: other.occurredAt, kind: "fired", signalId: other.id, entity: other.entity, text: other.title }],
    };
    const { lanes } = buildLanes(detail.timeline, detail.signals, "service");
    const keys = lanes.map((l) => l.entity).sort();
    expect(keys).toContain("frontend");
    expect(keys).toContain("cart");
    render(<IncidentDetail detail={detail} now={now} />);
    fireEvent.click(within(screen.getByTestId("swimlanes")).getByRole("button", { name: "service" }));
    const frontend = screen.getAllByTestId("lane").find((l) => l.dataset.entity === "frontend")!;
    fireEvent.click(within(frontend).getByRole("button"));
    const rows = screen.getAllByTestId("signal-row");
    expect(rows.map((r) => r.dataset.signalId)).toEqual([fired]);
    expect(screen.getByTestId("selection-bar").textContent).toContain("service frontend");
    expect(frontend.className).toContain("selected");
  });

  it("brushing a time range keeps the signals in it and highlights their entities", () => {
    render(<IncidentDetail detail={sampleDetail} now={now} />);
    const plot = screen.getByTestId("lanes-plot");
    vi.spyOn(plot, "getBoundingClientRect").mockReturnValue({
      left: 0, top: 0, width: 1000, height: 22, right: 1000, bottom: 22, x: 0, y: 0, toJSON: () => ({}),
    } as DOMRect);
    // The lanes span 10:00:00 (opened) to 10:02:00: the last half is 10:01:00–10:02:00.
    fireEvent.pointerDown(plot, { clientX: 500, pointerId: 1 });
    fireEvent.pointerMove(plot, { clientX: 1000, pointerId: 1 });
    fireEvent.pointerUp(plot, { clientX: 1000, pointerId: 1 });
    const rows = screen.getAllByTestId("signal-row");
    expect(rows.map((r) => r.getAttribute("data-signal-id"))).toEqual(["s2"]);
    expect(screen.getByTestId("graph").querySelector('[data-entity="deployment/shop/cart"]')!.getAttribute("data-highlighted")).toBe(
      "true",
    );
    expect(screen.getByTestId("brush")).toBeTruthy();
  });

  it("applySelection combines an entity and a range", () => {
    const t = Date.parse("2026-01-01T10:02:00Z");
    expect(applySelection(sampleDetail.signals, { entity: null, range: null }).entities).toBeNull();
    const r = applySelection(sampleDetail.signals, { entity: "service/shop/cart", range: [t, t + 120_000] });
    expect(r.signals.map((s) => s.id)).toEqual(["s3"]);
    expect([...r.entities!]).toEqual(["service/shop/cart"]);
  });

  it("virtualizes a long signal list: 10k signals, a screenful of rows in the DOM", async () => {
    const detail = stormDetail({ signals: 10_000, nodes: 500 });
    // jsdom lays nothing out: give the scroller a viewport's height.
    const h = vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(640);
    const w = vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1000);
    const r = vi.spyOn(HTMLElement.prototype, "offsetHeight", "get").mockReturnValue(66);
    render(<SignalsTable signals={detail.signals} now={now} />);
    const rows = await screen.findAllByTestId("signal-row");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(100);
    expect(rows[0].getAttribute("data-signal-id")).toBe("storm-0");
    expect(screen.getByRole("table").getAttribute("aria-rowcount")).toBe("10000");
    h.mockRestore();
    r.mockRestore();
    w.mockRestore();
  });
});
