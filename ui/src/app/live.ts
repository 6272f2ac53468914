import { useCallback, useEffect, useRef, useState } from "react";
import type { ChangeEvent } from "../wire";
import type { LiveStatus, Platform } from "../platform/api";

/** How long to wait after a change event before refetching (events come in bursts). */
export const REFRESH_DEBOUNCE_MS = 200;

/** What the screens fetch; each refetches when its counter moves. */
export type Resource = "incidents" | "detail" | "signals" | "deadLetters" | "instances" | "topology" | "settings" | "projects";
export type Ticks = Record<Resource, number>;

const ZERO: Ticks = { incidents: 0, detail: 0, signals: 0, deadLetters: 0, instances: 0, topology: 0, settings: 0, projects: 0 };
const ALL = Object.keys(ZERO) as Resource[];

/**
 * Which resources a change event makes stale. The open incident is refetched
 * only when the event names it (or names nothing: after a reconnect, anything
 * may have changed): a storm elsewhere does not reload a 10k-signal detail.
 */
export function staleAfter(e: ChangeEvent, openIncident: string | null): Resource[] {
  switch (e.type) {
    case "incidentsChanged": {
      const mine = e.ids.length === 0 || (openIncident !== null && e.ids.includes(openIncident));
      return mine ? ["incidents", "detail", "topology", "signals"] : ["incidents", "topology", "signals"];
    }
    case "signalsChanged":
      return ["signals", "instances"];
    case "deadLettersChanged":
      return ["deadLetters", "instances"];
    case "connectorsChanged":
      return ["instances"];
    case "projectsChanged":
      // A new project comes with its receiver; a deleted one takes its connectors.
      return ["projects", "instances"];
    default:
      // An event this UI does not know yet: refetch everything rather than miss it.
      return ALL;
  }
}

/**
 * Live updates: change events from the platform, debounced and merged into
 * per-resource counters. `refresh()` with no argument makes everything stale.
 * `openIncident` holds the incident on screen (null: none is), read when an
 * event arrives.
 */
export function useLiveTicks(platform: Platform, openIncident: { readonly current: string | null } | null) {
  const [ticks, setTicks] = useState<Ticks>(ZERO);
  const [live, setLive] = useState<LiveStatus>("connecting");
  const open = useRef(openIncident);
  open.current = openIncident;

  const refresh = useCallback((which: readonly Resource[] = ALL) => {
    setTicks((t) => {
      const next = { ...t };
      for (const r of which) next[r] += 1;
      return next;
    });
  }, []);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pending = new Set<Resource>();
    const unsubscribe = platform.subscribe((e) => {
      for (const r of staleAfter(e, open.current?.current ?? null)) pending.add(r);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const which = [...pending];
        pending.clear();
        refresh(which);
      }, REFRESH_DEBOUNCE_MS);
    }, setLive);
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [platform, refresh]);

  return { ticks, live, refresh };
}
