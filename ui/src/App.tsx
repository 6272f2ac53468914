import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type {
  DeadLetterView,
  IncidentDetail as Detail,
  IncidentStatus,
  InstanceView,
  NewInstance,
  Replayed,
  SettingsView,
  SignalView,
  TokenView,
  TopologyView,
} from "./wire";
import type { Catalogue } from "./catalogueTypes";
import { ApiError, createApi, type LiveStatus, type Platform } from "./platform/api";
import { DEFAULT_FILTER, filterIncidents, IncidentList, queryOf, type IncidentFilter } from "./components/IncidentList";
import { IncidentDetail } from "./components/IncidentDetail";
import { DeadLetters } from "./components/DeadLetters";
import { Nav, NAV } from "./components/Nav";
import { CommandPalette, type PaletteItem } from "./components/CommandPalette";
import { SignalsInbox } from "./screens/SignalsInbox";
import { CatalogueGrid, Monitoring } from "./screens/Connectors";
import { ConnectorWizard } from "./screens/ConnectorWizard";
import { Topology } from "./screens/Topology";
import { Settings } from "./screens/Settings";
import { Rules } from "./screens/Rules";
import type { CorrelationConfig, NewWebhookSecret } from "./wire";
import { useHashRoute, type Route } from "./router";
import { ErrorBox, Loading } from "./components/States";
import { useNow } from "./useNow";
import { useDebounced, useLoaded, useThrottled, type Loaded } from "./useLoaded";
import { useLiveTicks, type Resource } from "./live";
import { prewarmLayout } from "./elkLayout";
import type { Manage } from "./components/ManageIncident";
import { isTyping } from "./listKeys";

export { REFRESH_DEBOUNCE_MS } from "./live";

const LIVE_TEXT: Record<LiveStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  closed: "Live updates off",
};

/** How long typing in the incident search pauses before the server is asked. */
const SEARCH_DEBOUNCE_MS = 250;

/** The open incident (10k signals, say) is reloaded at most this often. */
export const DETAIL_EVERY_MS = 2000;

/** `g` then a key, within this long, goes to a screen. */
const CHORD_MS = 1200;

