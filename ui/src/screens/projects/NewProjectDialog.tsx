import { useState, type FormEvent } from "react";
import type { ProjectCreated } from "../../wire";
import { Dialog } from "../../components/Dialog";
import { CopyField } from "../../components/CopyField";
import { InlineError } from "../../components/States";
import { alertmanagerSnippet } from "../../components/alertmanagerSnippet";
import { errorText } from "../../platform/errors";
import { projectIdError, suggestId } from "./projectId";

type Props = {
  /** Makes the project (its answer holds the receiver's secret, once). */
  create: (id: string, name: string) => Promise<ProjectCreated>;
  /** Where the server answers, for a webhook URL the answer leaves out (null: the desktop app). */
  origin: string | null;
  /** Shows the new project. */
  onSwitch: (id: string) => void;
  onClose: () => void;
};

/**
 * "New project": an id (checked here with the server's rule; the server's
 * own refusal is shown too) and a name. Once made, its Alertmanager
 * receiver's URL and secret are shown this once, with the snippet to paste.
 */
export function NewProjectDialog({ create, origin, onSwitch, onClose }: Props) {
  const [name, setName] = useState("");
  const [id, setId] = useState("");
  const [idTouched, setIdTouched] = useState(false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<ProjectCreated | null>(null);

  const idProblem = projectIdError(id);
  const nameProblem = name.trim() ? null : "Give the project a name.";
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (idProblem || nameProblem) return;
    setBusy(true);
    setError(null);
    try {
      setCreated(await create(id, name.trim()));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    const url = created.receiver.webhookUrl ?? `${origin ?? ""}/webhooks/alertmanager/${created.id}`;
    return (
      <Dialog label={`Project ${created.name} created`} onClose={onClose} testId="project-created">
        <h2 className="dialog-title">Project {created.name} is ready</h2>
        <p className="small">
          Point Alertmanager at its own receiver: alerts sent there open incidents in <strong>{created.name}</strong> only.
        </p>
        <label>Webhook URL</label>
        <CopyField value={url} label="Webhook URL" testId="project-webhook-url" />
        <label>Webhook secret</label>
        <CopyField value={created.receiver.secret} label="Webhook secret" testId="project-webhook-secret" secret />
        <label>In alertmanager.yml</label>
        <pre className="snippet" data-testid="alertmanager-snippet">
          {alertmanagerSnippet(url, created.receiver.secret, `causeway-${created.id}`)}
        </pre>
        <p className="muted small">Shown now only: the secret is in the keychain, and Causeway will not show it again.</p>
        <div className="dialog-actions">
          <button type="button" className="btn btn-quiet" onClick={onClose}>
            Done
          </button>
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => {
              onSwitch(created.id);
              onClose();
            }}
          >
            Switch to {created.name}
          </button>
        </div>
      </Dialog>
    );
  }

  const shownIdProblem = tried || id ? idProblem : null;
  return (
    <Dialog label="New project" onClose={onClose} testId="new-project">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <h2 className="dialog-title">New project</h2>
        <p className="muted small">
          A project keeps its own connectors, incidents and correlation: staging alerts never join production incidents. It comes with an Alertmanager
          receiver of its own.
        </p>
        <div className="field">
          <label htmlFor="np-name">Name</label>
          <input
            id="np-name"
            data-testid="new-project-name"
            value={name}
            placeholder="Staging"
            onChange={(e) => {
              setName(e.target.value);
              if (!idTouched) setId(suggestId(e.target.value));
            }}
          />
          {tried && nameProblem ? <span className="inline-error small">{nameProblem}</span> : null}
        </div>
        <div className="field">
          <label htmlFor="np-id">Id</label>
          <input
            id="np-id"
            className="mono"
            data-testid="new-project-id"
            value={id}
            placeholder="staging"
            spellCheck={false}
            autoComplete="off"
            aria-invalid={shownIdProblem ? true : undefined}
            aria-describedby="np-id-help"
            onChange={(e) => {
              setId(e.target.value);
              setIdTouched(true);
            }}
          />
          <span id="np-id-help" className={`small ${shownIdProblem ? "inline-error" : "muted"}`} data-testid="new-project-id-help">
            {shownIdProblem ?? (
              <>
                In its webhook URLs: <code>/webhooks/alertmanager/{id || "…"}</code>. It cannot change later.
              </>
            )}
          </span>
        </div>
        <InlineError text={error} />
        <div className="dialog-actions">
          <button type="button" className="btn btn-quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating…" : "Create project"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
