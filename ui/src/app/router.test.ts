import { describe, expect, it } from "vitest";
import { parseHash, routeHash, type Route } from "./router";

describe("hash routes", () => {
  it("parses every screen's address", () => {
    expect(parseHash("")).toEqual({ screen: "incidents", id: null });
    expect(parseHash("#/incidents/inc-1")).toEqual({ screen: "incidents", id: "inc-1" });
    expect(parseHash("#/signals")).toEqual({ screen: "signals" });
    expect(parseHash("#/connectors")).toEqual({ screen: "connectors" });
    expect(parseHash("#/connectors/new/alertmanager")).toEqual({ screen: "connector-new", descriptorId: "alertmanager" });
    expect(parseHash("#/dead-letters")).toEqual({ screen: "dead-letters" });
    expect(parseHash("#/nonsense")).toEqual({ screen: "incidents", id: null });
  });

  it("round-trips, escaping ids", () => {
    const routes: Route[] = [
      { screen: "incidents", id: "a b/c" },
      { screen: "connector-new", descriptorId: "kubernetes-events" },
      { screen: "dead-letters" },
      { screen: "signals" },
      { screen: "connectors" },
    ];
    for (const r of routes) expect(parseHash(routeHash(r))).toEqual(r);
  });
});