export function App({ platform }: { platform: Platform }) {
  const api = useMemo(() => createApi(platform), [platform]);
  const now = useNow();
  const [route, go] = useHashRoute();
  const [palette, setPalette] = useState(false);
  const [filter, setFilter] = useState<IncidentFilter>(DEFAULT_FILTER);

  // With no id in the address, the first incident shown is opened, and stays
  // open when newer ones arrive.
  const [defaultId, setDefaultId] = useState<string | null>(null);
  const routeId = route.screen === "incidents" ? route.id : null;
  const openId = useRef<string | null>(null);
  const { ticks, live, refresh } = useLiveTicks(platform, route.screen === "incidents" ? openId : null);

  useEffect(prewarmLayout, []);

  const screen = route.screen;
  const onIncidents = screen === "incidents";
  const onConnectors = screen === "connectors" || screen === "connector-new";
  const list = useLoaded(() => api.listIncidents().then((r) => r.incidents), [api, ticks.incidents]);
  const unassigned = useLoaded(() => api.listSignals(true).then((r) => r.signals), [api, ticks.signals]);
  const deadLetters = useLoaded(() => api.listDeadLetters().then((r) => r.deadLetters), [api, ticks.deadLetters]);
  const instances = useLoaded(onConnectors ? () => api.listInstances().then((r) => r.instances) : null, [api, ticks.instances, onConnectors]);
  // The catalogue changes only with the binary: fetched once it is wanted.
  const [wantCatalogue, setWantCatalogue] = useState(false);
  useEffect(() => {
    if (onConnectors || palette) setWantCatalogue(true);
  }, [onConnectors, palette]);
  const catalogue = useLoaded(wantCatalogue ? () => api.listCatalogue() : null, [api, wantCatalogue]);
  const topology = useLoaded(screen === "topology" ? () => api.getTopology() : null, [api, ticks.topology, screen === "topology"]);
  const onSettings = screen === "settings";
  const settings = useLoaded(onSettings ? () => api.getSettings() : null, [api, ticks.settings, onSettings]);
  const tokens = useLoaded(onSettings ? () => api.listTokens().then((r) => r.tokens) : null, [api, ticks.settings, onSettings]);
  // Changes only with the binary: asked once.
  const version = useLoaded(() => api.getVersion().then((v) => `${v.name} ${v.version}`), [api]);

  const incidents = list.data;
  // The filter runs at once over the list in memory, and on the server over
  // the whole table (once typing pauses): the server's answer for the same
  // filter replaces the quick one, so an older incident is found too.
  const settledFilter = useDebounced(filter, SEARCH_DEBOUNCE_MS);
  const settledKey = JSON.stringify(settledFilter);
  const searched = useLoaded(
    onIncidents ? () => api.searchIncidents(queryOf(settledFilter)).then((r) => ({ key: settledKey, incidents: r.incidents })) : null,
    [api, ticks.incidents, settledKey, onIncidents],
  );
  const shownIncidents = useMemo(() => {
    if (searched.data && searched.data.key === JSON.stringify(filter)) return searched.data.incidents;
    return incidents ? filterIncidents(incidents, filter) : null;
  }, [incidents, filter, searched.data]);

  // The first incident the filter keeps is opened by default, and stays open
  // when newer ones arrive; a default that vanished falls back to the new first.
  const fallbackId =
    shownIncidents === null
      ? defaultId
      : defaultId !== null && shownIncidents.some((i) => i.id === defaultId)
        ? defaultId
        : (shownIncidents[0]?.id ?? null);
  useEffect(() => setDefaultId(fallbackId), [fallbackId]);
  const selectedId = routeId ?? fallbackId;
  openId.current = selectedId;

  // The open incident reloads at most every DETAIL_EVERY_MS in a storm.
  const detailTick = useThrottled(ticks.detail, DETAIL_EVERY_MS);
  const [detail, setDetail] = useState<{ id: string | null; data: Detail | null; error: unknown; loading: boolean }>({
    id: null,
    data: null,
    error: null,
    loading: false,
  });
  useEffect(() => {
    // Off the Incidents screen nothing shows it: the last one is kept, and
    // refetched on coming back.
    if (!onIncidents) return;
    if (selectedId === null) {
      setDetail({ id: null, data: null, error: null, loading: false });
      return;
    }
    let cancelled = false;
    // Keep showing the same incident while it refetches; clear it when switching.
    setDetail((prev) =>
      prev.id === selectedId ? { ...prev, loading: true } : { id: selectedId, data: null, error: null, loading: true },
    );
    api.getIncident(selectedId).then(
      // A transition: a 10k-signal incident renders without freezing the page.
      (d) => !cancelled && startTransition(() => setDetail({ id: selectedId, data: d, error: null, loading: false })),
      (e) => !cancelled && setDetail((prev) => ({ ...prev, id: selectedId, error: e, loading: false })),
    );
    return () => {
      cancelled = true;
    };
  }, [api, selectedId, detailTick, onIncidents]);

  // People's overrides (move, merge, split), each recorded in the decision
  // ledger of the incidents it touched.
  const ledger = useLoaded(onIncidents && selectedId ? () => api.getLedger(selectedId) : null, [api, selectedId, detailTick, onIncidents]);
  const correlation = useLoaded(screen === "rules" ? () => api.getCorrelationSettings() : null, [api, ticks.settings, screen === "rules"]);
  const moveAll = useCallback(
    async (ids: string[], to: string) => {
      for (const id of ids) await api.moveSignal(id, to);
      // A moved signal may come from the inbox; "detail" reloads the ledger too.
      refresh(["incidents", "detail", "signals"]);
    },
    [api, refresh],
  );
  const manage = useMemo<Manage | undefined>(() => {
    if (!selectedId) return undefined;
    return {
      incidents: incidents ?? [],
      merge: async (into) => {
        const r = await api.mergeIncidents(selectedId, into);
        refresh(["incidents", "detail"]);
        go({ screen: "incidents", id: r.incidentId });
      },
      move: moveAll,
      split: async (ids) => {
        const r = await api.splitIncident(selectedId, ids);
        refresh(["incidents", "detail"]);
        go({ screen: "incidents", id: r.incidentId });
      },
    };
  }, [selectedId, incidents, api, refresh, go, moveAll]);
  const assign = useMemo(() => ({ incidents: incidents ?? [], move: moveAll }), [incidents, moveAll]);

  // Keyboard: Ctrl/Cmd+K the palette; j/k walk the incident list; / searches;
  // g then a key goes to a screen (the rail shows which).
  const chord = useRef(0);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setPalette((p) => !p);
        return;
      }
      if (isTyping(e.target)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (Date.now() - chord.current < CHORD_MS) {
        chord.current = 0;
        const target = NAV.find((n) => n.key === `g ${e.key}`);
        if (target) {
          e.preventDefault();
          go(target.route);
        }
        return;
      }
      if (e.key === "g") {
        chord.current = Date.now();
        return;
      }
      if (e.key === "/") {
        const search = document.querySelector<HTMLInputElement>("main input[type=search], aside input[type=search]");
        if (search) {
          e.preventDefault();
          search.focus();
        }
        return;
      }
      if (screen === "incidents" && shownIncidents && shownIncidents.length && (e.key === "j" || e.key === "k")) {
        const i = shownIncidents.findIndex((x) => x.id === selectedId);
        const n = e.key === "j" ? Math.min(shownIncidents.length - 1, i + 1) : Math.max(0, i - 1);
        const id = shownIncidents[n].id;
        go({ screen: "incidents", id });
        for (const el of document.querySelectorAll<HTMLElement>('[data-testid="incident-row"]')) {
          if (el.dataset.incidentId === id) el.focus();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [screen, shownIncidents, selectedId, go]);

  const paletteItems = useMemo<PaletteItem[]>(
    () => [
      ...NAV.map((n) => ({ id: `screen:${n.label}`, label: n.label, hint: "screen", route: n.route })),
      ...(incidents ?? []).map((i) => ({
        id: `incident:${i.id}`,
        label: i.title,
        hint: `${i.severity} · ${i.status}`,
        route: { screen: "incidents" as const, id: i.id },
      })),
      ...(catalogue.data?.connectors ?? []).map((c) => ({
        id: `connector:${c.id}`,
        label: `Connect ${c.name}`,
        hint: c.category,
        route: { screen: "connector-new" as const, descriptorId: c.id },
      })),
    ],
    [incidents, catalogue.data],
  );

  // Runs an action, then refetches only `which`, what it changed (the
  // server's change event, 200 ms later, catches anything else).
  const after = useCallback(
    async <T,>(which: readonly Resource[], f: () => Promise<T>) => {
      const r = await f();
      refresh(which);
      return r;
    },
    [refresh],
  );
  const createInstance = useCallback((n: NewInstance) => after(["instances"], () => api.createInstance(n)), [api, after]);
  const setEnabled = useCallback((id: string, enabled: boolean) => after(["instances"], () => api.setInstanceEnabled(id, enabled)), [api, after]);
  const deleteInstance = useCallback((id: string) => after(["instances"], () => api.deleteInstance(id)), [api, after]);
  const newSecret = useCallback((id: string) => after(["instances"], () => api.rotateWebhookSecret(id)), [api, after]);
  // The replayed payload goes back through the inbox, into signals.
  const replay = useCallback((id: number) => after(["deadLetters", "signals"], () => api.replayDeadLetter(id)), [api, after]);
  const setStatus = useCallback(
    async (status: IncidentStatus) => {
      if (!selectedId) return;
      const summary = await api.setIncidentStatus(selectedId, status);
      // Shown at once; the full reload may wait for its throttle window.
      setDetail((prev) => (prev.data && prev.id === summary.id ? { ...prev, data: { ...prev.data, ...summary } } : prev));
      refresh(["incidents", "detail"]);
    },
    [api, selectedId, refresh],
  );

  const open = incidents?.filter((i) => i.status !== "resolved").length ?? 0;
  useEffect(() => {
    document.title = open > 0 ? `(${open}) Causeway` : "Causeway";
  }, [open]);

  // A lost session breaks every request at once: say it once, at the top.
  const sessionError = [list.error, detail.error, unassigned.error, deadLetters.error, instances.error, topology.error, settings.error].find(
    (e) => e instanceof ApiError && (e.status === 401 || e.code === "unauthorized"),
  );
  const shown = (e: unknown) => (sessionError ? null : e);
  const stalled = !!sessionError;
  const origin = platform.kind === "web" && typeof location !== "undefined" ? location.origin : null;
  const webhookUrl = `${origin ?? "…"}/webhooks/alertmanager/default`;

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
      {sessionError ? (
        <div className="banner" data-testid="session-banner">
          <ErrorBox error={sessionError} title="Signed out." />
        </div>
      ) : null}
      <div className="shell">
        <Nav
          route={route}
          counts={{
            incidents: incidents ? open : null,
            signals: unassigned.data?.length ?? null,
            "dead-letters": deadLetters.data?.length ?? null,
          }}
          version={version.data}
        />
        {screen === "incidents" ? (
          <div className="layout">
            <aside className="sidebar">
              <IncidentList
                incidents={shownIncidents}
                // The server's search can reach past the latest page the list holds.
                total={Math.max(incidents?.length ?? 0, shownIncidents?.length ?? 0)}
                filter={filter}
                onFilter={setFilter}
                error={shown(list.error)}
                stalled={stalled}
                selectedId={selectedId}
                onSelect={(id) => go({ screen: "incidents", id })}
                now={now}
                webhookUrl={webhookUrl}
              />
            </aside>
            <main className="main">
              {shown(detail.error) ? <ErrorBox error={detail.error} /> : null}
              {detail.data ? (
                <IncidentDetail
                  key={detail.data.id}
                  detail={detail.data}
                  now={now}
                  onSetStatus={setStatus}
                  refreshing={detail.loading}
                  manage={manage}
                  ledger={{
                    entries: ledger.data && ledger.data.incidentId === detail.data.id ? ledger.data.entries : null,
                    error: shown(ledger.error),
                  }}
                />
              ) : selectedId && !detail.error ? (
                <Loading what="the incident" />
              ) : incidents && incidents.length === 0 ? (
                <div className="placeholder muted">When an incident opens, it shows here.</div>
              ) : null}
            </main>
          </div>
        ) : (
          <main className="main single">
            <Screen
              route={route}
              go={go}
              api={api}
              now={now}
              stalled={stalled}
              shown={shown}
              data={{ unassigned, deadLetters, instances, catalogue, topology, settings, tokens, correlation }}
              assign={assign}
              actions={{
                replay,
                setEnabled,
                deleteInstance,
                newSecret,
                createInstance,
                refreshSettings: () => refresh(["settings"]),
                applyCorrelation: (c) => after(["settings"], () => api.applyCorrelationSettings(c)),
              }}
              origin={origin}
            />
          </main>
        )}
      </div>
      {palette ? <CommandPalette items={paletteItems} onGo={go} onClose={() => setPalette(false)} /> : null}
    </div>
  );
}

