import { useState, type FormEvent, type ReactNode } from "react";
import type { IssuedToken, SettingsUpdate, SettingsView, TokenView } from "../../wire";
import type { Api } from "../../platform/api";
import type { Loaded } from "../../app/useResource";
import { formatAge, formatClock } from "../../components/format";
import { errorText } from "../../platform/errors";
import { useRun } from "../../components/useRun";
import { CopyField } from "../../components/CopyField";
import { Empty, ErrorBox, Loading, InlineError } from "../../components/States";

type Props = {
  settings: Loaded<SettingsView>;
  tokens: Loaded<TokenView[]>;
  api: Pick<Api, "issueToken" | "revokeToken" | "saveSettings">;
  /** Refetch after a change. */
  onChanged: () => void;
  now: number;
  stalled?: boolean;
  /** Settings → Projects, first (the app's; none in a test of the rest). */
  projects?: ReactNode;
};

/** Projects, API tokens (issue, revoke), the data folder and the webhook port. */
export function Settings({ settings, tokens, api, onChanged, now, stalled, projects }: Props) {
  return (
    <div className="settings" data-testid="settings">
      {projects}
      <Tokens tokens={tokens} api={api} onChanged={onChanged} now={now} stalled={stalled} />
      <Storage settings={settings} api={api} onChanged={onChanged} stalled={stalled} />
    </div>
  );
}

