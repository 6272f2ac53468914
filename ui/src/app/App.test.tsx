import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App, DETAIL_EVERY_MS, REFRESH_DEBOUNCE_MS } from "./App";
import type { Platform } from "../platform/api";
import { ApiError, SESSION_EXPIRED } from "../platform/errors";
import type { ChangeEvent, Command, IncidentSummary } from "../wire";
import { sampleDetail, sampleSummary } from "../test/sample";

afterEach(() => {
  cleanup();
  window.location.hash = "";
  vi.useRealTimers();
});

/** A platform that answers from memory and lets the test push change events. */
function fakePlatform(incidents: IncidentSummary[]) {
  // `page`: how many incidents the plain list holds (the server's page).
  // `ledgerFails`: the ledger answers with an error.
  const state = { incidents, page: 500, ledgerFails: false };
  let push: ((e: ChangeEvent) => void) | undefined;
  const calls: Command[] = [];
  const platform: Platform = {
    kind: "web",
    async call<T>(command: Command): Promise<T> {
      calls.push(command);
      switch (command.command) {
        case "getLedger":
          if (state.ledgerFails) throw new ApiError("internal", "database is locked");
          return {
            incidentId: command.args.id,
            entries: [
              { incidentId: command.args.id, at: "2026-01-01T10:00:00Z", action: "opened", signalId: null, actor: "engine", text: "opened by a critical alert" },
              { incidentId: command.args.id, at: "2026-01-01T10:05:00Z", action: "merged", signalId: null, actor: "person", text: "inc-0 (\"older one\") merged into it by a person" },
            ],
          } as T;
        case "splitIncident":
          state.incidents = [{ ...sampleSummary, id: "inc-split", title: "split off" }, ...state.incidents];
          return { incidents: [command.args.id, "inc-split"], incidentId: "inc-split" } as T;
        case "mergeIncidents":
          state.incidents = state.incidents.map((i) => (i.id === command.args.from ? { ...i, status: "resolved" } : i));
          return { incidents: [command.args.from, command.args.into], incidentId: command.args.into } as T;
        case "listIncidents":
          return { incidents: state.incidents.slice(0, state.page) } as T;
        case "getIncident": {
          const s = state.incidents.find((i) => i.id === command.args.id);
          if (!s) throw new ApiError("not_found", `no incident ${command.args.id}`);
          return { ...sampleDetail, ...s } as T;
        }
        case "listSignals":
          return { signals: [] } as T;
        case "searchIncidents": {
          // The server searches every incident, beyond the latest page the list holds.
          const q = command.args.query ?? "";
          return { incidents: state.incidents.filter((i) => i.title.includes(q)) } as T;
        }
        case "listDeadLetters":
          return {
            deadLetters: [
              {
                id: 3,
                connectorId: "alertmanager/default",
                projectId: "default",
                receivedAt: "2026-01-01T10:00:00Z",
                error: "expected value at line 1 column 1",
                rawBase64: "bm90IGpzb24=",
                preview: "not json",
              },
            ],
          } as T;
        case "replayDeadLetter":
          return { inboxId: 41 } as T;
        case "setIncidentStatus":
          return state.incidents[0] as T;
        case "getVersion":
          return { name: "Causeway", version: "9.8.7" } as T;
        default:
          throw new ApiError("not_found", `the fake platform has no ${command.command}`);
      }
    },
    subscribe(onChange) {
      push = onChange;
      return () => {
        push = undefined;
      };
    },
  };
  return { platform, state, calls, push: (e: ChangeEvent) => push?.(e) };
}

