import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { createApi, type LiveStatus, type Platform } from "../platform/api";
import { ErrorBox } from "../components/States";
import { prewarmLayout } from "../components/graph/elkLayout";
import { IncidentsScreen } from "../screens/incidents/IncidentsScreen";
import { SignalsScreen } from "../screens/signals/SignalsScreen";
import { DeadLettersScreen } from "../screens/dead-letters/DeadLettersScreen";
import { ConnectorsScreen, NewConnectorScreen } from "../screens/connectors/ConnectorsScreen";
import { TopologyScreen } from "../screens/topology/TopologyScreen";
import { RulesScreen } from "../screens/rules/RulesScreen";
import { SettingsScreen } from "../screens/settings/SettingsScreen";
import { JumpPalette } from "./CommandPalette";
import { Nav, openCount } from "./Nav";
import { useHashRoute, type Route } from "./router";
import { incidentsOf } from "./resources";
import { DEFAULT_PROJECT, ProjectProvider, useProject } from "./project";
import { NewProject } from "../screens/projects/NewProject";
import { useShortcuts, type Walk } from "./shortcuts";
import { ResourceStore, useResource, useSession, WorkbenchContext, type Workbench } from "./useResource";
import { useLiveTicks } from "./live";

export { REFRESH_DEBOUNCE_MS } from "./live";
export { DETAIL_EVERY_MS } from "../screens/incidents/IncidentsScreen";

const LIVE_TEXT: Record<LiveStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  closed: "Live updates off",
};

/**
 * The workbench: the API over `platform`, the answers the screens fetched,
 * and live updates that make them stale. Each screen fetches its own data.
 */
export function App({ platform }: { platform: Platform }) {
  const api = useMemo(() => createApi(platform), [platform]);
  const store = useMemo(() => new ResourceStore(api), [api]);
  const openIncident = useRef<string | null>(null);
  const { ticks, live, refresh } = useLiveTicks(platform, openIncident);
  const workbench = useMemo<Workbench>(
    () => ({ platform, api, store, ticks, refresh, openIncident }),
    [platform, api, store, ticks, refresh],
  );
  useEffect(prewarmLayout, []);
  return (
    <WorkbenchContext.Provider value={workbench}>
      <ProjectProvider>
        <Shell live={live} refresh={refresh} />
      </ProjectProvider>
    </WorkbenchContext.Provider>
  );
}

/** The frame around the screen on show: the top bar, the rail, the palette, the keyboard, the "New project" dialog. */
function Shell({ live, refresh }: { live: LiveStatus; refresh: () => void }) {
  const [route, go] = useHashRoute();
  const [palette, setPalette] = useState(false);
  const [creating, setCreating] = useState(false);
  const togglePalette = useCallback(() => setPalette((p) => !p), []);
  const newProject = useCallback(() => setCreating(true), []);
  const walk: Walk = useRef(null);
  useShortcuts(go, togglePalette, walk);
  const { lost } = useSession();
  const project = useProject();
  const { switchTo } = project;
  // An incident of the project left is not shown under the next one.
  const switchProject = useCallback(
    (id: string) => {
      switchTo(id);
      if (route.screen === "incidents" && route.id !== null) go({ screen: "incidents", id: null });
    },
    [switchTo, route, go],
  );

  const incidents = useResource(incidentsOf(project.id)).data;
  const open = incidents ? openCount(incidents) : 0;
  const titled = project.id === DEFAULT_PROJECT ? "Causeway" : `Causeway · ${project.name}`;
  useEffect(() => {
    document.title = open > 0 ? `(${open}) ${titled}` : titled;
  }, [open, titled]);

  return (
    <div className="app">
      <header className="topbar">
        <h1 className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Causeway
        </h1>
        <span className="topbar-sub muted" data-testid="open-count">
          {incidents ? `${open} open incident${open === 1 ? "" : "s"}${project.id === DEFAULT_PROJECT ? "" : ` in ${project.name}`}` : ""}
        </span>
        <span className="spacer" />
        <span className={`live live-${live}`} data-testid="live-status" title="Live updates">
          <span className="live-dot" aria-hidden="true" />
          {LIVE_TEXT[live]}
        </span>
        <button type="button" className="btn btn-quiet" onClick={() => refresh()} title="Fetch everything again">
          Refresh
        </button>
      </header>
      {lost ? (
        <div className="banner" data-testid="session-banner">
          <ErrorBox error={lost} title="Signed out." />
        </div>
      ) : null}
      <div className="shell">
        <Nav route={route} onSwitchProject={switchProject} onNewProject={newProject} />
        {route.screen === "incidents" ? (
          // A new project starts with a new list: its own filter, its own first incident.
          <IncidentsScreen key={project.id} id={route.id} go={go} walk={walk} />
        ) : (
          <main className="main single">
            <Screen route={route} go={go} onNewProject={newProject} />
          </main>
        )}
      </div>
      {palette ? <JumpPalette onGo={go} onSwitchProject={switchProject} onNewProject={newProject} onClose={() => setPalette(false)} /> : null}
      {creating ? <NewProject onSwitch={switchProject} onClose={() => setCreating(false)} /> : null}
    </div>
  );
}

/** Every screen but Incidents, which has its own two-pane layout. */
function Screen({ route, go, onNewProject }: { route: Exclude<Route, { screen: "incidents" }>; go: (r: Route) => void; onNewProject: () => void }) {
  switch (route.screen) {
    case "signals":
      return <SignalsScreen />;
    case "dead-letters":
      return <DeadLettersScreen />;
    case "connectors":
      return <ConnectorsScreen go={go} />;
    case "connector-new":
      return <NewConnectorScreen descriptorId={route.descriptorId} go={go} />;
    case "topology":
      return <TopologyScreen entity={route.entity} go={go} />;
    case "rules":
      return <RulesScreen />;
    case "settings":
      return <SettingsScreen onNewProject={onNewProject} />;
  }
}
