import { useCallback, useEffect, useMemo, useState } from "react";
import type { DeadLetterView, IncidentDetail as Detail, IncidentStatus, IncidentSummary, SignalView } from "./wire";
import { ApiError, createApi, type LiveStatus, type Platform } from "./platform/api";
import { IncidentList } from "./components/IncidentList";
import { IncidentDetail } from "./components/IncidentDetail";
import { Unassigned } from "./components/Unassigned";
import { DeadLetters } from "./components/DeadLetters";
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

  const [list, setList] = useState<Loaded<IncidentSummary[]>>({ data: null, error: null });
  const [selectedId, setSelectedId] = useState<string | null>(null);
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
        setSelectedId((current) =>
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

  const incidents = list.data;

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
  const sessionError = [list.error, detail.error, unassigned.error, deadLetters.error].find(
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
          <div className="intake">
            <Unassigned signals={unassigned.data} error={shown(unassigned.error)} stalled={!!sessionError} now={now} />
            <DeadLetters
              deadLetters={deadLetters.data}
              error={shown(deadLetters.error)}
              stalled={!!sessionError}
              now={now}
              onReplay={replay}
            />
          </div>
        </main>
      </div>
    </div>
  );
}