describe("App", () => {
  it("lists incidents and opens the first one", async () => {
    const second = { ...sampleSummary, id: "inc-0", title: "older one", severity: "low" as const };
    const { platform } = fakePlatform([sampleSummary, second]);
    render(<App platform={platform} />);
    const rows = await screen.findAllByTestId("incident-row");
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain(sampleSummary.title);
    expect(rows[0].textContent).toContain("pod/shop/cart-7d9f8b6c5-x2b4k");
    expect(rows[0].getAttribute("aria-selected")).toBe("true");
    const detail = await screen.findByTestId("incident-detail");
    expect(detail.getAttribute("data-incident-id")).toBe("inc-1");
    fireEvent.click(rows[1]);
    await waitFor(() => expect(screen.getByTestId("incident-detail").getAttribute("data-incident-id")).toBe("inc-0"));
    expect(window.location.hash).toBe("#/incidents/inc-0");
    // The backend's version, as it says it.
    expect((await screen.findByTestId("version")).textContent).toBe("Causeway 9.8.7");
  });

  it("searches on the server too, and shows what the list in memory does not hold", async () => {
    const older = { ...sampleSummary, id: "inc-old", title: "an older incident beyond the list" };
    const { platform, calls, state } = fakePlatform([sampleSummary, older]);
    state.page = 1;
    render(<App platform={platform} />);
    await screen.findByTestId("incident-detail");
    fireEvent.change(screen.getByTestId("incident-search"), { target: { value: "older" } });
    await waitFor(() => expect(screen.getAllByTestId("incident-row").map((r) => r.dataset.incidentId)).toEqual(["inc-old"]));
    expect(calls).toContainEqual({ command: "searchIncidents", args: { status: "open", severities: [], query: "older", project: "default" } });
  });

  it("shows the ledger with the incidents it names as links, and opens a split's new incident", async () => {
    const fake = fakePlatform([sampleSummary]);
    render(<App platform={fake.platform} />);
    const ledger = await screen.findByTestId("ledger");
    expect(ledger.textContent).toContain("opened by a critical alert");
    expect(within(ledger).getByTestId("ledger-incident").getAttribute("href")).toBe("#/incidents/inc-0");
    fireEvent.click(screen.getAllByTestId("pick-signal")[0]);
    fireEvent.click(screen.getByRole("button", { name: "Split into a new incident" }));
    await waitFor(() => expect(screen.getByTestId("incident-detail").getAttribute("data-incident-id")).toBe("inc-split"));
    expect(fake.calls).toContainEqual({ command: "splitIncident", args: { id: "inc-1", signalIds: [sampleDetail.signals[0].id] } });
    expect(window.location.hash).toBe("#/incidents/inc-split");
  });

  it("merges the open incident into the picked one and opens that one", async () => {
    const other = { ...sampleSummary, id: "inc-0", title: "older one" };
    const fake = fakePlatform([sampleSummary, other]);
    render(<App platform={fake.platform} />);
    await waitFor(() => expect(screen.getByTestId("incident-detail").getAttribute("data-incident-id")).toBe("inc-1"));
    fireEvent.click(screen.getByRole("button", { name: "Merge into…" }));
    fireEvent.click(within(screen.getByTestId("incident-picker")).getByText("older one"));
    fireEvent.click(screen.getByRole("button", { name: "Yes, merge" }));
    await waitFor(() => expect(window.location.hash).toBe("#/incidents/inc-0"));
    expect(fake.calls).toContainEqual({ command: "mergeIncidents", args: { from: "inc-1", into: "inc-0" } });
  });

  it("says when the ledger cannot be loaded and still shows the incident", async () => {
    const fake = fakePlatform([sampleSummary]);
    fake.state.ledgerFails = true;
    render(<App platform={fake.platform} />);
    const decisions = await screen.findByRole("region", { name: "Decisions" });
    await waitFor(() => expect(decisions.textContent).toContain("database is locked"));
    expect(screen.getByTestId("insight").textContent).toBeTruthy();
  });

  it("shows the empty state with the webhook address", async () => {
    const { platform } = fakePlatform([]);
    render(<App platform={platform} />);
    const list = screen.getByTestId("incident-list");
    await waitFor(() => expect(list.textContent).toContain("No incidents yet"));
    expect(list.textContent).toContain("/webhooks/alertmanager/default");
  });

  it("refetches once, debounced, after a burst of change events", async () => {
    const fake = fakePlatform([sampleSummary]);
    render(<App platform={fake.platform} />);
    await screen.findByTestId("incident-detail");
    vi.useFakeTimers();
    const before = fake.calls.filter((c) => c.command === "listIncidents").length;
    fake.state.incidents = [{ ...sampleSummary, id: "inc-2", title: "Pod e2e/web is crash looping" }, sampleSummary];
    act(() => {
      fake.push({ type: "incidentsChanged", ids: ["inc-2"] });
      fake.push({ type: "signalsChanged" });
      fake.push({ type: "incidentsChanged", ids: ["inc-2"] });
    });
    act(() => {
      vi.advanceTimersByTime(REFRESH_DEBOUNCE_MS - 10);
    });
    expect(fake.calls.filter((c) => c.command === "listIncidents").length).toBe(before);
    await act(async () => {
      vi.advanceTimersByTime(20);
    });
    vi.useRealTimers();
    expect(fake.calls.filter((c) => c.command === "listIncidents").length).toBe(before + 1);
    await waitFor(() => expect(screen.getAllByTestId("incident-row")).toHaveLength(2));
    expect(screen.getAllByTestId("incident-row")[0].textContent).toContain("crash looping");
    // The open incident stays open; it was refetched too.
    expect(screen.getByTestId("incident-detail").getAttribute("data-incident-id")).toBe("inc-1");
  });

  it("refetches the open incident only for events that name it", async () => {
    const fake = fakePlatform([sampleSummary]);
    render(<App platform={fake.platform} />);
    await screen.findByTestId("incident-detail");
    const details = () => fake.calls.filter((c) => c.command === "getIncident").length;
    const lists = () => fake.calls.filter((c) => c.command === "listIncidents").length;
    const [d0, l0] = [details(), lists()];
    vi.useFakeTimers();
    const settle = async () => {
      await act(async () => {
        vi.advanceTimersByTime(REFRESH_DEBOUNCE_MS + 10);
      });
    };
    act(() => fake.push({ type: "signalsChanged" }));
    await settle();
    act(() => fake.push({ type: "incidentsChanged", ids: ["inc-elsewhere"] }));
    await settle();
    expect(details(), "a storm elsewhere does not reload the open incident").toBe(d0);
    expect(lists()).toBe(l0 + 1);
    act(() => fake.push({ type: "incidentsChanged", ids: ["inc-1"] }));
    await settle();
    vi.useRealTimers();
    await waitFor(() => expect(details()).toBe(d0 + 1));
  });

  it("reloads the open incident at most every DETAIL_EVERY_MS while a storm keeps changing it", async () => {
    const fake = fakePlatform([sampleSummary]);
    render(<App platform={fake.platform} />);
    await screen.findByTestId("incident-detail");
    const details = () => fake.calls.filter((c) => c.command === "getIncident").length;
    const d0 = details();
    vi.useFakeTimers();
    // Ten bursts, 300 ms apart: 3 s of storm on the open incident.
    for (let i = 0; i < 10; i++) {
      act(() => fake.push({ type: "incidentsChanged", ids: ["inc-1"] }));
      await act(async () => {
        vi.advanceTimersByTime(300);
      });
    }
    await act(async () => {
      vi.advanceTimersByTime(DETAIL_EVERY_MS);
    });
    vi.useRealTimers();
    // Once at the start of the storm, once per window after: not ten times.
    await waitFor(() => expect(details()).toBeGreaterThanOrEqual(d0 + 2));
    expect(details() - d0).toBeLessThanOrEqual(3);
  });

  it("shows a readable session-expired message", async () => {
    const platform: Platform = {
      kind: "web",
      call: () => Promise.reject(new ApiError("unauthorized", SESSION_EXPIRED, 401)),
      subscribe: () => () => {},
    };
    render(<App platform={platform} />);
    const banner = await screen.findByTestId("session-banner");
    expect(banner.textContent).toContain("Session expired — open a new link from `causeway login` (each link opens one session)");
    // Said once, not in every section.
    expect(document.body.textContent!.split("Session expired").length - 1).toBe(1);
    expect(document.body.textContent).not.toContain("[object Object]");
    expect(screen.queryByRole("status")).toBeNull(); // no spinner waiting forever
  });

  it("re-plays a dead letter", async () => {
    window.location.hash = "#/dead-letters";
    const fake = fakePlatform([sampleSummary]);
    render(<App platform={fake.platform} />);
    expect((await screen.findByTestId("dead-letters")).textContent).toContain("not json");
    // The exact bytes, not the lossy preview, are there to download.
    expect(screen.getByTestId("raw-download").getAttribute("href")).toBe("data:application/octet-stream;base64,bm90IGpzb24=");
    fireEvent.click(await screen.findByRole("button", { name: "Re-play" }));
    expect(await screen.findByText(/inbox \(#41\)/)).toBeTruthy();
    expect(fake.calls).toContainEqual({ command: "replayDeadLetter", args: { id: 3 } });
  });

  it("deep-links to a screen and moves between screens from the rail", async () => {
    window.location.hash = "#/signals";
    const fake = fakePlatform([sampleSummary]);
    render(<App platform={fake.platform} />);
    expect(await screen.findByTestId("unassigned")).toBeTruthy();
    expect(screen.queryByTestId("incident-list")).toBeNull();
    expect(screen.getByTestId("nav-signals").getAttribute("aria-current")).toBe("page");
    act(() => {
      window.location.hash = "#/incidents/inc-1";
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    expect((await screen.findByTestId("incident-detail")).getAttribute("data-incident-id")).toBe("inc-1");
    expect(screen.getByTestId("nav-incidents").getAttribute("aria-current")).toBe("page");
  });

  it("walks the incident list with j and k", async () => {
    const second = { ...sampleSummary, id: "inc-0", title: "older one" };
    const { platform } = fakePlatform([sampleSummary, second]);
    render(<App platform={platform} />);
    await screen.findByTestId("incident-detail");
    fireEvent.keyDown(window, { key: "j" });
    await waitFor(() => expect(screen.getByTestId("incident-detail").getAttribute("data-incident-id")).toBe("inc-0"));
    expect(window.location.hash).toBe("#/incidents/inc-0");
    fireEvent.keyDown(window, { key: "k" });
    await waitFor(() => expect(screen.getByTestId("incident-detail").getAttribute("data-incident-id")).toBe("inc-1"));
  });

  it("jumps to a screen or an incident from the Ctrl+K palette", async () => {
    const second = { ...sampleSummary, id: "inc-0", title: "disk full on node-3" };
    const { platform } = fakePlatform([sampleSummary, second]);
    render(<App platform={platform} />);
    await screen.findByTestId("incident-detail");
    fireEvent.keyDown(window, { key: "k", ctrlKey: true });
    const input = within(screen.getByTestId("palette")).getByRole("textbox", { name: "Jump to" });
    fireEvent.change(input, { target: { value: "disk" } });
    expect(within(screen.getByTestId("palette")).getAllByRole("option")).toHaveLength(1);
    fireEvent.keyDown(input, { key: "Enter" });
    expect(screen.queryByTestId("palette")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("incident-detail").getAttribute("data-incident-id")).toBe("inc-0"));
    fireEvent.keyDown(window, { key: "k", metaKey: true });
    fireEvent.change(screen.getByRole("textbox", { name: "Jump to" }), { target: { value: "dead" } });
    fireEvent.keyDown(screen.getByRole("textbox", { name: "Jump to" }), { key: "Enter" });
    expect(await screen.findByTestId("dead-letters")).toBeTruthy();
    expect(window.location.hash).toBe("#/dead-letters");
  });

  it("says clearly when the server has no connector catalogue", async () => {
    window.location.hash = "#/connectors";
    const fake = fakePlatform([sampleSummary]);
    render(<App platform={fake.platform} />);
    const catalogue = await screen.findByTestId("catalogue");
    await waitFor(() => expect(catalogue.textContent).toContain("Could not load the connector catalogue"));
    expect(document.body.textContent).not.toContain("[object Object]");
  });
});
