import { useState } from "react";
import type { Authorization, InstanceView, NewWebhookSecret, StreamHealth, TestResult } from "../../wire";
import { CopyField } from "../../components/CopyField";
import { alertmanagerSnippet } from "../../components/alertmanagerSnippet";
import { formatAge, formatClock } from "../../components/format";
import { errorText } from "../../platform/errors";
import { Empty, ErrorBox, Loading, InlineError } from "../../components/States";
import { DryRun } from "./DryRun";
import type { Loaded } from "../../app/useResource";

/** Each health state, said plainly. */
export const HEALTH_TEXT: Record<string, string> = {
  waiting: "Waiting for data",
  healthy: "Healthy",
  degraded: "Degraded",
  error: "Error",
  needs_reauth: "Needs sign-in",
  quiet: "Quiet",
  disabled: "Disabled",
};

/** What to do about a state, when there is something to do. */
const HEALTH_HINT: Record<string, string> = {
  needs_reauth: "The credentials were refused: sign in again or update the secret. Polling waits until then.",
  quiet: "No signal for several times its usual gap: is the source still sending?",
  error: "Failing: Causeway keeps retrying with backoff.",
};

/** Verification schemes whose secret the sending tool takes from us. */
const OUR_SECRET = new Set(["bearer", "shared_token", "github_sha256", "github_sha1", "grafana"]);

/** A secret just made: shown this once, with where it goes. */
function NewSecret({ made }: { made: NewWebhookSecret }) {
  return (
    <div className="new-secret" data-testid="new-secret-made">
      <label>New webhook secret</label>
      <CopyField value={made.secret} label="New webhook secret" testId="new-secret-value" secret />
      {made.descriptorId === "alertmanager" && made.webhookUrl ? (
        <>
          <label>In alertmanager.yml</label>
          <pre className="snippet" data-testid="alertmanager-snippet">
            {alertmanagerSnippet(made.webhookUrl, made.secret)}
          </pre>
        </>
      ) : null}
      <p className="muted small">
        Shown now only: it is in the keychain, and Causeway will not show it again.
        {made.previousKept ? " The previous secret still works until the next new one, so nothing is lost while you switch." : ""}
      </p>
    </div>
  );
}

/** A held connection's states (Kubernetes), said plainly. */
export const STREAM_TEXT: Record<string, string> = {
  connecting: "Connecting",
  connected: "Connected",
  reconnecting: "Reconnecting",
  error: "Cannot connect",
};

/** A stream state → the health colours. */
const STREAM_CLASS: Record<string, string> = { connecting: "waiting", connected: "healthy", reconnecting: "degraded", error: "error" };

/** How a connector that holds a connection (a Kubernetes watch) is doing. */
function StreamStats({ stream: s, now }: { stream: StreamHealth; now: number }) {
  const at = (t: string) => (
    <time dateTime={t} title={formatClock(t, now)}>
      {formatAge(t, now)}
    </time>
  );
  return (
    <div className="stream" data-testid="stream" data-stream-state={s.state}>
      <div className="stream-head">
        <span className={`health h-${STREAM_CLASS[s.state] ?? "waiting"}`} data-testid="stream-state">
          {STREAM_TEXT[s.state] ?? s.state}
        </span>{" "}
        <span className="muted small">since {at(s.since)}</span>
        {s.context ? (
          <span className="small">
            {" "}
            · context <code data-testid="stream-context">{s.context}</code>
          </span>
        ) : null}
        {s.server ? (
          <span className="small">
            {" "}
            · <code className="break" data-testid="stream-server">{s.server}</code>
          </span>
        ) : null}
      </div>
      {s.message ? (
        <p className={`small ${s.state === "connected" ? "muted" : "inline-error"}`} data-testid="stream-message">
          {s.message}
        </p>
      ) : null}
      <dl className="instance-stats small">
        <div>
          <dt>Objects</dt>
          <dd data-testid="stream-objects">{s.objects}</dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd data-testid="stream-events">{s.events}</dd>
        </div>
        <div>
          <dt>Last event</dt>
          <dd data-testid="stream-last-event">{s.lastEventAt ? at(s.lastEventAt) : "none yet"}</dd>
        </div>
      </dl>
    </div>
  );
}

