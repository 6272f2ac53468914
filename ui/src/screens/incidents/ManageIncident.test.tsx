import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { IncidentDetail } from "./IncidentDetail";
import { sampleDetail, sampleSummary } from "../../test/sample";
import { ApiError } from "../../platform/errors";
import type { LedgerEntry } from "../../wire";

afterEach(cleanup);
const now = Date.parse("2026-01-01T10:05:00Z");
const other = { ...sampleSummary, id: "inc-2", title: "checkout latency" };

function manage() {
  return {
    incidents: [sampleSummary, other],
    merge: vi.fn().mockResolvedValue(null),
    move: vi.fn().mockResolvedValue(null),
    split: vi.fn().mockResolvedValue(null),
  };
}

describe("moving, splitting and merging from the incident", () => {
  it("splits the picked signals off into a new incident", async () => {
    const m = manage();
    render(<IncidentDetail detail={sampleDetail} now={now} onSetStatus={vi.fn()} manage={m} />);
    expect(screen.queryByTestId("picked-bar")).toBeNull();
    const boxes = screen.getAllByTestId("pick-signal");
    fireEvent.click(boxes[0]);
    fireEvent.click(boxes[2]);
    const bar = screen.getByTestId("picked-bar");
    expect(bar.textContent).toContain("2 picked");
    fireEvent.click(within(bar).getByRole("button", { name: "Split into a new incident" }));
    await waitFor(() => expect(m.split).toHaveBeenCalledWith([sampleDetail.signals[0].id, sampleDetail.signals[2].id]));
    await waitFor(() => expect(screen.queryByTestId("picked-bar")).toBeNull());
  });

  it("moves picked signals to an incident chosen by typing, never to the same one", async () => {
    const m = manage();
    render(<IncidentDetail detail={sampleDetail} now={now} onSetStatus={vi.fn()} manage={m} />);
    fireEvent.click(screen.getAllByTestId("pick-signal")[1]);
    fireEvent.click(within(screen.getByTestId("picked-bar")).getByRole("button", { name: "Move to…" }));
    const picker = screen.getByTestId("incident-picker");
    expect(within(picker).getAllByTestId("pick-incident").map((b) => b.dataset.incidentId)).toEqual(["inc-2"]);
    fireEvent.click(within(picker).getAllByTestId("pick-incident")[0]);
    await waitFor(() => expect(m.move).toHaveBeenCalledWith([sampleDetail.signals[1].id], "inc-2"));
  });

  it("merges into another incident after a confirmation, and shows a refusal", async () => {
    const m = manage();
    m.merge.mockRejectedValueOnce(new ApiError("bad_request", "cannot merge a resolved incident"));
    render(<IncidentDetail detail={sampleDetail} now={now} onSetStatus={vi.fn()} manage={m} />);
    fireEvent.click(screen.getByRole("button", { name: "Merge into…" }));
    fireEvent.click(within(screen.getByTestId("incident-picker")).getAllByTestId("pick-incident")[0]);
    expect(m.merge).not.toHaveBeenCalled();
    const confirm = screen.getByRole("group", { name: "Confirm merge" });
    expect(confirm.textContent).toContain("into “checkout latency”");
    fireEvent.click(within(confirm).getByRole("button", { name: "Yes, merge" }));
    expect((await screen.findByText("cannot merge a resolved incident (bad_request)")).getAttribute("role")).toBe("alert");
    fireEvent.click(within(screen.getByRole("group", { name: "Confirm merge" })).getByRole("button", { name: "Yes, merge" }));
    await waitFor(() => expect(m.merge).toHaveBeenCalledTimes(2));
    expect(m.merge).toHaveBeenLastCalledWith("inc-2");
  });

  it("lists the decision ledger, the engine's and people's", () => {
    const ledger: LedgerEntry[] = [
      { incidentId: "inc-1", at: "2026-01-01T10:00:00Z", action: "opened", signalId: "s1", actor: "engine", text: "opened by rule critical-alone" },
      { incidentId: "inc-1", at: "2026-01-01T10:03:00Z", action: "moved_out", signalId: "s3", actor: "person", text: "moved to inc-2" },
    ];
    render(<IncidentDetail detail={sampleDetail} now={now} ledger={{ entries: ledger, error: null }} />);
    const entries = screen.getAllByTestId("ledger-entry");
    expect(entries.map((e) => e.dataset.actor)).toEqual(["engine", "person"]);
    expect(entries[1].textContent).toContain("moved out");
    expect(entries[1].textContent).toContain("moved to inc-2");
    expect(within(entries[1]).getByRole("link", { name: "inc-2" }).getAttribute("href")).toBe("#/incidents/inc-2");
  });
});

describe("assigning from the signals inbox", () => {
  it("assigns the picked signals to the incident chosen", async () => {
    const { SignalsInbox } = await import("../signals/SignalsInbox");
    const move = vi.fn().mockResolvedValue(null);
    const unassigned = sampleDetail.signals.map((s) => ({ ...s, link: null, unassignedReason: "no incident within 30 min" }));
    render(<SignalsInbox signals={unassigned} error={null} now={now} assign={{ incidents: [sampleSummary, other], move }} />);
    fireEvent.click(screen.getAllByTestId("pick-signal")[0]);
    fireEvent.click(within(screen.getByTestId("picked-bar")).getByRole("button", { name: "Assign to…" }));
    expect(within(screen.getByTestId("incident-picker")).getAllByTestId("pick-incident")).toHaveLength(2);
    fireEvent.change(screen.getByLabelText("Find an incident"), { target: { value: "checkout" } });
    fireEvent.keyDown(screen.getByLabelText("Find an incident"), { key: "Enter" });
    await waitFor(() => expect(move).toHaveBeenCalledWith([unassigned[0].id], "inc-2"));
    expect(screen.queryByRole("button", { name: "Split into a new incident" })).toBeNull();
  });
});

describe("the decision ledger", () => {
  it("shows people's decisions alone, and a long ledger's latest entries first", async () => {
    const { Ledger, LEDGER_SHOWN } = await import("./Ledger");
    const entries: LedgerEntry[] = Array.from({ length: LEDGER_SHOWN + 50 }, (_, i) => ({
      incidentId: "inc-1",
      at: new Date(Date.parse("2026-01-01T09:00:00Z") + i * 1000).toISOString(),
      action: "attached" as const,
      signalId: `s${i}`,
      actor: "engine",
      text: `signal ${i} joined`,
    }));
    entries.push({ incidentId: "inc-1", at: "2026-01-01T10:00:00Z", action: "split", signalId: null, actor: "person", text: "1 signal(s) split off into inc-9 by a person" });
    render(<Ledger entries={entries} now={now} />);
    expect(screen.getAllByTestId("ledger-entry")).toHaveLength(LEDGER_SHOWN);
    expect(screen.getAllByTestId("ledger-entry").at(-1)!.dataset.actor).toBe("person");
    fireEvent.click(screen.getByRole("button", { name: "Show the 51 earlier decisions" }));
    expect(screen.getAllByTestId("ledger-entry")).toHaveLength(entries.length);
    expect(screen.getAllByTestId("ledger-entry")[0].textContent).toContain("signal 0 joined");
    fireEvent.click(screen.getByTestId("ledger-people"));
    expect(screen.getAllByTestId("ledger-entry").map((e) => e.dataset.action)).toEqual(["split"]);
  });
});
