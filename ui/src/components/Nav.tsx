import type { Route } from "../router";
import { routeHash } from "../router";

export type NavItem = { screen: Route["screen"]; label: string; route: Route; count?: number | null; key: string };

export const NAV: { label: string; route: Route; key: string }[] = [
  { label: "Incidents", route: { screen: "incidents", id: null }, key: "g i" },
  { label: "Signals inbox", route: { screen: "signals" }, key: "g s" },
  { label: "Topology", route: { screen: "topology", entity: null }, key: "g t" },
  { label: "Connectors", route: { screen: "connectors" }, key: "g c" },
  { label: "Dead letters", route: { screen: "dead-letters" }, key: "g d" },
  { label: "Rules", route: { screen: "rules" }, key: "g r" },
  { label: "Settings", route: { screen: "settings" }, key: "g ," },
];

function activeFor(route: Route): Route["screen"] {
  return route.screen === "connector-new" ? "connectors" : route.screen;
}

export function Nav({
  route,
  counts,
  version = null,
}: {
  route: Route;
  counts: Partial<Record<Route["screen"], number | null>>;
  /** `Causeway 0.1.0`, once the backend said it. */
  version?: string | null;
}) {
  const active = activeFor(route);
  return (
    <nav className="rail" aria-label="Screens" data-testid="nav">
      {NAV.map((n) => {
        const count = counts[n.route.screen];
        const current = active === n.route.screen;
        return (
          <a
            key={n.label}
            href={routeHash(n.route)}
            className={`rail-item${current ? " active" : ""}`}
            aria-current={current ? "page" : undefined}
            data-testid={`nav-${n.route.screen}`}
          >
            <span className="rail-label">{n.label}</span>
            <kbd className="rail-key" aria-hidden="true">
              {n.key}
            </kbd>
            {count != null ? <span className="count">{count}</span> : null}
          </a>
        );
      })}
      <span className="rail-hint muted small">
        <kbd>Ctrl</kbd>+<kbd>K</kbd> jump to… · <kbd>/</kbd> search · <kbd>j</kbd>/<kbd>k</kbd> next/previous
      </span>
      {version ? (
        <span className="rail-version muted small" data-testid="version">
          {version}
        </span>
      ) : null}
    </nav>
  );
}
