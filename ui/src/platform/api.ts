import type { ChangeEvent, Command, CorrelationConfig, IncidentQuery, IncidentStatus, NewInstance, SettingsUpdate } from "../wire";
import { createClient } from "../bindings/client";
import { ApiError } from "./errors";
import { TauriPlatform } from "./tauri";
import { WebPlatform } from "./web";

export { ApiError, errorText, SESSION_EXPIRED, toApiError } from "./errors";

/** State of the live-update channel, for a small indicator. */
export type LiveStatus = "connecting" | "live" | "reconnecting" | "closed";

/**
 * One API, two transports: the Tauri shell (`invoke('rpc')` + Tauri events)
 * and the browser against `causeway serve` (`POST /api/rpc` + SSE).
 */
export interface Platform {
  readonly kind: "tauri" | "web";
  /** Runs one command; rejects with an ApiError. */
  call<T>(command: Command): Promise<T>;
  /**
   * Calls `onChange` for every change the backend announces. When the channel
   * reconnects after a drop (events may have been missed) it calls `onChange`
   * with `{type: "incidentsChanged", ids: []}` so the caller refetches.
   * Returns the unsubscribe function.
   */
  subscribe(onChange: (e: ChangeEvent) => void, onStatus?: (s: LiveStatus) => void): () => void;
}

/**
 * The commands as the screens call them, positional arguments in, over the
 * client generated from the backend's answer table (`bindings/client.ts`):
 * every answer's type comes from there, none is written here.
 */
export function createApi(platform: Platform) {
  const c = createClient(<T,>(command: Command) => platform.call<T>(command));
  /** The contexts of a kubeconfig (default: the server's `$KUBECONFIG` or `~/.kube/config`). */
  const listKubeContexts = (kubeconfig: string | null = null) => c.listKubeContexts({ kubeconfig });
  return {
    /** One project's latest incidents. */
    listIncidents: (project: string) => c.listIncidents({ project }),
    /** Searches the project `args.project` names. */
    searchIncidents: (args: IncidentQuery & { project: string }) => c.searchIncidents(args),
    getIncident: (id: string) => c.getIncident({ id }),
    /** A page of an incident's signals in the order they joined it (a storm's holds thousands). */
    listIncidentSignals: (id: string, offset: number, limit = 500) => c.listIncidentSignals({ id, offset, limit }),
    listSignals: (unassigned: boolean, project: string) => c.listSignals({ unassigned, project }),
    listDeadLetters: (project: string) => c.listDeadLetters({ project }),
    replayDeadLetter: (id: number) => c.replayDeadLetter({ id }),
    setIncidentStatus: (id: string, status: IncidentStatus) => c.setIncidentStatus({ id, status }),
    listCatalogue: () => c.listCatalogue(),
    /** One project's connector instances; every project's when none is named. */
    listInstances: (project?: string) => c.listInstances(project === undefined ? {} : { project }),
    createInstance: (args: NewInstance) => c.createInstance(args),
    setInstanceEnabled: (id: string, enabled: boolean) => c.setInstanceEnabled({ id, enabled }),
    deleteInstance: (id: string) => c.deleteInstance({ id }),
    testConnection: (args: NewInstance) => c.testConnection(args),
    testInstance: (id: string) => c.testInstance({ id }),
    /** A new webhook secret for a receiver, in this answer only. */
    rotateWebhookSecret: (id: string) => c.rotateWebhookSecret({ id }),
    /** The desktop opens the browser itself; a browser tab opens the link. */
    authorizeInstance: (id: string) => c.authorizeInstance({ id, openBrowser: platform.kind === "tauri" }),
    moveSignal: (signalId: string, incidentId: string) => c.moveSignal({ signalId, incidentId }),
    mergeIncidents: (from: string, into: string) => c.mergeIncidents({ from, into }),
    splitIncident: (id: string, signalIds: string[]) => c.splitIncident({ id, signalIds }),
    getLedger: (id: string) => c.getLedger({ id }),
    listKubeContexts,
    /**
     * The choices of a setup field whose `x-options` names `command`, with
     * `args` taken from the form. Only commands that list choices are asked.
     */
    fieldOptions: async (command: string, args: Record<string, unknown>, valueKey = "name") => {
      switch (command) {
        case "listKubeContexts": {
          const path = typeof args.kubeconfig === "string" && args.kubeconfig.trim() ? args.kubeconfig.trim() : null;
          const r = await listKubeContexts(path);
          return {
            source: r.source,
            current: r.current,
            options: r.contexts.map((c) => ({
              value: String(c[valueKey as keyof typeof c] ?? c.name),
              label: c.name,
              detail: [c.cluster, c.server, c.namespace ? `namespace ${c.namespace}` : null].filter(Boolean).join(" · "),
            })),
          };
        }
        default:
          throw new ApiError("bad_request", `this version of the UI cannot list choices with ${command}`);
      }
    },
    /** One project's correlation settings and rules (each project's engine has its own). */
    getCorrelationSettings: (project: string) => c.getCorrelationSettings({ project }),
    /** Replays the project's history only. */
    backtest: (config: CorrelationConfig, project: string) => c.backtest({ config, project }),
    applyCorrelationSettings: (config: CorrelationConfig, project: string) => c.applyCorrelationSettings({ config, project }),
    /** The graph, marked with the open incidents of `project`. */
    getTopology: (project: string) => c.getTopology({ project }),
    topologyImpact: (entity: string) => c.topologyImpact({ entity }),
    listTokens: () => c.listTokens(),
    issueToken: (scope: "ingest" | "admin") => c.issueToken({ scope }),
    revokeToken: (id: string) => c.revokeToken({ id }),
    getSettings: () => c.getSettings(),
    saveSettings: (args: SettingsUpdate) => c.saveSettings(args),
    /** Which Causeway answers (`GET /api/version` over HTTP). */
    getVersion: () => c.getVersion(),
    /** The team this Causeway is in (members, leases, log lag), or null. */
    getTeam: () => c.getTeam(),
    /** Every project, `default` first. */
    listProjects: () => c.listProjects(),
    /** A project with what deleting it would take (its counts). */
    getProject: (id: string) => c.getProject({ id }),
    /** A new project, with its Alertmanager receiver's secret in this answer only. */
    createProject: (id: string, name: string) => c.createProject({ id, name }),
    renameProject: (id: string, name: string) => c.renameProject({ id, name }),
    /** Deletes the project and all it holds (`default` cannot be). */
    deleteProject: (id: string) => c.deleteProject({ id }),
  };
}

export type Api = ReturnType<typeof createApi>;

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

/** The Tauri transport inside the desktop app, the web one anywhere else. */
export function pickPlatform(win: Window = window): Platform {
  if (win.__TAURI_INTERNALS__ !== undefined && win.__TAURI_INTERNALS__ !== null) {
    return new TauriPlatform();
  }
  return new WebPlatform();
}
