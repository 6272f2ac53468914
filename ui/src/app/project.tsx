import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { ProjectView } from "../wire";
import { PROJECTS } from "./resources";
import { useResource } from "./useResource";

/** The project that always exists, and the one shown when no other is picked. */
export const DEFAULT_PROJECT = "default";

/** Where the current project is kept between runs. */
export const PROJECT_STORAGE_KEY = "causeway.project";

/** The project every per-project screen shows, and the way to switch. */
export type CurrentProject = {
  /** Its id: what the lists are asked for (`default` until another is picked). */
  id: string;
  /** Its name (the id until the list of projects is in). */
  name: string;
  /** Every project, `default` first (null until asked, or when asking failed). */
  projects: ProjectView[] | null;
  /** Why the list of projects could not be had. */
  error: unknown;
  /** Shows `id` from now on (and after a reload). */
  switchTo: (id: string) => void;
};

function readStored(): string {
  try {
    return localStorage.getItem(PROJECT_STORAGE_KEY) || DEFAULT_PROJECT;
  } catch {
    return DEFAULT_PROJECT;
  }
}

function store(id: string) {
  try {
    localStorage.setItem(PROJECT_STORAGE_KEY, id);
  } catch {
    // Storage off (a private window): the choice lasts this run only.
  }
}

const ProjectContext = createContext<CurrentProject | null>(null);

/**
 * Keeps the current project: the one picked last (kept in localStorage), or
 * `default` when the one kept is gone (deleted here, in another tab or from
 * the CLI).
 */
export function ProjectProvider({ children }: { children: ReactNode }) {
  // The pick, with the list of projects as it was when picked: a project
  // just created is trusted until a newer list says whether it exists.
  const [pick, setPick] = useState<{ id: string; seen: ProjectView[] | null }>(() => ({ id: readStored(), seen: null }));
  const projects = useResource(PROJECTS);
  const list = projects.data;
  // Until the list is in, the kept one is trusted: the screens ask at once.
  const gone = list !== null && list !== pick.seen && !list.some((p) => p.id === pick.id);
  const id = gone ? DEFAULT_PROJECT : pick.id;
  useEffect(() => {
    if (gone) {
      setPick({ id: DEFAULT_PROJECT, seen: list });
      store(DEFAULT_PROJECT);
    }
  }, [gone, list]);
  const switchTo = useCallback(
    (next: string) => {
      setPick({ id: next, seen: list });
      store(next);
    },
    [list],
  );
  const value = useMemo<CurrentProject>(
    () => ({ id, name: list?.find((p) => p.id === id)?.name ?? id, projects: list, error: projects.error, switchTo }),
    [id, list, projects.error, switchTo],
  );
  return <ProjectContext.Provider value={value}>{children}</ProjectContext.Provider>;
}

/** The current project (inside `<ProjectProvider>`). */
export function useProject(): CurrentProject {
  const p = useContext(ProjectContext);
  if (!p) throw new Error("useProject outside <ProjectProvider>");
  return p;
}
