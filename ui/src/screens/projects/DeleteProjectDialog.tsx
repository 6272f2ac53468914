import { useState, type FormEvent } from "react";
import type { ProjectDetail, ProjectView } from "../../wire";
import type { Loaded } from "../../app/useResource";
import { Dialog } from "../../components/Dialog";
import { ErrorBox, InlineError, Loading } from "../../components/States";
import { errorText } from "../../platform/errors";
import { deletionText } from "./deletion";

type Props = {
  project: ProjectView;
  /** What the project holds now (`getProject`): what the confirmation names. */
  detail: Loaded<ProjectDetail>;
  onDelete: () => Promise<unknown>;
  onClose: () => void;
};

/**
 * Deleting a project takes everything in it, so the confirmation names what
 * goes and asks for the project's id to be typed (as GitHub does) before
 * the button works.
 */
export function DeleteProjectDialog({ project, detail, onDelete, onClose }: Props) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const d = detail.data;
  const ready = d !== null && typed === project.id && !busy;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    setBusy(true);
    setError(null);
    try {
      await onDelete();
      onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog label={`Delete project ${project.name}`} onClose={onClose} testId="delete-project">
      <form onSubmit={(e) => void submit(e)}>
        <h2 className="dialog-title">Delete project {project.name}?</h2>
        {detail.error ? <ErrorBox error={detail.error} title="Cannot tell what it holds." /> : null}
        {d ? (
          <p data-testid="delete-project-counts">
            {deletionText(d)} Its webhook URLs stop taking deliveries. This cannot be undone.
          </p>
        ) : detail.error ? null : (
          <Loading what="what it holds" />
        )}
        <div className="field">
          <label htmlFor="dp-confirm">
            Type <code>{project.id}</code> to confirm
          </label>
          <input
            id="dp-confirm"
            className="mono"
            data-testid="delete-project-confirm"
            value={typed}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setTyped(e.target.value)}
          />
        </div>
        <InlineError text={error} />
        <div className="dialog-actions">
          <button type="button" className="btn btn-quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-danger" disabled={!ready} data-testid="delete-project-submit">
            {busy ? "Deleting…" : "Delete this project"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
