import type { LedgerEntry } from "../wire";
import { formatClock } from "../format";
import { Empty } from "./States";

/** An incident id inside a ledger line ("merged into inc-3f2a… by a person"). */
const INCIDENT_ID = /\b(inc-[0-9a-z]+)\b/;

/** The line's text with the incidents it names as links to them. */
function LinkedText({ text }: { text: string }) {
  const parts = text.split(INCIDENT_ID);
  return (
    <>
      {parts.map((p, i) =>
        i % 2 === 1 ? (
          <a key={i} href={`#/incidents/${encodeURIComponent(p)}`} className="mono" data-testid="ledger-incident">
            {p}
          </a>
        ) : (
          p
        ),
      )}
    </>
  );
}

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
            <LinkedText text={e.text} />
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