function Tokens({ tokens, api, onChanged, now, stalled }: Omit<Props, "settings" | "projects">) {
  const [scope, setScope] = useState<"ingest" | "admin">("ingest");
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, error, runOnly] = useRun();
  // Each token action refetches the list once it is done.
  const run = (what: string, f: () => Promise<unknown>) =>
    runOnly(what, async () => {
      await f();
      onChanged();
    });
  const list = tokens.data;
  return (
    <section className="panel" aria-label="API tokens" data-testid="tokens">
      <h2 className="section-title">
        API tokens {list ? <span className="count">{list.filter((t) => !t.revokedAt).length}</span> : null}
      </h2>
      <p className="muted small">
        For scripts and other tools: <code>ingest</code> may only post to <code>/v1/incidents/ingest</code>; <code>admin</code> may use the whole API. A
        token is shown once, when issued; only its hash is kept.
      </p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run("issue", async () => setIssued(await api.issueToken(scope)));
        }}
      >
        <label>
          Scope{" "}
          <select value={scope} onChange={(e) => setScope(e.target.value as "ingest" | "admin")} data-testid="token-scope">
            <option value="ingest">ingest</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy !== null}>
          {busy === "issue" ? "Issuing…" : "Issue a token"}
        </button>
      </form>
      {issued ? (
        <div className="issued" data-testid="issued-token" role="status">
          <strong>New {issued.scope} token {issued.id}.</strong> Copy it now: it will not be shown again.
          <CopyField value={issued.token} label="The new token" testId="issued-token-value" secret />
          <p className="muted small">
            Use it as <code>Authorization: Bearer …</code>.{" "}
            <button type="button" className="link-button" onClick={() => setIssued(null)}>
              Done
            </button>
          </p>
        </div>
      ) : null}
      <InlineError text={error} />
      {tokens.error ? <ErrorBox error={tokens.error} /> : null}
      {list === null ? (
        tokens.error || stalled ? null : <Loading what="tokens" />
      ) : list.length === 0 ? (
        <Empty>No tokens yet. The web UI and the desktop app need none; scripts and the ingest API do.</Empty>
      ) : (
        <table className="table" aria-label="Issued tokens">
          <thead>
            <tr>
              <th>Token</th>
              <th>Scope</th>
              <th>Issued</th>
              <th>State</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <tr key={t.id} data-testid="token-row" data-token-id={t.id} data-revoked={t.revokedAt ? "true" : "false"}>
                <td>
                  <code>{t.id}</code>
                </td>
                <td>{t.scope}</td>
                <td>
                  <time dateTime={t.createdAt} title={formatClock(t.createdAt, now)}>
                    {formatAge(t.createdAt, now)}
                  </time>
                </td>
                <td>{t.revokedAt ? <span className="muted">revoked {formatAge(t.revokedAt, now)}</span> : <span className="ok-text">active</span>}</td>
                <td className="right">
                  {t.revokedAt ? null : confirming === t.id ? (
                    <span className="confirm" role="group" aria-label="Confirm revoke">
                      <span className="small">Scripts using it stop working.</span>
                      <button
                        type="button"
                        className="btn btn-danger"
                        disabled={busy !== null}
                        onClick={() => void run(t.id, () => api.revokeToken(t.id)).then(() => setConfirming(null))}
                      >
                        Yes, revoke
                      </button>
                      <button type="button" className="btn btn-quiet" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="btn btn-quiet" onClick={() => setConfirming(t.id)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Storage({ settings, api, onChanged, stalled }: Omit<Props, "tokens" | "now" | "projects">) {
  const s = settings.data;
  const [dir, setDir] = useState<string | null>(null);
  const [port, setPort] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const save = async (e: FormEvent, update: SettingsUpdate) => {
    e.preventDefault();
    setBusy(true);
    setOutcome(null);
    try {
      const next = await api.saveSettings(update);
      setOutcome({ ok: true, text: next.restartNeeded ? "Saved. Restart Causeway to apply it." : "Saved." });
      setDir(null);
      setPort(null);
      onChanged();
    } catch (err) {
      setOutcome({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-label="Data and network" data-testid="storage-settings">
      <h2 className="section-title">Data folder and webhook port</h2>
      {settings.error ? <ErrorBox error={settings.error} /> : null}
      {s === null ? (
        settings.error || stalled ? null : <Loading what="settings" />
      ) : (
        <>
          {s.restartNeeded ? (
            <div className="notice" role="status" data-testid="restart-needed">
              Saved settings differ from what this run uses: they apply when Causeway next starts.
            </div>
          ) : null}
          <form className="setting" onSubmit={(e) => void save(e, { dataDir: dir ?? s.dataDir })}>
            <label htmlFor="data-dir">Data folder</label>
            <p className="muted small">
              In use: <code data-testid="data-dir-in-use">{s.dataDir}</code>. The SQLite database, dead letters and topology live here; secrets stay in
              the OS keychain.
            </p>
            {s.overriddenBy.length ? (
              <p className="notice small">Set by {s.overriddenBy.join(", ")} in this run&apos;s environment: a saved folder is used only without it.</p>
            ) : null}
            <div className="inline-form">
              <input id="data-dir" className="mono grow" data-testid="data-dir" value={dir ?? s.savedDataDir ?? s.dataDir} onChange={(e) => setDir(e.target.value)} />
              <button type="submit" className="btn" disabled={busy || dir === null}>
                Save
              </button>
              {s.savedDataDir ? (
                <button type="button" className="btn btn-quiet" disabled={busy} onClick={(e) => void save(e, { resetDataDir: true })}>
                  Use the default
                </button>
              ) : null}
            </div>
            <p className="muted small">The new folder is created when missing; existing data is not moved.</p>
          </form>
          <form className="setting" onSubmit={(e) => void save(e, { webhookPort: Number(port) })}>
            <label htmlFor="webhook-port">Webhook port</label>
            <p className="muted small">
              Listening on <code data-testid="listening-on">{s.listeningOn ?? "—"}</code>. Webhook URLs use this port; on loopback only.
            </p>
            <div className="inline-form">
              <input
                id="webhook-port"
                type="number"
                className="mono"
                data-testid="webhook-port"
                value={port ?? String(s.webhookPort)}
                onChange={(e) => setPort(e.target.value)}
              />
              <button type="submit" className="btn" disabled={busy || port === null}>
                Save
              </button>
            </div>
          </form>
          {outcome ? (
            <div className={outcome.ok ? "inline-ok" : "inline-error"} role={outcome.ok ? "status" : "alert"} data-testid="settings-outcome">
              {outcome.text}
            </div>
          ) : null}
          <p className="muted small">
            Kept in <code>{s.settingsFile}</code>.
          </p>
        </>
      )}
    </section>
  );
}
