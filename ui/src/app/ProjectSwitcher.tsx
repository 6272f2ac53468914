import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { errorText } from "../platform/errors";
import { routeHash } from "./router";
import { useProject } from "./project";

/**
 * The top of the rail: the project the screens show, and a menu of every
 * project to switch to, with "New project…" and "Manage projects…".
 */
export function ProjectSwitcher({ onSwitch, onNewProject }: { onSwitch: (id: string) => void; onNewProject: () => void }) {
  const { id, name, projects, error } = useProject();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  // A click elsewhere closes the menu; opening it puts the focus on the project shown.
  useEffect(() => {
    if (!open) return;
    root.current?.querySelector<HTMLElement>('[aria-checked="true"]')?.focus();
    const away = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const items = [...(root.current?.querySelectorAll<HTMLElement>('[role^="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const step: Record<string, number> = { ArrowDown: 1, ArrowUp: -1 };
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (step[e.key] && items.length) {
      e.preventDefault();
      items[(at + step[e.key] + items.length) % items.length].focus();
    }
  };

  const list = projects ?? [{ id, name }];
  return (
    <div className="project-switcher" ref={root} data-testid="project-switcher" data-project-id={id} onKeyDown={onKey}>
      <button
        ref={button}
        type="button"
        className="project-current"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={`Project: ${name}. Switch project`}
        title={`Project ${name} (${id})`}
        data-testid="project-current"
        onClick={() => setOpen((o) => !o)}
      >
        <span className="project-label">Project</span>
        <span className="project-name" data-testid="project-name">
          {name}
        </span>
        <span className="project-caret" aria-hidden="true">
          ▾
        </span>
      </button>
      {open ? (
        <div className="project-menu" role="menu" aria-label="Projects" data-testid="project-menu">
          {list.map((p) => (
            <button
              key={p.id}
              type="button"
              role="menuitemradio"
              aria-checked={p.id === id}
              className="project-option"
              data-testid="project-option"
              data-project-id={p.id}
              onClick={() => {
                close();
                if (p.id !== id) onSwitch(p.id);
              }}
            >
              <span className="project-option-name">{p.name}</span>
              <code className="muted small">{p.id}</code>
            </button>
          ))}
          {error ? <p className="small inline-error">Could not list the projects: {errorText(error)}</p> : null}
          <hr className="project-menu-rule" />
          <button
            type="button"
            role="menuitem"
            className="project-option"
            data-testid="project-new"
            onClick={() => {
              close();
              onNewProject();
            }}
          >
            New project…
          </button>
          <a role="menuitem" className="project-option" href={routeHash({ screen: "settings" })} data-testid="project-manage" onClick={() => setOpen(false)}>
            Manage projects…
          </a>
        </div>
      ) : null}
    </div>
  );
}
