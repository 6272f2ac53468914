import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { useMemo, useRef, useState, type ReactNode } from "react";
import { ApiError, createApi, type Api, type Platform } from "../platform/api";
import type { Command } from "../wire";
import type { Resource, Ticks } from "./live";
import { ResourceStore, useResource, useSession, WorkbenchContext, type ResourceSpec, type Workbench } from "./useResource";

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

/** A workbench over `answer`, with a way for the test to make resources stale. */
function setup(answer: (c: Command) => Promise<unknown>) {
  const calls: string[] = [];
  const platform: Platform = {
    kind: "web",
    call: <T,>(c: Command) => {
      calls.push(c.command);
      return answer(c) as Promise<T>;
    },
    subscribe: () => () => {},
  };
  let stale: (which: readonly Resource[]) => void = () => {};
  function Provider({ children }: { children: ReactNode }) {
    const api = useMemo(() => createApi(platform), []);
    const store = useMemo(() => new ResourceStore(api), [api]);
    const [ticks, setTicks] = useState<Ticks>({ incidents: 0, detail: 0, signals: 0, deadLetters: 0, instances: 0, topology: 0, settings: 0, projects: 0 });
    const openIncident = useRef<string | null>(null);
    stale = (which) => setTicks((t) => ({ ...t, ...Object.fromEntries(which.map((r) => [r, t[r] + 1])) }));
    const w: Workbench = { platform, api, store, ticks, refresh: (which = []) => stale(which), openIncident };
    return <WorkbenchContext.Provider value={w}>{children}</WorkbenchContext.Provider>;
  }
  return { calls, Provider, stale: (which: readonly Resource[]) => act(() => stale(which)) };
}

const VERSION: ResourceSpec<string> = { key: "v", load: (api: Api) => api.getVersion().then((v) => v.version), on: ["settings"] };

function Shows({ id, spec = VERSION }: { id: string; spec?: ResourceSpec<string> | null }) {
  const r = useResource(spec);
  const { stalled } = useSession();
  return (
    <div data-testid={id}>
      {r.data ?? "none"}
      {r.error ? ` error:${(r.error as ApiError).code}` : ""}
      {stalled ? " stalled" : ""}
      <button type="button" onClick={() => r.mutate(() => Promise.resolve(null))}>
        change {id}
      </button>
    </div>
  );
}

describe("useResource", () => {
  it("asks once for what two components show, and again when a live change makes it stale", async () => {
    let n = 0;
    const { calls, Provider, stale } = setup(async () => ({ name: "Causeway", version: String(++n) }));
    render(
      <Provider>
        <Shows id="a" />
        <Shows id="b" />
      </Provider>,
    );
    await waitFor(() => expect(screen.getByTestId("b").textContent).toContain("1"));
    expect(screen.getByTestId("a").textContent).toContain("1");
    expect(calls).toEqual(["getVersion"]);
    stale(["incidents"]);
    await act(async () => {});
    expect(calls, "a change it does not watch asks nothing").toHaveLength(1);
    stale(["settings"]);
    await waitFor(() => expect(screen.getByTestId("a").textContent).toContain("2"));
    expect(calls).toHaveLength(2);
    act(() => screen.getByRole("button", { name: "change a" }).click());
    await waitFor(() => expect(screen.getByTestId("b").textContent).toContain("3"));
  });

  it("keeps the last answer when a refetch fails, and says once that the session is gone", async () => {
    let fail: ApiError | null = null;
    const { Provider, stale } = setup(async () => {
      if (fail) throw fail;
      return { name: "Causeway", version: "1" };
    });
    render(
      <Provider>
        <Shows id="a" />
      </Provider>,
    );
    await waitFor(() => expect(screen.getByTestId("a").textContent).toContain("1"));
    fail = new ApiError("internal", "database is locked");
    stale(["settings"]);
    await waitFor(() => expect(screen.getByTestId("a").textContent).toBe("1 error:internalchange a"));
    fail = new ApiError("unauthorized", "gone", 401);
    stale(["settings"]);
    await waitFor(() => expect(screen.getByTestId("a").textContent).toContain("stalled"));
    fail = null;
    stale(["settings"]);
    await waitFor(() => expect(screen.getByTestId("a").textContent).toBe("1change a"));
  });

  it("refetches at most every everyMs while changes keep coming, the last one at the window's end", async () => {
    const { calls, Provider, stale } = setup(async () => ({ name: "Causeway", version: "1" }));
    const spec = { ...VERSION, everyMs: 1000 };
    render(
      <Provider>
        <Shows id="a" spec={spec} />
      </Provider>,
    );
    await waitFor(() => expect(calls).toHaveLength(1));
    vi.useFakeTimers();
    stale(["settings"]);
    expect(calls, "the first change: at once").toHaveLength(2);
    stale(["settings"]);
    stale(["settings"]);
    expect(calls).toHaveLength(2);
    await act(async () => {
      vi.advanceTimersByTime(1000);
    });
    expect(calls, "the two later ones: folded into one").toHaveLength(3);
  });

  it("asks again every pollMs while shown, and stops once nobody shows it", async () => {
    let n = 0;
    const { calls, Provider } = setup(async () => ({ name: "Causeway", version: String(++n) }));
    const spec: ResourceSpec<string> = { key: "polled", load: VERSION.load, pollMs: 5000 };
    vi.useFakeTimers();
    const { unmount } = render(
      <Provider>
        <Shows id="a" spec={spec} />
      </Provider>,
    );
    await act(async () => {});
    expect(calls).toHaveLength(1);
    await act(async () => {
      vi.advanceTimersByTime(5000);
    });
    expect(calls, "asked again after one period, with no change event").toHaveLength(2);
    expect(screen.getByTestId("a").textContent).toContain("2");
    unmount();
    await act(async () => {
      vi.advanceTimersByTime(20000);
    });
    expect(calls, "not asked once it is not shown").toHaveLength(2);
  });
});
