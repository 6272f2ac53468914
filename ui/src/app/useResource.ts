import { createContext, startTransition, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, type Api, type Platform } from "../platform/api";
import type { Resource } from "./live";

/** Something fetched: the last good answer, and the last error (both may be set while stale). */
export type Loaded<T> = { data: T | null; error: unknown };

/**
 * What a screen asks the backend for. Two screens (or the rail and a screen)
 * that ask with the same `key` share one answer and one request, so the key
 * must name everything the answer depends on (`incident:inc-1`).
 */
export type ResourceSpec<T> = {
  key: string;
  load: (api: Api) => Promise<T>;
  /** The live changes that make the answer stale; none: asked once (the catalogue, the version). */
  on?: readonly Resource[];
  /** While changes keep coming, refetched at most this often (a storm on the open incident). */
  everyMs?: number;
  /** Kept once nobody shows it (it changes only with the binary: asked once). */
  keep?: boolean;
  /** The answer renders in a transition: a 10k-signal incident renders without freezing the page. */
  transition?: boolean;
  /**
   * Asked again this often while shown: for what changes with no change
   * event to tell (the team's heartbeats, leases and lag).
   */
  pollMs?: number;
};

export type ResourceState<T> = Loaded<T> & {
  /** A request for it is in flight (the last answer stays shown meanwhile). */
  loading: boolean;
  /**
   * Runs a change, then refetches this answer (if live changes can move it)
   * and makes `also` stale: what else the change touched, at once (the
   * server's change event, 200 ms later, catches anything else).
   */
  mutate: <R>(change: (api: Api) => Promise<R>, also?: readonly Resource[]) => Promise<R>;
  /** Patches the answer in place, shown at once, until the next fetch replaces it. */
  patch: (update: (data: T) => T) => void;
};

type Snapshot = { key: string | null; data: unknown; error: unknown; loading: boolean; nonce: number };
type Entry = Snapshot & {
  key: string;
  /** The stamp of the last request made. */
  stamp: string | null;
  /** The stamp of the request waiting out the throttle, and its timer. */
  waiting: string | null;
  timer?: ReturnType<typeof setTimeout>;
  /** When it was last asked again (its first request does not count). */
  refetchedAt: number;
  /** Kept when nobody shows it. */
  keep: boolean;
  listeners: Set<() => void>;
};

/** A lost session breaks every request at once: the app says so once, not on every screen. */
function isSessionLost(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 401 || e.code === "unauthorized");
}

/**
 * The answers on screen, by key. An answer nobody shows any more is dropped,
 * so a screen left and come back to fetches afresh. Each fetch is stamped
 * with the live ticks it was asked for: the same stamp is asked once however
 * many components want it, and an answer to an older stamp is discarded.
 */
export class ResourceStore {
  private entries = new Map<string, Entry>();
  private sessionListeners = new Set<() => void>();
  /** The error that says the session is gone, from the last answer of any fetch. */
  sessionLost: unknown = null;

  constructor(readonly api: Api) {}

  snapshot(key: string | null): Snapshot {
    const e = key === null ? undefined : this.entries.get(key);
    if (!e) return { key, data: null, error: null, loading: false, nonce: 0 };
    return { key, data: e.data, error: e.error, loading: e.loading, nonce: e.nonce };
  }

  subscribe(key: string, listener: () => void, keep = false): () => void {
    const e = this.entry(key);
    e.keep ||= keep;
    e.listeners.add(listener);
    return () => {
      e.listeners.delete(listener);
      if (e.listeners.size === 0 && !e.keep && this.entries.get(key) === e) {
        clearTimeout(e.timer);
        this.entries.delete(key);
      }
    };
  }

  /**
   * Fetches `key` unless it was already asked for with this `stamp`. A
   * refetch comes at most every `everyMs`: the first at once, later ones
   * within the window folded into one at its end.
   */
  fetch(key: string, stamp: string, load: (api: Api) => Promise<unknown>, everyMs = 0): void {
    const e = this.entry(key);
    if (e.stamp === stamp || e.waiting === stamp) return;
    const wait = e.refetchedAt + everyMs - Date.now();
    if (e.stamp !== null && wait > 0) {
      clearTimeout(e.timer);
      e.waiting = stamp;
      e.timer = setTimeout(() => this.start(e, stamp, load), wait);
      return;
    }
    this.start(e, stamp, load);
  }

  private start(e: Entry, stamp: string, load: (api: Api) => Promise<unknown>) {
    clearTimeout(e.timer);
    e.waiting = null;
    if (e.stamp !== null) e.refetchedAt = Date.now();
    e.stamp = stamp;
    this.update(e, { loading: true });
    load(this.api).then(
      (data) => this.settle(e, stamp, { data, error: null }),
      (error) => this.settle(e, stamp, { error }),
    );
  }

  /** Asks for `key` again (within its throttle), whatever the live ticks say. */
  refetch(key: string): void {
    const e = this.entries.get(key);
    if (e) this.update(e, { nonce: e.nonce + 1 });
  }

