import { useCallback, useEffect, useMemo, useState } from "react";
import type { IncidentDetail as Detail, IncidentStatus, IncidentSummary, LedgerView } from "../../wire";
import { incidentsOf } from "../../app/resources";
import { useProject } from "../../app/project";
import { useResource, useSession, useWorkbench, type ResourceSpec } from "../../app/useResource";
import { useDebounced } from "../../app/useDebounced";
import { useNow } from "../../app/useNow";
import type { Route } from "../../app/router";
import type { Walk } from "../../app/shortcuts";
import type { Manage } from "../../components/ManageIncident";
import { ErrorBox, Loading } from "../../components/States";
import { DEFAULT_FILTER, filterIncidents, IncidentList, queryOf, type IncidentFilter } from "./IncidentList";
import { IncidentDetail } from "./IncidentDetail";

/** How long typing in the incident search pauses before the server is asked. */
const SEARCH_DEBOUNCE_MS = 250;

/** The open incident (10k signals, say) is reloaded at most this often. */
export const DETAIL_EVERY_MS = 2000;

/** The server's search over the project's whole table, for a filter that has settled. */
function searchOf(project: string, filter: IncidentFilter): ResourceSpec<{ key: string; incidents: IncidentSummary[] }> {
  const key = searchKey(project, filter);
  return {
    key: `search:${key}`,
    load: (api) => api.searchIncidents({ ...queryOf(filter), project }).then((r) => ({ key, incidents: r.incidents })),
    on: ["incidents"],
  };
}

/** Which search an answer is for: one project's, one filter's. */
function searchKey(project: string, filter: IncidentFilter): string {
  return `${project}:${JSON.stringify(filter)}`;
}

function detailOf(id: string): ResourceSpec<Detail> {
  return { key: `incident:${id}`, load: (api) => api.getIncident(id), on: ["detail"], everyMs: DETAIL_EVERY_MS, transition: true };
}

/** People's overrides (move, merge, split), each recorded in the decision ledger of the incidents it touched. */
function ledgerOf(id: string): ResourceSpec<LedgerView> {
  return { key: `ledger:${id}`, load: (api) => api.getLedger(id), on: ["detail"], everyMs: DETAIL_EVERY_MS };
}

/** The incidents, searched and filtered, beside the one open. */
export function IncidentsScreen({ id: routeId, go, walk }: { id: string | null; go: (r: Route) => void; walk: Walk }) {
  const { platform, api, openIncident } = useWorkbench();
  const { id: project } = useProject();
  const { shown, stalled } = useSession();
  const now = useNow();
  const [filter, setFilter] = useState<IncidentFilter>(DEFAULT_FILTER);
  const list = useResource(incidentsOf(project));
  const incidents = list.data;
  const changeList = list.mutate;

  // The filter runs at once over the list in memory, and on the server over
  // the whole table (once typing pauses): the server's answer for the same
  // filter replaces the quick one, so an older incident is found too.
  const searched = useResource(searchOf(project, useDebounced(filter, SEARCH_DEBOUNCE_MS)));
  const shownIncidents = useMemo(() => {
    if (searched.data && searched.data.key === searchKey(project, filter)) return searched.data.incidents;
    return incidents ? filterIncidents(incidents, filter) : null;
  }, [incidents, filter, project, searched.data]);

  // With no id in the address, the first incident the filter keeps is opened,
  // and stays open when newer ones arrive; a default that vanished falls back
  // to the new first.
  const [defaultId, setDefaultId] = useState<string | null>(null);
  const fallbackId =
    shownIncidents === null
      ? defaultId
      : defaultId !== null && shownIncidents.some((i) => i.id === defaultId)
        ? defaultId
        : (shownIncidents[0]?.id ?? null);
  useEffect(() => setDefaultId(fallbackId), [fallbackId]);
  const selectedId = routeId ?? fallbackId;
  // Live changes that name it reload it; a storm elsewhere does not.
  useEffect(() => {
    openIncident.current = selectedId;
    return () => void (openIncident.current = null);
  }, [openIncident, selectedId]);

  // j/k walk the list shown.
  useEffect(() => {
    walk.current = (step) => {
      if (!shownIncidents?.length) return;
      const i = shownIncidents.findIndex((x) => x.id === selectedId);
      const id = shownIncidents[Math.min(shownIncidents.length - 1, Math.max(0, i + step))].id;
      go({ screen: "incidents", id });
      for (const el of document.querySelectorAll<HTMLElement>('[data-testid="incident-row"]')) {
        if (el.dataset.incidentId === id) el.focus();
      }
    };
    return () => void (walk.current = null);
  }, [walk, shownIncidents, selectedId, go]);

  // Keeps showing the same incident while it refetches, at most every DETAIL_EVERY_MS in a storm.
  const detail = useResource(selectedId === null ? null : detailOf(selectedId));
  const ledger = useResource(selectedId === null ? null : ledgerOf(selectedId));

  const moveAll = useCallback(
    // A moved signal may come from the inbox; "detail" reloads the ledger too.
    (ids: string[], to: string) =>
      changeList(async (api) => {
        for (const id of ids) await api.moveSignal(id, to);
      }, ["incidents", "detail", "signals"]),
    [changeList],
  );
  const manage = useMemo<Manage | undefined>(() => {
    if (!selectedId) return undefined;
    const andOpen = async (change: Promise<{ incidentId: string }>) => go({ screen: "incidents", id: (await change).incidentId });
    return {
      incidents: incidents ?? [],
      merge: (into) => andOpen(changeList((api) => api.mergeIncidents(selectedId, into), ["incidents", "detail"])),
      move: moveAll,
      split: (ids) => andOpen(changeList((api) => api.splitIncident(selectedId, ids), ["incidents", "detail"])),
    };
  }, [selectedId, incidents, changeList, go, moveAll]);
  const { mutate: changeDetail, patch: patchDetail } = detail;
  const setStatus = useCallback(
    async (status: IncidentStatus) => {
      if (!selectedId) return;
      const summary = await changeDetail((api) => api.setIncidentStatus(selectedId, status), ["incidents"]);
      // Shown at once; the full reload may wait for its throttle window.
      patchDetail((d) => (d.id === summary.id ? { ...d, ...summary } : d));
    },
    [selectedId, changeDetail, patchDetail],
  );

  const origin = platform.kind === "web" && typeof location !== "undefined" ? location.origin : null;
  return (
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
          webhookUrl={`${origin ?? "…"}/webhooks/alertmanager/${project}`}
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
            loadMore={(offset) => api.listIncidentSignals(detail.data!.id, offset).then((p) => p.signals)}
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
  );
}
