import { describe, expect, it } from "vitest";
import { staleAfter } from "./live";

describe("staleAfter", () => {
  it("refetches the open incident only when an event names it, or names nothing", () => {
    expect(staleAfter({ type: "incidentsChanged", ids: ["inc-9"] }, "inc-1")).not.toContain("detail");
    expect(staleAfter({ type: "incidentsChanged", ids: ["inc-9"] }, "inc-1")).toContain("incidents");
    expect(staleAfter({ type: "incidentsChanged", ids: ["inc-2", "inc-1"] }, "inc-1")).toContain("detail");
    // After a reconnect the platform sends ids: [] — anything may have changed.
    expect(staleAfter({ type: "incidentsChanged", ids: [] }, "inc-1")).toContain("detail");
  });

  it("maps signal and dead-letter events to what shows them", () => {
    expect(staleAfter({ type: "signalsChanged" }, null).sort()).toEqual(["instances", "signals"]);
    expect(staleAfter({ type: "deadLettersChanged" }, null).sort()).toEqual(["deadLetters", "instances"]);
  });

  it("refetches the projects (and the connectors their receivers are) when projects change", () => {
    expect(staleAfter({ type: "projectsChanged" }, "inc-1").sort()).toEqual(["instances", "projects"]);
  });

  it("refetches everything for an event it does not know", () => {
    const unknown = { type: "somethingNew" } as unknown as Parameters<typeof staleAfter>[0];
    expect(staleAfter(unknown, "inc-1")).toEqual(expect.arrayContaining(["incidents", "detail", "signals", "deadLetters", "topology"]));
  });
});
