import type { TestResult } from "../../wire";
import { SeverityBadge } from "../../components/Badges";
import { EntityText } from "../../components/EntityText";

const SAMPLE_SHOWN = 10;
const RESPONSE_SHOWN = 2000;

/**
 * A connection test's answer: did it work and why not, the requests it sent
 * (secrets scrubbed by the backend) with what came back, and the signals a
 * first poll would create. Nothing of it is stored.
 */
export function DryRun({ result }: { result: TestResult }) {
  return (
    <div className={`dry-run ${result.ok ? "ok" : "failed"}`} data-testid="dry-run" data-ok={result.ok ? "true" : "false"} role="status">
      <p className="dry-head">
        <strong>{result.ok ? "Connection works." : "Connection failed."}</strong> <span data-testid="dry-run-message">{result.message}</span>
        {result.errorClass === "needs_reauth" ? <span className="muted small"> Check the credentials, or sign in again.</span> : null}
        {result.errorClass === "retry" ? <span className="muted small"> This looks temporary: Causeway retries it on its own.</span> : null}
      </p>
      {result.requests.length ? (
        <details className="dry-requests" open={!result.ok}>
          <summary>
            {result.requests.length} request{result.requests.length === 1 ? "" : "s"} sent
          </summary>
          <ol className="plain">
            {result.requests.map((r, i) => (
              <li key={i} className="dry-request" data-testid="dry-request">
                <code className="break">
                  {r.method} {r.url}
                </code>{" "}
                <span className={`http-status ${r.status !== null && r.status < 400 ? "good" : "bad"}`}>{r.status ?? "no answer"}</span>{" "}
                <span className="muted small">{r.latencyMs} ms</span>
                {r.response ? (
                  <pre className="preview">
                    {r.response.length > RESPONSE_SHOWN ? `${r.response.slice(0, RESPONSE_SHOWN)}…` : r.response}
                  </pre>
                ) : null}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      {result.sample.length ? (
        <div className="dry-sample">
          <p className="small">
            {result.sample.length} signal{result.sample.length === 1 ? "" : "s"} a first poll would create
            {result.sample.length > SAMPLE_SHOWN ? `, the first ${SAMPLE_SHOWN}` : ""}:
          </p>
          <ul className="plain">
            {result.sample.slice(0, SAMPLE_SHOWN).map((s) => (
              <li key={s.id} className="dry-signal" data-testid="sample-signal">
                <SeverityBadge severity={s.severity} /> <span className="signal-title">{s.title}</span>{" "}
                {s.entity ? <EntityText entity={s.entity} /> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