  patch(key: string, update: (data: unknown) => unknown): void {
    const e = this.entries.get(key);
    if (e && e.data !== null) this.update(e, { data: update(e.data) });
  }

  onSession(listener: () => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = {
        key,
        data: null,
        error: null,
        loading: false,
        nonce: 0,
        stamp: null,
        waiting: null,
        refetchedAt: Number.NEGATIVE_INFINITY,
        keep: false,
        listeners: new Set(),
      };
      this.entries.set(key, e);
    }
    return e;
  }

  private settle(e: Entry, stamp: string, answer: { data?: unknown; error: unknown }) {
    // Dropped, or asked again since: a newer answer is coming.
    if (this.entries.get(e.key) !== e || e.stamp !== stamp) return;
    this.update(e, { ...answer, loading: false });
    // Any answer says the session works; only an unauthorized one says it is gone.
    const was = this.sessionLost;
    if (isSessionLost(answer.error)) this.sessionLost = answer.error;
    else if (answer.error === null) this.sessionLost = null;
    if ((was === null) !== (this.sessionLost === null)) for (const l of this.sessionListeners) l();
  }

  private update(e: Entry, change: Partial<Snapshot>) {
    Object.assign(e, change);
    for (const l of e.listeners) l();
  }
}

/** What every screen fetches through: the API, the answers, and the live ticks that make them stale. */
export type Workbench = {
  platform: Platform;
  api: Api;
  store: ResourceStore;
  ticks: Record<Resource, number>;
  /** Makes `which` stale (all of them when left out). */
  refresh: (which?: readonly Resource[]) => void;
  /** The incident on screen (null: none), which live changes that name it make stale. */
  openIncident: { current: string | null };
};

export const WorkbenchContext = createContext<Workbench | null>(null);

export function useWorkbench(): Workbench {
  const w = useContext(WorkbenchContext);
  if (!w) throw new Error("useWorkbench outside <WorkbenchContext.Provider>");
  return w;
}

/**
 * The one way the UI fetches: asks for `spec` on mount, again whenever a live
 * change makes it stale (at most every `spec.everyMs`), and keeps the last
 * answer shown while the next one comes. `spec` null: nothing is asked.
 */
export function useResource<T>(spec: ResourceSpec<T> | null): ResourceState<T> {
  const { store, ticks, refresh } = useWorkbench();
  const key = spec?.key ?? null;
  const transition = spec?.transition ?? false;
  const keep = spec?.keep ?? false;
  // A change can only make stale an answer that live changes can: a kept one is not asked again.
  const live = (spec?.on?.length ?? 0) > 0;
  const everyMs = spec?.everyMs ?? 0;
  const tick = (spec?.on ?? []).map((r) => ticks[r]).join(".");

  const [snap, setSnap] = useState<Snapshot>(() => store.snapshot(key));
  useEffect(() => {
    if (key === null) return;
    const show = () => setSnap(store.snapshot(key));
    const unsubscribe = store.subscribe(key, transition ? () => startTransition(show) : show, keep);
    show();
    return unsubscribe;
  }, [store, key, transition, keep]);
  // Until the subscription catches up with a new key, show what the store holds for it.
  const current = snap.key === key ? snap : store.snapshot(key);

  const load = useRef(spec?.load);
  load.current = spec?.load;
  useEffect(() => {
    if (key === null || !load.current) return;
    store.fetch(key, `${tick}|${current.nonce}`, load.current, everyMs);
  }, [store, key, tick, current.nonce, everyMs]);

  const pollMs = spec?.pollMs ?? 0;
  useEffect(() => {
    if (key === null || pollMs <= 0) return;
    const timer = setInterval(() => store.refetch(key), pollMs);
    return () => clearInterval(timer);
  }, [store, key, pollMs]);

  const mutate = useCallback(
    async <R>(change: (api: Api) => Promise<R>, also: readonly Resource[] = []) => {
      const r = await change(store.api);
      if (key !== null && live) store.refetch(key);
      if (also.length) refresh(also);
      return r;
    },
    [store, key, live, refresh],
  );
  const patch = useCallback((update: (data: T) => T) => key !== null && store.patch(key, update as (d: unknown) => unknown), [store, key]);
  return { data: current.data as T | null, error: current.error, loading: current.loading, mutate, patch };
}

/**
 * Whether the session is lost (the app shows it once, at the top), and
 * `shown(error)`: an error to show in a screen, or null when the banner
 * already says why everything failed.
 */
export function useSession() {
  const { store } = useWorkbench();
  const [lost, setLost] = useState<unknown>(store.sessionLost);
  useEffect(() => {
    const update = () => setLost(store.sessionLost);
    update();
    return store.onSession(update);
  }, [store]);
  return useMemo(() => ({ lost, stalled: lost !== null, shown: (e: unknown) => (lost !== null ? null : e) }), [lost]);
}
