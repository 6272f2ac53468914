import { useCallback, useEffect, useMemo, useState } from "react";
import type { DeadLetterView, InstanceView, NewInstance, IncidentDetail as Detail, IncidentStatus, IncidentSummary, SignalView } from "./wire";
import { ApiError, createApi, type LiveStatus, type Platform } from "./platform/api";
import { IncidentList } from "./components/IncidentList";
import { IncidentDetail } from "./components/IncidentDetail";
import { DeadLetters } from "./components/DeadLetters";
import { Nav, NAV } from "./components/Nav";
import { CommandPalette, type PaletteItem } from "./components/CommandPalette";
import { SignalsInbox } from "./screens/SignalsInbox";
import { CatalogueGrid, Monitoring } from "./screens/Connectors";
import { ConnectorWizard } from "./screens/ConnectorWizard";
import type { Catalogue } from "./catalogueTypes";
import { useHashRoute } from "./router";
import { ErrorBox, Loading } from "./components/States";
import { useNow } from "./useNow";

/** How long to wait after a change event before refetching (events come in bursts). */
export const REFRESH_DEBOUNCE_MS = 200;

type Loaded<T> = { data: T | null; error: unknown };

const LIVE_TEXT: Record<LiveStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  closed: "Live updates off",
};

export function App({ platform }: { platform: Platform }) {
  const api = useMemo(() => createApi(platform), [platform]);
  const now = useNow();
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  const [live, setLive] = useState<LiveStatus>("connecting");

  const [route, go] = useHashRoute();
  const [list, setList] = useState<Loaded<IncidentSummary[]>>({ data: null, error: null });
  // With no id in the address, the first incident is shown, and stays shown
  // when newer ones arrive.
  const [defaultId, setDefaultId] = useState<string | null>(null);
  const routeId = route.screen === "incidents" ? route.id : null;
  const selectedId = routeId ?? defaultId;
  const setSelectedId = useCallback((id: string) => go({ screen: "incidents", id }), [go]);
  const [instances, setInstances] = useState<Loaded<InstanceView[]>>({ data: null, error: null });
  const [catalogue, setCatalogue] = useState<Loaded<Catalogue>>({ data: null, error: null });
  const [palette, setPalette] = useState(false);
  const onConnectors = route.screen === "connectors" || route.screen === "connector-new";
  const [detail, setDetail] = useState<Loaded<Detail> & { id: string | null; loading: boolean }>({
    id: null,
    data: null,
    error: null,
    loading: false,
  });
  const [unassigned, setUnassigned] = useState<Loaded<SignalView[]>>({ data: null, error: null });
  const [deadLetters, setDeadLetters] = useState<Loaded<DeadLetterView[]>>({ data: null, error: null });

  // Live updates: any change refetches what is on screen, debounced.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = platform.subscribe(() => {
      clearTimeout(timer);
      timer = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
    }, setLive);
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [platform, refresh]);

  useEffect(() => {
    let cancelled = false;
    api.listIncidents().then(
      (r) => {
        if (cancelled) return;
        setList({ data: r.incidents, error: null });
        // The first incident is selected by default (and then stays selected
        // when newer ones arrive); a selection that vanished falls back to it.
        setDefaultId((current) =>
          current !== null && r.incidents.some((i) => i.id === current) ? current : (r.incidents[0]?.id ?? null),
        );
      },
      (e) => !cancelled && setList((prev) => ({ data: prev.data, error: e })),
    );
    return () => {
      cancelled = true;
    };
  }, [api, tick]);

  useEffect(() => {
    let cancelled = false;
    api.listSignals(true).then(
      (r) => !cancelled && setUnassigned({ data: r.signals, error: null }),
      (e) => !cancelled && setUnassigned((prev) => ({ data: prev.data, error: e })),
    );
    api.listDeadLetters().then(
      (r) => !cancelled && setDeadLetters({ data: r.deadLetters, error: null }),
      (e) => !cancelled && setDeadLetters((prev) => ({ data: prev.data, error: e })),
    );
    return () => {
      cancelled = true;
    };
  }, [api, tick]);

  useEffect(() => {
    if (!onConnectors) return;
    let cancelled = false;
    api.listInstances().then(
      (r) => !cancelled && setInstances({ data: r.instances, error: null }),
      (e) => !cancelled && setInstances((prev) => ({ data: prev.data, error: e })),
    );
    return () => {
      cancelled = true;
    };
  }, [api, tick, onConnectors]);

  // The catalogue changes only with the binary: fetched once.
  useEffect(() => {
    if (!onConnectors || catalogue.data) return;
    let cancelled = false;
    api.listCatalogue().then(
      (r) => !cancelled && setCatalogue({ data: r, error: null }),
      (e) => !cancelled && setCatalogue({ data: null, error: e }),
    );
    return () => {
      cancelled = true;
    };
  }, [api, onConnectors, catalogue.data]);

  const incidents = list.data;

  // Ctrl/Cmd+K opens the palette; j/k walk the incident list.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setPalette((p) => !p);
        return;
      }
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (route.screen === "incidents" && incidents && incidents.length && (e.key === "j" || e.key === "k")) {
        const i = incidents.findIndex((x) => x.id === selectedId);
        const n = e.key === "j" ? Math.min(incidents.length - 1, i + 1) : Math.max(0, i - 1);
        const id = incidents[n].id;
        go({ screen: "incidents", id });
        for (const el of document.querySelectorAll<HTMLElement>('[data-testid="incident-row"]')) {
          if (el.dataset.incidentId === id) el.focus();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [route.screen, incidents, selectedId, go]);

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

  const createInstance = useCallback(
    async (n: NewInstance) => {
      const r = await api.createInstance(n);
      refresh();
      return r;
    },
    [api, refresh],
  );
  const setEnabled = useCallback(
    async (id: string, enabled: boolean) => {
      await api.setInstanceEnabled(id, enabled);
      refresh();
    },
    [api, refresh],
  );
  const deleteInstance = useCallback(
    async (id: string) => {
      await api.deleteInstance(id);
      refresh();
    },
    [api, refresh],
  );

  useEffect(() => {
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
      (d) => !cancelled && setDetail({ id: selectedId, data: d, error: null, loading: false }),
      (e) => !cancelled && setDetail((prev) => ({ ...prev, id: selectedId, error: e, loading: false })),
    );
    return () => {
      cancelled = true;
    };
  }, [api, selectedId, tick]);

  const setStatus = useCallback(
    async (status: IncidentStatus) => {
      if (!selectedId) return;
      await api.setIncidentStatus(selectedId, status);
      refresh();
    },
    [api, selectedId, refresh],
  );

  const replay = useCallback(
    async (id: number) => {
      const r = await api.replayDeadLetter(id);
      refresh();
      return r;
    },
    [api, refresh],
  );

  const open = incidents?.filter((i) => i.status !== "resolved").length ?? 0;
  useEffect(() => {
    document.title = open > 0 ? `(${open}) Causeway` : "Causeway";
  }, [open]);

  // A lost session breaks every request at once: say it once, at the top.
  const sessionError = [list.error, detail.error, unassigned.error, deadLetters.error, instances.error].find(
    (e) => e instanceof ApiError && (e.status === 401 || e.code === "unauthorized"),
  );
  const shown = (e: unknown) => (sessionError ? null : e);

  const webhookUrl =
    platform.kind === "web" && typeof location !== "undefined"
      ? `${location.origin}/webhooks/alertmanager/default`
      : "…/webhooks/alertmanager/default";

  return (
    <div className="app">
      <header className="topbar">
        <h1 className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Causeway
        </h1>
        <span className="topbar-sub muted">{incidents ? `${open} open incident${open === 1 ? "" : "s"}` : ""}</span>
        <span className="spacer" />
        <span className={`live live-${live}`} data-testid="live-status" title="Live updates">
          <span className="live-dot" aria-hidden="true" />
          {LIVE_TEXT[live]}
        </span>
        <button type="button" className="btn btn-quiet" onClick={refresh} title="Fetch everything again">
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
        />
        {route.screen === "incidents" ? (
          <div className="layout">
            <aside className="sidebar">
              <IncidentList
                incidents={incidents}
                error={shown(list.error)}
                stalled={!!sessionError}
                selectedId={selectedId}
                onSelect={setSelectedId}
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
            {route.screen === "signals" ? (
              <SignalsInbox signals={unassigned.data} error={shown(unassigned.error)} stalled={!!sessionError} now={now} />
            ) : route.screen === "dead-letters" ? (
              <DeadLetters
                deadLetters={deadLetters.data}
                error={shown(deadLetters.error)}
                stalled={!!sessionError}
                now={now}
                onReplay={replay}
              />
            ) : route.screen === "connectors" ? (
              <div className="connectors">
                <Monitoring instances={instances} now={now} onSetEnabled={setEnabled} onDelete={deleteInstance} />
                <CatalogueGrid
                  catalogue={catalogue}
                  instances={instances.data}
                  onSetup={(descriptorId) => go({ screen: "connector-new", descriptorId })}
                />
              </div>
            ) : (
              <ConnectorWizard
                key={route.descriptorId}
                descriptorId={route.descriptorId}
                catalogue={catalogue}
                onCreate={createInstance}
                onCancel={() => go({ screen: "connectors" })}
                onDone={() => go({ screen: "connectors" })}
                origin={platform.kind === "web" && typeof location !== "undefined" ? location.origin : null}
              />
            )}
          </main>
        )}
      </div>
      {palette ? <CommandPalette items={paletteItems} onGo={go} onClose={() => setPalette(false)} /> : null}
    </div>
  );
}
