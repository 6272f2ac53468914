import type { TeamView } from "../../wire";
import type { Loaded } from "../../app/useResource";
import { ErrorBox } from "../../components/States";

/** How the member's link to the team's Redis reads. */
const STATE_TEXT: Record<string, string> = {
  connected: "Connected",
  unreachable: "Redis unreachable: what arrives waits here",
  joining: "Joining",
};

/**
 * The team this Causeway is in, when it is in one: who is in it, who runs
 * which connector (its lease), and how far behind the team log each member
 * is. A lone Causeway shows nothing here.
 */
export function TeamPanel({ team }: { team: Loaded<TeamView | null> }) {
  if (team.error) return <ErrorBox error={team.error} title="The team could not be read." />;
  const t = team.data;
  if (!t) return null;
  const live = t.members.filter((m) => !m.gone);
  return (
    <section className="panel team" data-testid="team" aria-label={`Team ${t.team}`}>
      <h2 className="section-title">
        Team {t.team} <span className="count">{live.length}</span>
      </h2>
      <p className="small">
        <span className={`health h-${t.state === "connected" ? "healthy" : "error"}`} data-testid="team-state">
          {STATE_TEXT[t.state] ?? t.state}
        </span>{" "}
        <span className="muted">
          {t.redis} · this member: {t.memberName}
          {t.outbox > 0 ? ` · ${t.outbox} waiting for the log` : ""}
        </span>
      </p>
      {t.message ? <p className="small inline-error">{t.message}</p> : null}
      {t.warnings.map((w) => (
        <p key={w} className="small muted" role="note">
          {w}
        </p>
      ))}
      <table className="table team-members">
        <caption className="muted small">Members</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Host</th>
            <th scope="col">Behind the log</th>
            <th scope="col">Waiting to send</th>
            <th scope="col">Clock vs Redis</th>
            <th scope="col">Runs</th>
          </tr>
        </thead>
        <tbody>
          {t.members.map((m) => (
            <tr key={m.id} data-testid="team-member" data-gone={m.gone || undefined}>
              <th scope="row">
                {m.name}
                {m.me ? " (this one)" : ""}
                {m.gone ? " — not heard from" : ""}
              </th>
              <td>{m.host}</td>
              <td>{m.lag >= 1000 ? "1000+ entries" : `${m.lag} ${m.lag === 1 ? "entry" : "entries"}`}</td>
              <td>{m.outbox}</td>
              <td>{formatOffset(m.clockOffsetMs)}</td>
              <td>{m.leases.length}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {t.leases.length > 0 ? (
        <table className="table team-leases">
          <caption className="muted small">Who runs each connector</caption>
          <thead>
            <tr>
              <th scope="col">Connector</th>
              <th scope="col">Run by</th>
            </tr>
          </thead>
          <tbody>
            {t.leases.map((l) => (
              <tr key={l.lease} data-testid="team-lease">
                <th scope="row">{l.name}</th>
                <td>{l.holderName ? `${l.holderName}${l.mine ? " (this one)" : ""}` : "nobody (no member holds its secrets, or its holder just stopped)"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** Redis's clock minus the member's: "+0.2 s", "−3 s". */
export function formatOffset(ms: number): string {
  const s = ms / 1000;
  const text = Math.abs(s) < 10 ? Math.abs(s).toFixed(1) : Math.round(Math.abs(s)).toString();
  return `${s < 0 ? "−" : "+"}${text} s`;
}
