// What more than one part of the app shows: the rail's counts, the top bar,
// the palette and the screens ask for these by the same key, so each is one
// request however many show it. A screen's own answers live in its folder.
import type { Catalogue, DeadLetterView, IncidentSummary, SignalView } from "../wire";
import type { ResourceSpec } from "./useResource";

/** The latest page of incidents. */
export const INCIDENTS: ResourceSpec<IncidentSummary[]> = {
  key: "incidents",
  load: (api) => api.listIncidents().then((r) => r.incidents),
  on: ["incidents"],
};

/** Signals that joined no incident yet (the inbox, and its count on the rail). */
export const UNASSIGNED: ResourceSpec<SignalView[]> = {
  key: "signals:unassigned",
  load: (api) => api.listSignals(true).then((r) => r.signals),
  on: ["signals"],
};

export const DEAD_LETTERS: ResourceSpec<DeadLetterView[]> = {
  key: "deadLetters",
  load: (api) => api.listDeadLetters().then((r) => r.deadLetters),
  on: ["deadLetters"],
};

/** The connector catalogue changes only with the binary: asked once it is wanted, then kept. */
export const CATALOGUE: ResourceSpec<Catalogue> = {
  key: "catalogue",
  load: (api) => api.listCatalogue(),
  keep: true,
};

/** `Causeway 0.1.0`: which backend answers, asked once. */
export const VERSION: ResourceSpec<string> = {
  key: "version",
  load: (api) => api.getVersion().then((v) => `${v.name} ${v.version}`),
  keep: true,
};
