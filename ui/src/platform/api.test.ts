import { describe, expect, it } from "vitest";
import { pickPlatform } from "./api";
import { TauriPlatform } from "./tauri";
import { WebPlatform } from "./web";
import { toApiError } from "./errors";

describe("pickPlatform", () => {
  it("picks the Tauri transport when __TAURI_INTERNALS__ exists", () => {
    window.__TAURI_INTERNALS__ = {};
    try {
      const p = pickPlatform();
      expect(p).toBeInstanceOf(TauriPlatform);
      expect(p.kind).toBe("tauri");
    } finally {
      delete window.__TAURI_INTERNALS__;
    }
  });

  it("picks the web transport otherwise", () => {
    expect(window.__TAURI_INTERNALS__).toBeUndefined();
    const p = pickPlatform();
    expect(p).toBeInstanceOf(WebPlatform);
    expect(p.kind).toBe("web");
  });
});

describe("toApiError", () => {
  it("never yields [object Object]", () => {
    expect(toApiError({ code: "storage", message: "disk full" }).describe()).toBe("disk full (storage)");
    expect(toApiError('{"code":"forbidden","message":"nope"}').code).toBe("forbidden");
    expect(toApiError("plain text").message).toBe("plain text");
    expect(toApiError(new Error("boom")).message).toBe("boom");
    expect(toApiError({ weird: true }).message).toContain('{"weird":true}');
    for (const v of [{ a: 1 }, [1], 42, null, undefined]) {
      expect(toApiError(v).describe()).not.toContain("[object Object]");
    }
  });
});
