import { useState } from "react";
import type { ProjectDetail, ProjectView } from "../../wire";
import { PROJECTS } from "../../app/resources";
import { DEFAULT_PROJECT, useProject } from "../../app/project";
import { useResource, useSession, type ResourceSpec } from "../../app/useResource";
import { DeleteProjectDialog } from "./DeleteProjectDialog";
import { Projects } from "./Projects";

/** What a project holds, kept current while its confirmation is open. */
function detailOf(id: string): ResourceSpec<ProjectDetail> {
  return { key: `project:${id}`, load: (api) => api.getProject(id), on: ["projects", "incidents", "signals", "deadLetters", "instances"] };
}

/** The confirmation of a delete; the `default` project is shown after deleting the one shown. */
function DeleteProject({ project, onClose }: { project: ProjectView; onClose: () => void }) {
  const detail = useResource(detailOf(project.id));
  const { mutate } = useResource(PROJECTS);
  const { id: current, switchTo } = useProject();
  const { shown } = useSession();
  return (
    <DeleteProjectDialog
      project={project}
      detail={{ data: detail.data, error: shown(detail.error) }}
      onDelete={async () => {
        await mutate((api) => api.deleteProject(project.id), ["incidents", "signals", "deadLetters", "instances"]);
        if (current === project.id) switchTo(DEFAULT_PROJECT);
      }}
      onClose={onClose}
    />
  );
}

/** Settings → Projects, over the API; "New project" opens the app's dialog. */
export function ProjectsSection({ onNewProject }: { onNewProject: () => void }) {
  const projects = useResource(PROJECTS);
  const { id: current, switchTo } = useProject();
  const { shown, stalled } = useSession();
  const [deleting, setDeleting] = useState<ProjectView | null>(null);
  return (
    <>
      <Projects
        projects={{ data: projects.data, error: shown(projects.error) }}
        current={current}
        onSwitch={switchTo}
        onNew={onNewProject}
        onRename={(id, name) => projects.mutate((api) => api.renameProject(id, name))}
        onDelete={setDeleting}
        stalled={stalled}
      />
      {deleting ? <DeleteProject project={deleting} onClose={() => setDeleting(null)} /> : null}
    </>
  );
}