type ScreenProps = {
  route: Exclude<Route, { screen: "incidents" }>;
  go: (r: Route) => void;
  api: ReturnType<typeof createApi>;
  now: number;
  stalled: boolean;
  shown: (e: unknown) => unknown;
  data: {
    unassigned: Loaded<SignalView[]>;
    deadLetters: Loaded<DeadLetterView[]>;
    instances: Loaded<InstanceView[]>;
    catalogue: Loaded<Catalogue>;
    topology: Loaded<TopologyView>;
    settings: Loaded<SettingsView>;
    tokens: Loaded<TokenView[]>;
    correlation: Loaded<CorrelationConfig>;
  };
  actions: {
    replay: (id: number) => Promise<Replayed>;
    setEnabled: (id: string, enabled: boolean) => Promise<unknown>;
    deleteInstance: (id: string) => Promise<unknown>;
    newSecret: (id: string) => Promise<NewWebhookSecret>;
    createInstance: (n: NewInstance) => Promise<InstanceView>;
    refreshSettings: () => void;
    applyCorrelation: (c: CorrelationConfig) => Promise<CorrelationConfig>;
  };
  origin: string | null;
  assign?: Pick<Manage, "incidents" | "move">;
};

/** Every screen but Incidents, which has its own two-pane layout. */
function Screen({ route, go, api, now, stalled, shown, data, actions, origin, assign }: ScreenProps) {
  const { unassigned, deadLetters, instances, catalogue, topology, settings, tokens } = data;
  switch (route.screen) {
    case "signals":
      return <SignalsInbox signals={unassigned.data} error={shown(unassigned.error)} stalled={stalled} now={now} assign={assign} />;
    case "dead-letters":
      return <DeadLetters deadLetters={deadLetters.data} error={shown(deadLetters.error)} stalled={stalled} now={now} onReplay={actions.replay} />;
    case "connectors":
      return (
        <div className="connectors">
          <Monitoring
            instances={instances}
            now={now}
            onSetEnabled={actions.setEnabled}
            onDelete={actions.deleteInstance}
            onTest={api.testInstance}
            onAuthorize={api.authorizeInstance}
            onNewSecret={actions.newSecret}
            isOauth={(id) => catalogue.data?.connectors.find((c) => c.id === id)?.auth.type === "oauth2"}
          />
          <CatalogueGrid catalogue={catalogue} instances={instances.data} onSetup={(descriptorId) => go({ screen: "connector-new", descriptorId })} />
        </div>
      );
    case "connector-new":
      return (
        <ConnectorWizard
          key={route.descriptorId}
          descriptorId={route.descriptorId}
          catalogue={catalogue}
          onCreate={actions.createInstance}
          onTest={api.testConnection}
          onAuthorize={api.authorizeInstance}
          loadOptions={api.fieldOptions}
          onCancel={() => go({ screen: "connectors" })}
          onDone={() => go({ screen: "connectors" })}
          origin={origin}
        />
      );
    case "topology":
      return (
        <Topology
          topology={{ data: topology.data, error: shown(topology.error) }}
          entity={route.entity}
          api={api}
          go={go}
          stalled={stalled}
        />
      );
    case "rules":
      return (
        <Rules
          settings={{ data: data.correlation.data, error: shown(data.correlation.error) }}
          backtest={api.backtest}
          apply={actions.applyCorrelation}
          stalled={stalled}
        />
      );
    case "settings":
      return (
        <Settings
          settings={{ data: settings.data, error: shown(settings.error) }}
          tokens={{ data: tokens.data, error: shown(tokens.error) }}
          api={api}
          onChanged={actions.refreshSettings}
          now={now}
          stalled={stalled}
        />
      );
  }
}
