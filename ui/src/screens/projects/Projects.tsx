import { useState, type FormEvent } from "react";
import type { ProjectView } from "../../wire";
import type { Loaded } from "../../app/useResource";
import { DEFAULT_PROJECT } from "../../app/project";
import { useRun } from "../../components/useRun";
import { ErrorBox, InlineError, Loading } from "../../components/States";

type Props = {
  projects: Loaded<ProjectView[]>;
  /** The project the screens show. */
  current: string;
  onSwitch: (id: string) => void;
  onNew: () => void;
  onRename: (id: string, name: string) => Promise<unknown>;
  /** Opens the confirmation (it names what goes). */
  onDelete: (p: ProjectView) => void;
  stalled?: boolean;
};

/** Settings → Projects: every project, to show, rename or delete, and a new one. */
export function Projects({ projects, current, onSwitch, onNew, onRename, onDelete, stalled }: Props) {
  const [editing, setEditing] = useState<{ id: string; name: string } | null>(null);
  const [busy, error, run] = useRun();
  const list = projects.data;
  const rename = (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    void run(editing.id, async () => {
      await onRename(editing.id, editing.name.trim());
      setEditing(null);
    });
  };
  return (
    <section className="panel" aria-label="Projects" data-testid="projects">
      <div className="screen-head">
        <h2 className="section-title">Projects {list ? <span className="count">{list.length}</span> : null}</h2>
        <button type="button" className="btn btn-primary" onClick={onNew} data-testid="new-project-button">
          New project
        </button>
      </div>
      <p className="muted small">
        Production and staging apart: each project has its own connectors, webhook URLs (<code>/webhooks/…/&lt;id&gt;</code>), incidents and
        correlation. The switcher at the top of the rail picks the one the screens show.
      </p>
      <InlineError text={error} />
      {projects.error ? <ErrorBox error={projects.error} title="Could not list the projects." /> : null}
      {list === null ? (
        projects.error || stalled ? null : <Loading what="projects" />
      ) : (
        <table className="table" aria-label="Projects">
          <thead>
            <tr>
              <th>Name</th>
              <th>Id</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <tr key={p.id} data-testid="project-row" data-project-id={p.id}>
                <td>
                  {editing?.id === p.id ? (
                    <form className="inline-form" onSubmit={rename} aria-label={`Rename ${p.name}`}>
                      <input
                        aria-label="New name"
                        data-testid="rename-project-name"
                        value={editing.name}
                        autoFocus
                        onChange={(e) => setEditing({ id: p.id, name: e.target.value })}
                      />
                      <button type="submit" className="btn" disabled={busy !== null || !editing.name.trim()}>
                        {busy === p.id ? "Saving…" : "Save"}
                      </button>
                      <button type="button" className="btn btn-quiet" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <>
                      <strong>{p.name}</strong>
                      {p.id === current ? <span className="muted small"> · shown now</span> : null}
                    </>
                  )}
                </td>
                <td>
                  <code>{p.id}</code>
                </td>
                <td className="right">
                  <span className="row-actions">
                    {p.id === current ? null : (
                      <button type="button" className="btn btn-quiet" onClick={() => onSwitch(p.id)} aria-label={`Show ${p.name}`}>
                        Show
                      </button>
                    )}
                    {editing?.id === p.id ? null : (
                      <button type="button" className="btn btn-quiet" onClick={() => setEditing({ id: p.id, name: p.name })} aria-label={`Rename ${p.name}`}>
                        Rename
                      </button>
                    )}
                    {p.id === DEFAULT_PROJECT ? null : (
                      <button type="button" className="btn btn-quiet danger-text" onClick={() => onDelete(p)} aria-label={`Delete ${p.name}…`}>
                        Delete…
                      </button>
                    )}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
