import type { Route } from "./router";
import { routeHash } from "./router";
import { deadLettersOf, incidentsOf, unassignedOf, VERSION } from "./resources";
import { useProject } from "./project";
import { ProjectSwitcher } from "./ProjectSwitcher";
import { useResource } from "./useResource";

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

/** Incidents not resolved yet. */
export function openCount(incidents: readonly { status: string }[]): number {
  return incidents.filter((i) => i.status !== "resolved").length;
}

function activeFor(route: Route): Route["screen"] {
  return route.screen === "connector-new" ? "connectors" : route.screen;
}

type Props = {
  route: Route;
  /** Shows another project. */
  onSwitchProject: (id: string) => void;
  onNewProject: () => void;
};

/**
 * The rail: the project shown (to switch), every screen with how much waits
 * on the busy ones in that project, and which backend answers.
 */
export function Nav({ route, onSwitchProject, onNewProject }: Props) {
  const active = activeFor(route);
  const { id: project } = useProject();
  const incidents = useResource(incidentsOf(project)).data;
  const unassigned = useResource(unassignedOf(project)).data;
  const deadLetters = useResource(deadLettersOf(project)).data;
  const version = useResource(VERSION).data;
  const counts: Partial<Record<Route["screen"], number | null>> = {
    incidents: incidents ? openCount(incidents) : null,
    signals: unassigned?.length ?? null,
    "dead-letters": deadLetters?.length ?? null,
  };
  return (
    <nav className="rail" aria-label="Screens" data-testid="nav">
      <ProjectSwitcher onSwitch={onSwitchProject} onNewProject={onNewProject} />
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
