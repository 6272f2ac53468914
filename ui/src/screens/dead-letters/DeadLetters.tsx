import { useState } from "react";
import type { DeadLetterView, Replayed } from "../../wire";
import { formatAge, formatClock } from "../../components/format";
import { errorText } from "../../platform/errors";
import { Empty, ErrorBox, Loading } from "../../components/States";

type Props = {
  deadLetters: DeadLetterView[] | null;
  error: unknown;
  now: number;
  onReplay: (id: number) => Promise<Replayed>;
  stalled?: boolean;
};

type Outcome = { kind: "busy" } | { kind: "ok"; text: string } | { kind: "error"; text: string };

export function DeadLetters({ deadLetters, error, now, onReplay, stalled }: Props) {
  const [outcome, setOutcome] = useState<Record<string, Outcome>>({});

  const replay = async (id: number) => {
    const key = String(id);
    setOutcome((o) => ({ ...o, [key]: { kind: "busy" } }));
    try {
      const r = await onReplay(id);
      setOutcome((o) => ({ ...o, [key]: { kind: "ok", text: `Re-played into the inbox (#${r.inboxId}).` } }));
    } catch (e) {
      setOutcome((o) => ({ ...o, [key]: { kind: "error", text: errorText(e) } }));
    }
  };

  return (
    <section className="panel" data-testid="dead-letters" aria-label="Dead letters">
      <h2 className="section-title">
        Dead letters {deadLetters ? <span className="count">{deadLetters.length}</span> : null}
      </h2>
      <p className="muted small">Payloads a connector received but could not read. Fix the cause, then re-play.</p>
      {error ? <ErrorBox error={error} /> : null}
      {deadLetters === null ? (
        error || stalled ? null : <Loading what="dead letters" />
      ) : deadLetters.length === 0 ? (
        <Empty>No dead letters: every payload received was read.</Empty>
      ) : (
        <ul className="dead-letters">
          {deadLetters.map((d) => {
            const o = outcome[String(d.id)];
            return (
              <li key={d.id} className="dead-letter" data-testid="dead-letter" data-dead-letter-id={d.id}>
                <div className="dl-head">
                  <span className="dl-error">{d.error}</span>
                  <button
                    type="button"
                    className="btn"
                    disabled={o?.kind === "busy"}
                    onClick={() => void replay(d.id)}
                  >
                    {o?.kind === "busy" ? "Re-playing…" : "Re-play"}
                  </button>
                </div>
                <div className="muted small">
                  #{d.id} · {d.connectorId} · received{" "}
                  <time dateTime={d.receivedAt} title={formatClock(d.receivedAt, now)}>
                    {formatAge(d.receivedAt, now)}
                  </time>
                </div>
                {o && o.kind !== "busy" ? (
                  <div className={o.kind === "ok" ? "inline-ok" : "inline-error"} role="status">
                    {o.text}
                  </div>
                ) : null}
                <pre className="preview">{d.preview}</pre>
                <a
                  className="small"
                  data-testid="raw-download"
                  download={`dead-letter-${d.id}.raw`}
                  href={`data:application/octet-stream;base64,${d.rawBase64}`}
                >
                  Download the exact bytes received
                </a>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
