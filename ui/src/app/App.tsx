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
import { INCIDENTS } from "./resources";
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
      <Shell live={live} refresh={refresh} />
    </WorkbenchContext.Provider>
  );
}

/** The frame around the screen on show: the top bar, the rail, the palette, the keyboard. */
function Shell({ live, refresh }: { live: LiveStatus; refresh: () => void }) {
  const [route, go] = useHashRoute();
  const [palette, setPalette] = useState(false);
  const togglePalette = useCallback(() => setPalette((p) => !p), []);
  const walk: Walk = useRef(null);
  useShortcuts(go, togglePalette, walk);
  const { lost } = useSession();

  const incidents = useResource(INCIDENTS).data;
  const open = incidents ? openCount(incidents) : 0;
  useEffect(() => {
    document.title = open > 0 ? `(${open}) Causeway` : "Causeway";
  }, [open]);

  return (
    <div className="app">
      <header className="topbar">
        <h1 className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Causeway
        </h1>
        <span className="topbar-sub muted" data-testid="open-count">
          {incidents ? `${open} open incident${open === 1 ? "" : "s"}` : ""}
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
        <Nav route={route} />
        {route.screen === "incidents" ? (
          <IncidentsScreen id={route.id} go={go} walk={walk} />
        ) : (
          <main className="main single">
            <Screen route={route} go={go} />
          </main>
        )}
      </div>
      {palette ? <JumpPalette onGo={go} onClose={() => setPalette(false)} /> : null}
    </div>
  );
}

/** Every screen but Incidents, which has its own two-pane layout. */
function Screen({ route, go }: { route: Exclude<Route, { screen: "incidents" }>; go: (r: Route) => void }) {
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
      return <SettingsScreen />;
  }
}
