import { useEffect, useMemo, useRef, useState } from "react";
import type { Route } from "./router";
import { listKeyDown } from "../components/listKeys";
import { NAV } from "./Nav";
import { CATALOGUE, INCIDENTS } from "./resources";
import { useResource } from "./useResource";

export type PaletteItem = { id: string; label: string; hint?: string; route: Route };

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
    onGo(i.route);
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

/** The palette over what there is to jump to: every screen, incident and connector to set up. */
export function JumpPalette({ onGo, onClose }: { onGo: (r: Route) => void; onClose: () => void }) {
  const incidents = useResource(INCIDENTS).data;
  const catalogue = useResource(CATALOGUE).data;
  const items = useMemo<PaletteItem[]>(
    () => [
      ...NAV.map((n) => ({ id: `screen:${n.label}`, label: n.label, hint: "screen", route: n.route })),
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
    [incidents, catalogue],
  );
  return <CommandPalette items={items} onGo={onGo} onClose={onClose} />;
}
