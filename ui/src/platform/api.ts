import type {
  ChangeEvent,
  Command,
  DeadLetterList,
  IncidentDetail,
  IncidentList,
  IncidentQuery,
  IncidentStatus,
  IncidentSummary,
  ImpactView,
  InstanceList,
  IssuedToken,
  SettingsUpdate,
  SettingsView,
  TokenList,
  TokenView,
  TopologyView,
  InstanceView,
  NewInstance,
  Replayed,
  SignalList,
  TestResult,
  Authorization,
  BacktestReport,
  CorrelationConfig,
  KubeContexts,
  LedgerView,
  OverrideResult,
  NewWebhookSecret,
  VersionView,
  TeamView,
} from "../wire";
import type { Catalogue, FieldOptions } from "../catalogueTypes";
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

/** Typed helpers over a platform, one per command. */
export function createApi(platform: Platform) {
  /** The contexts of a kubeconfig (default: the server's `$KUBECONFIG` or `~/.kube/config`). */
  const listKubeContexts = (kubeconfig: string | null = null) =>
    platform.call<KubeContexts>({ command: "listKubeContexts", args: { kubeconfig } });
  return {
    listIncidents: () => platform.call<IncidentList>({ command: "listIncidents" }),
    searchIncidents: (args: IncidentQuery) => platform.call<IncidentList>({ command: "searchIncidents", args }),
    getIncident: (id: string) => platform.call<IncidentDetail>({ command: "getIncident", args: { id } }),
    listSignals: (unassigned: boolean) =>
      platform.call<SignalList>({ command: "listSignals", args: { unassigned } }),
    listDeadLetters: () => platform.call<DeadLetterList>({ command: "listDeadLetters" }),
    replayDeadLetter: (id: number) =>
      platform.call<Replayed>({ command: "replayDeadLetter", args: { id } }),
    setIncidentStatus: (id: string, status: IncidentStatus) =>
      platform.call<IncidentSummary>({ command: "setIncidentStatus", args: { id, status } }),
    listCatalogue: () => platform.call<Catalogue>({ command: "listCatalogue" }),
    listInstances: () => platform.call<InstanceList>({ command: "listInstances" }),
    createInstance: (args: NewInstance) => platform.call<InstanceView>({ command: "createInstance", args }),
    setInstanceEnabled: (id: string, enabled: boolean) =>
      platform.call<InstanceView>({ command: "setInstanceEnabled", args: { id, enabled } }),
    deleteInstance: (id: string) => platform.call<unknown>({ command: "deleteInstance", args: { id } }),
    testConnection: (args: NewInstance) => platform.call<TestResult>({ command: "testConnection", args }),
    testInstance: (id: string) => platform.call<TestResult>({ command: "testInstance", args: { id } }),
    /** A new webhook secret for a receiver, in this answer only. */
    rotateWebhookSecret: (id: string) => platform.call<NewWebhookSecret>({ command: "rotateWebhookSecret", args: { id } }),
    /** The desktop opens the browser itself; a browser tab opens the link. */
    authorizeInstance: (id: string) =>
      platform.call<Authorization>({ command: "authorizeInstance", args: { id, openBrowser: platform.kind === "tauri" } }),
    moveSignal: (signalId: string, incidentId: string) =>
      platform.call<OverrideResult>({ command: "moveSignal", args: { signalId, incidentId } }),
    mergeIncidents: (from: string, into: string) => platform.call<OverrideResult>({ command: "mergeIncidents", args: { from, into } }),
    splitIncident: (id: string, signalIds: string[]) =>
      platform.call<OverrideResult>({ command: "splitIncident", args: { id, signalIds } }),
    getLedger: (id: string) => platform.call<LedgerView>({ command: "getLedger", args: { id } }),
    listKubeContexts,
    /**
     * The choices of a setup field whose `x-options` names `command`, with
     * `args` taken from the form. Only commands that list choices are asked.
     */
    fieldOptions: async (command: string, args: Record<string, unknown>, valueKey = "name"): Promise<FieldOptions> => {
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
    getCorrelationSettings: () => platform.call<CorrelationConfig>({ command: "getCorrelationSettings" }),
    backtest: (config: CorrelationConfig) => platform.call<BacktestReport>({ command: "backtest", args: { config } }),
    applyCorrelationSettings: (config: CorrelationConfig) =>
      platform.call<CorrelationConfig>({ command: "applyCorrelationSettings", args: { config } }),
    getTopology: () => platform.call<TopologyView>({ command: "getTopology" }),
    topologyImpact: (entity: string) => platform.call<ImpactView>({ command: "topologyImpact", args: { entity } }),
    listTokens: () => platform.call<TokenList>({ command: "listTokens" }),
    issueToken: (scope: "ingest" | "admin") => platform.call<IssuedToken>({ command: "issueToken", args: { scope } }),
    revokeToken: (id: string) => platform.call<TokenView>({ command: "revokeToken", args: { id } }),
    getSettings: () => platform.call<SettingsView>({ command: "getSettings" }),
    saveSettings: (args: SettingsUpdate) => platform.call<SettingsView>({ command: "saveSettings", args }),
    /** Which Causeway answers (`GET /api/version` over HTTP). */
    getVersion: () => platform.call<VersionView>({ command: "getVersion" }),
    /** The team this Causeway is in (members, leases, log lag), or null. */
    getTeam: () => platform.call<TeamView | null>({ command: "getTeam" }),
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
