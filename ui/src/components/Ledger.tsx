import type { LedgerEntry } from "../corrTypes";
import { formatClock } from "../format";
import { Empty } from "./States";

/** "moved_in" → "moved in". */
function actionText(a: string): string {
  return a.replace(/_/g, " ");
}

/**
 * Every decision about the incident, the engine's and people's, in order,
 * each with its reason: why a signal joined, who moved one out, what merged.
 */
export function Ledger({ entries, now, onPickSignal }: { entries: LedgerEntry[]; now: number; onPickSignal?: (signalId: string) => void }) {
  if (entries.length === 0) return <Empty>No decision recorded yet.</Empty>;
  return (
    <ol className="ledger plain" data-testid="ledger">
      {entries.map((e, i) => (
        <li key={`${e.at}-${i}`} className={`ledger-entry by-${e.actor}`} data-testid="ledger-entry" data-action={e.action} data-actor={e.actor}>
          <time dateTime={e.at} title={e.at}>
            {formatClock(e.at, now)}
          </time>
          <span className={`badge actor actor-${e.actor}`}>{e.actor}</span>
          <span className="ledger-action">{actionText(e.action)}</span>
          <span className="ledger-text">
            {e.text}
            {e.signalId && onPickSignal ? (
              <>
                {" "}
                <button type="button" className="link-button small" onClick={() => onPickSignal(e.signalId!)}>
                  signal
                </button>
              </>
            ) : null}
          </span>
        </li>
      ))}
    </ol>
  );
}
