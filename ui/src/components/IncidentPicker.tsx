import { useEffect, useMemo, useRef, useState } from "react";
import type { IncidentSummary } from "../wire";
import { SeverityBadge, StatusBadge } from "./Badges";
import { listKeyDown } from "./listKeys";
import { matchesWords } from "./format";

const SHOWN = 30;

type Props = {
  incidents: IncidentSummary[];
  /** Incidents that cannot be picked (the one being merged, say). */
  exclude?: ReadonlySet<string>;
  /** What picking does, for the button and the dialog's name: "Move here", "Merge into". */
  action: string;
  onPick: (incident: IncidentSummary) => void;
  onCancel: () => void;
};

/**
 * Choose an incident by typing part of its title, id or root cause; arrows
 * and Enter work as in the palette. Open incidents come first.
 */
export function IncidentPicker({ incidents, exclude, action, onPick, onCancel }: Props) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const matches = useMemo(() => {
    return incidents
      .filter((i) => !exclude?.has(i.id))
      .filter((i) => matchesWords(`${i.title} ${i.id} ${i.rootCause?.entity ?? ""}`, query))
      .sort((a, b) => Number(a.status === "resolved") - Number(b.status === "resolved"))
      .slice(0, SHOWN);
  }, [incidents, exclude, query]);
  return (
    <div className="picker" role="dialog" aria-label={action} data-testid="incident-picker">
      <input
        ref={input}
        className="search"
        placeholder="Find an incident…"
        aria-label="Find an incident"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) =>
          listKeyDown(e, matches.length, setActive, () => matches[active] && onPick(matches[active]), onCancel)
        }
      />
      <ul className="picker-list plain" role="listbox" aria-label="Incidents">
        {matches.length === 0 ? <li className="muted small">No other incident matches.</li> : null}
        {matches.map((i, n) => (
          <li key={i.id} role="option" aria-selected={n === active} className={`picker-item${n === active ? " active" : ""}`} onMouseEnter={() => setActive(n)}>
            <button type="button" className="picker-pick" data-testid="pick-incident" data-incident-id={i.id} onClick={() => onPick(i)}>
              <SeverityBadge severity={i.severity} /> <span className="picker-title">{i.title}</span> <StatusBadge status={i.status} />
            </button>
          </li>
        ))}
      </ul>
      <button type="button" className="btn btn-quiet" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
