import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, SESSION_EXPIRED } from "./errors";
import { WebPlatform } from "./web";
import { createApi } from "./api";

function mockFetch(status: number, body: string) {
  const fn = vi.fn(async (_url: string, _init?: RequestInit) => new Response(body, { status }));
  vi.stubGlobal("fetch", fn);
  return fn;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("WebPlatform.call", () => {
  it("POSTs the command as JSON to /api/rpc with the session cookie", async () => {
    const fetchMock = mockFetch(200, JSON.stringify({ incidents: [] }));
    const result = await new WebPlatform().call({ command: "listIncidents", args: { project: "staging" } });
    expect(result).toEqual({ incidents: [] });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/api/rpc");
    expect(init?.method).toBe("POST");
    expect(init?.credentials).toBe("same-origin");
    expect(new Headers(init?.headers).get("content-type")).toBe("application/json");
    expect(JSON.parse(String(init?.body))).toEqual({ command: "listIncidents", args: { project: "staging" } });
  });

  it("sends each typed helper's command with its args", async () => {
    const fetchMock = mockFetch(200, "{}");
    const api = createApi(new WebPlatform());
    await api.getIncident("inc-9");
    await api.listSignals(true, "default");
    await api.listDeadLetters("staging");
    await api.listInstances();
    await api.listInstances("staging");
    await api.replayDeadLetter(7);
    await api.setIncidentStatus("inc-9", "acknowledged");
    const bodies = fetchMock.mock.calls.map(([, init]) => JSON.parse(String(init?.body)));
    expect(bodies).toEqual([
      { command: "getIncident", args: { id: "inc-9" } },
      { command: "listSignals", args: { unassigned: true, project: "default" } },
      { command: "listDeadLetters", args: { project: "staging" } },
      // No project: every project's instances.
      { command: "listInstances", args: {} },
      { command: "listInstances", args: { project: "staging" } },
      { command: "replayDeadLetter", args: { id: 7 } },
      { command: "setIncidentStatus", args: { id: "inc-9", status: "acknowledged" } },
    ]);
  });

  it("turns a {code, message} error body into an ApiError", async () => {
    mockFetch(404, JSON.stringify({ code: "not_found", message: "no incident inc-404" }));
    const err = await new WebPlatform().call({ command: "getIncident", args: { id: "inc-404" } }).then(
      () => { throw new Error('expected a rejection'); },
      (e: ApiError) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("not_found");
    expect(err.message).toBe("no incident inc-404");
    expect(err.status).toBe(404);
    expect(err.describe()).toBe("no incident inc-404 (not_found)");
    expect(String(err.describe())).not.toContain("[object Object]");
  });

  it("says the session expired on a 401", async () => {
    mockFetch(401, JSON.stringify({ code: "unauthorized", message: "missing session" }));
    const err = await new WebPlatform().call({ command: "listIncidents", args: {} }).then(
      () => { throw new Error('expected a rejection'); },
      (e: ApiError) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("unauthorized");
    expect(err.message).toBe(SESSION_EXPIRED);
  });

  it("keeps a non-JSON error body readable", async () => {
    mockFetch(502, "Bad Gateway");
    const err = await new WebPlatform().call({ command: "listIncidents", args: {} }).then(
      () => { throw new Error('expected a rejection'); },
      (e: ApiError) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("http_502");
    expect(err.message).toContain("Bad Gateway");
  });

  it("reports a network failure as an ApiError", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        throw new TypeError("Failed to fetch");
      }),
    );
    const err = await new WebPlatform().call({ command: "listIncidents", args: {} }).then(
      () => { throw new Error('expected a rejection'); },
      (e: ApiError) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("network");
    expect(err.message).toContain("Failed to fetch");
  });
});

class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static last: FakeEventSource | undefined;
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(
    public url: string,
    public init?: EventSourceInit,
  ) {
    FakeEventSource.last = this;
  }
  close() {
    this.closed = true;
  }
}

describe("WebPlatform.subscribe", () => {
  it("listens to /api/events and passes each ChangeEvent on", () => {
    vi.stubGlobal("EventSource", FakeEventSource);
    const events: unknown[] = [];
    const statuses: string[] = [];
    const stop = new WebPlatform().subscribe(
      (e) => events.push(e),
      (s) => statuses.push(s),
    );
    const es = FakeEventSource.last!;
    expect(es.url).toBe("/api/events");
    es.onopen!();
    es.onmessage!({ data: JSON.stringify({ type: "incidentsChanged", ids: ["a"] }) });
    es.onmessage!({ data: "not json" });
    es.onmessage!({ data: JSON.stringify({ type: "signalsChanged" }) });
    expect(events).toEqual([{ type: "incidentsChanged", ids: ["a"] }, { type: "signalsChanged" }]);
    // A drop and a reconnect asks for a refetch.
    es.onerror!();
    es.onopen!();
    expect(events.at(-1)).toEqual({ type: "incidentsChanged", ids: [] });
    expect(statuses).toEqual(["connecting", "live", "reconnecting", "live"]);
    stop();
    expect(es.closed).toBe(true);
  });
});
