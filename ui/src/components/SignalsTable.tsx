import type { SignalView } from "../wire";
import { formatAge, formatScore } from "../format";
import { ConfidenceBadge, SeverityBadge, StatusBadge } from "./Badges";
import { EntityText } from "./EntityText";

/** Why a signal belongs where it is: its link, or why it has none. */
export function LinkReason({ signal }: { signal: SignalView }) {
  const link = signal.link;
  if (!link) {
    return (
      <div className="link-reason" data-testid="link-reason">
        <span className="muted">{signal.unassignedReason ?? "not linked to an incident"}</span>
      </div>
    );
  }
  return (
    <div className="link-reason" data-testid="link-reason">
      <div className="link-head">
        <span className="strategy" title="Correlation strategy">
          {link.strategy}
        </span>
        <ConfidenceBadge confidence={link.confidence} />
        <span className="score" title="Correlation score">
          {formatScore(link.score)}
        </span>
      </div>
      <div className="link-explanation">{link.explanation}</div>
    </div>
  );
}

/** `ALERTMANAGER` → "alertmanager", `K8S_EVENT` → "k8s event". */
function sourceName(sourceType: string): string {
  return sourceType.toLowerCase().replace(/_/g, " ");
}

type Props = { signals: SignalView[]; now: number; showReason?: "link" | "unassigned" };

export function SignalsTable({ signals, now, showReason = "link" }: Props) {
  return (
    <div className="table-wrap">
      <table className="signals">
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Status</th>
            <th scope="col">Signal</th>
            <th scope="col">Entity</th>
            <th scope="col">{showReason === "link" ? "Why it is here" : "Why it is unassigned"}</th>
          </tr>
        </thead>
        <tbody>
          {signals.map((s) => (
            <tr key={s.id} data-testid="signal-row" data-signal-id={s.id}>
              <td>
                <SeverityBadge severity={s.severity} />
              </td>
              <td>
                <StatusBadge status={s.status} />
              </td>
              <td>
                <div className="signal-title">{s.title}</div>
                <div className="muted small">
                  {sourceName(s.sourceType)} · {s.kind} ·{" "}
                  <time dateTime={s.occurredAt} title={s.occurredAt}>
                    {formatAge(s.occurredAt, now)}
                  </time>
                  {s.notifications > 1 ? ` · ${s.notifications} notifications` : ""}
                  {s.externalUrl ? (
                    <>
                      {" · "}
                      <a className="source-link" href={s.externalUrl} target="_blank" rel="noreferrer noopener">
                        source ↗
                      </a>
                    </>
                  ) : null}
                </div>
              </td>
              <td className="entity-cell">{s.entity ? <EntityText entity={s.entity} /> : <span className="muted">—</span>}</td>
              <td>
                <LinkReason signal={s} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
