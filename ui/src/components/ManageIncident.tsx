import { useCallback, useMemo, useState } from "react";
import type { IncidentSummary } from "../wire";
import { useRun } from "./useRun";
import { IncidentPicker } from "./IncidentPicker";
import { InlineError } from "./States";

/** What a person may change about an incident; each is recorded in its ledger. */
export type Manage = {
  /** Incidents to move signals to or merge into. */
  incidents: IncidentSummary[];
  merge: (into: string) => Promise<unknown>;
  move: (signalIds: string[], to: string) => Promise<unknown>;
  split: (signalIds: string[]) => Promise<unknown>;
};

/** Signals picked with their checkboxes. */
export function useSignalPicks() {
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const onToggle = useCallback(
    (id: string) =>
      setPicked((p) => {
        const next = new Set(p);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    [],
  );
  const clear = useCallback(() => setPicked(new Set()), []);
  const selection = useMemo(() => ({ picked, onToggle }), [picked, onToggle]);
  return { picked, selection, clear };
}

/** "Merge into…": pick the incident this one joins, then confirm. */
export function MergeControl({ incidentId, title, manage }: { incidentId: string; title: string; manage: Manage }) {
  const [picking, setPicking] = useState(false);
  const [target, setTarget] = useState<IncidentSummary | null>(null);
  const [busy, error, run] = useRun();
  const exclude = useMemo(() => new Set([incidentId]), [incidentId]);
  return (
    <span className="merge-control">
      {target ? (
        <span className="confirm" role="group" aria-label="Confirm merge">
          <span className="small">
            Merge “{title}” into “{target.title}”? Its signals join that incident; the decision is recorded.
          </span>
          <button type="button" className="btn btn-primary" disabled={busy !== null} onClick={() => void run("merge", () => manage.merge(target.id))}>
            {busy ? "Merging…" : "Yes, merge"}
          </button>
          <button type="button" className="btn btn-quiet" onClick={() => setTarget(null)}>
            Cancel
          </button>
        </span>
      ) : (
        <button type="button" className="btn" onClick={() => setPicking((p) => !p)} aria-expanded={picking}>
          Merge into…
        </button>
      )}
      {picking && !target ? (
        <IncidentPicker
          incidents={manage.incidents}
          exclude={exclude}
          action="Merge into"
          onPick={(i) => {
            setTarget(i);
            setPicking(false);
          }}
          onCancel={() => setPicking(false)}
        />
      ) : null}
      <InlineError text={error} />
    </span>
  );
}

/** What to do with the picked signals: move them to another incident, or split them off. */
export function PickedBar({
  incidentId,
  picked,
  clear,
  manage,
  split = true,
  moveLabel = "Move to…",
}: {
  /** The incident they are in (left out of the picker); null for the inbox. */
  incidentId: string | null;
  picked: ReadonlySet<string>;
  clear: () => void;
  manage: Pick<Manage, "incidents" | "move"> & Partial<Pick<Manage, "split">>;
  split?: boolean;
  moveLabel?: string;
}) {
  const [picking, setPicking] = useState(false);
  const [busy, error, run] = useRun();
  const exclude = useMemo(() => new Set(incidentId ? [incidentId] : []), [incidentId]);
  const ids = [...picked];
  if (ids.length === 0) return <InlineError text={error} />;
  return (
    <div className="manage-bar" data-testid="picked-bar" role="group" aria-label="Picked signals">
      <span>
        <strong>{ids.length}</strong> picked
      </span>
      <button type="button" className="btn" disabled={busy !== null} onClick={() => setPicking((p) => !p)} aria-expanded={picking}>
        {moveLabel}
      </button>
      {split && manage.split ? (
        <button type="button" className="btn" disabled={busy !== null} onClick={() => void run("split", () => manage.split!(ids).then(clear))}>
          {busy === "split" ? "Splitting…" : "Split into a new incident"}
        </button>
      ) : null}
      <button type="button" className="btn btn-quiet" onClick={clear}>
        Clear
      </button>
      {picking ? (
        <IncidentPicker
          incidents={manage.incidents}
          exclude={exclude}
          action={moveLabel.replace("…", "")}
          onPick={(i) => {
            setPicking(false);
            void run("move", () => manage.move(ids, i.id).then(clear));
          }}
          onCancel={() => setPicking(false)}
        />
      ) : null}
      <InlineError text={error} />
    </div>
  );
}
