import { useMemo, useState } from "react";
import type { LedgerEntry } from "../../wire";
import { formatClock } from "../../components/format";
import { Empty } from "../../components/States";

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

/** Entries drawn at once: a 10k-signal incident has a decision per signal. */
export const LEDGER_SHOWN = 200;

/**
 * Every decision about the incident, the engine's and people's, in order,
 * each with its reason: why a signal joined, who moved one out, what merged.
 * People's decisions can be shown alone; a long ledger shows its latest
 * entries first and the earlier ones on demand.
 */
export function Ledger({ entries, now }: { entries: LedgerEntry[]; now: number }) {
  const [people, setPeople] = useState(false);
  const [all, setAll] = useState(false);
  const byPeople = useMemo(() => entries.filter((e) => e.actor === "person"), [entries]);
  if (entries.length === 0) return <Empty>No decision recorded yet.</Empty>;
  const list = people ? byPeople : entries;
  const hidden = all ? 0 : Math.max(0, list.length - LEDGER_SHOWN);
  return (
    <>
      <div className="ledger-filter" role="group" aria-label="Whose decisions">
        <button type="button" className={`chip${people ? "" : " on"}`} aria-pressed={!people} onClick={() => setPeople(false)}>
          All {entries.length}
        </button>
        <button type="button" className={`chip${people ? " on" : ""}`} aria-pressed={people} onClick={() => setPeople(true)} data-testid="ledger-people">
          People {byPeople.length}
        </button>
      </div>
      {list.length === 0 ? (
        <Empty>No one has moved, merged or split anything here.</Empty>
      ) : (
        <ol className="ledger plain" data-testid="ledger">
          {hidden ? (
            <li>
              <button type="button" className="link-button small" onClick={() => setAll(true)}>
                Show the {hidden} earlier decision{hidden === 1 ? "" : "s"}
              </button>
            </li>
          ) : null}
          {list.slice(hidden).map((e, i) => (
            <li key={`${e.at}-${i}`} className={`ledger-entry by-${e.actor}`} data-testid="ledger-entry" data-action={e.action} data-actor={e.actor}>
              <time dateTime={e.at} title={e.at}>
                {formatClock(e.at, now)}
              </time>
              <span className={`badge actor actor-${e.actor}`}>{e.actor}</span>
              <span className="ledger-action">{actionText(e.action)}</span>
              <span className="ledger-text">
                <LinkedText text={e.text} />
              </span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
