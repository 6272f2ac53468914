import { useCallback, useEffect, useState } from "react";

/** Every screen has an address, so the desktop app and tests can deep-link. */
export type Route =
  | { screen: "incidents"; id: string | null }
  | { screen: "signals" }
  | { screen: "connectors" }
  | { screen: "connector-new"; descriptorId: string }
  | { screen: "dead-letters" }
  | { screen: "topology"; entity: string | null }
  | { screen: "settings" }
  | { screen: "rules" };

export function parseHash(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter((p) => p.length > 0)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  switch (parts[0]) {
    case "signals":
      return { screen: "signals" };
    case "connectors":
      if (parts[1] === "new" && parts[2]) return { screen: "connector-new", descriptorId: parts[2] };
      return { screen: "connectors" };
    case "dead-letters":
      return { screen: "dead-letters" };
    case "topology":
      return { screen: "topology", entity: parts[1] ?? null };
    case "settings":
      return { screen: "settings" };
    case "rules":
      return { screen: "rules" };
    case "incidents":
      return { screen: "incidents", id: parts[1] ?? null };
    default:
      return { screen: "incidents", id: null };
  }
}

export function routeHash(route: Route): string {
  switch (route.screen) {
    case "incidents":
      return route.id ? `#/incidents/${encodeURIComponent(route.id)}` : "#/incidents";
    case "signals":
      return "#/signals";
    case "connectors":
      return "#/connectors";
    case "connector-new":
      return `#/connectors/new/${encodeURIComponent(route.descriptorId)}`;
    case "dead-letters":
      return "#/dead-letters";
    case "topology":
      return route.entity ? `#/topology/${encodeURIComponent(route.entity)}` : "#/topology";
    case "settings":
      return "#/settings";
    case "rules":
      return "#/rules";
  }
}

/** The route in `location.hash`, and a way to change it (which adds a history entry). */
export function useHashRoute(): [Route, (r: Route) => void] {
  const [route, setRoute] = useState<Route>(() => parseHash(typeof location === "undefined" ? "" : location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseHash(location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const go = useCallback((r: Route) => {
    const hash = routeHash(r);
    if (location.hash !== hash) location.hash = hash;
    setRoute(parseHash(hash));
  }, []);
  return [route, go];
}
