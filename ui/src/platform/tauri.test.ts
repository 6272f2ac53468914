import { beforeEach, describe, expect, it, vi } from "vitest";
import { CHANGE_EVENT, TauriPlatform } from "./tauri";
import { ApiError } from "./errors";

const invoke = vi.fn();
const listen = vi.fn();
// vi.mock is hoisted above the imports, so ./tauri sees these fakes.
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: (...a: unknown[]) => listen(...a) }));


beforeEach(() => {
  invoke.mockReset();
  listen.mockReset();
});

describe("TauriPlatform", () => {
  it("invokes the rpc command with the command as `request`", async () => {
    invoke.mockResolvedValue({ incidents: [] });
    const r = await new TauriPlatform().call({ command: "getIncident", args: { id: "x" } });
    expect(r).toEqual({ incidents: [] });
    expect(invoke).toHaveBeenCalledWith("rpc", { request: { command: "getIncident", args: { id: "x" } } });
  });

  it("turns a rejected {code, message} into an ApiError", async () => {
    invoke.mockRejectedValue({ code: "not_found", message: "no incident x" });
    const err = await new TauriPlatform().call({ command: "listIncidents", args: {} }).then(
      () => { throw new Error('expected a rejection'); },
      (e: ApiError) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("not_found");
    expect(err.message).toBe("no incident x");
  });

  it("listens to causeway://change and unlistens", async () => {
    const unlisten = vi.fn();
    let handler: ((e: { payload: unknown }) => void) | undefined;
    listen.mockImplementation(async (name: string, h: (e: { payload: unknown }) => void) => {
      expect(name).toBe(CHANGE_EVENT);
      handler = h;
      return unlisten;
    });
    const seen: unknown[] = [];
    const stop = new TauriPlatform().subscribe((e) => seen.push(e));
    await Promise.resolve();
    await Promise.resolve();
    handler!({ payload: { type: "deadLettersChanged" } });
    expect(seen).toEqual([{ type: "deadLettersChanged" }]);
    stop();
    expect(unlisten).toHaveBeenCalled();
  });
});