/** Signals per hour over a day as a small line; the last hour on the right. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const w = 120;
  const h = 24;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`).join(" ");
  return (
    <svg className="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} data-testid="sparkline">
      <polyline points={points} fill="none" strokeWidth="1.5" />
    </svg>
  );
}

type Props = {
  instances: Loaded<InstanceView[]>;
  now: number;
  onSetEnabled: (id: string, enabled: boolean) => Promise<unknown>;
  onDelete: (id: string) => Promise<unknown>;
  onTest?: (id: string) => Promise<TestResult>;
  onAuthorize?: (id: string) => Promise<Authorization>;
  /** Makes a new webhook secret for a receiver (shown once). */
  onNewSecret?: (id: string) => Promise<NewWebhookSecret>;
  /** Whether the descriptor signs in with OAuth (offers "Sign in again"). */
  isOauth?: (descriptorId: string) => boolean;
};

type Tested = { busy: boolean; result: TestResult | null };

/** Each configured instance: health with its figures, on/off, test, and disconnect. */
export function Monitoring({ instances, now, onSetEnabled, onDelete, onTest, onAuthorize, onNewSecret, isOauth }: Props) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [made, setMade] = useState<Record<string, NewWebhookSecret>>({});
  const newSecret = (id: string) =>
    run(id, async () => {
      if (!onNewSecret) return;
      const m = await onNewSecret(id);
      setMade((x) => ({ ...x, [id]: m }));
    });
  const [busy, setBusy] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [tests, setTests] = useState<Record<string, Tested>>({});
  const run = async (id: string, f: () => Promise<unknown>) => {
    setBusy(id);
    setErrors((e) => ({ ...e, [id]: "" }));
    try {
      await f();
    } catch (e) {
      setErrors((x) => ({ ...x, [id]: errorText(e) }));
    } finally {
      setBusy(null);
    }
  };
  const test = (id: string) =>
    run(id, async () => {
      if (!onTest) return;
      setTests((t) => ({ ...t, [id]: { busy: true, result: null } }));
      try {
        const result = await onTest(id);
        setTests((t) => ({ ...t, [id]: { busy: false, result } }));
      } catch (e) {
        setTests((t) => ({ ...t, [id]: { busy: false, result: null } }));
        throw e;
      }
    });
  const signIn = (id: string) =>
    run(id, async () => {
      if (!onAuthorize) return;
      const a = await onAuthorize(id);
      if (typeof window !== "undefined" && !("__TAURI_INTERNALS__" in window)) window.open(a.authorizeUrl, "_blank", "noopener");
    });
  const list = instances.data;
  return (
    <section className="panel" data-testid="monitoring" aria-label="Connected instances">
      <h2 className="section-title">
        Connected {list ? <span className="count">{list.length}</span> : null}
      </h2>
      {instances.error ? <ErrorBox error={instances.error} /> : null}
      {list === null ? (
        instances.error ? null : <Loading what="connector instances" />
      ) : list.length === 0 ? (
        <Empty>Nothing connected yet: pick a connector from the catalogue.</Empty>
      ) : (
        <ul className="instances">
          {list.map((i) => {
            const h = i.health;
            const state = i.enabled ? h.state : "disabled";
            const lastSync = h.lastPollAt ?? h.lastSuccessAt;
            const t = tests[i.id];
            return (
              <li key={i.id} className="instance" data-testid="instance" data-instance-id={i.id} data-state={h.state}>
                <div className="instance-head">
                  <span className={`health-dot h-${state}`} aria-hidden="true" />
                  <strong className="instance-name">{i.name}</strong>
                  <span className="muted small">
                    {i.descriptorId} · project {i.projectId}
                  </span>
                  <span className={`health h-${state}`} data-testid="health-state" title={h.lastError ?? undefined}>
                    {HEALTH_TEXT[state] ?? state}
                  </span>
                  <span className="spacer" />
                  <label className="switch">
                    <input
                      type="checkbox"
                      role="switch"
                      aria-label={`Enable ${i.name}`}
                      checked={i.enabled}
                      disabled={busy === i.id}
                      onChange={(e) => void run(i.id, () => onSetEnabled(i.id, e.target.checked))}
                    />
                    <span>{i.enabled ? "On" : "Off"}</span>
                  </label>
                  {onTest ? (
                    <button type="button" className="btn btn-quiet" disabled={busy === i.id} onClick={() => void test(i.id)}>
                      {t?.busy ? "Testing…" : "Test"}
                    </button>
                  ) : null}
                  {onNewSecret && i.verification && OUR_SECRET.has(i.verification) ? (
                    <button type="button" className="btn btn-quiet" data-testid="new-secret" disabled={busy === i.id} onClick={() => void newSecret(i.id)}>
                      New secret
                    </button>
                  ) : null}
                  {onAuthorize && isOauth?.(i.descriptorId) ? (
                    <button type="button" className="btn btn-quiet" disabled={busy === i.id} onClick={() => void signIn(i.id)}>
                      {h.state === "needs_reauth" ? "Sign in again" : "Sign in"}
                    </button>
                  ) : null}
                  {confirming === i.id ? (
                    <span className="confirm" role="group" aria-label="Confirm disconnect">
                      <span className="small">Disconnect {i.name}? Its secrets leave the keychain.</span>
                      <button
                        type="button"
                        className="btn btn-danger"
                        disabled={busy === i.id}
                        onClick={() => void run(i.id, () => onDelete(i.id)).then(() => setConfirming(null))}
                      >
                        Yes, disconnect
                      </button>
                      <button type="button" className="btn btn-quiet" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="btn btn-quiet" onClick={() => setConfirming(i.id)}>
                      Disconnect
                    </button>
                  )}
                </div>
                {HEALTH_HINT[state] ? <p className="muted small health-hint">{HEALTH_HINT[state]}</p> : null}
                {i.verification === "none" ? (
                  <p className="inline-error small" data-testid="unverified">
                    Unverified: anyone who can reach this port can send it alerts.
                  </p>
                ) : null}
                {i.verification && OUR_SECRET.has(i.verification) && !i.secretFields.includes("webhookSecret") && !made[i.id] ? (
                  <p className="inline-error small" data-testid="no-secret">
                    No secret yet: every delivery is refused until you make one with New secret.
                  </p>
                ) : null}
                {made[i.id] ? <NewSecret made={made[i.id]} /> : null}
                {i.stream ? <StreamStats stream={i.stream} now={now} /> : null}
                <dl className="instance-stats small">
                  <div>
                    <dt>Last sync</dt>
                    <dd data-testid="last-sync">
                      {lastSync ? (
                        <time dateTime={lastSync} title={formatClock(lastSync, now)}>
                          {formatAge(lastSync, now)}
                        </time>
                      ) : (
                        "never"
                      )}
                    </dd>
                  </div>
                  <div>
                    <dt>Last success</dt>
                    <dd data-testid="last-success">
                      {h.lastSuccessAt ? (
                        <time dateTime={h.lastSuccessAt} title={formatClock(h.lastSuccessAt, now)}>
                          {formatAge(h.lastSuccessAt, now)}
                        </time>
                      ) : (
                        "never"
                      )}
                    </dd>
                  </div>
                  {h.latencyMs !== undefined ? (
                    <div>
                      <dt>Latency</dt>
                      <dd data-testid="latency">{h.latencyMs} ms</dd>
                    </div>
                  ) : null}
                  <div>
                    <dt>Failures in a row</dt>
                    <dd data-testid="consecutive-failures">{h.consecutiveFailures}</dd>
                  </div>
                  <div>
                    <dt>Received</dt>
                    <dd data-testid="items-received">{h.itemsReceived}</dd>
                  </div>
                  <div>
                    <dt>Dead-lettered</dt>
                    <dd data-testid="items-dead-lettered">{h.itemsDeadLettered}</dd>
                  </div>
                  {h.signals24h !== undefined ? (
                    <div>
                      <dt>Signals 24 h / 7 d</dt>
                      <dd data-testid="signals-24h-7d">
                        {h.signals24h} / {h.signals7d ?? "—"}
                      </dd>
                    </div>
                  ) : null}
                  {h.hourly?.length ? (
                    <div>
                      <dt>Last 24 h</dt>
                      <dd>
                        <Sparkline values={h.hourly} label={`Signals per hour over the last 24 hours: ${h.hourly.join(", ")}`} />
                      </dd>
                    </div>
                  ) : null}
                  {h.nextAttemptAt ? (
                    <div>
                      <dt>Next attempt</dt>
                      <dd>{formatClock(h.nextAttemptAt, now)}</dd>
                    </div>
                  ) : null}
                  {i.webhookUrl ? (
                    <div className="wide">
                      <dt>Webhook</dt>
                      <dd>
                        <code className="break">{i.webhookUrl}</code>
                      </dd>
                    </div>
                  ) : null}
                  {h.lastError && h.lastError !== i.stream?.message ? (
                    <div className="wide">
                      <dt>Last error</dt>
                      <dd className="inline-error">{h.lastError}</dd>
                    </div>
                  ) : null}
                </dl>
                {t?.result ? <DryRun result={t.result} /> : null}
                <InlineError text={errors[i.id]} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
