import { useEffect, useMemo, useRef, useState } from "react";
import type { Route } from "./router";
import { listKeyDown } from "../components/listKeys";
import { NAV } from "./Nav";
import { CATALOGUE, incidentsOf } from "./resources";
import { useProject } from "./project";
import { useResource } from "./useResource";

/** Somewhere to go, or something to do (switch project). */
export type PaletteItem = { id: string; label: string; hint?: string } & ({ route: Route } | { run: () => void });

/** Ctrl/Cmd+K: type to filter screens and incidents, arrows to move, Enter to go. */
export function CommandPalette({ items, onGo, onClose }: { items: PaletteItem[]; onGo: (r: Route) => void; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    const all = q ? items.filter((i) => `${i.label} ${i.hint ?? ""}`.toLowerCase().includes(q)) : items;
    return all.slice(0, 50);
  }, [items, query]);
  const go = (i: PaletteItem | undefined) => {
    if (!i) return;
    if ("route" in i) onGo(i.route);
    else i.run();
    onClose();
  };
  return (
    <div className="palette-backdrop" onMouseDown={onClose}>
      <div
        className="palette"
        role="dialog"
        aria-modal="true"
        aria-label="Jump to"
        data-testid="palette"
        onMouseDown={(e) => e.stopPropagation()}
      >
        <input
          ref={input}
          className="palette-input"
          placeholder="Jump to a screen or an incident…"
          aria-label="Jump to"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => listKeyDown(e, matches.length, setActive, () => go(matches[active]), onClose)}
        />
        <ul className="palette-list" role="listbox" aria-label="Matches">
          {matches.length === 0 ? <li className="muted palette-empty">Nothing matches.</li> : null}
          {matches.map((m, i) => (
            <li
              key={m.id}
              role="option"
              aria-selected={i === active}
              className={`palette-item${i === active ? " active" : ""}`}
              onMouseEnter={() => setActive(i)}
              onClick={() => go(m)}
            >
              <span>{m.label}</span>
              {m.hint ? <span className="muted small">{m.hint}</span> : null}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

type JumpProps = {
  onGo: (r: Route) => void;
  onSwitchProject: (id: string) => void;
  onNewProject: () => void;
  onClose: () => void;
};

/**
 * The palette over what there is to jump to: every screen, the current
 * project's incidents, the other projects, and connectors to set up.
 */
export function JumpPalette({ onGo, onSwitchProject, onNewProject, onClose }: JumpProps) {
  const { id: project, projects } = useProject();
  const incidents = useResource(incidentsOf(project)).data;
  const catalogue = useResource(CATALOGUE).data;
  const items = useMemo<PaletteItem[]>(
    () => [
      ...NAV.map((n) => ({ id: `screen:${n.label}`, label: n.label, hint: "screen", route: n.route })),
      ...(projects ?? [])
        .filter((p) => p.id !== project)
        .map((p) => ({ id: `project:${p.id}`, label: `Switch to project ${p.name}`, hint: p.id, run: () => onSwitchProject(p.id) })),
      { id: "project-new", label: "New project…", hint: "projects", run: onNewProject },
      { id: "project-manage", label: "Manage projects", hint: "Settings", route: { screen: "settings" as const } },
      ...(incidents ?? []).map((i) => ({
        id: `incident:${i.id}`,
        label: i.title,
        hint: `${i.severity} · ${i.status}`,
        route: { screen: "incidents" as const, id: i.id },
      })),
      ...(catalogue?.connectors ?? []).map((c) => ({
        id: `connector:${c.id}`,
        label: `Connect ${c.name}`,
        hint: c.category,
        route: { screen: "connector-new" as const, descriptorId: c.id },
      })),
    ],
    [incidents, catalogue, projects, project, onSwitchProject, onNewProject],
  );
  return <CommandPalette items={items} onGo={onGo} onClose={onClose} />;
}
