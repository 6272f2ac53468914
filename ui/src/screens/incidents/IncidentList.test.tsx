import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { DEFAULT_FILTER, filterIncidents, IncidentList, type IncidentFilter } from "./IncidentList";
import { sampleSummary } from "../../test/sample";
import type { IncidentSummary } from "../../wire";

afterEach(cleanup);

const incidents: IncidentSummary[] = [
  { ...sampleSummary, id: "a", title: "cart pods OOMKilled", severity: "critical", status: "active" },
  { ...sampleSummary, id: "b", title: "disk full on node-3", severity: "high", status: "acknowledged", rootCause: null, pattern: "resource_exhaustion" },
  { ...sampleSummary, id: "c", title: "checkout latency", severity: "medium", status: "resolved", rootCause: null },
];

describe("filterIncidents", () => {
  it("shows open incidents by default and all on request", () => {
    expect(filterIncidents(incidents, DEFAULT_FILTER).map((i) => i.id)).toEqual(["a", "b"]);
    expect(filterIncidents(incidents, { ...DEFAULT_FILTER, status: "all" }).map((i) => i.id)).toEqual(["a", "b", "c"]);
    expect(filterIncidents(incidents, { ...DEFAULT_FILTER, status: "resolved" }).map((i) => i.id)).toEqual(["c"]);
  });

  it("narrows by severity and by every word of the search, in title, pattern and root cause", () => {
    expect(filterIncidents(incidents, { ...DEFAULT_FILTER, status: "all", severities: ["high", "medium"] }).map((i) => i.id)).toEqual(["b", "c"]);
    expect(filterIncidents(incidents, { ...DEFAULT_FILTER, query: "node-3 DISK" }).map((i) => i.id)).toEqual(["b"]);
    expect(filterIncidents(incidents, { ...DEFAULT_FILTER, query: "exhaustion" }).map((i) => i.id)).toEqual(["b"]);
    expect(filterIncidents(incidents, { ...DEFAULT_FILTER, query: "cart-7d9f8b6c5" }).map((i) => i.id)).toEqual(["a"]);
  });
});

function Harness() {
  const [filter, setFilter] = useState<IncidentFilter>(DEFAULT_FILTER);
  return (
    <IncidentList
      incidents={filterIncidents(incidents, filter)}
      total={incidents.length}
      filter={filter}
      onFilter={setFilter}
      error={null}
      selectedId={null}
      onSelect={() => {}}
      now={Date.parse("2026-01-01T10:05:00Z")}
      webhookUrl="http://x/webhooks/alertmanager/default"
    />
  );
}

describe("IncidentList", () => {
  it("filters as the user types and picks, and offers a way out of an empty result", () => {
    render(<Harness />);
    expect(screen.getAllByTestId("incident-row")).toHaveLength(2);
    expect(screen.getByTestId("incident-count").textContent).toBe("2 / 3");
    fireEvent.click(screen.getByRole("button", { name: "high" }));
    expect(screen.getAllByTestId("incident-row").map((r) => r.dataset.incidentId)).toEqual(["b"]);
    fireEvent.change(screen.getByTestId("incident-search"), { target: { value: "checkout" } });
    expect(screen.queryAllByTestId("incident-row")).toHaveLength(0);
    expect(screen.getByTestId("incident-list").textContent).toContain("No incident matches the filter");
    fireEvent.click(screen.getByRole("button", { name: "Clear the filter" }));
    expect(screen.getAllByTestId("incident-row")).toHaveLength(2);
    fireEvent.change(screen.getByTestId("status-filter"), { target: { value: "all" } });
    expect(screen.getAllByTestId("incident-row")).toHaveLength(3);
    expect(screen.getByTestId("incident-count").textContent).toBe("3");
  });
});
