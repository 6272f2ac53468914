// What more than one part of the app shows: the rail's counts, the top bar,
// the palette and the screens ask for these by the same key, so each is one
// request however many show it. A screen's own answers live in its folder.
import type { Catalogue, DeadLetterView, IncidentSummary, ProjectView, SignalView } from "../wire";
import type { ResourceSpec } from "./useResource";

// The lists below are one project's: the project is part of the key, so
// switching project asks again and one project's answer never shows as another's.

/** A project's latest page of incidents. */
export function incidentsOf(project: string): ResourceSpec<IncidentSummary[]> {
  return {
    key: `incidents:${project}`,
    load: (api) => api.listIncidents(project).then((r) => r.incidents),
    on: ["incidents"],
  };
}

/** A project's signals that joined no incident yet (the inbox, and its count on the rail). */
export function unassignedOf(project: string): ResourceSpec<SignalView[]> {
  return {
    key: `signals:unassigned:${project}`,
    load: (api) => api.listSignals(true, project).then((r) => r.signals),
    on: ["signals"],
  };
}

/** A project's dead letters. */
export function deadLettersOf(project: string): ResourceSpec<DeadLetterView[]> {
  return {
    key: `deadLetters:${project}`,
    load: (api) => api.listDeadLetters(project).then((r) => r.deadLetters),
    on: ["deadLetters"],
  };
}

/** Every project, `default` first (the switcher, Settings → Projects). */
export const PROJECTS: ResourceSpec<ProjectView[]> = {
  key: "projects",
  load: (api) => api.listProjects().then((r) => r.projects),
  on: ["projects"],
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
