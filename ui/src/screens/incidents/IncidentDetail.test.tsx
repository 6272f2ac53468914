import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { IncidentDetail } from "./IncidentDetail";
import { sampleDetail } from "../../test/sample";
import { ApiError } from "../../platform/errors";

afterEach(cleanup);

const now = Date.parse("2026-01-01T10:05:00Z");

describe("IncidentDetail", () => {
  it("shows the insight, the root cause with its confidence and the impacted entities", () => {
    render(<IncidentDetail detail={sampleDetail} now={now} />);
    expect(screen.getByTestId("incident-detail")).toBeTruthy();
    expect(screen.getByTestId("insight").textContent).toBe(sampleDetail.insight);
    const root = screen.getByTestId("root-cause");
    expect(root.textContent).toContain("pod/shop/cart-7d9f8b6c5-x2b4k");
    expect(root.textContent).toContain("60% confidence");
    expect(root.textContent).toContain("earliest onset");
    const impacted = screen.getByRole("region", { name: "Impacted entities" });
    expect(impacted.textContent).toContain("deployment/shop/cart");
    expect(impacted.textContent).toContain("service/shop/cart");
  });

  it("says what to try first when a change preceded the incident, and nothing when none did", () => {
    const { rerender } = render(<IncidentDetail detail={sampleDetail} now={now} />);
    expect(screen.queryByTestId("suggested-action")).toBeNull();
    rerender(<IncidentDetail detail={{ ...sampleDetail, suggestedAction: "roll back deploy cartservice v1.4.2" }} now={now} />);
    expect(screen.getByTestId("suggested-action").textContent).toBe("Try first: roll back deploy cartservice v1.4.2");
  });

  it("highlights the root node of the graph and only that one", () => {
    render(<IncidentDetail detail={sampleDetail} now={now} />);
    const graph = screen.getByTestId("graph");
    const nodes = graph.querySelectorAll('[data-testid="graph-node"]');
    expect(nodes).toHaveLength(3);
    const roots = graph.querySelectorAll('[data-root="true"]');
    expect(roots).toHaveLength(1);
    expect(roots[0].getAttribute("data-entity")).toBe("pod/shop/cart-7d9f8b6c5-x2b4k");
    expect(roots[0].getAttribute("class")).toContain("root");
    expect(roots[0].textContent).toContain("cart-7d9f8b6c5-x2b4k");
    // The owner sits above what it owns.
    const y = (id: string) => Number(graph.querySelector(`[data-entity="${id}"]`)!.getAttribute("data-y"));
    expect(y("deployment/shop/cart")).toBeLessThan(y("pod/shop/cart-7d9f8b6c5-x2b4k"));
  });

  it("says how many signals a big incident holds and shows more a page at a time", async () => {
    const [first, ...rest] = sampleDetail.signals;
    const big = { ...sampleDetail, signals: [first], signalTotal: sampleDetail.signals.length };
    const loadMore = vi.fn(async (offset: number) => sampleDetail.signals.slice(offset));
    render(<IncidentDetail detail={big} now={now} loadMore={loadMore} />);
    expect(screen.getAllByTestId("signal-row")).toHaveLength(1);
    const more = screen.getByTestId("signals-more");
    expect(more.textContent).toContain(`The first 1 of ${sampleDetail.signals.length} signals, in the order they joined`);
    fireEvent.click(within(more).getByRole("button", { name: `Show ${rest.length} more` }));
    await waitFor(() => expect(screen.getAllByTestId("signal-row")).toHaveLength(sampleDetail.signals.length));
    expect(loadMore).toHaveBeenCalledWith(1);
    expect(screen.queryByTestId("signals-more")).toBeNull();
  });

  it("says what a bounded graph and impacted list leave out", () => {
    const { rerender } = render(<IncidentDetail detail={sampleDetail} now={now} />);
    expect(screen.queryByTestId("graph-omitted")).toBeNull();
    const impacted = Array.from({ length: 200 }, (_, i) => `deployment/shop/d${i}`);
    const bounded = { ...sampleDetail, graph: { ...sampleDetail.graph, omitted: 99700 }, impacted, impactedOmitted: 4000 };
    rerender(<IncidentDetail detail={bounded} now={now} />);
    expect(screen.getByTestId("graph-omitted").textContent).toContain("99700 more are left out");
    const region = screen.getByRole("region", { name: "Impacted entities" });
    fireEvent.click(within(region).getByRole("button", { name: "and 4192 more" }));
    expect(within(region).getAllByRole("listitem")).toHaveLength(201);
    expect(screen.getByTestId("impacted-omitted").textContent).toBe("and 4000 more, not listed");
  });

  it("says when the analysis read only the ends of a big incident", () => {
    const { rerender } = render(<IncidentDetail detail={sampleDetail} now={now} />);
    expect(screen.queryByTestId("signals-analysed")).toBeNull();
    rerender(<IncidentDetail detail={{ ...sampleDetail, signalTotal: 83349, signalsAnalysed: 5000 }} now={now} />);
    expect(screen.getByTestId("signals-analysed").textContent).toBe(
      "Analysed from 5000 of its 83349 signals: the first and the latest to join it.",
    );
  });

  it("lists every signal with its correlation reason", () => {
    render(<IncidentDetail detail={sampleDetail} now={now} />);
    const rows = screen.getAllByTestId("signal-row");
    expect(rows).toHaveLength(sampleDetail.signals.length);
    rows.forEach((row, i) => {
      const s = sampleDetail.signals[i];
      const reason = within(row).getByTestId("link-reason");
      expect(row.textContent).toContain(s.title);
      expect(reason.textContent).toContain(s.link!.explanation);
      expect(reason.textContent).toContain(s.link!.strategy);
      expect(reason.textContent).toContain(s.link!.confidence);
    });
    expect(within(rows[1]).getByTestId("link-reason").textContent).toContain("0.85");
  });

  it("shows the timeline", () => {
    render(<IncidentDetail detail={sampleDetail} now={now} />);
    expect(screen.getByText("Incident opened")).toBeTruthy();
    expect(screen.getByText("KubeDeploymentReplicasMismatch fired")).toBeTruthy();
  });

  it("acknowledges and shows an error message, not [object Object]", async () => {
    const onSetStatus = vi.fn().mockRejectedValueOnce(new ApiError("forbidden", "read-only session"));
    render(<IncidentDetail detail={sampleDetail} now={now} onSetStatus={onSetStatus} />);
    fireEvent.click(screen.getByRole("button", { name: "Acknowledge" }));
    expect(onSetStatus).toHaveBeenCalledWith("acknowledged");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("read-only session (forbidden)");
    fireEvent.click(screen.getByRole("button", { name: "Resolve" }));
    expect(onSetStatus).toHaveBeenLastCalledWith("resolved");
    await waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
  });

  it("offers no actions on a resolved incident", () => {
    render(
      <IncidentDetail
        detail={{ ...sampleDetail, status: "resolved", resolvedAt: "2026-01-01T10:04:30Z" }}
        now={now}
        onSetStatus={vi.fn()}
      />,
    );
    expect((screen.getByRole("button", { name: "Acknowledge" }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole("button", { name: "Resolve" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
