import { useMemo, useState } from "react";
import type { SignalView } from "../../wire";
import { SignalsTable } from "../../components/SignalsTable";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { PickedBar, useSignalPicks, type Manage } from "../../components/ManageIncident";
import { matchesWords } from "../../components/format";

type Props = {
  signals: SignalView[] | null;
  error: unknown;
  now: number;
  stalled?: boolean;
  /** Present when signals may be assigned to an incident (recorded in its ledger). */
  assign?: Pick<Manage, "incidents" | "move">;
};

/** Words a search matches against. */
function haystack(s: SignalView): string {
  return [s.title, s.entity, s.sourceType, s.service, s.severity, s.status, s.unassignedReason, s.description, s.connectorInstance]
    .filter(Boolean)
    .join(" ");
}

/** Signals that did not open or join an incident, with a search. */
export function SignalsInbox({ signals, error, now, stalled, assign }: Props) {
  const [query, setQuery] = useState("");
  const picks = useSignalPicks();
  const shown = useMemo(() => {
    if (!signals) return null;
    return query.trim() ? signals.filter((s) => matchesWords(haystack(s), query)) : signals;
  }, [signals, query]);
  return (
    <section className="panel screen" data-testid="unassigned" aria-label="Unassigned signals">
      <div className="screen-head">
        <h2 className="section-title">
          Signals inbox {signals ? <span className="count">{signals.length}</span> : null}
        </h2>
        <input
          type="search"
          className="search"
          placeholder="Search title, entity, source, reason…"
          aria-label="Search signals"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      <p className="muted small">Signals that did not open or join an incident, and why.</p>
      {error ? <ErrorBox error={error} /> : null}
      {shown === null ? (
        error || stalled ? null : <Loading what="signals" />
      ) : signals!.length === 0 ? (
        <Empty>Every signal belongs to an incident.</Empty>
      ) : shown.length === 0 ? (
        <Empty>No unassigned signal matches “{query}”.</Empty>
      ) : (
        <>
          {assign ? <PickedBar incidentId={null} picked={picks.picked} clear={picks.clear} manage={assign} split={false} moveLabel="Assign to…" /> : null}
          <SignalsTable signals={shown} now={now} showReason="unassigned" selection={assign ? picks.selection : undefined} />
        </>
      )}
    </section>
  );
}
