import type { SignalView } from "../wire";
import { SignalsTable } from "./SignalsTable";
import { Empty, ErrorBox, Loading } from "./States";

type Props = { signals: SignalView[] | null; error: unknown; now: number; stalled?: boolean };

export function Unassigned({ signals, error, now, stalled }: Props) {
  return (
    <section className="panel" data-testid="unassigned" aria-label="Unassigned signals">
      <h2 className="section-title">
        Unassigned signals {signals ? <span className="count">{signals.length}</span> : null}
      </h2>
      <p className="muted small">Signals that did not open or join an incident, and why.</p>
      {error ? <ErrorBox error={error} /> : null}
      {signals === null ? (
        error || stalled ? null : <Loading what="signals" />
      ) : signals.length === 0 ? (
        <Empty>Every signal belongs to an incident.</Empty>
      ) : (
        <SignalsTable signals={signals} now={now} showReason="unassigned" />
      )}
    </section>
  );
}
